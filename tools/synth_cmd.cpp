// placeholder: being written
#include "tools/commands.hpp"
namespace popwatch { void register_synth(CLI::App&, int&) {} }

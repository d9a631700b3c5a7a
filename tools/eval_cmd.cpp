// placeholder: being written
#include "tools/commands.hpp"
namespace popwatch { void register_eval(CLI::App&, int&) {} }

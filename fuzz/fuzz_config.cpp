// Fuzzes the config file reader (toml++ plus our field tables) and the --sites syntax the file's
// [sites] list uses: whatever the bytes, parse_config returns a Config or throws ConfigError,
// and a Config it accepted prints (to_toml) to text that reads back to the same Config.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "habits/config.hpp"
#include "tools/analysis.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    popwatch::habits::Config config;
    try {
        config = popwatch::habits::parse_config(text, "fuzz.toml");
    } catch (const popwatch::habits::ConfigError&) {
        return 0;
    }
    const std::string printed = popwatch::habits::to_toml(config);
    try {
        // What `popwatch config` promises: its output is a config file that means the same.
        if (popwatch::habits::to_toml(popwatch::habits::parse_config(printed, "printed.toml")) != printed) std::abort();
    } catch (const popwatch::habits::ConfigError&) {
        std::abort();
    }
    std::string spec;
    for (const std::string& s : config.sites) spec += (spec.empty() ? "" : ",") + s;
    try {
        if (!spec.empty()) (void)popwatch::SiteMap::parse(spec).layout();
    } catch (const std::invalid_argument&) {
    }
    return 0;
}

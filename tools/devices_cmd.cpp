// `popwatch devices`: the audio input devices PortAudio can open, for `listen --device`.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "capture/live_source.hpp"
#include "tools/commands.hpp"

namespace popwatch {
namespace {

int run(const std::string& format) {
    std::vector<InputDevice> devices;
    try {
        devices = list_input_devices();
    } catch (const DeviceError& e) {
        std::fprintf(stderr, "popwatch devices: %s\n", e.what());
        return exit_failure;
    }
    if (devices.empty()) {
        std::fprintf(stderr,
                     "popwatch devices: no audio input device found (is a microphone connected? is the sound "
                     "server running?)\n");
        return exit_bad_input;
    }
    std::string out;
    if (format == "jsonl") {
        for (const auto& d : devices)
            out += nlohmann::json{{"index", d.index},
                                  {"name", d.name},
                                  {"host_api", d.host_api},
                                  {"max_input_channels", d.max_input_channels},
                                  {"default_rate", d.default_rate},
                                  {"default", d.is_default}}
                       .dump() +
                   "\n";
    } else {
        std::size_t width = 4;
        for (const auto& d : devices) width = std::max(width, d.name.size());
        out += fmt::format("  {:>5}  {:<{}}  {:<8}  {:>8}  {:>8}\n", "index", "name", width, "host API", "channels",
                           "rate Hz");
        for (const auto& d : devices)
            out += fmt::format("{} {:>5}  {:<{}}  {:<8}  {:>8}  {:>8g}\n", d.is_default ? '*' : ' ', d.index, d.name,
                               width, d.host_api, d.max_input_channels, d.default_rate);
        out += "* the default input (what `popwatch listen` uses without --device)\n";
    }
    std::fputs(out.c_str(), stdout);
    return exit_ok;
}

}  // namespace

void register_devices(CLI::App& app, int& exit_code) {
    auto format = std::make_shared<std::string>("table");
    CLI::App* cmd = app.add_subcommand("devices", "List the audio input devices `listen --device` can open");
    cmd->footer(
        "Columns: index and name (either can be given to `listen --device`; a name may be abbreviated\n"
        "to any unambiguous part), host API, maximum input channels, native sample rate.\n"
        "Exit codes: 0 listed; 3 no input device found; 4 the audio system could not be started.");
    cmd->add_option("--format", *format, "table | jsonl")
        ->capture_default_str()
        ->check(CLI::IsMember({"table", "jsonl"}));
    cmd->callback([format, &exit_code] { exit_code = run(*format); });
}

}  // namespace popwatch

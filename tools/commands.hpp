// Each subcommand registers itself on the CLI11 app and returns its exit code through `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace popwatch {

// Exit codes, documented in `popwatch --help`.
enum ExitCode : int {
    exit_ok = 0,
    exit_usage = 2,        // bad command line
    exit_bad_input = 3,    // at least one input could not be (fully) read; the others were processed;
                           //   listen/devices: no usable audio input device
    exit_failure = 4,      // an internal or environment error (disk full, database locked or read-only, ...)
    exit_below_floor = 5,  // eval: accuracy below the requested floor
};

void register_analyze(CLI::App& app, int& exit_code);
void register_synth(CLI::App& app, int& exit_code);
void register_eval(CLI::App& app, int& exit_code);
void register_listen(CLI::App& app, int& exit_code);
void register_devices(CLI::App& app, int& exit_code);
// History and guidance (habits/): today, history, report, tag, forget, export, config.
void register_today(CLI::App& app, int& exit_code);
void register_history(CLI::App& app, int& exit_code);
void register_report(CLI::App& app, int& exit_code);
void register_tag(CLI::App& app, int& exit_code);
void register_forget(CLI::App& app, int& exit_code);
void register_export(CLI::App& app, int& exit_code);
void register_config(CLI::App& app, int& exit_code);

}  // namespace popwatch

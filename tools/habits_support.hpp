// Shared by the history commands (today, history, report, tag, forget, export, config, and
// analyze --record): --db and --config, opening the store, turning errors into exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "habits/config.hpp"
#include "habits/rules.hpp"
#include "habits/store.hpp"

namespace popwatch {

struct HabitsOptions {
    std::string db;              // --db: overrides the config file's history.db and the default
    std::string config;          // --config: another config file
    std::string notify_command;  // --notify-command: overrides the config file's notify.command
    bool no_desktop = false;     // --no-desktop: no notify-send
};

void add_habits_options(CLI::App* cmd, HabitsOptions& options);
// For commands that notify (listen): --notify-command CMD and --no-desktop.
void add_notify_options(CLI::App* cmd, HabitsOptions& options);
// The config file with the command line's overrides applied; throws habits::ConfigError.
habits::Config load_config(const HabitsOptions& options);
std::filesystem::path db_path(const HabitsOptions& options, const habits::Config& config);
habits::HistoryStore open_store(const HabitsOptions& options, const habits::Config& config, habits::Access access);

// The --sites spec a command uses: the command line's, else the config file's [sites].
std::string site_spec(const std::string& command_line, const habits::Config& config);

// Runs a command body: a bad config or argument -> exit_usage, a database or environment
// problem -> exit_failure, each with one line "popwatch COMMAND: ..." on stderr.
int run_guarded(const std::string& command, const std::function<int()>& body);

// The local date from --date (or today); throws std::invalid_argument.
habits::LocalDate date_or_today(const std::string& date);

// One day as JSON (the fields of `today --json`).
nlohmann::json day_json(const habits::DaySummary& day);
nlohmann::json warning_json(const habits::Warning& warning);

}  // namespace popwatch

#include "tools/habits_support.hpp"

#include <cstdio>

#include "tools/commands.hpp"

namespace popwatch {

void add_habits_options(CLI::App* cmd, HabitsOptions& o) {
    cmd->add_option("--db", o.db, "History database (default: $XDG_DATA_HOME/popwatch/history.db)");
    cmd->add_option("--config", o.config, "Config file (default: $XDG_CONFIG_HOME/popwatch/config.toml)");
}

void add_notify_options(CLI::App* cmd, HabitsOptions& o) {
    cmd->add_option("--notify-command", o.notify_command,
                    "Run this (sh -c) for each warning notified; $1 title, $2 message (config: notify.command)");
    cmd->add_flag("--no-desktop", o.no_desktop, "No desktop notifications (config: notify.desktop = false)");
}

habits::Config load_config(const HabitsOptions& o) {
    habits::Config config = habits::load_config(o.config);
    if (!o.db.empty()) config.history.db = o.db;
    if (!o.notify_command.empty()) config.notify.command = o.notify_command;
    if (o.no_desktop) config.notify.desktop = false;
    return config;
}

std::filesystem::path db_path(const HabitsOptions& o, const habits::Config& config) {
    return o.db.empty() ? config.db_path() : std::filesystem::path(o.db);
}

habits::HistoryStore open_store(const HabitsOptions& o, const habits::Config& config, habits::Access access) {
    habits::StoreOptions options;
    options.busy_timeout_ms = config.history.busy_timeout_ms;
    options.episode_gap_s = config.detector.episode_gap_s;
    return habits::HistoryStore(db_path(o, config), access, options);
}

int run_guarded(const std::string& command, const std::function<int()>& body) {
    try {
        return body();
    } catch (const habits::ConfigError& e) {
        std::fprintf(stderr, "popwatch %s: %s\n", command.c_str(), e.what());
        return exit_usage;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "popwatch %s: %s\n", command.c_str(), e.what());
        return exit_usage;
    } catch (const habits::StoreError& e) {
        std::fprintf(stderr, "popwatch %s: %s\n", command.c_str(), e.what());
        return exit_failure;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "popwatch %s: %s\n", command.c_str(), e.what());
        return exit_failure;
    }
}

habits::LocalDate date_or_today(const std::string& date) {
    if (date.empty()) return habits::local_date(habits::now_s());
    const auto d = habits::LocalDate::parse(date);
    if (!d) throw std::invalid_argument("--date: \"" + date + "\" is not a date YYYY-MM-DD");
    return *d;
}

nlohmann::json warning_json(const habits::Warning& w) {
    return {{"time", habits::iso8601(w.time)},
            {"rule", habits::rule_name(w.rule)},
            {"site", w.site},
            {"count", w.count},
            {"event_id", w.event_id},
            {"title", w.title},
            {"message", w.message}};
}

nlohmann::json day_json(const habits::DaySummary& d) {
    nlohmann::json sites = nlohmann::json::object();
    for (const auto& [name, c] : d.by_site)
        sites[name] = {{"episodes", c.episodes}, {"pops", c.pops}, {"clunks", c.clunks}};
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : d.warnings) warnings.push_back(warning_json(w));
    return {{"date", d.date.iso()}, {"episodes", d.episodes}, {"pops", d.pops},
            {"clunks", d.clunks},   {"limit", d.limit},       {"over_limit", d.over_limit},
            {"by_site", sites},     {"by_hour", d.by_hour},   {"monitored_s", std::round(d.monitored_s * 10) / 10},
            {"warnings", warnings}};
}

std::string site_spec(const std::string& command_line, const habits::Config& config) {
    if (!command_line.empty()) return command_line;
    std::string spec;
    for (const auto& s : config.sites) spec += (spec.empty() ? "" : ",") + s;
    return spec;
}

}  // namespace popwatch

// The configuration file, $XDG_CONFIG_HOME/popwatch/config.toml (default ~/.config): guidance,
// notifications, sites, the history database and a [detector] table that fills the one
// DetectorConfig. Precedence: built-in defaults < the file < command-line flags. Every key is
// listed once, in config.cpp's field tables, which both read the file and print it.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/config.hpp"
#include "habits/notify.hpp"
#include "habits/rules.hpp"

namespace popwatch::habits {

struct HistoryConfig {
    std::string db;              // "" = $XDG_DATA_HOME/popwatch/history.db
    int busy_timeout_ms = 2000;  // how long a write waits for another process's lock
};

struct Config {
    DetectorConfig detector;
    Guidance guidance;
    NotifyConfig notify;
    std::vector<std::string> sites;  // channel 1, 2, ...: "name" or "name@cm" (as --sites)
    HistoryConfig history;

    std::filesystem::path file;  // the file read, or where it would be
    bool file_found = false;

    std::filesystem::path db_path() const;  // history.db, or the default
};

// A bad config file: the message names the file, the line and the key.
class ConfigError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::filesystem::path default_config_path();

// Reads `path` (or the default path when empty). A missing default file gives the defaults; a
// missing explicit file, a syntax error, an unknown key or a bad value throws ConfigError.
Config load_config(const std::filesystem::path& path = {});
Config parse_config(const std::string& toml_text, const std::filesystem::path& name);

// The configuration as TOML, every key with a comment; parse_config() reads it back unchanged.
std::string to_toml(const Config& config);

}  // namespace popwatch::habits

#include "habits/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

namespace popwatch::habits {
namespace fs = std::filesystem;

namespace {

std::string toml_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20)
                    out += fmt::format("\\u{:04x}", static_cast<int>(c));
                else
                    out += c;
        }
    }
    return out + "\"";
}

constexpr const char* day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// One key of the file: how to print its value and how to set it from a TOML node (returning
// what is wrong with the value, or "" when it was accepted).
struct Field {
    std::string name;
    std::string doc;
    std::function<std::string(const Config&)> show;
    std::function<std::string(Config&, const toml::node&)> set;
};

struct Section {
    std::string name;
    std::string doc;
    std::vector<Field> fields;
};

template <class T>
std::string show_number(T v) {
    if constexpr (std::is_integral_v<T>)
        return std::to_string(v);
    else
        return fmt::format("{}", v);  // shortest form that reads back exactly
}

// A number in [lo, hi] in Config's `part`.`member`.
template <class Part, class T>
Field number(std::string name, Part Config::*part, T Part::*member, double lo, double hi, std::string doc) {
    Field f;
    f.name = std::move(name);
    f.doc = std::move(doc);
    f.show = [=](const Config& c) { return show_number((c.*part).*member); };
    f.set = [=](Config& c, const toml::node& node) -> std::string {
        const auto range = [&] {
            return hi == std::numeric_limits<double>::max() ? fmt::format("at least {}", lo)
                                                            : fmt::format("from {} to {}", lo, hi);
        };
        if constexpr (std::is_integral_v<T>) {
            if (!node.is_integer()) return "must be a whole number, " + range();
            const auto v = node.as_integer()->get();
            if (v < lo || v > hi) return "must be " + range();
            (c.*part).*member = static_cast<T>(v);
        } else {
            if (!node.is_number()) return "must be a number, " + range();
            const double v = node.value<double>().value_or(NAN);
            if (!std::isfinite(v) || v < lo || v > hi) return "must be " + range();
            (c.*part).*member = static_cast<T>(v);
        }
        return "";
    };
    return f;
}

// true or false in Config's `part`.`member`.
template <class Part>
Field flag(std::string name, Part Config::*part, bool Part::*member, std::string doc) {
    return {std::move(name), std::move(doc),
            [=](const Config& c) { return std::string((c.*part).*member ? "true" : "false"); },
            [=](Config& c, const toml::node& node) -> std::string {
                if (!node.is_boolean()) return "must be true or false";
                (c.*part).*member = node.as_boolean()->get();
                return "";
            }};
}

Field time_range(std::string name, std::optional<TimeRange> NotifyConfig::*member, std::string doc) {
    return {std::move(name), std::move(doc),
            [=](const Config& c) { return toml_string(c.notify.*member ? (c.notify.*member)->str() : ""); },
            [=](Config& c, const toml::node& node) -> std::string {
                if (!node.is_string()) return "must be a string \"HH:MM-HH:MM\" (or \"\" for none)";
                const std::string s = node.as_string()->get();
                if (s.empty()) {
                    c.notify.*member = std::nullopt;
                    return "";
                }
                const auto r = TimeRange::parse(s);
                if (!r) return "\"" + s + "\" is not a time range \"HH:MM-HH:MM\" (e.g. \"22:00-07:00\")";
                c.notify.*member = r;
                return "";
            }};
}

bool valid_site(const std::string& s) {
    const auto at = s.find('@');
    const std::string name = s.substr(0, at);
    if (name.empty() || name.find(',') != std::string::npos || name.find_first_not_of(' ') == std::string::npos)
        return false;
    if (at == std::string::npos) return true;
    const std::string pos = s.substr(at + 1);
    float cm = 0;
    const auto [end, ec] = std::from_chars(pos.data(), pos.data() + pos.size(), cm);
    return ec == std::errc{} && end == pos.data() + pos.size() && std::isfinite(cm);
}

// Every key of the file, in the order `popwatch config` prints them.
const std::vector<Section>& sections() {
    static const std::vector<Section> all = [] {
        std::vector<Section> s;
        s.push_back({"guidance",
                     "the once-or-twice-a-day guidance (habits/rules.hpp)",
                     {number("daily_limit", &Config::guidance, &Guidance::daily_limit, 1, 1000,
                             "episodes per local day; more gives a warning (\"at most once or twice a day\")"),
                      number("repeat_every", &Config::guidance, &Guidance::repeat_every, 1, 1000,
                             "after crossing the limit, warn again every this many more episodes"),
                      number("same_site_episodes", &Config::guidance, &Guidance::same_site_episodes, 2, 1000,
                             "this many episodes at one site ..."),
                      number("same_site_window_min", &Config::guidance, &Guidance::same_site_window_min, 1, 1440,
                             "... within this many minutes give the hypermobility/instability note"),
                      number("repeat_note_after_min", &Config::guidance, &Guidance::repeat_note_after_min, 0, 1440,
                             "a same-site or clunk note repeats only after this many minutes")}});
        Section notify{"notify", "terminal always; desktop (notify-send) and command when not dropped", {}};
        notify.fields.push_back(number("cooldown_min", &Config::notify, &NotifyConfig::cooldown_min, 0, 1440,
                                       "the same rule (and site) is notified at most this often"));
        notify.fields.push_back(time_range("quiet_hours", &NotifyConfig::quiet_hours,
                                           "local \"HH:MM-HH:MM\": notifications inside are dropped, not queued"));
        notify.fields.push_back(
            time_range("working_hours", &NotifyConfig::working_hours,
                       "local \"HH:MM-HH:MM\" (\"\" = any time): notifications outside are dropped"));
        notify.fields.push_back(
            {"working_days", "days the working hours apply to; other days are dropped when working_hours is set",
             [](const Config& c) {
                 std::string out = "[";
                 for (std::size_t d = 0; d < 7; ++d)
                     if (c.notify.working_days[d])
                         out += (out.size() > 1 ? ", \"" : "\"") + std::string(day_names[d]) + "\"";
                 return out + "]";
             },
             [](Config& c, const toml::node& node) -> std::string {
                 const auto* array = node.as_array();
                 if (!array) return "must be a list of days, e.g. [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]";
                 std::array<bool, 7> days{};
                 for (const auto& item : *array) {
                     const auto name = item.value<std::string>();
                     std::size_t d = 0;
                     while (d < 7 && (!name || *name != day_names[d])) ++d;
                     if (d == 7) return "days are written mon, tue, wed, thu, fri, sat, sun";
                     days[d] = true;
                 }
                 c.notify.working_days = days;
                 return "";
             }});
        notify.fields.push_back(flag("desktop", &Config::notify, &NotifyConfig::desktop,
                                     "desktop notifications through notify-send when a desktop session exists"));
        notify.fields.push_back(
            {"command", "run with sh -c for each delivered warning; $1 title, $2 message (also POPWATCH_* variables)",
             [](const Config& c) { return toml_string(c.notify.command); },
             [](Config& c, const toml::node& node) -> std::string {
                 if (!node.is_string()) return "must be a string (a shell command)";
                 c.notify.command = node.as_string()->get();
                 return "";
             }});
        s.push_back(std::move(notify));
        s.push_back({"sites",
                     "where each input channel sits on the body",
                     {{"channels", "channel 1, 2, ...: \"name\" or \"name@cm\" along the spine (as --sites)",
                       [](const Config& c) {
                           std::string out = "[";
                           for (const auto& site : c.sites) out += (out.size() > 1 ? ", " : "") + toml_string(site);
                           return out + "]";
                       },
                       [](Config& c, const toml::node& node) -> std::string {
                           const auto* array = node.as_array();
                           if (!array) return "must be a list such as [\"upper-back@0\", \"mid-back@12\"]";
                           std::vector<std::string> sites;
                           for (const auto& item : *array) {
                               const auto site = item.value<std::string>();
                               if (!site || !valid_site(*site))
                                   return "each site is \"name\" or \"name@cm\", e.g. \"upper-back@12\"";
                               sites.push_back(*site);
                           }
                           c.sites = std::move(sites);
                           return "";
                       }}}});
        s.push_back({"history",
                     "the history database",
                     {{"db", "path of the SQLite file (\"\" = $XDG_DATA_HOME/popwatch/history.db); --db overrides",
                       [](const Config& c) { return toml_string(c.history.db); },
                       [](Config& c, const toml::node& node) -> std::string {
                           if (!node.is_string()) return "must be a string (a file path)";
                           c.history.db = node.as_string()->get();
                           return "";
                       }},
                      number("busy_timeout_ms", &Config::history, &HistoryConfig::busy_timeout_ms, 0, 600000,
                             "how long a write waits for another process's lock before queueing")}});
        // The detector: every DetectorConfig field, listed here once (dsp/config.hpp has the reasons).
        Section d{"detector", "the detector's tunables (dsp/config.hpp gives the reason for each default)", {}};
        const auto f = [&](const char* name, float DetectorConfig::*member, double lo, double hi, const char* doc) {
            d.fields.push_back(number(name, &Config::detector, member, lo, hi, doc));
        };
        f("highpass_hz", &DetectorConfig::highpass_hz, 0, 2000, "high-pass before the gate, Hz");
        f("cell_ms", &DetectorConfig::cell_ms, 0.05, 10, "energy cell, ms");
        f("background_rise_s", &DetectorConfig::background_rise_s, 0.01, 60, "background follows rising energy, s");
        f("background_fall_s", &DetectorConfig::background_fall_s, 0.01, 60, "... and falling energy, s");
        f("gate_db", &DetectorConfig::gate_db, 0, 60, "candidate: this far above the background, dB");
        f("floor_dbfs", &DetectorConfig::floor_dbfs, -140, 0, "absolute floor, dBFS");
        f("rise_db", &DetectorConfig::rise_db, 0, 60, "candidate: this far above the recent maximum, dB");
        f("hold_ms", &DetectorConfig::hold_ms, 0, 100, "recent maximum held over, ms");
        f("rise_window_ms", &DetectorConfig::rise_window_ms, 0, 100, "slow attacks compared this far back, ms");
        f("rearm_db", &DetectorConfig::rearm_db, 0, 60, "fall from the peak before the next candidate, dB");
        f("dead_time_ms", &DetectorConfig::dead_time_ms, 0, 1000, "minimum spacing of candidates, ms");
        f("fuse_ms", &DetectorConfig::fuse_ms, 0, 1000, "candidates on several channels this close are one, ms");
        f("frame_ms", &DetectorConfig::frame_ms, 1, 100, "FFT frame, ms");
        f("lookahead_s", &DetectorConfig::lookahead_s, 0.01, 5, "audio after an onset seen before deciding, s");
        f("context_s", &DetectorConfig::context_s, 0.1, 10, "past context for typing rhythm, s");
        f("cluster_gap_ms", &DetectorConfig::cluster_gap_ms, 1, 1000, "transients chained by shorter gaps, ms");
        f("pop_threshold", &DetectorConfig::pop_threshold, 0, 1, "P(pop) needed to report a pop");
        f("pop_chain_threshold", &DetectorConfig::pop_chain_threshold, 0, 1,
          "P(pop) needed by a candidate chained to a pop that reached pop_threshold");
        f("pop_chain_span_s", &DetectorConfig::pop_chain_span_s, 0, 1, "...within this of it, s");
        d.fields.push_back(number("pop_early_trees", &Config::detector, &DetectorConfig::pop_early_trees, 0, 100000,
                                  "the pop model stops after this many trees on a candidate still under "
                                  "pop_early_give_up (0: always every tree)"));
        f("pop_early_give_up", &DetectorConfig::pop_early_give_up, -100, 0,
          "log-odds under which the pop model stops early");
        f("dual_pop_threshold", &DetectorConfig::dual_pop_threshold, 0, 1,
          "P(pop) needed with an air reference (dual model)");
        f("dual_pop_chain_threshold", &DetectorConfig::dual_pop_chain_threshold, 0, 1,
          "...by a candidate chained to a pop that reached dual_pop_threshold");
        f("clunk_threshold", &DetectorConfig::clunk_threshold, 0, 1, "P(clunk) needed to report a clunk");
        d.fields.push_back(number("clunk_early_trees", &Config::detector, &DetectorConfig::clunk_early_trees, 0, 100000,
                                  "the clunk model stops after this many trees on a candidate still under "
                                  "clunk_early_give_up (0: always every tree)"));
        f("clunk_early_give_up", &DetectorConfig::clunk_early_give_up, -100, 0,
          "log-odds under which the clunk model stops early");
        f("clunk_merge_s", &DetectorConfig::clunk_merge_s, 0, 10, "clunks closer than this are one thud, s");
        f("episode_gap_s", &DetectorConfig::episode_gap_s, 0.01, 3600, "pops closer than this are one episode, s");
        d.fields.push_back(flag("quick", &Config::detector, &DetectorConfig::quick,
                                "decide quick_lookahead_s after each onset (listen --quick): ~25 ms to a printed pop, "
                                "less accurate"));
        f("quick_lookahead_s", &DetectorConfig::quick_lookahead_s, 0.01, 5,
          "quick: audio after an onset seen before deciding, s (the quick models were trained at 0.012)");
        f("quick_pop_threshold", &DetectorConfig::quick_pop_threshold, 0, 1, "quick: P(pop) needed to report a pop");
        f("quick_clunk_threshold", &DetectorConfig::quick_clunk_threshold, 0, 1,
          "quick: P(clunk) needed to report a clunk");
        s.push_back(std::move(d));
        return s;
    }();
    return all;
}

// A new DetectorConfig field must be added to the [detector] table above.
static_assert(sizeof(DetectorConfig) == 29 * sizeof(float) + 2 * sizeof(int) + alignof(float),  // and `quick`
              "add the new DetectorConfig field to config.cpp");

std::string where(const fs::path& file, const toml::source_region& source) {
    return fmt::format("{}:{}", file.string(), source.begin.line);
}

}  // namespace

fs::path Config::db_path() const { return history.db.empty() ? default_db_path() : fs::path(history.db); }

fs::path default_config_path() {
    const char* config = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    const fs::path base = config && *config ? fs::path(config)
                          : home && *home   ? fs::path(home) / ".config"
                                            : fs::temp_directory_path();
    return base / "popwatch" / "config.toml";
}

Config parse_config(const std::string& text, const fs::path& name) {
    Config c;
    c.file = name;
    c.file_found = true;
    toml::table root;
    try {
        root = toml::parse(text, name.string());
    } catch (const toml::parse_error& e) {
        throw ConfigError(fmt::format("{}: {}", where(name, e.source()), e.description()));
    }
    for (auto&& [section_key, section_node] : root) {
        const std::string section_name(section_key.str());
        const auto& all = sections();
        const auto section =
            std::find_if(all.begin(), all.end(), [&](const Section& s) { return s.name == section_name; });
        if (section == all.end()) {
            std::string known;
            for (const auto& s : all) known += (known.empty() ? "" : ", ") + s.name;
            throw ConfigError(fmt::format("{}: unknown table [{}] (known: {})", where(name, section_node.source()),
                                          section_name, known));
        }
        const auto* table = section_node.as_table();
        if (!table)
            throw ConfigError(fmt::format("{}: {} must be a table: [{}]", where(name, section_node.source()),
                                          section_name, section_name));
        for (auto&& [key, node] : *table) {
            const std::string key_name(key.str());
            const auto field = std::find_if(section->fields.begin(), section->fields.end(),
                                            [&](const Field& f) { return f.name == key_name; });
            if (field == section->fields.end()) {
                std::string known;
                for (const auto& f : section->fields) known += (known.empty() ? "" : ", ") + f.name;
                throw ConfigError(fmt::format("{}: unknown key {}.{} (known in [{}]: {})", where(name, key.source()),
                                              section_name, key_name, section_name, known));
            }
            const std::string problem = field->set(c, node);
            if (!problem.empty())
                throw ConfigError(
                    fmt::format("{}: {}.{} {}", where(name, node.source()), section_name, key_name, problem));
        }
    }
    return c;
}

Config load_config(const fs::path& path) {
    const fs::path file = path.empty() ? default_config_path() : path;
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        if (!path.empty()) throw ConfigError(file.string() + ": no such config file");
        Config c;
        c.file = file;
        return c;
    }
    std::ifstream in(file);
    if (!in) throw ConfigError(file.string() + ": cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), file);
}

std::string to_toml(const Config& c) {
    std::string out;
    for (const auto& section : sections()) {
        out += fmt::format("\n# {}\n[{}]\n", section.doc, section.name);
        for (const auto& f : section.fields) {
            const std::string line = f.name + " = " + f.show(c);
            out += fmt::format("{:<40} # {}\n", line, f.doc);
        }
    }
    return out;
}

}  // namespace popwatch::habits

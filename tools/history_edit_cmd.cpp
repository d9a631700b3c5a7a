// `popwatch tag`, `popwatch forget`, `popwatch export`: correct, delete and take out history.
#include <fmt/format.h>

#include <cstdio>

#include "habits/local_time.hpp"
#include "tools/commands.hpp"
#include "tools/habits_support.hpp"

namespace popwatch {
namespace {

struct TagOptions {
    HabitsOptions habits;
    bool last = false;
    std::int64_t id = 0;
    std::string site;
};

int tag(const TagOptions& o) {
    if (o.last == (o.id != 0)) throw std::invalid_argument("give either --last or --id N");
    if (o.site.empty() || o.site.find(',') != std::string::npos)
        throw std::invalid_argument("SITE must be a name such as upper-back (no commas)");
    const auto config = load_config(o.habits);
    auto store = open_store(o.habits, config, habits::Access::write);
    const auto event = o.last ? store.last_event() : store.event(o.id);
    if (!event) {
        std::fprintf(stderr, "popwatch tag: %s\n",
                     o.last ? "the history holds no pop or clunk yet" : fmt::format("no event {}", o.id).c_str());
        return exit_usage;
    }
    // --last means the last act of cracking: the whole episode. --id means that event only.
    const int changed = store.tag(event->id, o.site, o.last);
    const std::string what =
        fmt::format("event {} ({} at {})", event->id, kind_name(event->kind), habits::iso8601(event->time));
    if (changed == 0)
        std::printf("%s is already at %s\n", what.c_str(), o.site.c_str());
    else
        std::printf("%s: %s -> %s%s\n", what.c_str(), event->site.c_str(), o.site.c_str(),
                    changed > 1 ? fmt::format(", with {} more pops of its episode", changed - 1).c_str() : "");
    return exit_ok;
}

struct ForgetOptions {
    HabitsOptions habits;
    std::string day;
    bool all = false;
};

int forget(const ForgetOptions& o) {
    if (o.all == !o.day.empty()) throw std::invalid_argument("give either --day YYYY-MM-DD or --all");
    const auto config = load_config(o.habits);
    const auto path = db_path(o.habits, config);
    if (!std::filesystem::exists(path)) {
        std::printf("nothing to forget: %s does not exist\n", path.c_str());
        return exit_ok;
    }
    auto store = open_store(o.habits, config, habits::Access::write);
    if (o.all) {
        store.forget_all();
        std::printf("forgot everything in %s\n", path.c_str());
    } else {
        const auto date = habits::LocalDate::parse(o.day);
        if (!date) throw std::invalid_argument("--day: \"" + o.day + "\" is not a date YYYY-MM-DD");
        const int n = store.forget(habits::local_midnight(*date), habits::local_day_end(*date));
        std::printf("forgot %d event%s and the monitored time of %s\n", n, n == 1 ? "" : "s", date->iso().c_str());
    }
    return exit_ok;
}

struct ExportOptions {
    HabitsOptions habits;
    bool json = false, csv = false;
    int days = 0;
};

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

int export_history(const ExportOptions& o) {
    const auto config = load_config(o.habits);
    const auto store = open_store(o.habits, config, habits::Access::read);
    const double to = habits::now_s() + 86400 * 366.0;  // anything recorded, even ahead of the clock
    const double from =
        o.days > 0 ? habits::local_midnight(habits::local_date(habits::now_s()).plus_days(-(o.days - 1))) : 0;
    const auto events = store.events_between(from, to);
    if (o.csv) {
        std::string out = "id,time,unix_s,kind,confidence,site,position_cm,episode,source,duration_s\n";
        for (const auto& e : events)
            out += fmt::format("{},{},{:.3f},{},{:.3f},{},{},{},{},{:.4f}\n", e.id, habits::iso8601(e.time), e.time,
                               kind_name(e.kind), e.confidence, csv_field(e.site),
                               std::isfinite(e.position_cm) ? fmt::format("{:g}", e.position_cm) : "",
                               e.episode ? std::to_string(e.episode) : "", csv_field(e.source), e.duration_s);
        std::fputs(out.c_str(), stdout);
        return exit_ok;
    }
    nlohmann::json j = {{"schema_version", habits::HistoryStore::schema_version},
                        {"events", nlohmann::json::array()},
                        {"intervals", nlohmann::json::array()}};
    for (const auto& e : events)
        j["events"].push_back({{"id", e.id},
                               {"time", habits::iso8601(e.time)},
                               {"unix_s", e.time},
                               {"kind", kind_name(e.kind)},
                               {"confidence", e.confidence},
                               {"site", e.site},
                               {"position_cm", std::isfinite(e.position_cm) ? nlohmann::json(e.position_cm) : nullptr},
                               {"episode", e.episode ? nlohmann::json(e.episode) : nullptr},
                               {"source", e.source},
                               {"duration_s", e.duration_s}});
    for (const auto& i : store.intervals_between(from, to))
        j["intervals"].push_back({{"source", i.source},
                                  {"start", habits::iso8601(i.start)},
                                  {"end", habits::iso8601(i.end)},
                                  {"seconds", i.end - i.start}});
    std::printf("%s\n", j.dump(2).c_str());
    return exit_ok;
}

}  // namespace

void register_tag(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<TagOptions>();
    CLI::App* cmd = app.add_subcommand("tag", "Correct where an event happened: tag --last SITE, or tag --id N SITE");
    cmd->add_flag("--last", o->last, "The latest pop or clunk (with the rest of its episode)");
    cmd->add_option("--id", o->id, "The event with this id (see popwatch export)")->check(CLI::PositiveNumber);
    cmd->add_option("site", o->site, "The site, e.g. upper-back, neck, knuckles")->required();
    add_habits_options(cmd, o->habits);
    cmd->callback([o, &exit_code] { exit_code = run_guarded("tag", [&] { return tag(*o); }); });
}

void register_forget(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ForgetOptions>();
    CLI::App* cmd = app.add_subcommand("forget", "Delete history for good: forget --day YYYY-MM-DD, or forget --all");
    cmd->footer(
        "The rows are deleted, the database is vacuumed and its write-ahead log truncated, so the\n"
        "deleted events are no longer in the files.");
    cmd->add_option("--day", o->day, "A local day, YYYY-MM-DD");
    cmd->add_flag("--all", o->all, "Everything");
    add_habits_options(cmd, o->habits);
    cmd->callback([o, &exit_code] { exit_code = run_guarded("forget", [&] { return forget(*o); }); });
}

void register_export(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ExportOptions>();
    CLI::App* cmd =
        app.add_subcommand("export", "Write the history: export --json or export --csv (one row per event)");
    auto* json = cmd->add_flag("--json", o->json, "JSON: {schema_version, events: [...], intervals: [...]}");
    cmd->add_flag("--csv", o->csv, "CSV: id,time,unix_s,kind,confidence,site,position_cm,episode,source,duration_s")
        ->excludes(json);
    cmd->add_option("--days", o->days, "Only the last N days (default: everything)")->check(CLI::PositiveNumber);
    add_habits_options(cmd, o->habits);
    cmd->callback([o, &exit_code] {
        if (!o->json && !o->csv) {
            std::fprintf(stderr, "popwatch export: give --json or --csv\n");
            exit_code = exit_usage;
            return;
        }
        exit_code = run_guarded("export", [&] { return export_history(*o); });
    });
}

}  // namespace popwatch

// `popwatch today` and `popwatch history`: a day against the guidance, and a day per row.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "habits/monitor.hpp"
#include "tools/commands.hpp"
#include "tools/habits_support.hpp"

namespace popwatch {
namespace {

constexpr long max_streak_days = 400;  // how far back streaks look

std::string hours(double seconds) {
    const long minutes = std::lround(seconds / 60);
    if (seconds < 60) return fmt::format("{:.0f} s", seconds);
    return minutes < 60 ? fmt::format("{} min", minutes) : fmt::format("{} h {:02} min", minutes / 60, minutes % 60);
}

// Wraps a paragraph at `width` columns, each line indented by two spaces.
std::string wrap(const std::string& text, std::size_t width = 100) {
    std::string out, line = " ";
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        const std::string word = text.substr(start, end - start);
        if (line.size() > 1 && line.size() + 1 + word.size() > width) out += line + "\n", line = " ";
        line += " " + word;
        start = end + 1;
    }
    return out + line + "\n";
}

std::string plural(int n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

// The days from the first in the history (at most max_streak_days back) to `last`.
std::vector<habits::DaySummary> days_up_to(const habits::HistoryStore& store, const habits::LocalDate& last,
                                           const habits::Guidance& g, long at_least = 1) {
    habits::LocalDate first = last.plus_days(-(at_least - 1));
    if (const auto t = store.first_time()) {
        const habits::LocalDate start = std::max(habits::local_date(*t), last.plus_days(-(max_streak_days - 1)));
        first = std::min(first, start);
    }
    if (first > last) first = last;
    return habits::summarize_days(store, first, last, g);
}

// Streaks start on the first day the history knows (no history, no streak).
habits::Streaks streaks_in(const habits::HistoryStore& store, std::span<const habits::DaySummary> days) {
    const auto t = store.first_time();
    if (!t) return {};
    const auto start = habits::local_date(*t);
    while (!days.empty() && days.front().date < start) days = days.subspan(1);
    return habits::streaks(days);
}

struct TodayOptions {
    HabitsOptions habits;
    std::string date;
    bool json = false;
};

int today(const TodayOptions& o) {
    const auto config = load_config(o.habits);
    const auto date = date_or_today(o.date);
    const auto store = open_store(o.habits, config, habits::Access::read);
    const auto days = days_up_to(store, date, config.guidance, 14);
    const auto& d = days.back();
    const auto s = streaks_in(store, days);
    const auto t = habits::trend(days);
    if (o.json) {
        auto j = day_json(d);
        j["streak"] = {{"current", s.current}, {"longest", s.longest}};
        j["trend"] = {{"this_week", t.this_week}, {"last_week", t.last_week}};
        j["advice"] = habits::advice();
        std::printf("%s\n", j.dump(2).c_str());
        return exit_ok;
    }
    static constexpr const char* weekdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                               "Friday", "Saturday", "Sunday"};
    std::string out =
        fmt::format("{} {}: {} ({}), {}. Limit {}: {}.\n", weekdays[d.date.weekday()], d.date.iso(),
                    plural(d.episodes, "episode", "episodes"), plural(d.pops, "pop", "pops"),
                    plural(d.clunks, "clunk", "clunks"), d.limit, d.over_limit ? "over the limit" : "within the limit");
    if (!d.by_site.empty()) {
        out += "  where:     ";
        bool first = true;
        for (const auto& [site, c] : d.by_site) {
            out += fmt::format("{}{} {}", first ? "" : ", ", site,
                               c.episodes || c.pops ? plural(c.episodes, "episode", "episodes") : std::string{});
            if (c.clunks)
                out += fmt::format("{}{}", c.episodes || c.pops ? " + " : "", plural(c.clunks, "clunk", "clunks"));
            first = false;
        }
        out += "\n";
    }
    std::string when;
    for (std::size_t h = 0; h < 24; ++h)
        if (d.by_hour[h]) when += fmt::format("{}{:02}h {}", when.empty() ? "" : ", ", h, d.by_hour[h]);
    if (!when.empty()) out += "  when:      " + when + "\n";
    out += fmt::format("  monitored: {}{}\n", hours(d.monitored_s),
                       d.monitored_s >= 600
                           ? fmt::format(" ({:.2f} episodes per hour)", d.episodes / (d.monitored_s / 3600))
                           : std::string{});
    out += fmt::format("  streak:    {} within the limit (longest {}); {}\n", plural(s.current, "day", "days"),
                       s.longest, t.text());
    for (const auto& w : d.warnings) out += fmt::format("  warning {}: {}\n", habits::local_hhmm(w.time), w.title);
    for (const auto rule : {habits::Rule::clunk, habits::Rule::same_site})
        for (const auto& w : d.warnings)
            if (w.rule == rule) {
                out += wrap(w.message);
                break;
            }
    out += wrap(habits::advice());
    std::fputs(out.c_str(), stdout);
    return exit_ok;
}

struct HistoryOptions {
    HabitsOptions habits;
    int days = 14;
    bool json = false, csv = false;
};

int history(const HistoryOptions& o) {
    const auto config = load_config(o.habits);
    const auto store = open_store(o.habits, config, habits::Access::read);
    const auto today = habits::local_date(habits::now_s());
    const auto days = habits::summarize_days(store, today.plus_days(-(o.days - 1)), today, config.guidance);
    if (o.json) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& d : days) rows.push_back(day_json(d));
        std::printf("%s\n", rows.dump(2).c_str());
        return exit_ok;
    }
    std::string out;
    if (o.csv) {
        out = "date,episodes,pops,clunks,limit,over_limit,monitored_s,warnings\n";
        for (const auto& d : days)
            out += fmt::format("{},{},{},{},{},{},{:.1f},{}\n", d.date.iso(), d.episodes, d.pops, d.clunks, d.limit,
                               d.over_limit ? "true" : "false", d.monitored_s, d.warnings.size());
    } else {
        static constexpr const char* weekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
        out = fmt::format("{:<15} {:>8} {:>5} {:>6}  {:<12} {}\n", "date", "episodes", "pops", "clunks", "monitored",
                          "top site");
        for (const auto& d : days) {
            std::string top;
            int best = 0;
            for (const auto& [site, c] : d.by_site)
                if (c.episodes > best) best = c.episodes, top = site;
            out += fmt::format("{} {} {:>8} {:>5} {:>6}  {:<12} {}\n", weekdays[d.date.weekday()], d.date.iso(),
                               fmt::format("{}{}", d.over_limit ? "! " : "", d.episodes), d.pops, d.clunks,
                               d.monitored_s > 0 ? hours(d.monitored_s) : "-", top);
        }
        const auto s = streaks_in(store, days_up_to(store, today, config.guidance));
        // Per site over the period, and where on the spine located pops concentrate (issue #6).
        std::map<std::string, habits::SiteCounts> sites;
        std::vector<float> positions;
        for (const auto& d : days) {
            for (const auto& [site, c] : d.by_site) {
                auto& s = sites[site];
                s.episodes += c.episodes, s.pops += c.pops, s.clunks += c.clunks;
            }
            positions.insert(positions.end(), d.pop_positions_cm.begin(), d.pop_positions_cm.end());
        }
        if (!sites.empty()) {
            out += "by site:";
            for (const auto& [site, c] : sites)
                out += fmt::format(" {} {} ep / {} pops / {} clunks;", site, c.episodes, c.pops, c.clunks);
            out += "\n";
        }
        if (!positions.empty()) {
            std::sort(positions.begin(), positions.end());
            const auto at = [&](double q) { return positions[static_cast<std::size_t>(q * (positions.size() - 1))]; };
            out += fmt::format("along the spine: {} located pops, half between {:.1f} and {:.1f} cm (median {:.1f})\n",
                               positions.size(), at(0.25), at(0.75), at(0.5));
        }
        out += fmt::format("limit {} episodes a day (! = over); streak {} (longest {})\n", config.guidance.daily_limit,
                           plural(s.current, "day", "days"), s.longest);
    }
    std::fputs(out.c_str(), stdout);
    return exit_ok;
}

}  // namespace

void register_today(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<TodayOptions>();
    CLI::App* cmd = app.add_subcommand("today", "Today's episodes, pops and clunks against the daily limit");
    cmd->footer(
        "JSON fields: date, episodes, pops, clunks, limit, over_limit, by_site {site: {episodes, pops, clunks}},\n"
        "by_hour [24 episode counts by local start hour], monitored_s, warnings [{time, rule, site, count,\n"
        "event_id, title, message}], streak {current, longest}, trend {this_week, last_week}, advice.\n"
        "Days are local calendar days (midnight to midnight in your time zone).");
    cmd->add_option("--date", o->date, "Another day, YYYY-MM-DD (local)");
    cmd->add_flag("--json", o->json, "JSON instead of text");
    add_habits_options(cmd, o->habits);
    cmd->callback([o, &exit_code] { exit_code = run_guarded("today", [&] { return today(*o); }); });
}

void register_history(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<HistoryOptions>();
    CLI::App* cmd = app.add_subcommand("history", "A day per row: episodes, pops, clunks, monitored time");
    cmd->add_option("--days", o->days, "How many days, ending today")
        ->capture_default_str()
        ->check(CLI::Range(1, 3660));
    auto* json = cmd->add_flag("--json", o->json, "JSON: an array of the objects `today --json` prints");
    cmd->add_flag("--csv", o->csv, "CSV: date,episodes,pops,clunks,limit,over_limit,monitored_s,warnings")
        ->excludes(json);
    add_habits_options(cmd, o->habits);
    cmd->callback([o, &exit_code] { exit_code = run_guarded("history", [&] { return history(*o); }); });
}

}  // namespace popwatch

#include "habits/rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace popwatch::habits {

std::string_view rule_name(Rule rule) {
    switch (rule) {
        case Rule::daily_limit:
            return "daily_limit";
        case Rule::same_site:
            return "same_site";
        case Rule::clunk:
            return "clunk";
    }
    return "daily_limit";
}

std::string Warning::key() const {
    return rule == Rule::same_site ? fmt::format("{}:{}", rule_name(rule), site) : std::string(rule_name(rule));
}

std::vector<Episode> episodes_of(std::span<const HistoryEvent> events) {
    std::vector<Episode> out;
    std::map<std::int64_t, std::size_t> index;
    for (const auto& e : events) {
        if (e.kind != Kind::pop || e.episode == 0) continue;
        const auto [it, fresh] = index.try_emplace(e.episode, out.size());
        if (fresh) out.push_back({e.episode, e.episode_start, e.site, 0});
        ++out[it->second].pops;
    }
    return out;
}

void group_episodes(std::vector<HistoryEvent>& events, double gap_s) {
    const HistoryEvent* last = nullptr;
    std::int64_t episode = 0;
    double start = 0;
    for (auto& e : events) {
        if (e.kind != Kind::pop) continue;
        if (!last || e.time - last->time >= gap_s) episode = e.id, start = e.time;
        e.episode = episode;
        e.episode_start = start;
        last = &e;
    }
}

namespace {

std::string plural(int n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// What every warning says about the event that triggered it.
Warning about(Rule rule, const HistoryEvent& e, int count) {
    Warning w;
    w.rule = rule;
    w.time = e.time;
    w.event_id = e.id;
    w.site = e.site;
    w.count = count;
    return w;
}

Warning limit_warning(const HistoryEvent& e, int count, const Guidance& g) {
    Warning w = about(Rule::daily_limit, e, count);
    w.title =
        fmt::format("{} of cracking today, over your limit of {}", plural(count, "episode", "episodes"), g.daily_limit);
    w.message = fmt::format(
        "The usual guidance is to pop a joint at most once or twice a day. Instead of the next one: stand up "
        "and move (every 30 minutes), lean back over the chair for an extension stretch, and strengthen the "
        "core (bird-dogs, planks). {}",
        not_medical_advice);
    return w;
}

Warning same_site_warning(const HistoryEvent& e, int count, const Guidance& g) {
    Warning w = about(Rule::same_site, e, count);
    w.title = fmt::format("{} at {} within {:g} minutes", plural(count, "episode", "episodes"), e.site,
                          g.same_site_window_min);
    w.message = fmt::format(
        "Popping the same spot again and again suggests that segment moves too easily (hypermobility or "
        "instability) rather than being stiff; a joint that has popped cannot pop again for about 20 "
        "minutes. Stretch the stiff areas around it and strengthen the core; if the urge keeps coming "
        "back, ask a physiotherapist. {}",
        not_medical_advice);
    return w;
}

Warning clunk_warning(const HistoryEvent& e) {
    Warning w = about(Rule::clunk, e, 1);
    w.title =
        e.site == "unknown" ? std::string("A clunk, not a pop") : fmt::format("A clunk, not a pop, at {}", e.site);
    w.message = fmt::format(
        "A dull clunk rather than a pop is a reason to stop cracking that joint. See a health professional "
        "if there is pain, numbness or tingling; loss of bladder or bowel control needs help at once. {}",
        not_medical_advice);
    return w;
}

}  // namespace

std::vector<Warning> judge(std::span<const HistoryEvent> events, const Guidance& g) {
    std::vector<Warning> out;
    std::set<std::int64_t> seen_episodes;
    std::map<long, int> episodes_per_day;                       // local day -> episodes started
    std::map<std::string, std::vector<double>> starts_by_site;  // episode starts per named site
    std::map<std::string, double> last_note;                    // warning key -> time
    const double window_s = g.same_site_window_min * 60, repeat_s = g.repeat_note_after_min * 60;
    const auto may_note = [&](const std::string& key, double t) {
        const auto it = last_note.find(key);
        return it == last_note.end() || t - it->second >= repeat_s;
    };

    for (const auto& e : events) {
        if (e.kind == Kind::clunk) {
            Warning w = clunk_warning(e);
            if (may_note(w.key(), e.time)) {
                last_note[w.key()] = e.time;
                out.push_back(std::move(w));
            }
            continue;
        }
        if (e.kind != Kind::pop || e.episode == 0 || !seen_episodes.insert(e.episode).second) continue;

        // A new episode: it counts on the local day of its first pop.
        const long day = local_date(e.episode_start).days_since_epoch();
        const int count = ++episodes_per_day[day];
        const int over = count - (g.daily_limit + 1);
        if (over == 0 || (over > 0 && g.repeat_every > 0 && over % g.repeat_every == 0))
            out.push_back(limit_warning(e, count, g));

        if (e.site.empty() || e.site == "unknown") continue;
        auto& starts = starts_by_site[e.site];
        starts.push_back(e.episode_start);
        const auto in_window =
            std::count_if(starts.begin(), starts.end(), [&](double s) { return e.episode_start - s < window_s; });
        if (in_window >= g.same_site_episodes) {
            Warning w = same_site_warning(e, static_cast<int>(in_window), g);
            if (may_note(w.key(), e.time)) {
                last_note[w.key()] = e.time;
                out.push_back(std::move(w));
            }
        }
    }
    return out;
}

DaySummary summarize_day(const LocalDate& date, std::span<const HistoryEvent> events, double monitored_s,
                         const Guidance& g) {
    DaySummary d;
    d.date = date;
    d.limit = g.daily_limit;
    d.monitored_s = monitored_s;
    const double from = local_midnight(date), to = local_day_end(date);
    std::set<std::int64_t> counted;
    for (const auto& e : events) {
        if (e.time < from || e.time >= to) continue;
        if (e.kind == Kind::clunk) {
            ++d.clunks;
            ++d.by_site[e.site].clunks;
        } else if (e.kind == Kind::pop) {
            ++d.pops;
            ++d.by_site[e.site].pops;
            if (std::isfinite(e.position_cm)) d.pop_positions_cm.push_back(e.position_cm);
            if (e.episode_start >= from && e.episode != 0 && counted.insert(e.episode).second) {
                ++d.episodes;
                ++d.by_site[e.site].episodes;
                ++d.by_hour[static_cast<std::size_t>(local_hour(e.episode_start))];
            }
        }
    }
    d.over_limit = d.episodes > d.limit;
    for (auto& w : judge(events, g))
        if (w.time >= from && w.time < to) d.warnings.push_back(std::move(w));
    return d;
}

Streaks streaks(std::span<const DaySummary> days) {
    Streaks s;
    int run = 0;
    for (const auto& d : days) {
        run = d.over_limit ? 0 : run + 1;
        s.longest = std::max(s.longest, run);
    }
    s.current = run;
    return s;
}

Trend trend(std::span<const DaySummary> days) {
    Trend t;
    const std::size_t n = days.size();
    for (std::size_t i = 0; i < n && i < 14; ++i) {
        const auto& d = days[n - 1 - i];
        (i < 7 ? t.this_week : t.last_week) += d.episodes;
        (i < 7 ? t.this_week_monitored_h : t.last_week_monitored_h) += d.monitored_s / 3600;
    }
    return t;
}

std::string Trend::text() const {
    std::string s = fmt::format("this week {}, last week {}", plural(this_week, "episode", "episodes"), last_week);
    if (last_week > 0) {
        const double change = 100.0 * (this_week - last_week) / last_week;
        s += change == 0 ? ": no change" : fmt::format(": {} {:.0f} %", change < 0 ? "down" : "up", std::fabs(change));
    }
    return s;
}

std::string advice() {
    return fmt::format(
        "Better than cracking: move every 30 minutes; extension stretches (lean back over the chair back, a "
        "foam roller across the mid-back); strengthen the core (bird-dogs, planks). The pop is gas in the "
        "joint fluid (cavitation), not bones going back into place. {}",
        not_medical_advice);
}

}  // namespace popwatch::habits

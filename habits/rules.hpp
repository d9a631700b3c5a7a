// The guidance rules, in one reviewed place. Pure functions over time-ordered event sequences:
// no database, no clock of their own (times come with the events; the local zone through
// local_time.hpp), so every rule is tested on hand-made sequences.
//
// Where the numbers come from (../shared/seeds/, docs/mission.md):
// - self-popping at most once or twice a day; the guidance counts episodes (acts of cracking);
// - "constantly popping the same spot every twenty minutes" suggests hyper-mobilising one
//   segment (instability), not stiffness; a joint that popped cannot pop again for ~20 minutes;
// - a clunk rather than a pop, pain, numbness or tingling are reasons to stop and see a
//   professional; loss of bladder or bowel control is an emergency;
// - better than popping: move every 30 minutes, extension stretches, strengthen the core.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "habits/local_time.hpp"
#include "habits/store.hpp"

namespace popwatch::habits {

struct Guidance {
    int daily_limit = 2;                // episodes per local day: "at most once or twice a day"
    int repeat_every = 3;               // after crossing the limit, warn again every this many more episodes
    int same_site_episodes = 3;         // this many episodes at one site ...
    double same_site_window_min = 60;   // ... within this many minutes give the instability note
    double repeat_note_after_min = 60;  // a same-site or clunk note repeats only after this long
};

enum class Rule { daily_limit, same_site, clunk };
std::string_view rule_name(Rule rule);  // "daily_limit", "same_site", "clunk"

struct Warning {
    Rule rule = Rule::daily_limit;
    double time = 0;            // the moment it applied: the onset of the event that triggered it
    std::int64_t event_id = 0;  // that event
    std::string site;           // same_site, clunk: where
    int count = 0;              // daily_limit: episodes that day; same_site: episodes in the window
    std::string title;          // one line
    std::string message;        // short, factual, ends with "Information, not medical advice."
    std::string key() const;    // what a notification cooldown is per: the rule (and site)
};

// An act of cracking: pops sharing an episode id.
struct Episode {
    std::int64_t id = 0;
    double start = 0;  // first pop (the episode counts on this local day)
    std::string site;  // of its first pop
    int pops = 0;
};
// The episodes of `events` (time order), in order of their first pop seen.
std::vector<Episode> episodes_of(std::span<const HistoryEvent> events);

// Sets episode ids (the id of the first pop) and starts on a time-ordered sequence: pops closer
// than `gap_s` are one episode. The store does the same on insert; tests build sequences with it.
void group_episodes(std::vector<HistoryEvent>& events, double gap_s);

// Replays `events` (time order, any span) and returns every warning the rules give, each at the
// moment it applied:
// - daily_limit when a local day's episode count first exceeds the limit, then again only at
//   limit + 1 + k * repeat_every;
// - same_site when an episode makes `same_site_episodes` at one named site within the window
//   (site "unknown" is not a spot: an ambient microphone cannot tell);
// - clunk at a clunk.
// A same-site or clunk note is not repeated within `repeat_note_after_min`. To judge a day, pass
// its events from `same_site_window_min` before its midnight.
std::vector<Warning> judge(std::span<const HistoryEvent> events, const Guidance& guidance);

struct SiteCounts {
    int episodes = 0, pops = 0, clunks = 0;
};

struct DaySummary {
    LocalDate date;
    int episodes = 0, pops = 0, clunks = 0;
    int limit = 0;
    bool over_limit = false;
    std::map<std::string, SiteCounts> by_site;
    std::array<int, 24> by_hour{};        // episodes by the local hour they started
    std::vector<float> pop_positions_cm;  // pops located along the spine (multi-sensor, issue #6)
    double monitored_s = 0;
    std::vector<Warning> warnings;  // those that applied during the day
};

// `events` as for judge(): the day's events, optionally preceded by the window before midnight.
DaySummary summarize_day(const LocalDate& date, std::span<const HistoryEvent> events, double monitored_s,
                         const Guidance& guidance);

// Consecutive days within the limit. `days`: contiguous, oldest first, the last one today (days
// without data count as within the limit, as habit trackers do).
struct Streaks {
    int current = 0;  // ending with the last day
    int longest = 0;
};
Streaks streaks(std::span<const DaySummary> days);

// This week (the last 7 days) against the 7 before.
struct Trend {
    int this_week = 0, last_week = 0;
    double this_week_monitored_h = 0, last_week_monitored_h = 0;
    std::string text() const;  // "this week 9 episodes, last week 14: down 36 %"
};
Trend trend(std::span<const DaySummary> days);

// Short, factual advice from the seeds, and the line every piece of advice ends with.
std::string advice();
inline constexpr std::string_view not_medical_advice = "Information, not medical advice.";

}  // namespace popwatch::habits

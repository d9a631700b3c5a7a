// What `listen` (and any other live source) calls for each event it hears, from its analysis
// thread (never the audio callback): record it in the history, judge the day with the rules,
// notify what is new, and keep the monitored time. The simplest use is LiveSession:
//
//   const habits::Config config = load_config(options);   // tools/habits_support.hpp: the config file with
//                                                         // --config, --db, --notify-command, --no-desktop
//                                                         // (add_habits_options + add_notify_options)
//   habits::LiveSession session(config, config.db_path(), "live");
//   ... for each pop or clunk (time_s from the stream start):
//       session.on_event(event, stream_start_unix_s, site.name, site.position_cm);
//   ... now and then (every block is fine; it writes at most once a minute):
//       session.tick();
//   ... the session's destructor (or end()) closes the monitored interval.
//
// Call a LiveSession from one thread. The parts, for other arrangements: HistoryStore
// (thread-safe: record_event, begin/extend/end_interval, flush), Notifier, Monitor.
#pragma once

#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "dsp/event.hpp"
#include "habits/config.hpp"
#include "habits/notify.hpp"
#include "habits/rules.hpp"
#include "habits/store.hpp"

namespace popwatch::habits {

// A detector event at an absolute time: `stream_start_s` is the unix time of the stream's first
// sample; `source` is "live" or a recording's path.
HistoryEvent history_event(const Event& event, double stream_start_s, const std::string& site, float position_cm,
                           const std::string& source);

// Summaries of local days from the store, oldest first: [first, last].
DaySummary summarize(const HistoryStore& store, const LocalDate& date, const Guidance& guidance);
std::vector<DaySummary> summarize_days(const HistoryStore& store, const LocalDate& first, const LocalDate& last,
                                       const Guidance& guidance);

class Monitor {
   public:
    // `episode_gap_s` must match the store's (it is used only while the database is busy).
    Monitor(HistoryStore& store, Guidance guidance, Notifier& notifier, float episode_gap_s = 2.0f);

    struct Outcome {
        RecordResult recorded;
        std::vector<std::pair<Warning, Disposition>> warnings;  // those this event triggered
    };
    // Records the event (committed, or queued when the database is busy), then notifies the
    // warnings it triggered. Never throws for database trouble (the store warns and retries).
    Outcome record(HistoryEvent event, double now);

   private:
    friend class LiveSession;
    HistoryStore& store_;
    Guidance guidance_;
    Notifier& notifier_;
    float episode_gap_s_;
};

// One listening session: the store (opened for writing; throws StoreError if it cannot be), the
// notifier, the rules and the monitored interval, from one Config.
class LiveSession {
   public:
    LiveSession(const Config& config, const std::filesystem::path& db, std::string source = "live",
                std::FILE* terminal = stderr);
    ~LiveSession();  // end()
    LiveSession(const LiveSession&) = delete;
    LiveSession& operator=(const LiveSession&) = delete;

    // A pop or clunk (kind other is ignored) at `stream_start_s + event.time_s`.
    Monitor::Outcome on_event(const Event& event, double stream_start_s, const std::string& site,
                              float position_cm = NAN);
    // Extends the monitored interval to `now` (at most once a minute) and retries queued writes.
    // Also watches the wall clock against `steady`, a clock that never jumps: when the wall clock
    // steps (NTP correcting it, the user setting it, the machine waking from sleep) by more than
    // `clock_step_s`, the interval ends where the old clock stood and a new one starts at the new
    // time, with one line on the terminal. Monitored time stays the time actually monitored and
    // events after the step carry the corrected clock. (Daylight saving time is not a step: the
    // history keeps unix time and only the local-day arithmetic knows zones.)
    void tick(double now, double steady);
    void tick() { tick(now_s(), steady_s()); }
    static constexpr double clock_step_s = 2;
    int clock_steps() const { return clock_steps_; }
    // The input went offline at `at` / came back at `now`: the gap is not monitored time (the
    // interval ends at `at`, a new one starts at `now`). Events may still be recorded meanwhile.
    void pause(double at);
    void resume(double now = now_s());
    // Ends the monitored interval at `now` and flushes; later calls do nothing.
    void end(double now = now_s());

    HistoryStore& store() { return store_; }

   private:
    HistoryStore store_;
    Notifier notifier_;
    Monitor monitor_;
    std::string source_;
    Interval interval_;
    double last_extended_ = 0;
    double last_wall_ = NAN, last_steady_ = NAN;  // the previous tick's clocks
    int clock_steps_ = 0;
    std::FILE* terminal_;
    bool paused_ = false;
    bool ended_ = false;
};

}  // namespace popwatch::habits

// What `listen` (and any other live source) calls for each event it hears, from its analysis
// thread: record it in the history, judge the day with the rules, notify what is new.
//
//   habits::Config config = habits::load_config();
//   habits::HistoryStore store(db_path, habits::Access::write, {.episode_gap_s = config.detector.episode_gap_s});
//   habits::Notifier notifier(config.notify, &store);
//   habits::Monitor monitor(store, config.guidance, notifier, config.detector.episode_gap_s);
//   auto interval = store.begin_interval("live", habits::now_s());
//   ... for each pop or clunk:  monitor.record(habits::live_event(event, stream_start_unix_s, site), habits::now_s());
//   ... every minute:           store.extend_interval(interval, habits::now_s());
//   ... at the end:             store.end_interval(interval, habits::now_s());
#pragma once

#include <utility>
#include <vector>

#include "dsp/event.hpp"
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
    HistoryStore& store_;
    Guidance guidance_;
    Notifier& notifier_;
    float episode_gap_s_;
};

}  // namespace popwatch::habits

#include "habits/monitor.hpp"

#include <algorithm>
#include <cmath>

namespace popwatch::habits {

HistoryEvent history_event(const Event& event, double stream_start_s, const std::string& site, float position_cm,
                           const std::string& source) {
    HistoryEvent h;
    h.time = stream_start_s + event.time_s;
    h.duration_s = event.duration_s;
    h.kind = event.kind;
    h.confidence = event.confidence;
    h.site = site.empty() ? "unknown" : site;
    h.position_cm = std::isfinite(event.position_cm) ? event.position_cm : position_cm;
    h.source = source;
    return h;
}

namespace {
// A day's events and those of the same-site window before its midnight (rules look back).
std::vector<HistoryEvent> day_events(const HistoryStore& store, const LocalDate& date, const Guidance& g) {
    const double from = local_midnight(date) - g.same_site_window_min * 60;
    return store.events_between(from, local_day_end(date));
}
}  // namespace

DaySummary summarize(const HistoryStore& store, const LocalDate& date, const Guidance& g) {
    return summarize_day(date, day_events(store, date, g), store.monitored_s(local_midnight(date), local_day_end(date)),
                         g);
}

std::vector<DaySummary> summarize_days(const HistoryStore& store, const LocalDate& first, const LocalDate& last,
                                       const Guidance& g) {
    std::vector<DaySummary> out;
    for (LocalDate d = first; d <= last; d = d.plus_days(1)) out.push_back(summarize(store, d, g));
    return out;
}

Monitor::Monitor(HistoryStore& store, Guidance guidance, Notifier& notifier, float episode_gap_s)
    : store_(store), guidance_(guidance), notifier_(notifier), episode_gap_s_(episode_gap_s) {}

Monitor::Outcome Monitor::record(HistoryEvent event, double now) {
    Outcome out;
    out.recorded = store_.record_event(event);
    if (event.kind == Kind::other || out.recorded.duplicate) return out;
    std::vector<HistoryEvent> events;
    try {
        events = day_events(store_, local_date(event.time), guidance_);
    } catch (const StoreError&) {
        // cannot read the day now: judge this event alone (a clunk still gets its note)
    }
    std::int64_t id = out.recorded.id;
    if (out.recorded.status == WriteStatus::queued) {
        // Not in the database yet: judge it with a provisional id, joining the last episode if close.
        id = -1;
        event.id = id;
        event.episode = 0;
        if (event.kind == Kind::pop) {
            event.episode = id;
            event.episode_start = event.time;
            for (auto it = events.rbegin(); it != events.rend(); ++it)
                if (it->kind == Kind::pop && it->time <= event.time) {
                    if (event.time - it->time < episode_gap_s_) {
                        event.episode = it->episode;
                        event.episode_start = it->episode_start;
                    }
                    break;
                }
        }
        events.push_back(event);
        std::stable_sort(events.begin(), events.end(),
                         [](const HistoryEvent& a, const HistoryEvent& b) { return a.time < b.time; });
    } else if (std::none_of(events.begin(), events.end(), [&](const HistoryEvent& e) { return e.id == id; })) {
        return out;  // committed but not readable back: nothing to judge against
    }
    for (auto& w : judge(events, guidance_))
        if (w.event_id == id) {
            const Disposition d = notifier_.notify(w, now);
            out.warnings.emplace_back(std::move(w), d);
        }
    return out;
}

namespace {
StoreOptions store_options(const Config& config) {
    StoreOptions o;
    o.busy_timeout_ms = config.history.busy_timeout_ms;
    o.episode_gap_s = config.detector.episode_gap_s;
    return o;
}
}  // namespace

LiveSession::LiveSession(const Config& config, const std::filesystem::path& db, std::string source, std::FILE* terminal)
    : store_(db, Access::write, store_options(config)),
      notifier_(config.notify, &store_, terminal),
      monitor_(store_, config.guidance, notifier_, config.detector.episode_gap_s),
      source_(std::move(source)),
      terminal_(terminal) {
    last_extended_ = last_wall_ = now_s();
    last_steady_ = steady_s();
    interval_ = store_.begin_interval(source_, last_extended_);
}

LiveSession::~LiveSession() { end(); }

Monitor::Outcome LiveSession::on_event(const Event& event, double stream_start_s, const std::string& site,
                                       float position_cm) {
    if (event.kind == Kind::other) return {};
    return monitor_.record(history_event(event, stream_start_s, site, position_cm, source_), now_s());
}

void LiveSession::tick(double now, double steady) {
    if (ended_) return;
    const double expected = last_wall_ + (steady - last_steady_);  // where the wall clock should be
    last_wall_ = now, last_steady_ = steady;
    if (std::isfinite(expected) && std::abs(now - expected) > clock_step_s) {
        ++clock_steps_;
        if (terminal_)
            std::fprintf(terminal_, "popwatch: the system clock stepped by %+.0f s; monitored time is kept apart\n",
                         now - expected);
        if (!paused_) {
            store_.end_interval(interval_, std::max(interval_.start, expected));
            interval_ = store_.begin_interval(source_, now);
        }
        last_extended_ = now;
        return;
    }
    if (paused_ || now - last_extended_ < 60) return;
    last_extended_ = now;
    store_.extend_interval(interval_, now);  // also writes anything queued
}

void LiveSession::pause(double at) {
    if (ended_ || paused_) return;
    paused_ = true;
    store_.end_interval(interval_, at);
}

void LiveSession::resume(double now) {
    if (ended_ || !paused_) return;
    paused_ = false;
    last_extended_ = now;
    interval_ = store_.begin_interval(source_, now);
}

void LiveSession::end(double now) {
    if (ended_) return;
    ended_ = true;
    if (!paused_) store_.end_interval(interval_, now);
    store_.flush();
}

}  // namespace popwatch::habits

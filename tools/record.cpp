#include "tools/record.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "habits/monitor.hpp"
#include "tools/commands.hpp"

namespace popwatch {

Recorder::Recorder(const HabitsOptions& options, const habits::Config& config)
    : store_(open_store(options, config, habits::Access::write)) {}

double parse_start(const std::string& text) {
    const auto t = habits::parse_iso8601(text);
    if (!t)
        throw std::invalid_argument("--start: \"" + text +
                                    "\" is not a time like 2026-11-20T09:00:00 (local), ...Z or ...+01:00");
    return *t;
}

void Recorder::record(const FileAnalysis& a, const SiteMap& sites, std::optional<double> start) {
    if (a.sample_rate <= 0) return;  // nothing could be read
    double t0 = 0;
    if (start) {
        t0 = *start;
    } else {
        struct stat st {};
        if (::stat(a.path.c_str(), &st) != 0) return;
        t0 = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9 - a.duration_s;
    }
    const std::string source = std::filesystem::absolute(a.path).lexically_normal().string();
    std::vector<habits::HistoryEvent> events;
    for (const Event& e : a.events) {
        if (e.kind == Kind::other) continue;
        const Site& site = sites.for_channel(e.channel);
        events.push_back(habits::history_event(e, t0, site.name, sites.position_cm(e), source));
    }
    const auto results = store_.record_events(events);
    auto interval = store_.begin_interval(source, t0);
    store_.end_interval(interval, t0 + a.duration_s);
    int fresh = 0, again = 0, waiting = 0;
    for (const auto& r : results) {
        if (r.status == habits::WriteStatus::queued)
            ++waiting;
        else
            ++(r.duplicate ? again : fresh);
    }
    if (waiting)
        std::fprintf(stderr, "%d event%s from %s waiting to be recorded (the database is busy)\n", waiting,
                     waiting == 1 ? "" : "s", a.path.c_str());
    else
        std::fprintf(stderr, "recorded %d event%s%s from %s at %s into %s\n", fresh, fresh == 1 ? "" : "s",
                     again ? (" (" + std::to_string(again) + " already there)").c_str() : "", a.path.c_str(),
                     habits::iso8601(t0).c_str(), store_.path().c_str());
}

int Recorder::finish() {
    // A lock held by another process is usually brief: retry for a few seconds before giving up.
    for (int attempt = 0; attempt < 5 && !store_.flush(); ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (store_.pending() == 0) return exit_ok;
    std::fprintf(stderr, "popwatch analyze: %zu write(s) could not be recorded: %s; run analyze --record again\n",
                 store_.pending(), store_.last_problem().c_str());
    return exit_failure;
}

}  // namespace popwatch

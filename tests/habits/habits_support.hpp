// Helpers for the habits tests: a time-zone guard, hand-made event sequences, scratch databases.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "habits/local_time.hpp"
#include "habits/rules.hpp"
#include "habits/store.hpp"

namespace popwatch::test {

// Sets TZ for the scope of a test (tzset), restoring the previous value.
class TimeZone {
   public:
    explicit TimeZone(const char* zone) {
        if (const char* old = std::getenv("TZ")) old_ = old, had_ = true;
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~TimeZone() {
        if (had_)
            ::setenv("TZ", old_.c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }
    TimeZone(const TimeZone&) = delete;
    TimeZone& operator=(const TimeZone&) = delete;

   private:
    std::string old_;
    bool had_ = false;
};

// Unix time of a local wall-clock time in the current TZ ("2026-11-20T09:00").
inline double at(const std::string& local) {
    const auto t = habits::parse_iso8601(local);
    if (!t) throw std::invalid_argument("bad test time " + local);
    return *t;
}

// A hand-made sequence: add pops and clunks, then finish() numbers ids and groups episodes.
struct Sequence {
    std::vector<habits::HistoryEvent> events;
    Sequence& pop(double t, const std::string& site = "unknown") { return add(t, Kind::pop, site); }
    Sequence& clunk(double t, const std::string& site = "unknown") { return add(t, Kind::clunk, site); }
    // An episode of `pops` pops 0.3 s apart.
    Sequence& episode(double t, const std::string& site = "unknown", int pops = 2) {
        for (int i = 0; i < pops; ++i) pop(t + 0.3 * i, site);
        return *this;
    }
    Sequence& add(double t, Kind kind, const std::string& site) {
        habits::HistoryEvent e;
        e.time = t;
        e.kind = kind;
        e.site = site;
        e.confidence = 0.9f;
        e.source = "test";
        events.push_back(e);
        return *this;
    }
    std::vector<habits::HistoryEvent> finish(double gap_s = 2.0) {
        std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
        for (std::size_t i = 0; i < events.size(); ++i) events[i].id = static_cast<std::int64_t>(i) + 1;
        habits::group_episodes(events, gap_s);
        return events;
    }
};

inline std::filesystem::path scratch(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("popwatch-habits-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

inline habits::StoreOptions quiet_options(std::vector<std::string>* warnings = nullptr, int busy_timeout_ms = 100) {
    habits::StoreOptions o;
    o.busy_timeout_ms = busy_timeout_ms;
    o.warn = [warnings](const std::string& w) {
        if (warnings) warnings->push_back(w);
    };
    return o;
}

}  // namespace popwatch::test

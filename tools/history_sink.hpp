// `listen`'s history: every pop and clunk goes into the SQLite history at its wall-clock time,
// the rules judge the day and notify, and the monitored time is kept (offline gaps excluded).
// No audio: events only.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "habits/monitor.hpp"
#include "tools/analysis.hpp"
#include "tools/monitor.hpp"

namespace popwatch {

class HistorySink : public Sink {
   public:
    // Opens the store for writing: throws habits::StoreError when it cannot be (read-only, ...).
    HistorySink(const habits::Config& config, const std::filesystem::path& db, const SiteMap& sites,
                std::FILE* terminal);

    void on_audio(std::span<const float> interleaved, double at_s, double rate, int channels) override;
    void on_event(const Event& event) override;
    void on_notice(const Notice& notice) override;
    void on_end(const SessionStats& stats) override;

   private:
    habits::LiveSession session_;
    const SiteMap& sites_;
    // wall clock = session time + offset_s_ (session times stand still while the input is
    // offline); see on_audio for how the offset is estimated.
    double offset_s_ = 0, last_session_end_s_ = 0;
    bool anchored_ = false;
};

}  // namespace popwatch

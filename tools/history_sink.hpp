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
    // The wall-clock time of the session time `anchor_session_s_` (the end of the latest block):
    // event times are session times, which stand still while the input is offline.
    double anchor_session_s_ = 0, anchor_wall_s_ = 0;
};

}  // namespace popwatch

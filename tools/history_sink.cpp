#include "tools/history_sink.hpp"

#include <cmath>

#include "habits/local_time.hpp"

namespace popwatch {

HistorySink::HistorySink(const habits::Config& config, const std::filesystem::path& db, const SiteMap& sites,
                         std::FILE* terminal)
    : session_(config, db, "live", terminal), sites_(sites), anchor_wall_s_(habits::now_s()) {}

void HistorySink::on_audio(std::span<const float> interleaved, double at_s, double rate, int channels) {
    anchor_session_s_ = at_s + static_cast<double>(interleaved.size() / static_cast<std::size_t>(channels)) / rate;
    anchor_wall_s_ = habits::now_s();
    session_.tick(anchor_wall_s_);
}

void HistorySink::on_event(const Event& event) {
    const Site& site = sites_.for_channel(event.channel);
    const float position = std::isfinite(event.position_cm) ? event.position_cm : site.position_cm;
    session_.on_event(event, anchor_wall_s_ - anchor_session_s_, site.name, position);
}

void HistorySink::on_notice(const Notice& notice) {
    if (notice.type == Notice::Type::offline)
        session_.pause(anchor_wall_s_);
    else if (notice.type == Notice::Type::online)
        session_.resume();
}

void HistorySink::on_end(const SessionStats&) { session_.end(); }

}  // namespace popwatch

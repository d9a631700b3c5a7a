#include "tools/history_sink.hpp"

#include <algorithm>
#include <cmath>

#include "habits/local_time.hpp"

namespace popwatch {

HistorySink::HistorySink(const habits::Config& config, const std::filesystem::path& db, const SiteMap& sites,
                         std::FILE* terminal)
    : session_(config, db, "live", terminal), sites_(sites) {}

void HistorySink::on_audio(std::span<const float> interleaved, double at_s, double rate, int channels) {
    const double session_end_s =
        at_s + static_cast<double>(interleaved.size() / static_cast<std::size_t>(channels)) / rate;
    const double wall_s = habits::now_s();
    // wall - session for this block is the true offset plus however late the block is being
    // analysed (ring backlog, a busy machine: up to the ring's 2 s). The earliest-analysed blocks
    // are closest to the truth, so keep the minimum, allowed to creep up at most `max_drift` (the
    // audio clock running slow against the system clock) and reset on a jump (clock step, new
    // segment after an offline gap).
    constexpr double max_drift = 500e-6, jump_s = habits::LiveSession::clock_step_s;
    const double measured = wall_s - session_end_s;
    if (!anchored_ || std::abs(measured - offset_s_) > jump_s)
        offset_s_ = measured, anchored_ = true;
    else
        offset_s_ = std::min(offset_s_ + max_drift * std::max(0.0, session_end_s - last_session_end_s_), measured);
    last_session_end_s_ = session_end_s;
    session_.tick(wall_s, habits::steady_s());
}

void HistorySink::on_event(const Event& event) {
    session_.on_event(event, offset_s_, sites_.for_channel(event.channel).name, sites_.position_cm(event));
}

void HistorySink::on_notice(const Notice& notice) {
    if (notice.type == Notice::Type::offline) {
        session_.pause(last_session_end_s_ + offset_s_);
    } else if (notice.type == Notice::Type::online) {
        session_.resume();
        anchored_ = false;  // a new segment: session time restarts from the steady clock
    }
}

void HistorySink::on_end(const SessionStats&) { session_.end(); }

}  // namespace popwatch

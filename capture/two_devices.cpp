#include "capture/two_devices.hpp"

#include <algorithm>
#include <cstdio>

namespace popwatch {

TwoDeviceInput::TwoDeviceInput(LiveInput& body, LiveInput& air, TwoDeviceOptions options)
    : body_(body), air_(air), options_(std::move(options)) {}

void TwoDeviceInput::open() {
    close();
    body_.open();
    try {
        air_.open();
        air_up_ = true;
        air_name_ = air_.name();
    } catch (const DeviceError& e) {
        if (!opened_once_) {  // the user asked for this device: say so rather than run without it
            body_.close();
            throw DeviceError(std::string("air microphone: ") + e.what());
        }
        air_up_ = false;  // a reopen after a body loss: carry on single-sensor, retry the air later
    }
    // Allocation happens here, not in read(): a new aligner per body stream (a new clock origin).
    AlignConfig align = options_.align;
    align.body_rate = body_.sample_rate();
    align.body_channels = body_.channels();
    if (air_up_) align.air_rate = air_.sample_rate();
    if (align.air_rate <= 0) align.air_rate = align.body_rate;
    aligner_ = std::make_unique<ClockAligner>(align);
    body_chunk_.assign(options_.chunk_frames * static_cast<std::size_t>(body_.channels()), 0);
    air_chunk_.assign(options_.chunk_frames * static_cast<std::size_t>(std::max(1, air_.channels())), 0);
    air_mono_.assign(options_.chunk_frames, 0);
    air_overflows_before_ = air_overruns_before_ = 0;
    last_state_ = AlignState::lost;
    air_sync_pending_ = air_up_;
    const auto now = Clock::now();
    air_beat_ = air_up_ ? air_.health().callbacks : 0;
    air_beat_at_ = now;
    air_beating_ = false;
    backoff_s_ = options_.retry_first_s;
    next_retry_ = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(backoff_s_));
    opened_once_ = true;
}

void TwoDeviceInput::close() noexcept {
    body_.close();
    if (air_up_) {
        const InputHealth h = air_.health();
        air_overflows_before_ += h.input_overflows;
        air_overruns_before_ += h.ring_overruns;
    }
    air_.close();
    air_up_ = false;
}

std::string TwoDeviceInput::name() const { return body_.name() + " + " + (air_name_.empty() ? "air" : air_name_); }

void TwoDeviceInput::air_down(const std::string& why) {
    const InputHealth h = air_.health();
    air_overflows_before_ += h.input_overflows;
    air_overruns_before_ += h.ring_overruns;
    air_.close();
    air_up_ = false;
    air_sync_pending_ = false;
    if (aligner_) aligner_->air_lost();
    last_state_ = AlignState::lost;
    notices_.push_back("air microphone offline — single-sensor mode (" + why + "); reopening it");
    backoff_s_ = options_.retry_first_s;
    next_retry_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(backoff_s_));
}

// The air device's health, as the monitor watches the body's: a stopped stream or a heartbeat
// that stalled means it is gone; while it is gone, reopen it with exponential backoff.
void TwoDeviceInput::watch_air() {
    const auto now = Clock::now();
    if (air_up_) {
        const InputHealth h = air_.health();
        if (h.callbacks != air_beat_) air_beat_ = h.callbacks, air_beat_at_ = now, air_beating_ = true;
        const double quiet_s = std::chrono::duration<double>(now - air_beat_at_).count();
        if (!h.running) {
            air_down("its stream stopped");
        } else if (quiet_s > (air_beating_ ? options_.stall_s : options_.start_grace_s)) {
            char why[64];
            std::snprintf(why, sizeof why, "no audio for %.1f s", quiet_s);
            air_down(why);
        }
        return;
    }
    if (now < next_retry_) return;
    try {
        air_.open();
    } catch (const DeviceError&) {
        backoff_s_ = std::min(backoff_s_ * 2, options_.retry_max_s);
        next_retry_ =
            Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(backoff_s_));
        return;
    }
    if (aligner_ && air_.sample_rate() != aligner_->config().air_rate) {
        // The aligner was built for another air rate; leave it to the next body reopen.
        air_.close();
        backoff_s_ = options_.retry_max_s;
        next_retry_ =
            Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(backoff_s_));
        return;
    }
    air_up_ = true;
    air_name_ = air_.name();
    air_sync_pending_ = true;
    air_beat_ = air_.health().callbacks;
    air_beat_at_ = Clock::now();
    air_beating_ = false;
    notices_.push_back("air microphone back — re-aligning: " + air_name_);
}

std::size_t TwoDeviceInput::read(std::span<float> out) {
    if (!aligner_) return 0;
    watch_air();
    const auto body_ch = static_cast<std::size_t>(body_.channels());
    const auto air_ch = static_cast<std::size_t>(std::max(1, air_.channels()));
    for (;;) {
        if (const std::size_t n = aligner_->pull(out)) {
            const AlignState state = aligner_->status().state;
            if (state != last_state_) {
                const AlignStatus s = aligner_->status();
                if (state == AlignState::locked) {
                    char line[120];
                    std::snprintf(line, sizeof line, "air microphone aligned (offset %+.1f ms, drift %+.0f ppm)",
                                  s.offset_ms, s.drift_ppm);
                    notices_.emplace_back(line);
                } else if (state == AlignState::searching && last_state_ == AlignState::locked) {
                    notices_.emplace_back("air microphone alignment lost — re-aligning");
                }
                last_state_ = state;
            }
            return n;
        }
        const std::size_t body_frames = body_.read(body_chunk_);
        if (body_frames > 0) aligner_->push_body({body_chunk_.data(), body_frames * body_ch});
        if (body_frames == 0 && air_sync_pending_) {
            // Both rings are now drained to "now": the air stream's next sample is the body's next frame.
            while (air_.read(air_chunk_) > 0) {
            }
            aligner_->air_started();
            air_sync_pending_ = false;
            last_state_ = AlignState::searching;
        }
        std::size_t air_frames = 0;
        if (air_up_ && !air_sync_pending_) {
            air_frames = air_.read(air_chunk_);
            for (std::size_t i = 0; i < air_frames; ++i) air_mono_[i] = air_chunk_[i * air_ch];
            aligner_->push_air({air_mono_.data(), air_frames});
        }
        if (body_frames == 0 && air_frames == 0) return 0;
    }
}

InputHealth TwoDeviceInput::air_health() const {
    InputHealth h;
    if (air_up_) h = air_.health();
    h.input_overflows += air_overflows_before_;
    h.ring_overruns += air_overruns_before_;
    return h;
}

InputHealth TwoDeviceInput::health() const {
    InputHealth h = body_.health();
    const InputHealth a = air_health();
    h.input_overflows += a.input_overflows;
    h.ring_overruns += a.ring_overruns;
    if (aligner_) h.ring_overruns += static_cast<std::uint64_t>(aligner_->status().dropped_frames);
    return h;
}

std::string TwoDeviceInput::next_notice() {
    if (notices_.empty()) return {};
    std::string n = std::move(notices_.front());
    notices_.erase(notices_.begin());
    return n;
}

}  // namespace popwatch

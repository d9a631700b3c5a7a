// Two capture devices as one input: the body sensor(s) on one device, the air (room) microphone on
// another, e.g. a USB contact mic and the laptop's built-in mic (issue #8).
//
// Each device has its own PortAudio stream, callback and SPSC ring (live_source.hpp), so each
// counts its own overflows. On the analysis thread this input reads both rings and lets a
// ClockAligner (dsp/align.hpp) put the air stream on the body device's clock: the frames it hands
// on are the body channels plus one air channel, last, at the body device's rate.
//
// The body device is the session: its loss is the monitor's usual offline/reopen. The air device
// is optional once the session has started: when it stops or goes quiet (no callbacks) its channel
// becomes silence — the detector then runs single-sensor — with the notice "air microphone
// offline — single-sensor mode", and it is reopened with backoff; when it is back: "air microphone
// back — re-aligning", then "air microphone aligned" once the aligner has locked again.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "capture/live_source.hpp"
#include "dsp/align.hpp"

namespace popwatch {

struct TwoDeviceOptions {
    AlignConfig align;                // rates and channels are filled in from the devices at open()
    double stall_s = 1.5;             // no air callback for this long: the air device is offline ...
    double start_grace_s = 5;         // ... or none at all this long after opening it
    double retry_first_s = 1;         // first air reopen after it went away ...
    double retry_max_s = 30;          // ... then doubling up to this (each try re-opens PortAudio)
    std::size_t chunk_frames = 2048;  // read from the rings at most this much at a time
};

class TwoDeviceInput final : public LiveInput {
   public:
    // Both inputs outlive this one. The air input should be mono (only its first channel is used).
    TwoDeviceInput(LiveInput& body, LiveInput& air, TwoDeviceOptions options = {});

    // Opens both devices; the air device failing on the first open is an error (DeviceError,
    // prefixed "air microphone: "), later it only means single-sensor mode until it is back.
    void open() override;
    void close() noexcept override;
    double sample_rate() const override { return body_.sample_rate(); }
    int channels() const override { return body_.channels() + 1; }
    std::string name() const override;
    std::size_t read(std::span<float> out) override;
    InputHealth health() const override;  // the body's heartbeat; overflows of both devices
    std::string next_notice() override;
    bool reports_air_state() const override { return true; }

    bool air_online() const { return air_up_; }
    InputHealth air_health() const;  // the air device's counters since open()
    AlignStatus alignment() const { return aligner_ ? aligner_->status() : AlignStatus{}; }

   private:
    using Clock = std::chrono::steady_clock;
    void watch_air();
    void air_down(const std::string& why);

    LiveInput& body_;
    LiveInput& air_;
    TwoDeviceOptions options_;
    std::unique_ptr<ClockAligner> aligner_;
    std::vector<float> body_chunk_, air_chunk_, air_mono_;
    bool opened_once_ = false;
    bool air_up_ = false;
    bool air_sync_pending_ = false;  // start the aligner's air stream once the body ring is drained
    AlignState last_state_ = AlignState::lost;
    std::string air_name_;
    std::uint64_t air_beat_ = 0;
    bool air_beating_ = false;
    Clock::time_point air_beat_at_, next_retry_;
    double backoff_s_ = 0;
    std::uint64_t air_overflows_before_ = 0, air_overruns_before_ = 0;
    std::vector<std::string> notices_;
};

}  // namespace popwatch

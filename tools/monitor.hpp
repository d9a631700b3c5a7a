// A live monitoring session: the analysis loop of `popwatch listen`, kept out of the command so
// it can be tested without a sound card.
//
//   LiveInput (ring) --blocks--> Detector --events--> sinks (printer, clips; history next)
//
// The loop reads whatever the ring holds, feeds the streaming detector, and hands every event to
// each sink in time order. It watches the input's health: a stream that stopped, or a heartbeat
// (callback count) that did not move for `stall_s`, means the microphone is offline. It then
// flushes the detector, tells the sinks, and reopens the input with exponential backoff until it
// is back. Monitored time counts only audio actually analysed; offline gaps are reported apart.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "capture/live_source.hpp"
#include "dsp/config.hpp"
#include "dsp/detector.hpp"
#include "dsp/event.hpp"
#include "dsp/layout.hpp"

namespace popwatch {

struct SessionStats {
    double elapsed_s = 0;    // wall time since the session started
    double monitored_s = 0;  // audio analysed (excludes offline gaps)
    int pops = 0, episodes = 0, clunks = 0, others = 0;
    std::uint64_t input_overflows = 0;  // buffers the host flagged paInputOverflow
    std::uint64_t ring_overruns = 0;    // samples lost because the analysis fell behind
    int offline_gaps = 0;               // times the microphone went offline
    double offline_s = 0;               // total time offline
    bool online = false;
    float level_dbfs = -120;  // peak level since the previous status, dB full scale
    std::int64_t bad_samples = 0;
    std::vector<ChannelHealth> channel_health;  // per channel, summed over segments
};

struct Notice {
    // air_reference: the air reference microphone stopped (or started again) being usable;
    // decisions fall back to the body sensor alone meanwhile (issue #8). info: about the input
    // (a second device came or went, capture/two_devices.hpp); monitoring goes on.
    enum class Type { offline, online, air_reference, info } type;
    double at_s = 0;      // session time
    std::string message;  // one line for the user
};

// Where a session's output goes. Every hook runs on the analysis thread, in order.
class Sink {
   public:
    virtual ~Sink() = default;
    // The first audio of the session has arrived and is about to be analysed (once per session).
    virtual void on_start(const std::string& /*input_name*/, double /*rate*/, int /*channels*/) {}
    // Each block of audio as it is analysed (interleaved; `at_s` is the session time of its first
    // frame). Only sinks that keep clips look at it; nothing else ever stores audio.
    virtual void on_audio(std::span<const float> /*interleaved*/, double /*at_s*/, double /*rate*/, int /*channels*/) {}
    // An event, any kind, in time order. time_s counts from the start of the session; episodes are
    // numbered across the whole session.
    virtual void on_event(const Event& /*event*/) {}
    virtual void on_notice(const Notice& /*notice*/) {}
    // A few times per second while running.
    virtual void on_status(const SessionStats& /*stats*/) {}
    // Once, after the detector has been flushed.
    virtual void on_end(const SessionStats& /*stats*/) {}
};

struct MonitorOptions {
    DetectorConfig detector;
    SensorLayout layout;              // air reference and body positions per channel (--sites)
    double duration_s = 0;            // stop after this much wall time; 0 = until stopped
    double stall_s = 1.5;             // no callback for this long: the input is offline ...
    double start_grace_s = 5;         // ... or none at all this long after opening (sound servers can
                                      //   take a second or more to deliver the first buffer)
    double retry_first_s = 0.5;       // first reopen attempt after going offline ...
    double retry_max_s = 5;           // ... then doubling up to this
    double poll_s = 0.005;            // sleep when the ring is empty
    double status_every_s = 0.25;     // on_status period
    std::size_t block_frames = 2048;  // largest block handed to the detector at once
};

// How long the loop sleeps when the ring is empty, for a device buffering `buffer_s`: about twice
// per buffer, within 5-50 ms (each wake-up costs CPU; each ms of sleep can add a ms of latency).
inline double poll_interval_s(double buffer_s) { return std::clamp(buffer_s / 2, 0.005, 0.05); }

// listen --quick (DetectorConfig::quick): the device buffering and poll that keep the capture
// path's share of the latency to a few ms on top of the detector's 12 ms (BENCHMARKS.md,
// "Detection latency"); a wake-up every 10 ms: 5 ms took 3 ms off the median for ~0.4 % of a core.
constexpr double quick_buffer_s = 0.05;
constexpr double quick_poll_s = 0.01;
// The poll listen uses: quick_poll_s with --quick, else poll_interval_s of its buffering.
inline double listen_poll_s(bool quick, double buffer_s) { return quick ? quick_poll_s : poll_interval_s(buffer_s); }

class Monitor {
   public:
    Monitor(LiveInput& input, std::vector<Sink*> sinks, MonitorOptions options = {});

    // Opens the input (a DeviceError from this first open is thrown: nothing to monitor) and runs
    // until `stop` is set or duration_s has passed, recovering from device loss on the way.
    // Then flushes the detector, calls on_end, closes the input and returns the totals.
    SessionStats run(const std::atomic<bool>& stop);

    // Session time (s) of the end of the audio given to the detector so far (during on_event: the
    // end of the block being decided on).
    double position_s() const { return segment_start_s_ + static_cast<double>(segment_frames_) / rate_; }

   private:
    struct Segment;
    double now_s() const;

    LiveInput& input_;
    std::vector<Sink*> sinks_;
    MonitorOptions options_;
    std::chrono::steady_clock::time_point start_;
    double segment_start_s_ = 0;
    std::int64_t segment_frames_ = 0;
    double rate_ = 1;
};

}  // namespace popwatch

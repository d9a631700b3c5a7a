// The streaming pop detector: interleaved blocks of any size in, events out.
//
// A two-stage cascade (the structure of Hyfe's cough counter and of the Turchet 2018
// "hard real-time percussive onset" detector):
//   1. a time-domain gate on every sample: high-pass, energy per 0.5 ms cell, an adaptive
//      background with an absolute floor, and a sharpness test -> candidate onsets;
//   2. around each candidate only: spectra on KissFFT, time-domain onset refinement, features
//      and context, then the pop / clunk / other decision (classifier.hpp).
// Everything is allocated in the constructor; process() and finish() never allocate.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dsp/config.hpp"
#include "dsp/dual.hpp"
#include "dsp/event.hpp"
#include "dsp/layout.hpp"

namespace popwatch {

using EventHandler = std::function<void(const Event&)>;

// How one input channel behaved, for warnings (the detector prints nothing). Localisation
// (issue #6) leaves out a channel that is digitally silent or clipped around an event.
struct ChannelHealth {
    double silent_s = 0;                // digital silence, counted in stretches of >= 2 s
    std::int64_t clipped_samples = 0;   // input samples at full scale (|x| >= 0.999)
    std::int64_t excluded_silent = 0;   // events localised without this channel: it was silent
    std::int64_t excluded_clipped = 0;  // ... it clipped within 10 ms of the event

    ChannelHealth& operator+=(const ChannelHealth& o) {  // summing sessions' segments
        silent_s += o.silent_s, clipped_samples += o.clipped_samples;
        excluded_silent += o.excluded_silent, excluded_clipped += o.excluded_clipped;
        return *this;
    }
};

class Detector {
   public:
    // `layout` says which channels are air references (never reported on) and where the body
    // sensors are; the default is every channel a body sensor at an unknown position. Throws
    // std::invalid_argument when no channel is a body sensor.
    Detector(const DetectorConfig& config, double sample_rate, int channels, const SensorLayout& layout = {});
    // The constructor's checks of the layout against the config, for callers that want to refuse
    // a setup before opening anything: throws std::invalid_argument when no channel is a body
    // sensor, or when quick decisions are asked for with an air reference.
    static void check_layout(const DetectorConfig& config, int channels, const SensorLayout& layout);
    ~Detector();
    Detector(Detector&&) noexcept;
    Detector& operator=(Detector&&) noexcept;

    // Feed frames (interleaved, channels() floats per frame). Calls on_event, in time order, for
    // every event whose decision is complete. Non-finite samples are treated as silence and
    // counted (bad_samples()).
    void process(std::span<const float> interleaved, const EventHandler& on_event);
    // End of stream: decide whatever is pending.
    void finish(const EventHandler& on_event);

    double sample_rate() const;
    int channels() const;
    std::int64_t frames_processed() const;
    std::int64_t bad_samples() const;  // NaN / Inf samples replaced by 0
    std::int64_t candidates() const;   // stage-1 candidates (before classification)
    const DetectorConfig& config() const;
    const SensorLayout& layout() const;
    ChannelHealth channel_health(int channel) const;  // zeros for a channel out of range

    // The air reference (issue #8). With an air channel in the layout, pops are decided by the
    // dual model while the air channel is healthy; while it is silent or clipping persistently
    // the single-sensor model decides (Event::air says which) and these say so.
    bool has_air_reference() const;
    const AirHealth& air_health() const;              // its state now, fallbacks, time without it
    std::int64_t clipped_samples(int channel) const;  // samples at full scale (|x| >= 0.999)

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Runs a whole in-memory recording through a Detector and returns every event (any kind): for
// tests, training and benchmarks. Streaming callers use Detector directly.
std::vector<Event> detect_all(std::span<const float> interleaved, double sample_rate, int channels,
                              const DetectorConfig& config = {}, const SensorLayout& layout = {});

// Human-readable reasons for an event's class: the features and which rules pushed it where.
std::string explain(const Event& event, const DetectorConfig& config);

}  // namespace popwatch

// Two clocks, one stream: aligns the air (room) microphone of one device to the body (contact)
// sensor of another, and tracks the drift between their sample clocks (issue #8).
//
// Two sound cards never run at exactly the same rate: crystals are off by 10-100 ppm (we assume
// up to 200 ppm), so without tracking the air channel slides 36-360 ms per hour against the body
// channel, and their start times differ by the devices' latencies. The air channel is a reference
// for energy ratios and arrival order, so what matters is sub-millisecond timing, not audio
// quality.
//
//  - Measure: every `hop_s`, the body window of `window_s` is cross-correlated with the air
//    channel as currently mapped, ± the search range, by GCC-PHAT (Knapp & Carter 1976) on both
//    signals low-passed and decimated to ~8 kHz, weighted to the 150-3500 Hz band where shared
//    sounds (speech, typing, knocks, the pops themselves) reach both sensors. The peak, refined by
//    a parabola, gives the residual lag; its peak-to-sidelobe ratio says whether the window held
//    a shared sound at all (silence and unrelated noise give none, and no estimate).
//  - Track: a two-state Kalman filter (offset, drift) with a random-walk drift (temperature) and
//    an innovation gate that rejects outliers (a reflection, a sound heard by one sensor only).
//    Locking needs `lock_after` agreeing estimates; `relock_after` confident disagreements in a
//    row send it back to searching. Through silence it coasts on the drift it has learnt.
//  - Apply: the air stream is read at the fractional position the model gives for each body
//    frame with a 4-point cubic (Catmull-Rom) interpolator. It places the samples exactly (timing
//    error is the model's alone), costs four taps, and its amplitude error (< 1 dB below a
//    quarter of the sample rate) is irrelevant to energy ratios; a long windowed-sinc would buy
//    audio quality nobody listens to. Different nominal rates (44.1 vs 48 kHz) are the same
//    mapping with another ratio.
//
// States: searching (no lock yet, or re-acquiring after the air device came back), locked, lost
// (no air stream: the device is offline). Until locked the air channel is output as silence, so
// the detector runs single-sensor rather than on a misaligned reference.
//
// Allocates at construction only; push/pull/status never allocate. Not thread-safe: one thread
// (the analysis thread) drives it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace popwatch {

struct AlignConfig {
    double body_rate = 48000;         // Hz; the output runs at this rate
    double air_rate = 48000;          // Hz, the air device's nominal rate
    int body_channels = 1;            // the output is these plus one air channel, last
    double window_s = 4;              // correlation window: long enough to catch a word or a few keys
    double hop_s = 2;                 // an estimate every hop while searching ...
    double locked_hop_s = 4;          // ... and once locked (drift moves slowly; halves the cost)
    double search_s = 0.5;            // ± lag searched while searching: start skew + device latencies
    double track_s = 0.02;            // ± lag searched once locked: what can change between estimates ...
    double recheck_s = 20;            // ... unless nothing confirmed the lock for this long: search wide
                                      //     again (lost buffers step the offset beyond the track range)
    double analysis_hz = 8000;        // correlation rate (the signals are low-passed and decimated to it)
    double band_low_hz = 150;         // GCC-PHAT band: rumble and hum below ...
    double band_high_hz = 3500;       // ... anti-aliasing roll-off above
    double min_psr = 7;               // peak-to-sidelobe ratio an estimate needs (else: nothing shared)
    double measurement_sd_s = 50e-6;  // spread of a good estimate
    double max_drift_ppm = 200;       // prior on the drift before the first lock
    double drift_wander_ppm = 20;     // how far the drift may wander in an hour (temperature)
    double gate_s = 0.0005;           // innovations within this (or 4 sigma) are accepted
    double agree_s = 0.001;           // estimates this close agree (to lock)
    int lock_after = 3;               // agreeing estimates needed to lock
    int relock_after = 4;             // confident disagreements in a row that break the lock
    double max_wait_s = 1.0;          // body audio held for late air before the air part is given up (zeros)
    double air_history_s = 12;        // air audio kept for the interpolator and the correlation
};

enum class AlignState { searching, locked, lost };
const char* align_state_name(AlignState state);

struct AlignStatus {
    AlignState state = AlignState::lost;
    double offset_ms = 0;     // how much later a sound comes in the air stream than in the body's (as read)
    double drift_ppm = 0;     // air clock vs. body clock (+: air runs fast)
    double offset_sd_ms = 0;  // the filter's uncertainty on the offset
    double last_psr = 0;      // peak-to-sidelobe ratio of the latest estimate
    double since_fix_s = 0;   // body time since the latest accepted estimate (coasting)
    std::int64_t estimates = 0, accepted = 0, rejected = 0, silent = 0;
    std::int64_t late_frames = 0;     // output frames whose air had not arrived in max_wait_s (zeros)
    std::int64_t dropped_frames = 0;  // body frames pushed beyond the aligner's buffer (lost)
};

class ClockAligner {
   public:
    explicit ClockAligner(AlignConfig config = {});
    ~ClockAligner();
    ClockAligner(const ClockAligner&) = delete;
    ClockAligner& operator=(const ClockAligner&) = delete;

    int channels() const { return config_.body_channels + 1; }
    const AlignConfig& config() const { return config_; }

    // Body frames (body_channels interleaved) as they arrive. Up to a second and a half of body
    // audio can wait for its air; push in blocks and pull in between.
    void push_body(std::span<const float> interleaved);
    // Air samples (mono, at the air device's rate) as they arrive; ignored while the air is lost.
    void push_air(std::span<const float> samples);
    // Aligned frames (body channels, then air) ready so far, up to out.size() / channels().
    std::size_t pull(std::span<float> out);

    // The air device went away: its channel is silent from here on (state lost).
    void air_lost();
    // A (new) air stream starts: its first sample was captured about when the next body frame
    // pushed was. The drift learnt so far is kept; the offset is searched again.
    void air_started();

    AlignStatus status() const;
    // Where the model places body frame `body_frame` (counted from the first push) in the air
    // stream (samples since air_started()). Not meaningful while lost.
    double air_position(std::int64_t body_frame) const;

   private:
    struct Fft;
    std::int64_t lag_range() const;  // ± lag correlated now, body frames
    bool estimate_ready() const;
    void estimate();
    void accept(double t_s, double u_s);
    double air_sample(double position) const;

    AlignConfig config_;
    double ratio_;                                             // air_rate / body_rate
    std::int64_t decimation_;                                  // body frames per analysis sample
    std::int64_t window_, search_, track_, hop_, locked_hop_;  // body frames, multiples of decimation_

    // Rings, indexed by absolute counts (power-of-two capacities).
    std::vector<float> body_fifo_;  // interleaved frames not yet output
    std::int64_t fifo_frames_cap_ = 0;
    std::vector<float> body_mono_;  // body channels summed, for the correlation
    std::vector<float> air_;
    std::int64_t body_pushed_ = 0, body_output_ = 0, air_count_ = 0;

    // Correlation scratch.
    std::vector<float> seg_body_, seg_air_;
    std::unique_ptr<Fft> fft_;

    // The model: lambda(n) = air_base_ + rate * (u_ + slope_ * (n / rate - t_ref_)); the air sample
    // for body frame n is ratio_ * (n - lambda(n)).
    bool air_present_ = false;
    AlignState state_ = AlignState::lost;
    double air_base_ = 0;
    double u_ = 0, slope_ = 0, t_ref_ = 0;
    double p00_ = 0, p01_ = 0, p11_ = 0;
    bool drift_known_ = false;
    std::int64_t next_end_ = 0;
    double last_fix_t_ = 0;
    int disagreements_ = 0;
    // Searching: the latest confident estimates (time s, offset s), oldest first.
    std::vector<double> cand_t_, cand_u_;
    AlignStatus counts_;
};

}  // namespace popwatch

// The air reference (issue #8): a contact sensor on the body plus the room/laptop microphone.
// A joint pop is loud on the body and faint (and later) in the air; typing, clicks and knocks are
// loud in the air and faint, low-passed, on the body; the wearer's speech is on both. No single
// channel separates them (mission.md, "What a first experiment showed"); the pair does.
//
// AirMeter measures, around a body event's onset, what the air channel heard (the features
// event.hpp appends after chain_n):
//  - per-band body-to-air ratio (<500 Hz, 0.5-2 kHz, 2-6 kHz, >6 kHz and whole band): each
//    channel's band energy in one FFT frame at the onset over that channel's own tracked
//    background, body minus air, in dB. Relative to each channel's background so that the two
//    devices' unknown gains cancel. The air frame is the loudest of the frames at lags -2..+5 ms
//    (band by band): a pop reaches a mic 0.5-1.5 m away 1.5-4.5 ms after the body (343 m/s),
//    air-borne office sound reaches the air mic first;
//  - arrival order: the nearest air candidate onset within -10..+15 ms, minus the body onset;
//  - what the air hears in the surrounding second: air candidates per second in [-1 s, +0.25 s]
//    (the detector's lookahead) and the air level over its background in the 250 ms before.
//
// AirHealth decides whether the air channel can be trusted, from the raw samples block by block:
// silent (a level under -100 dBFS for 0.5 s: unplugged, muted, a dead device giving zeros) or
// clipping persistently (over 1 % of samples at full scale over about a second) -> the detector
// decides single-sensor (the shipped single model) until the channel has been healthy for 1 s.
//
// Allocation only at construction; measure() and update() are O(frame) and do no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dsp/event.hpp"
#include "dsp/features.hpp"
#include "dsp/spectrum.hpp"

namespace popwatch {

class AirMeter {
   public:
    AirMeter(double sample_rate, std::size_t frame_size, std::size_t cell_samples);

    // Fills the air features of `f` for a body event with refined onset `onset_frame`.
    void measure(const ChannelHistory& body, const ChannelHistory& air, std::int64_t onset_frame, Features& f);

    // Sets the air features to NaN (no air reference, or not trusted).
    static void clear(Features& f);

   private:
    // Band energies (dB, 5 values: 4 bands + whole) of the frame starting at `start`.
    void bands(const ChannelHistory& h, std::int64_t start, float* out_db);

    double fs_;
    std::int64_t cell_;
    PowerSpectrum spectrum_;
    std::vector<float> frame_, power_;
};

enum class AirState { ok, silent, clipped };

class AirHealth {
   public:
    explicit AirHealth(double sample_rate);
    // One block of raw samples of the air channel: mean square after the high-pass, and how many
    // samples were at full scale (|x| >= 0.999).
    void update(std::size_t frames, double mean_square, std::int64_t clipped);
    AirState state() const { return state_; }
    std::int64_t fallbacks() const { return fallbacks_; }                              // times it left `ok`
    std::int64_t fallback_frames() const { return silent_frames_ + clipped_frames_; }  // frames spent not `ok`
    std::int64_t silent_frames() const { return silent_frames_; }
    std::int64_t clipped_frames() const { return clipped_frames_; }

   private:
    double fs_;
    double silent_s_ = 0, healthy_s_ = 0, clip_share_ = 0;
    AirState state_ = AirState::ok;
    std::int64_t fallbacks_ = 0, silent_frames_ = 0, clipped_frames_ = 0;
};

}  // namespace popwatch

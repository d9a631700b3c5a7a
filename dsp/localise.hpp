// Where along the spine a pop came from, given what several contact sensors heard of it (issue #6).
//
// The studies that located cavitations with skin accelerometers compared the energy each sensor
// received (research note §2.5, rows 7, 15, 17); time of arrival only refines: at ~1540 m/s in
// soft tissue (row 24) 12 cm is 78 us, under 4 samples at 48 kHz. So:
//
//  1. Energy. A source at x, at depth depth_cm under the skin, reaches the sensor at p_k over
//     r_k = sqrt(depth^2 + (x - p_k)^2); tissue attenuates exponentially with distance, so the
//     received level in dB is linear in r_k:  E_k = S - alpha r_k. For each x on a 0.25 cm grid
//     the source level S and the attenuation alpha (dB/cm, unknown per person and per sensor
//     strap) have a closed-form least-squares fit, with a weak prior pulling alpha towards
//     prior_db_per_cm (two sensors alone cannot separate alpha from x). The cost over x is the
//     residual in dB^2.
//  2. Time (off by default, see use_arrival). When `arrival_ms` is finite on >= 2 channels and the layout's span is at
//  least
//     min_tdoa_samples at the sample rate, a second term compares the arrival differences with
//     (r_k - r_ref) / speed, in units of the arrival's standard deviation.
//  3. The cost becomes a likelihood exp(-cost / 2 sigma^2) over the grid (sigma = the larger of
//     the expected level scatter and the fit's own RMS residual, so a profile the model cannot
//     explain spreads out instead of looking certain). Position = the grid's best point refined by
//     a parabola; site = the nearest usable sensor; confidence = the likelihood mass that falls
//     nearer that sensor than any other, i.e. the chance the site is right under the model. Two
//     far sensors hearing the same level, or a flat profile, split the mass and lower it.
//
// Outside the array every sensor sees the same slope (and the same delay differences), so a
// source beyond the end sensors cannot be placed further than `margin_cm` past them: the grid
// stops there. Pure, allocation-free per call (fixed-size arrays), no I/O.
#pragma once

#include <array>
#include <cmath>
#include <span>

namespace popwatch {

constexpr int max_localise_channels = 8;

struct ChannelObservation {
    float position_cm = NAN;  // sensor position along the spine
    float energy_db = NAN;    // event energy at this sensor (any dB reference shared by all channels)
    float arrival_ms = NAN;   // arrival time relative to any common reference; NaN = unknown
    bool usable = true;       // false: silent, clipped or air channel (ignored)
};

struct LocaliseConfig {
    float depth_cm = 3;            // facet joints sit ~2-4 cm under the skin of the back [I]
    float prior_db_per_cm = 1.0f;  // soft-tissue attenuation at a few hundred Hz, 0.5-1.5 dB/cm [I]
    float prior_weight_cm2 = 8;    // strength of that prior, in cm^2 of sensor-distance spread
    float min_db_per_cm = 0.2f;    // attenuation bounds the fit may not leave
    float max_db_per_cm = 3.0f;
    float level_sd_db = 1.5f;    // scatter of a sensor's level around the model (coupling, gain)
    float margin_cm = 3;         // how far past the end sensors a position is reported
    float step_cm = 0.25f;       // grid step
    float speed_m_s = 1540;      // compressional sound speed in soft tissue (row 24)
    float arrival_sd_us = 20;    // arrival-time scatter; see BENCHMARKS.md for what TDOA adds
    float min_tdoa_samples = 2;  // use arrivals only when the array's span is this many samples
    // Off by default: on the development split the arrival term lowered site accuracy (95 % vs
    // 100 % at 3 sensors, 48 kHz; BENCHMARKS.md "Localisation"). Low-frequency pops (median 215 Hz)
    // under independent noise do not resolve 80 us by cross-correlation. Arrivals are still
    // measured and shown by --explain.
    bool use_arrival = false;
};

struct Location {
    float position_cm = NAN;  // NaN when fewer than two usable channels with positions
    int channel = -1;         // index into the observations of the nearest usable sensor
    float confidence = 0;     // 0..1: probability that `channel` is the nearest sensor to the source
    float spread_cm = NAN;    // standard deviation of the position under the model
    float db_per_cm = NAN;    // fitted attenuation at the estimate
};

Location localise(std::span<const ChannelObservation> channels, double sample_rate, const LocaliseConfig& config = {});

}  // namespace popwatch

// What the detector reports: one event per transient it heard, with the features that decided
// its kind. Plain values; no strings, so events can cross threads and be made without allocating.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>

namespace popwatch {

enum class Kind { pop, clunk, other };

constexpr std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::pop:
            return "pop";
        case Kind::clunk:
            return "clunk";
        case Kind::other:
            return "other";
    }
    return "other";
}

// Every feature the classifier sees, measured on the channel that heard the event best.
// The order here is the order of `values` and of `feature_names`.
struct Features {
    enum Index : std::size_t {
        level_dbfs,   // peak level after the high-pass, dB full scale
        snr_db,       // onset energy over the tracked background, dB
        rise_ms,      // 10 % -> 90 % rise of the envelope
        dur20_ms,     // time until the envelope stays 20 dB under its peak
        centroid_hz,  // spectral centroid of the first frame after onset
        spread_hz,    // spectral spread (std dev around the centroid)
        flatness,     // spectral flatness 0 (tonal) .. 1 (noise-like)
        low_db,       // energy below 500 Hz relative to total, dB
        high_db,      // energy above 2 kHz relative to total, dB
        crest_db,     // peak over RMS across the event, dB
        tail_db,      // energy 15-60 ms after onset relative to the first 5 ms, dB
        pre_db,       // activity in the 250 ms before onset relative to background, dB
        voicing,      // periodicity 60-400 Hz in the 80 ms after onset, 0..1
        rate_hz,      // transients per second on this channel in the 1.5 s before
        regularity,   // how evenly spaced those transients were, 0 (random) .. 1 (metronomic)
        after_n,      // transients after a pause within the lookahead (key release, second knock)
        after_db,     // level of the loudest of those relative to this one, dB (-60 if none)
        prev_gap_ms,  // time since the previous transient on this channel (capped at the context)
        next_gap_ms,  // time to the next transient (capped at the lookahead)
        mid_db,       // energy 500 Hz - 2 kHz relative to total, dB
        top_db,       // energy above 6 kHz relative to total, dB
        flux_db,      // spectral novelty: mean rise of log power per bin over the frame before, dB
        local_db,     // peak level over the mean level 20-100 ms before, dB
        chain_n,      // transients chained to this one by gaps under cluster_gap_ms (spinal cluster 2-9, creak 10+)
        // The air reference (dsp/dual.hpp), NaN when there is none or it is unhealthy. Appended, so
        // the single-sensor models (trained on the features above) keep their indexes.
        ba_low_db,    // body-to-air ratio below 500 Hz around the onset: body band SNR - air band SNR, dB
        ba_mid_db,    // ... 500 Hz - 2 kHz
        ba_high_db,   // ... 2 - 6 kHz
        ba_top_db,    // ... above 6 kHz
        ba_db,        // ... whole band
        air_snr_db,   // the air channel's level around the onset over its own background, dB
        air_lag_ms,   // air candidate onset minus body onset (air-borne sounds <= 0, body pops > 0); NaN if none
        air_rate_hz,  // air candidates per second in the second around the onset (this one excluded)
        air_pre_db,   // air activity in the 250 ms before: mean level over its background, dB
        // The thud's body: what rings on after the onset below 400 Hz, for the clunk model (a
        // clunk is a 50-200 Hz resonance ringing 25-250 ms, which the 5 ms onset frame cannot
        // resolve). Appended, so the models before it keep their indexes; NaN when the lookahead
        // is too short to see it (listen --quick).
        body_low_db,  // energy below 400 Hz over the first 60 ms relative to all of it, dB
        body_ms,      // until that low band's 5 ms envelope falls 20 dB under its peak for good (<= 100)
        ring_corr,    // periodicity of the low band 5-95 ms after the onset at 40-250 Hz, 0 (none) .. 1
        ring_hz,      // the frequency of that ring
        thud_gap_ms,  // since the last thud (body_low_db > -3, body_ms >= 20) 0.15-1.5 s before; 1500 if none
        // pre_db measured before the act rather than before this transient: the 250 ms before the
        // first transient chained to this one (at most 200 ms back), so a spinal cluster's later
        // pops see what its first saw, not the cluster's own earlier pops. pre_db when nothing
        // is chained before it.
        act_pre_db,
        count
    };
    static constexpr std::size_t single_count = chain_n + 1;  // features of the first single-sensor models
    static constexpr std::size_t air_first = ba_low_db, air_end = air_pre_db + 1;
    static constexpr bool is_air(std::size_t i) { return i >= air_first && i < air_end; }
    std::array<float, count> values{};

    float& operator[](Index i) { return values[i]; }
    float operator[](Index i) const { return values[i]; }
};

constexpr std::array<std::string_view, Features::count> feature_names{
    "level_dbfs", "snr_db",      "rise_ms",     "dur20_ms",  "centroid_hz", "spread_hz",   "flatness",   "low_db",
    "high_db",    "crest_db",    "tail_db",     "pre_db",    "voicing",     "rate_hz",     "regularity", "after_n",
    "after_db",   "prev_gap_ms", "next_gap_ms", "mid_db",    "top_db",      "flux_db",     "local_db",   "chain_n",
    "ba_low_db",  "ba_mid_db",   "ba_high_db",  "ba_top_db", "ba_db",       "air_snr_db",  "air_lag_ms", "air_rate_hz",
    "air_pre_db", "body_low_db", "body_ms",     "ring_corr", "ring_hz",     "thud_gap_ms", "act_pre_db"};

static_assert(std::ranges::none_of(feature_names, [](std::string_view n) { return n.empty(); }),
              "every feature needs its name: models and training files refer to features by name");

// Which decision the detector took for an event (issue #8): no air reference in the layout, the
// dual-sensor model, or the single-sensor model because the air reference was unhealthy.
enum class AirPath : unsigned char { none, dual, fallback_silent, fallback_clipped };

constexpr std::string_view air_path_name(AirPath p) {
    switch (p) {
        case AirPath::none:
            return "single sensor";
        case AirPath::dual:
            return "dual model (body + air reference)";
        case AirPath::fallback_silent:
            return "fallback to single sensor: air channel silent";
        case AirPath::fallback_clipped:
            return "fallback to single sensor: air channel clipping";
    }
    return "single sensor";
}

// Pops closer than the episode gap are one episode (one act of cracking), numbered from 0 in
// time order: the detector's rule, apply_pop_chains()'s when it decides a file again, and the
// labels' (datasets/labels.hpp, group_episodes).
struct EpisodeCounter {
    int episode = -1;
    double last_pop_s = -1e300;
    // The episode of the next pop, at `pop_s` (pops in time order).
    int next(double pop_s, double gap_s) {
        if (pop_s - last_pop_s >= gap_s) ++episode;  // "closer than the gap" joins
        last_pop_s = pop_s;
        return episode;
    }
};

struct Event {
    double time_s = 0;      // onset, seconds from the start of the stream
    double duration_s = 0;  // -20 dB duration
    Kind kind = Kind::other;
    float confidence = 0;                     // confidence that `kind` is right, 0..1
    float pop_probability = 0;                // the classifier's P(pop), before the threshold
    int channel = 0;                          // 0-based channel that heard it best
    float position_cm = NAN;                  // along the spine, when localisation knows it
    int episode = -1;                         // pops: episode index from 0 within the stream; others: -1
    std::array<float, 8> channel_level_db{};  // peak level per channel (first 8), for --explain
    // Localisation (dsp/localise.hpp), per channel (first 8), NaN where not measured: arrival
    // relative to the measuring channel, and the event's energy in the first ms (dBFS).
    std::array<float, 8> channel_arrival_ms{NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    std::array<float, 8> channel_energy_db{NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    float position_confidence = 0;  // 0..1: chance the site (nearest sensor) is right; 0 when not localised
    AirPath air = AirPath::none;    // how the air reference took part in the decision
    Features features;
};

}  // namespace popwatch

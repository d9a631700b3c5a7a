// Every tunable of the detector, with its default and the reason for it. The same struct is
// filled from the config file / command line and printed by `popwatch config`.
#pragma once

namespace popwatch {

struct DetectorConfig {
    // --- stage 1: the time-domain gate (runs on every sample, must be cheap) -----------------
    float highpass_hz = 40;          // removes DC, motion (<50 Hz) and heartbeat fundamentals, keeps clunks (50-200 Hz)
    float cell_ms = 0.5f;            // energy cell: fine enough to split pops 5 ms apart, coarse enough to be cheap
    float background_rise_s = 2.0f;  // background follows rising energy slowly, so a pop does not lift it
    float background_fall_s = 0.15f;  // ...and falling energy quickly, so it recovers after a loud sound
    float gate_db = 12;               // a candidate starts this far above the background (adaptive threshold)
    float floor_dbfs = -72;           // absolute floor: nothing quieter than this is a candidate (silent rooms)
    float rise_db = 9;                // ...and this far above the loudest cell of the `hold_ms` before it, either
    float hold_ms = 4;                //   just before (sharp onsets) or `rise_window_ms` earlier (1-5 ms clunk
    float rise_window_ms = 3;         //   attacks). Holding 4 ms spans the ripple of a ringing >=110 Hz sound.
    float dead_time_ms = 4;           // minimum spacing between candidates on a channel; cluster pops are ~26 ms apart
    float fuse_ms = 6;                // candidates on different channels this close are one event

    // --- stage 2: spectral analysis around each candidate ------------------------------------
    float frame_ms = 5.3f;      // FFT frame ~ one pop (5.7 ms mean): 256 samples at 48 kHz
    float lookahead_s = 0.25f;  // audio after the onset seen before deciding: key releases come 50-200 ms later
    float context_s = 1.5f;     // past context for typing rhythm and activity
    float cluster_gap_ms = 45;  // transients chained by shorter gaps are one cluster (spinal pops 5-40 ms apart)

    // --- the decision --------------------------------------------------------------------------
    // Pop: a sharp (<~0.5 ms rise), short (3-12 ms at -20 dB), fast-decaying, unvoiced transient
    // that is not part of a rhythm of other transients. Each rule adds log-odds (see classifier.cpp).
    float pop_prior_log_odds = 3;     // a transient that breaks no rule is a pop
    float pop_max_rise_ms = 1.0f;     // cavitation onsets are sub-millisecond (excitation 30-300 us)
    float pop_max_dur20_ms = 14;      // one pop is 3-10 ms long; allow for room/body ringing
    float pop_min_dur20_ms = 1.5f;    // a single-sample digital click is over in well under 1 ms
    float pop_min_centroid_hz = 120;  // spinal pops on skin peak at 86-1830 Hz (median 215)
    float pop_max_tail_db = -14;      // energy 15-60 ms after onset must be well under the onset's
    float pop_max_voicing = 0.45f;    // speech plosives are followed by voicing
    float pop_max_rate_hz = 1.5f;     // typing runs at 3-10 transients/s
    float pop_max_regularity = 0.6f;  // typing and footsteps are evenly spaced
    float pop_max_after_n = 0.5f;     // a key or mouse press is followed by its release 50-200 ms later
    float pop_threshold = 0.5f;       // P(pop) above this counts as a pop

    // Clunk: a dull, low-frequency (50-200 Hz), longer (25-250 ms) ringing thud.
    float clunk_min_dur20_ms = 22;
    float clunk_max_centroid_hz = 400;
    float clunk_min_low_db = -4;     // most energy below 500 Hz
    float clunk_min_rise_ms = 0.8f;  // clunks rise over 1-5 ms; knocks and slams are sharp

    // --- grouping ---------------------------------------------------------------------------
    float episode_gap_s = 2.0f;  // pops closer than this are one act of cracking
};

}  // namespace popwatch

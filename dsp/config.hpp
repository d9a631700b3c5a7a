// Every tunable of the detector, with its default and the reason for it. The same struct is
// filled from the config file / command line and printed by `popwatch config`.
#pragma once

namespace popwatch {

struct DetectorConfig {
    // --- stage 1: the time-domain gate (runs on every sample, must be cheap) -----------------
    float highpass_hz = 80;           // removes DC, motion (<50 Hz) and heartbeat thumps that mask contact pops;
                                      //   clunks (50-200 Hz) lose some level below it but stay audible
    float cell_ms = 0.5f;             // energy cell: fine enough to split pops 5 ms apart, coarse enough to be cheap
    float background_rise_s = 2.0f;   // background follows rising energy slowly, so a pop does not lift it
    float background_fall_s = 0.15f;  // ...and falling energy quickly, so it recovers after a loud sound
    float gate_db = 8;                // a candidate starts this far above the background (adaptive threshold)
    float floor_dbfs = -72;           // absolute floor: nothing quieter than this is a candidate (silent rooms)
    float rise_db = 6;                // ...and this far above the loudest cell of the `hold_ms` before it, either
    float hold_ms = 4;                //   just before (sharp onsets) or `rise_window_ms` earlier (1-5 ms clunk
    float rise_window_ms = 3;         //   attacks). Holding 4 ms spans the ripple of a ringing >=110 Hz sound.
    float rearm_db = 6;               // after a candidate, the level must fall this far from its peak before the
                                      //   next (hysteresis: a slow 1-5 ms clunk attack is one candidate, not two)
    float dead_time_ms = 4;           // minimum spacing between candidates on a channel; cluster pops are ~26 ms apart
    float fuse_ms = 6;                // candidates on different channels this close are one event

    // --- stage 2: spectral analysis around each candidate ------------------------------------
    float frame_ms = 5.3f;      // FFT frame ~ one pop (5.7 ms mean): 256 samples at 48 kHz
    float lookahead_s = 0.25f;  // audio after the onset seen before deciding: key releases come 50-200 ms later
    float context_s = 1.5f;     // past context for typing rhythm and activity
    float cluster_gap_ms = 45;  // transients chained by shorter gaps are one cluster (spinal pops 5-40 ms apart)

    // --- the decision (classifier.hpp) -------------------------------------------------------
    // P(pop) comes from the trained model; this threshold trades recall for false pops. Chosen,
    // with the chain rule below, as the one with the fewest false + missed pops on the dev split
    // and its tuning set (11.8 h, 7 of them office negatives; `popwatch_accuracy --split dev
    // --tuning --sweep ...`, BENCHMARKS.md "Choosing the pop threshold"), never on the test split.
    // Those scenes hold ~150 pops an hour, a day of real use a few, so a user who wants fewer
    // false pops at the cost of more missed ones should raise it: the table says by how much.
    // 0.8 until session 10 (chosen on a held-out fifth of the training audio): 4.6 false pops/h
    // on the dev negatives, 2.4 now.
    float pop_threshold = 0.88f;
    // Inside an act the odds are the other way round: a candidate chained (gaps under
    // cluster_gap_ms) within pop_chain_span_s of a pop that reached pop_threshold is a pop from
    // pop_chain_threshold (hysteresis, as in double-threshold edge and onset detection). A
    // spinal cluster's later pops, which the model is less sure of, stay with their first; a
    // lone keystroke still needs pop_threshold. Not the quick models: they decide before the act
    // is heard; the dual model has its own (dual_pop_chain_threshold). 0.8 is the single
    // threshold of the sessions before, chosen on the pop-dense training audio, which is what
    // the inside of an act is. pop_chain_threshold >= pop_threshold turns it off.
    float pop_chain_threshold = 0.8f;
    float pop_chain_span_s = 0.15f;  // a spinal cluster's 2-5 pops come within ~150 ms (research note)
    // The pop model (not the dual or the quick ones, which are smaller) stops after its first
    // `pop_early_trees` trees on a candidate whose log-odds are still under `pop_early_give_up`,
    // and that partial sum is its P(pop) (under 0.007). On 12 h of held-out training audio no
    // candidate the whole model puts at P >= 0.5 is under -1.96 there, and 82 % of candidates are
    // under -5 (BENCHMARKS.md, "Speed"). 0 trees: always the whole model.
    int pop_early_trees = 128;
    float pop_early_give_up = -5;
    // The same for the dual-sensor model (a contact sensor plus the air reference, issue #8), by
    // pop_threshold's rule of session 10 on the dev split of bench/dual_accuracy (the fewest false
    // plus missed pops, with the chain rule below): dev F1 0.781 at 1.0 false pops/h, against
    // 0.794 at 8.5 for session 8's 0.85 without the chain rule. Held back in sessions 10-11
    // because clean pops through the live two-device path came in at P(pop) 0.84-0.999; that dip
    // was the background tracker after digital silence (fixed in session 12: 0.996-0.998 since).
    float dual_pop_threshold = 0.98f;
    // The act's chain rule for the dual model, as pop_chain_threshold for the single one
    // (equal to dual_pop_threshold turns it off).
    float dual_pop_chain_threshold = 0.85f;

    // Clunk (a dull, low 50-200 Hz, 25-250 ms thud) from its own model; a clunk is reported and
    // triggers the red-flag note, so this threshold favours precision. Chosen on the held-out dev
    // fifth (3 h): 71 of 117 clunks found with 2 false (BENCHMARKS.md, "Clunks: the thud's body").
    float clunk_threshold = 0.88f;
    // The clunk model (649 depth-4 trees, walked for every candidate before the pop model) stops
    // like the pop model: after `clunk_early_trees` trees on a candidate whose log-odds are still
    // under `clunk_early_give_up`. On 8 h of held-out training audio (185 905 candidates, 328 the
    // whole model puts at P(clunk) >= 0.5) none of those is under -1.85 after 128 trees, and 97.6 %
    // of all candidates are under -5 (BENCHMARKS.md, "Speed"). 0 trees: always the whole model.
    int clunk_early_trees = 128;
    float clunk_early_give_up = -5;
    // One clunk per thud: a slow attack or a low ring re-triggers the gate, so a clunk decision
    // within this of the last clunk's onset (or before its -20 dB end) is that clunk, reported once.
    float clunk_merge_s = 0.15f;

    // --- grouping ---------------------------------------------------------------------------
    float episode_gap_s = 2.0f;  // pops closer than this are one act of cracking

    // --- quick decisions (listen --quick, issue #4) ------------------------------------------
    // Decide `quick_lookahead_s` after each onset instead of `lookahead_s`, with models trained on
    // features measured that way (dsp/models/quick_*.json, bench/train.sh): a pop is printed about
    // 25 ms after it happens instead of about 290 ms. What it costs is measured, not guessed: the
    // quick rows of BENCHMARKS.md's accuracy table (no key releases, echoes or voicing to see yet).
    // No two-sensor model is trained for it, so it refuses an air reference.
    float quick_lookahead_s = 0.012f;  // the pop itself (~6 ms) and its first ring; what the quick models saw
    // Not moved by pop_threshold's rule of session 10: it would take it to 0.85 for 6 fewer false
    // + missed pops in 420 (1.4 %), and clean pops at 44.1 kHz get 0.92-0.96 from the quick model
    // (0.999 from the full one), less through a live capture path (BENCHMARKS.md).
    float quick_pop_threshold = 0.8f;
    float quick_clunk_threshold = 0.7f;  // for the quick clunk model (no body to see yet)
    bool quick = false;

    // The lookahead in effect: quick_lookahead_s when quick.
    float decision_lookahead_s() const { return quick ? quick_lookahead_s : lookahead_s; }
};

}  // namespace popwatch

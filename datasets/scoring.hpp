// Scoring detections against labels: one-to-one matching of pops within a tolerance (the rule of
// mir_eval.onset.f_measure), episodes, clunks, timing error and false pops per hour. Counts are
// summed over files (`pool`), never averaged per file; undefined ratios are NaN, not 0 or 1.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "datasets/labels.hpp"
#include "dsp/config.hpp"
#include "dsp/event.hpp"

namespace popwatch {

struct ScoreOptions {
    double tolerance_s = 0.010;                             // a detected pop matches a labelled one within +-10 ms
    double clunk_tolerance_s = 0.050;                       // clunks last 25-250 ms; their onset is less sharp
    double episode_gap_s = DetectorConfig{}.episode_gap_s;  // regroups labels without episodes
    double confounder_margin_s = 0.020;                     // a false pop this close to a confounder is blamed on it
};

// One-line statement of the matching rule, for reports.
std::string matching_rule(const ScoreOptions& options);

// True / false positives and false negatives, with the ratios derived from them.
struct Counts {
    std::int64_t tp = 0, fp = 0, fn = 0;

    std::int64_t reference() const { return tp + fn; }  // labelled
    std::int64_t detected() const { return tp + fp; }
    double precision() const;  // tp / (tp + fp); NaN when nothing was detected
    double recall() const;     // tp / (tp + fn); NaN when nothing was labelled
    double f1() const;         // 2PR / (P + R); 0 when tp == 0 (also when nothing was
                               // detected); NaN when nothing was labelled
    Counts& operator+=(const Counts& other);
};

// The score of one file, or of several pooled. Every field is a sum or a concatenation, so
// pooling is exact.
struct Score {
    int files = 0;
    int negative_files = 0;          // files without labelled pops
    double duration_s = 0;           // all audio scored
    double negative_duration_s = 0;  // audio of the negative files

    Counts pops;                           // tolerance_s, one-to-one
    Counts episodes;                       // spans widened by tolerance_s overlap, one-to-one
    Counts clunks;                         // labelled vs detected clunks within clunk_tolerance_s
    std::int64_t clunks_as_pops = 0;       // labelled clunks with a false detected pop within
                                           // clunk_tolerance_s: must be zero
    std::int64_t negative_false_pops = 0;  // detected pops in the negative files

    std::vector<double> timing_errors_s;  // detected - labelled, per matched pop (signed)
    // Each false pop blamed on one cause: "clunk" (a labelled clunk), "doubled" (a second
    // detection of a labelled pop), the class of the confounder heard then (the loudest of those
    // sounding, when their envelopes are known; else the one that started nearest), or
    // "unattributed".
    std::map<std::string, std::int64_t> false_pops_by_class;

    double false_pops_per_negative_hour() const;  // NaN without negative audio
    double false_pops_per_hour() const;           // pops.fp over all audio; NaN without audio
    double median_abs_error_s() const;            // NaN without matched pops
    double p95_abs_error_s() const;
    double mean_error_s() const;  // signed: a constant lag shows here
};
using FileScore = Score;  // a file's score is a pool of one

// Scores one recording. `detected` is what the detector reported (pops and clunks are scored,
// `other` is ignored); detected pops are grouped into episodes by their `episode` index.
// Labelled pops are grouped by their `episode`, and those without one (-1) by the gap rule.
FileScore score_file(const std::vector<Event>& detected, const std::vector<LabelledEvent>& truth, double duration_s,
                     const ScoreOptions& options = {}, const std::vector<Confounder>* confounders = nullptr);

// Sums counts and concatenates timing errors over files.
Score pool(std::span<const Score> scores);

// 95 % intervals. The pops of a file come in acts and are not independent draws, so the
// interval of a pooled measure resamples whole files (percentile bootstrap, a fixed seed: the
// same files give the same interval) and pools each resample's counts; resamples where the
// measure is undefined (NaN) are left out, and if most are, so is the interval (NaN, NaN). A
// resample's Score holds the counts and durations, not the timing errors or the causes.
struct Interval {
    double lo = std::numeric_limits<double>::quiet_NaN(), hi = std::numeric_limits<double>::quiet_NaN();
};
Interval bootstrap_interval(std::span<const Score> files, const std::function<double(const Score&)>& measure,
                            int resamples = 2000);
// False pops are rare counts: the exact (Garwood) Poisson interval for the rate of `events`
// in `hours` (events per hour).
Interval poisson_rate_interval(std::int64_t events, double hours);

// The matching behind every count: a maximum-cardinality one-to-one matching where reference
// r and estimate e may pair when e - tolerance <= r <= e + tolerance (mir_eval.util.match_events).
// Inputs need not be sorted; pairs are indices into them, in increasing reference time.
struct Match {
    std::size_t reference = 0, estimate = 0;
};
std::vector<Match> match_events(std::span<const double> reference_s, std::span<const double> estimate_s,
                                double tolerance_s);

// Linear-interpolated percentile (numpy's default) of |values|, q in [0, 1]; NaN when empty.
double abs_percentile(std::span<const double> values, double q);

// For `popwatch eval --json` and the benchmark driver; NaN ratios become null.
nlohmann::json to_json(const Counts& counts);
nlohmann::json to_json(const Score& score);

}  // namespace popwatch

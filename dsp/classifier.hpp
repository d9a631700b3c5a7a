// The decision: pop, clunk or other, with a confidence, from the features of one transient.
//   1. Clunk: gradient-boosted trees (dsp/models/clunk_classifier.json) give P(clunk); checked
//      first, so a clunk is never counted as a pop.
//   2. Pop or other: gradient-boosted trees (dsp/models/pop_classifier.json) give P(pop); a pop
//      when P reaches DetectorConfig::pop_threshold, unless the onset adds no energy at all (a
//      steady sound re-triggering the gate, which no model learned from).
//   With an air reference (issue #8) step 2 uses the dual model (dual_classifier.json) instead.
// DetectorConfig::quick swaps in the quick models (dsp/models/quick_*.json), trained on features
// measured quick_lookahead_s after the onset, and quick_pop_threshold / quick_clunk_threshold.
// All are trained by bench/train.sh on the development split only (XGBoost), and evaluated
// here without XGBoost (tree_model.hpp).
// explain_decision() lists the features and what each contributed to the log-odds.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "dsp/config.hpp"
#include "dsp/event.hpp"

namespace popwatch {

struct Decision {
    Kind kind = Kind::other;
    float confidence = 0;         // that `kind` is right
    float pop_probability = 0;    // P(pop) (0 for clunks)
    float clunk_probability = 0;  // P(clunk)
};

// `dual`: decide pop vs other with the dual-sensor model (dsp/models/dual_classifier.json, the
// air reference's features included) and DetectorConfig::dual_pop_threshold; the clunk model is
// the same either way.
Decision classify(const Features& features, const DetectorConfig& config, bool dual = false);

// Step 2's rule on its own: a candidate the clunk model passed is a pop when its P(pop) reaches
// `threshold` and its onset adds energy. For re-deciding recorded events at other thresholds.
bool counts_as_pop(const Features& features, float pop_probability, float threshold);

// The act's chain rule (DetectorConfig::pop_chain_threshold): a candidate decided `other` whose
// P(pop) reaches pop_chain_threshold (dual_pop_chain_threshold when the dual model decided it) is
// a pop when it is chained (consecutive events under cluster_gap_ms apart) within
// pop_chain_span_s of an anchor, a pop that reached its threshold on its own. Not with the quick
// models. The detector applies it as it releases events in time order;
// apply_pop_chains() is the same rule on a whole file's events, for the accuracy driver.
struct ChainThresholds {
    float low, high;  // a chained candidate's P(pop) threshold, and the anchor's (its model's own)
    bool on;          // off for the quick models, and when low >= high
};
ChainThresholds chain_thresholds(const Event& event, const DetectorConfig& config);
// The longest gap within one chain (DetectorConfig::cluster_gap_ms), in seconds.
inline double chain_gap_s(const DetectorConfig& config) { return config.cluster_gap_ms * 1e-3; }
bool anchors_chain(const Event& event, const DetectorConfig& config);
bool may_join_chain(const Event& event, const DetectorConfig& config);
// Whether an anchor is chained after events[i] (in time order) within pop_chain_span_s of it.
bool anchor_ahead(std::span<const Event> events, std::size_t i, const DetectorConfig& config);
// `events`: every event of one stream (kind other included) in time order, as the detector
// delivered them with the chain rule off; returns how many became pops, and numbers the episodes
// of the pops again as the detector does.
std::size_t apply_pop_chains(std::span<Event> events, const DetectorConfig& config);

// Builds the models `config` decides with (each once per process), so that the first decision
// does not allocate: the detector calls it from its constructor.
void load_models(const DetectorConfig& config, bool dual);

// Multi-line explanation: the decision, every feature, then the features that moved it most.
std::string explain_decision(const Features& features, const Decision& decision, const DetectorConfig& config,
                             bool dual = false);

}  // namespace popwatch

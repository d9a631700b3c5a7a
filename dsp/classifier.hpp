// The decision: pop, clunk or other, with a confidence, from the features of one transient.
//   1. Clunk: a reviewed rule on the measured facts (dull 50-200 Hz thud, 25-250 ms, slow onset;
//      cavitation-acoustics.md section 2.2), checked first so a clunk is never counted as a pop.
//   2. Pop or other: gradient-boosted trees (dsp/models/pop_classifier.json, trained by
//      bench/train_classifier on the development split only) give P(pop); a pop when P reaches
//      DetectorConfig::pop_threshold.
// explain_decision() lists the features and what each contributed to the log-odds.
#pragma once

#include <array>
#include <string>

#include "dsp/config.hpp"
#include "dsp/event.hpp"

namespace popwatch {

struct Decision {
    Kind kind = Kind::other;
    float confidence = 0;                                // that `kind` is right
    float pop_probability = 0;                           // the model's P(pop) (0 for clunks)
    bool clunk_rule = false;                             // decided by the clunk rule
    float bias = 0;                                      // the model's expected log-odds
    std::array<float, Features::count> contributions{};  // per feature, log-odds
};

Decision classify(const Features& features, const DetectorConfig& config);

// Multi-line explanation: the decision, every feature, then the features that moved it most.
std::string explain_decision(const Features& features, const Decision& decision, const DetectorConfig& config);

}  // namespace popwatch

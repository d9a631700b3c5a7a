// The decision: pop, clunk or other, with a confidence, from the features of one transient.
// Transparent by construction: each rule adds log-odds for "pop", and explain() lists them.
// Rule limits come from the measured facts in cavitation-acoustics.md (see config.hpp).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "dsp/config.hpp"
#include "dsp/event.hpp"

namespace popwatch {

struct Rule {
    std::string_view name;  // what the rule checks, in words
    Features::Index feature;
    float limit;
    float log_odds;  // what it added to the pop score (negative: against a pop)
};

struct Decision {
    Kind kind = Kind::other;
    float confidence = 0;  // that `kind` is right
    float pop_probability = 0;
    std::array<Rule, 12> rules{};
    std::size_t rule_count = 0;
};

Decision classify(const Features& features, const DetectorConfig& config);

// Multi-line explanation: every feature, then each rule that moved the decision.
std::string explain_decision(const Features& features, const Decision& decision);

}  // namespace popwatch

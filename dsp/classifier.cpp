#include "dsp/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "dsp/tree_model.hpp"

namespace popwatch {
namespace {

float sigmoid(float x) { return 1 / (1 + std::exp(-x)); }

bool is_clunk(const Features& f, const DetectorConfig& c) {
    using F = Features;
    return f[F::dur20_ms] >= c.clunk_min_dur20_ms && f[F::centroid_hz] <= c.clunk_max_centroid_hz &&
           f[F::low_db] >= c.clunk_min_low_db && f[F::rise_ms] >= c.clunk_min_rise_ms && f[F::after_n] < 1;
}

}  // namespace

Decision classify(const Features& f, const DetectorConfig& c) {
    using F = Features;
    Decision d;
    if (is_clunk(f, c)) {
        d.kind = Kind::clunk;
        d.clunk_rule = true;
        d.confidence =
            sigmoid((f[F::dur20_ms] - c.clunk_min_dur20_ms) / 5 + (c.clunk_max_centroid_hz - f[F::centroid_hz]) / 100);
        return d;
    }
    const TreeModel& model = default_pop_model();
    d.pop_probability = sigmoid(model.log_odds(f));
    if (d.pop_probability >= c.pop_threshold) {
        d.kind = Kind::pop;
        d.confidence = d.pop_probability;
    } else {
        d.kind = Kind::other;
        d.confidence = 1 - d.pop_probability;
    }
    return d;
}

std::string explain_decision(const Features& f, const Decision& decision, const DetectorConfig& c) {
    std::string out;
    char line[200];
    std::snprintf(line, sizeof line, "  %s (confidence %.2f)\n", std::string(kind_name(decision.kind)).c_str(),
                  decision.confidence);
    out += line;
    out += "  features:";
    for (std::size_t i = 0; i < Features::count; ++i) {
        std::snprintf(line, sizeof line, "%s %s=%.3g", i % 6 == 0 ? "\n   " : "", std::string(feature_names[i]).c_str(),
                      f.values[i]);
        out += line;
    }
    out += "\n";
    if (decision.clunk_rule) {
        std::snprintf(line, sizeof line,
                      "  why: long (dur20_ms %.1f >= %.0f), dull (centroid_hz %.0f <= %.0f, low_db %.1f >= %.0f) and "
                      "slow to rise (rise_ms %.2f >= %.1f): a clunk\n",
                      f[Features::dur20_ms], c.clunk_min_dur20_ms, f[Features::centroid_hz], c.clunk_max_centroid_hz,
                      f[Features::low_db], c.clunk_min_low_db, f[Features::rise_ms], c.clunk_min_rise_ms);
        return out + line;
    }
    std::array<float, Features::count> contrib{};
    const float bias = default_pop_model().contributions(f, contrib);
    std::array<std::size_t, Features::count> order{};
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return std::abs(contrib[a]) > std::abs(contrib[b]); });
    const float total = std::accumulate(contrib.begin(), contrib.end(), bias);
    std::snprintf(line, sizeof line, "  why: P(pop) %.3f (log-odds %+.2f = typical %+.2f", sigmoid(total), total, bias);
    out += line;
    for (std::size_t k = 0; k < 6; ++k) {
        std::snprintf(line, sizeof line, ", %s %+.2f", std::string(feature_names[order[k]]).c_str(), contrib[order[k]]);
        out += line;
    }
    std::snprintf(line, sizeof line, ", ...); a pop from %.2f\n", c.pop_threshold);
    return out + line;
}

}  // namespace popwatch

#include "dsp/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace popwatch {
namespace {

float sigmoid(float x) { return 1 / (1 + std::exp(-x)); }

struct Scorer {
    Decision& d;
    const Features& f;
    // Adds -weight x (how far the feature is past its limit, in units of `scale`).
    void above(std::string_view name, Features::Index i, float limit, float scale, float weight) {
        if (f[i] > limit) add(name, i, limit, -weight * std::min((f[i] - limit) / scale, 4.0f));
    }
    void below(std::string_view name, Features::Index i, float limit, float scale, float weight) {
        if (f[i] < limit) add(name, i, limit, -weight * std::min((limit - f[i]) / scale, 4.0f));
    }
    void add(std::string_view name, Features::Index i, float limit, float log_odds) {
        if (d.rule_count < d.rules.size()) d.rules[d.rule_count++] = Rule{name, i, limit, log_odds};
    }
    float total(float prior) const {
        float sum = prior;
        for (std::size_t k = 0; k < d.rule_count; ++k) sum += d.rules[k].log_odds;
        return sum;
    }
};

}  // namespace

Decision classify(const Features& f, const DetectorConfig& c) {
    using F = Features;
    Decision d;
    Scorer s{d, f};

    // A clunk: long, dull, low and not sharp. Checked first; never counted as a pop.
    const bool clunk = f[F::dur20_ms] >= c.clunk_min_dur20_ms && f[F::centroid_hz] <= c.clunk_max_centroid_hz &&
                       f[F::low_db] >= c.clunk_min_low_db && f[F::rise_ms] >= c.clunk_min_rise_ms && f[F::after_n] < 1;
    if (clunk) {
        s.add("long, low and slow-onset: a clunk", F::dur20_ms, c.clunk_min_dur20_ms, -8);
        d.kind = Kind::clunk;
        d.pop_probability = 0;
        d.confidence =
            sigmoid((f[F::dur20_ms] - c.clunk_min_dur20_ms) / 5 + (c.clunk_max_centroid_hz - f[F::centroid_hz]) / 100);
        return d;
    }

    s.above("onset too slow for a cavitation", F::rise_ms, c.pop_max_rise_ms, c.pop_max_rise_ms, 3);
    s.above("rings too long for one pop", F::dur20_ms, c.pop_max_dur20_ms, c.pop_max_dur20_ms / 2, 3);
    s.below("too short: a digital click", F::dur20_ms, c.pop_min_dur20_ms, c.pop_min_dur20_ms / 2, 4);
    s.below("too dull for a pop", F::centroid_hz, c.pop_min_centroid_hz, c.pop_min_centroid_hz / 2, 3);
    s.above("keeps sounding after the onset", F::tail_db, c.pop_max_tail_db, 6, 2);
    s.above("voiced sound follows (speech)", F::voicing, c.pop_max_voicing, 0.15f, 2);
    s.above("inside a run of transients (typing)", F::rate_hz, c.pop_max_rate_hz, 1.0f, 2);
    s.above("evenly spaced neighbours (typing rhythm)", F::regularity, c.pop_max_regularity, 0.2f, 1.5f);
    s.above("followed by more transients (release, knock)", F::after_n, c.pop_max_after_n, 0.5f, 2);

    d.pop_probability = sigmoid(s.total(c.pop_prior_log_odds));
    if (d.pop_probability >= c.pop_threshold) {
        d.kind = Kind::pop;
        d.confidence = d.pop_probability;
    } else {
        d.kind = Kind::other;
        d.confidence = 1 - d.pop_probability;
    }
    return d;
}

std::string explain_decision(const Features& f, const Decision& d) {
    std::string out;
    char line[160];
    std::snprintf(line, sizeof line, "  %s (confidence %.2f, P(pop) %.2f)\n", std::string(kind_name(d.kind)).c_str(),
                  d.confidence, d.pop_probability);
    out += line;
    out += "  features:";
    for (std::size_t i = 0; i < Features::count; ++i) {
        std::snprintf(line, sizeof line, "%s %s=%.3g", i % 6 == 0 ? "\n   " : "", std::string(feature_names[i]).c_str(),
                      f.values[i]);
        out += line;
    }
    out += "\n";
    if (d.rule_count == 0) out += "  why: every pop rule passed (sharp, short, bright enough, unvoiced, isolated)\n";
    for (std::size_t k = 0; k < d.rule_count; ++k) {
        const Rule& r = d.rules[k];
        std::snprintf(line, sizeof line, "  why: %s (%s=%.3g, limit %.3g) %+.2f\n", std::string(r.name).c_str(),
                      std::string(feature_names[r.feature]).c_str(), f[r.feature], r.limit, r.log_odds);
        out += line;
    }
    return out;
}

}  // namespace popwatch

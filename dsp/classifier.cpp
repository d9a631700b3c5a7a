#include "dsp/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "dsp/tree_model.hpp"

namespace popwatch {
namespace {

float sigmoid(float x) { return 1 / (1 + std::exp(-x)); }

// The models and thresholds of one decision: quick (listen --quick) or full lookahead, single
// sensor or with the air reference.
const TreeModel& clunk_model(const DetectorConfig& c) { return c.quick ? quick_clunk_model() : default_clunk_model(); }
const TreeModel& pop_model(const DetectorConfig& c, bool dual) {
    return c.quick ? quick_pop_model() : dual ? default_dual_model() : default_pop_model();
}
// The model's log-odds, given up after `early_trees` trees on a candidate still under
// `give_up_below` (TreeModel::log_odds_or_give_up; DetectorConfig::pop_early_trees and
// clunk_early_trees); 0 trees: the whole walk, bit for bit.
float early_log_odds(const TreeModel& model, const Features& f, int early_trees, float give_up_below) {
    return model.log_odds_or_give_up(f, static_cast<std::size_t>(std::max(0, early_trees)), give_up_below);
}
float clunk_threshold(const DetectorConfig& c) { return c.quick ? c.quick_clunk_threshold : c.clunk_threshold; }
float pop_threshold(const DetectorConfig& c, bool dual) {
    return c.quick ? c.quick_pop_threshold : dual ? c.dual_pop_threshold : c.pop_threshold;
}

// A transient adds energy. When the onset frame holds none that the frame before it lacked (the
// power subtraction leaves nothing, and the spectral shape reads centroid 0), the candidate is a
// steady or repeating sound re-triggering the gate: a clipped hum, a buzz. The models saw almost
// no pops like that (3 of the 18 774 in 60 h of training audio, against 400 negatives), so what
// their trees say there is extrapolation; it is not a pop.
bool adds_no_energy(const Features& f) { return !(f[Features::centroid_hz] > 0); }

}  // namespace

bool counts_as_pop(const Features& f, float pop_probability, float threshold) {
    return pop_probability >= threshold && !adds_no_energy(f);
}

ChainThresholds chain_thresholds(const Event& e, const DetectorConfig& c) {
    const bool dual = e.air == AirPath::dual;
    const float low = dual ? c.dual_pop_chain_threshold : c.pop_chain_threshold, high = pop_threshold(c, dual);
    return {low, high, !c.quick && low < high};
}

bool anchors_chain(const Event& e, const DetectorConfig& c) { return e.kind == Kind::pop && chain_thresholds(e, c).on; }

bool may_join_chain(const Event& e, const DetectorConfig& c) {
    const ChainThresholds t = chain_thresholds(e, c);
    return e.kind == Kind::other && t.on && counts_as_pop(e.features, e.pop_probability, t.low);
}

bool anchor_ahead(std::span<const Event> events, std::size_t i, const DetectorConfig& c) {
    const double gap = chain_gap_s(c);
    for (std::size_t k = i + 1; k < events.size(); ++k) {
        if (events[k].time_s - events[k - 1].time_s > gap || events[k].time_s - events[i].time_s > c.pop_chain_span_s)
            return false;
        if (anchors_chain(events[k], c)) return true;
    }
    return false;
}

std::size_t apply_pop_chains(std::span<Event> events, const DetectorConfig& c) {
    const double gap = chain_gap_s(c);
    std::vector<bool> joins(events.size(), false);
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (!may_join_chain(events[i], c)) continue;
        const double t = events[i].time_s;
        for (std::size_t k = i; k > 0 && !joins[i]; --k) {  // back along the chain
            if (events[k].time_s - events[k - 1].time_s > gap || t - events[k - 1].time_s > c.pop_chain_span_s) break;
            joins[i] = anchors_chain(events[k - 1], c);
        }
        joins[i] = joins[i] || anchor_ahead(events, i, c);
    }
    std::size_t n = 0;
    EpisodeCounter episodes;
    for (std::size_t i = 0; i < events.size(); ++i) {
        Event& e = events[i];
        if (joins[i]) e.kind = Kind::pop, e.confidence = e.pop_probability, ++n;
        e.episode = e.kind == Kind::pop ? episodes.next(e.time_s, c.episode_gap_s) : -1;
    }
    return n;
}

void load_models(const DetectorConfig& c, bool dual) {
    clunk_model(c);
    pop_model(c, dual);
    if (dual) pop_model(c, false);  // the fallback while the air reference is unhealthy
}

Decision classify(const Features& f, const DetectorConfig& c, bool dual) {
    Decision d;
    d.clunk_probability =
        sigmoid(early_log_odds(clunk_model(c), f, c.quick ? 0 : c.clunk_early_trees, c.clunk_early_give_up));
    if (d.clunk_probability >= clunk_threshold(c)) {
        d.kind = Kind::clunk;
        d.confidence = d.clunk_probability;
        return d;
    }
    d.pop_probability =
        sigmoid(early_log_odds(pop_model(c, dual), f, c.quick || dual ? 0 : c.pop_early_trees, c.pop_early_give_up));
    if (counts_as_pop(f, d.pop_probability, pop_threshold(c, dual))) {
        d.kind = Kind::pop;
        d.confidence = d.pop_probability;
    } else {
        d.kind = Kind::other;
        d.confidence = 1 - d.pop_probability;
    }
    return d;
}

std::string explain_decision(const Features& f, const Decision& decision, const DetectorConfig& c, bool dual) {
    std::string out;
    char line[200];
    std::snprintf(line, sizeof line, "  %s (confidence %.2f)\n", std::string(kind_name(decision.kind)).c_str(),
                  decision.confidence);
    out += line;
    out += "  features:";
    for (std::size_t i = 0, shown = 0; i < Features::count; ++i) {
        if (!dual && Features::is_air(i)) continue;
        std::snprintf(line, sizeof line, "%s %s=%.3g", shown++ % 6 == 0 ? "\n   " : "",
                      std::string(feature_names[i]).c_str(), f.values[i]);
        out += line;
    }
    out += "\n";
    const bool clunk = decision.kind == Kind::clunk;
    std::array<float, Features::count> contrib{};
    const float bias = (clunk ? clunk_model(c) : pop_model(c, dual)).contributions(f, contrib);
    std::array<std::size_t, Features::count> order{};
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return std::abs(contrib[a]) > std::abs(contrib[b]); });
    const float total = std::accumulate(contrib.begin(), contrib.end(), bias);
    std::snprintf(line, sizeof line, "  why: P(%s) %.3f (log-odds %+.2f = typical %+.2f", clunk ? "clunk" : "pop",
                  sigmoid(total), total, bias);
    out += line;
    for (std::size_t k = 0; k < 6; ++k) {
        std::snprintf(line, sizeof line, ", %s %+.2f", std::string(feature_names[order[k]]).c_str(), contrib[order[k]]);
        out += line;
    }
    std::snprintf(line, sizeof line, ", ...); a %s from %.2f%s\n", clunk ? "clunk" : "pop",
                  clunk ? clunk_threshold(c) : pop_threshold(c, dual), c.quick ? " (quick models)" : "");
    out += line;
    if (!clunk && adds_no_energy(f))
        out += "  not a transient: the onset frame adds no energy to the frame before it (a steady sound)\n";
    if (!clunk) {  // the clunk model spoke first and said no: say by how much
        std::snprintf(line, sizeof line, "  not a clunk: P(clunk) %.3f; a clunk from %.2f\n",
                      decision.clunk_probability, clunk_threshold(c));
        out += line;
    }
    return out;
}

}  // namespace popwatch

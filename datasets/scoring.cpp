#include "datasets/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <utility>

namespace popwatch {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double seconds_per_hour = 3600;

double ratio(std::int64_t numerator, std::int64_t denominator) {
    return denominator == 0 ? nan : static_cast<double>(numerator) / static_cast<double>(denominator);
}

std::vector<std::size_t> time_order(std::span<const double> times_s) {
    std::vector<std::size_t> order(times_s.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return times_s[a] < times_s[b]; });
    return order;
}

// --- episodes ------------------------------------------------------------------------------------

struct Span {
    double first_s = 0, last_s = 0;
};

struct TimedPop {
    double time_s = 0;
    int episode = -1;
};

// Episode spans [first pop, last pop]: pops grouped by their episode index, and pops without one
// (-1) grouped among themselves by the gap rule.
std::vector<Span> episode_spans(std::vector<TimedPop> pops, double gap_s) {
    std::sort(pops.begin(), pops.end(), [](const TimedPop& a, const TimedPop& b) { return a.time_s < b.time_s; });
    std::map<int, Span> by_index;
    std::vector<double> loose_s;
    for (const auto& pop : pops) {
        if (pop.episode < 0) {
            loose_s.push_back(pop.time_s);
        } else if (auto [it, added] = by_index.try_emplace(pop.episode, Span{pop.time_s, pop.time_s}); !added) {
            it->second.last_s = pop.time_s;  // pops are in time order
        }
    }
    std::vector<Span> spans;
    for (const auto& [index, span] : by_index) spans.push_back(span);
    const auto groups = group_episodes(loose_s, gap_s);
    for (std::size_t i = 0; i < loose_s.size(); ++i) {
        if (i == 0 || groups[i] != groups[i - 1]) {
            spans.push_back({loose_s[i], loose_s[i]});
        } else {
            spans.back().last_s = loose_s[i];
        }
    }
    return spans;
}

// Maximum bipartite matching by augmenting paths (Kuhn 1955). Labels may number episodes
// arbitrarily, so episode spans can interleave and the sweep of match_events does not apply;
// episodes are few, so O(V E) is cheap.
class Augmenter {
   public:
    Augmenter(const std::vector<std::vector<std::size_t>>& adjacent, std::size_t right_count)
        : adjacent_(adjacent), owner_(right_count, none), seen_(right_count) {}

    std::size_t matching_size() {
        std::size_t size = 0;
        for (std::size_t left = 0; left < adjacent_.size(); ++left) {
            std::fill(seen_.begin(), seen_.end(), false);
            if (augment(left)) ++size;
        }
        return size;
    }

   private:
    static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

    bool augment(std::size_t left) {
        for (const std::size_t right : adjacent_[left]) {
            if (seen_[right]) continue;
            seen_[right] = true;
            if (owner_[right] == none || augment(owner_[right])) {
                owner_[right] = left;
                return true;
            }
        }
        return false;
    }

    const std::vector<std::vector<std::size_t>>& adjacent_;
    std::vector<std::size_t> owner_;
    std::vector<bool> seen_;
};

Counts match_episodes(const std::vector<Span>& detected, const std::vector<Span>& labelled, double tolerance_s) {
    std::vector<std::vector<std::size_t>> adjacent(detected.size());
    for (std::size_t d = 0; d < detected.size(); ++d) {
        for (std::size_t l = 0; l < labelled.size(); ++l) {
            if (detected[d].first_s - tolerance_s <= labelled[l].last_s + tolerance_s &&
                labelled[l].first_s - tolerance_s <= detected[d].last_s + tolerance_s) {
                adjacent[d].push_back(l);
            }
        }
    }
    const auto matched = static_cast<std::int64_t>(Augmenter(adjacent, labelled.size()).matching_size());
    return {matched, static_cast<std::int64_t>(detected.size()) - matched,
            static_cast<std::int64_t>(labelled.size()) - matched};
}

// --- false-pop attribution -----------------------------------------------------------------------

bool any_within(const std::vector<double>& sorted_s, double time_s, double tolerance_s) {
    const auto it = std::lower_bound(sorted_s.begin(), sorted_s.end(), time_s - tolerance_s);
    return it != sorted_s.end() && *it <= time_s + tolerance_s;
}

std::string blame(double time_s, const std::vector<double>& labelled_pops_s,
                  const std::vector<double>& labelled_clunks_s, const std::vector<Confounder>* confounders,
                  const ScoreOptions& options) {
    // A labelled pop within tolerance of an unmatched detection is matched to another detection
    // (else the matching would not be maximum): this is the detector firing twice.
    if (any_within(labelled_pops_s, time_s, options.tolerance_s)) return "doubled";
    if (any_within(labelled_clunks_s, time_s, options.clunk_tolerance_s)) return "clunk";
    // Among the confounders sounding then (their span, widened by the margin), the one heard: the
    // loudest within a block either side when their envelopes are known, else the one that
    // started nearest (a long sound that started earlier is still blamed if nothing else is there).
    const Confounder* heard = nullptr;
    float heard_level = -1;
    if (confounders != nullptr) {
        for (const auto& c : *confounders) {
            const bool inside = time_s >= c.time_s - options.confounder_margin_s &&
                                time_s <= c.time_s + c.duration_s + options.confounder_margin_s;
            if (!inside) continue;
            const float level =
                c.envelope.empty() ? -1.0f : envelope_level_at(c.envelope, c.time_s, time_s);  // -1: unknown
            const bool louder = level > heard_level;
            const bool as_loud_and_nearer = level == heard_level && heard != nullptr &&
                                            std::abs(time_s - c.time_s) < std::abs(time_s - heard->time_s);
            if (heard == nullptr || louder || as_loud_and_nearer) heard = &c, heard_level = level;
        }
    }
    return heard != nullptr ? heard->class_name : "unattributed";
}

}  // namespace

// --- Counts / Score ------------------------------------------------------------------------------

double Counts::precision() const { return ratio(tp, tp + fp); }
double Counts::recall() const { return ratio(tp, tp + fn); }

double Counts::f1() const {
    const double p = precision(), r = recall();
    if (std::isnan(r)) return nan;
    if (std::isnan(p) || p + r == 0) return 0.0;  // tp == 0: the harmonic mean's limit is 0
    return 2 * p * r / (p + r);
}

Counts& Counts::operator+=(const Counts& other) {
    tp += other.tp;
    fp += other.fp;
    fn += other.fn;
    return *this;
}

double Score::false_pops_per_negative_hour() const {
    return negative_duration_s > 0 ? static_cast<double>(negative_false_pops) / (negative_duration_s / seconds_per_hour)
                                   : nan;
}

double Score::false_pops_per_hour() const {
    return duration_s > 0 ? static_cast<double>(pops.fp) / (duration_s / seconds_per_hour) : nan;
}

double Score::median_abs_error_s() const { return abs_percentile(timing_errors_s, 0.5); }
double Score::p95_abs_error_s() const { return abs_percentile(timing_errors_s, 0.95); }

double Score::mean_error_s() const {
    if (timing_errors_s.empty()) return nan;
    return std::accumulate(timing_errors_s.begin(), timing_errors_s.end(), 0.0) /
           static_cast<double>(timing_errors_s.size());
}

// --- matching ------------------------------------------------------------------------------------

// Sweep over both lists in time order, pairing the earliest label with the earliest detection
// that can still match it:
//   label r before the window of detection e (r < e - tol): no remaining detection can match r
//     (later ones have later windows), so r is a false negative;
//   label after the window (r > e + tol): no remaining label can match e, so e is a false positive;
//   otherwise pair them.
// Why this is a maximum matching: assume the pairs decided so far extend to some maximum matching
// M. Skipping r or e as above agrees with M, which cannot pair them (earlier items are already
// decided, and the argument above excludes the later ones). When the sweep pairs (r, e):
//   - if M leaves both free, M + (r, e) is larger: impossible;
//   - if M pairs only r (with e') or only e (with r'), swap that pair for (r, e): same size;
//   - if M pairs r with e' and r' with e, then r <= r' and e <= e' (both later in the sweep), and
//     e' - tol <= r <= r' and r' <= e + tol <= e' + tol, so (r', e') may pair too: replace the two
//     pairs by (r, e) and (r', e'), same size.
// Either way some maximum matching contains (r, e), and by induction the sweep's matching is
// maximum. (A sweep that pairs each label with its *nearest* detection is not: see the tests.)
// Among maximum matchings this one pairs each label with the earliest possible detection, so a
// detector that fires twice on one pop is timed by its first firing.
std::vector<Match> match_events(std::span<const double> reference_s, std::span<const double> estimate_s,
                                double tolerance_s) {
    const auto refs = time_order(reference_s), ests = time_order(estimate_s);
    std::vector<Match> matches;
    std::size_t i = 0, j = 0;
    while (i < refs.size() && j < ests.size()) {
        const double r = reference_s[refs[i]], e = estimate_s[ests[j]];
        if (r < e - tolerance_s) {
            ++i;
        } else if (r > e + tolerance_s) {
            ++j;
        } else {
            matches.push_back({refs[i++], ests[j++]});
        }
    }
    return matches;
}

double abs_percentile(std::span<const double> values, double q) {
    if (values.empty()) return nan;
    std::vector<double> sorted;
    sorted.reserve(values.size());
    for (const double v : values) sorted.push_back(std::abs(v));
    std::sort(sorted.begin(), sorted.end());
    const double position = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    return sorted[below] + (sorted[above] - sorted[below]) * (position - static_cast<double>(below));
}

std::string matching_rule(const ScoreOptions& options) {
    char text[400];
    std::snprintf(text, sizeof text,
                  "one-to-one maximum matching (as mir_eval.util.match_events): a detected pop "
                  "matches a labelled pop when |t_detected - t_label| <= %.1f ms; episodes match "
                  "when their spans widened by %.1f ms overlap; clunks within %.0f ms",
                  options.tolerance_s * 1e3, options.tolerance_s * 1e3, options.clunk_tolerance_s * 1e3);
    return text;
}

// --- scoring -------------------------------------------------------------------------------------

FileScore score_file(const std::vector<Event>& detected, const std::vector<LabelledEvent>& truth, double duration_s,
                     const ScoreOptions& options, const std::vector<Confounder>* confounders) {
    std::vector<double> detected_pops_s, detected_clunks_s, labelled_pops_s, labelled_clunks_s;
    std::vector<TimedPop> detected_episodes, labelled_episodes;
    for (const auto& e : detected) {
        if (e.kind == Kind::pop) {
            detected_pops_s.push_back(e.time_s);
            detected_episodes.push_back({e.time_s, e.episode});
        } else if (e.kind == Kind::clunk) {
            detected_clunks_s.push_back(e.time_s);
        }
    }
    for (const auto& l : truth) {
        if (l.kind == Kind::pop) {
            labelled_pops_s.push_back(l.time_s);
            labelled_episodes.push_back({l.time_s, l.episode});
        } else if (l.kind == Kind::clunk) {
            labelled_clunks_s.push_back(l.time_s);
        }
    }
    std::sort(labelled_pops_s.begin(), labelled_pops_s.end());
    std::sort(labelled_clunks_s.begin(), labelled_clunks_s.end());

    Score score;
    score.files = 1;
    score.duration_s = duration_s;

    const auto pop_matches = match_events(labelled_pops_s, detected_pops_s, options.tolerance_s);
    const auto pops_matched = static_cast<std::int64_t>(pop_matches.size());
    score.pops = {pops_matched, static_cast<std::int64_t>(detected_pops_s.size()) - pops_matched,
                  static_cast<std::int64_t>(labelled_pops_s.size()) - pops_matched};
    std::vector<bool> detection_matched(detected_pops_s.size());
    for (const auto& m : pop_matches) {
        score.timing_errors_s.push_back(detected_pops_s[m.estimate] - labelled_pops_s[m.reference]);
        detection_matched[m.estimate] = true;
    }

    score.episodes = match_episodes(episode_spans(detected_episodes, options.episode_gap_s),
                                    episode_spans(labelled_episodes, options.episode_gap_s), options.tolerance_s);

    const auto clunk_matches =
        static_cast<std::int64_t>(match_events(labelled_clunks_s, detected_clunks_s, options.clunk_tolerance_s).size());
    score.clunks = {clunk_matches, static_cast<std::int64_t>(detected_clunks_s.size()) - clunk_matches,
                    static_cast<std::int64_t>(labelled_clunks_s.size()) - clunk_matches};

    std::vector<double> false_pops_s;
    for (std::size_t i = 0; i < detected_pops_s.size(); ++i) {
        if (!detection_matched[i]) false_pops_s.push_back(detected_pops_s[i]);
    }
    std::sort(false_pops_s.begin(), false_pops_s.end());
    for (const double t : labelled_clunks_s) {
        if (any_within(false_pops_s, t, options.clunk_tolerance_s)) ++score.clunks_as_pops;
    }
    for (const double t : false_pops_s) {
        ++score.false_pops_by_class[blame(t, labelled_pops_s, labelled_clunks_s, confounders, options)];
    }

    if (labelled_pops_s.empty()) {
        score.negative_files = 1;
        score.negative_duration_s = duration_s;
        score.negative_false_pops = score.pops.fp;
    }
    return score;
}

namespace {

// A file's counts and durations into a pool: everything of a Score but the timing errors and
// the causes.
void add_counts(Score& total, const Score& s) {
    total.files += s.files;
    total.negative_files += s.negative_files;
    total.duration_s += s.duration_s;
    total.negative_duration_s += s.negative_duration_s;
    total.pops += s.pops;
    total.episodes += s.episodes;
    total.clunks += s.clunks;
    total.clunks_as_pops += s.clunks_as_pops;
    total.negative_false_pops += s.negative_false_pops;
}

}  // namespace

Score pool(std::span<const Score> scores) {
    Score total;
    for (const auto& s : scores) {
        add_counts(total, s);
        total.timing_errors_s.insert(total.timing_errors_s.end(), s.timing_errors_s.begin(), s.timing_errors_s.end());
        for (const auto& [name, count] : s.false_pops_by_class) {
            total.false_pops_by_class[name] += count;
        }
    }
    return total;
}

// --- intervals -----------------------------------------------------------------------------------

Interval bootstrap_interval(std::span<const Score> files, const std::function<double(const Score&)>& measure,
                            int resamples) {
    if (files.empty() || resamples < 1) return {};
    std::mt19937_64 rng(20261123);
    std::uniform_int_distribution<std::size_t> pick(0, files.size() - 1);
    std::vector<double> values;
    for (int b = 0; b < resamples; ++b) {
        Score total;
        for (std::size_t i = 0; i < files.size(); ++i) add_counts(total, files[pick(rng)]);
        const double v = measure(total);
        if (!std::isnan(v)) values.push_back(v);
    }
    if (2 * values.size() < static_cast<std::size_t>(resamples)) return {};
    std::sort(values.begin(), values.end());
    const auto at = [&](double q) {
        return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
    };
    return {at(0.025), at(0.975)};
}

namespace {

// Poisson P(X <= k) at mean lambda.
double poisson_cdf(std::int64_t k, double lambda) {
    double term = std::exp(-lambda), sum = term;
    for (std::int64_t i = 1; i <= k; ++i) sum += term *= lambda / static_cast<double>(i);
    return sum;
}

// The lambda where poisson_cdf(k, lambda) = target (it falls as lambda grows), by bisection.
double poisson_mean_at(std::int64_t k, double target) {
    double lo = 0, hi = 1;
    while (poisson_cdf(k, hi) > target) hi *= 2;
    for (int i = 0; i < 200; ++i) {
        const double mid = (lo + hi) / 2;
        (poisson_cdf(k, mid) > target ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
}

}  // namespace

Interval poisson_rate_interval(std::int64_t events, double hours) {
    if (!(hours > 0) || events < 0) return {};
    const double upper = poisson_mean_at(events, 0.025);
    const double lower = events == 0 ? 0.0 : poisson_mean_at(events - 1, 0.975);
    return {lower / hours, upper / hours};
}

// --- JSON ----------------------------------------------------------------------------------------

namespace {
// JSON has no NaN: an undefined ratio is null.
nlohmann::json number(double value) { return std::isnan(value) ? nlohmann::json() : nlohmann::json(value); }
}  // namespace

nlohmann::json to_json(const Counts& counts) {
    return {{"labelled", counts.reference()},
            {"detected", counts.detected()},
            {"tp", counts.tp},
            {"fp", counts.fp},
            {"fn", counts.fn},
            {"precision", number(counts.precision())},
            {"recall", number(counts.recall())},
            {"f1", number(counts.f1())}};
}

nlohmann::json to_json(const Score& score) {
    auto clunks = to_json(score.clunks);
    clunks["counted_as_pops"] = score.clunks_as_pops;
    const auto ms = [](double s) { return number(s * 1e3); };
    return {{"files", score.files},
            {"duration_s", score.duration_s},
            {"negative_files", score.negative_files},
            {"negative_duration_s", score.negative_duration_s},
            {"pops", to_json(score.pops)},
            {"episodes", to_json(score.episodes)},
            {"clunks", clunks},
            {"false_pops",
             {{"negative", score.negative_false_pops},
              {"per_negative_hour", number(score.false_pops_per_negative_hour())},
              {"total", score.pops.fp},
              {"per_hour", number(score.false_pops_per_hour())},
              {"by_class", score.false_pops_by_class}}},
            {"timing_error_ms",
             {{"matched", score.timing_errors_s.size()},
              {"median_abs", ms(score.median_abs_error_s())},
              {"p95_abs", ms(score.p95_abs_error_s())},
              {"mean_signed", ms(score.mean_error_s())}}}};
}

}  // namespace popwatch

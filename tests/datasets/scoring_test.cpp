#include "datasets/scoring.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace {

using popwatch::Kind;
using popwatch::LabelledEvent;

popwatch::Event detection(double time_s, Kind kind = Kind::pop, int episode = 0) {
    popwatch::Event e;
    e.time_s = time_s;
    e.kind = kind;
    e.episode = kind == Kind::pop ? episode : -1;
    return e;
}

LabelledEvent label(double time_s, Kind kind = Kind::pop, int episode = -1) {
    return {time_s, kind, episode, "unknown"};
}

popwatch::FileScore score(const std::vector<popwatch::Event>& detected, const std::vector<LabelledEvent>& truth,
                          double duration_s = 60) {
    return popwatch::score_file(detected, truth, duration_s);
}

// The largest one-to-one matching, by trying every assignment (small inputs only).
std::size_t brute_force_matching(const std::vector<double>& ref, const std::vector<double>& est, double tol) {
    std::vector<bool> used(est.size());
    std::function<std::size_t(std::size_t)> best = [&](std::size_t i) -> std::size_t {
        if (i == ref.size()) return 0;
        std::size_t result = best(i + 1);  // leave ref[i] unmatched
        for (std::size_t j = 0; j < est.size(); ++j) {
            if (!used[j] && std::abs(ref[i] - est[j]) <= tol) {
                used[j] = true;
                result = std::max(result, 1 + best(i + 1));
                used[j] = false;
            }
        }
        return result;
    };
    return best(0);
}

}  // namespace

TEST_CASE("Perfect detections score 1 and zero timing error") {
    const auto s = score({detection(1.0), detection(2.0), detection(3.0, Kind::pop, 1)},
                         {label(1.0, Kind::pop, 0), label(2.0, Kind::pop, 0), label(3.0, Kind::pop, 1)});
    CHECK(s.pops.tp == 3);
    CHECK(s.pops.fp == 0);
    CHECK(s.pops.fn == 0);
    CHECK(s.pops.f1() == 1.0);
    CHECK(s.episodes.tp == 2);
    CHECK(s.episodes.f1() == 1.0);
    CHECK(s.median_abs_error_s() == 0.0);
    CHECK(s.false_pops_by_class.empty());
    CHECK(s.negative_files == 0);
}

TEST_CASE("A detection just inside the tolerance matches, just outside it does not") {
    const auto inside = score({detection(1.0095)}, {label(1.0)});
    CHECK(inside.pops.tp == 1);
    CHECK(inside.timing_errors_s.at(0) == Approx(0.0095));

    const auto before = score({detection(0.9905)}, {label(1.0)});
    CHECK(before.pops.tp == 1);
    CHECK(before.timing_errors_s.at(0) == Approx(-0.0095));  // signed: detected early

    const auto outside = score({detection(1.0105)}, {label(1.0)});
    CHECK(outside.pops.tp == 0);
    CHECK(outside.pops.fp == 1);
    CHECK(outside.pops.fn == 1);
    CHECK(outside.pops.f1() == 0.0);

    // The window is closed: exactly the tolerance apart matches (values exact in binary).
    popwatch::ScoreOptions options;
    options.tolerance_s = 0.0078125;
    CHECK(popwatch::score_file({detection(1.0078125)}, {label(1.0)}, 60, options).pops.tp == 1);
    options.tolerance_s = 0.005;
    CHECK(popwatch::score_file({detection(1.0078125)}, {label(1.0)}, 60, options).pops.tp == 0);
}

TEST_CASE("Two detections of one labelled pop: one true, one false positive (doubled)") {
    const auto s = score({detection(0.997), detection(1.004)}, {label(1.0)});
    CHECK(s.pops.tp == 1);
    CHECK(s.pops.fp == 1);
    CHECK(s.pops.fn == 0);
    CHECK(s.pops.precision() == 0.5);
    CHECK(s.pops.recall() == 1.0);
    CHECK(s.pops.f1() == Approx(2.0 / 3));
    CHECK(s.false_pops_by_class.at("doubled") == 1);
    CHECK(s.timing_errors_s.size() == 1);
}

TEST_CASE("Crossing pairs: maximum matching finds both where nearest-neighbour greedy finds one") {
    // Labels 1.000 and 1.010, detections 1.006 and 1.015, tolerance 10 ms. The nearest label of
    // 1.006 is 1.010; taking it leaves 1.015 nothing (1.000 is 15 ms away). Pairing 1.006 with
    // 1.000 and 1.015 with 1.010 matches both.
    const std::vector<double> labels{1.000, 1.010}, detections{1.006, 1.015};
    const double tol = 0.010;

    // The naive rule: each detection in turn takes its nearest free label within tolerance.
    std::vector<bool> taken(labels.size());
    int naive = 0;
    for (const double d : detections) {
        int nearest = -1;
        for (std::size_t l = 0; l < labels.size(); ++l) {
            if (!taken[l] && std::abs(d - labels[l]) <= tol &&
                (nearest < 0 || std::abs(d - labels[l]) < std::abs(d - labels[nearest]))) {
                nearest = static_cast<int>(l);
            }
        }
        if (nearest >= 0) {
            taken[nearest] = true;
            ++naive;
        }
    }
    REQUIRE(naive == 1);  // the trap is real

    const auto s = score({detection(1.006), detection(1.015)}, {label(1.000), label(1.010)});
    CHECK(s.pops.tp == 2);
    CHECK(s.pops.fp == 0);
    CHECK(s.pops.fn == 0);
}

TEST_CASE("match_events attains the maximum matching on random small cases") {
    std::mt19937 rng(20240611);
    std::uniform_real_distribution<double> time(0.0, 0.1);
    std::uniform_int_distribution<int> size(0, 6);
    for (int trial = 0; trial < 2000; ++trial) {
        std::vector<double> ref(static_cast<std::size_t>(size(rng)));
        std::vector<double> est(static_cast<std::size_t>(size(rng)));
        for (auto& t : ref) t = time(rng);
        for (auto& t : est) t = time(rng);
        const double tol = 0.015;
        const auto matches = popwatch::match_events(ref, est, tol);
        INFO("trial " << trial);
        REQUIRE(matches.size() == brute_force_matching(ref, est, tol));
        std::vector<bool> ref_used(ref.size()), est_used(est.size());
        for (const auto& m : matches) {  // one-to-one, and every pair within tolerance
            REQUIRE(std::abs(ref[m.reference] - est[m.estimate]) <= tol);
            REQUIRE_FALSE(ref_used[m.reference]);
            REQUIRE_FALSE(est_used[m.estimate]);
            ref_used[m.reference] = est_used[m.estimate] = true;
        }
    }
}

TEST_CASE("Only pops count as pops: other and clunk detections are not pop detections") {
    const auto s = score({detection(1.0, Kind::other), detection(2.0, Kind::clunk)}, {label(1.0), label(2.0)});
    CHECK(s.pops.tp == 0);
    CHECK(s.pops.fp == 0);
    CHECK(s.pops.fn == 2);
    CHECK(std::isnan(s.pops.precision()));  // nothing detected: precision undefined
    CHECK(s.pops.recall() == 0.0);
    CHECK(s.pops.f1() == 0.0);  // ...but missing every labelled pop is an F1 of 0, not "n/a"
}

TEST_CASE("Episodes match when their spans, widened by the tolerance, overlap") {
    // Labelled: a spinal cluster [10.00, 10.10] (episode 0) and a single pop at 30 s (episode 1).
    // Detected: two pops of the cluster (episode 0), and a false pop at 50 s (episode 1).
    const std::vector<LabelledEvent> truth{label(10.00, Kind::pop, 0), label(10.05, Kind::pop, 0),
                                           label(10.10, Kind::pop, 0), label(30.0, Kind::pop, 1)};
    const auto s =
        score({detection(10.001, Kind::pop, 0), detection(10.102, Kind::pop, 0), detection(50.0, Kind::pop, 1)}, truth);
    CHECK(s.pops.tp == 2);
    CHECK(s.pops.fn == 2);
    CHECK(s.episodes.tp == 1);
    CHECK(s.episodes.fp == 1);
    CHECK(s.episodes.fn == 1);
    CHECK(s.episodes.f1() == 0.5);

    // Only the last pop found, 8 ms after the cluster: the widened spans still overlap.
    CHECK(score({detection(10.108)}, truth).episodes.tp == 1);
    // 25 ms after the cluster: they do not.
    CHECK(score({detection(10.125)}, truth).episodes.tp == 0);
}

TEST_CASE("One detected episode cannot match two labelled episodes") {
    // The detector merged two labelled episodes (5 s apart) into one episode index.
    const auto s = score({detection(1.0, Kind::pop, 0), detection(6.0, Kind::pop, 0)},
                         {label(1.0, Kind::pop, 0), label(6.0, Kind::pop, 1)});
    CHECK(s.pops.tp == 2);
    CHECK(s.episodes.tp == 1);
    CHECK(s.episodes.fn == 1);
    CHECK(s.episodes.fp == 0);
}

TEST_CASE("Labelled pops without an episode are grouped by the gap rule") {
    // 1.0 and 1.5 s are one episode (gap < 2 s), 5.0 s another.
    const auto s = score({detection(1.0, Kind::pop, 0), detection(1.5, Kind::pop, 0), detection(5.0, Kind::pop, 1)},
                         {label(1.0), label(1.5), label(5.0)});
    CHECK(s.episodes.tp == 2);
    CHECK(s.episodes.fp == 0);
    CHECK(s.episodes.fn == 0);
}

TEST_CASE("A clunk detected as a pop is reported, and a clunk detected as a clunk is recalled") {
    const auto as_pop = score({detection(5.02)}, {label(5.0, Kind::clunk)});
    CHECK(as_pop.clunks_as_pops == 1);
    CHECK(as_pop.pops.fp == 1);
    CHECK(as_pop.false_pops_by_class.at("clunk") == 1);
    CHECK(as_pop.clunks.recall() == 0.0);

    const auto as_clunk = score({detection(5.03, Kind::clunk)}, {label(5.0, Kind::clunk)});
    CHECK(as_clunk.clunks_as_pops == 0);
    CHECK(as_clunk.clunks.tp == 1);
    CHECK(as_clunk.clunks.recall() == 1.0);
    CHECK(as_clunk.pops.fp == 0);

    // A real pop right next to the clunk, detected correctly, is not a clunk counted as a pop.
    const auto beside = score({detection(5.02), detection(5.0, Kind::clunk)}, {label(5.02), label(5.0, Kind::clunk)});
    CHECK(beside.pops.tp == 1);
    CHECK(beside.clunks_as_pops == 0);

    // The clunk tolerance is a parameter.
    popwatch::ScoreOptions wide;
    wide.clunk_tolerance_s = 0.2;
    CHECK(popwatch::score_file({detection(5.1, Kind::clunk)}, {label(5.0, Kind::clunk)}, 60, wide).clunks.tp == 1);
    CHECK(score({detection(5.1, Kind::clunk)}, {label(5.0, Kind::clunk)}).clunks.tp == 0);
}

TEST_CASE("A negative file reports false pops per hour, its F1 is undefined, not 0 or 1") {
    const auto s = score({detection(100.0, Kind::pop, 0), detection(900.0, Kind::pop, 1)}, {},
                         1800);  // 30 minutes
    CHECK(s.negative_files == 1);
    CHECK(s.negative_false_pops == 2);
    CHECK(s.false_pops_per_negative_hour() == Approx(4.0));
    CHECK(s.false_pops_per_hour() == Approx(4.0));
    CHECK(std::isnan(s.pops.recall()));
    CHECK(std::isnan(s.pops.f1()));
    CHECK(s.false_pops_by_class.at("unattributed") == 2);

    const auto silent = score({}, {}, 1800);
    CHECK(silent.false_pops_per_negative_hour() == 0.0);
    CHECK(std::isnan(silent.pops.precision()));
    CHECK(std::isnan(silent.pops.f1()));
    CHECK(std::isnan(silent.median_abs_error_s()));

    // A file with labelled pops is not negative audio.
    CHECK(std::isnan(score({detection(3.0)}, {label(1.0)}).false_pops_per_negative_hour()));
}

TEST_CASE("Pooling sums counts over files, it does not average per-file F1") {
    // File A: 1 label, found. F1 = 1.
    const auto a = score({detection(1.0)}, {label(1.0)});
    // File B: 10 labels, 10 detections, 5 of them 0.5 s late. F1 = 0.5.
    std::vector<popwatch::Event> detected;
    std::vector<LabelledEvent> truth;
    for (int i = 0; i < 10; ++i) {
        truth.push_back(label(10.0 * (i + 1)));
        detected.push_back(detection(10.0 * (i + 1) + (i < 5 ? 0.0 : 0.5), Kind::pop, i));
    }
    const auto b = score(detected, truth);
    REQUIRE(b.pops.f1() == Approx(0.5));

    const std::vector<popwatch::FileScore> files{a, b};
    const auto pooled = popwatch::pool(files);
    CHECK(pooled.files == 2);
    CHECK(pooled.pops.tp == 6);
    CHECK(pooled.pops.fp == 5);
    CHECK(pooled.pops.fn == 5);
    CHECK(pooled.pops.f1() == Approx(6.0 / 11));  // averaging per-file F1 would give 0.75
    CHECK(pooled.timing_errors_s.size() == 6);
    CHECK(pooled.duration_s == 120);

    // Negative audio: 2 false pops in 0.5 h and 0 in 1.5 h is 1 per hour (the mean of the
    // per-file rates would be 2).
    const auto n1 = score({detection(10.0), detection(20.0)}, {}, 1800);
    const auto n2 = score({}, {}, 5400);
    const std::vector<popwatch::FileScore> negatives{n1, n2, a};
    const auto neg = popwatch::pool(negatives);
    CHECK(neg.negative_files == 2);
    CHECK(neg.negative_duration_s == 7200);
    CHECK(neg.false_pops_per_negative_hour() == Approx(1.0));
}

TEST_CASE("Timing error: median and 95th percentile of |error|, mean keeps the sign") {
    const auto s =
        score({detection(1.002), detection(2.0 - 0.004), detection(3.001)}, {label(1.0), label(2.0), label(3.0)});
    CHECK(s.median_abs_error_s() == Approx(0.002));
    CHECK(s.p95_abs_error_s() == Approx(0.0038));  // between 2 and 4 ms, numpy's linear rule
    CHECK(s.mean_error_s() == Approx(-0.001 / 3));
    CHECK(popwatch::abs_percentile(std::vector<double>{-5.0}, 0.95) == 5.0);
}

TEST_CASE("False pops are attributed to the confounder that overlaps them") {
    const std::vector<popwatch::Confounder> confounders{
        {2.0, 0.05, "keyboard", {}}, {7.0, 0.2, "knock", {}}, {7.1, 0.01, "mouse", {}}};
    const auto s =
        popwatch::score_file({detection(2.06), detection(1.985), detection(7.105), detection(3.0), detection(7.35)}, {},
                             60, {}, &confounders);
    CHECK(s.false_pops_by_class.at("keyboard") == 2);  // 20 ms margin before and after
    CHECK(s.false_pops_by_class.at("mouse") == 1);     // overlapping windows: nearest onset
    CHECK(s.false_pops_by_class.at("unattributed") == 2);
    const auto pooled = popwatch::pool(std::vector<popwatch::FileScore>{s, s});
    CHECK(pooled.false_pops_by_class.at("keyboard") == 4);
}

TEST_CASE("JSON writes undefined ratios as null") {
    const auto json = popwatch::to_json(score({detection(1.0)}, {}, 3600));
    CHECK(json["pops"]["recall"].is_null());
    CHECK(json["pops"]["fp"] == 1);
    CHECK(json["false_pops"]["per_negative_hour"] == 1.0);
    CHECK(json["timing_error_ms"]["median_abs"].is_null());
    const auto text = json.dump();
    CHECK(text.find("NaN") == std::string::npos);
    CHECK(text.find("nan") == std::string::npos);
}

TEST_CASE("A false pop inside several sounds is blamed on the loudest there when their levels are known") {
    // A creak sounding from 1.0 to 1.5 s, and a heartbeat thump that started nearer (1.2 s) but
    // is faint by 1.3 s: the creak is what was heard then.
    std::vector<float> creak(100, 0.2f), heartbeat(80, 0.0f);
    for (std::size_t i = 0; i < 10; ++i) heartbeat[i] = 0.5f;  // its first 50 ms
    const std::vector<popwatch::Confounder> known{{1.0, 0.5, "creak", creak}, {1.2, 0.4, "heartbeat", heartbeat}};
    const auto s = popwatch::score_file({detection(1.3), detection(1.21)}, {}, 60, {}, &known);
    CHECK(s.false_pops_by_class.at("creak") == 1);      // 1.3 s: heartbeat silent, creak at 0.2
    CHECK(s.false_pops_by_class.at("heartbeat") == 1);  // 1.21 s: the thump at 0.5 is louder
    // Without levels (a confounders CSV), the one that started nearest.
    const std::vector<popwatch::Confounder> unknown{{1.0, 0.5, "creak", {}}, {1.2, 0.4, "heartbeat", {}}};
    const auto u = popwatch::score_file({detection(1.3)}, {}, 60, {}, &unknown);
    CHECK(u.false_pops_by_class.at("heartbeat") == 1);
}

TEST_CASE("The false-pop rate's interval is the exact Poisson one") {
    // Reference values: scipy.stats.chi2.ppf(0.025, 2k) / 2 and chi2.ppf(0.975, 2k + 2) / 2.
    const auto none = popwatch::poisson_rate_interval(0, 1.0);
    CHECK(none.lo == 0.0);
    CHECK(none.hi == Approx(3.6889).epsilon(1e-4));
    const auto four = popwatch::poisson_rate_interval(4, 2.0);
    CHECK(four.lo == Approx(1.0899 / 2).epsilon(1e-3));
    CHECK(four.hi == Approx(10.2416 / 2).epsilon(1e-4));
    CHECK(std::isnan(popwatch::poisson_rate_interval(1, 0.0).lo));  // no audio, no rate
}

TEST_CASE("The bootstrap interval resamples whole files and is repeatable") {
    // Four files: two where every pop is found, two where half are.
    std::vector<popwatch::FileScore> files;
    for (int f = 0; f < 4; ++f) {
        std::vector<popwatch::Event> found;
        std::vector<LabelledEvent> truth;
        for (int p = 0; p < 10; ++p) {
            truth.push_back(label(p * 5.0 + 1, Kind::pop, p));
            if (f < 2 || p % 2 == 0) found.push_back(detection(p * 5.0 + 1, Kind::pop, p));
        }
        files.push_back(score(found, truth));
    }
    const auto recall = [](const popwatch::Score& s) { return s.pops.recall(); };
    const popwatch::Interval i = popwatch::bootstrap_interval(files, recall);
    CHECK(i.lo < popwatch::pool(files).pops.recall());  // 0.75 pooled
    CHECK(i.hi > popwatch::pool(files).pops.recall());
    CHECK(i.lo >= 0.5);  // no resample does worse than all-half files
    CHECK(i.hi <= 1.0);
    const popwatch::Interval again = popwatch::bootstrap_interval(files, recall);
    CHECK((again.lo == i.lo && again.hi == i.hi));
    // Identical files: nothing to vary.
    const std::vector<popwatch::FileScore> same(3, files[0]);
    const popwatch::Interval flat = popwatch::bootstrap_interval(same, recall);
    CHECK((flat.lo == 1.0 && flat.hi == 1.0));
    // A measure undefined on every resample (no clunks labelled) has no interval.
    CHECK(
        std::isnan(popwatch::bootstrap_interval(files, [](const popwatch::Score& s) { return s.clunks.recall(); }).lo));
}

// Our pop scores against the reference implementation, mir_eval.onset.f_measure (Debian
// python3-mir-eval), on random reference/estimate lists with many near-tolerance conflicts.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/scoring.hpp"

namespace {

// mir_eval.onset.f_measure over every trial in `in` (lines "window;ref times;est times"),
// writing "F P R" per trial to `out` with round-trip precision.
constexpr const char* script = R"(import sys
import numpy as np
import mir_eval
with open(sys.argv[1]) as f, open(sys.argv[2], 'w') as out:
    for line in f:
        window, ref, est = line.rstrip('\n').split(';')
        ref = np.array([float(x) for x in ref.split()])
        est = np.array([float(x) for x in est.split()])
        f1, p, r = mir_eval.onset.f_measure(ref, est, window=float(window))
        out.write('%r %r %r\n' % (f1, p, r))
)";

// The first Python that can import mir_eval: Debian's own interpreter first, since a `python3`
// earlier on PATH (pyenv, a venv) usually lacks the Debian packages.
std::string python_with_mir_eval() {
    for (const char* python : {"/usr/bin/python3", "python3"}) {
        const std::string probe = std::string(python) + " -c 'import mir_eval, numpy' >/dev/null 2>&1";
        if (std::system(probe.c_str()) == 0) return python;
    }
    return {};
}

struct Trial {
    double window_s = 0;
    std::vector<double> reference_s, estimate_s;
};

// Dense events (so tolerance windows overlap and matching choices matter) with estimates
// scattered around the references plus spurious ones. Both lists non-empty and sorted, as
// mir_eval requires.
std::vector<Trial> random_trials(int count) {
    std::mt19937 rng(1234567);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<int> size(1, 30);
    std::vector<Trial> trials;
    for (int t = 0; t < count; ++t) {
        Trial trial;
        trial.window_s = 0.002 + 0.06 * unit(rng);
        const double span_s = 0.2 + 3.0 * unit(rng);
        const int refs = size(rng), extra = size(rng) / 3;
        for (int i = 0; i < refs; ++i) {
            const double r = span_s * unit(rng);
            trial.reference_s.push_back(r);
            if (unit(rng) < 0.8) {
                trial.estimate_s.push_back(std::max(0.0, r + (unit(rng) - 0.5) * 4 * trial.window_s));
            }
        }
        for (int i = 0; i < extra || trial.estimate_s.empty(); ++i) {
            trial.estimate_s.push_back(span_s * unit(rng));
        }
        std::sort(trial.reference_s.begin(), trial.reference_s.end());
        std::sort(trial.estimate_s.begin(), trial.estimate_s.end());
        trials.push_back(std::move(trial));
    }
    return trials;
}

}  // namespace

TEST_CASE("Pop precision, recall and F1 equal mir_eval.onset.f_measure") {
    const std::string python = python_with_mir_eval();
    if (python.empty()) {
        WARN(
            "SKIPPED: no python3 with mir_eval and numpy (Debian: apt-get install "
            "python3-mir-eval); the scorer was not cross-checked against mir_eval");
        return;
    }
    const auto dir = std::filesystem::temp_directory_path() / ("popwatch_mir_eval_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto script_path = dir / "f_measure.py", in_path = dir / "trials.txt", out_path = dir / "mir_eval.txt";
    std::ofstream(script_path) << script;

    const auto trials = random_trials(400);
    {
        std::ofstream in(in_path);
        char number[32];
        const auto write_times = [&](const std::vector<double>& times) {
            for (const double t : times) {
                std::snprintf(number, sizeof number, "%.17g ", t);
                in << number;
            }
        };
        for (const auto& trial : trials) {
            std::snprintf(number, sizeof number, "%.17g;", trial.window_s);
            in << number;
            write_times(trial.reference_s);
            in << ';';
            write_times(trial.estimate_s);
            in << '\n';
        }
    }
    const std::string command = python + " " + script_path.string() + " " + in_path.string() + " " + out_path.string();
    REQUIRE(std::system(command.c_str()) == 0);

    std::ifstream out(out_path);
    int conflicts = 0;  // trials where some event had two candidates: the matching mattered
    for (std::size_t t = 0; t < trials.size(); ++t) {
        const auto& trial = trials[t];
        double f = 0, p = 0, r = 0;
        REQUIRE(out >> f >> p >> r);

        std::vector<popwatch::Event> detected;
        for (const double e : trial.estimate_s) {
            popwatch::Event event;
            event.time_s = e;
            event.kind = popwatch::Kind::pop;
            detected.push_back(event);
        }
        std::vector<popwatch::LabelledEvent> truth;
        for (const double ref : trial.reference_s) truth.push_back({ref, popwatch::Kind::pop, -1, ""});
        popwatch::ScoreOptions options;
        options.tolerance_s = trial.window_s;
        const auto score = popwatch::score_file(detected, truth, 60, options);

        INFO("trial " << t << ", window " << trial.window_s << ", " << trial.reference_s.size() << " references, "
                      << trial.estimate_s.size() << " estimates");
        CHECK(score.pops.precision() == Approx(p).margin(1e-9));
        CHECK(score.pops.recall() == Approx(r).margin(1e-9));
        CHECK(score.pops.f1() == Approx(f).margin(1e-9));

        for (const double ref : trial.reference_s) {
            const auto near = std::count_if(trial.estimate_s.begin(), trial.estimate_s.end(),
                                            [&](double e) { return std::abs(e - ref) <= trial.window_s; });
            if (near > 1) {
                ++conflicts;
                break;
            }
        }
    }
    CHECK(conflicts > 100);  // the random data does exercise the matching, not just counting
    std::filesystem::remove_all(dir);
}

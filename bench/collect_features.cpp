// Training data for the pop classifier: renders synthesised recordings of the DEVELOPMENT split
// only, runs the detector, and writes every candidate's features with its true class (matched
// one-to-one to the labels: pop within 10 ms, clunk within 50 ms, else other) as CSV. Also
// reports stage-1 recall: the share of labelled pops that produced a candidate at all.
//
//   build/bench/popwatch_collect_features --files 48 --minutes 5 --out build/train/features.csv
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "datasets/scoring.hpp"
#include "datasets/synth.hpp"
#include "dsp/detector.hpp"

using namespace popwatch;

int main(int argc, char** argv) {
    CLI::App app{"Collect candidate features with true classes from the dev split, for training"};
    int files = 48;
    double minutes = 5;
    std::uint64_t seed_base = 5000;
    std::string out_path = "features.csv";
    unsigned jobs = std::thread::hardware_concurrency();
    app.add_option("--files", files, "Recordings to render (cycling contact, ambient, negatives)");
    app.add_option("--minutes", minutes, "Minutes per recording");
    app.add_option("--seed-base", seed_base, "First seed (the benchmark uses 1000+ for dev, 2000+ for test)");
    app.add_option("--out", out_path, "CSV to write");
    app.add_option("--jobs,-j", jobs, "Recordings in parallel");
    double episodes_per_min = 0;
    app.add_option("--episodes-per-min", episodes_per_min,
                   "Pop acts per minute in contact/ambient (0: the synthesiser's default)");
    double clunks_per_min = 0;
    app.add_option("--clunks-per-min", clunks_per_min, "Clunks per minute in contact/ambient (0: default)");
    bool dual = false;
    app.add_flag("--dual", dual,
                 "Dual recordings (contact + air reference, cycling dual and dual-negatives); only events the dual "
                 "model decides are written");
    DetectorConfig config;
    app.add_flag("--quick", config.quick,
                 "Measure features as listen --quick does (DetectorConfig::quick_lookahead_s after the onset), "
                 "for the quick models");
    app.add_option("--quick-lookahead", config.quick_lookahead_s,
                   "Seconds after the onset a quick decision is made (the quick models are trained at the default)")
        ->capture_default_str();
    synth::Options defaults;
    double snr_min_db = defaults.snr_min_db, snr_max_db = defaults.snr_max_db;
    app.add_option("--snr-min", snr_min_db, "Lowest pop SNR, dB (the synthesiser's range by default)")
        ->capture_default_str();
    app.add_option("--snr-max", snr_max_db, "Highest pop SNR, dB")->capture_default_str();
    bool wide_pops = false;
    app.add_flag("--wide-pops", wide_pops,
                 "Draw each pop's shape from wider ranges than the benchmark's (synth::Options::wide_pops)");
    bool show_missed = false;
    app.add_flag("--missed", show_missed, "List labelled pops that produced no candidate (stderr)");
    CLI11_PARSE(app, argc, argv);

    const synth::Scenario scenarios[] = {dual ? synth::Scenario::dual : synth::Scenario::contact,
                                         dual ? synth::Scenario::dual_negatives : synth::Scenario::ambient,
                                         dual ? synth::Scenario::dual : synth::Scenario::negatives};
    SensorLayout layout;
    if (dual) layout.air = {false, true};  // ch1 contact, ch2 the air reference
    const double rates[] = {48000, 44100, 16000};
    // Recording i's options. Checked once up front, so a bad option is a clear error here and not
    // an exception in a worker thread.
    const auto options_of = [&](int i) {
        synth::Options o;
        o.split = synth::Split::dev;  // never the test split
        o.scenario = scenarios[i % 3];
        o.seed = seed_base + static_cast<std::uint64_t>(i);
        o.minutes = minutes;
        o.sample_rate = rates[(i / 3) % 3];
        o.snr_min_db = snr_min_db;
        o.snr_max_db = snr_max_db;
        o.wide_pops = wide_pops;
        const bool negatives =
            o.scenario == synth::Scenario::negatives || o.scenario == synth::Scenario::dual_negatives;
        if (episodes_per_min > 0 && !negatives) o.episodes_per_min = episodes_per_min;
        if (clunks_per_min > 0 && !negatives) o.clunks_per_min = clunks_per_min;
        return o;
    };
    try {
        for (int i = 0; i < std::min(files, 9); ++i) synth::validate(options_of(i));  // every scenario and rate
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }

    std::ofstream out(out_path);
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", out_path.c_str());
        return 4;
    }
    out << "file,time_s,class,scenario,cause";
    for (auto name : feature_names) out << ',' << name;
    out << '\n';

    std::mutex mutex;
    std::atomic<int> next{0};
    std::int64_t labelled[3] = {}, found[3] = {};
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < std::max(1u, jobs); ++w)
        workers.emplace_back([&] {
            for (int i = next++; i < files; i = next++) {
                const synth::Options o = options_of(i);
                const synth::Scene scene = synth::render(o);
                std::vector<Event> events = detect_all(scene.audio, scene.sample_rate, scene.channels, config, layout);
                if (dual) std::erase_if(events, [](const Event& e) { return e.air != AirPath::dual; });

                std::vector<double> pops, times;
                for (const auto& l : scene.labels)
                    if (l.kind == Kind::pop) pops.push_back(l.time_s);
                for (const auto& e : events) times.push_back(e.time_s);
                std::vector<std::string> cls(events.size(), "other");
                // A clunk is the candidate nearest its label within 50 ms. The others inside its
                // body (a slow attack or a low ring re-triggers the gate; the detector reports one
                // clunk per body) are "clunk_part": neither a clunk to learn nor a sound that is not
                // one, so train_classifier leaves them out of the clunk model.
                for (const auto& l : scene.labels) {
                    if (l.kind != Kind::clunk) continue;
                    std::size_t best = events.size();
                    for (std::size_t k = 0; k < events.size(); ++k)
                        if (std::abs(times[k] - l.time_s) <= 0.05 && cls[k] == "other" &&
                            (best == events.size() || std::abs(times[k] - l.time_s) < std::abs(times[best] - l.time_s)))
                            best = k;
                    if (best < events.size()) cls[best] = "clunk";
                    const double end = l.time_s + std::max(0.05, l.duration_s);
                    for (std::size_t k = 0; k < events.size(); ++k)
                        if (cls[k] == "other" && times[k] >= l.time_s - 0.01 && times[k] <= end) cls[k] = "clunk_part";
                }
                const auto pop_matches = match_events(pops, times, 0.010);
                for (const auto& m : pop_matches) cls[m.estimate] = "pop";

                std::string rows;
                if (show_missed) {
                    std::vector<bool> hit(pops.size());
                    for (const auto& m : pop_matches) hit[m.reference] = true;
                    std::size_t p = 0;
                    for (const auto& l : scene.labels) {
                        if (l.kind != Kind::pop) continue;
                        if (!hit[p++]) {
                            double nearest = 1e9;
                            for (double t : times)
                                if (std::abs(t - l.time_s) < std::abs(nearest)) nearest = t - l.time_s;
                            rows += fmt::format(
                                "# missed {} seed {} {:.4f} site={} snr={:.1f} dur={:.1f}ms nearest={:+.1f}ms\n",
                                synth::scenario_name(o.scenario), o.seed, l.time_s, l.site, l.snr_db,
                                l.duration_s * 1e3, nearest * 1e3);
                        }
                    }
                    std::fputs(rows.c_str(), stderr);
                    rows.clear();
                }
                const std::string name = fmt::format("dev-{}-{}", synth::scenario_name(o.scenario), o.seed);
                // What an "other" candidate was: an echo or second trigger near a real pop, or the
                // confounder it falls on (for analysis; not a feature).
                const auto cause_of = [&](double t) -> std::string {
                    for (double p : pops)
                        if (t > p - 0.010 && t < p + 0.030) return "near_pop";
                    for (const auto& c : scene.confounders)
                        if (t >= c.time_s - 0.02 && t <= c.time_s + c.duration_s + 0.02) return c.cls;
                    return "unattributed";
                };
                for (std::size_t k = 0; k < events.size(); ++k) {
                    rows += fmt::format("{},{:.4f},{},{},{}", name, events[k].time_s, cls[k],
                                        synth::scenario_name(o.scenario),
                                        cls[k] == "other" ? cause_of(events[k].time_s) : cls[k]);
                    for (float v : events[k].features.values) rows += fmt::format(",{:.6g}", v);
                    rows += '\n';
                }
                std::lock_guard lock(mutex);
                out << rows;
                labelled[i % 3] += static_cast<std::int64_t>(pops.size());
                found[i % 3] += static_cast<std::int64_t>(pop_matches.size());
                std::fprintf(stderr, "\r  %d/%d recordings ", i + 1, files);
            }
        });
    for (auto& t : workers) t.join();
    std::fprintf(stderr, "\n");
    for (int s = 0; s < 2; ++s)
        std::printf("stage-1 recall, %s: %lld of %lld labelled pops produced a candidate (%.3f)\n",
                    std::string(synth::scenario_name(scenarios[s])).c_str(), static_cast<long long>(found[s]),
                    static_cast<long long>(labelled[s]),
                    labelled[s] ? static_cast<double>(found[s]) / static_cast<double>(labelled[s]) : 0.0);
}

// `popwatch eval AUDIO... --labels FILE_OR_DIR`: runs the detector on labelled recordings and
// scores it (datasets/scoring.hpp): per file, then pooled by summing counts over files.
#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "datasets/labels.hpp"
#include "datasets/scoring.hpp"
#include "tools/analysis.hpp"
#include "tools/commands.hpp"

namespace popwatch {
namespace {

namespace fs = std::filesystem;

struct EvalOptions {
    std::vector<std::string> audio;
    std::string labels;
    double tolerance_s = ScoreOptions{}.tolerance_s;
    bool json = false;
    double min_f1 = 0;
    CLI::Option* min_f1_option = nullptr;
    unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
    std::string sites;  // channel -> site, "air" for the air reference (issue #8)
};

struct FileResult {
    std::string path;
    std::string labels_path;
    bool confounders = false;  // a STEM.confounders.csv was used to attribute false pops
    std::string error;         // non-empty: the file is not scored
    FileScore score;
};

// The --labels file itself, or the first of STEM.labels.csv, STEM.csv, STEM.labels.txt, STEM.txt
// in the --labels directory. Empty when none exists.
fs::path find_labels(const fs::path& audio, const fs::path& labels) {
    if (!fs::is_directory(labels)) return labels;
    const std::string stem = audio.stem().string();
    for (const char* suffix : {".labels.csv", ".csv", ".labels.txt", ".txt"}) {
        const fs::path candidate = labels / (stem + suffix);
        if (fs::is_regular_file(candidate)) return candidate;
    }
    return {};
}

FileResult evaluate(const std::string& audio, const fs::path& labels, const ScoreOptions& options,
                    const SensorLayout& layout) {
    FileResult result;
    result.path = audio;
    try {
        const fs::path labels_path = find_labels(audio, labels);
        if (labels_path.empty()) {
            const std::string stem = fs::path(audio).stem().string();
            result.error = fmt::format(
                "{}: no labels found (looked for {}.labels.csv, {}.csv, "
                "{}.labels.txt, {}.txt in {})",
                audio, stem, stem, stem, stem, labels.string());
            return result;
        }
        result.labels_path = labels_path.string();
        const auto truth = read_labels(result.labels_path);
        const fs::path confounders_path =
            labels_path.parent_path() / (fs::path(audio).stem().string() + ".confounders.csv");
        std::optional<std::vector<Confounder>> confounders;
        if (fs::is_regular_file(confounders_path)) {
            confounders = read_confounders(confounders_path.string());
            result.confounders = true;
        }
        const FileAnalysis analysis = analyze_file(audio, DetectorConfig{}, {}, layout);
        if (!analysis.ok()) {
            result.error = analysis.error;
            return result;
        }
        result.score =
            score_file(analysis.events, truth, analysis.duration_s, options, confounders ? &*confounders : nullptr);
    } catch (const std::exception& e) {
        result.error = e.what();
        if (!result.error.starts_with(audio)) result.error = audio + ": " + result.error;
    }
    return result;
}

// Runs `work(i)` for i in [0, count) on `jobs` threads and hands each result to `report` in
// index order, as soon as it and all before it are done.
template <class Work, class Report>
void ordered_parallel(std::size_t count, unsigned jobs, Work work, Report report) {
    std::vector<std::optional<FileResult>> results(count);
    std::mutex mutex;
    std::condition_variable done;
    std::atomic<std::size_t> next{0};
    std::vector<std::jthread> workers;
    const auto threads = std::min<std::size_t>(jobs, count);
    for (std::size_t t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (std::size_t i; (i = next++) < count;) {
                FileResult result = work(i);
                {
                    const std::lock_guard lock(mutex);
                    results[i] = std::move(result);
                }
                done.notify_all();
            }
        });
    }
    for (std::size_t i = 0; i < count; ++i) {
        {
            std::unique_lock lock(mutex);
            done.wait(lock, [&] { return results[i].has_value(); });
        }
        report(*results[i]);
    }
}

// --- human output --------------------------------------------------------------------------------

std::string num(double value, int decimals) {
    return std::isnan(value) ? "n/a" : fmt::format("{:.{}f}", value, decimals);
}

// "42.0 min" under an hour, "3.25 h" above.
std::string duration(double seconds) {
    return seconds < 3600 ? fmt::format("{:.1f} min", seconds / 60) : fmt::format("{:.2f} h", seconds / 3600);
}

std::string prf(const Counts& c) {
    return fmt::format("P {} R {} F1 {}", num(c.precision(), 3), num(c.recall(), 3), num(c.f1(), 3));
}

std::string file_line(const FileResult& r) {
    const Score& s = r.score;
    std::string line;
    if (s.pops.reference() == 0) {
        line = fmt::format("{}: negative (no labelled pops), {}: {} false pops = {} per hour", r.path,
                           duration(s.duration_s), s.pops.fp, num(s.false_pops_per_negative_hour(), 2));
    } else {
        line = fmt::format("{}: pops {} labelled, {} detected, TP {} FP {} FN {}, {}, episode F1 {}", r.path,
                           s.pops.reference(), s.pops.detected(), s.pops.tp, s.pops.fp, s.pops.fn, prf(s.pops),
                           num(s.episodes.f1(), 3));
    }
    if (s.clunks.reference() > 0) line += fmt::format(", clunks {}/{} found", s.clunks.tp, s.clunks.reference());
    if (s.clunks.fp > 0) line += fmt::format(", false clunks {}", s.clunks.fp);
    if (s.clunks_as_pops > 0) line += fmt::format(", clunks counted as pops: {}", s.clunks_as_pops);
    return line;
}

// 95 % intervals of the pooled figures (datasets/scoring.hpp): whole files resampled for the
// ratios, the exact Poisson interval for false pops per hour of negative audio.
struct PooledIntervals {
    Interval pop_f1, pop_recall, episode_f1, episode_recall, false_pops_per_hour;
};

PooledIntervals intervals_of(std::span<const Score> files, const Score& pooled) {
    if (files.size() < 2)  // one file resampled is itself: no interval
        return {{}, {}, {}, {}, poisson_rate_interval(pooled.negative_false_pops, pooled.negative_duration_s / 3600)};
    return {bootstrap_interval(files, [](const Score& s) { return s.pops.f1(); }),
            bootstrap_interval(files, [](const Score& s) { return s.pops.recall(); }),
            bootstrap_interval(files, [](const Score& s) { return s.episodes.f1(); }),
            bootstrap_interval(files, [](const Score& s) { return s.episodes.recall(); }),
            poisson_rate_interval(pooled.negative_false_pops, pooled.negative_duration_s / 3600)};
}

std::string range(const Interval& i, int digits = 3) {
    return std::isnan(i.lo) ? std::string("n/a") : fmt::format("{:.{}f}-{:.{}f}", i.lo, digits, i.hi, digits);
}

nlohmann::json to_json(const Interval& i) {
    return std::isnan(i.lo) ? nlohmann::json() : nlohmann::json::array({i.lo, i.hi});
}

void print_pooled(const Score& s, const PooledIntervals& iv, const ScoreOptions& options) {
    fmt::print("pooled over {} file{}, {} of audio; {} negative (no labelled pops), {}:\n", s.files,
               s.files == 1 ? "" : "s", duration(s.duration_s), s.negative_files, duration(s.negative_duration_s));
    fmt::print("  pops        {}   (TP {}, FP {}, FN {})\n", prf(s.pops), s.pops.tp, s.pops.fp, s.pops.fn);
    fmt::print("  episodes    {}   (TP {}, FP {}, FN {})\n", prf(s.episodes), s.episodes.tp, s.episodes.fp,
               s.episodes.fn);
    fmt::print("  clunks      recall {} ({} of {} found), {} false, {} counted as pops\n", num(s.clunks.recall(), 3),
               s.clunks.tp, s.clunks.reference(), s.clunks.fp, s.clunks_as_pops);
    fmt::print(
        "  false pops  {} per hour of negative audio ({} in {}); {} per hour of all "
        "audio ({})\n",
        num(s.false_pops_per_negative_hour(), 2), s.negative_false_pops, duration(s.negative_duration_s),
        num(s.false_pops_per_hour(), 2), s.pops.fp);
    if (s.files >= 2 && s.duration_s > 0)
        fmt::print(
            "  95 % intervals (whole files resampled): pop F1 {}, recall {}; episode F1 {}, recall {}; "
            "false pops per negative hour {} (Poisson)\n",
            range(iv.pop_f1), range(iv.pop_recall), range(iv.episode_f1), range(iv.episode_recall),
            range(iv.false_pops_per_hour, 2));
    if (!s.false_pops_by_class.empty()) {
        std::string classes;
        for (const auto& [name, count] : s.false_pops_by_class) {
            classes += fmt::format("{}{} {}", classes.empty() ? "" : ", ", name, count);
        }
        fmt::print("  false pops by cause: {}\n", classes);
    }
    fmt::print("  timing      median |error| {} ms, p95 {} ms, mean {} ms ({} matched pops)\n",
               num(s.median_abs_error_s() * 1e3, 2), num(s.p95_abs_error_s() * 1e3, 2),
               std::isnan(s.mean_error_s()) ? "n/a" : fmt::format("{:+.2f}", s.mean_error_s() * 1e3),
               s.timing_errors_s.size());
    fmt::print("  matching    {}\n", matching_rule(options));
}

// --- the command ---------------------------------------------------------------------------------

int run_eval(const EvalOptions& opts) {
    const fs::path labels = opts.labels;
    if (!fs::is_directory(labels) && opts.audio.size() > 1) {
        std::fprintf(stderr,
                     "popwatch eval: --labels %s is a file but %zu audio files were given; "
                     "pass a directory holding STEM.labels.csv (or .csv, .txt) per file\n",
                     opts.labels.c_str(), opts.audio.size());
        return exit_usage;
    }
    ScoreOptions options;
    options.tolerance_s = opts.tolerance_s;
    SensorLayout layout;
    try {
        if (!opts.sites.empty()) layout = SiteMap::parse(opts.sites).layout();
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "popwatch eval: %s\n", e.what());
        return exit_usage;
    }

    std::vector<FileScore> scores;
    nlohmann::json files = nlohmann::json::array(), errors = nlohmann::json::array();
    ordered_parallel(
        opts.audio.size(), opts.jobs, [&](std::size_t i) { return evaluate(opts.audio[i], labels, options, layout); },
        [&](const FileResult& r) {
            if (!r.error.empty()) {
                std::fprintf(stderr, "popwatch eval: %s\n", r.error.c_str());
                errors.push_back({{"file", r.path}, {"error", r.error}});
                return;
            }
            scores.push_back(r.score);
            if (opts.json) {
                auto file = to_json(r.score);
                file["file"] = r.path;
                file["labels"] = r.labels_path;
                file["confounders"] = r.confounders;
                files.push_back(std::move(file));
            } else {
                fmt::print("{}\n", file_line(r));
                std::fflush(stdout);
            }
        });

    const Score pooled = pool(scores);
    const PooledIntervals iv = intervals_of(scores, pooled);
    if (opts.json) {
        const nlohmann::json intervals{{"pop_f1", to_json(iv.pop_f1)},
                                       {"pop_recall", to_json(iv.pop_recall)},
                                       {"episode_f1", to_json(iv.episode_f1)},
                                       {"episode_recall", to_json(iv.episode_recall)},
                                       {"false_pops_per_negative_hour", to_json(iv.false_pops_per_hour)}};
        const nlohmann::json document{{"tolerance_s", options.tolerance_s},
                                      {"clunk_tolerance_s", options.clunk_tolerance_s},
                                      {"matching", matching_rule(options)},
                                      {"files", files},
                                      {"errors", errors},
                                      {"pooled", to_json(pooled)},
                                      {"pooled_95_intervals", intervals}};
        fmt::print("{}\n", document.dump(2));
    } else {
        if (!scores.empty()) fmt::print("\n");
        print_pooled(pooled, iv, options);
    }

    if (!errors.empty()) return exit_bad_input;
    if (opts.min_f1_option->count() > 0) {
        const double f1 = pooled.pops.f1();
        if (std::isnan(f1) || f1 < opts.min_f1) {
            std::fprintf(stderr, "popwatch eval: pooled pop F1 %s is below --min-f1 %g\n", num(f1, 3).c_str(),
                         opts.min_f1);
            return exit_below_floor;
        }
    }
    return exit_ok;
}

}  // namespace

void register_eval(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<EvalOptions>();
    CLI::App* cmd =
        app.add_subcommand("eval",
                           "Score the detector against labelled recordings: pop and episode precision/recall/F1,\n"
                           "clunk recall, false pops per hour of negative audio, timing error. Counts are summed\n"
                           "over files, never averaged; over two files or more, 95 % intervals of the pooled\n"
                           "figures come with them (whole files resampled: pops of one act are not independent;\n"
                           "false pops per hour: the exact Poisson interval). A STEM.confounders.csv beside the\n"
                           "labels attributes false pops to their causes.");
    cmd->add_option("audio", opts->audio, "Audio files to analyse and score")->required();
    cmd->add_option("--labels", opts->labels,
                    "Label file (one audio file only) or directory holding STEM.labels.csv, "
                    "STEM.csv, STEM.labels.txt or STEM.txt per audio file (CSV time_s,kind,"
                    "episode,site or an Audacity label track)")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("--tolerance", opts->tolerance_s,
                    "Pop matching tolerance in seconds: |t_detected - t_label| <= tolerance")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--json", opts->json, "Write one JSON document with per-file and pooled scores");
    opts->min_f1_option = cmd->add_option("--min-f1", opts->min_f1,
                                          "Exit with code 5 if the pooled pop F1 is below this (CI smoke checks)")
                              ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--sites", opts->sites,
                    "Name channel 1, 2, ... as in analyze; \"air\" marks the air reference microphone "
                    "(e.g. \"upper-back,air\" for the dual recordings of `synth --scenario dual`)");
    cmd->add_option("--jobs", opts->jobs, "Files analysed in parallel")
        ->capture_default_str()
        ->check(CLI::Range(1u, 4096u));
    cmd->callback([opts, &exit_code] { exit_code = run_eval(*opts); });
}

}  // namespace popwatch

// The accuracy benchmark driver: generates a fixed labelled set with the synthesiser (a
// development split to tune on and a test split never tuned on: other seeds, other real clips,
// shifted parameter ranges), runs the detector, scores it, and prints Markdown tables for
// BENCHMARKS.md. Optionally runs `aubioonset` (default method) on the same audio as the reference
// point, and scores the real office recordings in ../shared/datasets/real.
//
//   build/bench/popwatch_accuracy                  # the full set: both splits, 3.7 h of audio
//   build/bench/popwatch_accuracy --aubio          # ...plus the aubioonset reference
//   build/bench/popwatch_accuracy --quick          # decided as listen --quick does
//   build/bench/popwatch_accuracy --smoke --min-pop-f1 0.8 --max-false-per-hour 5   # CI floor
//   build/bench/popwatch_accuracy --split dev --tuning --sweep 0.8,0.9,0.95   # choosing pop_threshold
#include <fmt/format.h>
#include <sndfile.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "bench/report.hpp"
#include "capture/file_source.hpp"
#include "datasets/labels.hpp"
#include "datasets/scoring.hpp"
#include "datasets/synth.hpp"
#include "dsp/classifier.hpp"
#include "dsp/detector.hpp"
#include "tools/analysis.hpp"

using namespace popwatch;
using popwatch::bench::interval_text;
using popwatch::bench::num;
namespace fs = std::filesystem;

namespace {

struct Item {
    synth::Options options;
    std::string name;
    std::string variant;  // appended to the scenario in the tables, e.g. " (clunks 2/min)"
};

// The table row an item is pooled into: "dev contact", "test contact (clunks 2/min)".
std::string row_name(const Item& item) {
    return fmt::format("{} {}{}", synth::split_name(item.options.split), synth::scenario_name(item.options.scenario),
                       item.variant);
}

// The fixed benchmark set. Sample rates cycle through 48, 44.1 and 16 kHz.
// `tuning` adds, to the dev split only, the set pop_threshold is chosen on (seeds 12000+, which
// nothing else renders or trains on): 2 h contact, 2 h ambient, 6 h negatives.
std::vector<Item> benchmark_set(bool smoke, const std::vector<synth::Split>& splits, bool tuning = false) {
    std::vector<Item> items;
    const double rates[] = {48000, 44100, 16000};
    for (synth::Split split : splits) {
        std::uint64_t base = smoke ? 3000 : split == synth::Split::dev ? 1000 : 2000;
        const auto add = [&](synth::Scenario scenario, int files, double minutes, int first = 0,
                             std::optional<double> clunks_per_min = {}, const std::string& variant = "") {
            for (int i = first; i < first + files; ++i) {
                Item item;
                item.options.scenario = scenario;
                item.options.split = split;
                item.options.clunks_per_min = clunks_per_min;
                item.variant = variant;
                item.options.seed = base + static_cast<std::uint64_t>(scenario) * 100 + static_cast<std::uint64_t>(i);
                item.options.minutes = minutes;
                item.options.sample_rate = rates[i % 3];
                item.name = fmt::format("{}-{}-{}", synth::split_name(split), synth::scenario_name(scenario),
                                        item.options.seed);
                items.push_back(item);
            }
        };
        if (smoke) {
            add(synth::Scenario::contact, 2, 2);
            add(synth::Scenario::ambient, 2, 2);
            add(synth::Scenario::negatives, 2, 3);
        } else {
            // Per split: 1 h each of contact and ambient (~130-250 pops: one pop moves a scenario's
            // F1 by under 0.01), 2 h of negatives. Until session 11 it was a third of this (the
            // first 4, 4, 12 and 2 files, the same seeds), where one pop moved F1 by 0.02.
            add(synth::Scenario::contact, 12, 5);
            add(synth::Scenario::ambient, 12, 5);
            add(synth::Scenario::negatives, 24, 5);
            // Clunks are rare in the scenes above (about 1 in 10 minutes): too few to measure
            // clunk recall. Six more contact files per split with 2 clunks a minute.
            add(synth::Scenario::contact, 6, 5, 50, 2.0, " (clunks 2/min)");
        }
        if (tuning && split == synth::Split::dev) {
            base = 12000;
            add(synth::Scenario::contact, 24, 5, 0, {}, " (tuning set)");
            add(synth::Scenario::ambient, 24, 5, 0, {}, " (tuning set)");
            add(synth::Scenario::negatives, 72, 5, 0, {}, " (tuning set)");
        }
    }
    return items;
}

// aubioonset (default method, default parameters) on a temporary WAV; every onset is a "pop".
std::vector<Event> aubio_onsets(const synth::Scene& scene, const fs::path& dir, const std::string& name) {
    const fs::path wav = dir / (name + ".wav"), out = dir / (name + ".aubio.txt");
    SF_INFO info{};
    info.samplerate = static_cast<int>(scene.sample_rate);
    info.channels = scene.channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(wav.c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error("cannot write " + wav.string());
    sf_writef_float(f, scene.audio.data(),
                    static_cast<sf_count_t>(scene.audio.size() / static_cast<std::size_t>(scene.channels)));
    sf_close(f);
    const std::string cmd = "aubioonset -i '" + wav.string() + "' > '" + out.string() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("aubioonset failed (is aubio-tools installed?)");
    std::vector<Event> events;
    if (FILE* in = std::fopen(out.c_str(), "r")) {
        double t = 0;
        while (std::fscanf(in, "%lf", &t) == 1) {
            Event e;
            e.time_s = t;
            e.kind = Kind::pop;
            events.push_back(e);
        }
        std::fclose(in);
    }
    // aubio has no episodes: group its onsets with the same gap rule as the labels.
    std::vector<double> times;
    for (const Event& e : events) times.push_back(e.time_s);
    const std::vector<int> episodes = group_episodes(times, DetectorConfig{}.episode_gap_s);
    for (std::size_t i = 0; i < events.size(); ++i) events[i].episode = episodes[i];
    fs::remove(wav);
    fs::remove(out);
    return events;
}

void scenario_table(const std::map<std::string, std::vector<Score>>& groups, const std::string& title) {
    fmt::print("\n{}\n\n", title);
    fmt::print(
        "| split / scenario | audio (h) | pops (lab/det) | pop P | pop R | pop F1 | episode P | episode R | episode F1 "
        "| clunk recall | false clunks | clunks as pops | false pops / h (negatives) | timing median / p95 (ms) |\n");
    fmt::print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& [name, scores] : groups) {
        const Score s = pool(scores);
        fmt::print("| {} | {:.2f} | {}/{} | {} | {} | {} | {} | {} | {} | {} ({}/{}) | {} | {} | {} | {} / {} |\n",
                   name, s.duration_s / 3600, s.pops.reference(), s.pops.detected(), num(s.pops.precision()),
                   num(s.pops.recall()), num(s.pops.f1()), num(s.episodes.precision()), num(s.episodes.recall()),
                   num(s.episodes.f1()), num(s.clunks.recall()), s.clunks.tp, s.clunks.reference(), s.clunks.fp,
                   s.clunks_as_pops, s.negative_duration_s > 0 ? num(s.false_pops_per_negative_hour(), "{:.2f}") : "—",
                   num(s.median_abs_error_s() * 1e3, "{:.2f}"), num(s.p95_abs_error_s() * 1e3, "{:.2f}"));
    }
}

// 95 % intervals of the table's measures (datasets/scoring.hpp: whole files resampled; false
// pops on the negatives, the exact Poisson interval).
void intervals_table(const std::map<std::string, std::vector<Score>>& groups) {
    fmt::print(
        "\n95 % intervals (whole files resampled, 2 000 times; false pops: exact Poisson interval):\n\n"
        "| split / scenario | files | pop F1 | pop R | episode F1 | episode R | clunk recall | false pops / h "
        "(negatives) |\n|---|---|---|---|---|---|---|---|\n");
    for (const auto& [name, files] : groups) {
        const auto interval = [&](double (*measure)(const Score&)) {
            return interval_text(bootstrap_interval(files, measure));
        };
        const Score s = pool(files);
        std::string rate = "—";
        if (s.negative_duration_s > 0) {
            const Interval r = poisson_rate_interval(s.negative_false_pops, s.negative_duration_s / 3600);
            rate = fmt::format("{} ({} in {:.2f} h)", interval_text(r, "{:.2f}"), s.negative_false_pops,
                               s.negative_duration_s / 3600);
        }
        fmt::print("| {} | {} | {} | {} | {} | {} | {} | {} |\n", name, files.size(),
                   interval([](const Score& t) { return t.pops.f1(); }),
                   interval([](const Score& t) { return t.pops.recall(); }),
                   interval([](const Score& t) { return t.episodes.f1(); }),
                   interval([](const Score& t) { return t.episodes.recall(); }),
                   interval([](const Score& t) { return t.clunks.recall(); }), rate);
    }
}

void confounder_table(const std::map<std::string, std::vector<Score>>& groups, const std::string& title) {
    std::map<std::string, std::map<std::string, std::int64_t>> by_class;  // class -> split -> count
    std::map<std::string, double> hours;
    for (const auto& [name, scores] : groups) {
        const std::string split = name.substr(0, name.find(' '));
        for (const Score& s : scores) {
            hours[split] += s.duration_s / 3600;
            for (const auto& [cls, n] : s.false_pops_by_class) by_class[cls][split] += n;
        }
    }
    fmt::print("\n{}\n\n| cause | dev | test |\n|---|---|---|\n", title);
    for (const auto& [cls, splits] : by_class)
        fmt::print("| {} | {} | {} |\n", cls, splits.count("dev") ? splits.at("dev") : 0,
                   splits.count("test") ? splits.at("test") : 0);
    fmt::print("| (audio, hours) | {:.2f} | {:.2f} |\n", hours["dev"], hours["test"]);
}

// The real recordings in ../shared/datasets/real: every DCASE office sound is a negative; the
// foley knuckle clip holds 8 real pops.
void real_recordings(const std::string& real_dir, const DetectorConfig& config) {
    const fs::path office = fs::path(real_dir) / "office_events";
    if (!fs::is_directory(office)) {
        fmt::print("\nReal office recordings: {} not found, skipped.\n", office.string());
        return;
    }
    std::map<std::string, std::pair<int, int>> per_class;  // class -> files, false pops
    double seconds = 0;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(office))
        if (entry.path().extension() == ".wav") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
        const FileAnalysis a = analyze_file(p.string(), config);
        std::string cls = p.stem().string();
        while (!cls.empty() && std::isdigit(static_cast<unsigned char>(cls.back()))) cls.pop_back();
        auto& [n, pops] = per_class[cls];
        ++n;
        seconds += a.duration_s;
        for (const Event& e : a.events) pops += e.kind == Kind::pop;
    }
    int total = 0;
    fmt::print(
        "\nReal office recordings (DCASE 2016 task 2, {} files, {:.1f} min, all negatives): false pops per class\n\n",
        files.size(), seconds / 60);
    fmt::print("| class | files | false pops |\n|---|---|---|\n");
    for (const auto& [cls, v] : per_class) fmt::print("| {} | {} | {} |\n", cls, v.first, v.second), total += v.second;
    fmt::print("| **all** | {} | **{}** |\n", files.size(), total);

    const fs::path knuckles = fs::path(real_dir) / "game_foley" / "sound_misc_knuckles.ogg";
    if (fs::exists(knuckles)) {
        const std::vector<double> truth{0.015, 0.068, 0.0735, 0.087, 0.1035, 0.1365, 0.190, 0.200};
        const FileAnalysis a = analyze_file(knuckles.string(), config);
        std::vector<LabelledEvent> labels;
        for (double t : truth) labels.push_back({t, Kind::pop, 0, "knuckles"});
        ScoreOptions o;
        const Score s = score_file(a.events, labels, a.duration_s, o);
        fmt::print(
            "\nReal knuckle crack (foley, 8 pops labelled by eye ±2 ms, tolerance 10 ms): detected {}, "
            "matched {}, recall {}\n",
            s.pops.detected(), s.pops.tp, num(s.pops.recall()));
    }
}

// Pop recall by a per-pop measure, in bands, with the same one-to-one matching as the scores:
// the synthesiser's per-event SNR (datasets/synth.hpp), and how far the pop stands out of the
// other sounds at its onset (masking_db).
struct Bands {
    std::vector<double> edges;
    std::vector<std::pair<int, int>> counts;  // per band: labelled, found
};

// The pop's peak over the loudest other sound's peak in the 5 ms blocks at and around its onset
// (the confounders' envelopes, as the false-pop attribution reads them), dB; +inf when nothing
// else sounds there, NaN when the label does not know its peak. Pops of the same act are not
// counted as other sounds.
double masking_db(const synth::Scene& scene, const synth::Label& l) {
    if (!std::isfinite(l.peak)) return NAN;
    float loudest = 0;
    for (const synth::Confounder& c : scene.confounders)
        if (!c.envelopes.empty())
            loudest = std::max(loudest, envelope_level_at(c.envelopes.front(), c.time_s, l.time_s));
    return loudest > 0 ? 20 * std::log10(l.peak / loudest) : std::numeric_limits<double>::infinity();
}

Bands recall_by(const synth::Scene& scene, const std::vector<Event>& events, const std::vector<double>& edges,
                double (*measure)(const synth::Scene&, const synth::Label&)) {
    std::vector<double> reference, value, estimate;
    for (const synth::Label& l : scene.labels)
        if (l.kind == Kind::pop) reference.push_back(l.time_s), value.push_back(measure(scene, l));
    for (const Event& e : events)
        if (e.kind == Kind::pop) estimate.push_back(e.time_s);
    std::vector<bool> found(reference.size(), false);
    for (const Match& m : match_events(reference, estimate, ScoreOptions{}.tolerance_s)) found[m.reference] = true;
    Bands bands{edges, std::vector<std::pair<int, int>>(edges.size() + 1)};
    for (std::size_t i = 0; i < reference.size(); ++i) {
        if (std::isnan(value[i])) continue;
        const auto band =
            static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), value[i]) - edges.begin());
        ++bands.counts[band].first;
        bands.counts[band].second += found[i];
    }
    return bands;
}

const std::vector<double> snr_edges{10, 15, 20, 25}, masking_edges{0, 6, 12, 24};

void bands_table(const std::vector<Item>& items, const std::vector<Bands>& bands, const std::string& title) {
    if (bands.empty()) return;
    const std::vector<double>& edges = bands.front().edges;
    std::map<std::string, std::vector<std::pair<int, int>>> rows;
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto& row = rows[row_name(items[i])];
        row.resize(edges.size() + 1);
        for (std::size_t b = 0; b < row.size(); ++b)
            row[b].first += bands[i].counts[b].first, row[b].second += bands[i].counts[b].second;
    }
    fmt::print("\n{} (found / labelled):\n\n| split / scenario | < {:.0f} dB |", title, edges[0]);
    for (std::size_t b = 1; b < edges.size(); ++b) fmt::print(" {:.0f}-{:.0f} dB |", edges[b - 1], edges[b]);
    fmt::print(" >= {:.0f} dB |\n|---|", edges.back());
    for (std::size_t b = 0; b <= edges.size(); ++b) fmt::print("---|");
    fmt::print("\n");
    for (const auto& [name, row] : rows) {
        if (std::all_of(row.begin(), row.end(), [](const auto& c) { return c.first == 0; })) continue;
        fmt::print("| {} |", name);
        for (const auto& [labelled, found] : row)
            fmt::print(" {}/{} ({}) |", found, labelled,
                       labelled ? fmt::format("{:.2f}", static_cast<double>(found) / labelled) : "—");
        fmt::print("\n");
    }
}

// One row per labelled pop or clunk: what the detector made of it. For finding where recall is
// lost; use it on the dev split only (looking at test-split misses is tuning on the test split).
void write_misses(std::FILE* out, const std::string& name, const synth::Scene& scene,
                  const std::vector<Event>& events) {
    for (std::size_t li = 0; li < scene.labels.size(); ++li) {
        const synth::Label& l = scene.labels[li];
        const Event* nearest = nullptr;
        for (const Event& e : events)
            if (!nearest || std::abs(e.time_s - l.time_s) < std::abs(nearest->time_s - l.time_s)) nearest = &e;
        double gap_prev = 99, gap_next = 99;
        if (li > 0) gap_prev = l.time_s - scene.labels[li - 1].time_s;
        if (li + 1 < scene.labels.size()) gap_next = scene.labels[li + 1].time_s - l.time_s;
        std::string near_conf;
        for (const synth::Confounder& c : scene.confounders)
            if (c.time_s < l.time_s + 0.05 && c.time_s + c.duration_s > l.time_s - 0.25) {
                if (!near_conf.empty()) near_conf += ';';
                near_conf += c.cls;
            }
        const double dt = nearest ? nearest->time_s - l.time_s : 99;
        std::fprintf(out, "%s,%.0f,%.4f,%s,%s,%.1f,%.2f,%.3f,%.3f,%.4f,%s,%.3f,%s\n", name.c_str(), scene.sample_rate,
                     l.time_s, std::string(kind_name(l.kind)).c_str(), l.site.c_str(), l.snr_db, l.duration_s * 1e3,
                     gap_prev, gap_next, dt, nearest ? std::string(kind_name(nearest->kind)).c_str() : "none",
                     nearest ? nearest->pop_probability : 0.0f, near_conf.c_str());
    }
}

// What one file's events would have been at another pop threshold: every candidate the clunk
// model passed is decided again from its recorded P(pop) (dsp/classifier.hpp, counts_as_pop), the
// act's chain rule applied at `config`'s pop_chain_threshold, and pops grouped into episodes as
// the detector groups them (both by apply_pop_chains). Exact when the events were detected at a
// threshold no higher than `threshold` or pop_chain_threshold: nothing else the detector does
// depends on which candidates are pops.
std::vector<Event> at_threshold(std::vector<Event> events, float threshold, DetectorConfig config) {
    config.pop_threshold = threshold;
    for (Event& e : events)
        if (e.kind != Kind::clunk)
            e.kind = counts_as_pop(e.features, e.pop_probability, threshold) ? Kind::pop : Kind::other;
    apply_pop_chains(events, config);  // and the episodes
    return events;
}

struct Recorded {
    std::vector<Event> events;
    std::vector<LabelledEvent> truth;
    std::vector<Confounder> confounders;
    double duration_s = 0;
};

// One row per threshold, pooled by scenario over every file of the run (all splits given).
void sweep_table(const std::vector<Item>& items, const std::vector<Recorded>& recorded,
                 const std::vector<float>& thresholds, const DetectorConfig& config) {
    fmt::print(
        "\nPop threshold sweep (every file of the run, pooled by scenario; chain threshold {}; false pops per "
        "hour of the files with pops and of the negatives):\n\n"
        "| pop_threshold | contact pop R | contact pop F1 | contact episode R | ambient pop R | ambient pop F1 | "
        "ambient episode R | false pops / h, pop files | false pops / h, negatives | false + missed pops |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n",
        config.quick ? "off (quick)" : fmt::format("{:.3g}", config.pop_chain_threshold));
    for (float t : thresholds) {
        std::map<synth::Scenario, std::vector<Score>> by;
        for (std::size_t i = 0; i < items.size(); ++i)
            by[items[i].options.scenario].push_back(score_file(at_threshold(recorded[i].events, t, config),
                                                               recorded[i].truth, recorded[i].duration_s, {},
                                                               &recorded[i].confounders));
        const Score c = pool(by[synth::Scenario::contact]), a = pool(by[synth::Scenario::ambient]),
                    n = pool(by[synth::Scenario::negatives]);
        std::vector<Score> with_pops = by[synth::Scenario::contact];
        with_pops.insert(with_pops.end(), by[synth::Scenario::ambient].begin(), by[synth::Scenario::ambient].end());
        const Score p = pool(with_pops);
        const std::int64_t errors = p.pops.fp + p.pops.fn + n.negative_false_pops;
        fmt::print("| {:.3g} | {} | {} | {} | {} | {} | {} | {} | {} ({} in {:.1f} h) | {} |\n", t,
                   num(c.pops.recall()), num(c.pops.f1()), num(c.episodes.recall()), num(a.pops.recall()),
                   num(a.pops.f1()), num(a.episodes.recall()), num(p.false_pops_per_hour(), "{:.2f}"),
                   num(n.false_pops_per_negative_hour(), "{:.2f}"), n.negative_false_pops, n.negative_duration_s / 3600,
                   errors);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"popwatch accuracy benchmark: synthesised dev/test splits, scored per scenario and cause"};
    bool smoke = false, aubio = false, real = true;
    std::string split_name = "both";
    unsigned jobs = std::thread::hardware_concurrency();
    double min_pop_f1 = -1, max_false_per_hour = -1, min_episode_recall = -1;
    app.add_flag("--smoke", smoke, "The small fixed set for CI (14 minutes of audio per split)");
    app.add_flag("--aubio", aubio, "Also score aubioonset (default method) on the same audio");
    app.add_option("--split", split_name, "dev | test | both")->check(CLI::IsMember({"dev", "test", "both"}));
    app.add_flag("!--no-real", real, "Skip the real recordings in ../shared/datasets/real");
    app.add_option("--jobs,-j", jobs, "Files in parallel");
    app.add_option("--min-pop-f1", min_pop_f1, "Exit 5 if pooled pop F1 (pop files) is below this");
    app.add_option("--min-episode-recall", min_episode_recall, "Exit 5 if pooled episode recall is below this");
    app.add_option("--max-false-per-hour", max_false_per_hour,
                   "Exit 5 if false pops per hour of negatives exceed this");
    DetectorConfig config;
    app.add_flag("--quick", config.quick,
                 "Decide as listen --quick does: quick_lookahead_s after each onset, with the quick models");
    app.add_option("--quick-lookahead", config.quick_lookahead_s,
                   "Seconds after the onset a quick decision is made (the quick models are trained at the default)")
        ->capture_default_str();
    app.add_option("--pop-threshold", config.pop_threshold, "P(pop) a pop needs (DetectorConfig::pop_threshold)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--chain-threshold", config.pop_chain_threshold,
                   "P(pop) a candidate chained to a pop needs (DetectorConfig::pop_chain_threshold; 1: off)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    std::vector<float> sweep;
    app.add_option("--sweep", sweep,
                   "Score these pop thresholds (comma-separated; quick_pop_threshold with --quick) instead of "
                   "printing the tables: one row each, from one detection pass")
        ->delimiter(',')
        ->check(CLI::Range(0.0, 1.0));
    bool tuning = false;
    app.add_flag("--tuning", tuning,
                 "Add the set pop_threshold is chosen on to the dev split (seeds 12000+: 2 h contact, 2 h ambient, "
                 "6 h negatives)");
    std::string misses_path;
    app.add_option("--misses", misses_path,
                   "Write one CSV row per labelled event with the nearest detection (dev split only: for "
                   "finding where recall is lost)");
    CLI11_PARSE(app, argc, argv);
    std::FILE* misses = nullptr;
    if (!misses_path.empty()) {
        if (split_name != "dev") {
            std::fprintf(stderr, "--misses is for the dev split only (add --split dev)\n");
            return 2;
        }
        misses = std::fopen(misses_path.c_str(), "w");
        if (!misses) {
            std::fprintf(stderr, "cannot write %s\n", misses_path.c_str());
            return 4;
        }
        std::fprintf(misses,
                     "file,rate,time_s,kind,site,snr_db,dur_ms,gap_prev_s,gap_next_s,nearest_dt_s,nearest_kind,"
                     "nearest_p_pop,confounders_near\n");
    }

    if (tuning && split_name != "dev") {
        std::fprintf(stderr, "--tuning is for the dev split only (add --split dev)\n");
        return 2;
    }
    // A sweep detects once at its lowest threshold (the quick one with --quick) and decides again
    // from the recorded P(pop) at each.
    DetectorConfig decided = config;  // what the sweep decides again with (its pop_chain_threshold)
    if (!sweep.empty()) {
        const float lowest = std::min(*std::min_element(sweep.begin(), sweep.end()), config.pop_chain_threshold);
        (config.quick ? config.quick_pop_threshold : config.pop_threshold) = lowest;
    }
    std::vector<synth::Split> splits;
    if (split_name != "test") splits.push_back(synth::Split::dev);
    if (split_name != "dev") splits.push_back(synth::Split::test);
    const std::vector<Item> items = benchmark_set(smoke, splits, tuning);
    std::vector<Recorded> recorded(sweep.empty() ? 0 : items.size());
    const fs::path tmp = fs::temp_directory_path() / ("popwatch-accuracy-" + std::to_string(::getpid()));
    if (aubio) fs::create_directories(tmp);

    std::vector<Score> ours(items.size()), reference(items.size());
    std::vector<Bands> snr_bands(items.size()), masking_bands(items.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex print;
    std::vector<std::thread> pool_threads;
    for (unsigned w = 0; w < std::max(1u, jobs); ++w)
        pool_threads.emplace_back([&] {
            for (std::size_t i = next++; i < items.size(); i = next++) {
                const synth::Scene scene = synth::render(items[i].options);
                const double duration = static_cast<double>(scene.audio.size()) / scene.channels / scene.sample_rate;
                const auto truth = synth::truth(scene);
                const auto confounders = synth::confounders(scene);
                const std::vector<Event> events = detect_all(scene.audio, scene.sample_rate, scene.channels, config);
                ours[i] = score_file(events, truth, duration, {}, &confounders);
                if (!sweep.empty()) recorded[i] = {events, truth, confounders, duration};
                snr_bands[i] = recall_by(scene, events, snr_edges,
                                         [](const synth::Scene&, const synth::Label& l) { return l.snr_db; });
                masking_bands[i] = recall_by(scene, events, masking_edges, masking_db);
                if (aubio)
                    reference[i] =
                        score_file(aubio_onsets(scene, tmp, items[i].name), truth, duration, {}, &confounders);
                std::lock_guard lock(print);
                if (misses) write_misses(misses, items[i].name, scene, events);
                std::fprintf(stderr, "\r  %zu/%zu files scored ", ++done, items.size());
            }
        });
    for (auto& t : pool_threads) t.join();
    std::fprintf(stderr, "\n");
    if (misses) std::fclose(misses);
    if (aubio) fs::remove_all(tmp);

    const auto group = [&](const std::vector<Score>& scores) {
        std::map<std::string, std::vector<Score>> g;
        for (std::size_t i = 0; i < items.size(); ++i) g[row_name(items[i])].push_back(scores[i]);
        return g;
    };
    if (!sweep.empty()) {
        fmt::print("Matching: {}\n", matching_rule({}));
        sweep_table(items, recorded, sweep, decided);
        return 0;
    }
    const auto groups = group(ours);
    fmt::print("Matching: {}\n", matching_rule({}));
    scenario_table(groups, "popwatch, per split and scenario:");
    intervals_table(groups);
    confounder_table(groups, "False pops by cause (all scenarios):");
    bands_table(items, snr_bands, "Pop recall by the pop's SNR");
    bands_table(items, masking_bands,
                "Pop recall by how far the pop stands out of the other sounds at its onset (its peak over the "
                "loudest other sound's, 5 ms blocks; >= 24 dB includes nothing else sounding)");
    if (aubio) {
        scenario_table(group(reference), "aubioonset (default method, every onset counted as a pop), same audio:");
    }
    if (real && !smoke) real_recordings(synth::default_real_dir(), config);

    // Floors for CI: pooled over the scenarios that have pops / the negatives.
    std::vector<Score> with_pops, negatives;
    for (const auto& s : ours) (s.negative_files ? negatives : with_pops).push_back(s);
    const Score p = pool(with_pops), n = pool(negatives);
    int code = 0;
    if (min_pop_f1 >= 0 && !(p.pops.f1() >= min_pop_f1)) {
        std::fprintf(stderr, "pop F1 %.3f is below the floor %.3f\n", p.pops.f1(), min_pop_f1);
        code = 5;
    }
    if (min_episode_recall >= 0 && !(p.episodes.recall() >= min_episode_recall)) {
        std::fprintf(stderr, "episode recall %.3f is below the floor %.3f\n", p.episodes.recall(), min_episode_recall);
        code = 5;
    }
    if (max_false_per_hour >= 0 && !(n.false_pops_per_negative_hour() <= max_false_per_hour)) {
        std::fprintf(stderr, "%.2f false pops per hour of negatives exceed the ceiling %.2f\n",
                     n.false_pops_per_negative_hour(), max_false_per_hour);
        code = 5;
    }
    return code;
}

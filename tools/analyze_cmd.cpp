// `popwatch analyze FILE...`: find every pop in recordings. Files are analysed in parallel and
// printed in argument order; a bad file gets one line on stderr and does not stop the others.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "capture/file_source.hpp"
#include "datasets/synth.hpp"
#include "dsp/detector.hpp"
#include "tools/analysis.hpp"
#include "tools/commands.hpp"
#include "tools/output.hpp"
#include "tools/record.hpp"

namespace popwatch {
namespace {

struct AnalyzeOptions {
    std::vector<std::string> files;
    std::string format;
    std::string sites;
    bool all = false;
    bool explain = false;
    bool demo = false;
    unsigned jobs = 0;
    float episode_gap_s = DetectorConfig{}.episode_gap_s;
    CLI::Option* episode_gap = nullptr;  // given on the command line? (else the config file's)
    bool record = false;                 // --record: add the events to the history
    std::string start;                   // --start: the recording's first sample, ISO 8601
    HabitsOptions habits;                // --db, --config
};

// The demo recording: three minutes of synthesised office audio with known pops, written once
// to the user's cache directory.
std::string demo_recording() {
    const char* cache = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const std::filesystem::path dir = cache && *cache ? std::filesystem::path(cache) / "popwatch"
                                      : home && *home ? std::filesystem::path(home) / ".cache" / "popwatch"
                                                      : std::filesystem::temp_directory_path() / "popwatch";
    const std::string stem = "demo-office";
    const auto wav = dir / (stem + ".wav");
    if (!std::filesystem::exists(wav)) {
        synth::Options options;
        options.scenario = synth::Scenario::demo;
        options.seed = 2026;
        const synth::Scene scene = synth::render(options);
        std::filesystem::create_directories(dir);
        synth::write_scene(scene, dir.string(), stem);
        std::fprintf(stderr, "demo: wrote %s (labels beside it: %s.labels.csv)\n", wav.c_str(), stem.c_str());
    }
    return wav.string();
}

// Overall progress on stderr, redrawn in place, only when stderr is a terminal.
class Progress {
   public:
    explicit Progress(std::size_t files) : files_(files), enabled_(isatty(STDERR_FILENO) != 0) {
        fractions_.resize(files);
    }
    void set(std::size_t file, double fraction) {
        if (!enabled_) return;
        std::lock_guard lock(mutex_);
        fractions_[file] = fraction;
        double sum = 0;
        std::size_t done = 0;
        for (double f : fractions_) sum += f, done += f >= 1.0;
        const double all = sum / static_cast<double>(files_);
        constexpr int width = 30;
        const int filled = static_cast<int>(all * width);
        std::fprintf(stderr, "\r  [%s%s] %3.0f%%  %zu/%zu files ",
                     std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), '.').c_str(), all * 100, done, files_);
        std::fflush(stderr);
        drawn_ = true;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        if (drawn_) std::fprintf(stderr, "\r%60s\r", "");
        drawn_ = false;
    }

   private:
    std::size_t files_;
    bool enabled_;
    bool drawn_ = false;
    std::mutex mutex_;
    std::vector<double> fractions_;
};

void print_file(const FileAnalysis& a, Format format, const SiteMap& sites, const AnalyzeOptions& o,
                const DetectorConfig& config, bool first) {
    std::string out;
    if (format == Format::csv && first) out += csv_header() + "\n";
    if (format == Format::table && a.sample_rate > 0) {
        out += fmt::format("{}  ({:.1f} s, {:g} Hz, {} ch)\n", a.path, a.duration_s, a.sample_rate, a.channels);
        if (!a.events.empty()) out += table_header() + "\n";
    }
    bool clunk = false;
    for (const Event& e : a.events) {
        if (e.kind == Kind::other && !o.all) continue;
        clunk = clunk || e.kind == Kind::clunk;
        const Site& site = sites.for_channel(e.channel);
        switch (format) {
            case Format::csv:
                out += csv_row(a.path, e, site) + "\n";
                break;
            case Format::jsonl: {
                nlohmann::json j = event_json(a.path, e, site, o.explain);
                if (o.explain) j["why"] = explain(e, config);
                out += j.dump() + "\n";
                break;
            }
            case Format::audacity:
                out += audacity_row(e, site) + "\n";
                break;
            case Format::table:
                out += table_row(e, site) + "\n";
                break;
        }
        if (o.explain && format == Format::table) out += explain(e, config);
        if (o.explain && (format == Format::csv || format == Format::audacity))
            std::fprintf(stderr, "%s at %.4f s:\n%s", a.path.c_str(), e.time_s, explain(e, config).c_str());
    }
    if (format == Format::table && a.sample_rate > 0) {
        out += summary_line(a) + "\n";
        if (clunk) out += clunk_note() + "\n";
        out += "\n";
    }
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    if (!a.ok()) std::fprintf(stderr, "popwatch analyze: %s\n", a.error.c_str());
    for (const std::string& w : channel_warnings(a.health, sites))
        std::fprintf(stderr, "popwatch analyze: warning: %s: %s\n", a.path.c_str(), w.c_str());
    for (const std::string& w : a.warnings) std::fprintf(stderr, "popwatch analyze: warning: %s\n", w.c_str());
}

int run(AnalyzeOptions o) {
    if (o.demo) o.files.insert(o.files.begin(), demo_recording());
    if (o.files.empty()) {
        std::fprintf(stderr, "popwatch analyze: no files given (try --demo, or --help)\n");
        return exit_usage;
    }
    const Format format =
        o.format.empty() ? (isatty(STDOUT_FILENO) ? Format::table : Format::csv) : parse_format(o.format);
    if (format == Format::audacity && o.files.size() > 1) {
        std::fprintf(stderr, "popwatch analyze: an Audacity label track belongs to one recording; give one file\n");
        return exit_usage;
    }
    const habits::Config settings = load_config(o.habits);
    const std::string spec = site_spec(o.sites, settings);
    const SiteMap sites = spec.empty() ? SiteMap{} : SiteMap::parse(spec);
    const SensorLayout layout = sites.layout();
    DetectorConfig config = settings.detector;
    if (o.episode_gap && o.episode_gap->count() > 0) config.episode_gap_s = o.episode_gap_s;
    std::optional<double> start;
    if (!o.start.empty() && (!o.record || o.files.size() != 1))
        throw std::invalid_argument("--start needs --record and one file");
    if (!o.start.empty()) start = parse_start(o.start);
    std::optional<Recorder> recorder;
    if (o.record) recorder.emplace(o.habits, settings);

    const std::size_t n = o.files.size();
    const unsigned jobs = std::max(
        1u, std::min<unsigned>(o.jobs ? o.jobs : std::thread::hardware_concurrency(), static_cast<unsigned>(n)));
    std::vector<std::optional<FileAnalysis>> results(n);
    std::mutex mutex;
    std::condition_variable ready;
    std::atomic<std::size_t> next{0};
    Progress progress(n);
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < jobs; ++w) {
        workers.emplace_back([&] {
            for (std::size_t i = next++; i < n; i = next++) {
                // Events of kind `other` are printed only with --all: without it they are not kept.
                FileAnalysis a = analyze_file(
                    o.files[i], config, [&, i](double f) { progress.set(i, f); }, layout, o.all);
                std::lock_guard lock(mutex);
                results[i] = std::move(a);
                ready.notify_all();
            }
        });
    }
    int code = exit_ok;
    for (std::size_t i = 0; i < n; ++i) {
        FileAnalysis a;
        {
            std::unique_lock lock(mutex);
            ready.wait(lock, [&] { return results[i].has_value(); });
            a = std::move(*results[i]);
            results[i].reset();
        }
        progress.clear();
        print_file(a, format, sites, o, config, i == 0);
        if (recorder) recorder->record(a, sites, start);
        if (!a.ok()) code = exit_bad_input;
    }
    for (auto& t : workers) t.join();
    progress.clear();
    if (recorder && recorder->finish() != exit_ok) code = exit_failure;
    return code;
}

}  // namespace

void register_analyze(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<AnalyzeOptions>();
    CLI::App* cmd =
        app.add_subcommand("analyze", "Find every pop in recordings (WAV, FLAC, OGG, AIFF; any rate, any channels)");
    cmd->footer(
        "Output: a table on a terminal, CSV otherwise. CSV/JSONL fields: file, time_s (onset), duration_s,\n"
        "kind (pop, clunk; other with --all), confidence 0-1, channel (from 1), site, position_cm, episode\n"
        "(pops closer than --episode-gap form one episode, numbered from 0 per file).\n"
        "Exit codes: 0 all files analysed; 2 bad command line; 3 at least one file missing, unreadable,\n"
        "truncated or holding NaN samples (each named on stderr; the other files are still analysed).");
    cmd->add_option("files", o->files, "Audio files to analyse");
    cmd->add_option("--format", o->format, "table | csv | jsonl | audacity (default: table on a terminal, else csv)")
        ->check(CLI::IsMember({"table", "csv", "jsonl", "audacity"}));
    cmd->add_flag("--all", o->all, "Also print transients classified as other (typing, knocks, ...)");
    cmd->add_option("--sites", o->sites,
                    "Name channel 1, 2, ... and give positions: \"upper-back@0,mid-back@12\"; \"air\" marks the room "
                    "microphone used as a reference");
    cmd->add_flag("--explain", o->explain, "Print each event's features and what each contributed to its kind");
    cmd->add_option("--jobs,-j", o->jobs, "Files analysed in parallel (default: all cores)");
    o->episode_gap =
        cmd->add_option("--episode-gap", o->episode_gap_s, "Seconds: pops closer than this are one episode")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
    cmd->add_flag("--demo", o->demo, "Analyse the built-in demo recording (generated on first use)");
    cmd->add_flag("--record", o->record, "Add the pops and clunks to the history (popwatch today, report)");
    cmd->add_option("--start", o->start,
                    "With --record: when the recording began, e.g. 2026-11-20T09:00:00 (local), ...Z, ...+01:00\n"
                    "(default: the file's modification time minus its duration)");
    add_habits_options(cmd, o->habits);
    cmd->callback([o, &exit_code] { exit_code = run_guarded("analyze", [&] { return run(*o); }); });
}

}  // namespace popwatch

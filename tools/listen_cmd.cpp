// `popwatch listen`: monitor a microphone live. The command only parses options and wires the
// input, the monitor (tools/monitor.hpp) and the sinks; SIGINT/SIGTERM end the session cleanly.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "capture/live_source.hpp"
#include "capture/quiet_stderr.hpp"
#include "capture/two_devices.hpp"
#include "habits/store.hpp"
#include "tools/commands.hpp"
#include "tools/habits_support.hpp"
#include "tools/history_sink.hpp"
#include "tools/listen_sinks.hpp"
#include "tools/monitor.hpp"
#include "tools/output.hpp"

namespace popwatch {
namespace {

struct ListenOptions {
    std::string device;
    std::string air_device;  // a second device for the air microphone (issue #8)
    int channels = 1;
    double rate = 0;
    std::string sites;
    double for_s = 0;
    std::string format;
    std::string keep_clips;
    double clip_cap_mb = 100;
    double buffer_ms = 100;
    CLI::Option* buffer = nullptr;  // given on the command line? (else the default for the mode)
    bool quick = false;
    bool all = false;
    float episode_gap_s = DetectorConfig{}.episode_gap_s;
    CLI::Option* episode_gap = nullptr;  // given on the command line? (else the config file's)
    HabitsOptions habits;                // --db, --config, --notify-command, --no-desktop
    bool no_record = false;
};

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) { stop_requested.store(true); }

// The first SIGINT/SIGTERM asks the session to end (flush, summary); SA_RESETHAND makes a second
// one end the process the default way, in case something hangs.
void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// With --air-device the air microphone is one more channel, after the body device's: --sites may
// name the body channels only (air is appended) or all of them with "air" last.
std::string sites_with_air(const std::string& spec, int body_channels) {
    const SiteMap given = spec.empty() ? SiteMap{} : SiteMap::parse(spec);
    const auto n = static_cast<int>(given.size());
    if (n == body_channels + 1 && given.for_channel(n - 1).name == SiteMap::air_name) return spec;
    for (int c = 0; c < n; ++c)
        if (given.for_channel(c).name == SiteMap::air_name || n > body_channels)
            throw std::invalid_argument("--sites: with --air-device the air microphone is the last channel; name the " +
                                        std::to_string(body_channels) +
                                        " body channel(s), then \"air\" (or leave it out)");
    std::string out = spec;
    for (int c = n; c < body_channels; ++c) out += (out.empty() ? "" : ",") + std::string("unknown");
    return out + ",air";
}

int run(const ListenOptions& o) {
    const Format format =
        o.format.empty() ? (isatty(STDOUT_FILENO) ? Format::table : Format::csv) : parse_format(o.format);
    const habits::Config settings = load_config(o.habits);
    std::string spec = site_spec(o.sites, settings);
    if (!o.air_device.empty()) spec = sites_with_air(spec, o.channels);
    const SiteMap sites = spec.empty() ? SiteMap{} : SiteMap::parse(spec);
    MonitorOptions options;
    options.detector = settings.detector;
    options.layout = sites.layout();
    if (o.air_device.empty() && options.layout.body_channels(o.channels) == 0)
        throw std::invalid_argument("--sites \"" + spec + "\" makes every recorded channel (--channels " +
                                    std::to_string(o.channels) + ") the air reference; name a body site first");
    if (o.episode_gap && o.episode_gap->count() > 0) options.detector.episode_gap_s = o.episode_gap_s;
    options.duration_s = o.for_s;
    // --quick (or quick = true in the config): decide 12 ms after an onset, and buffer little so
    // the capture path does not add back what the detector saved (BENCHMARKS.md, latency table).
    if (o.quick) options.detector.quick = true;
    const bool quick = options.detector.quick;
    // Refused here, before any device opens (the air device is the channel after the body's).
    Detector::check_layout(options.detector, o.channels + (o.air_device.empty() ? 0 : 1), options.layout);
    const double buffer_ms = o.buffer->count() > 0 ? o.buffer_ms : quick ? quick_buffer_s * 1e3 : o.buffer_ms;
    options.poll_s = listen_poll_s(quick, buffer_ms / 1000);

    const bool status = isatty(STDERR_FILENO) != 0;
    // For the whole session: the audio libraries' noise would break the status line.
    QuietStderr quiet;
    std::FILE* err = quiet.real();
    std::unique_ptr<ClipSink> clips;
    if (!o.keep_clips.empty())
        clips = std::make_unique<ClipSink>(o.keep_clips, static_cast<std::uint64_t>(o.clip_cap_mb * 1e6), err);

    PortAudioOptions device;
    device.device = o.device;
    device.channels = o.channels;
    device.sample_rate = o.rate;
    device.latency_s = buffer_ms / 1000;
    PortAudioInput input(device);
    // --air-device: a second stream, aligned to the body device's clock (capture/two_devices.hpp).
    std::unique_ptr<PortAudioInput> air_input;
    std::unique_ptr<TwoDeviceInput> two_devices;
    LiveInput* source = &input;
    if (!o.air_device.empty()) {
        PortAudioOptions air = device;
        air.device = o.air_device;
        air.channels = 1;
        air.sample_rate = 0;  // its native rate; the aligner resamples to the body's
        air_input = std::make_unique<PortAudioInput>(air);
        two_devices = std::make_unique<TwoDeviceInput>(input, *air_input);
        source = two_devices.get();
    }

    install_stop_handlers();
    // The history (events only, never audio), unless --no-record.
    std::unique_ptr<HistorySink> history;
    if (!o.no_record) {
        try {
            habits::Config recorded = settings;
            recorded.detector = options.detector;  // --episode-gap applies to the history's episodes too
            history = std::make_unique<HistorySink>(recorded, db_path(o.habits, settings), sites, err);
        } catch (const habits::StoreError& e) {
            std::fprintf(err, "popwatch listen: history: %s (--no-record listens without it)\n", e.what());
            return exit_failure;
        }
    }
    PrinterSink printer(format, sites, o.all, status, stdout, err);
    // The history first: an event is committed (or queued, with a warning) before it is printed,
    // so a SIGKILL can never lose an event the user saw.
    std::vector<Sink*> sinks;
    if (history) sinks.push_back(history.get());
    if (clips) sinks.push_back(clips.get());
    sinks.push_back(&printer);
    Monitor monitor(*source, sinks, options);
    try {
        monitor.run(stop_requested);
    } catch (const DeviceError& e) {
        std::fprintf(err, "popwatch listen: %s\n", e.what());
        return exit_bad_input;
    }
    if (two_devices) {
        const AlignStatus a = two_devices->alignment();
        const InputHealth h = two_devices->air_health();
        std::fprintf(
            err, "  air microphone: %s, offset %+.1f ms, drift %+.1f ppm; input overflows: %llu, ring overruns: %llu\n",
            align_state_name(a.state), a.offset_ms, a.drift_ppm, static_cast<unsigned long long>(h.input_overflows),
            static_cast<unsigned long long>(h.ring_overruns));
    }
    if (clips && clips->saved() > 0)
        std::fprintf(err, "  %d clip(s) kept in %s\n", clips->saved(), o.keep_clips.c_str());
    return exit_ok;
}

}  // namespace

void register_listen(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ListenOptions>();
    CLI::App* cmd = app.add_subcommand("listen", "Monitor a microphone live and report pops as they happen");
    cmd->footer(
        "Prints each event as it is detected, in analyze's formats (CSV: the same header and columns;\n"
        "time_s counts from the start of the session; the file column holds the device). On a terminal,\n"
        "stderr shows a live status line: level meter, monitored time, pops and episodes so far.\n"
        "If the microphone goes away (unplugged, sound server restarted) popwatch says so, reopens it\n"
        "with backoff and says when it is back; monitored time excludes the gap.\n"
        "--air-device records the room microphone from a second device (e.g. a USB contact mic as\n"
        "--device plus the built-in mic): its clock is aligned to the body device's by cross-correlating\n"
        "sounds both hear, drift included, and it becomes the last channel, site \"air\". Until aligned,\n"
        "and while that device is offline, the air channel is silent (single-sensor mode) and popwatch\n"
        "says so; it is reopened with backoff.\n"
        "Ctrl-C (SIGINT) or SIGTERM ends the session: pending decisions are flushed and a summary\n"
        "(monitored time, pops, episodes, clunks, input overflows, offline gaps) goes to stderr.\n"
        "No audio is stored unless --keep-clips is given.\n"
        "Every pop and clunk also goes into the history (popwatch today / report), with the monitored\n"
        "time, and the guidance rules warn when a limit is crossed; --no-record turns that off.\n"
        "Exit codes: 0 session ended normally (--for elapsed, or stopped by a signal); 2 bad command\n"
        "line or config file; 3 the audio device could not be opened (none, no match, unsupported\n"
        "rate/channels); 4 the history database cannot be written (read-only, ...).");
    cmd->add_option("--device,-d", o->device,
                    "Input device: an index or part of a name from `popwatch devices` (default: the default input)");
    cmd->add_option("--air-device", o->air_device,
                    "A second input device for the air (room) microphone: an index or part of a name, as --device.\n"
                    "Its clock is aligned to --device's (offset and drift); it becomes the last channel, site \"air\"");
    cmd->add_option("--channels,-c", o->channels, "Input channels to record; each is a site (see --sites)")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    cmd->add_option("--rate,-r", o->rate, "Sample rate in Hz (default: the device's native rate)")
        ->check(CLI::Range(8000.0, 192000.0));
    cmd->add_option("--sites", o->sites,
                    "Name channel 1, 2, ... and give positions: \"upper-back@0,mid-back@12\"; \"air\" marks the room "
                    "microphone used as a reference");
    cmd->add_option("--for", o->for_s, "Stop after this many seconds (default: until Ctrl-C / SIGTERM)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--format", o->format, "table | csv | jsonl (default: table on a terminal, else csv)")
        ->check(CLI::IsMember({"table", "csv", "jsonl"}));
    cmd->add_flag("--all", o->all, "Also print transients classified as other (typing, knocks, ...)");
    o->episode_gap =
        cmd->add_option("--episode-gap", o->episode_gap_s, "Seconds: pops closer than this are one episode")
            ->capture_default_str()
            ->check(CLI::PositiveNumber);
    cmd->add_flag("--no-record", o->no_record,
                  "Do not add events to the history (by default every pop and clunk is recorded, with the\n"
                  "monitored time; warnings follow the guidance rules)");
    add_habits_options(cmd, o->habits);
    add_notify_options(cmd, o->habits);
    o->buffer = cmd->add_option("--buffer-ms", o->buffer_ms,
                                "Audio buffering asked of the device: larger costs less CPU, adds latency (detection "
                                "itself\nwaits ~250 ms for context after a pop; with --quick the default is " +
                                    fmt::format("{:g}", quick_buffer_s * 1e3) + ")")
                    ->capture_default_str()
                    ->check(CLI::Range(1.0, 1000.0));
    cmd->add_flag("--quick", o->quick,
                  "Decide 12 ms after each onset instead of 250 ms: a pop is printed ~25 ms after it happens\n"
                  "instead of ~290 ms, with models trained for it and somewhat lower accuracy (BENCHMARKS.md).\n"
                  "Not with an air reference. Also `quick = true` in the config's [detector] table");
    cmd->add_option("--keep-clips", o->keep_clips,
                    "Save a 1 s WAV around each pop and clunk in this private directory (0700, files 0600)");
    cmd->add_option("--clip-cap-mb", o->clip_cap_mb, "Stop keeping clips when the directory's clips reach this size")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->callback([o, &exit_code] {
        try {
            exit_code = run(*o);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "popwatch listen: %s\n", e.what());
            exit_code = exit_usage;
        } catch (const std::runtime_error& e) {
            std::fprintf(stderr, "popwatch listen: %s\n", e.what());
            exit_code = exit_usage;
        }
    });
}

}  // namespace popwatch

// `popwatch listen` and `popwatch devices` end to end. Tests tagged [live] need an audio input:
// CTest runs them with the live_audio fixture (tests/live/pulse.sh), a private PulseAudio daemon
// whose null sink "virt" is the default source, so what `paplay --device=virt` plays is captured
// in real time through PortAudio's ALSA default device, as from a microphone.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../dsp/drift_scene.hpp"
#include "../dsp/test_signals.hpp"
#include "cli_support.hpp"

using namespace popwatch;
namespace fs = std::filesystem;

namespace {

struct Row {
    double time_s;
    std::string kind;
    std::string episode;
};

// The fields of analyze's CSV that these tests look at.
std::vector<Row> parse_csv(const std::vector<std::string>& rows) {
    std::vector<Row> out;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        std::vector<std::string> f;
        std::stringstream s(rows[i]);
        for (std::string field; std::getline(s, field, ',');) f.push_back(field);
        if (rows[i].back() == ',') f.emplace_back();
        REQUIRE(f.size() == 9);
        out.push_back({std::stod(f[1]), f[3], f[8]});
    }
    return out;
}

bool live_audio_available() {
    const char* dir = std::getenv("XDG_RUNTIME_DIR");
    return dir && fs::exists(fs::path(dir) / "pulse" / "native");
}

constexpr double rate = 48000;
// Pops at these times (s) in the played recording: with --episode-gap 0.5, two in one episode,
// then two more episodes.
const std::vector<double> pop_times{0.6, 0.93, 2.1, 3.25};

// Plays `wav` into the default source (the "microphone"), lets the server's buffering drain,
// then stops listen with `signal` and returns what it printed.
test::Run play_then_stop(test::Background& listen, const fs::path& wav, int signal = SIGINT) {
    REQUIRE(std::system(("paplay --device=virt " + wav.string()).c_str()) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    listen.signal(signal);
    return listen.finish(10);
}

// Exactly pop_times' pops, spaced as played (±15 ms).
void check_pops_as_played(const std::vector<Row>& rows) {
    REQUIRE(rows.size() == pop_times.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[i].kind == "pop");
        if (i > 0) CHECK(rows[i].time_s - rows[i - 1].time_s == Approx(pop_times[i] - pop_times[i - 1]).margin(0.015));
    }
}

}  // namespace

TEST_CASE("listen hears pops played into the sound server, with their spacing, and stops on SIGINT",
          "[cli][listen][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("listen-live");
    auto x = test::noise(4.3, rate, 0.001f);
    for (double t : pop_times) test::add_pop(x, rate, t);
    test::write_wav(dir / "pops.wav", x, static_cast<int>(rate));

    const auto db = dir / "history.db";
    test::Background listen(
        "listen --format csv --episode-gap 0.5 --db " + db.string() + " --keep-clips " + (dir / "clips").string(), dir);
    REQUIRE(listen.wait_for_stderr("listening to", 20));  // audio is flowing
    const auto r = play_then_stop(listen, dir / "pops.wav");
    INFO(r.err);
    REQUIRE(r.code == 0);

    // Exactly the pops, nothing else, spaced as played (±15 ms), grouped into episodes.
    const auto lines = test::lines(r.out);
    REQUIRE(!lines.empty());
    CHECK(lines[0] == "file,time_s,duration_s,kind,confidence,channel,site,position_cm,episode");
    const auto rows = parse_csv(lines);
    INFO(r.out);
    check_pops_as_played(rows);
    CHECK(rows[0].episode == rows[1].episode);
    CHECK(rows[1].episode != rows[2].episode);
    CHECK(rows[2].episode != rows[3].episode);

    // The session summary, on stderr, after the signal.
    CHECK(r.err.find("session:") != std::string::npos);
    CHECK(r.err.find("4 pops in 3 episodes, 0 clunks") != std::string::npos);
    CHECK(r.err.find("input overflows: 0") != std::string::npos);

    // A private clip per pop, at most a second long.
    struct stat st {};
    REQUIRE(::stat((dir / "clips").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    int clips = 0;
    for (const auto& e : fs::directory_iterator(dir / "clips")) {
        ++clips;
        CHECK(e.path().filename().string().rfind("pop-", 0) == 0);
        REQUIRE(::stat(e.path().c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        SF_INFO info{};
        SNDFILE* f = sf_open(e.path().c_str(), SFM_READ, &info);
        REQUIRE(f);
        sf_close(f);
        CHECK(info.frames > 0);
        CHECK(static_cast<double>(info.frames) / info.samplerate <= 1.0);
    }
    CHECK(clips == static_cast<int>(pop_times.size()));

    // The history holds the pops as events (no audio), in today's count, with the monitored time.
    const auto today = test::popwatch("today --json --db " + db.string(), dir);
    INFO(today.err);
    REQUIRE(today.code == 0);
    const auto day = nlohmann::json::parse(today.out);
    CHECK(day["pops"] == 4);
    CHECK(day["episodes"] == 3);
    CHECK(day["monitored_s"].get<double>() > 3);
    const auto blob = test::slurp(db);
    CHECK(blob.find("RIFF") == std::string::npos);
}

// --quick (issue #4): decided 12 ms after each onset with the quick models; the same pops, same
// spacing. (How soon they print is measured by bench/listen_latency --quick, BENCHMARKS.md.)
TEST_CASE("listen --quick hears the same pops with their spacing", "[cli][listen][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("listen-quick");
    // A second of room noise first: the sink's switch from digital silence to noise is a
    // transient of its own, and the quick model, which cannot see past 12 ms, is less sure of a
    // pop with a transient just before it (P 0.77-0.78 against 0.95+ without, threshold 0.8).
    auto x = test::noise(5.3, rate, 0.001f);
    for (double t : pop_times) test::add_pop(x, rate, 1 + t);
    test::write_wav(dir / "pops.wav", x, static_cast<int>(rate));
    test::Background listen("listen --quick --no-record --format csv", dir);
    REQUIRE(listen.wait_for_stderr("listening to", 20));
    const auto r = play_then_stop(listen, dir / "pops.wav");
    INFO(r.err);
    REQUIRE(r.code == 0);
    INFO(r.out);
    check_pops_as_played(parse_csv(test::lines(r.out)));
}

TEST_CASE("listen --quick refuses an air reference (no two-sensor model for it)", "[cli][listen]") {
    const auto dir = test::scratch_dir("listen-quick-air");
    const auto r = test::popwatch("listen --quick --no-record --for 1 --channels 2 --sites upper-back,air", dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("--quick has no two-sensor model") != std::string::npos);
}

TEST_CASE("listen --for stops by itself and prints the summary", "[cli][listen][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("listen-for");
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = test::popwatch("listen --for 1.5 --format csv --rate 48000", dir);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(took >= 1.5);
    CHECK(took < 8);
    CHECK(r.out == "file,time_s,duration_s,kind,confidence,channel,site,position_cm,episode\n");  // silence
    CHECK(r.err.find("session:") != std::string::npos);
    CHECK(r.err.find("(0:00:01.5 elapsed)") != std::string::npos);
    CHECK(r.err.find("0 pops in 0 episodes") != std::string::npos);
    CHECK(r.err.find("ALSA lib") == std::string::npos);  // the audio libraries' noise is kept out
}

TEST_CASE("devices lists the default input", "[cli][devices][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("devices");
    const auto r = test::popwatch("devices", dir);
    CHECK(r.code == 0);
    CHECK(r.out.find("* ") != std::string::npos);
    CHECK(r.out.find("default") != std::string::npos);
    CHECK(r.err.empty());
    const auto j = test::popwatch("devices --format jsonl", dir);
    CHECK(j.code == 0);
    CHECK(j.out.find("\"default\":true") != std::string::npos);
}

TEST_CASE("listen names a device it cannot find and exits 3", "[cli][listen]") {
    const auto dir = test::scratch_dir("listen-baddev");
    const auto r = test::popwatch("listen --device no-such-microphone-xyz --for 1", dir);
    CHECK(r.code == 3);
    const auto lines = test::lines(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("popwatch listen: ", 0) == 0);
    CHECK(r.out.empty());
}

TEST_CASE("listen --air-device names an air device it cannot find and exits 3", "[cli][listen][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("listen-badair");
    const auto r = test::popwatch("listen --air-device no-such-microphone-xyz --for 1 --no-record", dir);
    CHECK(r.code == 3);
    const auto lines = test::lines(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("popwatch listen: air microphone: ", 0) == 0);
    CHECK(lines[0].find("no-such-microphone-xyz") != std::string::npos);
    CHECK(r.out.empty());
}

// The fixture's "pair" sink's two channels as two ALSA devices PortAudio lists ("popwatch_body",
// "popwatch_air"), through an asoundrc in a private XDG_CONFIG_HOME (alsa.conf reads
// $XDG_CONFIG_HOME/alsa/asoundrc).
void use_pair_as_two_devices(const fs::path& dir) {
    fs::create_directories(dir / "config" / "alsa");
    std::ofstream rc(dir / "config" / "alsa" / "asoundrc");
    for (const char* which : {"body", "air"})
        rc << "pcm.popwatch_" << which << " {\n  type pulse\n  device \"pair_" << which << "\"\n"
           << "  hint { show on\n description \"popwatch test " << which << " microphone\" }\n}\n";
    ::setenv("XDG_CONFIG_HOME", (dir / "config").c_str(), 1);  // inherited by the popwatch started below
}

TEST_CASE(
    "listen --air-device: two sound-server devices, the same pops played into both, reported once at the "
    "body site",
    "[cli][listen][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("listen-two-devices");
    use_pair_as_two_devices(dir);
    // Office sounds both microphones hear (the room microphone 12 dB quieter and 150 ms later, as
    // a device with more latency would give them), to align on; then the pops, as a body pop
    // reaches the two: on the body, and 22 dB quieter and 3 ms later (1 m) in the room. One stereo
    // file, body left and room right, played into the fixture's "pair" sink: the two devices hear
    // its channels, so the offset is the file's, whatever the machine's load.
    constexpr double air_late_s = 0.150;
    const std::vector<float> office = test::office_bursts(16, rate);
    std::vector<float> body = office, air(static_cast<std::size_t>(air_late_s * rate), 0.0f);
    for (float v : office) air.push_back(0.25f * v);
    auto body_pops = test::noise(3.5, rate, 0.001f, 1), air_pops = test::noise(3.5, rate, 0.001f, 2);
    const std::vector<double> pops{0.6, 1.4, 2.5};
    for (double t : pops) {
        test::add_pop(body_pops, rate, t);
        test::add_pop(air_pops, rate, t + 0.003, 0.3f * 0.079f);
    }
    body.insert(body.end(), body_pops.begin(), body_pops.end());
    air.insert(air.end(), air_pops.begin(), air_pops.end());
    body.resize(air.size(), 0.0f);
    std::vector<float> stereo;
    for (std::size_t i = 0; i < body.size(); ++i) stereo.push_back(body[i]), stereo.push_back(air[i]);
    test::write_wav(dir / "pair.wav", stereo, static_cast<int>(rate), 2);

    test::Background listen(
        "listen --format csv --no-record --device popwatch_body --sites upper-back --air-device popwatch_air", dir);
    REQUIRE(listen.wait_for_stderr("listening to", 20));
    REQUIRE(std::system(("paplay --device=pair " + (dir / "pair.wav").string()).c_str()) == 0);
    CHECK(listen.wait_for_stderr("air microphone aligned", 1));  // during the office sounds
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    listen.signal(SIGINT);
    const auto r = listen.finish(10);
    INFO(r.err);
    INFO(r.out);
    REQUIRE(r.code == 0);
    // The two sources share the server's clock: the file's offset, plus however far apart the two
    // capture streams started (milliseconds), and no drift.
    const auto locked = r.err.find("air microphone: locked, offset ");
    REQUIRE(locked != std::string::npos);
    CHECK(std::stod(r.err.substr(locked + std::strlen("air microphone: locked, offset "))) ==
          Approx(1e3 * air_late_s).margin(20));
    const auto lines = test::lines(r.out);
    REQUIRE(!lines.empty());
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::vector<std::string> f;
        std::stringstream ss(lines[i]);
        for (std::string field; std::getline(ss, field, ',');) f.push_back(field);
        rows.push_back(f);
    }
    REQUIRE(rows.size() == pops.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() >= 7);
        CHECK(rows[i][3] == "pop");
        CHECK(rows[i][5] == "1");  // channel
        CHECK(rows[i][6] == "upper-back");
        if (i > 0)
            CHECK(std::stod(rows[i][1]) - std::stod(rows[i - 1][1]) == Approx(pops[i] - pops[i - 1]).margin(0.015));
    }
}

TEST_CASE("listen --air-device wants the air channel last in --sites", "[cli][listen]") {
    const auto dir = test::scratch_dir("listen-airsites");
    const auto r = test::popwatch("listen --air-device 0 --sites \"air,upper-back\" --for 1", dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("last channel") != std::string::npos);
}

TEST_CASE("listen refuses a clip directory other users can read", "[cli][listen]") {
    const auto dir = test::scratch_dir("listen-clipdir");
    fs::create_directories(dir / "open");
    fs::permissions(dir / "open", fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    const auto r = test::popwatch("listen --for 1 --keep-clips " + (dir / "open").string(), dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("private directory") != std::string::npos);
}

TEST_CASE("listen --help documents the options and exit codes", "[cli][listen]") {
    const auto dir = test::scratch_dir("listen-help");
    const auto r = test::popwatch("listen --help", dir);
    CHECK(r.code == 0);
    for (const char* option : {"--device", "--air-device", "--channels", "--rate", "--sites", "--for", "--format",
                               "--keep-clips", "--clip-cap-mb", "--quick", "Exit codes"})
        CHECK(r.out.find(option) != std::string::npos);
}

TEST_CASE("listen survives a sound server restart: offline, back online, still hearing pops", "[cli][listen][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("listen-restart");
    auto x = test::noise(1.5, rate, 0.001f);
    test::add_pop(x, rate, 0.5);
    test::write_wav(dir / "pop.wav", x, static_cast<int>(rate));
    const std::string pulse = std::string(POPWATCH_SOURCE_DIR) + "/tests/live/pulse.sh ";
    const std::string runtime = std::getenv("XDG_RUNTIME_DIR");

    test::Background listen("listen --format csv", dir);
    REQUIRE(listen.wait_for_stderr("listening to", 20));
    // The daemon goes away (like an unplugged microphone) and comes back.
    REQUIRE(std::system((pulse + "stop " + runtime).c_str()) == 0);
    CHECK(listen.wait_for_stderr("microphone offline", 10));
    REQUIRE(std::system((pulse + "start " + runtime + " >/dev/null").c_str()) == 0);
    REQUIRE(listen.wait_for_stderr("back online", 20));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto r = play_then_stop(listen, dir / "pop.wav", SIGTERM);
    INFO(r.err);
    CHECK(r.code == 0);
    const auto rows = parse_csv(test::lines(r.out));
    INFO(r.out);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].kind == "pop");
    CHECK(r.err.find("offline: 1 gap") != std::string::npos);
}

TEST_CASE("listen records while report and another writer share its history, and a SIGKILL loses nothing printed",
          "[cli][listen][live]") {
    if (!live_audio_available()) FAIL("no PulseAudio fixture: run through ctest (tests/live/pulse.sh)");
    const auto dir = test::scratch_dir("listen-load");
    auto x = test::noise(10, rate, 0.001f);
    for (int i = 0; i < 24; ++i) test::add_pop(x, rate, 0.5 + 0.37 * i);  // 24 pops in 9 s
    test::write_wav(dir / "pops.wav", x, static_cast<int>(rate));
    auto y = test::noise(3, rate, 0.001f);
    for (double t : pop_times) test::add_pop(y, rate, t);
    test::write_wav(dir / "other.wav", y, static_cast<int>(rate));

    const auto db = dir / "history.db";
    test::Background listen("listen --format csv --db " + db.string(), dir);
    REQUIRE(listen.wait_for_stderr("listening to", 20));
    std::thread play([&] { std::system(("paplay --device=virt " + (dir / "pops.wav").string()).c_str()); });
    // While the pops come in: readers (report, today) and a second writer (analyze --record) on
    // the same database, back to back, each in its own directory for its output.
    int runs = 0, failures = 0;
    std::string failed;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
        const auto sub = dir / ("run" + std::to_string(i % 3));
        fs::create_directories(sub);
        const std::string args =
            i % 3 == 0   ? "report --html " + (sub / "r.html").string() + " --db " + db.string()
            : i % 3 == 1 ? "today --json --db " + db.string()
                         : "analyze --record --format csv " + (dir / "other.wav").string() + " --db " + db.string();
        const auto r = test::popwatch(args, sub);
        ++runs;
        if (r.code != 0) ++failures, failed += args + ": " + r.err + "\n";
    }
    // Kill listen mid-stream: no flush, no summary.
    listen.signal(SIGKILL);
    play.join();
    const auto r = listen.finish(5);
    INFO(failed);
    CHECK(runs >= 6);
    CHECK(failures == 0);
    const auto rows = parse_csv(test::lines(r.out));
    INFO(r.out);
    REQUIRE(rows.size() >= 8);  // it was killed while still hearing pops ...
    CHECK(rows.size() < 24);    // ... before the end

    // Every pop listen printed is in the history (committed before printed), at the spacing heard
    // (to within the jitter of anchoring audio time to the wall clock block by block, under load).
    const auto exported = test::popwatch("export --csv --db " + db.string(), dir);
    REQUIRE(exported.code == 0);
    std::vector<double> live;
    for (const std::string& line : test::lines(exported.out))
        if (line.find(",live,") != std::string::npos)
            live.push_back(std::stod(line.substr(line.find(',', line.find(',') + 1) + 1)));
    CHECK(live.size() >= rows.size());
    CHECK(live.size() <= rows.size() + 1);  // at most one committed but not yet printed
    REQUIRE(live.size() >= 2);
    for (std::size_t i = 1; i < std::min(live.size(), rows.size()); ++i)
        CHECK(live[i] - live[i - 1] == Approx(rows[i].time_s - rows[i - 1].time_s).margin(0.05));
}

TEST_CASE("listen refuses sites that make every recorded channel the air reference", "[cli][listen]") {
    const auto dir = test::scratch_dir("listen-all-air");
    const auto r = test::popwatch("listen --no-record --for 1 --sites air,upper-back", dir);
    CHECK(r.code == 2);
    CHECK(r.err.find("every recorded channel (--channels 1) the air reference") != std::string::npos);
}

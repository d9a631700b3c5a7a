// The sinks of `listen` without a device: the printer writes analyze's CSV one flushed row per
// event and a summary; the clip keeper writes short private WAVs and respects its size cap.
#include "tools/listen_sinks.hpp"

#include <sndfile.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "../dsp/test_signals.hpp"
#include "cli_support.hpp"

using namespace popwatch;
namespace fs = std::filesystem;

namespace {

Event pop_at(double t, int episode) {
    Event e;
    e.time_s = t;
    e.duration_s = 0.004;
    e.kind = Kind::pop;
    e.confidence = 0.9f;
    e.episode = episode;
    return e;
}

}  // namespace

TEST_CASE("the sites option names body sites with positions and marks the air reference", "[tools]") {
    const SiteMap map = SiteMap::parse("upper-back@0, mid-back@12,air");
    CHECK(map.for_channel(1).name == "mid-back");
    CHECK(map.for_channel(1).position_cm == 12);
    CHECK(map.for_channel(5).name == "unknown");
    const SensorLayout layout = map.layout();
    CHECK_FALSE(layout.is_air(0));
    CHECK(layout.is_air(2));
    CHECK(layout.position(1) == 12);
    CHECK(std::isnan(layout.position(2)));
    Event e;
    e.channel = 1;
    CHECK(map.position_cm(e) == 12);  // the site's position ...
    e.position_cm = 7.5f;
    CHECK(map.position_cm(e) == 7.5f);  // ... unless the detector located the pop
    CHECK_THROWS_WITH(SiteMap::parse("air@3,neck"), Catch::Contains("no position"));
    CHECK_THROWS_WITH(SiteMap::parse("air"), Catch::Contains("at least one body site"));
    CHECK_THROWS_WITH(SiteMap::parse("neck@x"), Catch::Contains("not a position"));
}

TEST_CASE("printer writes analyze's CSV header once and a row per event", "[tools][listen]") {
    const auto dir = test::scratch_dir("printer");
    std::FILE* out = std::fopen((dir / "out").c_str(), "w+");
    std::FILE* err = std::fopen((dir / "err").c_str(), "w+");
    {
        PrinterSink printer(Format::csv, SiteMap::parse("neck@3"), false, false, out, err);
        printer.on_start("USB mic, front", 48000, 1);
        printer.on_event(pop_at(1.25, 0));
        Event other = pop_at(2.0, -1);
        other.kind = Kind::other;
        printer.on_event(other);  // not printed without --all
        Event clunk = pop_at(3.0, -1);
        clunk.kind = Kind::clunk;
        printer.on_event(clunk);
        printer.on_notice({Notice::Type::offline, 65.5, "microphone offline: no audio for 1.5 s; reopening it"});
        SessionStats s;
        s.monitored_s = 3661.25;
        s.elapsed_s = 3700;
        s.pops = 1;
        s.episodes = 1;
        s.clunks = 1;
        s.ring_overruns = 480;
        s.offline_gaps = 1;
        s.offline_s = 38.75;
        printer.on_end(s);
    }
    std::fclose(out);
    std::fclose(err);
    const auto rows = test::lines(test::slurp(dir / "out"));
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] == csv_header());
    CHECK(rows[1] == "\"USB mic, front\",1.2500,0.0040,pop,0.900,1,neck,3,0");
    CHECK(rows[2].find(",clunk,") != std::string::npos);
    const std::string e = test::slurp(dir / "err");
    CHECK(e.find("[0:01:05.5] microphone offline") != std::string::npos);
    CHECK(e.find("clunk") != std::string::npos);  // the red-flag note
    CHECK(e.find("session: 1:01:01.2 monitored (1:01:40.0 elapsed)") != std::string::npos);
    CHECK(e.find("1 pop in 1 episode, 1 clunk") != std::string::npos);
    CHECK(e.find("ring overruns: 480 samples, offline: 1 gap (38.8 s)") != std::string::npos);
}

TEST_CASE("clip keeper writes a private 1 s clip around each pop, up to its cap", "[tools][listen]") {
    const auto dir = test::scratch_dir("clips");
    const double rate = 16000;
    auto x = test::noise(6, rate, 0.001f);
    std::FILE* err = std::fopen((dir / "err").c_str(), "w+");
    // Cap: room for two 1 s 16-bit mono clips at 16 kHz (32 044 bytes each), not three.
    ClipSink clips(dir / "clips", 70000, err);
    double t = 0;
    const std::size_t block = 1600;
    const std::vector<double> pops{1.0, 2.5, 4.0};
    std::size_t next = 0;
    for (std::size_t i = 0; i < x.size(); i += block, t += block / rate) {
        clips.on_audio({x.data() + i, std::min(block, x.size() - i)}, t, rate, 1);
        // An event arrives ~0.3 s after its onset, as the detector decides it.
        if (next < pops.size() && t >= pops[next] + 0.3) clips.on_event(pop_at(pops[next++], 0));
    }
    clips.on_end({});
    std::fflush(err);
    CHECK(clips.saved() == 2);
    CHECK(clips.skipped() == 1);
    CHECK(test::slurp(dir / "err").find("reached its cap") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat((dir / "clips").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    int files = 0;
    for (const auto& f : fs::directory_iterator(dir / "clips")) {
        ++files;
        REQUIRE(::stat(f.path().c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        SF_INFO info{};
        SNDFILE* s = sf_open(f.path().c_str(), SFM_READ, &info);
        REQUIRE(s);
        sf_close(s);
        CHECK(info.frames == static_cast<sf_count_t>(rate));  // 0.4 s before + 0.6 s after
    }
    CHECK(files == 2);

    // A second session in the same directory counts the clips already there against the cap.
    ClipSink again(dir / "clips", 70000, err);
    CHECK(again.bytes() == 2 * 32044);
    std::fclose(err);
}

TEST_CASE("clip keeper refuses a directory other users can read", "[tools][listen]") {
    const auto dir = test::scratch_dir("clips-open");
    fs::permissions(dir, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
    CHECK_THROWS_WITH(ClipSink(dir, 1000000), Catch::Contains("private directory"));
}

TEST_CASE("the session summary names a silent channel by its site and leaves the air reference to its notice",
          "[tools][listen]") {
    SessionStats stats;
    stats.channel_health.resize(3);
    stats.channel_health[1].silent_s = 42;
    stats.channel_health[2].silent_s = 30;  // the air reference: its own notice said so
    const std::string text = session_summary(stats, SiteMap::parse("upper-back@0,mid-back@12,air"));
    CHECK(text.find("channel 2 (mid-back) was silent for 42.0 s") != std::string::npos);
    CHECK(text.find("channel 3") == std::string::npos);
    CHECK(session_summary(stats).find("channel 3 was silent") != std::string::npos);  // no sites: by number
}

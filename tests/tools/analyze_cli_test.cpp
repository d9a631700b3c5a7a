#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../dsp/test_signals.hpp"
#include "cli_support.hpp"
#include "datasets/synth.hpp"
#include "tools/analysis.hpp"

using namespace popwatch;
namespace fs = std::filesystem;

namespace {

// Three pops (two in one episode) and one clunk over 4 s of quiet noise.
std::vector<float> recording(double rate) {
    auto x = test::noise(4, rate, 0.001f);
    test::add_pop(x, rate, 0.5);
    test::add_pop(x, rate, 1.1);
    test::add_pop(x, rate, 3.6);
    test::add_clunk(x, rate, 2.4);
    return x;
}

std::vector<std::string> split_csv(const std::string& row) {
    std::vector<std::string> out(1);
    for (char c : row) {
        if (c == ',')
            out.emplace_back();
        else
            out.back().push_back(c);
    }
    return out;
}

}  // namespace

TEST_CASE("analyze writes the documented CSV", "[cli][analyze]") {
    const auto dir = test::scratch_dir("csv");
    test::write_wav(dir / "a.wav", recording(48000), 48000);
    const auto r = test::popwatch("analyze --format csv " + (dir / "a.wav").string(), dir);
    REQUIRE(r.code == 0);
    const auto rows = test::lines(r.out);
    REQUIRE(rows.size() == 5);
    CHECK(rows[0] == "file,time_s,duration_s,kind,confidence,channel,site,position_cm,episode");
    CHECK(rows[1].find(",0.50") != std::string::npos);
    CHECK(rows[1].find(",pop,") != std::string::npos);
    CHECK(rows[1].substr(rows[1].size() - 11) == ",unknown,,0");
    CHECK(rows[2].substr(rows[2].size() - 2) == ",0");  // same episode as the first pop
    CHECK(rows[3].find(",clunk,") != std::string::npos);
    CHECK(rows[3].back() == ',');  // clunks belong to no episode
    CHECK(rows[4].substr(rows[4].size() - 2) == ",1");
}

TEST_CASE("analyze writes JSON Lines with the same fields", "[cli][analyze]") {
    const auto dir = test::scratch_dir("jsonl");
    test::write_wav(dir / "a.wav", recording(16000), 16000);
    const auto r = test::popwatch("analyze --format jsonl --sites back@12 " + (dir / "a.wav").string(), dir);
    REQUIRE(r.code == 0);
    const auto rows = test::lines(r.out);
    REQUIRE(rows.size() == 4);
    const auto first = nlohmann::json::parse(rows[0]);
    for (const char* key :
         {"file", "time_s", "duration_s", "kind", "confidence", "channel", "site", "position_cm", "episode"})
        CHECK(first.contains(key));
    CHECK(first["kind"] == "pop");
    CHECK(first["site"] == "back");
    CHECK(first["position_cm"] == 12);
    CHECK(first["time_s"].get<double>() == Approx(0.5).margin(0.002));
    CHECK(nlohmann::json::parse(rows[2])["episode"].is_null());
}

TEST_CASE("analyze writes an Audacity label track", "[cli][analyze]") {
    const auto dir = test::scratch_dir("audacity");
    test::write_wav(dir / "a.wav", recording(44100), 44100);
    const auto r = test::popwatch("analyze --format audacity " + (dir / "a.wav").string(), dir);
    REQUIRE(r.code == 0);
    const auto rows = test::lines(r.out);
    REQUIRE(rows.size() == 4);
    double start = 0, end = 0;
    char label[64] = {};
    REQUIRE(std::sscanf(rows[0].c_str(), "%lf\t%lf\t%63[^\n]", &start, &end, label) == 3);
    CHECK(start == Approx(0.5).margin(0.002));
    CHECK(end > start);
    CHECK(std::string(label).rfind("pop", 0) == 0);
}

TEST_CASE("analyze prints a table and a summary per file", "[cli][analyze]") {
    const auto dir = test::scratch_dir("table");
    test::write_wav(dir / "a.wav", recording(48000), 48000);
    const auto r = test::popwatch("analyze --format table " + (dir / "a.wav").string(), dir);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("3 pops in 2 episodes, 1 clunk") != std::string::npos);
    CHECK(r.out.find("clunk") != std::string::npos);
    CHECK(r.out.find("not a diagnosis") != std::string::npos);
    CHECK(r.err.empty());  // no progress bar when stderr is not a terminal
}

TEST_CASE("all: --all adds the transients classified as other", "[cli][analyze]") {
    const auto dir = test::scratch_dir("all");
    auto x = recording(48000);
    x[static_cast<std::size_t>(3.0 * 48000)] += 0.9f;  // a digital click
    test::write_wav(dir / "a.wav", x, 48000);
    const auto without = test::popwatch("analyze --format csv " + (dir / "a.wav").string(), dir);
    const auto with = test::popwatch("analyze --format csv --all " + (dir / "a.wav").string(), dir);
    CHECK(without.out.find(",other,") == std::string::npos);
    CHECK(with.out.find(",other,") != std::string::npos);
}

TEST_CASE("analyze_file keeps the events of kind other only when asked, the rest unchanged", "[cli][analyze]") {
    // Without --all, analyze does not keep them: on busy audio they are most events, and the
    // memory they took grew with the file (BENCHMARKS.md, Speed).
    const auto dir = test::scratch_dir("keep-other");
    auto x = recording(48000);
    x[static_cast<std::size_t>(3.0 * 48000)] += 0.9f;  // a digital click
    test::write_wav(dir / "a.wav", x, 48000);
    const FileAnalysis all = analyze_file((dir / "a.wav").string(), {});
    const FileAnalysis shown = analyze_file((dir / "a.wav").string(), {}, {}, {}, false);
    std::vector<std::pair<double, Kind>> expected, kept;
    for (const Event& e : all.events)
        if (e.kind != Kind::other) expected.emplace_back(e.time_s, e.kind);
    for (const Event& e : shown.events) kept.emplace_back(e.time_s, e.kind);
    CHECK(expected.size() < all.events.size());  // there were events of kind other to leave out
    CHECK(expected.size() == 4);
    CHECK(kept == expected);
    CHECK(shown.duration_s == all.duration_s);
}

TEST_CASE("explain: --explain says why", "[cli][analyze]") {
    const auto dir = test::scratch_dir("explain");
    test::write_wav(dir / "a.wav", recording(48000), 48000);
    const auto r = test::popwatch("analyze --format table --explain " + (dir / "a.wav").string(), dir);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("rise_ms=") != std::string::npos);
    CHECK(r.out.find("why:") != std::string::npos);
    // A pop was first not a clunk: the explanation says how far from one it was.
    CHECK(r.out.find("not a clunk: P(clunk) ") != std::string::npos);
}

TEST_CASE("several files come out in argument order, whatever finishes first", "[cli][analyze]") {
    const auto dir = test::scratch_dir("order");
    test::write_wav(
        dir / "long.wav",
        [] {
            auto x = test::noise(30, 48000, 0.001f);
            test::add_pop(x, 48000, 20);
            return x;
        }(),
        48000);
    test::write_wav(dir / "short.wav", recording(16000), 16000);
    const auto r = test::popwatch(
        "analyze --format csv --jobs 2 " + (dir / "long.wav").string() + " " + (dir / "short.wav").string(), dir);
    REQUIRE(r.code == 0);
    const auto rows = test::lines(r.out);
    REQUIRE(rows.size() == 1 + 1 + 4);
    CHECK(rows[1].find("long.wav") != std::string::npos);
    CHECK(rows[2].find("short.wav") != std::string::npos);
}

TEST_CASE("bad input: one clear line per file, the others still analysed, exit code 3", "[cli][analyze]") {
    const auto dir = test::scratch_dir("bad");
    test::write_wav(dir / "good.wav", recording(48000), 48000);
    { std::ofstream(dir / "empty.wav"); }
    { std::ofstream(dir / "text.wav") << "this is not audio\n"; }
    // Truncated: a valid header promising 4 s, but only part of the data.
    test::write_wav(dir / "full.wav", recording(48000), 48000);
    const auto full = test::slurp(dir / "full.wav");
    { std::ofstream(dir / "truncated.wav", std::ios::binary) << full.substr(0, full.size() / 2); }
    // Zero length: a header and no frames.
    test::write_wav(dir / "zero.wav", {}, 48000);
    // NaN samples in float WAV.
    auto nan = recording(48000);
    nan[1000] = NAN;
    test::write_wav(dir / "nan.wav", nan, 48000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);

    const std::vector<std::string> bad{"missing.wav", "empty.wav", "text.wav", "truncated.wav", "zero.wav", "nan.wav"};
    std::string args = "analyze --format csv " + (dir / "good.wav").string();
    for (const auto& b : bad) args += " " + (dir / b).string();
    const auto r = test::popwatch(args, dir);
    CHECK(r.code == 3);
    const auto errors = test::lines(r.err);
    CHECK(errors.size() == bad.size());
    for (const auto& b : bad) {
        INFO(b);
        CHECK(std::count_if(errors.begin(), errors.end(),
                            [&](const std::string& e) { return e.find(b) != std::string::npos; }) == 1);
    }
    // The good file was analysed in full; the truncated and NaN files gave what they hold.
    const auto rows = test::lines(r.out);
    CHECK(std::count_if(rows.begin(), rows.end(),
                        [](const std::string& l) { return l.find("good.wav") != std::string::npos; }) == 4);
    CHECK(r.out.find("truncated.wav,0.5") != std::string::npos);
    CHECK(r.out.find("nan.wav,0.5") != std::string::npos);
}

TEST_CASE("bad command lines exit with 2 and say why", "[cli][analyze]") {
    const auto dir = test::scratch_dir("usage");
    CHECK(test::popwatch("analyze", dir).code == 2);
    const auto r = test::popwatch("analyze --format xml x.wav", dir);
    CHECK(r.code == 2);
    const auto s = test::popwatch("analyze --sites 'back@twelve' x.wav", dir);
    CHECK(s.code == 2);
    CHECK(s.err.find("twelve") != std::string::npos);
}

TEST_CASE("multi-channel files name the site of the channel that heard it best", "[cli][analyze]") {
    const auto dir = test::scratch_dir("sites");
    auto a = test::noise(2, 48000, 0.001f, 1), b = test::noise(2, 48000, 0.001f, 2);
    test::add_pop(a, 48000, 0.6, 0.04f);
    test::add_pop(b, 48000, 0.6, 0.3f);
    std::vector<float> x(a.size() * 2);
    for (std::size_t i = 0; i < a.size(); ++i) x[2 * i] = a[i], x[2 * i + 1] = b[i];
    test::write_wav(dir / "two.wav", x, 48000, 2);
    const auto r =
        test::popwatch("analyze --format csv --sites upper-back@0,mid-back@12 " + (dir / "two.wav").string(), dir);
    REQUIRE(r.code == 0);
    const auto rows = test::lines(r.out);
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].find(",pop,") != std::string::npos);
    // Heard 17 dB louder on mid-back: located past it, named by it (the position is an estimate now).
    CHECK(rows[1].find(",2,mid-back,") != std::string::npos);
    const auto fields = split_csv(rows[1]);
    REQUIRE(fields.size() == 9);
    CHECK(std::stof(fields[7]) > 9);
}

TEST_CASE("a synthesised three-sensor spine recording gets a position per pop, a dead channel is named",
          "[cli][analyze]") {
    const auto dir = test::scratch_dir("spine");
    const auto made = test::popwatch(
        "synth --scenario spine --sensors 3 --minutes 0.3 --seed 3 --out " + dir.string() + " --stem spine", dir);
    REQUIRE(made.code == 0);
    const std::string sites = "--sites upper-back@0,mid-back@12,lower-back@24 ";
    const auto r = test::popwatch("analyze --format csv " + sites + (dir / "spine.wav").string(), dir);
    REQUIRE(r.code == 0);
    const auto rows = test::lines(r.out);
    REQUIRE(rows.size() >= 4);
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto fields = split_csv(rows[i]);
        REQUIRE(fields.size() == 9);
        if (fields[3] != "pop") continue;
        INFO(rows[i]);
        REQUIRE(!fields[7].empty());
        const float position = std::stof(fields[7]);
        CHECK(position >= -3);
        CHECK(position <= 27);
        const char* nearest = position < 6 ? "upper-back" : position < 18 ? "mid-back" : "lower-back";
        CHECK(fields[6] == nearest);
    }
    CHECK(r.err.find("warning") == std::string::npos);

    // The same kind of recording with mid-back unplugged: still located, and a warning names it.
    synth::Options o;
    o.scenario = synth::Scenario::spine;
    o.minutes = 0.3;
    o.seed = 4;
    synth::Scene scene = synth::render(o);
    for (std::size_t i = 1; i < scene.audio.size(); i += 3) scene.audio[i] = 0;
    test::write_wav(dir / "dead.wav", scene.audio, 48000, 3);
    const auto dead = test::popwatch("analyze --format csv " + sites + (dir / "dead.wav").string(), dir);
    REQUIRE(dead.code == 0);
    CHECK(dead.err.find("warning") != std::string::npos);
    CHECK(dead.err.find("channel 2 (mid-back) was silent") != std::string::npos);
    const auto dead_rows = test::lines(dead.out);
    REQUIRE(dead_rows.size() >= 4);
    for (std::size_t i = 1; i < dead_rows.size(); ++i) {
        const auto fields = split_csv(dead_rows[i]);
        if (fields[3] == "pop") CHECK(fields[6] != "mid-back");
    }
}

// The air reference from the command line (issue #8): a synthesised dual recording analysed with
// --sites "upper-back,air" reports events only at the body site; eval --sites scores it; a dead
// air channel gives one warning line.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "datasets/synth.hpp"

using namespace popwatch;
namespace fs = std::filesystem;

namespace {

fs::path dual_file(const fs::path& dir) {
    const auto r = test::popwatch(
        "synth --scenario dual --minutes 1 --seed 3 --no-real --episodes-per-min 6 --out " + dir.string(), dir);
    REQUIRE(r.code == 0);
    return dir / "dual-3.wav";
}

}  // namespace

TEST_CASE("analyze --sites upper-back,air reports events only at upper-back", "[cli][dual]") {
    const auto dir = test::scratch_dir("dual-analyze");
    const fs::path wav = dual_file(dir);
    const auto r = test::popwatch("analyze --all --format csv --sites upper-back,air " + wav.string(), dir);
    REQUIRE(r.code == 0);
    const auto rows = test::lines(r.out);
    REQUIRE(rows.size() > 2);
    int pops = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        INFO(rows[i]);
        CHECK(rows[i].find(",1,upper-back,") != std::string::npos);
        pops += rows[i].find(",pop,") != std::string::npos;
    }
    CHECK(pops > 0);
    CHECK(r.err.find("warning") == std::string::npos);
}

TEST_CASE("eval --sites scores a dual recording against its labels", "[cli][dual]") {
    const auto dir = test::scratch_dir("dual-eval");
    const fs::path wav = dual_file(dir);
    const auto r =
        test::popwatch("eval --json --sites upper-back,air --labels " + dir.string() + " " + wav.string(), dir);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    INFO(r.out);
    // The scorer saw the labelled pops and the detector's body-site events (accuracy itself is
    // the benchmark's job: BENCHMARKS.md, "Two sensors").
    const auto& pops = j.at("pooled").at("pops");
    CHECK(pops.at("labelled").get<int>() == 11);  // every labelled pop of the file
    CHECK(pops.at("f1").get<double>() >= 0.5);
    // One file resampled is itself: eval gives no interval rather than a point dressed as one.
    CHECK(j.at("pooled_95_intervals").at("pop_f1").is_null());
    CHECK(j.at("pooled_95_intervals").at("false_pops_per_negative_hour").is_null());  // no negative audio
    const auto bad = test::popwatch("eval --sites air,air --labels " + dir.string() + " " + wav.string(), dir);
    CHECK(bad.code == 2);
}

TEST_CASE("analyze warns once when the air reference is silent", "[cli][dual]") {
    const auto dir = test::scratch_dir("dual-silent");
    synth::Options o;
    o.scenario = synth::Scenario::dual;
    o.minutes = 0.5;
    o.use_real = false;
    synth::Scene scene = synth::render(o);
    for (std::size_t i = 1; i < scene.audio.size(); i += 2) scene.audio[i] = 0;
    test::write_wav(dir / "silent-air.wav", scene.audio, 48000, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const auto r =
        test::popwatch("analyze --format csv --sites upper-back,air " + (dir / "silent-air.wav").string(), dir);
    REQUIRE(r.code == 0);
    const auto warnings = test::lines(r.err);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("air reference was unusable") != std::string::npos);
    CHECK(warnings[0].find("silent") != std::string::npos);
}

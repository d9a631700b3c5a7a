// Golden tests: the whole detector on short synthesised recordings with known labels.
#include <catch2/catch.hpp>

#include "datasets/labels.hpp"
#include "datasets/scoring.hpp"
#include "datasets/synth.hpp"
#include "dsp/detector.hpp"

using namespace popwatch;

namespace {

Score run(const synth::Options& options) {
    const synth::Scene scene = synth::render(options);
    return score_file(detect_all(scene.audio, scene.sample_rate, scene.channels), synth::truth(scene),
                      static_cast<double>(scene.audio.size()) / scene.sample_rate);
}

}  // namespace

TEST_CASE("golden: the demo recording's pops are found on time and nothing else is counted", "[dsp][golden]") {
    synth::Options o;
    o.scenario = synth::Scenario::demo;
    o.seed = 2026;
    o.sample_rate = 44100;
    const Score s = run(o);
    INFO("pops TP " << s.pops.tp << " FP " << s.pops.fp << " FN " << s.pops.fn);
    CHECK(s.pops.recall() >= 0.75);
    CHECK(s.pops.fp <= 1);
    CHECK(s.episodes.recall() >= 0.8);
    CHECK(s.clunks_as_pops == 0);
    CHECK(s.median_abs_error_s() < 0.002);  // onsets within 2 ms
}

TEST_CASE("golden: a contact recording at 16 kHz", "[dsp][golden]") {
    synth::Options o;
    o.scenario = synth::Scenario::contact;
    o.split = synth::Split::test;
    o.seed = 4242;
    o.minutes = 1;
    o.sample_rate = 16000;
    o.episodes_per_min = 3;
    const Score s = run(o);
    INFO("pops TP " << s.pops.tp << " FP " << s.pops.fp << " FN " << s.pops.fn);
    CHECK(s.pops.reference() > 5);
    CHECK(s.pops.f1() >= 0.7);
    CHECK(s.pops.fp <= 2);
}

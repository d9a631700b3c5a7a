#include "dsp/localise.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "datasets/scoring.hpp"
#include "datasets/synth.hpp"
#include "dsp/detector.hpp"

using namespace popwatch;

namespace {

// What sensors at `positions` hear of a source at x cm (depth 3 cm, 1 dB/cm), plus fixed
// per-sensor level errors.
std::vector<ChannelObservation> heard(const std::vector<float>& positions, float x, std::vector<float> error_db = {}) {
    std::vector<ChannelObservation> out;
    for (std::size_t k = 0; k < positions.size(); ++k) {
        const float r = std::hypot(3.0f, x - positions[k]);
        out.push_back({positions[k], -20 - r + (k < error_db.size() ? error_db[k] : 0.0f), NAN, true});
    }
    return out;
}

SensorLayout spine_layout(int sensors, float spacing_cm) {
    SensorLayout layout;
    for (int k = 0; k < sensors; ++k) layout.air.push_back(false), layout.position_cm.push_back(k * spacing_cm);
    return layout;
}

synth::Scene spine_scene(std::uint64_t seed, double minutes = 0.5) {
    synth::Options o;
    o.scenario = synth::Scenario::spine;
    o.seed = seed;
    o.minutes = minutes;
    o.snr_min_db = 15;  // clear pops: these tests are about where, not whether
    return synth::render(o);
}

int nearest_sensor(const SensorLayout& layout, double x) {
    int best = 0;
    for (int k = 1; k < static_cast<int>(layout.position_cm.size()); ++k)
        if (std::abs(layout.position_cm[static_cast<std::size_t>(k)] - x) <
            std::abs(layout.position_cm[static_cast<std::size_t>(best)] - x))
            best = k;
    return best;
}

}  // namespace

TEST_CASE("a source between sensors is placed within 1.5 cm and named by the nearest sensor", "[dsp][localise]") {
    for (const float x : {2.0f, 8.0f, 13.0f, 21.0f}) {
        const Location where = localise(heard({0, 12, 24}, x, {0.5f, -0.5f, 0.3f}), 48000);
        INFO("source at " << x << " cm, estimate " << where.position_cm);
        CHECK(std::abs(where.position_cm - x) < 1.5f);  // well inside one vertebral level (~2.5 cm)
        CHECK(where.channel == (x < 6 ? 0 : x < 18 ? 1 : 2));
        CHECK(where.confidence > 0.6f);
    }
}

TEST_CASE("equal levels on two far sensors are less certain than a clear case", "[dsp][localise]") {
    const Location clear = localise(heard({0, 24}, 1), 48000);
    std::vector<ChannelObservation> equal{{0, -30, NAN, true}, {24, -30, NAN, true}};
    const Location ambiguous = localise(equal, 48000);
    CHECK(clear.channel == 0);
    CHECK(std::abs(ambiguous.position_cm - 12) < 1);
    CHECK(ambiguous.confidence < 0.7f);
    CHECK(ambiguous.confidence < clear.confidence - 0.2f);
}

TEST_CASE("unusable channels are ignored, fewer than two usable gives no position", "[dsp][localise]") {
    auto obs = heard({0, 12, 24}, 20);
    obs[2].usable = false;  // the loudest one, e.g. clipped
    const Location without = localise(obs, 48000);
    REQUIRE(std::isfinite(without.position_cm));
    CHECK(without.channel != 2);
    obs[1].usable = false;
    CHECK(std::isnan(localise(obs, 48000).position_cm));
    CHECK(std::isnan(localise(heard({5}, 5), 48000).position_cm));
}

TEST_CASE("three sensors 12 cm apart: one event per pop, right site, position within a vertebral level",
          "[dsp][localise]") {
    const synth::Scene scene = spine_scene(7);
    const SensorLayout layout = spine_layout(3, 12);
    const auto events = detect_all(scene.audio, scene.sample_rate, scene.channels, {}, layout);
    std::vector<double> truth, found;
    std::vector<const Event*> pops;
    for (const auto& l : scene.labels) truth.push_back(l.time_s);
    for (const Event& e : events)
        if (e.kind == Kind::pop) found.push_back(e.time_s), pops.push_back(&e);
    REQUIRE(truth.size() >= 10);
    const auto matches = match_events(truth, found, 0.010);
    // One event per pop, not one per channel: nearly every detected pop is a labelled one.
    CHECK(found.size() <= matches.size() + truth.size() / 10);
    REQUIRE(matches.size() >= truth.size() * 8 / 10);
    int site_ok = 0;
    std::vector<double> errors;
    for (const Match& m : matches) {
        const Event& e = *pops[m.estimate];
        const double x = scene.labels[m.reference].position_cm;
        REQUIRE(std::isfinite(e.position_cm));
        site_ok += e.channel == nearest_sensor(layout, x);
        errors.push_back(e.position_cm - x);
        for (std::size_t c = 0; c < 3; ++c) {  // kept per channel for --explain
            CHECK(std::isfinite(e.channel_energy_db[c]));
            CHECK(std::abs(e.channel_arrival_ms[c]) < 0.5f);
        }
    }
    CHECK(site_ok >= static_cast<int>(matches.size()) * 9 / 10);
    CHECK(abs_percentile(errors, 0.5) <= 2.5);
}

TEST_CASE("a silent channel is left out of localisation and reported, the others still locate", "[dsp][localise]") {
    synth::Scene scene = spine_scene(8);
    for (std::size_t i = 1; i < scene.audio.size(); i += 3) scene.audio[i] = 0;  // mid-back unplugged
    const SensorLayout layout = spine_layout(3, 12);
    Detector detector({}, scene.sample_rate, 3, layout);
    std::vector<Event> pops;
    const EventHandler keep = [&](const Event& e) {
        if (e.kind == Kind::pop) pops.push_back(e);
    };
    detector.process(scene.audio, keep);
    detector.finish(keep);
    REQUIRE(pops.size() >= 5);
    const ChannelHealth silent = detector.channel_health(1);
    CHECK(silent.silent_s > 20);
    CHECK(silent.excluded_silent >= static_cast<std::int64_t>(pops.size()));
    CHECK(detector.channel_health(0).silent_s == 0);
    for (const Event& e : pops) {
        CHECK(std::isfinite(e.position_cm));
        CHECK(e.channel != 1);
        CHECK(std::isnan(e.channel_energy_db[1]));
    }
}

TEST_CASE("a channel that clips around a pop is left out and counted", "[dsp][localise]") {
    synth::Scene scene = spine_scene(9);
    float peak = 0;
    for (std::size_t i = 0; i < scene.audio.size(); i += 3) peak = std::max(peak, std::abs(scene.audio[i]));
    for (std::size_t i = 0; i < scene.audio.size(); i += 3)  // upper-back overdriven: its loudest pops clip
        scene.audio[i] = std::clamp(scene.audio[i] * 4 / peak, -1.0f, 1.0f);
    Detector detector({}, scene.sample_rate, 3, spine_layout(3, 12));
    int located = 0;
    detector.process(scene.audio, [&](const Event& e) { located += std::isfinite(e.position_cm); });
    detector.finish([&](const Event& e) { located += std::isfinite(e.position_cm); });
    CHECK(detector.channel_health(0).clipped_samples > 0);
    CHECK(detector.channel_health(0).excluded_clipped > 0);
    CHECK(located > 0);
}

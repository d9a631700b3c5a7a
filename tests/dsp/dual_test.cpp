// The air reference (issue #8): a click loud in the air and faint on the body is not a pop; a
// pop loud on the body and faint in the air stays one; a silent or clipping air channel makes
// the detector fall back to the single-sensor model and say so.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "datasets/synth.hpp"
#include "datasets/synth_internal.hpp"
#include "dsp/detector.hpp"
#include "test_signals.hpp"

using namespace popwatch;

namespace {

constexpr double fs = 48000;

struct DualScene {
    std::vector<float> stereo;  // ch1 body, ch2 air
    std::vector<double> pops, clicks;
};

void put(std::vector<float>& stereo, int channel, std::vector<float> sound, double t, float peak) {
    float p = 0;
    for (float v : sound) p = std::max(p, std::abs(v));
    const auto at = static_cast<std::size_t>(std::lround(t * fs));
    for (std::size_t i = 0; i < sound.size() && 2 * (at + i) + 1 < stereo.size(); ++i)
        stereo[2 * (at + i) + static_cast<std::size_t>(channel)] += peak * sound[i] / p;
}

// Spinal pops at 28 dB over the body floor and barely above the room's; mouse clicks 40 dB over
// the room's floor and, low-passed, 25 dB over the body's.
DualScene scene() {
    DualScene s;
    const auto body = test::noise(14, fs, 3e-4f, 1), air = test::noise(14, fs, 1e-3f, 2);
    s.stereo.resize(2 * body.size());
    for (std::size_t i = 0; i < body.size(); ++i) s.stereo[2 * i] = body[i], s.stereo[2 * i + 1] = air[i];
    s.pops = {1.0, 3.5, 6.0, 8.5, 12.5};
    s.clicks = {2.2, 4.7, 7.2, 9.9, 11.3};
    for (std::size_t k = 0; k < s.pops.size(); ++k) {
        put(s.stereo, 0, synth::render_isolated(synth::Isolated::spine_pop_contact, fs, 10 + k), s.pops[k], 0.008f);
        put(s.stereo, 1, synth::render_isolated(synth::Isolated::spine_pop_air, fs, 10 + k), s.pops[k] + 0.002, 0.003f);
    }
    for (std::size_t k = 0; k < s.clicks.size(); ++k) {
        auto click = synth::internal::office_sound("mouse", fs, synth::Split::dev, 20 + k);
        put(s.stereo, 1, click, s.clicks[k], 0.1f);
        synth::internal::lowpass(click, 1500, fs, 2);
        put(s.stereo, 0, click, s.clicks[k] + 0.001, 0.006f);
    }
    return s;
}

SensorLayout upper_back_and_air() {
    SensorLayout l;
    l.air = {false, true};
    return l;
}

const Event* near(const std::vector<Event>& events, double t, double tolerance_s, Kind kind) {
    for (const Event& e : events)
        if (e.kind == kind && std::abs(e.time_s - t) <= tolerance_s) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("with the air reference, clicks loud in the air are not pops and body pops are", "[dsp][dual]") {
    const DualScene s = scene();
    const auto events = detect_all(s.stereo, fs, 2, {}, upper_back_and_air());
    for (double t : s.pops) {
        INFO("pop at " << t);
        const Event* e = near(events, t, 0.010, Kind::pop);
        REQUIRE(e != nullptr);
        CHECK(e->channel == 0);
        CHECK(e->air == AirPath::dual);
        CHECK(e->features[Features::ba_db] > 10);  // loud on the body, faint in the air
    }
    for (double t : s.clicks) {
        INFO("click at " << t);
        CHECK(near(events, t, 0.030, Kind::pop) == nullptr);
        // The body sensor did hear it: it was decided, with the air reference, as other.
        const Event* e = near(events, t, 0.010, Kind::other);
        REQUIRE(e != nullptr);
        CHECK(e->channel == 0);
        CHECK(e->air == AirPath::dual);
        CHECK(e->features[Features::ba_db] < 0);
    }
    CHECK(explain(*near(events, s.pops[0], 0.010, Kind::pop), {}).find("dual model") != std::string::npos);
}

TEST_CASE("without an air reference the air features are absent and the single model decides", "[dsp][dual]") {
    const DualScene s = scene();
    std::vector<float> body(s.stereo.size() / 2);
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = s.stereo[2 * i];
    for (const Event& e : detect_all(body, fs, 1)) {
        CHECK(e.air == AirPath::none);
        CHECK(std::isnan(e.features[Features::ba_db]));
    }
}

TEST_CASE("a silent air channel falls back to the single-sensor model, visibly", "[dsp][dual]") {
    DualScene s = scene();
    for (std::size_t i = 1; i < s.stereo.size(); i += 2) s.stereo[i] = 0;  // unplugged from the start
    Detector d({}, fs, 2, upper_back_and_air());
    std::vector<Event> events;
    const EventHandler keep = [&](const Event& e) { events.push_back(e); };
    d.process(s.stereo, keep);
    d.finish(keep);
    CHECK(d.air_health().state() == AirState::silent);
    CHECK(d.air_health().fallbacks() == 1);
    CHECK(d.air_health().silent_frames() > static_cast<std::int64_t>(13 * fs));
    int found = 0;
    for (double t : s.pops)
        if (const Event* e = near(events, t, 0.010, Kind::pop)) {
            ++found;
            CHECK(e->air == AirPath::fallback_silent);
        }
    CHECK(found >= 4);  // the body sensor alone still finds the pops
}

TEST_CASE("the air channel going silent mid-run and coming back switches twice", "[dsp][dual]") {
    DualScene s = scene();
    for (std::size_t i = static_cast<std::size_t>(5 * fs); i < static_cast<std::size_t>(9 * fs); ++i)
        s.stereo[2 * i + 1] = 0;
    Detector d({}, fs, 2, upper_back_and_air());
    std::vector<Event> events;
    const EventHandler keep = [&](const Event& e) { events.push_back(e); };
    d.process(s.stereo, keep);
    d.finish(keep);
    CHECK(d.air_health().fallbacks() == 1);
    CHECK(d.air_health().state() == AirState::ok);
    REQUIRE(near(events, 6.0, 0.010, Kind::pop) != nullptr);
    CHECK(near(events, 6.0, 0.010, Kind::pop)->air == AirPath::fallback_silent);
    REQUIRE(near(events, 12.5, 0.010, Kind::pop) != nullptr);
    CHECK(near(events, 12.5, 0.010, Kind::pop)->air == AirPath::dual);
}

TEST_CASE("an air channel back from digital silence is judged against its real floor at once", "[dsp][dual]") {
    // A noise-gated room microphone, or a second device whose channel is zeros until its clock is
    // aligned: a click decays into exact silence (0.4 s, too short to distrust the channel), the
    // room's noise comes back 0.3 s before a pop. The decay pulled the tracked background far under
    // the room's floor; climbing back from there at 2 s would read the pop's faint air copy as loud,
    // the pop as more air-borne than it is. The pop must read as it does with no silence before it.
    const auto with_pop = [](bool gap) {
        DualScene s = scene();
        if (gap)
            for (auto i = static_cast<std::size_t>(2.21 * fs); i < static_cast<std::size_t>(2.6 * fs); ++i)
                s.stereo[2 * i + 1] = 0;
        auto tail = synth::internal::office_sound("mouse", fs, synth::Split::dev, 40);
        for (std::size_t i = 0; i < tail.size(); ++i)  // a smooth decay into the silence
            tail[i] *= static_cast<float>(std::exp(-static_cast<double>(i) / (0.004 * fs)));
        put(s.stereo, 1, tail, 2.21, 0.1f);
        put(s.stereo, 0, synth::render_isolated(synth::Isolated::spine_pop_contact, fs, 30), 2.9, 0.008f);
        put(s.stereo, 1, synth::render_isolated(synth::Isolated::spine_pop_air, fs, 30), 2.902, 0.003f);
        const auto events = detect_all(s.stereo, fs, 2, {}, upper_back_and_air());
        const Event* e = near(events, 2.9, 0.010, Kind::pop);
        REQUIRE(e != nullptr);
        CHECK(e->air == AirPath::dual);
        return *e;
    };
    const Event steady = with_pop(false), after_silence = with_pop(true);
    CHECK(after_silence.features[Features::ba_db] == Approx(steady.features[Features::ba_db]).margin(1.5));
    CHECK(after_silence.features[Features::air_snr_db] == Approx(steady.features[Features::air_snr_db]).margin(1.5));
}

TEST_CASE("a persistently clipping air channel is not trusted, clipping is counted per channel", "[dsp][dual]") {
    DualScene s = scene();
    for (std::size_t i = 1; i < s.stereo.size(); i += 2) s.stereo[i] = std::clamp(s.stereo[i] * 3000, -1.0f, 1.0f);
    Detector d({}, fs, 2, upper_back_and_air());
    std::vector<Event> events;
    d.process(s.stereo, [&](const Event& e) { events.push_back(e); });
    d.finish([&](const Event& e) { events.push_back(e); });
    CHECK(d.air_health().state() == AirState::clipped);
    CHECK(d.clipped_samples(1) > 0);
    CHECK(d.clipped_samples(0) == 0);
    const Event* last = near(events, 12.5, 0.010, Kind::pop);
    REQUIRE(last != nullptr);
    CHECK(last->air == AirPath::fallback_clipped);
}

#include "dsp/detector.hpp"

#include <sndfile.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "test_signals.hpp"

using namespace popwatch;

namespace {

std::vector<Event> detect(const std::vector<float>& x, double fs, int channels = 1, std::size_t block = 512,
                          DetectorConfig config = {}) {
    Detector d(config, fs, channels);
    std::vector<Event> events;
    const EventHandler keep = [&](const Event& e) { events.push_back(e); };
    const std::size_t stride = block * static_cast<std::size_t>(channels);
    for (std::size_t i = 0; i < x.size(); i += stride) d.process({x.data() + i, std::min(stride, x.size() - i)}, keep);
    d.finish(keep);
    return events;
}

std::vector<Event> of_kind(const std::vector<Event>& events, Kind kind) {
    std::vector<Event> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out), [&](const Event& e) { return e.kind == kind; });
    return out;
}

}  // namespace

TEST_CASE("silence and steady noise give no events", "[dsp][detector]") {
    const double fs = 48000;
    CHECK(detect(std::vector<float>(static_cast<std::size_t>(3 * fs), 0.0f), fs).empty());
    CHECK(detect(test::noise(3, fs, 0.01f), fs).empty());
}

TEST_CASE("an impulse gives one event at its sample", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(2, fs, 0.0005f);
    x[48000] += 0.8f;
    const auto events = detect(x, fs);
    REQUIRE(events.size() == 1);
    CHECK(events[0].time_s == Approx(1.0).margin(0.001));
    CHECK(events[0].kind != Kind::pop);  // a single-sample digital click is not a cavitation
}

TEST_CASE("a synthetic pop is found within 2 ms of its onset and counted", "[dsp][detector]") {
    for (double fs : {8000.0, 16000.0, 44100.0, 48000.0, 96000.0, 192000.0}) {
        INFO("sample rate " << fs);
        auto x = test::noise(2, fs, 0.001f);
        test::add_pop(x, fs, 0.7, 0.3f, std::min(1800.0, fs / 5));
        const auto pops = of_kind(detect(x, fs), Kind::pop);
        REQUIRE(pops.size() == 1);
        CHECK(pops[0].time_s == Approx(0.7).margin(0.002));
        CHECK(pops[0].episode == 0);
        CHECK(pops[0].duration_s < 0.012);
    }
}

TEST_CASE("gain changes do not change the count", "[dsp][detector]") {
    const double fs = 48000;
    for (float gain : {0.05f, 0.3f, 1.0f, 3.0f}) {
        INFO("gain " << gain);
        auto x = test::noise(4, fs, 0.001f * gain);
        for (double t : {0.5, 1.5, 2.9}) test::add_pop(x, fs, t, 0.25f * gain);
        CHECK(of_kind(detect(x, fs), Kind::pop).size() == 3);
    }
}

TEST_CASE("the block size does not change the events", "[dsp][detector]") {
    const double fs = 44100;
    auto x = test::noise(3, fs, 0.002f);
    for (double t : {0.4, 0.43, 1.2, 2.5}) test::add_pop(x, fs, t);
    const auto reference = detect(x, fs, 1, 4096);
    for (std::size_t block : {1u, 7u, 64u, 1000u}) {
        const auto other = detect(x, fs, 1, block);
        REQUIRE(other.size() == reference.size());
        for (std::size_t i = 0; i < other.size(); ++i) CHECK(other[i].time_s == reference[i].time_s);
    }
}

TEST_CASE("pops of a spinal cluster 5-40 ms apart are resolved separately", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(2, fs, 0.001f);
    const std::vector<double> onsets{0.500, 0.512, 0.539, 0.579};
    for (double t : onsets) test::add_pop(x, fs, t, 0.3f, 600);
    const auto pops = of_kind(detect(x, fs), Kind::pop);
    REQUIRE(pops.size() == onsets.size());
    for (std::size_t i = 0; i < onsets.size(); ++i) {
        CHECK(pops[i].time_s == Approx(onsets[i]).margin(0.002));
        CHECK(pops[i].episode == 0);  // one act of cracking
    }
}

TEST_CASE("clusters of loud clean pops keep their pops across gaps and pitches", "[dsp][detector]") {
    // 48 four-pop clusters: 300 Hz - 1.8 kHz rings, first gaps 8-25 ms (the next ones 1.2x and 1.3x
    // that), three noise seeds: pure rings, cleaner and louder (45 dB SNR) than the synthesiser's
    // pops. A model that learned "a transient 8-15 ms after another is its re-trigger" found 115
    // of the 192 pops, one without prev_gap_ms 65 (BENCHMARKS.md, "More training audio for the pop
    // model"); the floor catches that. Models of one recipe differ here by more than a training
    // choice: the 15 h model of sessions 1-8 found 157, the same data retrained with another fifth
    // held out 136 (on the clusters rebuilt as files, where the first finds 154), the 60 h model
    // with act_pre_db of session 9 finds 138: every 18 and 25 ms cluster whole, at 8 and 12 ms
    // gaps about half the pops.
    const double fs = 48000;
    int found = 0, total = 0;
    for (double freq : {300.0, 600.0, 1000.0, 1800.0})
        for (double gap : {0.008, 0.012, 0.018, 0.025})
            for (std::uint32_t seed : {7u, 8u, 9u}) {
                auto x = test::noise(2, fs, 0.001f, seed);
                for (double t : {0.5, 0.5 + gap, 0.5 + 2.2 * gap, 0.5 + 3.5 * gap}) test::add_pop(x, fs, t, 0.3f, freq);
                found += static_cast<int>(of_kind(detect(x, fs), Kind::pop).size());
                total += 4;
            }
    INFO(found << " of " << total << " pops found");
    CHECK(found >= 130);
}

TEST_CASE("a cluster's later pops see the activity before the act and not the cluster's own pops", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(3, fs, 0.001f);
    const std::vector<double> onsets{0.5, 0.508, 0.5176, 0.528};
    for (double t : onsets) test::add_pop(x, fs, t, 0.3f, 600);
    test::add_pop(x, fs, 2.0, 0.3f, 600);  // alone
    const auto events = detect(x, fs);
    const auto at = [&](double t) {
        const auto e = std::find_if(events.begin(), events.end(),
                                    [&](const Event& ev) { return std::abs(ev.time_s - t) < 0.002; });
        REQUIRE(e != events.end());
        return e->features;
    };
    const Features first = at(onsets[0]);
    CHECK(first[Features::act_pre_db] == first[Features::pre_db]);
    for (std::size_t i = 1; i < onsets.size(); ++i) {
        INFO("pop " << i);
        const Features f = at(onsets[i]);
        CHECK(f[Features::pre_db] > first[Features::pre_db] + 10);  // the cluster's own pops
        CHECK(f[Features::act_pre_db] == Approx(first[Features::pre_db]).margin(1.5));
    }
    const Features alone = at(2.0);
    CHECK(alone[Features::act_pre_db] == alone[Features::pre_db]);
}

TEST_CASE("pops further apart than the episode gap start a new episode", "[dsp][detector]") {
    const double fs = 16000;
    auto x = test::noise(8, fs, 0.001f);
    for (double t : {0.5, 1.4, 4.5, 7.0}) test::add_pop(x, fs, t);
    const auto pops = of_kind(detect(x, fs), Kind::pop);
    REQUIRE(pops.size() == 4);
    CHECK(pops[0].episode == 0);
    CHECK(pops[1].episode == 0);
    CHECK(pops[2].episode == 1);
    CHECK(pops[3].episode == 2);
}

TEST_CASE("a clunk is reported as a clunk, never as a pop", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(2, fs, 0.001f);
    test::add_clunk(x, fs, 0.8);
    const auto events = detect(x, fs);
    CHECK(of_kind(events, Kind::pop).empty());
    REQUIRE(of_kind(events, Kind::clunk).size() == 1);
    CHECK(of_kind(events, Kind::clunk)[0].time_s == Approx(0.8).margin(0.005));
}

TEST_CASE("a steady rhythm of clicks (typing) is not counted", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(6, fs, 0.001f);
    for (double t = 0.3; t < 5.5; t += 0.16) {
        test::add_ring(x, fs, t, 0.2f, 4500, 0.0006);         // key press
        test::add_ring(x, fs, t + 0.09, 0.1f, 5000, 0.0005);  // its release
    }
    const auto events = detect(x, fs);
    CHECK(of_kind(events, Kind::pop).size() <= 2);  // at most the first key or two, before the rhythm is known
    CHECK(events.size() > 30);                      // ...but the transients were heard
}

TEST_CASE("each channel is analysed and the loudest channel names the event", "[dsp][detector]") {
    const double fs = 48000;
    const auto a = test::noise(2, fs, 0.001f, 1), b = test::noise(2, fs, 0.001f, 2);
    std::vector<float> left = a, right = b;
    test::add_pop(left, fs, 0.5, 0.05f);
    test::add_pop(right, fs, 0.5, 0.3f);  // heard best on channel 2
    test::add_pop(left, fs, 1.2, 0.3f);   // only on channel 1
    std::vector<float> x(left.size() * 2);
    for (std::size_t i = 0; i < left.size(); ++i) x[2 * i] = left[i], x[2 * i + 1] = right[i];
    const auto pops = of_kind(detect(x, fs, 2), Kind::pop);
    REQUIRE(pops.size() == 2);
    CHECK(pops[0].channel == 1);
    CHECK(pops[1].channel == 0);
}

TEST_CASE("an air reference channel never names an event, and a sound only it hears is no event", "[dsp][detector]") {
    const double fs = 48000;
    std::vector<float> body = test::noise(2, fs, 0.001f, 1), air = test::noise(2, fs, 0.001f, 2);
    test::add_pop(body, fs, 0.5, 0.05f);
    test::add_pop(air, fs, 0.5, 0.3f);  // louder in the air, but the body heard it: a body event
    test::add_pop(air, fs, 1.2, 0.3f);  // only in the air
    std::vector<float> x(body.size() * 2);
    for (std::size_t i = 0; i < body.size(); ++i) x[2 * i] = body[i], x[2 * i + 1] = air[i];
    SensorLayout layout;
    layout.air = {false, true};
    const auto events = detect_all(x, fs, 2, {}, layout);
    REQUIRE(!events.empty());
    for (const Event& e : events)
        if (e.kind != Kind::other) CHECK(e.channel == 0);
    for (const Event& e : events) CHECK(e.channel == 0);
    CHECK(std::none_of(events.begin(), events.end(), [](const Event& e) { return e.time_s > 1; }));
    CHECK_THROWS_AS(Detector({}, fs, 1, SensorLayout{{true}, {}}), std::invalid_argument);
}

TEST_CASE("NaN and Inf samples are counted and treated as silence", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(1, fs, 0.001f);
    x[100] = NAN;
    x[200] = INFINITY;
    Detector d({}, fs, 1);
    d.process(x, [](const Event&) {});
    d.finish([](const Event&) {});
    CHECK(d.bad_samples() == 2);
}

TEST_CASE("events come out in time order on a dense real recording", "[dsp][detector]") {
    // 8 real knuckle cracks in 0.2 s, stereo: a later trigger's onset refines to before an
    // earlier one's. Read through libsndfile directly (dsp/ itself reads no files).
    const std::string path = std::string(POPWATCH_SHARED_DIR) + "/datasets/real/game_foley/sound_misc_knuckles.ogg";
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (!f) {
        WARN("skipped: " << path << " not present (../shared/datasets/real)");
        return;
    }
    std::vector<float> x(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_float(f, x.data(), info.frames);
    sf_close(f);
    const auto events = detect(x, info.samplerate, info.channels);
    REQUIRE(events.size() >= 8);
    for (std::size_t i = 1; i < events.size(); ++i) CHECK(events[i - 1].time_s <= events[i].time_s);
}

TEST_CASE("at 8 kHz, steady white noise rarely trips the gate (cells are long enough to average it)",
          "[dsp][detector]") {
    const double fs = 8000;
    const auto x = test::noise(120, fs, 0.002f, 5);  // -54 dBFS
    Detector d({}, fs, 1);
    d.process(x, [](const Event&) {});
    d.finish([](const Event&) {});
    // With 4-sample (0.5 ms) cells it was 1-2 candidates a second; blips a few ms before a pop
    // made the pop look chained and lose it.
    CHECK(d.candidates() < 60);
}

// listen --quick (issue #4): the decision comes quick_lookahead_s after the onset, not 250 ms.
TEST_CASE("quick decisions come out within 20 ms of audio after the pop and still find it", "[dsp][detector]") {
    for (double fs : {16000.0, 48000.0}) {
        INFO("sample rate " << fs);
        auto x = test::noise(3, fs, 0.001f);
        const double onsets[] = {0.7, 1.6, 2.4};
        for (double t : onsets) test::add_pop(x, fs, t, 0.3f, std::min(1800.0, fs / 5));
        for (const bool quick : {false, true}) {
            DetectorConfig config;
            config.quick = quick;
            Detector d(config, fs, 1);
            // Fed 1 ms at a time, as a live stream: note how much audio the detector had when each
            // pop came out.
            std::vector<std::pair<double, double>> out;  // (pop time, audio fed when it came out)
            const EventHandler keep = [&](const Event& e) {
                if (e.kind == Kind::pop) out.emplace_back(e.time_s, static_cast<double>(d.frames_processed()) / fs);
            };
            const auto step = static_cast<std::size_t>(fs / 1000);
            for (std::size_t i = 0; i < x.size(); i += step)
                d.process({x.data() + i, std::min(step, x.size() - i)}, keep);
            d.finish(keep);
            INFO("quick " << quick);
            REQUIRE(out.size() == 3);
            for (std::size_t k = 0; k < 3; ++k) {
                CHECK(out[k].first == Approx(onsets[k]).margin(0.002));
                const double held = out[k].second - onsets[k];
                if (quick)
                    CHECK(held < 0.02);
                else
                    CHECK(held > 0.25);
            }
        }
    }
}

TEST_CASE("quick decisions refuse an air reference as no two-sensor model is trained for them", "[dsp][detector]") {
    DetectorConfig config;
    config.quick = true;
    CHECK_THROWS_AS(Detector(config, 48000, 2, SensorLayout{{false, true}, {}}), std::invalid_argument);
    CHECK_NOTHROW(Detector(config, 48000, 2));
}

TEST_CASE("a clunk's body is measured: its low ring and its frequency at any sample rate", "[dsp][detector]") {
    for (double fs : {8000.0, 16000.0, 44100.0, 48000.0, 96000.0}) {
        INFO("sample rate " << fs);
        auto x = test::noise(2, fs, 0.001f);
        test::add_clunk(x, fs, 0.8);  // 110 Hz, tau 30 ms: within 20 dB for ~70 ms
        test::add_pop(x, fs, 1.5, 0.3f, std::min(1800.0, fs / 5));
        auto events = detect(x, fs, 1, 512);
        REQUIRE(events.size() >= 2);
        const Features& clunk = events.front().features;
        CHECK(clunk[Features::ring_hz] == Approx(110).epsilon(0.05));
        CHECK(clunk[Features::ring_corr] > 0.9f);
        CHECK(clunk[Features::body_ms] >= 50);
        CHECK(clunk[Features::body_low_db] > -1);  // nearly all of it under 400 Hz
        const Features& pop = events.back().features;
        CHECK(pop[Features::body_low_db] < -15);  // an 1.8 kHz ring has no body
    }
}

TEST_CASE("quick decisions leave the body unmeasured (NaN): it has not been heard yet", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(2, fs, 0.001f);
    test::add_clunk(x, fs, 0.8);
    DetectorConfig quick;
    quick.quick = true;
    const auto events = detect(x, fs, 1, 512, quick);
    REQUIRE_FALSE(events.empty());
    CHECK(std::isnan(events.front().features[Features::body_ms]));
    CHECK(std::isnan(events.front().features[Features::ring_hz]));
}

TEST_CASE("a thud is one clunk: clunk decisions inside the last clunk's body are not reported again",
          "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(3, fs, 0.001f);
    test::add_clunk(x, fs, 0.8);
    test::add_clunk(x, fs, 0.9, 0.25f);  // within clunk_merge_s of the first: the same thud
    test::add_clunk(x, fs, 2.0);         // a second thud
    const auto events = detect(x, fs);
    CHECK(of_kind(events, Kind::pop).empty());
    const auto clunks = of_kind(events, Kind::clunk);
    REQUIRE(clunks.size() == 2);
    CHECK(clunks[0].time_s == Approx(0.8).margin(0.005));
    CHECK(clunks[1].time_s == Approx(2.0).margin(0.005));
    DetectorConfig long_merge;
    long_merge.clunk_merge_s = 1.5;  // now the thud at 2.0 s falls inside the first one's merge span
    const auto merged = detect(x, fs, 1, 512, long_merge);
    REQUIRE(of_kind(merged, Kind::clunk).size() == 1);
    CHECK(of_kind(merged, Kind::clunk)[0].time_s == Approx(0.8).margin(0.005));
    const auto second =
        std::find_if(merged.begin(), merged.end(), [](const Event& e) { return std::abs(e.time_s - 2.0) < 0.005; });
    REQUIRE(second != merged.end());
    CHECK(second->kind == Kind::other);
    CHECK(explain(*second, long_merge).find("reported as other") != std::string::npos);
}

TEST_CASE("a thud knows how long ago the last thud was: a walk's steps, not a clunk", "[dsp][detector]") {
    const double fs = 48000;
    auto x = test::noise(3, fs, 0.001f);
    test::add_clunk(x, fs, 0.8);
    test::add_clunk(x, fs, 1.3);
    const auto events = detect(x, fs);
    REQUIRE(events.size() >= 2);
    CHECK(events.front().features[Features::thud_gap_ms] == 1500);  // none before
    CHECK(events.back().features[Features::thud_gap_ms] == Approx(500).margin(10));
}

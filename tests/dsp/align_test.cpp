// The clock aligner (dsp/align.hpp): a body stream and an air stream from a second "device" with
// its own start offset and drift, fed in uneven blocks as the live path does.
#include "dsp/align.hpp"

#include <catch2/catch.hpp>
#include <random>

#include "drift_scene.hpp"
#include "test_signals.hpp"

using namespace popwatch;

namespace {

constexpr double rate = 16000;

std::vector<float> shared_sound(double seconds, double quiet_from = -1, double quiet_to = -1) {
    return test::office_bursts(seconds, rate, quiet_from, quiet_to);
}

struct Feed {
    Feed(ClockAligner& a, const std::vector<float>& s, test::DriftingAir* air_) : aligner(a), source(s), air(air_) {}
    ClockAligner& aligner;
    const std::vector<float>& source;
    test::DriftingAir* air;  // null: the air device is gone
    std::mt19937 rng{5};
    std::normal_distribution<float> body_noise{0, 0.002f};
    std::int64_t body_frames = 0;
    std::vector<float> out = std::vector<float>(8192);
    std::vector<float> output_air, output_body;  // kept when `keep`
    bool keep = false;

    // `seconds` of both streams in uneven blocks (64-1024 frames), pulling in between.
    void run(double seconds) {
        std::uniform_int_distribution<int> block(64, 1024);
        std::vector<float> buf(1024);
        const auto end = body_frames + static_cast<std::int64_t>(seconds * rate);
        double air_due = 0;
        while (body_frames < end) {
            const auto n = static_cast<std::size_t>(std::min<std::int64_t>(block(rng), end - body_frames));
            for (std::size_t i = 0; i < n; ++i)
                buf[i] =
                    0.5f *
                        source[static_cast<std::size_t>(body_frames + static_cast<std::int64_t>(i)) % source.size()] +
                    body_noise(rng);
            aligner.push_body({buf.data(), n});
            body_frames += static_cast<std::int64_t>(n);
            if (air) {  // the air device delivers in its own uneven blocks, a little behind
                air_due += static_cast<double>(n) * aligner.config().air_rate / rate;
                while (air_due >= 1024) {
                    const auto m = static_cast<std::size_t>(block(rng));
                    air->render({buf.data(), m});
                    aligner.push_air({buf.data(), m});
                    air_due -= static_cast<double>(m);
                }
            }
            for (std::size_t got; (got = aligner.pull(out)) > 0;)
                if (keep)
                    for (std::size_t i = 0; i < got; ++i)
                        output_body.push_back(out[2 * i]), output_air.push_back(out[2 * i + 1]);
        }
    }
    // Alignment error (ms) of the model at the latest body frame given to the aligner.
    double error_ms() const {
        const std::int64_t n = body_frames - static_cast<std::int64_t>(rate);  // a second back: air has arrived
        return (air->body_frame_of(aligner.air_position(n)) - static_cast<double>(n)) / rate * 1000;
    }
};

AlignConfig config(double air_rate = rate) {
    AlignConfig c;
    c.body_rate = rate;
    c.air_rate = air_rate;
    return c;
}

}  // namespace

TEST_CASE("aligner locks onto a start offset and a clock drift", "[dsp][align]") {
    const auto source = shared_sound(240);
    double air_rate = rate, ppm = 80;
    SECTION("same nominal rate, air clock fast") {}
    SECTION("air clock slow") { ppm = -120; }
    SECTION("different nominal rates (22.05 kHz air, 16 kHz body)") { air_rate = 22050, ppm = 40; }
    ClockAligner aligner(config(air_rate));
    // The air stream's first sample hears the body 37 ms after the body's first.
    test::DriftingAir air(
        source, rate, air_rate, 0.037 * rate, [&](double) { return ppm; }, 0.002f);
    Feed feed(aligner, source, &air);
    aligner.air_started();
    CHECK(aligner.status().state == AlignState::searching);
    feed.run(30);
    REQUIRE(aligner.status().state == AlignState::locked);
    feed.run(150);
    const AlignStatus s = aligner.status();
    CHECK(s.state == AlignState::locked);
    CHECK(std::abs(feed.error_ms()) < 0.1);
    CHECK(s.drift_ppm == Approx(ppm).margin(3));
    CHECK(s.offset_ms == Approx(-37 + ppm * 1e-6 * 180 * 1000).margin(0.5));  // the drift moved it
    CHECK(s.late_frames == 0);
    CHECK(s.dropped_frames == 0);
}

TEST_CASE("aligner output carries the air channel aligned to the body channel", "[dsp][align]") {
    auto source = test::noise(60, rate, 0.0005f);
    for (double t = 1; t < 60; t += 0.7) test::add_pop(source, rate, t, 0.3f);
    ClockAligner aligner(config());
    test::DriftingAir air(
        source, rate, rate, -0.120 * rate, [](double) { return -60.0; }, 0.0005f);
    air.echo_gain = 0;
    Feed feed(aligner, source, &air);
    feed.keep = true;
    aligner.air_started();
    feed.run(58);
    REQUIRE(aligner.status().state == AlignState::locked);
    REQUIRE(feed.output_air.size() > static_cast<std::size_t>(50 * rate));
    // Over the last 20 s: each pop's peak is at the same frame on both channels (±1 sample).
    int pops = 0;
    for (double t = 38.0; t < 56; t += 0.7) {
        const double onset = 1 + 0.7 * std::ceil((t - 1) / 0.7);
        const auto from = static_cast<std::size_t>(onset * rate) - 10, to = from + 200;
        if (to >= feed.output_air.size()) break;
        std::size_t pb = from, pa = from;
        for (std::size_t i = from; i < to; ++i) {
            if (std::abs(feed.output_body[i]) > std::abs(feed.output_body[pb])) pb = i;
            if (std::abs(feed.output_air[i]) > std::abs(feed.output_air[pa])) pa = i;
        }
        CHECK(std::abs(static_cast<long>(pa) - static_cast<long>(pb)) <= 1);
        ++pops;
    }
    CHECK(pops > 20);
}

TEST_CASE("aligner holds its lock through a minute of silence", "[dsp][align]") {
    const auto source = shared_sound(240, 60, 120);  // nothing shared from 1:00 to 2:00
    ClockAligner aligner(config());
    test::DriftingAir air(
        source, rate, rate, 0.010 * rate, [](double) { return 100.0; }, 0.002f);
    Feed feed(aligner, source, &air);
    aligner.air_started();
    feed.run(60);
    REQUIRE(aligner.status().state == AlignState::locked);
    feed.run(6);  // the last windows holding shared sound
    const auto accepted = aligner.status().accepted;
    feed.run(52);  // 100 ppm over a minute is 6 ms: coasting on the learnt drift keeps it
    const AlignStatus s = aligner.status();
    CHECK(s.state == AlignState::locked);
    CHECK(s.accepted == accepted);  // nothing to measure in the silence ...
    CHECK(s.since_fix_s > 45);
    CHECK(std::abs(feed.error_ms()) < 0.25);  // ... and still aligned
    feed.run(30);
    CHECK(std::abs(feed.error_ms()) < 0.1);
}

TEST_CASE("aligner silences the air channel while the air device is gone and re-acquires it", "[dsp][align]") {
    const auto source = shared_sound(240);
    ClockAligner aligner(config());
    auto air = std::make_unique<test::DriftingAir>(
        source, rate, rate, 0.037 * rate, [](double) { return 50.0; }, 0.002f);
    Feed feed(aligner, source, air.get());
    aligner.air_started();
    feed.run(60);
    REQUIRE(aligner.status().state == AlignState::locked);

    aligner.air_lost();
    feed.air = nullptr;
    feed.keep = true;
    feed.run(10);
    CHECK(aligner.status().state == AlignState::lost);
    REQUIRE(feed.output_air.size() > static_cast<std::size_t>(9 * rate));
    CHECK(std::all_of(feed.output_air.begin(), feed.output_air.end(), [](float x) { return x == 0; }));
    CHECK(feed.output_body.size() == feed.output_air.size());  // the body goes on regardless

    // The device comes back as a new stream, starting 80 ms after "now" on its own clock.
    air = std::make_unique<test::DriftingAir>(
        source, rate, rate, static_cast<double>(feed.body_frames) + 0.080 * rate, [](double) { return 50.0; }, 0.002f,
        9);
    feed.air = air.get();
    feed.keep = false;
    aligner.air_started();
    CHECK(aligner.status().state == AlignState::searching);
    feed.run(20);
    CHECK(aligner.status().state == AlignState::locked);
    feed.run(30);
    CHECK(std::abs(feed.error_ms()) < 0.1);
    CHECK(aligner.status().drift_ppm == Approx(50).margin(3));
}

TEST_CASE("aligner finds the offset again after the air device lost some input", "[dsp][align]") {
    const auto source = shared_sound(300);
    ClockAligner aligner(config());
    test::DriftingAir air(
        source, rate, rate, 0, [](double) { return 30.0; }, 0.002f);
    Feed feed(aligner, source, &air);
    aligner.air_started();
    feed.run(40);
    REQUIRE(aligner.status().state == AlignState::locked);
    air.skip(0.060 * rate);  // 60 ms of air input lost: beyond the tracking range
    feed.run(90);
    const AlignStatus s = aligner.status();
    CHECK(s.state == AlignState::locked);
    CHECK(s.rejected >= 4);
    CHECK(std::abs(feed.error_ms()) < 0.1);
}

TEST_CASE("aligner does not lock onto unrelated sound", "[dsp][align]") {
    const auto source = shared_sound(120);
    const auto other = test::noise(120, rate, 0.02f, 99);  // the air hears something else entirely
    ClockAligner aligner(config());
    test::DriftingAir air(
        other, rate, rate, 0, [](double) { return 0.0; }, 0.002f);
    Feed feed(aligner, source, &air);
    aligner.air_started();
    feed.run(100);
    const AlignStatus s = aligner.status();
    CHECK(s.state == AlignState::searching);
    CHECK(s.estimates > 40);
    CHECK(s.accepted == 0);
}

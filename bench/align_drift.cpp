// How well two devices' clocks stay aligned over an hour (BENCHMARKS.md, "Two devices: clock
// alignment"). Offline and deterministic: a synthesised office scene (the `ambient` scenario) is
// the sound both sensors share; the body channel is a `contact` scene (body noise, heartbeat,
// breathing, own voice) with the room leaking in at -14 dB through the body (low-passed at
// 1.5 kHz: tissue and clothing take the highs); the air channel is the room as a
// second device hears it (tests/dsp/drift_scene.hpp: direct path + a 3 ms reflection + its own
// noise) on its own clock — a known start offset and drift. Both streams reach the ClockAligner
// as the live path's analysis thread would see them: in device-buffer chunks, the air device's
// buffers arriving up to one buffer late, pulled after every read.
//
//   build/bench/popwatch_align_drift --drift 50            # constant +50 ppm
//   build/bench/popwatch_align_drift --drift -100
//   build/bench/popwatch_align_drift --drift temp          # 40 ppm ± 15 ppm over a 30-min cycle
//   build/bench/popwatch_align_drift --drift 50 --air-rate 44100
//   build/bench/popwatch_align_drift --drift 50 --dropout-at 30 --dropout-s 20
//
// The error is measured once per second of body time, while locked, on the latest frame output:
// (the body frame the air sample used really heard) − (the body frame it was placed at).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <random>

#include "datasets/synth.hpp"
#include "drift_scene.hpp"
#include "dsp/align.hpp"
#include "dsp/biquad.hpp"

using namespace popwatch;

namespace {

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Clock alignment of two capture devices over a long session (offline)"};
    double minutes = 60, rate = 48000, air_rate = 0, offset_ms = 37, dropout_at_min = -1, dropout_s = 20;
    double loop_min = 10, back_offset_ms = 80;
    std::string drift = "50";
    app.add_option("--minutes", minutes, "Session length")->capture_default_str();
    app.add_option("--rate", rate, "Body device rate (Hz)")->capture_default_str();
    app.add_option("--air-rate", air_rate, "Air device nominal rate (Hz; default: the body's)");
    app.add_option("--drift", drift, "Air clock error in ppm, or \"temp\" (40 ± 15 ppm, 30-minute cycle)")
        ->capture_default_str();
    app.add_option("--offset-ms", offset_ms,
                   "Start skew: the air device's first sample hears the body frame at this time")
        ->capture_default_str();
    app.add_option("--dropout-at", dropout_at_min, "Minute at which the air device goes away (default: never)");
    app.add_option("--dropout-s", dropout_s, "... for this long; it comes back as a new stream")->capture_default_str();
    app.add_option("--loop-min", loop_min, "Minutes of scene rendered (looped to the session length)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (air_rate <= 0) air_rate = rate;
    const auto ppm = [&](double t_s) {
        if (drift == "temp") return 40 + 15 * std::sin(2 * std::numbers::pi * t_s / 1800);
        return std::stod(drift);
    };

    synth::Options room;
    room.scenario = synth::Scenario::ambient;
    room.minutes = loop_min;
    room.sample_rate = rate;
    room.use_real = false;
    room.seed = 71;
    synth::Options body_scene = room;
    body_scene.scenario = synth::Scenario::contact;
    body_scene.seed = 72;
    const std::vector<float> shared = synth::render(room).audio;
    std::vector<float> body = synth::render(body_scene).audio;
    body.resize(shared.size(), 0.0f);
    std::vector<float> leak = shared;
    for (int pass = 0; pass < 2; ++pass) {
        Biquad lp = Biquad::lowpass(1500, rate);
        lp.process(leak);
    }
    for (std::size_t i = 0; i < body.size(); ++i) body[i] += 0.2f * leak[i];

    AlignConfig config;
    config.body_rate = rate;
    config.air_rate = air_rate;
    ClockAligner aligner(config);
    auto air = std::make_unique<test::DriftingAir>(shared, rate, air_rate, offset_ms / 1000 * rate, ppm, 0.001f);
    aligner.air_started();

    std::mt19937 rng(4);
    const std::size_t body_buffer = 480, air_buffer = static_cast<std::size_t>(std::lround(air_rate / 100));
    std::uniform_int_distribution<int> reads_per_tick(1, 10);  // the analysis thread polls every 10-100 ms
    std::vector<float> chunk(std::max(body_buffer, air_buffer)), out(2 * 8192);
    const auto total = static_cast<std::int64_t>(minutes * 60 * rate);
    std::int64_t body_pos = 0, next_sample = 0;
    double air_due = 0;
    std::vector<double> errors_ms;
    double first_lock_s = -1, relock_s = -1, dropout_start_s = -1;
    bool air_on = true, was_locked = false, dropped = false;
    int lock_losses = 0;
    double locked_s = 0;
    std::chrono::steady_clock::duration busy{};  // time inside the aligner (its CPU cost)
    const auto timed = [&](auto&& f) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        busy += std::chrono::steady_clock::now() - t0;
    };
    while (body_pos < total) {
        const double t = static_cast<double>(body_pos) / rate;
        if (!dropped && dropout_at_min >= 0 && t >= dropout_at_min * 60) {
            aligner.air_lost();
            air_on = false, dropped = true, dropout_start_s = t;
        }
        if (!air_on && dropped && t >= dropout_start_s + dropout_s) {
            air = std::make_unique<test::DriftingAir>(
                shared, rate, air_rate, static_cast<double>(body_pos) + back_offset_ms / 1000 * rate, ppm, 0.001f, 8);
            aligner.air_started();
            air_on = true, air_due = 0;
        }
        // One poll of the analysis thread: a few body buffers, and the air buffers its clock filled.
        const int reads = reads_per_tick(rng);
        for (int r = 0; r < reads; ++r) {
            for (std::size_t i = 0; i < body_buffer; ++i)
                chunk[i] = body[static_cast<std::size_t>(body_pos + static_cast<std::int64_t>(i)) % body.size()];
            timed([&] { aligner.push_body({chunk.data(), body_buffer}); });
            body_pos += static_cast<std::int64_t>(body_buffer);
            air_due += static_cast<double>(body_buffer) * air_rate / rate * (1 + ppm(t) * 1e-6);
        }
        while (air_on && air_due >= static_cast<double>(air_buffer)) {
            air->render({chunk.data(), air_buffer});
            timed([&] { aligner.push_air({chunk.data(), air_buffer}); });
            air_due -= static_cast<double>(air_buffer);
        }
        timed([&] {
            while (aligner.pull(out) > 0) {
            }
        });
        const AlignStatus s = aligner.status();
        const bool locked = s.state == AlignState::locked;
        if (locked && first_lock_s < 0) first_lock_s = t;
        if (locked && dropped && relock_s < 0 && air_on) relock_s = t - (dropout_start_s + dropout_s);
        if (was_locked && s.state == AlignState::searching) ++lock_losses;
        was_locked = locked;
        if (locked) locked_s += static_cast<double>(reads) * static_cast<double>(body_buffer) / rate;
        if (locked && body_pos >= next_sample) {
            next_sample = body_pos + static_cast<std::int64_t>(rate);
            const std::int64_t n = body_pos - static_cast<std::int64_t>(rate / 2);  // output; its air has arrived
            const double heard = air->body_frame_of(aligner.air_position(n));
            if (std::isfinite(heard)) errors_ms.push_back((heard - static_cast<double>(n)) / rate * 1000);
        }
    }
    const AlignStatus s = aligner.status();
    // The error splits into a constant part — the aligner lines up sounds as the sensors hear them,
    // so the group delay of the body's path for room sound (the low-pass: ~0.3 ms) stays in — and
    // what moves: its deviation from that median over the hour.
    const double bias = percentile(errors_ms, 0.5);
    std::vector<double> deviation;
    for (double e : errors_ms) deviation.push_back(std::abs(e - bias));
    const double dev_max = deviation.empty() ? NAN : *std::max_element(deviation.begin(), deviation.end());
    fmt::print(
        "| {} | {:g}/{:g} kHz | {:.1f} s | {} | {:+.3f} ms | {:.3f} / {:.3f} / {:.3f} ms | {:.1f} % | {:+.1f} ppm | {} "
        "/ {} / {} |\n",
        drift == "temp" ? "40 ± 15 ppm (30-min cycle)" : drift + " ppm", rate / 1000, air_rate / 1000, first_lock_s,
        dropped ? fmt::format("{:.1f} s", relock_s) : std::string("—"), bias, percentile(deviation, 0.5),
        percentile(deviation, 0.95), dev_max, 100 * locked_s / (minutes * 60), s.drift_ppm, s.accepted, s.rejected,
        s.silent);
    const double busy_s = std::chrono::duration<double>(busy).count();
    fmt::print("# {} error samples, {} lock losses, final offset {:+.2f} ms ± {:.3f}, late frames {}, dropped {}\n",
               errors_ms.size(), lock_losses, s.offset_ms, s.offset_sd_ms, s.late_frames, s.dropped_frames);
    fmt::print("# aligner: {:.1f} s of CPU for {:g} min of audio ({:.3f} % of one core)\n", busy_s, minutes,
               100 * busy_s / (minutes * 60));
    return 0;
}

// A second device hearing the same sounds on its own clock, for the clock-alignment tests and
// bench (dsp/align.hpp): reads a body-rate source (looped) at a drifting rate, from a chosen
// start offset, through a small room (a direct path and one reflection) plus its own noise. It
// remembers where each of its samples came from, so a test can measure an alignment error.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <vector>

#include "dsp/biquad.hpp"

namespace popwatch::test {

class DriftingAir {
   public:
    // `source` at `body_rate`; the device runs at `air_rate` nominal, off by drift_ppm(t) (t in
    // body seconds); its first sample hears body frame `start_frame` (fractional, may be negative).
    DriftingAir(const std::vector<float>& source, double body_rate, double air_rate, double start_frame,
                std::function<double(double)> drift_ppm, float noise_rms, std::uint32_t seed = 3)
        : source_(source),
          body_rate_(body_rate),
          ratio_(air_rate / body_rate),
          x_(start_frame),
          drift_ppm_(std::move(drift_ppm)),
          noise_(0, noise_rms),
          rng_(seed),
          history_(1 << 22) {}

    double echo_delay_s = 0.003;  // one reflection, 3 ms after the direct sound ...
    float echo_gain = 0.4f;       // ... at -8 dB
    float gain = 1.0f;

    void render(std::span<float> out) {
        for (float& y : out) {
            history_[static_cast<std::size_t>(count_) & (history_.size() - 1)] = x_;
            ++count_;
            y = gain * (at(x_) + echo_gain * at(x_ - echo_delay_s * body_rate_)) + noise_(rng_);
            x_ += 1 / (ratio_ * (1 + drift_ppm_(x_ / body_rate_) * 1e-6));
        }
    }
    // The body frame (fractional) that air sample `position` heard, for recent samples.
    double body_frame_of(double position) const {
        const auto i = static_cast<std::int64_t>(std::floor(position));
        if (i < 0 || i + 1 >= count_ || count_ - i >= static_cast<std::int64_t>(history_.size())) return NAN;
        const double a = history_[static_cast<std::size_t>(i) & (history_.size() - 1)];
        const double b = history_[static_cast<std::size_t>(i + 1) & (history_.size() - 1)];
        return a + (b - a) * (position - static_cast<double>(i));
    }
    std::int64_t count() const { return count_; }
    // The device loses `frames` of input (an overflow): what it hears jumps ahead.
    void skip(double frames) { x_ += frames; }
    double position() const { return x_; }

   private:
    // The source between samples (cubic), looped.
    double at(double x) const {
        const auto n = static_cast<std::int64_t>(source_.size());
        const double f = std::floor(x);
        const auto i = static_cast<std::int64_t>(f);
        const auto s = [&](std::int64_t k) {
            return static_cast<double>(source_[static_cast<std::size_t>(((k % n) + n) % n)]);
        };
        const double y0 = s(i - 1), y1 = s(i), y2 = s(i + 1), y3 = s(i + 2), t = x - f;
        return y1 + 0.5 * t * (y2 - y0 + t * (2 * y0 - 5 * y1 + 4 * y2 - y3 + t * (3 * (y1 - y2) + y3 - y0)));
    }

    const std::vector<float>& source_;
    double body_rate_, ratio_, x_;
    std::function<double(double)> drift_ppm_;
    std::normal_distribution<float> noise_;
    std::mt19937 rng_;
    std::vector<double> history_;  // body frame of each recent air sample
    std::int64_t count_ = 0;
};

// Office-like shared sound: bursts of band-limited noise (words, keys) with pauses between them,
// `quiet_from`..`quiet_to` (s) left silent.
inline std::vector<float> office_bursts(double seconds, double rate, double quiet_from = -1, double quiet_to = -1) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<float> n(0, 1);
    std::vector<float> x(static_cast<std::size_t>(seconds * rate), 0.0f);
    for (double t = 0.3; t < seconds; t += 0.4 + 1.2 * u(rng)) {
        if (t >= quiet_from && t < quiet_to) continue;
        const double len = 0.05 + 0.4 * u(rng);
        const auto a = static_cast<float>(0.02 + 0.1 * u(rng));
        for (auto i = static_cast<std::size_t>(t * rate);
             i < x.size() && i < static_cast<std::size_t>((t + len) * rate); ++i)
            x[i] = a * n(rng);
    }
    Biquad lp = Biquad::lowpass(3000, rate);
    lp.process(x);
    return x;
}

}  // namespace popwatch::test

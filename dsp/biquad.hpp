// Second-order IIR section (RBJ "Audio EQ Cookbook" high-/low-pass, Butterworth Q = 1/sqrt 2),
// transposed direct form II: two state variables, one multiply-add chain per sample.
#pragma once

#include <cmath>
#include <numbers>
#include <span>

namespace popwatch {

class Biquad {
   public:
    static Biquad highpass(double cutoff_hz, double sample_rate) { return make(cutoff_hz, sample_rate, true); }
    static Biquad lowpass(double cutoff_hz, double sample_rate) { return make(cutoff_hz, sample_rate, false); }

    float operator()(float x) {
        const float y = b0_ * x + z1_;
        z1_ = b1_ * x - a1_ * y + z2_;
        z2_ = b2_ * x - a2_ * y;
        return y;
    }
    void process(std::span<float> samples) {
        for (float& s : samples) s = (*this)(s);
    }
    void reset() { z1_ = z2_ = 0; }

   private:
    static Biquad make(double cutoff_hz, double sample_rate, bool high) {
        const double nyquist_guard = 0.45 * sample_rate;
        const double f = cutoff_hz < nyquist_guard ? cutoff_hz : nyquist_guard;
        const double w = 2 * std::numbers::pi * f / sample_rate;
        const double q_factor = 1 / std::numbers::sqrt2;  // Butterworth
        const double alpha = std::sin(w) / (2 * q_factor);
        const double c = std::cos(w);
        const double a0 = 1 + alpha;
        Biquad q;
        if (high) {
            q.b0_ = static_cast<float>((1 + c) / 2 / a0);
            q.b1_ = static_cast<float>(-(1 + c) / a0);
        } else {
            q.b0_ = static_cast<float>((1 - c) / 2 / a0);
            q.b1_ = static_cast<float>((1 - c) / a0);
        }
        q.b2_ = q.b0_;
        q.a1_ = static_cast<float>(-2 * c / a0);
        q.a2_ = static_cast<float>((1 - alpha) / a0);
        return q;
    }
    float b0_ = 1, b1_ = 0, b2_ = 0, a1_ = 0, a2_ = 0;
    float z1_ = 0, z2_ = 0;
};

}  // namespace popwatch

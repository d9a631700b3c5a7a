// Second-order IIR section (RBJ "Audio EQ Cookbook" high-/low-pass, Butterworth Q = 1/sqrt 2),
// transposed direct form II.
//
// process() runs eight samples at a time in the block state-space form (the standard way to
// vectorise a recursive filter; e.g. Nehab et al. 2011, "GPU-efficient recursive filtering"):
//   y[0..7] = H x[0..7] + G (z1, z2)      H: the impulse response as a lower-triangular Toeplitz
//                                          matrix, G: the response to the initial state
//   (z1, z2)' = F x[0..7] + E (z1, z2)    the state after the block
// The recursion then costs one dependent step per eight samples instead of one per sample. The
// state's feedback E (z1, z2) runs in double: a 40-80 Hz high-pass has poles within 0.01 of
// z = 1, and float rounding fed back through them leaks DC.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <numbers>
#include <span>
#include <utility>

#include "dsp/kernels.hpp"

// The eight-lane block path (POPWATCH_KERNELS_AVX: GCC and clang on x86), chosen at run time
// (avx_available()).

namespace popwatch {

class Biquad {
   public:
    static Biquad highpass(double cutoff_hz, double sample_rate) { return make(cutoff_hz, sample_rate, true); }
    static Biquad lowpass(double cutoff_hz, double sample_rate) { return make(cutoff_hz, sample_rate, false); }

    float operator()(float x) {
        const double y = b0_ * x + z1_;
        z1_ = b1_ * x - a1_ * y + z2_;
        z2_ = b2_ * x - a2_ * y;
        return static_cast<float>(y);
    }

    void process(std::span<float> samples) { process(samples, avx_available()); }

    // The same with the AVX path allowed or not: both give the same floats, bit for bit (the
    // same products and sums per lane, in the same order; no fused multiply-add), so which one
    // the machine runs never shows in the output. For the test that holds them to it.
    void process(std::span<float> samples, bool avx) {
        float* s = samples.data();
        const std::size_t n = samples.size(), blocks = n / block;
#if POPWATCH_KERNELS_AVX
        if (avx) {
            process_blocks_avx(s, blocks);
        } else
#endif
        {
            (void)avx;
            for (std::size_t b = 0; b < blocks; ++b) process_block(s + b * block);
        }
        for (std::size_t i = blocks * block; i < n; ++i) s[i] = (*this)(s[i]);
    }

    // Whether this machine runs the eight-lane (AVX) block: half the vector products of the SSE
    // one for the high-pass every sample goes through. Checked once per process.
    static bool avx_available() { return kernels_avx_available(); }

    void reset() { z1_ = z2_ = 0; }

   private:
    static constexpr std::size_t block = 8;
    using v4 = float __attribute__((vector_size(16)));

    void process_block(float* s) {
        const auto z1 = static_cast<float>(z1_), z2 = static_cast<float>(z2_);
        v4 lo = g_lo_[0] * z1 + g_lo_[1] * z2;
        v4 hi = g_hi_[0] * z1 + g_hi_[1] * z2;
        const auto [n1, n2] = state_input(s);
        for (std::size_t j = 0; j < block; ++j) {
            lo += h_lo_[j] * s[j];
            hi += h_hi_[j] * s[j];
        }
        std::memcpy(s, &lo, sizeof lo);
        std::memcpy(s + 4, &hi, sizeof hi);
        advance(n1, n2);
    }

    // The input's share of the state after the block (F x), by input halves.
    std::pair<v4, v4> state_input(const float* s) const {
        v4 x_lo, x_hi;
        std::memcpy(&x_lo, s, sizeof x_lo);
        std::memcpy(&x_hi, s + 4, sizeof x_hi);
        return {f_lo_[0] * x_lo + f_hi_[0] * x_hi, f_lo_[1] * x_lo + f_hi_[1] * x_hi};
    }

    // The state after the block. The input's share is summed in float; the state's own share,
    // which feeds back block after block, in double.
    void advance(v4 n1, v4 n2) {
        const double in1 = static_cast<double>((n1[0] + n1[1]) + (n1[2] + n1[3]));
        const double in2 = static_cast<double>((n2[0] + n2[1]) + (n2[2] + n2[3]));
        const double next1 = e_[0][0] * z1_ + e_[0][1] * z2_ + in1;
        z2_ = e_[1][0] * z1_ + e_[1][1] * z2_ + in2;
        z1_ = next1;
    }

#if POPWATCH_KERNELS_AVX
    using v8 = float __attribute__((vector_size(32)));

    // process_block's arithmetic with the two four-lane halves as one eight-lane vector: each
    // lane's products and sums are the same, in the same order.
    __attribute__((target("avx"))) void process_blocks_avx(float* s, std::size_t blocks) {
        // H's and G's halves side by side (lanes 0-3 the low half's, 4-7 the high half's).
        v8 h[block], g[2];
        const auto join = [](v8& v, const v4& lo, const v4& hi) {
            std::memcpy(&v, &lo, sizeof lo);
            std::memcpy(reinterpret_cast<char*>(&v) + sizeof lo, &hi, sizeof hi);
        };
        for (std::size_t j = 0; j < block; ++j) join(h[j], h_lo_[j], h_hi_[j]);
        for (std::size_t k = 0; k < 2; ++k) join(g[k], g_lo_[k], g_hi_[k]);
        for (std::size_t b = 0; b < blocks; ++b, s += block) {
            const auto z1 = static_cast<float>(z1_), z2 = static_cast<float>(z2_);
            v8 y = g[0] * z1 + g[1] * z2;
            const auto [n1, n2] = state_input(s);
            for (std::size_t j = 0; j < block; ++j) y += h[j] * s[j];
            std::memcpy(s, &y, sizeof y);
            advance(n1, n2);
        }
    }
#endif

    static Biquad make(double cutoff_hz, double sample_rate, bool high) {
        const double f = std::min(cutoff_hz, 0.45 * sample_rate);
        const double w = 2 * std::numbers::pi * f / sample_rate;
        const double q_factor = 1 / std::numbers::sqrt2;  // Butterworth
        const double alpha = std::sin(w) / (2 * q_factor);
        const double c = std::cos(w);
        const double a0 = 1 + alpha;
        Biquad q;
        q.b0_ = (high ? (1 + c) : (1 - c)) / 2 / a0;
        q.b1_ = (high ? -(1 + c) : (1 - c)) / a0;
        q.b2_ = q.b0_;
        q.a1_ = -2 * c / a0;
        q.a2_ = (1 - alpha) / a0;
        q.build_block_matrices();
        return q;
    }

    // Columns of H, G, F and E by running the recursion (in double) on unit inputs and states.
    void build_block_matrices() {
        const auto run = [&](double z1, double z2, std::size_t impulse_at, std::array<double, block>& out) {
            for (std::size_t n = 0; n < block; ++n) {
                const double x = n == impulse_at ? 1.0 : 0.0, y = b0_ * x + z1;
                z1 = b1_ * x - a1_ * y + z2;
                z2 = b2_ * x - a2_ * y;
                out[n] = y;
            }
            return std::array<double, 2>{z1, z2};
        };
        std::array<double, block> col{};
        for (std::size_t j = 0; j < block; ++j) {
            const auto state = run(0, 0, j, col);
            for (std::size_t r = 0; r < 4; ++r)
                h_lo_[j][r] = static_cast<float>(col[r]), h_hi_[j][r] = static_cast<float>(col[4 + r]);
            for (std::size_t k = 0; k < 2; ++k) {
                if (j < 4)
                    f_lo_[k][j] = static_cast<float>(state[k]);
                else
                    f_hi_[k][j - 4] = static_cast<float>(state[k]);
            }
        }
        for (std::size_t k = 0; k < 2; ++k) {
            const auto state = run(k == 0, k == 1, block, col);  // no impulse: the state alone
            for (std::size_t r = 0; r < 4; ++r)
                g_lo_[k][r] = static_cast<float>(col[r]), g_hi_[k][r] = static_cast<float>(col[4 + r]);
            e_[0][k] = state[0], e_[1][k] = state[1];
        }
    }

    double b0_ = 1, b1_ = 0, b2_ = 0, a1_ = 0, a2_ = 0;
    double z1_ = 0, z2_ = 0;
    std::array<v4, block> h_lo_{}, h_hi_{};
    std::array<v4, 2> g_lo_{}, g_hi_{};
    std::array<v4, 2> f_lo_{}, f_hi_{};  // F, rows for z1 and z2, by input halves
    std::array<std::array<double, 2>, 2> e_{};
};

}  // namespace popwatch

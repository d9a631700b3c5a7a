// Small float kernels for the hot paths, written so the compiler vectorises them without
// -ffast-math: four independent partial sums (one SSE register), added at the end.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace popwatch {

inline float dot(std::span<const float> x, std::span<const float> y) {
    float acc[4] = {0, 0, 0, 0};
    const std::size_t n = x.size() < y.size() ? x.size() : y.size();
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (std::size_t k = 0; k < 4; ++k) acc[k] += x[i + k] * y[i + k];
    for (; i < n; ++i) acc[0] += x[i] * y[i];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

inline float sum_of_squares(std::span<const float> x) { return dot(x, x); }

// The autocorrelation at consecutive lags, four lags side by side so that their chains of
// additions overlap (one lag at a time waits on its own additions' latency), each lag summed as
// dot sums it: four partial sums in the lanes of a vector V of four T, the tail into the first.
// Stops before the last count % 4 lags (or where fewer than four are left in p[0, m)) and says
// where. Always inlined, so that it is compiled for its caller's target (AVX for the double one).
template <class V, class T>
[[gnu::always_inline]] inline std::size_t lagged_dots_by4(const T* p, std::size_t m, std::size_t lag, std::size_t count,
                                                          T* out) {
    const auto load = [&](std::size_t i, V& v) { std::memcpy(&v, p + i, sizeof v); };
    std::size_t j = 0;
    for (; j + 4 <= count && lag + j + 3 < m; j += 4) {
        const std::size_t l = lag + j, shortest = m - l - 3;  // lag l + 3 has the fewest products
        // Named accumulators and loads, not arrays: arrays of vectors were kept on the stack, and
        // the store-to-load latency on them undid the overlap.
        V acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
        std::size_t i = 0;
        for (; i + 4 <= shortest; i += 4) {
            V a, b0, b1, b2, b3;
            load(i, a), load(i + l, b0), load(i + l + 1, b1), load(i + l + 2, b2), load(i + l + 3, b3);
            acc0 += a * b0, acc1 += a * b1, acc2 += a * b2, acc3 += a * b3;
        }
        const V partial[4] = {acc0, acc1, acc2, acc3};
        for (std::size_t q = 0; q < 4; ++q) {  // each lag's own last blocks and tail
            const std::size_t n = m - l - q;
            V acc = partial[q];
            std::size_t t = i;
            for (; t + 4 <= n; t += 4) {
                V a, b;
                load(t, a), load(t + l + q, b);
                acc += a * b;
            }
            T first = acc[0];
            for (; t < n; ++t) first += p[t] * p[t + l + q];
            out[j + q] = (first + acc[1]) + (acc[2] + acc[3]);
        }
    }
    return j;
}

// out[j] = dot(x[0, n_j), x[lag + j, lag + j + n_j)) with n_j = x.size() - lag - j, for j < count,
// bit for bit; four SSE accumulators.
inline void lagged_dots(std::span<const float> x, std::size_t lag, std::size_t count, float* out) {
    using v4f = float __attribute__((vector_size(16)));
    std::size_t j = lagged_dots_by4<v4f>(x.data(), x.size(), lag, count, out);
    for (; j < count; ++j) {
        const std::size_t l = lag + j, n = l < x.size() ? x.size() - l : 0;
        out[j] = dot(x.first(n), x.subspan(std::min(l, x.size()), n));
    }
}

// The same sums in double (for the features that were trained on double sums): two SSE2 lanes of
// two partial sums each.
inline double dot_d(std::span<const float> x, std::span<const float> y) {
    double acc[4] = {0, 0, 0, 0};
    const std::size_t n = x.size() < y.size() ? x.size() : y.size();
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (std::size_t k = 0; k < 4; ++k) acc[k] += static_cast<double>(x[i + k]) * y[i + k];
    for (; i < n; ++i) acc[0] += static_cast<double>(x[i]) * y[i];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

inline double sum_of_squares_d(std::span<const float> x) { return dot_d(x, x); }

// out[j] = dot_d(x[0, n_j), x[lag + j, lag + j + n_j)) with n_j = x.size() - lag - j, for
// j < count: the autocorrelation at `count` consecutive lags, each summed exactly as dot_d sums
// it (four partial sums, the tail into the first). Where the CPU has AVX, four lags side by side
// on a double copy of x (`scratch`, x.size() doubles), so that their chains of additions overlap:
// one lag at a time waits on its own additions' latency (3x the time, measured). `avx` false: one
// dot_d per lag; the two give the same doubles, bit for bit.
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define POPWATCH_KERNELS_AVX 1
__attribute__((target("avx"))) inline std::size_t lagged_dots_d_avx(std::span<const float> x, std::size_t lag,
                                                                    std::size_t count, double* out, double* scratch) {
    using v4d = double __attribute__((vector_size(32)));
    for (std::size_t i = 0; i < x.size(); ++i) scratch[i] = x[i];  // exact
    return lagged_dots_by4<v4d>(scratch, x.size(), lag, count, out);
}
#else
#define POPWATCH_KERNELS_AVX 0
#endif

inline bool kernels_avx_available() {
#if POPWATCH_KERNELS_AVX
    static const bool available = __builtin_cpu_supports("avx");
    return available;
#else
    return false;
#endif
}

inline void lagged_dots_d(std::span<const float> x, std::size_t lag, std::size_t count, double* out, double* scratch,
                          bool avx = kernels_avx_available()) {
    std::size_t j = 0;
#if POPWATCH_KERNELS_AVX
    if (avx) j = lagged_dots_d_avx(x, lag, count, out, scratch);
#else
    (void)avx, (void)scratch;
#endif
    for (; j < count; ++j) {
        const std::size_t l = lag + j, n = l < x.size() ? x.size() - l : 0;
        out[j] = dot_d(x.first(n), x.subspan(std::min(l, x.size()), n));
    }
}

// Largest |x| (0 for an empty span; no NaN in x), four lanes at a time. In GCC's vector
// extensions, |x| by clearing the sign bit: written with scalar compares the loop did not
// vectorise, and the branch on each sample's sign was mispredicted half the time on audio.
inline float peak_abs(std::span<const float> x) {
    using v4i = std::int32_t __attribute__((vector_size(16)));
    using v4f = float __attribute__((vector_size(16)));
    const v4i magnitude = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    v4f acc = {0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 4 <= x.size(); i += 4) {
        v4i bits;
        std::memcpy(&bits, x.data() + i, sizeof bits);
        bits &= magnitude;
        v4f a;
        std::memcpy(&a, &bits, sizeof a);
        acc = acc < a ? a : acc;
    }
    float m = acc[0] < acc[1] ? acc[1] : acc[0];
    m = m < acc[2] ? acc[2] : m;
    m = m < acc[3] ? acc[3] : m;
    for (; i < x.size(); ++i) {
        const float a = std::bit_cast<float>(std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu);
        m = m < a ? a : m;
    }
    return m;
}

// The largest of `init` and the values (none NaN), four lanes at a time.
inline float max_of(std::span<const float> x, float init) {
    float acc[4] = {init, init, init, init};
    std::size_t i = 0;
    for (; i + 4 <= x.size(); i += 4)
        for (std::size_t k = 0; k < 4; ++k) acc[k] = acc[k] < x[i + k] ? x[i + k] : acc[k];
    for (; i < x.size(); ++i) acc[0] = acc[0] < x[i] ? x[i] : acc[0];
    const float m01 = acc[0] < acc[1] ? acc[1] : acc[0], m23 = acc[2] < acc[3] ? acc[3] : acc[2];
    return m01 < m23 ? m23 : m01;
}

struct SampleCounts {
    std::int64_t nonfinite = 0;   // NaN or infinite, replaced by 0
    std::int64_t full_scale = 0;  // finite with |x| >= the clip level
};

// Replaces NaN and infinite samples by 0 in place and counts them, and the samples at or over
// `clip_level`. Four at a time on the float's bits (exponent all ones: not finite), in GCC's
// vector extensions as biquad.hpp does, since the loop does not auto-vectorise.
// For blocks under 2^31 samples (the detector passes a chunk at a time).
inline SampleCounts sanitise(std::span<float> x, float clip_level) {
    using v4i = std::int32_t __attribute__((vector_size(16)));
    using v4f = float __attribute__((vector_size(16)));
    const v4i exponent = {0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000};
    const v4i magnitude = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    const v4f clip = {clip_level, clip_level, clip_level, clip_level};
    v4i bad_lanes = {0, 0, 0, 0}, full_lanes = {0, 0, 0, 0};  // minus the count per lane
    float* p = x.data();
    std::size_t i = 0;
    for (; i + 4 <= x.size(); i += 4) {
        v4i bits;
        std::memcpy(&bits, p + i, sizeof bits);
        const v4i bad = (bits & exponent) == exponent;  // -1 where not finite
        bits &= ~bad;                                   // those read as +0
        v4f magnitude_f;
        const v4i abs_bits = bits & magnitude;
        std::memcpy(&magnitude_f, &abs_bits, sizeof magnitude_f);
        bad_lanes += bad;
        full_lanes += magnitude_f >= clip;
        std::memcpy(p + i, &bits, sizeof bits);
    }
    std::int64_t nonfinite = -static_cast<std::int64_t>(bad_lanes[0] + bad_lanes[1] + bad_lanes[2] + bad_lanes[3]);
    std::int64_t full_scale = -static_cast<std::int64_t>(full_lanes[0] + full_lanes[1] + full_lanes[2] + full_lanes[3]);
    for (; i < x.size(); ++i) {
        const bool bad = (std::bit_cast<std::uint32_t>(p[i]) & 0x7f800000u) == 0x7f800000u;
        if (bad) p[i] = 0.0f;
        nonfinite += bad;
        full_scale += p[i] >= clip_level || p[i] <= -clip_level;
    }
    return {nonfinite, full_scale};
}

}  // namespace popwatch

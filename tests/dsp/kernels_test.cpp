#include "dsp/kernels.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace popwatch;

TEST_CASE("sanitise zeroes and counts NaN and infinities and counts full-scale samples", "[dsp][kernels]") {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> x{0.5f, nan, -inf, inf, 1.0f, -0.9995f, 0.998f, -nan, 1e-40f, 0.0f, 2.0f};
    const SampleCounts c = sanitise(x, 0.999f);
    CHECK(c.nonfinite == 4);
    CHECK(c.full_scale == 3);  // 1.0, -0.9995 and 2.0
    CHECK(x == std::vector<float>{0.5f, 0, 0, 0, 1.0f, -0.9995f, 0.998f, 0, 1e-40f, 0.0f, 2.0f});
}

TEST_CASE("dot and sum_of_squares match a plain sum at every length", "[dsp][kernels]") {
    for (std::size_t n = 0; n < 11; ++n) {
        std::vector<float> a(n), b(n);
        double expected = 0, squares = 0;
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = 0.25f * static_cast<float>(i) - 1, b[i] = 0.5f * static_cast<float>(i % 3);
            expected += static_cast<double>(a[i]) * b[i], squares += static_cast<double>(a[i]) * a[i];
        }
        INFO("n " << n);
        CHECK(dot(a, b) == Approx(expected).margin(1e-6));
        CHECK(sum_of_squares(a) == Approx(squares).margin(1e-6));
    }
}

TEST_CASE("the products at consecutive lags are dot_d's and dot's at each lag bit for bit", "[dsp][kernels]") {
    std::vector<float> x(45);
    std::uint32_t state = 12345;
    for (float& v : x) {  // pseudo-random, over 40 octaves: sums whose order shows in the last bits
        state = state * 1664525u + 1013904223u;
        v = std::ldexp(static_cast<float>(state >> 8) / 16777216.0f - 0.5f, static_cast<int>(state % 41) - 20);
    }
    std::vector<double> out(50), scratch(x.size());
    for (std::size_t m : {0, 1, 3, 4, 7, 8, 13, 30, 45}) {
        const std::span<const float> s(x.data(), m);
        for (std::size_t lag = 0; lag <= m + 1; ++lag) {
            for (std::size_t count : {0, 1, 3, 4, 5, 9, 17}) {
                for (bool avx : {false, true}) {  // the AVX path only where the CPU has it
                    if (avx && !kernels_avx_available()) continue;
                    std::fill(out.begin(), out.end(), -1.0);
                    lagged_dots_d(s, lag, count, out.data(), scratch.data(), avx);
                    for (std::size_t j = 0; j < count; ++j) {
                        const std::size_t l = lag + j, n = l < m ? m - l : 0;
                        INFO("m " << m << " lag " << l << " count " << count << " avx " << avx);
                        CHECK(out[j] == dot_d(s.first(n), s.subspan(std::min(l, m), n)));
                    }
                    CHECK(out[count] == -1.0);  // nothing written past the last lag
                }
                std::vector<float> single(50, -1.0f);  // the same in float, as dot sums it
                lagged_dots(s, lag, count, single.data());
                for (std::size_t j = 0; j < count; ++j) {
                    const std::size_t l = lag + j, n = l < m ? m - l : 0;
                    INFO("float: m " << m << " lag " << l << " count " << count);
                    CHECK(single[j] == dot(s.first(n), s.subspan(std::min(l, m), n)));
                }
                CHECK(single[count] == -1.0f);
            }
        }
    }
}

TEST_CASE("max_of is the largest value or the floor at every length", "[dsp][kernels]") {
    const std::vector<float> x{-90.5f, -120, -30.25f, -200, -31, -29.5f, -150, -60, -29.75f, -45, -300};
    for (std::size_t n = 0; n <= x.size(); ++n) {
        INFO("n " << n);
        const float expected = n ? std::max(-250.0f, *std::max_element(x.begin(), x.begin() + n)) : -250.0f;
        CHECK(max_of({x.data(), n}, -250.0f) == expected);
    }
    CHECK(max_of({x.data() + 10, 1}, -250.0f) == -250.0f);  // nothing over the floor
}

TEST_CASE("peak_abs is the largest magnitude at every length and either sign", "[dsp][kernels]") {
    const std::vector<float> x{-0.0f, 0.25f, -0.75f, 0.5f, -1e-30f, 0.125f, -0.875f, 0.0f, 0.8f, -0.9f, 0.3f};
    for (std::size_t n = 0; n <= x.size(); ++n) {
        float expected = 0;
        for (std::size_t i = 0; i < n; ++i) expected = std::max(expected, std::abs(x[i]));
        INFO("n " << n);
        CHECK(peak_abs({x.data(), n}) == expected);
    }
}

#include "dsp/kernels.hpp"

#include <catch2/catch.hpp>
#include <cmath>
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

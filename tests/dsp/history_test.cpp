#include "dsp/history.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace popwatch;

TEST_CASE("a history copy reads what at() reads: across the wrap and where nothing is held", "[dsp][history]") {
    History<float> h(16, -1.0f);  // capacity 16
    for (int i = 0; i < 27; ++i) h.push(static_cast<float>(i));
    REQUIRE(h.begin() == 11);
    for (std::int64_t start : {-3, 0, 9, 11, 12, 15, 20, 25, 30}) {
        for (std::size_t n : {0, 1, 5, 16, 20}) {
            std::vector<float> out(n, 99.0f);
            h.copy(start, out);
            for (std::size_t k = 0; k < n; ++k) {
                INFO("start " << start << " n " << n << " k " << k);
                CHECK(out[k] == h.at(start + static_cast<std::int64_t>(k)));
            }
        }
    }
    std::vector<float> wrapped(6);
    h.copy(14, wrapped);  // indices 14..19 sit at buffer slots 14, 15, 0, 1, 2, 3
    CHECK(wrapped == std::vector<float>{14, 15, 16, 17, 18, 19});
}

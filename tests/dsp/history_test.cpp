#include "dsp/history.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <span>
#include <vector>

#include "dsp/features.hpp"

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

TEST_CASE("a history's runs are what at() reads: across the wrap and none where nothing is held", "[dsp][history]") {
    History<float> h(16, -1.0f);
    for (int i = 0; i < 27; ++i) h.push(static_cast<float>(i));
    for (std::int64_t start : {-3, 9, 11, 12, 15, 20, 25, 26, 27}) {
        for (std::int64_t n : {0, 1, 5, 16, 17}) {
            std::span<const float> a, b;
            const bool held = h.runs(start, n, a, b);
            INFO("start " << start << " n " << n);
            CHECK(held == (n > 0 && start >= h.begin() && start + n <= h.end()));
            if (!held) continue;
            CHECK(static_cast<std::int64_t>(a.size() + b.size()) == n);
            for (std::int64_t k = 0; k < n; ++k) {
                const auto i = static_cast<std::size_t>(k);
                CHECK((i < a.size() ? a[i] : b[i - a.size()]) == h.at(start + k));
            }
        }
    }
}

TEST_CASE("cell powers read from the cache are the conversion's bit for bit", "[dsp][history]") {
    // As the detector reads them: cells pushed as the audio goes, windows of later candidates
    // overlapping earlier ones, some starting before the history or reaching past its end, and
    // jumps after a quiet spell.
    History<float> db(64, -200.0f);
    CellPowers cache(64);
    std::uint32_t state = 7;
    const auto next = [&](std::uint32_t range) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % range;
    };
    int checked = 0;
    for (int step = 0; step < 400; ++step) {
        for (std::uint32_t k = next(12); k > 0; --k) db.push(-90.0f + 0.37f * static_cast<float>(next(200)));
        const std::int64_t to = db.end() - static_cast<std::int64_t>(next(20)) + 3;
        const std::int64_t from = to - static_cast<std::int64_t>(next(70));
        const std::span<const float> got = cache.read(db, from, to);
        REQUIRE(static_cast<std::int64_t>(got.size()) == std::max<std::int64_t>(0, to - from));
        for (std::int64_t c = from; c < to; ++c, ++checked) {
            INFO("step " << step << " cell " << c << " held " << db.begin() << "-" << db.end());
            CHECK(got[static_cast<std::size_t>(c - from)] == std::exp(db.at(c) * 0.2302585093f));
        }
    }
    CHECK(checked > 10000);
}

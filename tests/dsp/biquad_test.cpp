#include "dsp/biquad.hpp"

#include <catch2/catch.hpp>
#include <cstring>

#include "test_signals.hpp"

using namespace popwatch;

TEST_CASE("the block-vectorised biquad equals the sample-by-sample recursion", "[dsp][biquad]") {
    for (double fs : {8000.0, 48000.0, 192000.0}) {
        auto x = test::noise(0.2, fs, 0.3f);
        x[100] += 1.0f;
        auto block = x, scalar = x;
        Biquad a = Biquad::highpass(40, fs), b = Biquad::highpass(40, fs);
        // Uneven chunks, so blocks straddle chunk edges and the scalar tail is used too.
        const std::size_t chunks[] = {13, 1, 8, 61, 7, 16, 3, 200};
        for (std::size_t i = 0, k = 0; i < block.size(); ++k) {
            const std::size_t n = std::min(chunks[k % 8], block.size() - i);
            a.process(std::span<float>(block).subspan(i, n));
            i += n;
        }
        for (float& s : scalar) s = b(s);
        for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(block[i] == Approx(scalar[i]).margin(1e-5));
    }
}

TEST_CASE("the high-pass removes DC and passes pop frequencies", "[dsp][biquad]") {
    const double fs = 48000;
    std::vector<float> dc(48000, 0.5f);
    Biquad hp = Biquad::highpass(40, fs);
    hp.process(dc);
    CHECK(std::abs(dc.back()) < 1e-4f);
    std::vector<float> tone(48000);
    test::add_ring(tone, fs, 0, 1.0f, 215, 1e9);  // a steady 215 Hz tone (spinal pop median)
    Biquad hp2 = Biquad::highpass(40, fs);
    hp2.process(tone);
    float peak = 0;
    for (std::size_t i = 24000; i < tone.size(); ++i) peak = std::max(peak, std::abs(tone[i]));
    CHECK(peak == Approx(1.0).margin(0.05));
}

TEST_CASE("the eight-lane (AVX) block path gives the four-lane one's floats bit for bit", "[dsp][biquad]") {
    if (!Biquad::avx_available()) SUCCEED("no AVX on this machine: only the four-lane path runs");
    for (double fs : {16000.0, 48000.0}) {
        auto x = test::noise(0.5, fs, 0.3f);
        x[1000] += 1.0f;
        auto four = x, eight = x;
        Biquad a = Biquad::highpass(80, fs), b = Biquad::highpass(80, fs);
        for (std::size_t i = 0; i < x.size(); i += 1000) {
            const std::size_t n = std::min<std::size_t>(1000, x.size() - i);
            a.process(std::span<float>(four).subspan(i, n), false);
            b.process(std::span<float>(eight).subspan(i, n), Biquad::avx_available());
        }
        REQUIRE(std::memcmp(four.data(), eight.data(), four.size() * sizeof(float)) == 0);
    }
}

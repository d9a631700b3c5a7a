#include "capture/ring.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <numeric>
#include <thread>
#include <vector>

using popwatch::SampleRing;

TEST_CASE("ring capacity is rounded up to a power of two", "[capture][ring]") {
    CHECK(SampleRing(1000).capacity() == 1024);
    CHECK(SampleRing(1024).capacity() == 1024);
    CHECK(SampleRing(0).capacity() == 2);
}

TEST_CASE("ring returns what was written, in order, across the wrap", "[capture][ring]") {
    SampleRing ring(8);
    std::vector<float> out(8);
    float next_in = 0, next_out = 0;
    for (int round = 0; round < 10; ++round) {  // 5 in, 5 out: the indices wrap every other round
        std::vector<float> in(5);
        std::iota(in.begin(), in.end(), next_in);
        REQUIRE(ring.write(in) == 5);
        next_in += 5;
        CHECK(ring.available() == 5);
        REQUIRE(ring.read(out) == 5);
        for (int i = 0; i < 5; ++i) CHECK(out[static_cast<std::size_t>(i)] == next_out++);
    }
    CHECK(ring.overruns() == 0);
    CHECK(ring.read(out) == 0);
}

TEST_CASE("a full ring counts the samples it could not hold", "[capture][ring]") {
    SampleRing ring(8);
    std::vector<float> in(6, 1.0f);
    CHECK(ring.write(in) == 6);
    CHECK(ring.write(in) == 2);  // 2 fit, 4 counted
    CHECK(ring.overruns() == 4);
    CHECK(ring.write(in) == 0);
    CHECK(ring.overruns() == 10);
    std::vector<float> out(16);
    CHECK(ring.read(out) == 8);
    CHECK(ring.available() == 0);
}

TEST_CASE("ring moves whole frames only, so channels never slip", "[capture][ring]") {
    SampleRing ring(8);
    const std::vector<float> stereo{1, -1, 2, -2, 3, -3};  // 3 frames of 2 channels
    CHECK(ring.write(stereo, 2) == 6);
    CHECK(ring.write(stereo, 2) == 2);  // one frame fits, two are counted (4 samples)
    CHECK(ring.overruns() == 4);
    std::vector<float> out(3);  // room for 1.5 frames: reads one
    CHECK(ring.read(out, 2) == 2);
    CHECK(out[0] == 1);
    CHECK(out[1] == -1);
}

// The producer writes irregular bursts (like audio callbacks), the consumer reads irregular
// blocks; every sample must arrive once, in order, and nothing may be lost while there is room.
TEST_CASE("ring under two threads delivers every sample in order", "[capture][ring]") {
    constexpr std::uint64_t total = 4'000'000;
    SampleRing ring(4096);
    std::uint64_t written = 0;
    std::thread producer([&] {
        std::vector<float> burst(700);
        std::uint64_t next = 0, k = 0;
        while (next < total) {
            const std::size_t n = std::min<std::uint64_t>(1 + (k++ * 7919) % burst.size(), total - next);
            for (std::size_t i = 0; i < n; ++i) burst[i] = static_cast<float>((next + i) % 16777216);
            const std::size_t w = ring.write({burst.data(), n});
            next += w;  // retry the rest: this test wants every sample, so it waits instead of losing
            written += w;
            if (w < n) std::this_thread::yield();
        }
    });
    std::vector<float> block(513);
    std::uint64_t expect = 0, k = 0;
    bool in_order = true;
    while (expect < total) {
        const std::size_t want = 1 + (k++ * 104729) % block.size();
        const std::size_t got = ring.read({block.data(), want});
        for (std::size_t i = 0; i < got; ++i, ++expect)
            in_order = in_order && block[i] == static_cast<float>(expect % 16777216);
        if (got == 0) std::this_thread::yield();
    }
    producer.join();
    CHECK(in_order);
    CHECK(expect == total);
    CHECK(written == total);
    CHECK(ring.available() == 0);
}

TEST_CASE("ring overruns under two threads add up with what arrived", "[capture][ring]") {
    // A producer that never waits (an audio callback) against a slow consumer: what arrives plus
    // what was counted as overrun is exactly what was offered, and what arrives is in order.
    constexpr std::uint64_t total = 256 * 8000;
    SampleRing ring(1024);
    std::atomic<bool> done{false};
    std::thread producer([&] {
        std::vector<float> burst(256);
        for (std::uint64_t next = 0; next < total; next += burst.size()) {
            for (std::size_t i = 0; i < burst.size(); ++i) burst[i] = static_cast<float>(next + i);
            ring.write(burst);
        }
        done = true;
    });
    std::vector<float> block(64);
    std::uint64_t received = 0;
    float last = -1;
    bool increasing = true;
    for (;;) {
        const bool finished = done.load();
        const std::size_t got = ring.read(block);
        for (std::size_t i = 0; i < got; ++i) increasing = increasing && block[i] > last, last = block[i];
        received += got;
        if (got == 0 && finished) break;
    }
    producer.join();
    CHECK(increasing);
    CHECK(received + ring.overruns() == total);
}

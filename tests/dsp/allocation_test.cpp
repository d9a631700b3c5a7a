// The detector's hot path allocates nothing: process() on blocks full of transients, measured by
// counting calls to the global operator new while it runs.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "dsp/detector.hpp"
#include "test_signals.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
// The nothrow forms too: every form of new must come from malloc, since every delete is free
// (otherwise ASan's own nothrow new meets this free: an alloc-dealloc mismatch in Catch).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace popwatch;

TEST_CASE("Detector::process allocates nothing once constructed", "[dsp][realtime]") {
    const double fs = 48000;
    auto x = test::noise(6, fs, 0.002f);
    for (double t = 0.2; t < 5.8; t += 0.13) test::add_pop(x, fs, t, 0.2f);  // a busy stream
    test::add_clunk(x, fs, 3.0);
    Detector detector({}, fs, 1);
    std::size_t events = 0;
    const EventHandler count = [&](const Event&) { ++events; };
    detector.process({x.data(), 48000}, count);  // first second: one-time model loading happens here
    allocations = 0;
    counting = true;
    for (std::size_t i = 48000; i < x.size(); i += 480)
        detector.process({x.data() + i, std::min<std::size_t>(480, x.size() - i)}, count);
    counting = false;
    CHECK(events > 30);
    CHECK(allocations.load() == 0);
}

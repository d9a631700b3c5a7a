// Fuzzes the label readers (CSV and Audacity label tracks, and the confounders CSV): whatever the
// bytes, they return events or throw std::runtime_error naming the file and line; nothing else.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "datasets/labels.hpp"
#include "fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const popwatch::fuzz::MemoryFile file(data, size);
    try {
        const auto events = popwatch::read_labels(file.path());
        for (std::size_t i = 0; i < events.size(); ++i) {
            // What the reader promises: finite times, sorted, kinds pop or clunk.
            if (!std::isfinite(events[i].time_s)) std::abort();
            if (i > 0 && events[i].time_s < events[i - 1].time_s) std::abort();
            if (events[i].kind == popwatch::Kind::other) std::abort();
        }
    } catch (const std::runtime_error&) {
    }
    try {
        const auto confounders = popwatch::read_confounders(file.path());
        for (std::size_t i = 1; i < confounders.size(); ++i)
            if (confounders[i].time_s < confounders[i - 1].time_s) std::abort();
    } catch (const std::runtime_error&) {
    }
    return 0;
}

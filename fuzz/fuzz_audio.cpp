// Fuzzes the audio path a user's file takes through `popwatch analyze`: libsndfile's parsers
// (WAV, AIFF, FLAC, Ogg, ... by content), the file source's checks (truncation, zero length,
// odd headers) and the detector on whatever samples come out. Whatever the bytes: a result or a
// one-line error naming the file, never a crash, a hang or unbounded memory.
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "fuzz/fuzz_input.hpp"
#include "tools/analysis.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const popwatch::fuzz::MemoryFile file(data, size);
    const popwatch::FileAnalysis result = popwatch::analyze_file(file.path(), popwatch::DetectorConfig{});
    if (!result.ok() && result.error.find(file.path()) == std::string::npos) std::abort();  // must name the file
    for (const popwatch::Event& e : result.events) {
        if (!std::isfinite(e.time_s) || e.time_s < 0) std::abort();
        if (!(e.confidence >= 0 && e.confidence <= 1)) std::abort();
    }
    return 0;
}

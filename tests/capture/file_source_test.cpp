#include "capture/file_source.hpp"

#include <sndfile.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace popwatch;

namespace {

// Every 16-bit value, then a ramp, as interleaved frames of `channels`.
std::vector<short> every_short(int channels) {
    std::vector<short> x;
    for (int v = -32768; v <= 32767; ++v) x.push_back(static_cast<short>(v));
    for (int i = 0; i < 1000; ++i) x.push_back(static_cast<short>(i * 61 - 30000));
    x.resize(x.size() / static_cast<std::size_t>(channels) * static_cast<std::size_t>(channels));
    return x;
}

std::string write(const std::string& name, int format, int channels, const std::vector<short>& x) {
    const std::string path = (std::filesystem::temp_directory_path() / name).string();
    SF_INFO info{};
    info.samplerate = 48000;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    REQUIRE(f != nullptr);
    REQUIRE(sf_write_short(f, x.data(), static_cast<sf_count_t>(x.size())) == static_cast<sf_count_t>(x.size()));
    sf_close(f);
    return path;
}

// What libsndfile's own float conversion gives for the file.
std::vector<float> libsndfile_floats(const std::string& path) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    REQUIRE(f != nullptr);
    sf_command(f, SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
    std::vector<float> x(static_cast<std::size_t>(info.frames * info.channels));
    REQUIRE(sf_readf_float(f, x.data(), info.frames) == info.frames);
    sf_close(f);
    return x;
}

// FileSource's samples, read in blocks of 1000 frames (not a multiple of anything in the file).
std::vector<float> read_all(const std::string& path) {
    FileSource source(path);
    std::vector<float> all, block(1000 * static_cast<std::size_t>(source.channels()));
    while (const std::size_t n = source.read(block))
        all.insert(all.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n * source.channels()));
    return all;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("16-bit files read as the same floats as libsndfile's own conversion", "[capture][file]") {
    const struct {
        const char* name;
        int format;
        int channels;
    } cases[] = {{"popwatch-pcm16-mono.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1},
                 {"popwatch-pcm16-stereo.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2},
                 {"popwatch-pcm16-big-endian.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 3},
                 {"popwatch-pcm16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1},
                 {"popwatch-pcm24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 2}};
    for (const auto& c : cases) {
        INFO(c.name);
        const std::string path = write(c.name, c.format, c.channels, every_short(c.channels));
        const std::vector<float> ours = read_all(path), theirs = libsndfile_floats(path);
        CHECK(ours.size() == every_short(c.channels).size());
        CHECK(bit_identical(ours, theirs));
        CHECK(ours.front() == -1.0f);  // -32768 is full scale
        std::filesystem::remove(path);
    }
}

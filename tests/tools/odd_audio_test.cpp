// Odd audio through `popwatch analyze` (issue #7): every sample format and channel layout a user
// may hand it, DC offset, full-scale clipping, silence, and a file still being written. The same
// three pops must come out of each, at the same times, or a clear reason must.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

#include "../dsp/test_signals.hpp"
#include "cli_support.hpp"

using namespace popwatch;

namespace {

const std::vector<double> pop_times{0.8, 1.9, 4.4};  // seconds

std::vector<float> three_pops(double fs, float floor_rms = 0.002f) {
    auto x = test::noise(6.0, fs, floor_rms);
    for (double t : pop_times) test::add_pop(x, fs, t, 0.3f, std::min(1800.0, fs / 5));
    return x;
}

// The pop rows of analyze's CSV: their times.
std::vector<double> pop_rows(const std::string& csv) {
    std::vector<double> times;
    for (const auto& line : test::lines(csv)) {
        double t = 0;
        char kind[16] = {};
        const auto comma = line.find(',');
        if (comma == std::string::npos) continue;
        if (std::sscanf(line.c_str() + comma + 1, "%lf,%*f,%15[a-z]", &t, kind) == 2 && std::string(kind) == "pop")
            times.push_back(t);
    }
    return times;
}

void require_the_three_pops(const test::Run& r) {
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto times = pop_rows(r.out);
    REQUIRE(times.size() == pop_times.size());
    for (std::size_t i = 0; i < times.size(); ++i) CHECK(std::abs(times[i] - pop_times[i]) < 0.002);
}

}  // namespace

TEST_CASE("odd audio: 8-, 16-, 24-, 32-bit integer and 32-, 64-bit float files give the same pops",
          "[cli][odd-audio]") {
    const auto dir = test::scratch_dir("odd-formats");
    const auto x = three_pops(48000);
    const std::pair<const char*, int> formats[] = {
        {"u8", SF_FORMAT_WAV | SF_FORMAT_PCM_U8},    {"s16", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
        {"s24", SF_FORMAT_WAV | SF_FORMAT_PCM_24},   {"s32", SF_FORMAT_WAV | SF_FORMAT_PCM_32},
        {"f32", SF_FORMAT_WAV | SF_FORMAT_FLOAT},    {"f64", SF_FORMAT_WAV | SF_FORMAT_DOUBLE},
        {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16}, {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16},
    };
    for (const auto& [name, format] : formats) {
        SECTION(name) {
            // 8-bit has a 48 dB dynamic range: give it a floor it can represent.
            const auto signal = std::string(name) == "u8" ? three_pops(48000, 0.01f) : x;
            const auto path = dir / (std::string(name) + (std::string(name) == "flac"   ? ".flac"
                                                          : std::string(name) == "aiff" ? ".aiff"
                                                                                        : ".wav"));
            test::write_wav(path, signal, 48000, 1, format);
            require_the_three_pops(test::popwatch("analyze --format csv " + path.string(), dir));
        }
    }
}

TEST_CASE("odd audio: 1 to 8 channels, the pop on the last channel", "[cli][odd-audio]") {
    const auto dir = test::scratch_dir("odd-channels");
    const auto mono = three_pops(16000);
    for (int channels : {1, 2, 3, 6, 8}) {
        DYNAMIC_SECTION(channels << " channels") {
            auto quiet = test::noise(6.0, 16000, 0.002f, 99);
            std::vector<float> x(mono.size() * static_cast<std::size_t>(channels));
            for (std::size_t i = 0; i < mono.size(); ++i)
                for (int c = 0; c < channels; ++c)
                    x[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
                        c == channels - 1 ? mono[i] : quiet[i];
            const auto path = dir / ("ch" + std::to_string(channels) + ".wav");
            test::write_wav(path, x, 16000, channels);
            const auto r = test::popwatch("analyze --format csv " + path.string(), dir);
            require_the_three_pops(r);
            for (const auto& line : test::lines(r.out))
                if (line.find(",pop,") != std::string::npos)
                    CHECK(line.find("," + std::to_string(channels) + ",unknown,") != std::string::npos);  // 1-based
        }
    }
}

TEST_CASE("odd audio: a large DC offset does not hide the pops or make new ones", "[cli][odd-audio]") {
    const auto dir = test::scratch_dir("odd-dc");
    auto x = three_pops(44100);
    for (float& v : x) v += 0.4f;  // a sensor with a bad bias: the pops still fit under full scale
    const auto path = dir / "dc.wav";
    test::write_wav(path, x, 44100, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    require_the_three_pops(test::popwatch("analyze --format csv " + path.string(), dir));
}

TEST_CASE("odd audio: full-scale clipping and silence: no crash, nothing invented", "[cli][odd-audio]") {
    const auto dir = test::scratch_dir("odd-clip");
    SECTION("a clipped square wave (an overloaded input)") {
        std::vector<float> x(48000 * 4);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i / 240) % 2 ? 1.0f : -1.0f;  // 100 Hz, full scale
        test::write_wav(dir / "clipped.wav", x, 48000);
        const auto r = test::popwatch("analyze --format csv " + (dir / "clipped.wav").string(), dir);
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(pop_rows(r.out).empty());  // a steady wave has no pops, however loud
    }
    SECTION("pops clipped at full scale are still pops") {
        auto x = three_pops(48000);
        for (float& v : x) v = std::clamp(v * 6, -1.0f, 1.0f);
        test::write_wav(dir / "hot.wav", x, 48000);
        require_the_three_pops(test::popwatch("analyze --format csv " + (dir / "hot.wav").string(), dir));
    }
    SECTION("digital silence") {
        test::write_wav(dir / "silence.wav", std::vector<float>(48000 * 3, 0.0f), 48000);
        const auto r = test::popwatch("analyze --format csv " + (dir / "silence.wav").string(), dir);
        CHECK(r.code == 0);
        CHECK(test::lines(r.out).size() == 1);  // the header only
    }
}

TEST_CASE("odd audio: a WAV still being written is read up to where it ends, and says so", "[cli][odd-audio]") {
    // A recorder writing a WAV leaves the header's sizes as placeholders until it closes the file.
    // analyze reads what is there when it opens the file, reports the pops in it, and flags the
    // file as cut short (exit 3) rather than guessing.
    const auto dir = test::scratch_dir("odd-growing");
    const auto x = three_pops(16000);
    const auto complete = dir / "complete.wav", growing = dir / "growing.wav";
    test::write_wav(complete, x, 16000);
    std::string bytes = test::slurp(complete);
    REQUIRE(bytes.substr(36, 4) == "data");
    const std::uint32_t big = 0x7ffff000;  // arecord-style placeholder sizes
    std::memcpy(bytes.data() + 4, &big, 4);
    std::memcpy(bytes.data() + 40, &big, 4);
    std::ofstream(growing, std::ios::binary) << bytes;
    const auto r = test::popwatch("analyze --format csv " + growing.string(), dir);
    CHECK(r.code == 3);
    CHECK(r.err.find("growing.wav") != std::string::npos);
    CHECK(r.err.find("truncated") != std::string::npos);
    CHECK(pop_rows(r.out).size() == pop_times.size());
}

// Small deterministic signals for the DSP tests: noise floors, a synthetic pop (a sharp
// excitation through a damped mode), a clunk, a click.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

namespace popwatch::test {

inline std::vector<float> noise(double seconds, double fs, float rms, std::uint32_t seed = 7) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0, rms);
    std::vector<float> x(static_cast<std::size_t>(seconds * fs));
    for (float& v : x) v = n(rng);
    return x;
}

// Adds a damped sinusoid starting exactly at `onset_s`: a pop when short, a clunk when long and low.
inline void add_ring(std::vector<float>& x, double fs, double onset_s, float amplitude, double freq_hz, double tau_s,
                     double rise_s = 0) {
    const auto start = static_cast<std::size_t>(std::lround(onset_s * fs));
    const auto len = static_cast<std::size_t>(10 * tau_s * fs + rise_s * fs);
    for (std::size_t i = 0; i < len && start + i < x.size(); ++i) {
        const double t = static_cast<double>(i) / fs;
        const double attack = rise_s > 0 ? std::min(1.0, t / rise_s) : 1.0;
        x[start + i] += static_cast<float>(amplitude * attack * std::exp(-t / tau_s) *
                                           std::sin(2 * std::numbers::pi * freq_hz * t));
    }
}

inline void add_pop(std::vector<float>& x, double fs, double onset_s, float amplitude = 0.3f, double freq_hz = 1800) {
    add_ring(x, fs, onset_s, amplitude, freq_hz, 0.0012);  // -20 dB after ~5.5 ms
    add_ring(x, fs, onset_s, amplitude * 0.3f, freq_hz * 2.3, 0.0006);
}

inline void add_clunk(std::vector<float>& x, double fs, double onset_s, float amplitude = 0.3f) {
    add_ring(x, fs, onset_s, amplitude, 110, 0.03, 0.003);  // 110 Hz, rings ~70 ms, 3 ms attack
}

}  // namespace popwatch::test

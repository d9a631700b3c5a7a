#include "dsp/spectrum.hpp"

#include <kiss_fftr.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace popwatch {

PowerSpectrum::PowerSpectrum(std::size_t frame_size, double sample_rate)
    : window_(frame_size),
      windowed_(frame_size),
      spectrum_(2 * (frame_size / 2 + 1)),
      bin_hz_(sample_rate / static_cast<double>(frame_size)) {
    if (frame_size < 4 || frame_size % 2) throw std::invalid_argument("FFT frame size must be even");
    fft_ = kiss_fftr_alloc(static_cast<int>(frame_size), 0, nullptr, nullptr);
    if (!fft_) throw std::bad_alloc();
    for (std::size_t i = 0; i < frame_size; ++i)  // periodic Hann
        window_[i] = static_cast<float>(
            0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(frame_size)));
}

PowerSpectrum::~PowerSpectrum() { kiss_fftr_free(fft_); }

void PowerSpectrum::operator()(std::span<const float> frame, std::span<float> power) {
    for (std::size_t i = 0; i < window_.size(); ++i) windowed_[i] = frame[i] * window_[i];
    auto* out = reinterpret_cast<kiss_fft_cpx*>(spectrum_.data());
    kiss_fftr(fft_, windowed_.data(), out);
    for (std::size_t k = 0; k < bins(); ++k) power[k] = out[k].r * out[k].r + out[k].i * out[k].i;
}

SpectralShape spectral_shape(std::span<const float> power, double bin_hz, double min_hz) {
    constexpr double tiny = 1e-30;
    double total = 0, weighted = 0, low = 0, mid = 0, high = 0, top = 0;
    std::size_t n = 0;
    const auto first = static_cast<std::size_t>(std::ceil(min_hz / bin_hz));
    for (std::size_t k = std::max<std::size_t>(first, 1); k < power.size(); ++k) {
        const double p = power[k], f = static_cast<double>(k) * bin_hz;
        total += p;
        weighted += p * f;
        if (f < 500) low += p;
        if (f >= 500 && f <= 2000) mid += p;
        if (f > 2000) high += p;
        if (f > 6000) top += p;
        ++n;
    }
    SpectralShape s;
    if (total <= tiny || n == 0) return s;
    const double centroid = weighted / total;
    double var = 0;
    for (std::size_t k = std::max<std::size_t>(first, 1); k < power.size(); ++k) {
        const double d = static_cast<double>(k) * bin_hz - centroid;
        var += power[k] * d * d;
    }
    s.centroid_hz = static_cast<float>(centroid);
    s.spread_hz = static_cast<float>(std::sqrt(var / total));
    s.low_db = static_cast<float>(10 * std::log10((low + tiny) / total));
    s.high_db = static_cast<float>(10 * std::log10((high + tiny) / total));
    s.mid_db = static_cast<float>(10 * std::log10((mid + tiny) / total));
    s.top_db = static_cast<float>(10 * std::log10((top + tiny) / total));
    return s;
}

std::size_t frame_size_for(double frame_ms, double sample_rate) {
    const double want = frame_ms * 1e-3 * sample_rate;
    std::size_t n = 32;
    while (static_cast<double>(n) * 1.414 < want) n *= 2;
    return n;
}

}  // namespace popwatch

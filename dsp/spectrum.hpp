// Power spectrum of one Hann-windowed frame on KissFFT's real FFT, and the shape measures the
// classifier uses (centroid, spread, band balance). Allocates only at construction.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

struct kiss_fftr_state;

namespace popwatch {

class PowerSpectrum {
   public:
    PowerSpectrum(std::size_t frame_size, double sample_rate);  // frame_size even
    ~PowerSpectrum();
    PowerSpectrum(const PowerSpectrum&) = delete;
    PowerSpectrum& operator=(const PowerSpectrum&) = delete;

    std::size_t frame_size() const { return window_.size(); }
    std::size_t bins() const { return window_.size() / 2 + 1; }
    double bin_hz() const { return bin_hz_; }

    // frame.size() == frame_size(); writes bins() power values (|X_k|^2 of the windowed frame).
    void operator()(std::span<const float> frame, std::span<float> power);

   private:
    kiss_fftr_state* fft_ = nullptr;
    std::vector<float> window_, windowed_;
    std::vector<float> spectrum_;  // interleaved complex, bins() pairs
    double bin_hz_;
};

struct SpectralShape {
    float centroid_hz = 0;
    float spread_hz = 0;
    float low_db = 0;   // energy below 500 Hz over total
    float high_db = 0;  // energy above 2 kHz over total
    float mid_db = 0;   // energy 500 Hz - 2 kHz over total
    float top_db = 0;   // energy above 6 kHz over total
};

// Shape of a power spectrum, ignoring bins below `min_hz` (the high-pass region).
SpectralShape spectral_shape(std::span<const float> power, double bin_hz, double min_hz);

// Frame size for a frame of about `frame_ms`: a power of two (KissFFT's fast path), at least 32.
std::size_t frame_size_for(double frame_ms, double sample_rate);

}  // namespace popwatch

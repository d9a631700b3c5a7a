#include "dsp/dual.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace popwatch {
namespace {

constexpr int band_count = 5;  // <500 Hz, 0.5-2 kHz, 2-6 kHz, >6 kHz, whole band
constexpr float floor_db = -200;
constexpr double lag_min_ms = -2, lag_max_ms = 5, lag_step_ms = 1;

float to_db(double p) { return static_cast<float>(10 * std::log10(p + 1e-20)); }

}  // namespace

AirMeter::AirMeter(double sample_rate, std::size_t frame_size, std::size_t cell_samples)
    : fs_(sample_rate),
      cell_(static_cast<std::int64_t>(cell_samples)),
      spectrum_(frame_size, sample_rate),
      frame_(frame_size),
      power_(spectrum_.bins()) {}

void AirMeter::clear(Features& f) {
    for (std::size_t i = Features::air_first; i < Features::air_end; ++i)
        f.values[i] = std::numeric_limits<float>::quiet_NaN();
}

// Mean-square per band: |X_k|^2 summed over the band's bins, scaled (Parseval, one-sided, Hann)
// so a stationary signal reads about its mean square, comparable with the tracked background.
void AirMeter::bands(const ChannelHistory& h, std::int64_t start, float* out_db) {
    h.samples.copy(start, frame_);
    spectrum_(frame_, power_);
    const double n = static_cast<double>(frame_.size());
    const double scale = 2 / (n * n * 0.375);  // Hann: mean of w^2 = 3/8
    double e[band_count] = {};
    for (std::size_t k = 1; k < power_.size(); ++k) {
        const double hz = static_cast<double>(k) * spectrum_.bin_hz();
        const int band = hz < 500 ? 0 : hz < 2000 ? 1 : hz < 6000 ? 2 : 3;
        e[band] += power_[k];
        e[4] += power_[k];
    }
    for (int b = 0; b < band_count; ++b) out_db[b] = to_db(e[b] * scale);
}

void AirMeter::measure(const ChannelHistory& body, const ChannelHistory& air, std::int64_t onset_frame, Features& f) {
    const auto n = static_cast<std::int64_t>(frame_.size());
    const std::int64_t start = onset_frame - n / 8;  // like the single features: the attack inside the frame
    const std::int64_t onset_cell = onset_frame / cell_;
    const auto ms = [&](double v) { return static_cast<std::int64_t>(std::lround(v * 1e-3 * fs_)); };

    float body_db[band_count], air_db[band_count], lagged[band_count];
    bands(body, start, body_db);
    std::fill(air_db, air_db + band_count, floor_db);
    for (double lag = lag_min_ms; lag <= lag_max_ms; lag += lag_step_ms) {
        bands(air, start + ms(lag), lagged);
        for (int b = 0; b < band_count; ++b) air_db[b] = std::max(air_db[b], lagged[b]);
    }
    // Each channel against its own background a few cells before the onset: gains cancel.
    const float body_bg = std::max(body.background_db.at(onset_cell - 2), -150.0f);
    const float air_bg = std::max(air.background_db.at(onset_cell - 8), -150.0f);
    const auto ratio = [&](int b) { return std::clamp((body_db[b] - body_bg) - (air_db[b] - air_bg), -80.0f, 80.0f); };
    f[Features::ba_low_db] = ratio(0);
    f[Features::ba_mid_db] = ratio(1);
    f[Features::ba_high_db] = ratio(2);
    f[Features::ba_top_db] = ratio(3);
    f[Features::ba_db] = ratio(4);
    f[Features::air_snr_db] = std::clamp(air_db[4] - air_bg, -40.0f, 100.0f);

    // Arrival order from the gates' own candidates (0.5 ms cells): the nearest air candidate.
    const std::int64_t from = onset_frame - ms(10), to = onset_frame + ms(15);
    float lag = std::numeric_limits<float>::quiet_NaN();
    int around = 0;
    const std::int64_t ctx_from = onset_frame - ms(1000), ctx_to = onset_frame + ms(250), self = ms(15);
    for (std::int64_t i = air.onsets.end() - 1; i >= air.onsets.begin(); --i) {
        const std::int64_t t = air.onsets.at(i);
        if (t < ctx_from) break;
        if (t >= from && t <= to) {
            const auto l = static_cast<float>(static_cast<double>(t - onset_frame) * 1e3 / fs_);
            if (std::isnan(lag) || std::abs(l) < std::abs(lag)) lag = l;
        }
        if (t <= ctx_to && std::abs(t - onset_frame) > self) ++around;
    }
    f[Features::air_lag_ms] = lag;
    f[Features::air_rate_hz] = static_cast<float>(around / 1.25);

    // Air activity before: mean excess of the air's cell level over its background.
    const std::int64_t pre_from = onset_cell - ms(250) / cell_, pre_to = onset_cell - ms(20) / cell_;
    double excess = 0;
    for (std::int64_t c = pre_from; c < pre_to; ++c)
        excess += std::max(0.0f, air.cell_db.at(c) - std::max(air.background_db.at(c), -150.0f));
    f[Features::air_pre_db] =
        static_cast<float>(excess / static_cast<double>(std::max<std::int64_t>(1, pre_to - pre_from)));
}

AirHealth::AirHealth(double sample_rate) : fs_(sample_rate) {}

void AirHealth::update(std::size_t frames, double mean_square, std::int64_t clipped) {
    if (frames == 0) return;
    const double dt = static_cast<double>(frames) / fs_;
    silent_s_ = mean_square < 1e-10 ? silent_s_ + dt : 0;  // -100 dBFS
    const double a = 1 - std::exp(-dt / 1.0);
    clip_share_ += a * (static_cast<double>(clipped) / static_cast<double>(frames) - clip_share_);
    const bool silent = silent_s_ >= 0.5, clipping = clip_share_ > 0.01;
    if (silent || clipping) {
        healthy_s_ = 0;
        if (state_ == AirState::ok) ++fallbacks_;
        state_ = silent ? AirState::silent : AirState::clipped;
    } else if (state_ != AirState::ok) {
        healthy_s_ += dt;
        if (healthy_s_ >= 1.0) state_ = AirState::ok;
    }
    if (state_ == AirState::silent) silent_frames_ += static_cast<std::int64_t>(frames);
    if (state_ == AirState::clipped) clipped_frames_ += static_cast<std::int64_t>(frames);
}

}  // namespace popwatch

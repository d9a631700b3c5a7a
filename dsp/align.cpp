#include "dsp/align.hpp"

#include <kiss_fftr.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <complex>
#include <stdexcept>

#include "dsp/biquad.hpp"

namespace popwatch {

const char* align_state_name(AlignState state) {
    switch (state) {
        case AlignState::searching:
            return "searching";
        case AlignState::locked:
            return "locked";
        case AlignState::lost:
            return "lost";
    }
    return "?";
}

// The correlator's FFT plans and buffers (KissFFT real transforms, allocated once).
struct ClockAligner::Fft {
    explicit Fft(std::size_t n) : size(n), body(n), air(n), corr(n), body_spec(n / 2 + 1), air_spec(n / 2 + 1) {
        forward = kiss_fftr_alloc(static_cast<int>(n), 0, nullptr, nullptr);
        inverse = kiss_fftr_alloc(static_cast<int>(n), 1, nullptr, nullptr);
        if (!forward || !inverse) throw std::runtime_error("ClockAligner: cannot plan the FFT");
    }
    ~Fft() {
        kiss_fftr_free(forward);
        kiss_fftr_free(inverse);
    }
    Fft(const Fft&) = delete;
    Fft& operator=(const Fft&) = delete;

    std::size_t size;
    kiss_fftr_cfg forward = nullptr, inverse = nullptr;
    std::vector<float> body, air, corr;  // time domain, zero-padded to size
    std::vector<kiss_fft_cpx> body_spec, air_spec;
};

namespace {

std::int64_t frames(double seconds, double rate, std::int64_t multiple) {
    const auto n = static_cast<std::int64_t>(std::llround(seconds * rate));
    return std::max<std::int64_t>(multiple, (n + multiple - 1) / multiple * multiple);
}

std::size_t pow2(double n) { return std::bit_ceil(static_cast<std::size_t>(std::max(2.0, std::ceil(n)))); }

}  // namespace

ClockAligner::ClockAligner(AlignConfig config) : config_(config) {
    if (config_.body_rate <= 0 || config_.air_rate <= 0 || config_.body_channels < 1)
        throw std::invalid_argument("ClockAligner: rates and channels must be positive");
    ratio_ = config_.air_rate / config_.body_rate;
    const double rate = config_.body_rate;
    decimation_ = std::max<std::int64_t>(1, std::llround(rate / config_.analysis_hz));
    window_ = frames(config_.window_s, rate, decimation_);
    search_ = frames(config_.search_s, rate, decimation_);
    track_ = std::min(search_, frames(config_.track_s, rate, decimation_));
    hop_ = frames(config_.hop_s, rate, decimation_);
    locked_hop_ = frames(config_.locked_hop_s, rate, decimation_);

    const double wait = config_.max_wait_s * rate;
    fifo_frames_cap_ = static_cast<std::int64_t>(pow2(wait + rate));
    body_fifo_.assign(static_cast<std::size_t>(fifo_frames_cap_) * static_cast<std::size_t>(config_.body_channels), 0);
    body_mono_.assign(pow2(static_cast<double>(window_ + 2 * search_ + hop_) + wait + 2 * rate), 0);
    air_.assign(pow2(config_.air_history_s * config_.air_rate), 0);

    seg_body_.assign(static_cast<std::size_t>(window_), 0);
    seg_air_.assign(static_cast<std::size_t>(window_ + 2 * search_), 0);
    const auto analysis = static_cast<int>((window_ + 2 * search_) / decimation_ + 1);
    fft_ = std::make_unique<Fft>(static_cast<std::size_t>(kiss_fftr_next_fast_size_real(analysis)));
    cand_t_.reserve(static_cast<std::size_t>(std::max(config_.lock_after, config_.relock_after)) + 1);
    cand_u_.reserve(cand_t_.capacity());
}

ClockAligner::~ClockAligner() = default;

void ClockAligner::push_body(std::span<const float> interleaved) {
    const auto ch = static_cast<std::size_t>(config_.body_channels);
    const auto n = static_cast<std::int64_t>(interleaved.size() / ch);
    const std::int64_t room = fifo_frames_cap_ - (body_pushed_ - body_output_);
    const std::int64_t take = std::min(n, room);
    counts_.dropped_frames += n - take;
    const auto fifo_mask = static_cast<std::size_t>(fifo_frames_cap_ - 1);
    const std::size_t mono_mask = body_mono_.size() - 1;
    for (std::int64_t i = 0; i < take; ++i) {
        const float* frame = interleaved.data() + static_cast<std::size_t>(i) * ch;
        const auto at = static_cast<std::size_t>(body_pushed_);
        std::copy_n(frame, ch, body_fifo_.data() + (at & fifo_mask) * ch);
        float sum = 0;
        for (std::size_t c = 0; c < ch; ++c) sum += frame[c];
        body_mono_[at & mono_mask] = sum;
        ++body_pushed_;
    }
}

void ClockAligner::push_air(std::span<const float> samples) {
    if (!air_present_) return;
    const std::size_t mask = air_.size() - 1;
    for (float x : samples) air_[static_cast<std::size_t>(air_count_++) & mask] = x;
}

double ClockAligner::air_position(std::int64_t body_frame) const {
    const double rate = config_.body_rate;
    const double n = static_cast<double>(body_frame);
    const double lambda = air_base_ + rate * (u_ + slope_ * (n / rate - t_ref_));
    return ratio_ * (n - lambda);
}

// Catmull-Rom through the four samples around `position`; 0 where the air stream has no sample.
double ClockAligner::air_sample(double position) const {
    const double floor = std::floor(position);
    const auto i = static_cast<std::int64_t>(floor);
    const std::int64_t oldest = std::max<std::int64_t>(0, air_count_ - static_cast<std::int64_t>(air_.size()));
    if (i - 1 < oldest || i + 2 >= air_count_) return 0;
    const std::size_t mask = air_.size() - 1;
    const double y0 = air_[static_cast<std::size_t>(i - 1) & mask], y1 = air_[static_cast<std::size_t>(i) & mask];
    const double y2 = air_[static_cast<std::size_t>(i + 1) & mask], y3 = air_[static_cast<std::size_t>(i + 2) & mask];
    const double f = position - floor;
    return y1 + 0.5 * f * (y2 - y0 + f * (2 * y0 - 5 * y1 + 4 * y2 - y3 + f * (3 * (y1 - y2) + y3 - y0)));
}

std::int64_t ClockAligner::lag_range() const {
    if (state_ != AlignState::locked) return search_;
    const double t = static_cast<double>(next_end_ - window_ / 2) / config_.body_rate;
    return t - last_fix_t_ < config_.recheck_s ? track_ : search_;
}

bool ClockAligner::estimate_ready() const {
    return air_present_ && body_pushed_ >= next_end_ &&
           static_cast<double>(air_count_) >= air_position(next_end_ + lag_range()) + 3;
}

std::size_t ClockAligner::pull(std::span<float> out) {
    const std::int64_t wait = std::llround(config_.max_wait_s * config_.body_rate);
    // Correlate every window whose air has arrived; give up on windows whose air is very late.
    while (air_present_) {
        if (estimate_ready())
            estimate();
        else if (body_pushed_ - next_end_ > search_ + locked_hop_ + hop_ + wait)
            next_end_ += hop_, ++counts_.silent;
        else
            break;
    }
    const auto ch = static_cast<std::size_t>(config_.body_channels);
    const std::size_t max_frames = out.size() / (ch + 1);
    const auto fifo_mask = static_cast<std::size_t>(fifo_frames_cap_ - 1);
    const bool locked = air_present_ && state_ == AlignState::locked;
    std::size_t produced = 0;
    while (produced < max_frames && body_output_ < body_pushed_) {
        float air = 0;
        if (locked) {
            const double p = air_position(body_output_);
            if (p + 2 >= static_cast<double>(air_count_)) {
                if (body_pushed_ - body_output_ <= wait) break;  // its air is on the way
                ++counts_.late_frames;
            } else {
                air = static_cast<float>(air_sample(p));
            }
        }
        const float* frame = body_fifo_.data() + (static_cast<std::size_t>(body_output_) & fifo_mask) * ch;
        float* o = out.data() + produced * (ch + 1);
        std::copy_n(frame, ch, o);
        o[ch] = air;
        ++body_output_;
        ++produced;
    }
    return produced;
}

void ClockAligner::estimate() {
    const std::int64_t end = next_end_, range = lag_range();
    next_end_ += state_ == AlignState::locked ? locked_hop_ : hop_;
    // Once locked, only ± track_s around the model is correlated: a shorter air segment.
    const std::int64_t begin = end - window_, seg_start = begin - range;
    const std::span<float> seg_air(seg_air_.data(), static_cast<std::size_t>(window_ + 2 * range));
    const auto d = static_cast<std::size_t>(decimation_);
    if (begin < body_pushed_ - static_cast<std::int64_t>(body_mono_.size())) {
        ++counts_.silent;  // fell behind: that body audio is gone
        return;
    }
    // Both signals through the same low-pass (two Butterworth sections at 0.4 x the analysis
    // rate) and decimation, on the body frame grid.
    const double analysis_rate = config_.body_rate / static_cast<double>(decimation_);
    const std::size_t mono_mask = body_mono_.size() - 1;
    for (std::size_t i = 0; i < seg_body_.size(); ++i)
        seg_body_[i] = body_mono_[static_cast<std::size_t>(begin + static_cast<std::int64_t>(i)) & mono_mask];
    for (std::size_t j = 0; j < seg_air.size(); ++j)
        seg_air[j] = static_cast<float>(air_sample(air_position(seg_start + static_cast<std::int64_t>(j))));
    for (const std::span<float> seg : {std::span<float>(seg_body_), seg_air}) {
        for (int pass = 0; pass < 2; ++pass) {
            Biquad lp = Biquad::lowpass(0.4 * analysis_rate, config_.body_rate);
            lp.process(seg);
        }
    }
    Fft& f = *fft_;
    std::fill(f.body.begin(), f.body.end(), 0.0f);
    std::fill(f.air.begin(), f.air.end(), 0.0f);
    double body_energy = 0, air_energy = 0;
    for (std::size_t k = 0; k * d < seg_body_.size(); ++k)
        f.body[k] = seg_body_[k * d], body_energy += f.body[k] * f.body[k];
    for (std::size_t k = 0; k * d < seg_air.size(); ++k) f.air[k] = seg_air[k * d], air_energy += f.air[k] * f.air[k];
    ++counts_.estimates;
    if (body_energy < 1e-12 || air_energy < 1e-12) {
        ++counts_.silent;  // digital silence on one side: nothing to correlate
        counts_.last_psr = 0;
        return;
    }

    // GCC-PHAT: the cross-spectrum with its magnitude divided out, in the band.
    kiss_fftr(f.forward, f.body.data(), f.body_spec.data());
    kiss_fftr(f.forward, f.air.data(), f.air_spec.data());
    const double bin_hz = analysis_rate / static_cast<double>(f.size);
    const auto lo = static_cast<std::size_t>(std::ceil(config_.band_low_hz / bin_hz));
    const auto hi = std::min(f.body_spec.size() - 1, static_cast<std::size_t>(config_.band_high_hz / bin_hz));
    double mean_mag = 0;
    for (std::size_t k = 0; k < f.body_spec.size(); ++k) {
        const std::complex<float> b(f.body_spec[k].r, f.body_spec[k].i), a(f.air_spec[k].r, f.air_spec[k].i);
        const std::complex<float> g = std::conj(b) * a;
        f.air_spec[k] = {g.real(), g.imag()};
        if (k >= lo && k <= hi) mean_mag += std::abs(g);
    }
    mean_mag /= static_cast<double>(std::max<std::size_t>(1, hi + 1 - lo));
    const auto floor = static_cast<float>(1e-3 * mean_mag + 1e-30);
    for (std::size_t k = 0; k < f.air_spec.size(); ++k) {
        if (k < lo || k > hi) {
            f.air_spec[k] = {0, 0};
            continue;
        }
        const float m = std::hypot(f.air_spec[k].r, f.air_spec[k].i) + floor;
        f.air_spec[k].r /= m;
        f.air_spec[k].i /= m;
    }
    kiss_fftri(f.inverse, f.air_spec.data(), f.corr.data());

    // Lag k0 is where the model puts the body window; the segment covers ± range around it.
    const std::int64_t k0 = range / decimation_, full = 2 * k0;
    std::int64_t peak = k0;
    for (std::int64_t k = 0; k <= full; ++k)
        if (std::abs(f.corr[static_cast<std::size_t>(k)]) > std::abs(f.corr[static_cast<std::size_t>(peak)])) peak = k;
    const auto guard = static_cast<std::int64_t>(std::ceil(analysis_rate * 0.001));
    double sum2 = 0;
    std::int64_t count = 0;
    for (std::int64_t k = 0; k <= full; ++k) {
        if (std::abs(k - peak) <= guard) continue;
        sum2 += static_cast<double>(f.corr[static_cast<std::size_t>(k)]) * f.corr[static_cast<std::size_t>(k)];
        ++count;
    }
    const double peak_mag = std::abs(f.corr[static_cast<std::size_t>(peak)]);
    const double psr = count > 0 && sum2 > 0 ? peak_mag / std::sqrt(sum2 / static_cast<double>(count)) : 0;
    counts_.last_psr = psr;
    if (psr < config_.min_psr) {
        ++counts_.silent;  // nothing both sensors heard
        return;
    }
    // Parabola through the peak and its neighbours (on magnitudes: a sensor may invert polarity).
    double frac = 0;
    if (peak > 0 && peak < full) {
        const double ym = std::abs(f.corr[static_cast<std::size_t>(peak - 1)]);
        const double yp = std::abs(f.corr[static_cast<std::size_t>(peak + 1)]);
        const double den = ym - 2 * peak_mag + yp;
        if (den < 0) frac = std::clamp(0.5 * (ym - yp) / den, -0.5, 0.5);
    }
    // The air as mapped lags the body by `lag` frames: the air stream started that much earlier.
    const double lag = (static_cast<double>(peak - k0) + frac) * static_cast<double>(decimation_);
    const double t = (static_cast<double>(begin) + static_cast<double>(window_) / 2) / config_.body_rate;
    const double predicted = u_ + slope_ * (t - t_ref_);
    accept(t, predicted - lag / config_.body_rate);
}

// One offset measurement `u_s` (seconds) at body time `t_s`: update the lock, or work towards one.
void ClockAligner::accept(double t_s, double u_s) {
    const double r = config_.measurement_sd_s * config_.measurement_sd_s;
    const double wander = config_.drift_wander_ppm * 1e-6;
    const double q = wander * wander / 3600;  // drift random walk, per second
    const auto predict = [&](double t) {
        const double dt = t - t_ref_;
        u_ += slope_ * dt;
        const double p00 = p00_ + 2 * dt * p01_ + dt * dt * p11_ + q * dt * dt * dt / 3;
        const double p01 = p01_ + dt * p11_ + q * dt * dt / 2;
        p11_ += q * dt;
        p00_ = p00, p01_ = p01;
        t_ref_ = t;
    };
    const auto update = [&](double z) {
        const double s = p00_ + r, nu = z - u_;
        const double k0 = p00_ / s, k1 = p01_ / s;
        u_ += k0 * nu;
        slope_ += k1 * nu;
        const double p00 = p00_ - k0 * p00_, p01 = p01_ - k0 * p01_, p11 = p11_ - k1 * p01_;
        p00_ = p00, p01_ = p01, p11_ = p11;
    };
    const auto remember = [&](std::size_t keep) {
        if (cand_t_.size() >= keep) {
            cand_t_.erase(cand_t_.begin());
            cand_u_.erase(cand_u_.begin());
        }
        cand_t_.push_back(t_s);
        cand_u_.push_back(u_s);
    };

    if (state_ == AlignState::locked) {
        predict(t_s);
        const double nu = u_s - u_;
        if (std::abs(nu) <= std::max(4 * std::sqrt(p00_ + r), config_.gate_s)) {
            update(u_s);
            ++counts_.accepted;
            last_fix_t_ = t_s;
            disagreements_ = 0;
            cand_t_.clear(), cand_u_.clear();
            return;
        }
        ++counts_.rejected;
        remember(static_cast<std::size_t>(config_.relock_after));
        if (++disagreements_ < config_.relock_after) return;
        state_ = AlignState::searching;  // the offset stepped (lost buffers?): find it again
        disagreements_ = 0;
    } else {
        remember(static_cast<std::size_t>(config_.lock_after));
    }

    // Searching: lock when the latest `lock_after` estimates agree (allowing for known drift).
    const auto n = static_cast<std::size_t>(config_.lock_after);
    if (cand_t_.size() < n) return;
    const std::size_t first = cand_t_.size() - n;
    const double slope = drift_known_ ? slope_ : 0;
    for (std::size_t i = first; i < cand_t_.size(); ++i)
        if (std::abs(cand_u_[i] + slope * (t_s - cand_t_[i]) - u_s) > config_.agree_s) return;
    state_ = AlignState::locked;
    const double drift_sd = drift_known_ ? std::max(std::sqrt(p11_), 5e-6) : config_.max_drift_ppm * 1e-6;
    u_ = cand_u_[first], t_ref_ = cand_t_[first], slope_ = slope;
    p00_ = r, p01_ = 0, p11_ = drift_sd * drift_sd;
    for (std::size_t i = first + 1; i < cand_t_.size(); ++i) {
        predict(cand_t_[i]);
        update(cand_u_[i]);
    }
    counts_.accepted += static_cast<std::int64_t>(n);
    last_fix_t_ = t_s;
    disagreements_ = 0;
    cand_t_.clear(), cand_u_.clear();
}

void ClockAligner::air_lost() {
    if (state_ == AlignState::locked) drift_known_ = true;  // the clocks' ratio outlives the stream
    air_present_ = false;
    state_ = AlignState::lost;
    cand_t_.clear(), cand_u_.clear();
}

void ClockAligner::air_started() {
    if (state_ == AlignState::locked) drift_known_ = true;
    air_present_ = true;
    state_ = AlignState::searching;
    air_count_ = 0;
    air_base_ = static_cast<double>(body_pushed_);
    u_ = 0;
    t_ref_ = static_cast<double>(body_pushed_) / config_.body_rate;
    if (!drift_known_) slope_ = 0;
    disagreements_ = 0;
    cand_t_.clear(), cand_u_.clear();
    next_end_ = body_pushed_ + window_ + search_;
}

AlignStatus ClockAligner::status() const {
    AlignStatus s = counts_;
    s.state = state_;
    const double now = static_cast<double>(body_output_) / config_.body_rate;
    s.offset_ms = -(u_ + slope_ * (now - t_ref_)) * 1000;  // u: where the air stream's start sits
    s.drift_ppm = -slope_ * 1e6;
    s.offset_sd_ms = state_ == AlignState::locked ? std::sqrt(std::max(0.0, p00_)) * 1000 : 0;
    s.since_fix_s = state_ == AlignState::locked ? std::max(0.0, now - last_fix_t_) : 0;
    return s;
}

}  // namespace popwatch

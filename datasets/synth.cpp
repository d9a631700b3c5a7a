// The labelled-audio synthesiser (interface and definitions in synth.hpp).
//
// Every generator renders one sound into a short buffer with its onset at sample 0 and its peak
// normalised to 1; a scene places those buffers into one long mix at levels given in dB above
// the stationary noise floor (which has RMS 1 in mix units), then adds the room, the floor, and
// scales the whole file to a random peak level. Ranges marked [I] in the research note are the
// note's inferences; "row N" refers to the note's table in section 1.
//
// Sections:
//   1. tools: random numbers, filters, damped modes, buffers
//   2. one transient (§2.1 pop, §2.2 clunk)
//   3. the scene being built: mixing, levels, paths to the sensor
//   4. acts that make pops (§2.3): knuckle sessions, spinal clusters, clunks, failed attempts
//   5. confounders (§2.4) and the contact mic's body sounds
//   6. noise floors, the room, sensor drift
//   7. real recordings
//   8. scenarios
//   9. writing files
#include "datasets/synth.hpp"

#include <sndfile.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numbers>
#include <random>
#include <span>
#include <stdexcept>
#include <utility>

#include "datasets/synth_internal.hpp"
#include "dsp/kernels.hpp"

namespace popwatch::synth {
namespace {

namespace fs = std::filesystem;

constexpr double pi = std::numbers::pi;
constexpr double two_pi = 2 * std::numbers::pi;
constexpr double episode_gap_s = 2.0;  // pops closer than this share an episode
constexpr double demo_minutes = 3.0;
constexpr double max_minutes = 180.0;             // ~2 GB of float samples at 48 kHz
constexpr double knuckle_refractory_s = 20 * 60;  // row 11
constexpr int knuckle_joints = 20;                // MCP and PIP joints of both hands

double db_gain(double db) { return std::pow(10.0, db / 20.0); }

// =============================================================================================
// 1. Tools
// =============================================================================================

// splitmix64: an independent, reproducible seed for each random stream of a render, so that
// e.g. changing the confounder density does not move the pops.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

class Rng {
   public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}

    double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(engine_); }
    double log_uniform(double lo, double hi) { return std::exp(uniform(std::log(lo), std::log(hi))); }
    double normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(engine_); }
    // A normal draw restricted to [lo, hi] by redrawing; clamped if the range is deep in a tail.
    double normal_in(double mean, double sd, double lo, double hi) {
        for (int i = 0; i < 64; ++i) {
            const double v = normal(mean, sd);
            if (v >= lo && v <= hi) return v;
        }
        return std::clamp(mean, lo, hi);
    }
    double exponential(double mean) { return std::exponential_distribution<double>(1.0 / mean)(engine_); }
    int integer(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
    bool chance(double p) { return uniform(0, 1) < p; }
    double sign(double p_negative) { return chance(p_negative) ? -1.0 : 1.0; }
    double phase() { return uniform(0, two_pi); }
    std::size_t weighted(std::initializer_list<double> weights) {
        return std::discrete_distribution<std::size_t>(weights)(engine_);
    }
    std::uint64_t bits() { return engine_(); }
    // Unit-variance white noise, uniform, from a splitmix64 stream (seeded by the engine): cheap
    // enough for hours of noise floor.
    float white() {
        constexpr double sqrt3 = 1.7320508075688772, scale = 2 * sqrt3 / 9007199254740992.0;  // 2^53
        std::uint64_t z = (noise_state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        return static_cast<float>(static_cast<double>(z >> 11) * scale - sqrt3);
    }

   private:
    std::mt19937_64 engine_;
    std::uint64_t noise_state_ = engine_();
};

double clamp_hz(double hz, double fs) { return std::clamp(hz, 1.0, 0.45 * fs); }

// RBJ audio-EQ-cookbook biquads, transposed direct form II. `retune` swaps the coefficients and
// keeps the state, for filters that glide (formants).
class Biquad {
   public:
    static Biquad lowpass(double cutoff_hz, double q, double fs) {
        const auto [c, alpha] = trig(cutoff_hz, q, fs);
        return make((1 - c) / 2, 1 - c, (1 - c) / 2, 1 + alpha, -2 * c, 1 - alpha);
    }
    static Biquad highpass(double cutoff_hz, double q, double fs) {
        const auto [c, alpha] = trig(cutoff_hz, q, fs);
        return make((1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha);
    }
    // Band-pass with 0 dB gain at the centre.
    static Biquad bandpass(double centre_hz, double q, double fs) {
        const auto [c, alpha] = trig(centre_hz, q, fs);
        return make(alpha, 0, -alpha, 1 + alpha, -2 * c, 1 - alpha);
    }

    float operator()(float x) {
        const double y = b0_ * x + z1_;
        z1_ = b1_ * x - a1_ * y + z2_;
        z2_ = b2_ * x - a2_ * y;
        return static_cast<float>(y);
    }
    void run(std::vector<float>& x) {
        for (float& v : x) v = (*this)(v);
    }
    void retune(const Biquad& other) {
        b0_ = other.b0_, b1_ = other.b1_, b2_ = other.b2_, a1_ = other.a1_, a2_ = other.a2_;
    }

   private:
    static std::pair<double, double> trig(double hz, double q, double fs) {
        const double w0 = two_pi * clamp_hz(hz, fs) / fs;
        return {std::cos(w0), std::sin(w0) / (2 * q)};
    }
    static Biquad make(double b0, double b1, double b2, double a0, double a1, double a2) {
        Biquad f;
        f.b0_ = b0 / a0, f.b1_ = b1 / a0, f.b2_ = b2 / a0, f.a1_ = a1 / a0, f.a2_ = a2 / a0;
        return f;
    }
    double b0_ = 1, b1_ = 0, b2_ = 0, a1_ = 0, a2_ = 0;
    double z1_ = 0, z2_ = 0;
};

constexpr double butterworth_q = 0.7071;

void lowpass(std::vector<float>& x, double cutoff_hz, double fs, int stages = 1) {
    for (int i = 0; i < stages; ++i) Biquad::lowpass(cutoff_hz, butterworth_q, fs).run(x);
}
void highpass(std::vector<float>& x, double cutoff_hz, double fs, int stages = 1) {
    for (int i = 0; i < stages; ++i) Biquad::highpass(cutoff_hz, butterworth_q, fs).run(x);
}

float peak_of(std::span<const float> x) {
    float p = 0;
    for (float v : x) p = std::max(p, std::abs(v));
    return p;
}

void scale_peak(std::vector<float>& x, double target) {
    const float p = peak_of(x);
    if (p <= 0) return;
    const auto k = static_cast<float>(target / p);
    for (float& v : x) v *= k;
}

double energy(std::span<const float> x) {
    double e = 0;
    for (float v : x) e += double(v) * v;
    return e;
}

// dst[at + i] += gain * src[i], growing dst when the sound runs past its end.
void add_into(std::vector<float>& dst, std::span<const float> src, std::size_t at, double gain) {
    if (dst.size() < at + src.size()) dst.resize(at + src.size(), 0.0f);
    for (std::size_t i = 0; i < src.size(); ++i) dst[at + i] += static_cast<float>(gain * src[i]);
}

std::size_t samples(double seconds, double fs) {
    return static_cast<std::size_t>(std::max(0.0, std::round(seconds * fs)));
}

// Peak |gain * x| per envelope_block_s block (Confounder::envelopes).
std::vector<float> block_peaks(std::span<const float> x, double gain, double fs) {
    const std::size_t block = std::max<std::size_t>(1, samples(envelope_block_s, fs));
    std::vector<float> out((x.size() + block - 1) / block, 0.0f);
    for (std::size_t i = 0; i < x.size(); ++i)
        out[i / block] = std::max(out[i / block], static_cast<float>(std::abs(gain * x[i])));
    return out;
}

double hann(double u) { return u <= 0 || u >= 1 ? 0.0 : 0.5 - 0.5 * std::cos(two_pi * u); }

// White noise of `length` samples shaped by `envelope(t_s)`, evaluated at every sample.
template <class Envelope>
std::vector<float> shaped_noise(std::size_t length, double fs, Rng& rng, Envelope envelope) {
    std::vector<float> out(length);
    for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<float>(rng.white() * envelope(double(i) / fs));
    return out;
}

// The same for slow envelopes (no edge sharper than a few ms): evaluated every 32 samples and
// interpolated linearly, which keeps minutes of breathing cheap.
template <class Envelope>
std::vector<float> smooth_noise(std::size_t length, double fs, Rng& rng, Envelope envelope) {
    constexpr std::size_t step = 32;
    std::vector<float> out(length);
    double from = envelope(0.0);
    for (std::size_t begin = 0; begin < length; begin += step) {
        const double to = envelope(double(begin + step) / fs);
        for (std::size_t i = begin; i < std::min(length, begin + step); ++i)
            out[i] = static_cast<float>(rng.white() * (from + (to - from) * double(i - begin) / step));
        from = to;
    }
    return out;
}

// A damped mode, amplitude * exp(-t/tau) * sin(2 pi f t + phase).
struct Mode {
    double freq_hz = 1000;
    double amplitude = 1;  // peak of this mode's output relative to the others
    double tau_s = 1e-3;
    double phase = 0;
};

// The mode driven by `drive`: a complex one-pole filter, so the output is exactly drive * h.
// Each mode's output is normalised to its `amplitude`, so modal levels are what one hears,
// whatever the excitation's spectrum.
std::vector<float> ring(std::span<const float> drive, const Mode& mode, double fs, std::size_t length) {
    const std::complex<double> pole =
        std::polar(std::exp(-1.0 / (mode.tau_s * fs)), two_pi * clamp_hz(mode.freq_hz, fs) / fs);
    const std::complex<double> rotation = std::polar(1.0, mode.phase);
    std::complex<double> z = 0;
    std::vector<float> out(length);
    for (std::size_t n = 0; n < length; ++n) {
        z = pole * z + (n < drive.size() ? double(drive[n]) : 0.0);
        out[n] = static_cast<float>((rotation * z).imag());
    }
    scale_peak(out, mode.amplitude);
    return out;
}

}  // namespace

double minus20_duration_s(const std::vector<float>& sound, double sample_rate) {
    const float threshold = 0.1f * peak_of(sound);
    if (threshold <= 0) return 0;
    std::size_t last = 0;
    for (std::size_t i = 0; i < sound.size(); ++i)
        if (std::abs(sound[i]) >= threshold) last = i;
    return double(last + 1) / sample_rate;
}

namespace {

// =============================================================================================
// 2. One transient: §2.1 (pop) and §2.2 (clunk) share one structure
//    e(t) = s * g'(t; sigma);  h(t) = sum_k a_k exp(-t/tau_k) sin(2 pi f_k t + phi_k)
//    out  = [ (e * h)(t) + beta-scaled decaying noise burst ] -> sensor filter
// =============================================================================================

struct Transient {
    double polarity = -1;     // sign of the first deflection of the excitation
    double sigma_s = 100e-6;  // excitation width
    std::vector<Mode> modes;
    double beta = 0;  // noise-burst energy / modal energy
    double burst_tau_s = 0.5e-3;
    double burst_highpass_hz = 1000;  // 0: none
    double burst_lowpass_hz = 0;      // 0: none
    double sensor_highpass_hz = 0;    // 0: none
    double sensor_lowpass_hz = 0;     // 0: none
    int sensor_lowpass_stages = 1;    // 2nd-order sections: -12 dB/oct each
};

// Derivative of a Gaussian on [0, 6 sigma], centred at 3 sigma. Sample 0 is the event's onset
// (the label time): the window starts there, and every later stage is causal.
std::vector<float> excitation(double polarity, double sigma_s, double fs) {
    const std::size_t n = std::max<std::size_t>(2, samples(6 * sigma_s, fs) + 1);
    std::vector<float> e(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double t = double(i) / fs - 3 * sigma_s;
        e[i] = static_cast<float>(polarity * (-t / sigma_s) * std::exp(-t * t / (2 * sigma_s * sigma_s)));
    }
    return e;
}

// HP-filtered noise rising over the excitation, then decaying with burst_tau_s.
std::vector<float> noise_burst(const Transient& s, double fs, std::size_t length, Rng& rng) {
    const double attack_s = 3 * s.sigma_s;
    auto burst = shaped_noise(length, fs, rng, [&](double t) {
        return t < attack_s ? t / attack_s : std::exp(-(t - attack_s) / s.burst_tau_s);
    });
    if (s.burst_highpass_hz > 0) highpass(burst, s.burst_highpass_hz, fs);
    if (s.burst_lowpass_hz > 0) lowpass(burst, s.burst_lowpass_hz, fs);
    return burst;
}

std::vector<float> render(const Transient& s, double fs, std::uint64_t noise_seed) {
    const std::vector<float> drive = excitation(s.polarity, s.sigma_s, fs);
    double longest_s = s.beta > 0 ? s.burst_tau_s : 0.0;
    for (const Mode& m : s.modes) longest_s = std::max(longest_s, m.tau_s);
    const std::size_t length = drive.size() + samples(7 * longest_s + 0.004, fs);

    std::vector<float> out(length, 0.0f);
    for (const Mode& m : s.modes) add_into(out, ring(drive, m, fs, length), 0, 1.0);
    if (s.modes.empty()) add_into(out, drive, 0, 1.0);
    if (s.beta > 0) {
        Rng rng(noise_seed);
        const std::vector<float> burst = noise_burst(s, fs, length, rng);
        const double modal = energy(out), noise = energy(burst);
        if (noise > 0) add_into(out, burst, 0, std::sqrt(s.beta * modal / noise));
    }
    if (s.sensor_highpass_hz > 0) highpass(out, s.sensor_highpass_hz, fs);
    if (s.sensor_lowpass_hz > 0) lowpass(out, s.sensor_lowpass_hz, fs, s.sensor_lowpass_stages);
    scale_peak(out, 1.0);
    return out;
}

// Spinal pops are specified by their -20 dB length (5.7 +- 1.5 ms, row 1) rather than by tau:
// scale the mode decays until the rendered pop (sensor filter included) has that length.
std::vector<float> render_with_duration(Transient s, double target_s, double fs, std::uint64_t noise_seed) {
    std::vector<float> best;
    double best_error = std::numeric_limits<double>::infinity();
    for (int i = 0; i < 6; ++i) {
        std::vector<float> pop = render(s, fs, noise_seed);
        const double d = minus20_duration_s(pop, fs);
        const double error = std::abs(d - target_s);
        if (error < best_error) best = std::move(pop), best_error = error;
        if (error < 0.25e-3 || d <= 0) break;
        const double k = std::clamp(target_s / d, 0.5, 2.0);
        for (Mode& m : s.modes) m.tau_s *= k;
    }
    return best;
}

// Ranges that differ between the dev and the test split, all inside the measured ranges.
struct SplitParams {
    double knuckle_f1_lo_hz, knuckle_f1_hi_hz;  // §2.1: log-uniform 1.2-3 kHz
    double spine_f1_median_hz;                  // row 8: median 215 Hz (86-1830)
    double spine_d20_mean_ms;                   // row 1: 5.66 ms (CI 5.36-5.96), sd 1.5 [I]
    double snr_mean_db, snr_sd_db;              // per-event pop SNR, mostly 10-30 dB
    double clunk_f1_mean_hz;                    // row 19: 115 +- 44 Hz
    double key_ring_lo_hz, key_ring_hi_hz;      // §2.4 keyboard: 2-8 kHz ring
    double keys_per_s_lo, keys_per_s_hi;        // mission: typing at 3-10 keys/s
    double mouse_lo_hz, mouse_hi_hz;            // §2.4 mouse: 3-8 kHz
    double f0_lo_hz, f0_hi_hz;                  // §2.4 plosive row: F0 80-300 Hz
    double t60_lo_s, t60_hi_s;                  // small office reverberation [I]
};

SplitParams split_params(Split split) {
    if (split == Split::dev)
        return {1200, 2600, 215, 5.7, 20, 7, 110, 2000, 6000, 3, 8, 3000, 6500, 80, 200, 0.15, 0.35};
    return {1400, 3000, 250, 6.2, 18, 8, 125, 3000, 8000, 4, 10, 4000, 8000, 100, 250, 0.25, 0.5};
}

// §2.1, knuckle column (rows 9, 10): a ~2 kHz decaying ring, <= 10 ms, energy to ~10 kHz.
Transient knuckle_source(Rng& r, const SplitParams& p) {
    Transient s;
    s.polarity = r.sign(0.75);
    s.sigma_s = r.uniform(30e-6, 150e-6);
    const double tau_s = r.uniform(0.6e-3, 2.2e-3);
    s.modes.push_back({r.log_uniform(p.knuckle_f1_lo_hz, p.knuckle_f1_hi_hz), 1.0, tau_s, r.phase()});
    const int extra = r.integer(0, 2);
    for (int k = 0; k < extra; ++k)
        s.modes.push_back({r.uniform(3000, 6000), db_gain(r.uniform(-15, -6)), tau_s * r.uniform(0.4, 1.0), r.phase()});
    s.beta = r.uniform(0.1, 0.5);
    s.burst_tau_s = r.uniform(0.2e-3, 1e-3);
    s.burst_highpass_hz = 1000;
    return s;
}

// Row 8: spinal crack peak frequency, log-normal with median 215 Hz and mean 333 Hz
// (sigma_ln = sqrt(2 ln(333/215)) = 0.935), kept inside the observed 86-1830 Hz.
double spine_f1_hz(Rng& r, double median_hz) {
    for (int i = 0; i < 64; ++i) {
        const double f = median_hz * std::exp(r.normal(0, 0.935));
        if (f >= 86 && f <= 1830) return f;
    }
    return median_hz;
}

double spine_d20_s(Rng& r, const SplitParams& p) { return 1e-3 * r.normal_in(p.spine_d20_mean_ms, 1.5, 3, 10); }

// §2.1, spine column (rows 1, 8, 18, 21): at ~200 Hz only 1-2 cycles, Q < 2. The decays are
// set later by render_with_duration.
Transient spine_source(Rng& r, double f1_hz) {
    Transient s;
    s.polarity = r.sign(0.75);
    s.sigma_s = r.uniform(50e-6, 300e-6);
    const double tau_s = 5.7e-3 / std::log(10.0);
    s.modes.push_back({f1_hz, 1.0, tau_s, r.phase()});
    if (r.chance(0.5))
        s.modes.push_back(
            {r.uniform(1000, 4000), db_gain(r.uniform(-20, -10)), tau_s * r.uniform(0.3, 0.7), r.phase()});
    s.beta = r.uniform(0.05, 0.3);
    s.burst_tau_s = r.uniform(0.2e-3, 1e-3);
    s.burst_highpass_hz = 500;
    return s;
}

// §2.2 (rows 19, 23): 50-200 Hz, zeta 0.03-0.10, rings 25-250 ms, 1-5 ms rise, little HF.
Transient clunk_source(Rng& r, const SplitParams& p) {
    Transient s;
    const double f1 = r.normal_in(p.clunk_f1_mean_hz, 44, 50, 200);
    const double zeta = r.uniform(0.03, 0.10);
    const double tau_s = std::clamp(1 / (two_pi * f1 * zeta), 25e-3 / std::log(10.0), 250e-3 / std::log(10.0));
    s.polarity = r.sign(0.75);
    s.sigma_s = r.uniform(0.5e-3, 2e-3);
    s.modes.push_back({f1, 1.0, tau_s, r.phase()});
    if (r.chance(0.5))
        s.modes.push_back({f1 * r.uniform(1.6, 2.8), db_gain(r.uniform(-14, -6)), tau_s * 0.5, r.phase()});
    s.beta = r.uniform(0.0, 0.05);
    s.burst_tau_s = r.uniform(2e-3, 8e-3);
    s.burst_highpass_hz = 0;
    s.burst_lowpass_hz = 400;
    return s;
}

// §2.2: trailing crepitus, low-level friction noise amplitude-modulated by the joint's motion.
void add_crepitus(std::vector<float>& clunk, double fs, Rng& r) {
    const double start_s = double(clunk.size()) / fs * r.uniform(0.2, 0.5);
    const double length_s = r.uniform(0.05, 0.3);
    const double rate_hz = r.uniform(5, 15);
    auto noise = smooth_noise(samples(length_s, fs), fs, r, [&](double t) {
        return hann(t / length_s) * (0.6 + 0.4 * std::sin(two_pi * rate_hz * t));
    });
    Biquad::bandpass(r.uniform(300, 1500), 0.7, fs).run(noise);
    scale_peak(noise, db_gain(r.uniform(-32, -26)));
    add_into(clunk, noise, samples(start_s, fs), 1.0);
}

// Sensor responses (§2.1 H_s): contact coupling 2nd-order HP at 100-150 Hz (pops) plus the
// sensor's low-pass; the desk mic is flat to 6 kHz then -12 dB/oct.
void on_contact(Transient& s, Rng& r, double sensor_lowpass_hz) {
    s.sensor_highpass_hz = r.uniform(100, 150);
    s.sensor_lowpass_hz = sensor_lowpass_hz;
}
void on_air(Transient& s) { s.sensor_lowpass_hz = 6000; }

// A spinal pop heard by a desk mic [I]: the same source, radiated from the back (weak below
// ~150 Hz, relatively more click), then the mic.
void spine_on_air(Transient& s, Rng& r) {
    s.beta = std::min(1.0, 2 * s.beta);
    s.sensor_highpass_hz = r.uniform(120, 200);
    s.sensor_lowpass_hz = 6000;
}

// Options::wide_pops (training only) [I]: the pop drawn so far, reshaped from wider ranges. A
// model trained on one synthesiser's pop learns that pop: trained on the split's ranges alone it
// rejects a loud pure ring (beta = 0) in a cluster and a crack whose click reaches past 6 kHz,
// both of which §2.1 allows. The ranges here span both of §2.1's columns (beta 0-0.5, excitation
// 20-400 us, extra modes -3 to -20 dB, burst decay 0.1-1.5 ms) and stretch the two the note
// measured on one subject or not at all: the desk mic's roll-off (row 9: "falls off above
// ~6 kHz", energy "to ~10 kHz") anywhere from 5 to 12 kHz with one or two poles, and the burst's
// high-pass (300 Hz-3 kHz). A third of pops get one more mode 1.5-3.5x above the first.
void widen(Transient& s, Rng& r, bool air) {
    s.beta = r.chance(0.2) ? 0.0 : r.uniform(0.0, 0.5);
    s.sigma_s = std::clamp(s.sigma_s * r.log_uniform(0.5, 2.0), 20e-6, 400e-6);
    s.burst_tau_s = r.uniform(0.1e-3, 1.5e-3);
    s.burst_highpass_hz = r.log_uniform(300, 3000);
    for (std::size_t k = 1; k < s.modes.size(); ++k) s.modes[k].amplitude = db_gain(r.uniform(-20, -3));
    if (!s.modes.empty() && r.chance(0.3)) {
        const Mode first = s.modes.front();
        s.modes.push_back({first.freq_hz * r.uniform(1.5, 3.5), db_gain(r.uniform(-18, -4)),
                           first.tau_s * r.uniform(0.3, 1.0), r.phase()});
    }
    if (air) {
        s.sensor_lowpass_hz = r.log_uniform(5000, 12000);
        s.sensor_lowpass_stages = r.integer(1, 2);
    } else if (s.sensor_lowpass_hz > 0) {
        s.sensor_lowpass_hz *= r.log_uniform(0.7, 1.5);
    }
}

// =============================================================================================
// 3. The scene being built
// =============================================================================================

enum class Mic { air, contact };

// How a sound reaches the sensor: attenuation and low-pass (airborne sounds on a back sensor).
struct Path {
    double gain_db = 0;
    double lowpass_hz = 0;  // 0: none
    int stages = 1;
};

enum class Hands { free, busy };  // own typing and mouse clicks need the hands

struct Interval {
    double begin_s, end_s;
};

bool overlaps(const std::vector<Interval>& set, double begin_s, double end_s) {
    return std::any_of(set.begin(), set.end(),
                       [&](const Interval& i) { return begin_s < i.end_s && i.begin_s < end_s; });
}

class Builder {
   public:
    Builder(const Options& options, Mic mic, double duration_s)
        : fs(options.sample_rate),
          duration_s(duration_s),
          mic(mic),
          params(split_params(options.split)),
          options_(options),
          audio_(samples(duration_s, options.sample_rate), 0.0f) {
        joint_last_pop_s.fill(-std::numeric_limits<double>::infinity());
    }

    const double fs;
    const double duration_s;
    const Mic mic;
    const SplitParams params;
    double sensor_lowpass_hz = 0;      // contact: the sensor's band edge, 2-8 kHz
    std::vector<Interval> hands_busy;  // knuckle sessions: no own typing or clicking
    std::vector<Interval> keep_clear;  // demo: nothing else near a pop
    std::array<double, knuckle_joints> joint_last_pop_s{};

    std::vector<float>& mix() { return audio_; }
    std::vector<Label>& labels() { return labels_; }
    std::vector<Confounder>& confounders() { return confounders_; }

    bool allowed(double begin_s, double end_s, Hands hands) const {
        if (begin_s < 0 || begin_s >= duration_s) return false;
        if (overlaps(keep_clear, begin_s, end_s)) return false;
        return hands == Hands::free || !overlaps(hands_busy, begin_s, end_s);
    }

    // Per-event pop SNR: normal around the split's mean (+ an offset for the site and sensor),
    // restricted to the options' range.
    double draw_snr_db(Rng& r, double offset_db) const {
        return r.normal_in(params.snr_mean_db + offset_db, params.snr_sd_db, options_.snr_min_db, options_.snr_max_db);
    }
    double clamp_snr(double db) const { return std::clamp(db, options_.snr_min_db, options_.snr_max_db); }
    bool wide_pops() const { return options_.wide_pops; }

    // Airborne sounds: direct on the desk mic; on a back sensor, 25-40 dB down and low-passed.
    Path air_path(Rng& r) const {
        if (mic == Mic::air) return {};
        return {r.uniform(-40, -25), std::min(sensor_lowpass_hz, r.uniform(500, 1500)), 2};
    }
    Path body_path() const { return {0, mic == Mic::contact ? sensor_lowpass_hz : 0.0, 1}; }

    // A negative: `peak_db` above the floor before the path; recorded as a confounder.
    // Returns false (and places nothing) where the scene does not allow it.
    bool place(std::vector<float> sound, double time_s, double peak_db, const Path& path, const std::string& cls,
               Hands hands = Hands::free) {
        const double length_s = double(sound.size()) / fs;
        if (sound.empty() || !allowed(time_s, time_s + length_s, hands)) return false;
        if (path.lowpass_hz > 0) lowpass(sound, path.lowpass_hz, fs, path.stages);
        const std::size_t at = samples(time_s, fs);
        add(sound, at, db_gain(peak_db + path.gain_db));
        confounders_.push_back(
            {double(at) / fs, length_s, cls, {block_peaks(sound, db_gain(peak_db + path.gain_db), fs)}});
        return true;
    }

    // A pop or clunk (already through its sensor filter) at `snr_db` (energy over its -20 dB
    // duration against the floor). Returns its -20 dB duration, 0 if it fell outside the file.
    double place_event(const std::vector<float>& sound, double time_s, double snr_db, Kind kind,
                       const std::string& site) {
        const std::size_t at = samples(time_s, fs);
        if (sound.empty() || at + samples(0.02, fs) >= audio_.size()) return 0;
        const double d20_s = minus20_duration_s(sound, fs);
        const std::size_t n = std::max<std::size_t>(1, samples(d20_s, fs));
        const double power = energy(std::span(sound).first(std::min(n, sound.size()))) / double(n);
        if (power <= 0) return 0;
        const double gain = std::sqrt(std::pow(10.0, snr_db / 10) / power);
        add(sound, at, gain);
        Label label;
        label.peak = gain * peak_abs(sound);
        label.time_s = double(at) / fs;
        label.kind = kind;
        label.site = site;
        label.duration_s = d20_s;
        label.snr_db = snr_db;
        labels_.push_back(label);
        return d20_s;
    }

    // Raw mixing, for real clips whose pops are labelled separately.
    void add(std::span<const float> sound, std::size_t at, double gain) {
        if (at >= audio_.size()) return;
        const std::size_t n = std::min(sound.size(), audio_.size() - at);
        for (std::size_t i = 0; i < n; ++i) audio_[at + i] += static_cast<float>(gain * sound[i]);
    }
    void add_label(const Label& label) { labels_.push_back(label); }

    std::vector<float> take_audio() { return std::move(audio_); }

   private:
    const Options& options_;
    std::vector<float> audio_;
    std::vector<Label> labels_;
    std::vector<Confounder> confounders_;
};

// Arrivals of a Poisson process at `per_min` over the scene, calling place(t) for each.
template <class Place>
void poisson(Rng& r, double per_min, double duration_s, Place place) {
    if (per_min <= 0) return;
    const double mean_s = 60.0 / per_min;
    for (double t = r.exponential(mean_s); t < duration_s; t += r.exponential(mean_s)) place(t);
}

// =============================================================================================
// 4. Acts that make pops (§2.3)
// =============================================================================================

enum class Region { neck_c12, neck_c34, upper_back, lower_back };

const char* site_name(Region region) {
    switch (region) {
        case Region::neck_c12:
        case Region::neck_c34:
            return "neck";
        case Region::upper_back:
            return "upper-back";
        case Region::lower_back:
            return "lower-back";
    }
    return "upper-back";
}

// How loud each site is on each sensor, relative to the SNR distribution [I]: the contact
// sensor sits on the upper back; the air mic is ~13 dB less sensitive to body sounds (row 20).
double site_offset_db(Mic mic, const std::string& site) {
    if (mic == Mic::contact) {
        if (site == "upper-back") return 0;
        if (site == "neck") return -4;
        if (site == "lower-back") return -8;
        return -12;  // knuckles, through the arm and the air
    }
    if (site == "knuckles") return 0;
    if (site == "neck") return -8;
    if (site == "upper-back") return -10;
    return -13;
}

Region draw_region(Rng& r) {
    switch (r.weighted({0.2, 0.25, 0.4, 0.15})) {
        case 0:
            return Region::neck_c12;
        case 1:
            return Region::neck_c34;
        case 2:
            return Region::upper_back;
        default:
            return Region::lower_back;
    }
}

// Pops per thrust: C1-2 mean 3.6 (row 4); C3/4 distribution (row 5) without the single-pop
// case; L5-S1 2-9, mean ~5.3 (row 6); thoracic [I].
int cluster_size(Region region, Rng& r) {
    switch (region) {
        case Region::neck_c12:
            return 2 + int(r.weighted({0.15, 0.30, 0.35, 0.20}));
        case Region::neck_c34:
            return 2 + int(r.weighted({0.44, 0.20, 0.14, 0.04}));
        case Region::upper_back:
            return 2 + int(r.weighted({0.35, 0.30, 0.20, 0.15}));
        case Region::lower_back:
            return 2 + int(r.weighted({0.06, 0.10, 0.15, 0.20, 0.18, 0.13, 0.10, 0.08}));
    }
    return 2;
}

// The window holding a thrust's pops: 97 ms (C1-2), 139 ms (L5-S1), 100-150 ms otherwise,
// +-30% (rows 2, 3).
double cluster_window_s(Region region, Rng& r) {
    const double spread = r.uniform(0.7, 1.3);
    if (region == Region::neck_c12) return 0.097 * spread;
    if (region == Region::lower_back) return 0.139 * spread;
    return r.uniform(0.100, 0.150) * spread;
}

// <50 Hz motion transient under a thrust (§2.3 nuisances, row 3): a 100-150 ms smooth bump.
std::vector<float> motion_transient(double fs, Rng& r) {
    const double length_s = r.uniform(0.10, 0.15);
    const double f_hz = r.uniform(5, 40);
    const double phase = r.phase();
    std::vector<float> out(samples(length_s, fs));
    for (std::size_t i = 0; i < out.size(); ++i) {
        const double t = double(i) / fs;
        out[i] = static_cast<float>(hann(t / length_s) * std::sin(two_pi * f_hz * t + phase));
    }
    scale_peak(out, 1.0);
    return out;
}

double motion_peak_db(const Builder& b, double act_snr_db, Rng& r) {
    // On a back sensor the thrust's motion dwarfs the pops; a desk mic barely hears it.
    return b.mic == Mic::contact ? act_snr_db + r.uniform(0, 15) : act_snr_db - r.uniform(10, 20);
}

// One spinal pop, rendered for the scene's sensor.
std::vector<float> spinal_pop(Builder& b, Rng& r, double f1_hz) {
    Transient s = spine_source(r, f1_hz);
    if (b.mic == Mic::contact)
        on_contact(s, r, b.sensor_lowpass_hz);
    else
        spine_on_air(s, r);
    if (b.wide_pops()) widen(s, r, b.mic == Mic::air);
    return render_with_duration(s, spine_d20_s(r, b.params), b.fs, r.bits());
}

// §2.3 spinal thrust cluster: N pops in a ~100-150 ms window with 5-40 ms gaps (never shorter
// than the pop before), over a motion transient. `pops` = 0 draws N for the region. Returns the
// end of the act.
double spinal_cluster(Builder& b, Rng& r, double start_s, Region region, double act_snr_db, int pops = 0) {
    const std::string site = site_name(region);
    b.place(motion_transient(b.fs, r), start_s, motion_peak_db(b, act_snr_db, r), b.body_path(), "motion");
    const int n = pops > 0 ? pops : cluster_size(region, r);
    const double window_s = cluster_window_s(region, r);
    const double mean_gap_s = std::clamp(window_s * r.uniform(0.6, 0.95) / (n - 1), 0.008, 0.035);
    const double centre_f1_hz = spine_f1_hz(r, b.params.spine_f1_median_hz);

    double t = start_s + r.uniform(0.02, 0.06);
    for (int i = 0; i < n; ++i) {
        const double f1 = std::clamp(centre_f1_hz * std::exp(r.normal(0, 0.15)), 86.0, 1830.0);
        const double snr = b.clamp_snr(act_snr_db + r.normal(0, 2.5));
        const double d20_s = b.place_event(spinal_pop(b, r, f1), t, snr, Kind::pop, site);
        const double gap_s = std::max(mean_gap_s * r.uniform(0.5, 1.5), d20_s + 0.001);
        t += std::clamp(gap_s, 0.006, 0.039);
    }
    return t + 0.1;
}

// One knuckle attempt: 0 pops (failed), 1, or 2 (a double pop 2-8 ms apart).
struct Attempt {
    double offset_s;
    int pops;
};

// §2.3 knuckle session: 1-10 attempts 0.3-2 s apart, each succeeding with p = 0.15-0.6 unless
// its joint cracked in the last 20 min (row 11); double pops with p ~ 0.1. A pop act ends with
// at least one pop when a rested joint is left (sessions that never crack are negatives, see
// add_office).
std::vector<Attempt> draw_session(Builder& b, Rng& r, double start_s) {
    const int attempts = r.integer(1, 10);
    const double p_success = r.uniform(0.15, 0.6);
    std::vector<Attempt> plan;
    double offset_s = 0;
    bool cracked = false;
    for (int i = 0; i < attempts; ++i) {
        const bool last = i + 1 == attempts;
        double& last_pop_s = b.joint_last_pop_s[std::size_t(r.integer(0, knuckle_joints - 1))];
        const bool rested = start_s + offset_s - last_pop_s > knuckle_refractory_s;
        int pops = 0;
        if (rested && (r.chance(p_success) || (last && !cracked))) {
            pops = r.chance(0.1) ? 2 : 1;
            last_pop_s = start_s + offset_s;
            cracked = true;
        }
        plan.push_back({offset_s, pops});
        offset_s += r.uniform(0.3, 2.0);
    }
    return plan;
}

std::vector<float> knuckle_pop(Builder& b, Rng& r) {
    Transient s = knuckle_source(r, b.params);
    if (b.mic == Mic::contact)
        on_contact(s, r, b.sensor_lowpass_hz);
    else
        on_air(s);
    if (b.wide_pops()) {
        widen(s, r, b.mic == Mic::air);
        for (Mode& m : s.modes) m.tau_s *= r.log_uniform(0.6, 1.6);  // 3-10 ms -> ~2-15 ms
    }
    return render(s, b.fs, r.bits());
}

// The hand's own sound before a crack (skin and tendon, 20-80 ms of soft rustle) [I].
std::vector<float> knuckle_rustle(double fs, Rng& r) {
    const double length_s = r.uniform(0.02, 0.08);
    auto out = smooth_noise(samples(length_s, fs), fs, r, [&](double t) { return hann(t / length_s); });
    Biquad::bandpass(r.uniform(800, 3000), 0.7, fs).run(out);
    scale_peak(out, 1.0);
    return out;
}

double knuckle_session(Builder& b, Rng& r, double start_s, const std::vector<Attempt>& plan, double act_snr_db) {
    double end_s = start_s;
    for (const Attempt& a : plan) {
        const double t = start_s + a.offset_s;
        if (b.mic == Mic::air && r.chance(a.pops == 0 ? 0.6 : 0.3))
            b.place(knuckle_rustle(b.fs, r), t - r.uniform(0.1, 0.2), act_snr_db - r.uniform(8, 20), b.air_path(r),
                    "knuckle_attempt");
        if (a.pops >= 1) {
            const double snr = b.clamp_snr(act_snr_db + r.normal(0, 2.5));
            b.place_event(knuckle_pop(b, r), t, snr, Kind::pop, "knuckles");
            if (a.pops == 2)
                b.place_event(knuckle_pop(b, r), t + r.uniform(0.002, 0.008), b.clamp_snr(snr - r.uniform(3, 10)),
                              Kind::pop, "knuckles");
        }
        end_s = t + 0.05;
    }
    b.hands_busy.push_back({start_s - 0.5, end_s + 0.5});
    return end_s;
}

// §2.2 clunk, with trailing crepitus in a third of them and a motion transient in half.
double clunk_act(Builder& b, Rng& r, double time_s, double snr_db, Region region) {
    if (r.chance(0.5))
        b.place(motion_transient(b.fs, r), time_s - r.uniform(0.02, 0.06), motion_peak_db(b, snr_db, r), b.body_path(),
                "motion");
    Transient s = clunk_source(r, b.params);
    if (b.mic == Mic::contact) {
        s.sensor_highpass_hz = r.uniform(30, 50);  // sensor, not the pop coupling [I]
        s.sensor_lowpass_hz = b.sensor_lowpass_hz;
    } else {
        s.sensor_highpass_hz = r.uniform(60, 100);  // laptop mic
    }
    std::vector<float> clunk = render(s, b.fs, r.bits());
    if (r.chance(0.3)) add_crepitus(clunk, b.fs, r);
    b.place_event(clunk, time_s, snr_db, Kind::clunk, site_name(region));
    return time_s + double(clunk.size()) / b.fs;
}

// A thrust that did not cavitate: the motion alone (a hard negative on a contact sensor).
void failed_spinal_attempt(Builder& b, Rng& r, double time_s) {
    const double virtual_snr = b.draw_snr_db(r, 0);
    b.place(motion_transient(b.fs, r), time_s, motion_peak_db(b, virtual_snr, r), b.body_path(), "motion");
}

// =============================================================================================
// 5. Confounders (§2.4) and body sounds
// =============================================================================================

// Keyboard (§2.4 "Keyboard"): optional soft touch, bottom-out 2-5 ms later with a 2-8 kHz
// plastic ring and a case thump, release 50-200 ms later. One Keyboard per typing burst.
struct Keyboard {
    double ring_hz, ring2_hz, thump_hz, ring_tau_s, release_db;
};

Keyboard draw_keyboard(Rng& r, const SplitParams& p) {
    const double ring = r.log_uniform(p.key_ring_lo_hz, p.key_ring_hi_hz);
    return {ring, ring * r.uniform(1.3, 1.9), r.uniform(150, 400), r.uniform(1e-3, 3e-3), r.uniform(-10, -4)};
}

Transient key_click(const Keyboard& k, double detune, Rng& r) {
    Transient s;
    s.polarity = r.sign(0.5);
    s.sigma_s = r.uniform(40e-6, 120e-6);
    const double tau_s = k.ring_tau_s * r.uniform(0.8, 1.2);
    s.modes = {{k.ring_hz * detune, 1.0, tau_s, r.phase()},
               {k.ring2_hz * detune, db_gain(r.uniform(-12, -6)), tau_s * 0.6, r.phase()},
               {k.thump_hz * detune, db_gain(r.uniform(-8, 0)), r.uniform(3e-3, 8e-3), r.phase()}};
    s.beta = r.uniform(0.2, 0.6);
    s.burst_tau_s = r.uniform(0.2e-3, 0.8e-3);
    s.burst_highpass_hz = 2000;
    return s;
}

std::vector<float> keystroke(const Keyboard& k, double fs, Rng& r) {
    const bool space_bar = r.chance(0.12);
    const double detune = r.uniform(0.92, 1.08) * (space_bar ? 0.7 : 1.0);
    std::vector<float> out;
    double bottom_s = 0;
    if (r.chance(0.5)) {  // the finger's touch on the keycap
        Transient touch;
        touch.sigma_s = r.uniform(0.2e-3, 0.5e-3);
        touch.modes = {{k.ring_hz * detune, 1.0, 0.5e-3, r.phase()}};
        touch.beta = 0.5;
        add_into(out, render(touch, fs, r.bits()), 0, db_gain(r.uniform(-20, -10)));
        bottom_s = r.uniform(0.002, 0.005);
    }
    add_into(out, render(key_click(k, detune, r), fs, r.bits()), samples(bottom_s, fs), space_bar ? db_gain(2) : 1.0);
    const double release_s = bottom_s + r.uniform(0.05, 0.2);
    add_into(out, render(key_click(k, detune * r.uniform(0.95, 1.05), r), fs, r.bits()), samples(release_s, fs),
             db_gain(k.release_db + r.normal(0, 2)));
    scale_peak(out, 1.0);
    return out;
}

// A typing burst at 3-10 keys/s (log-normal intervals, word pauses). Own typing waits while
// the hands are cracking.
void typing_burst(Builder& b, Rng& r, double start_s, double end_s, double level_db, Hands hands) {
    const Keyboard keyboard = draw_keyboard(r, b.params);
    const double mean_interval_s = 1.0 / r.uniform(b.params.keys_per_s_lo, b.params.keys_per_s_hi);
    for (double t = start_s; t < end_s;) {
        b.place(keystroke(keyboard, b.fs, r), t, level_db + r.normal(0, 2.5), b.air_path(r), "keyboard", hands);
        t += mean_interval_s * std::exp(r.normal(-0.08, 0.4));
        if (r.chance(0.12)) t += r.uniform(0.2, 0.7);
    }
}

// Typing for about `share` of the time, in bursts of 2-15 s.
void typing(Builder& b, Rng& r, double share, double level_lo_db, double level_hi_db, Hands hands) {
    if (share <= 0) return;
    share = std::min(share, 0.9);
    const double mean_burst_s = 8.5;
    const double mean_idle_s = mean_burst_s * (1 - share) / share;
    for (double t = r.exponential(mean_idle_s); t < b.duration_s;) {
        const double length_s = r.uniform(2, 15);
        typing_burst(b, r, t, std::min(t + length_s, b.duration_s), r.uniform(level_lo_db, level_hi_db), hands);
        t += length_s + r.exponential(mean_idle_s);
    }
}

// Mouse (§2.4 "Mouse"): a 1-3 ms click at 3-8 kHz, release 60-150 ms later; some double clicks.
std::vector<float> mouse_click(double fs, Rng& r, const SplitParams& p) {
    const double f_hz = r.log_uniform(p.mouse_lo_hz, p.mouse_hi_hz);
    auto click = [&](double detune) {
        Transient s;
        s.polarity = r.sign(0.5);
        s.sigma_s = r.uniform(30e-6, 80e-6);
        const double tau_s = r.uniform(0.3e-3, 0.8e-3);
        s.modes = {{f_hz * detune, 1.0, tau_s, r.phase()},
                   {f_hz * detune * r.uniform(1.4, 2.2), db_gain(r.uniform(-10, -4)), tau_s * 0.7, r.phase()}};
        s.beta = r.uniform(0.2, 0.5);
        s.burst_tau_s = r.uniform(0.2e-3, 0.6e-3);
        s.burst_highpass_hz = 2000;
        return render(s, fs, r.bits());
    };
    std::vector<float> out;
    double t = 0;
    const int clicks = r.chance(0.15) ? 2 : 1;
    for (int i = 0; i < clicks; ++i) {
        add_into(out, click(1.0), samples(t, fs), 1.0);
        t += r.uniform(0.06, 0.15);
        add_into(out, click(r.uniform(0.9, 1.1)), samples(t, fs), db_gain(r.uniform(-8, -3)));
        t += r.uniform(0.04, 0.09);
    }
    scale_peak(out, 1.0);
    return out;
}

// Clap (§2.4 "Clap"): a 1-3 ms broadband pulse and the 0.5-2 kHz Helmholtz ring of the hands.
std::vector<float> clap(double fs, Rng& r) {
    Transient s;
    s.polarity = r.sign(0.5);
    s.sigma_s = r.uniform(50e-6, 200e-6);
    s.modes = {{r.uniform(500, 2000), 1.0, r.uniform(1e-3, 4e-3), r.phase()}};
    s.beta = r.uniform(0.8, 2.0);
    s.burst_tau_s = r.uniform(0.5e-3, 1.5e-3);
    s.burst_highpass_hz = 300;
    return render(s, fs, r.bits());
}

// Finger snap (§2.4 "Snap", row 25): ~7 ms of finger friction, then a 5-20 ms burst at 1-3 kHz.
std::vector<float> snap(double fs, Rng& r) {
    const double friction_s = r.uniform(0.005, 0.009);
    auto out = shaped_noise(samples(friction_s, fs), fs, r, [&](double t) { return hann(t / friction_s); });
    Biquad::bandpass(2000, 1.0, fs).run(out);
    scale_peak(out, db_gain(r.uniform(-25, -18)));
    Transient s;
    s.polarity = r.sign(0.5);
    s.sigma_s = r.uniform(30e-6, 80e-6);
    s.modes = {{r.uniform(1000, 3000), 1.0, r.uniform(0.005, 0.020) / 4.6, r.phase()}};
    s.beta = r.uniform(0.3, 0.8);
    s.burst_tau_s = r.uniform(1e-3, 3e-3);
    add_into(out, render(s, fs, r.bits()), out.size(), 1.0);
    scale_peak(out, 1.0);
    return out;
}

// Knock on a desk or door (§2.4 "Knock"): 2-4 impacts 100-250 ms apart ringing the same panel
// modes (100 Hz-2 kHz) for 30-200 ms.
std::vector<float> knock(double fs, Rng& r) {
    std::vector<Mode> panel(std::size_t(r.integer(2, 4)));
    for (Mode& m : panel) m = {r.log_uniform(100, 2000), db_gain(r.uniform(-10, 0)), r.uniform(0.03, 0.2) / 6.9, 0};
    std::vector<float> out;
    double t = 0;
    const int impacts = r.integer(2, 4);
    for (int i = 0; i < impacts; ++i) {
        Transient s;
        s.polarity = r.sign(0.5);
        s.sigma_s = r.uniform(0.1e-3, 0.4e-3);
        s.modes = panel;
        for (Mode& m : s.modes) m.phase = r.phase();
        s.beta = r.uniform(0.05, 0.3);
        s.burst_tau_s = 0.5e-3;
        s.burst_highpass_hz = 2000;
        add_into(out, render(s, fs, r.bits()), samples(t, fs), db_gain(r.normal(0, 2)));
        t += r.uniform(0.10, 0.25);
    }
    scale_peak(out, 1.0);
    return out;
}

// Footstep [I]: heel strike, a 60-150 Hz floor thump with a 1-3 ms onset, and a 500 Hz-3 kHz
// scuff.
std::vector<float> footstep(double fs, Rng& r) {
    Transient heel;
    heel.polarity = r.sign(0.5);
    heel.sigma_s = r.uniform(1e-3, 3e-3);
    heel.modes = {{r.uniform(60, 150), 1.0, r.uniform(0.010, 0.025), r.phase()}};
    std::vector<float> out = render(heel, fs, r.bits());
    const double scuff_s = r.uniform(0.02, 0.06);
    auto scuff = smooth_noise(samples(scuff_s, fs), fs, r, [&](double t) { return hann(t / scuff_s); });
    Biquad::bandpass(r.uniform(500, 3000), 0.7, fs).run(scuff);
    scale_peak(scuff, db_gain(r.uniform(-20, -10)));
    add_into(out, scuff, samples(r.uniform(0.005, 0.03), fs), 1.0);
    scale_peak(out, 1.0);
    return out;
}

// Someone walking past: 2-8 steps at 1.6-2.2 steps/s, louder in the middle.
void walk(Builder& b, Rng& r, double start_s, double level_db) {
    const int steps = r.integer(2, 8);
    const double interval_s = 1 / r.uniform(1.6, 2.2);
    for (int i = 0; i < steps; ++i) {
        const double approach_db = 6 * std::sin(pi * (i + 0.5) / steps) - 6;
        b.place(footstep(b.fs, r), start_s + i * interval_s * r.uniform(0.95, 1.05), level_db + approach_db,
                b.air_path(r), "footstep");
    }
}

// Cough [I] (DCASE "cough" is the real counterpart): a sharp explosive phase (2-5 ms attack)
// of noise through two vocal-tract resonances, decaying over 150-400 ms; half of them voiced.
std::vector<float> cough(double fs, Rng& r) {
    const double length_s = r.uniform(0.15, 0.4);
    const double attack_s = r.uniform(0.002, 0.005);
    auto envelope = [&](double t) { return t < attack_s ? t / attack_s : std::exp(-(t - attack_s) / (length_s / 3)); };
    std::vector<float> source = shaped_noise(samples(length_s, fs), fs, r, envelope);
    if (r.chance(0.5)) {
        const double f0 = r.uniform(150, 350);
        for (std::size_t i = 0; i < source.size(); ++i) {
            const double t = double(i) / fs;
            const double saw = 2 * (f0 * t - std::floor(f0 * t)) - 1;
            if (t > 0.03) source[i] += static_cast<float>(0.5 * saw * envelope(t));
        }
    }
    std::vector<float> low = source, high = source;
    Biquad::bandpass(r.uniform(400, 900), 2, fs).run(low);
    Biquad::bandpass(r.uniform(1200, 2600), 2, fs).run(high);
    add_into(low, high, 0, 0.5);
    scale_peak(low, 1.0);
    return low;
}

// Chair creak (§2.4 "Chair creak"): a stick-slip pulse train at 20-200 pulses/s for 0.1-1 s,
// each slip ringing two modes, so the train sounds quasi-harmonic.
std::vector<float> creak(double fs, Rng& r) {
    const double length_s = r.uniform(0.1, 1.0);
    const double rate0 = r.log_uniform(20, 200), rate1 = rate0 * r.uniform(0.6, 1.6);
    std::vector<float> train(samples(length_s + 0.02, fs), 0.0f);
    for (double t = 0; t < length_s;) {
        const double u = t / length_s;
        train[samples(t, fs)] += static_cast<float>(std::sqrt(std::sin(pi * u)) * r.uniform(0.6, 1.0));
        t += 1 / (rate0 + (rate1 - rate0) * u) * (1 + r.normal(0, 0.03));
    }
    std::vector<float> out = ring(train, {r.uniform(400, 1200), 1.0, r.uniform(1e-3, 4e-3), 0}, fs, train.size());
    add_into(out, ring(train, {r.uniform(1200, 3000), 0.5, r.uniform(1e-3, 3e-3), 0}, fs, train.size()), 0, 1.0);
    scale_peak(out, 1.0);
    return out;
}

// Digital click: a one- or two-sample glitch (buffer underrun, relay, DAC).
std::vector<float> digital_click(Rng& r) {
    if (r.chance(0.6)) return {static_cast<float>(r.sign(0.5))};
    return {1.0f, static_cast<float>(-r.uniform(0.5, 1.0))};
}

// Speech-like voice [I] (§2.4 "Plosive": 5-30 ms burst, ~30 ms aspiration, then voicing at
// F0 80-300 Hz): a glottal pulse train with intonation and jitter through three formant
// resonators gliding between vowel targets, syllable envelopes, fricatives and plosives.
struct Utterance {
    std::vector<float> audio;
    std::vector<double> plosives_s;  // burst onsets
};

constexpr std::array<std::array<double, 3>, 7> vowel_formants_hz{{{730, 1090, 2440},
                                                                  {530, 1840, 2480},
                                                                  {270, 2290, 3010},
                                                                  {570, 840, 2410},
                                                                  {300, 870, 2240},
                                                                  {660, 1720, 2410},
                                                                  {490, 1350, 1690}}};

class Voice {
   public:
    Voice(double fs, double duration_s, double f0_hz, Rng& r)
        : fs_(fs),
          duration_s_(duration_s),
          f0_hz_(f0_hz),
          r_(r),
          formant_scale_(std::clamp(1 + 0.17 * (f0_hz - 100) / 150, 1.0, 1.25)),
          length_(samples(duration_s + 0.3, fs)),
          envelope_(length_, 0.0f),
          unvoiced_(length_, 0.0f),
          targets_(length_ / block + 1, vowel_formants_hz[0]) {}

    Utterance render() {
        for (double t = 0.05; t < duration_s_;) t = syllable(t);
        Utterance u;
        u.audio = voiced();
        scale_peak(u.audio, 1.0);
        add_into(u.audio, unvoiced_, 0, 1.0);
        scale_peak(u.audio, 1.0);
        u.plosives_s = std::move(plosives_s_);
        return u;
    }

   private:
    static constexpr std::size_t block = 32;  // formant update interval, samples

    // One syllable from `t`: an optional consonant, then a vowel; returns where the next starts.
    double syllable(double t) {
        switch (r_.weighted({0.35, 0.35, 0.30})) {
            case 1:
                t = plosive(t);
                break;
            case 2:
                t = fricative(t);
                break;
            default:
                break;
        }
        t = vowel(t);
        if (r_.chance(0.3)) t += r_.uniform(0.08, 0.3);  // word boundary
        return t;
    }
    double plosive(double t) {
        t += r_.uniform(0.03, 0.06);  // closure: silence
        const double burst_s = r_.uniform(0.005, 0.030), aspiration_s = r_.uniform(0.02, 0.04);
        auto burst = shaped_noise(samples(burst_s + aspiration_s, fs_), fs_, r_, [&](double u) {
            return u < burst_s ? std::exp(-u / (burst_s / 3)) : 0.2 * hann((u - burst_s) / aspiration_s);
        });
        Biquad::bandpass(r_.uniform(1000, 4000), 1.0, fs_).run(burst);
        scale_peak(burst, r_.uniform(0.5, 1.2));
        add_into(unvoiced_, burst, samples(t, fs_), 1.0);
        plosives_s_.push_back(t);
        return t + burst_s + aspiration_s;
    }
    double fricative(double t) {
        const double length_s = r_.uniform(0.06, 0.14);
        auto noise = smooth_noise(samples(length_s, fs_), fs_, r_, [&](double u) { return hann(u / length_s); });
        highpass(noise, r_.uniform(2500, 5000), fs_, 2);
        scale_peak(noise, r_.uniform(0.15, 0.35));
        add_into(unvoiced_, noise, samples(t, fs_), 1.0);
        return t + length_s;
    }
    double vowel(double t) {
        const double length_s = r_.uniform(0.08, 0.25), level = r_.uniform(0.6, 1.0);
        const double attack_s = 0.025, release_s = 0.05;
        const auto& target = vowel_formants_hz[std::size_t(r_.integer(0, int(vowel_formants_hz.size()) - 1))];
        const std::size_t begin = samples(t, fs_);
        const std::size_t end = std::min(length_, begin + samples(length_s + release_s, fs_));
        for (std::size_t i = begin; i < end; ++i) {
            const double u = double(i - begin) / fs_;
            const double rise = std::min(1.0, u / attack_s);
            const double fall = u < length_s ? 1.0 : 1.0 - (u - length_s) / release_s;
            envelope_[i] = std::max(envelope_[i], static_cast<float>(level * rise * std::max(0.0, fall)));
        }
        for (std::size_t k = begin / block; k <= std::min(end / block, targets_.size() - 1); ++k) targets_[k] = target;
        return t + length_s;
    }

    // Glottal pulses (one-pole tilt) through three parallel formant band-passes that glide
    // towards their targets with a ~20 ms time constant, times the syllable envelope.
    std::vector<float> voiced() {
        std::vector<float> out(length_, 0.0f);
        std::array<double, 3> formants = targets_[0];
        std::array<Biquad, 3> filters;
        constexpr std::array<double, 3> gains{1.0, 0.5, 0.2}, bandwidths_hz{80, 100, 140};
        const double glide = 1 - std::exp(-double(block) / (0.02 * fs_));
        const double tilt = std::exp(-two_pi * 300 / fs_);
        const double vibrato_phase = r_.phase();
        double phase = 0, glottal = 0, jitter = 1;
        for (std::size_t i = 0; i < length_; ++i) {
            if (i % block == 0) {
                for (std::size_t k = 0; k < 3; ++k) {
                    formants[k] += glide * (targets_[i / block][k] * formant_scale_ - formants[k]);
                    filters[k].retune(Biquad::bandpass(formants[k], formants[k] / bandwidths_hz[k], fs_));
                }
            }
            const double t = double(i) / fs_;
            const double f0 =
                f0_hz_ * (1 + 0.08 * std::sin(two_pi * 0.7 * t + vibrato_phase) - 0.12 * t / duration_s_) * jitter;
            phase += f0 / fs_;
            double pulse = 0;
            if (phase >= 1) phase -= 1, pulse = 1, jitter = 1 + r_.normal(0, 0.01);
            glottal = tilt * glottal + (1 - tilt) * pulse;
            double y = 0;
            for (std::size_t k = 0; k < 3; ++k) y += gains[k] * filters[k](static_cast<float>(glottal));
            out[i] = static_cast<float>(y * envelope_[i]);
        }
        return out;
    }

    double fs_, duration_s_, f0_hz_;
    Rng& r_;
    double formant_scale_;
    std::size_t length_;
    std::vector<float> envelope_, unvoiced_;
    std::vector<std::array<double, 3>> targets_;
    std::vector<double> plosives_s_;
};

// An utterance of 1-6 s; on the wearer's back sensor, bone-conducted: low-passed at 0.8-1.5 kHz.
void place_speech(Builder& b, Rng& r, double time_s, double f0_hz, double level_db, const Path& path,
                  bool bone_conducted) {
    Utterance u = Voice(b.fs, r.uniform(1, 6), f0_hz, r).render();
    if (bone_conducted) {
        lowpass(u.audio, r.uniform(800, 1500), b.fs, 2);
        scale_peak(u.audio, 1.0);
    }
    if (!b.place(std::move(u.audio), time_s, level_db, path, "speech")) return;
    const std::size_t at = samples(time_s, b.fs);
    const std::vector<float> speech =
        b.confounders().back().envelopes.front();  // a plosive is as loud as its speech there
    for (double p : u.plosives_s) {
        if (double(at) / b.fs + p >= b.duration_s) continue;
        const auto first = std::min(speech.size(), static_cast<std::size_t>(p / envelope_block_s));
        const auto last = std::min(speech.size(), first + static_cast<std::size_t>(std::ceil(0.03 / envelope_block_s)));
        b.confounders().push_back({double(at) / b.fs + p,
                                   0.03,
                                   "plosive",
                                   {std::vector<float>(speech.begin() + static_cast<std::ptrdiff_t>(first),
                                                       speech.begin() + static_cast<std::ptrdiff_t>(last))}});
    }
}

// Heartbeat on the back [I]: S1, an 80-120 ms low-frequency thump (25-45 Hz and 50-90 Hz), then
// S2 0.28-0.34 s later, shorter and a little higher.
std::vector<float> heartbeat(double fs, Rng& r) {
    auto thump = [&](double length_s, double f_a, double f_b) {
        std::vector<float> out(samples(length_s, fs));
        const double pa = r.phase(), pb = r.phase();
        for (std::size_t i = 0; i < out.size(); ++i) {
            const double t = double(i) / fs;
            out[i] = static_cast<float>(hann(t / length_s) *
                                        (std::sin(two_pi * f_a * t + pa) + 0.6 * std::sin(two_pi * f_b * t + pb)));
        }
        return out;
    };
    std::vector<float> out = thump(r.uniform(0.08, 0.12), r.uniform(25, 45), r.uniform(50, 90));
    add_into(out, thump(r.uniform(0.06, 0.08), r.uniform(40, 70), r.uniform(70, 120)),
             samples(r.uniform(0.28, 0.34), fs), db_gain(r.uniform(-6, -2)));
    scale_peak(out, 1.0);
    return out;
}

// Breathing on the back [I]: airflow noise (150-1000 Hz), inhale 1-1.8 s, exhale 1.2-2.2 s.
std::vector<float> breath(double fs, Rng& r) {
    const double inhale_s = r.uniform(1.0, 1.8), exhale_s = r.uniform(1.2, 2.2);
    auto phase_noise = [&](double length_s, double centre_hz) {
        auto n = smooth_noise(samples(length_s, fs), fs, r, [&](double t) {
            return hann(t / length_s);  // sin^2
        });
        Biquad::bandpass(centre_hz, 0.7, fs).run(n);
        return n;
    };
    std::vector<float> out = phase_noise(inhale_s, r.uniform(300, 700));
    add_into(out, phase_noise(exhale_s, r.uniform(200, 500)), out.size(), r.uniform(0.5, 0.9));
    scale_peak(out, 1.0);
    return out;
}

// Clothing / strap rub on a contact sensor (row 20: interface noise is the main problem):
// 30-500 ms of band noise, amplitude-modulated, with micro-crackles.
std::vector<float> rub(double fs, Rng& r) {
    const double length_s = r.uniform(0.03, 0.5);
    const double mod_hz = r.uniform(4, 15);
    auto out = smooth_noise(samples(length_s, fs), fs, r,
                            [&](double t) { return hann(t / length_s) * (1 + 0.5 * std::sin(two_pi * mod_hz * t)); });
    Biquad::bandpass(r.uniform(300, 2000), r.uniform(0.5, 1.0), fs).run(out);
    scale_peak(out, 1.0);
    std::vector<float> crackles(out.size(), 0.0f);
    const double crackles_per_s = r.uniform(30, 300);
    for (double t = r.exponential(1 / crackles_per_s); t < length_s; t += r.exponential(1 / crackles_per_s))
        crackles[std::min(crackles.size() - 1, samples(t, fs))] += static_cast<float>(r.exponential(0.3) * r.sign(0.5));
    highpass(crackles, 1000, fs);
    add_into(out, crackles, 0, 1.0);
    scale_peak(out, 1.0);
    return out;
}

// =============================================================================================
// 6. Noise floors, the room, sensor drift
// =============================================================================================

// Room noise for a desk mic [I]: pink noise (Kellet's refined filter) + HVAC rumble (< 150 Hz),
// sometimes mains hum (50/60 Hz and harmonics) and a laptop-fan hump.
class RoomNoise {
   public:
    RoomNoise(double fs, std::uint64_t seed) : r_(seed) {
        Rng setup(seed ^ 0x5eedULL);
        rumble_ = Biquad::lowpass(setup.uniform(80, 150), butterworth_q, fs);
        rumble_gain_ = db_gain(setup.uniform(-6, 6));
        fan_ = Biquad::bandpass(setup.uniform(300, 1500), 1.0, fs);
        fan_gain_ = setup.chance(0.4) ? db_gain(setup.uniform(-6, 0)) : 0.0;
        hum_step_ = std::polar(1.0, two_pi * (setup.chance(0.5) ? 50 : 60) / fs);
        hum_gain_ = setup.chance(0.3) ? db_gain(setup.uniform(-20, -10)) : 0.0;
    }
    float next() {
        const double w = r_.white();
        b_[0] = 0.99886 * b_[0] + w * 0.0555179;
        b_[1] = 0.99332 * b_[1] + w * 0.0750759;
        b_[2] = 0.96900 * b_[2] + w * 0.1538520;
        b_[3] = 0.86650 * b_[3] + w * 0.3104856;
        b_[4] = 0.55000 * b_[4] + w * 0.5329522;
        b_[5] = -0.7616 * b_[5] - w * 0.0168980;
        const double pink = (b_[0] + b_[1] + b_[2] + b_[3] + b_[4] + b_[5] + b_[6] + w * 0.5362) * 0.2;
        b_[6] = w * 0.115926;
        double hum = 0;
        if (hum_gain_ > 0) {
            hum_phasor_ *= hum_step_;
            if (++n_ % 4096 == 0) hum_phasor_ /= std::abs(hum_phasor_);  // keep it on the unit circle
            const std::complex<double> h2 = hum_phasor_ * hum_phasor_;
            hum = hum_phasor_.imag() + h2.imag() / 2 + (h2 * hum_phasor_).imag() / 3;
        }
        return static_cast<float>(pink + rumble_gain_ * rumble_(rumble_(static_cast<float>(w))) +
                                  fan_gain_ * fan_(static_cast<float>(w)) + hum_gain_ * hum);
    }

   private:
    Rng r_;
    std::array<double, 7> b_{};
    Biquad rumble_, fan_;
    double rumble_gain_ = 0, fan_gain_ = 0, hum_gain_ = 0;
    std::complex<double> hum_step_{1, 0}, hum_phasor_{1, 0};  // mains hum, 50 or 60 Hz
    std::uint64_t n_ = 0;
};

// Contact sensor floor [I]: sensor self-noise (white, through the sensor's low-pass) plus body
// and muscle rumble (< 100 Hz) at a similar level.
class BodyNoise {
   public:
    BodyNoise(double fs, double sensor_lowpass_hz, std::uint64_t seed)
        : r_(seed),
          sensor_(Biquad::lowpass(sensor_lowpass_hz, butterworth_q, fs)),
          muscle_lp_(Biquad::lowpass(60, butterworth_q, fs)),
          muscle_hp_(Biquad::highpass(8, butterworth_q, fs)) {
        Rng setup(seed ^ 0x5eedULL);
        muscle_gain_ = db_gain(setup.uniform(0, 10));
    }
    float next() {
        const float muscle = muscle_hp_(muscle_lp_(muscle_lp_(r_.white())));
        return static_cast<float>(sensor_(r_.white()) + muscle_gain_ * muscle);
    }

   private:
    Rng r_;
    Biquad sensor_, muscle_lp_, muscle_hp_;
    double muscle_gain_ = 1;
};

// Adds a stationary floor with RMS 1. The RMS is measured on the first 10 s of the same
// stream (generated twice from the same seed), so memory stays at one buffer.
template <class MakeNoise>
void add_floor(std::vector<float>& audio, double fs, MakeNoise make) {
    auto probe = make();
    const std::size_t n = std::min(audio.size(), samples(10.0, fs));
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = probe.next();
        sum += v * v;
    }
    const double rms = n > 0 ? std::sqrt(sum / double(n)) : 1.0;
    auto noise = make();
    const auto k = static_cast<float>(rms > 0 ? 1 / rms : 1.0);
    for (float& v : audio) v += k * noise.next();
}

// A small office heard from a desk mic [I]: a desk reflection 1-4 ms after the direct sound, a
// wall reflection 5-15 ms, and a diffuse tail (Schroeder: 4 combs + 2 all-passes) with T60 from
// the split's range at a direct-to-reverberant ratio of 6-15 dB. In place, on the event layer.
void apply_room(std::vector<float>& x, double fs, Rng& r, const SplitParams& p) {
    const double t60_s = r.uniform(p.t60_lo_s, p.t60_hi_s);
    const std::array<std::size_t, 2> tap_delays{samples(r.uniform(0.001, 0.004), fs),
                                                samples(r.uniform(0.005, 0.015), fs)};
    const std::array<double, 2> tap_gains{r.sign(0.3) * r.uniform(0.15, 0.35), r.sign(0.3) * r.uniform(0.1, 0.25)};
    constexpr std::array<double, 4> comb_s{0.0297, 0.0371, 0.0411, 0.0437};
    std::array<std::vector<float>, 4> combs;
    std::array<double, 4> feedback{};
    double comb_energy = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        combs[k].assign(std::max<std::size_t>(1, samples(comb_s[k], fs)), 0.0f);
        feedback[k] = std::pow(10.0, -3 * comb_s[k] / t60_s);
        comb_energy += 1 / (1 - feedback[k] * feedback[k]) / 16;
    }
    const double wet = db_gain(-r.uniform(6, 15)) / std::sqrt(comb_energy);
    constexpr std::array<double, 2> allpass_s{0.005, 0.0017};
    std::array<std::vector<float>, 2> allpasses;
    for (std::size_t k = 0; k < 2; ++k) allpasses[k].assign(std::max<std::size_t>(1, samples(allpass_s[k], fs)), 0.0f);

    // The reflections read the dry input: keep it in a circular history.
    std::vector<float> history(std::max(tap_delays[0], tap_delays[1]) + 1, 0.0f);
    auto advance = [](std::size_t& pos, std::size_t size) {
        if (++pos == size) pos = 0;
    };
    std::size_t now = 0;  // where this sample is written; tap k reads tap_delays[k] behind it
    std::array<std::size_t, 2> tap_pos{};
    for (std::size_t k = 0; k < 2; ++k) tap_pos[k] = (history.size() - tap_delays[k]) % history.size();
    std::array<std::size_t, 4> comb_pos{};
    std::array<std::size_t, 2> allpass_pos{};
    for (float& sample : x) {
        const float in = sample;
        history[now] = in;
        double y = in;
        for (std::size_t k = 0; k < 2; ++k) {
            y += tap_gains[k] * history[tap_pos[k]];
            advance(tap_pos[k], history.size());
        }
        advance(now, history.size());
        double tail = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            float& cell = combs[k][comb_pos[k]];
            const double out = cell;
            cell = static_cast<float>(in + feedback[k] * out);
            advance(comb_pos[k], combs[k].size());
            tail += out / 4;
        }
        for (std::size_t k = 0; k < 2; ++k) {
            float& cell = allpasses[k][allpass_pos[k]];
            const double delayed = cell;
            cell = static_cast<float>(tail + 0.7 * delayed);
            tail = delayed - 0.7 * cell;
            advance(allpass_pos[k], allpasses[k].size());
        }
        sample = static_cast<float>(y + wet * tail);
    }
}

// Slow gain drift of a strapped sensor (§2.3 nuisances): +-2 dB, a new target every 15-40 s,
// cosine-interpolated.
void apply_drift(std::vector<float>& x, double fs, Rng& r) {
    double t0 = 0, g0 = r.uniform(-2, 2);
    double t1 = r.uniform(15, 40), g1 = r.uniform(-2, 2);
    constexpr std::size_t block = 256;  // the gain is constant over ~5 ms
    for (std::size_t begin = 0; begin < x.size(); begin += block) {
        const double t = double(begin) / fs;
        while (t >= t1) t0 = t1, g0 = g1, t1 += r.uniform(15, 40), g1 = r.uniform(-2, 2);
        const double u = 0.5 - 0.5 * std::cos(pi * (t - t0) / (t1 - t0));
        const auto gain = static_cast<float>(db_gain(g0 + (g1 - g0) * u));
        for (std::size_t n = begin; n < std::min(x.size(), begin + block); ++n) x[n] *= gain;
    }
}

// =============================================================================================
// 7. Real recordings (shared/datasets/real, see its README)
// =============================================================================================

constexpr const char* knuckles_file = "sound_misc_knuckles.ogg";
// README: pops in the real knuckle recording, labelled by eye (+-2 ms).
constexpr std::array<double, 8> knuckles_pops_s{0.015, 0.068, 0.0735, 0.087, 0.1035, 0.1365, 0.190, 0.200};

bool excluded(const std::string& name) {
    const bool gore_crack = name.find("gore") != std::string::npos && name.find("crack") != std::string::npos;
    return gore_crack || name.find("wounds_crack") != std::string::npos;
}

// A folder's usable files with extension `ext`, sorted by name, then every other one by split.
std::vector<std::string> split_folder(const fs::path& dir, const std::string& ext, Split split) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return {};
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() == ext && !excluded(name)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> out;
    for (std::size_t i = (split == Split::dev ? 0 : 1); i < names.size(); i += 2)
        out.push_back((dir / names[i]).string());
    return out;
}

// "real:cough" for DCASE files (class = name without digits), "real:<stem>" for foley.
std::string real_class(const std::string& path) {
    const fs::path p(path);
    std::string stem = p.stem().string();
    if (p.parent_path().filename() == "office_events")
        stem.erase(std::find_if(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; }), stem.end());
    return "real:" + stem;
}

// Windowed-sinc resampling: Blackman window, 16 zero crossings each side, cutoff at the lower
// of the two Nyquist frequencies; the kernel is tabulated (512 points per zero crossing,
// linearly interpolated).
std::vector<float> resample(const std::vector<float>& x, double fs_in, double fs_out) {
    if (fs_in == fs_out || x.empty()) return x;
    constexpr int zero_crossings = 16, per_crossing = 512;
    static const std::vector<float> table = [] {
        std::vector<float> t(zero_crossings * per_crossing + 2);
        for (std::size_t i = 0; i < t.size(); ++i) {
            const double u = double(i) / per_crossing;
            const double w = u >= zero_crossings ? 0
                                                 : 0.42 + 0.5 * std::cos(pi * u / zero_crossings) +
                                                       0.08 * std::cos(two_pi * u / zero_crossings);
            t[i] = static_cast<float>((u == 0 ? 1.0 : std::sin(pi * u) / (pi * u)) * w);
        }
        return t;
    }();
    const double ratio = fs_in / fs_out, cutoff = std::min(1.0, fs_out / fs_in);
    const double half_width = zero_crossings / cutoff;
    std::vector<float> out(static_cast<std::size_t>(double(x.size()) / ratio));
    const auto last = static_cast<std::int64_t>(x.size()) - 1;
    for (std::size_t m = 0; m < out.size(); ++m) {
        const double centre = double(m) * ratio;
        const auto lo = std::max<std::int64_t>(0, std::int64_t(std::ceil(centre - half_width)));
        const auto hi = std::min<std::int64_t>(last, std::int64_t(std::floor(centre + half_width)));
        double acc = 0;
        for (std::int64_t k = lo; k <= hi; ++k) {
            const double u = std::abs(centre - double(k)) * cutoff * per_crossing;
            const auto i = static_cast<std::size_t>(u);
            if (i + 1 >= table.size()) continue;
            const double frac = u - double(i);
            acc += x[std::size_t(k)] * (table[i] + frac * (table[i + 1] - table[i]));
        }
        out[m] = static_cast<float>(acc * cutoff);
    }
    return out;
}

// Mono samples of an audio file at `fs`; empty if it cannot be read.
std::vector<float> load_clip(const std::string& path, double fs) {
    SF_INFO info{};
    SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
    if (!file) return {};
    std::vector<float> interleaved(std::size_t(info.frames) * std::size_t(info.channels));
    const sf_count_t read = sf_readf_float(file, interleaved.data(), info.frames);
    sf_close(file);
    if (read <= 0 || info.channels <= 0) return {};
    std::vector<float> mono(static_cast<std::size_t>(read));
    for (std::size_t i = 0; i < mono.size(); ++i) {
        double sum = 0;
        for (int c = 0; c < info.channels; ++c) sum += interleaved[i * std::size_t(info.channels) + std::size_t(c)];
        mono[i] = static_cast<float>(sum / info.channels);
    }
    std::vector<float> out = resample(mono, info.samplerate, fs);
    const std::size_t fade = std::min(out.size() / 2, samples(0.002, fs));  // no edge clicks
    for (std::size_t i = 0; i < fade; ++i) {
        const auto g = static_cast<float>(double(i) / double(fade));
        out[i] *= g;
        out[out.size() - 1 - i] *= g;
    }
    return out;
}

class RealLibrary {
   public:
    RealLibrary(const Options& o, double fs) : fs_(fs) {
        if (!o.use_real || o.real_dir.empty() || o.scenario == Scenario::demo) return;
        for (std::string& path : real_clips(o.real_dir, o.split)) {
            if (fs::path(path).filename() == knuckles_file)
                knuckles_ = std::move(path);
            else
                negatives_.push_back(std::move(path));
        }
    }
    bool has_negatives() const { return !negatives_.empty(); }
    const std::string& knuckles() const { return knuckles_; }
    const std::string& pick_negative(Rng& r) const {
        return negatives_[std::size_t(r.integer(0, int(negatives_.size()) - 1))];
    }
    const std::vector<float>& load(const std::string& path) {
        auto it = cache_.find(path);
        if (it == cache_.end()) it = cache_.emplace(path, load_clip(path, fs_)).first;
        return it->second;
    }

   private:
    double fs_;
    std::vector<std::string> negatives_;
    std::string knuckles_;
    std::map<std::string, std::vector<float>> cache_;
};

void place_real_negative(Builder& b, Rng& r, RealLibrary& library, double time_s) {
    const std::string& path = library.pick_negative(r);
    std::vector<float> clip = library.load(path);
    if (clip.empty()) return;
    scale_peak(clip, 1.0);
    b.place(std::move(clip), time_s, r.uniform(15, 45), b.air_path(r), real_class(path));
}

// The real knuckle recording as a knuckle session, its README pop times as labels.
void place_real_knuckles(Builder& b, Rng& r, RealLibrary& library, double time_s, double act_snr_db) {
    std::vector<float> clip = library.load(library.knuckles());
    if (clip.empty()) return;
    scale_peak(clip, 1.0);
    const Path path = b.air_path(r);
    if (path.lowpass_hz > 0) lowpass(clip, path.lowpass_hz, b.fs, path.stages);
    const double gain = db_gain(act_snr_db + 8 + path.gain_db);  // peak ~8 dB over energy SNR
    const std::size_t at = samples(time_s, b.fs);
    if (at + clip.size() >= b.mix().size()) return;
    b.add(clip, at, gain);
    for (double pop_s : knuckles_pops_s) {
        const std::size_t offset = samples(pop_s, b.fs), start = at + offset;
        if (offset >= clip.size()) break;
        const std::size_t window = std::min(samples(0.005, b.fs), clip.size() - offset);
        const double power = energy(std::span(clip).subspan(offset, window)) * gain * gain / double(window);
        Label label;
        label.time_s = double(start) / b.fs;
        label.site = "knuckles";
        label.duration_s = 0.005;
        label.snr_db = 10 * std::log10(std::max(power, 1e-12));
        label.peak = gain * peak_abs(std::span(clip).subspan(offset, window));
        b.add_label(label);
    }
    b.hands_busy.push_back({time_s - 0.5, time_s + double(clip.size()) / b.fs + 0.5});
}

// =============================================================================================
// 8. Scenarios
// =============================================================================================

// Event rates per minute [I]: dense enough to evaluate on minutes of audio.
struct Rates {
    double episodes = 0, spinal_share = 0, clunks = 0;
    double failed_spinal = 0, failed_knuckle_sessions = 0;
    double typing_share = 0, colleague_typing_share = 0;
    double mouse = 0, clap = 0, knock = 0, walk = 0, speech = 0, cough = 0, creak = 0, snap = 0;
    double digital_click = 0, real = 0;
    double own_speech = 0, rub = 0;  // contact only
};

Rates scenario_rates(Scenario s) {
    Rates r;
    switch (s) {
        case Scenario::contact:
            r.episodes = 1.2, r.spinal_share = 0.75, r.clunks = 0.15, r.failed_spinal = 0.3;
            r.typing_share = 0.35, r.mouse = 4, r.clap = 0.1, r.knock = 0.4, r.walk = 0.3;
            r.speech = 2, r.cough = 0.4, r.creak = 1, r.snap = 0.1, r.digital_click = 0.2, r.real = 3;
            r.own_speech = 2.5, r.rub = 3;
            break;
        case Scenario::ambient:
            r.episodes = 1.5, r.spinal_share = 0.35, r.clunks = 0.1, r.failed_spinal = 0.2;
            r.failed_knuckle_sessions = 0.3;
            r.typing_share = 0.35, r.mouse = 6, r.clap = 0.3, r.knock = 0.6, r.walk = 0.5;
            r.speech = 3, r.cough = 0.5, r.creak = 1, r.snap = 0.3, r.digital_click = 0.3, r.real = 4;
            break;
        case Scenario::negatives:
            r.failed_spinal = 0.4, r.failed_knuckle_sessions = 0.4;
            r.typing_share = 0.55, r.colleague_typing_share = 0.25, r.mouse = 12, r.clap = 1;
            r.knock = 1.5, r.walk = 1, r.speech = 5, r.cough = 1, r.creak = 2, r.snap = 1;
            r.digital_click = 1, r.real = 8;
            break;
        case Scenario::spine:  // rendered by synth_spine.cpp
            break;
        case Scenario::demo:
            r.typing_share = 0.35, r.mouse = 5, r.clap = 0.2, r.knock = 0.5, r.walk = 0.3;
            r.speech = 3, r.cough = 0.3, r.creak = 0.5, r.snap = 0.2, r.digital_click = 0.2;
            break;
        case Scenario::dual:
        case Scenario::dual_negatives:
            break;  // synth_dual.cpp has its own
    }
    return r;
}

// Pop acts (knuckle sessions and spinal clusters) as a renewal process: at least 1 s between
// one act's end and the next start.
void add_pop_acts(Builder& b, Rng& r, const Rates& rates, RealLibrary& library) {
    if (rates.episodes <= 0) return;
    const double mean_s = 60.0 / rates.episodes;
    bool real_knuckles_used = library.knuckles().empty() || b.mic == Mic::contact || r.chance(0.5);
    for (double t = 1 + r.exponential(mean_s); t < b.duration_s - 3; t += r.exponential(mean_s)) {
        double end_s = t;
        if (r.chance(rates.spinal_share)) {
            const Region region = draw_region(r);
            end_s = spinal_cluster(b, r, t, region, b.draw_snr_db(r, site_offset_db(b.mic, site_name(region))));
        } else if (!real_knuckles_used) {
            place_real_knuckles(b, r, library, t, b.draw_snr_db(r, 0));
            real_knuckles_used = true;
            end_s = t + 0.3;
        } else {
            end_s =
                knuckle_session(b, r, t, draw_session(b, r, t), b.draw_snr_db(r, site_offset_db(b.mic, "knuckles")));
        }
        t = std::max(t, end_s + 1.0);
    }
}

void add_clunks(Builder& b, Rng& r, double per_min) {
    poisson(r, per_min, b.duration_s - 1, [&](double t) {
        const Region region = draw_region(r);
        clunk_act(b, r, t, b.draw_snr_db(r, site_offset_db(b.mic, site_name(region)) + (b.mic == Mic::air ? -6 : 0)),
                  region);
    });
}

// Every office sound of §2.4 at its rate (scaled by Options::density).
void add_office(Builder& b, Rng& r, const Rates& rates, RealLibrary& library, double density) {
    const double d = density;
    typing(b, r, rates.typing_share * d, 18, 38, Hands::busy);
    typing(b, r, rates.colleague_typing_share * d, 10, 25, Hands::free);
    poisson(r, rates.mouse * d, b.duration_s, [&](double t) {
        b.place(mouse_click(b.fs, r, b.params), t, r.uniform(15, 35), b.air_path(r), "mouse", Hands::busy);
    });
    poisson(r, rates.clap * d, b.duration_s, [&](double t) {
        const int claps = r.chance(0.7) ? 1 : r.integer(2, 5);
        for (int i = 0; i < claps; ++i)
            b.place(clap(b.fs, r), t + i * r.uniform(0.3, 0.6), r.uniform(30, 50), b.air_path(r), "clap");
    });
    poisson(r, rates.knock * d, b.duration_s,
            [&](double t) { b.place(knock(b.fs, r), t, r.uniform(25, 48), b.air_path(r), "knock"); });
    poisson(r, rates.walk * d, b.duration_s, [&](double t) { walk(b, r, t, r.uniform(8, 28)); });
    poisson(r, rates.speech * d, b.duration_s, [&](double t) {
        place_speech(b, r, t, r.log_uniform(b.params.f0_lo_hz, b.params.f0_hi_hz), r.uniform(18, 40), b.air_path(r),
                     false);
    });
    poisson(r, rates.cough * d, b.duration_s, [&](double t) {
        const bool own = b.mic == Mic::contact && r.chance(0.5);  // the wearer's cough: body-borne
        const int coughs = r.integer(1, 3);
        for (int i = 0; i < coughs; ++i)
            b.place(cough(b.fs, r), t + i * r.uniform(0.3, 0.7), r.uniform(28, 48), own ? b.body_path() : b.air_path(r),
                    "cough");
    });
    poisson(r, rates.creak * d, b.duration_s, [&](double t) {
        const bool chair = b.mic == Mic::contact;  // through the chair back
        b.place(creak(b.fs, r), t, chair ? r.uniform(5, 20) : r.uniform(10, 30), chair ? b.body_path() : b.air_path(r),
                "creak");
    });
    poisson(r, rates.snap * d, b.duration_s,
            [&](double t) { b.place(snap(b.fs, r), t, r.uniform(25, 45), b.air_path(r), "snap"); });
    poisson(r, rates.digital_click * d, b.duration_s,
            [&](double t) { b.place(digital_click(r), t, r.uniform(10, 45), Path{}, "digital_click"); });
    if (library.has_negatives())
        poisson(r, rates.real * d, b.duration_s, [&](double t) { place_real_negative(b, r, library, t); });
    poisson(r, rates.failed_spinal * d, b.duration_s, [&](double t) { failed_spinal_attempt(b, r, t); });
    // Knuckle sessions that never crack (all attempts fail): rustles only.
    poisson(r, rates.failed_knuckle_sessions * d, b.duration_s, [&](double t) {
        const int attempts = r.integer(1, 6);
        for (int i = 0; i < attempts; ++i)
            b.place(knuckle_rustle(b.fs, r), t + i * r.uniform(0.3, 2.0), r.uniform(5, 20), b.air_path(r),
                    "knuckle_attempt");
    });
}

// The contact mic's own world: heartbeat throughout, breathing, rub, the wearer's voice.
void add_body(Builder& b, Rng& r, const Rates& rates, double density) {
    const double bpm = r.uniform(60, 90), heart_db = r.uniform(12, 26);
    const double resp_phase = r.phase();
    for (double t = r.uniform(0, 1); t < b.duration_s;) {
        b.place(heartbeat(b.fs, r), t, heart_db + r.normal(0, 1), b.body_path(), "heartbeat");
        t += 60 / bpm * (1 + 0.04 * std::sin(two_pi * t / 4 + resp_phase) + r.normal(0, 0.02));
    }
    const double breath_db = r.uniform(4, 14);
    for (double t = r.uniform(0, 2); t < b.duration_s;) {
        std::vector<float> one = breath(b.fs, r);
        const double length_s = double(one.size()) / b.fs;
        b.place(std::move(one), t, breath_db + r.normal(0, 1), b.body_path(), "breath");
        t += length_s + r.uniform(0.5, 1.5);
    }
    poisson(r, rates.rub * density, b.duration_s,
            [&](double t) { b.place(rub(b.fs, r), t, r.uniform(8, 30), b.body_path(), "rub"); });
    const double own_f0 = r.log_uniform(b.params.f0_lo_hz, b.params.f0_hi_hz);
    poisson(r, rates.own_speech * density, b.duration_s, [&](double t) {
        place_speech(b, r, t, own_f0 * r.uniform(0.95, 1.05), r.uniform(25, 45), b.body_path(), true);
    });
}

// The demo: ~3 minutes of office with 12 clear pops in 6 episodes (knuckle sessions, a double
// pop, one spinal cluster heard through the air) and one clunk; nothing else within 0.6 s of
// them. Synthetic only, so it is the same on every machine.
void add_demo_acts(Builder& b, Rng& r) {
    struct Scripted {
        double time_s;
        std::vector<Attempt> knuckles;  // empty: the spinal cluster
    };
    const std::vector<Scripted> script{
        {14, {{0, 1}, {0.8, 1}}},
        {38, {{0, 0}, {0.9, 1}}},
        {62, {}},
        {88, {{0, 2}}},
        {122, {{0, 1}, {0.7, 1}, {1.6, 1}}},
        {150, {{0, 1}}},
    };
    for (const Scripted& act : script) {
        const double t = act.time_s + r.uniform(-2, 2);
        double end_s = t;
        if (act.knuckles.empty())
            end_s = spinal_cluster(b, r, t, Region::upper_back, r.uniform(15, 20), 3);
        else
            end_s = knuckle_session(b, r, t, act.knuckles, r.uniform(22, 30));
        b.keep_clear.push_back({t - 0.6, end_s + 0.6});
    }
    const double clunk_s = 106 + r.uniform(-2, 2);
    const double end_s = clunk_act(b, r, clunk_s, 20, Region::upper_back);
    b.keep_clear.push_back({clunk_s - 0.6, end_s + 0.6});
    b.hands_busy.clear();  // keep_clear already covers the sessions
}

// The same gap rule the label reader applies (datasets/labels.hpp); labels are in time order.
void number_episodes(std::vector<Label>& labels) {
    std::vector<double> pop_times;
    for (const Label& l : labels)
        if (l.kind == Kind::pop) pop_times.push_back(l.time_s);
    const std::vector<int> episodes = group_episodes(pop_times, episode_gap_s);
    std::size_t k = 0;
    for (Label& l : labels) l.episode = l.kind == Kind::pop ? episodes[k++] : -1;
}

// Stream numbers for derive_seed.
enum Stream : std::uint64_t { acts_stream = 1, office_stream, body_stream, floor_stream, room_stream, level_stream };

}  // namespace

// =============================================================================================
// Public interface
// =============================================================================================

Scenario parse_scenario(const std::string& name) {
    for (Scenario s : {Scenario::contact, Scenario::ambient, Scenario::negatives, Scenario::demo, Scenario::spine,
                       Scenario::dual, Scenario::dual_negatives})
        if (name == scenario_name(s)) return s;
    throw std::invalid_argument("unknown scenario '" + name +
                                "' (contact, ambient, negatives, demo, spine, dual, dual-negatives)");
}

std::string_view scenario_name(Scenario s) {
    switch (s) {
        case Scenario::contact:
            return "contact";
        case Scenario::ambient:
            return "ambient";
        case Scenario::negatives:
            return "negatives";
        case Scenario::demo:
            return "demo";
        case Scenario::spine:
            return "spine";
        case Scenario::dual:
            return "dual";
        case Scenario::dual_negatives:
            return "dual-negatives";
    }
    return "ambient";
}

Split parse_split(const std::string& name) {
    if (name == "dev") return Split::dev;
    if (name == "test") return Split::test;
    throw std::invalid_argument("unknown split '" + name + "' (dev, test)");
}

std::string_view split_name(Split s) { return s == Split::dev ? "dev" : "test"; }

std::string default_real_dir() { return std::string(POPWATCH_SHARED_DIR) + "/datasets/real"; }

std::vector<std::string> real_clips(const std::string& real_dir, Split split) {
    if (real_dir.empty()) return {};
    std::vector<std::string> out = split_folder(fs::path(real_dir) / "office_events", ".wav", split);
    for (std::string& p : split_folder(fs::path(real_dir) / "game_foley", ".ogg", split)) out.push_back(std::move(p));
    return out;
}

void validate(const Options& o) {
    auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
    if (!(o.sample_rate >= 8000 && o.sample_rate <= 192000) || o.sample_rate != std::round(o.sample_rate))
        fail("sample rate must be a whole number of Hz in 8000..192000");
    if (o.scenario != Scenario::demo && !(o.minutes > 0 && o.minutes <= max_minutes))
        fail("minutes must be in (0, 180]");
    if (!(o.snr_min_db <= o.snr_max_db)) fail("snr range is empty (min > max)");
    if (!(o.peak_min_dbfs <= o.peak_max_dbfs && o.peak_max_dbfs <= 0))
        fail("peak level range must be within ..0 dBFS with min <= max");
    if (!(o.density >= 0)) fail("density must be >= 0");
    if (o.episodes_per_min && !(*o.episodes_per_min >= 0)) fail("episodes per minute must be >= 0");
    if (o.clunks_per_min && !(*o.clunks_per_min >= 0)) fail("clunks per minute must be >= 0");
}

Scene render(const Options& options) {
    validate(options);
    if (options.scenario == Scenario::spine) return render_spine(options);
    if (options.scenario == Scenario::dual || options.scenario == Scenario::dual_negatives) return render_dual(options);
    const double duration_s = (options.scenario == Scenario::demo ? demo_minutes : options.minutes) * 60;
    const Mic mic = options.scenario == Scenario::contact ? Mic::contact : Mic::air;
    const std::uint64_t seed = derive_seed(derive_seed(options.seed, options.split == Split::dev ? 0 : 1),
                                           static_cast<std::uint64_t>(options.scenario));
    auto stream = [&](Stream s) { return Rng(derive_seed(seed, s)); };

    Builder b(options, mic, duration_s);
    Rng acts = stream(acts_stream), office = stream(office_stream), body = stream(body_stream);
    Rng room = stream(room_stream), level = stream(level_stream);
    if (mic == Mic::contact) b.sensor_lowpass_hz = clamp_hz(body.uniform(2000, 8000), b.fs);
    RealLibrary library(options, b.fs);

    Rates rates = scenario_rates(options.scenario);
    const bool pops_allowed = options.scenario == Scenario::contact || options.scenario == Scenario::ambient;
    if (pops_allowed && options.episodes_per_min) rates.episodes = *options.episodes_per_min;
    if (pops_allowed && options.clunks_per_min) rates.clunks = *options.clunks_per_min;

    if (options.scenario == Scenario::demo) add_demo_acts(b, acts);
    add_pop_acts(b, acts, rates, library);
    add_clunks(b, acts, rates.clunks);
    add_office(b, office, rates, library, options.density);
    if (mic == Mic::contact) add_body(b, body, rates, options.density);

    if (mic == Mic::air) apply_room(b.mix(), b.fs, room, b.params);
    const std::uint64_t floor_seed = derive_seed(seed, floor_stream);
    if (mic == Mic::contact) {
        add_floor(b.mix(), b.fs, [&] { return BodyNoise(b.fs, b.sensor_lowpass_hz, floor_seed); });
        apply_drift(b.mix(), b.fs, body);
    } else {
        add_floor(b.mix(), b.fs, [&] { return RoomNoise(b.fs, floor_seed); });
    }

    Scene scene;
    scene.sample_rate = b.fs;
    scene.labels = std::move(b.labels());
    scene.confounders = std::move(b.confounders());
    scene.audio = b.take_audio();
    auto by_time = [](const auto& x, const auto& y) { return x.time_s < y.time_s; };
    std::stable_sort(scene.labels.begin(), scene.labels.end(), by_time);
    std::stable_sort(scene.confounders.begin(), scene.confounders.end(), by_time);
    number_episodes(scene.labels);

    scale_peak(scene.audio, db_gain(level.uniform(options.peak_min_dbfs, options.peak_max_dbfs)));
    return scene;
}

std::vector<float> render_isolated(Isolated what, double sample_rate, std::uint64_t seed, Split split) {
    Rng r(derive_seed(seed, 99));
    const SplitParams p = split_params(split);
    Transient s;
    switch (what) {
        case Isolated::knuckle_pop_air:
            s = knuckle_source(r, p);
            on_air(s);
            return render(s, sample_rate, r.bits());
        case Isolated::spine_pop_contact:
        case Isolated::spine_pop_air:
            s = spine_source(r, spine_f1_hz(r, p.spine_f1_median_hz));
            if (what == Isolated::spine_pop_contact)
                on_contact(s, r, r.uniform(2000, 8000));
            else
                spine_on_air(s, r);
            return render_with_duration(s, spine_d20_s(r, p), sample_rate, r.bits());
        case Isolated::clunk_contact:
            s = clunk_source(r, p);
            s.sensor_highpass_hz = r.uniform(30, 50);
            s.sensor_lowpass_hz = r.uniform(2000, 8000);
            return render(s, sample_rate, r.bits());
    }
    return {};
}

// The contact floor for other translation units (synth_internal.hpp).
std::vector<float> contact_floor(std::size_t frames, double fs, double sensor_lowpass_hz, std::uint64_t seed) {
    std::vector<float> out(frames, 0.0f);
    add_floor(out, fs, [&] { return BodyNoise(fs, clamp_hz(sensor_lowpass_hz, fs), seed); });
    return out;
}

// =============================================================================================
// 9. Writing files
// =============================================================================================

namespace {

void write_wav(const Scene& scene, const std::string& path) {
    SF_INFO info{};
    info.samplerate = static_cast<int>(std::lround(scene.sample_rate));
    info.channels = scene.channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!file) throw std::runtime_error("cannot write " + path + ": " + sf_strerror(nullptr));
    const auto frames = static_cast<sf_count_t>(scene.audio.size() / std::size_t(scene.channels));
    const sf_count_t written = sf_writef_float(file, scene.audio.data(), frames);
    const std::string error = sf_strerror(file);
    const int closed = sf_close(file);
    if (written != frames || closed != 0) throw std::runtime_error("cannot write " + path + ": " + error);
}

// Runs `fill(out)` on a new text file and checks the stream afterwards.
template <class Fill>
void write_text(const std::string& path, Fill fill) {
    std::ofstream out(path, std::ios::binary);
    if (!out) throw std::runtime_error("cannot write " + path + ": cannot open for writing");
    fill(out);
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + path + ": write failed (disk full?)");
}

std::string format(const char* pattern, double a, double b = 0) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, pattern, a, b);
    return buffer;
}

}  // namespace

std::vector<std::string> write_scene(const Scene& scene, const std::string& dir, const std::string& stem) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
    const fs::path base = fs::path(dir) / stem;
    const std::string wav = base.string() + ".wav", csv = base.string() + ".labels.csv";
    const std::string txt = base.string() + ".labels.txt", confounders = base.string() + ".confounders.csv";

    write_wav(scene, wav);
    const bool positions = std::any_of(scene.labels.begin(), scene.labels.end(),
                                       [](const Label& l) { return std::isfinite(l.position_cm); });
    write_text(csv, [&](std::ofstream& out) {
        out << (positions ? "time_s,kind,episode,site,position_cm\n" : "time_s,kind,episode,site\n");
        for (const Label& l : scene.labels) {
            out << format("%.6f", l.time_s) << ',' << kind_name(l.kind) << ',';
            if (l.kind == Kind::pop) out << l.episode;
            out << ',' << l.site;
            if (positions) out << ',' << (std::isfinite(l.position_cm) ? format("%.2f", l.position_cm) : "");
            out << '\n';
        }
    });
    write_text(txt, [&](std::ofstream& out) {
        for (const Label& l : scene.labels)
            out << format("%.6f\t%.6f", l.time_s, l.time_s + l.duration_s) << '\t' << kind_name(l.kind) << '\n';
    });
    write_text(confounders, [&](std::ofstream& out) {
        out << "time_s,duration_s,class\n";
        for (const Confounder& c : scene.confounders)
            out << format("%.6f,%.6f", c.time_s, c.duration_s) << ',' << c.cls << '\n';
    });
    return {wav, csv, txt, confounders};
}

std::vector<LabelledEvent> truth(const Scene& scene) {
    std::vector<LabelledEvent> out;
    for (const auto& l : scene.labels) out.push_back({l.time_s, l.kind, l.episode, l.site, l.position_cm});
    return out;
}

std::vector<popwatch::Confounder> confounders(const Scene& scene, int channel) {
    std::vector<popwatch::Confounder> out;
    const auto k = static_cast<std::size_t>(channel);
    for (const auto& c : scene.confounders)
        out.push_back({c.time_s, c.duration_s, c.cls, k < c.envelopes.size() ? c.envelopes[k] : std::vector<float>{}});
    return out;
}

}  // namespace popwatch::synth

// =============================================================================================
// 10. The generators for scenarios in other files (synth_internal.hpp)
// =============================================================================================

namespace popwatch::synth::internal {

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) { return synth::derive_seed(seed, stream); }
void lowpass(std::vector<float>& x, double cutoff_hz, double fs, int stages) {
    synth::lowpass(x, clamp_hz(cutoff_hz, fs), fs, stages);
}
std::vector<float> block_peaks(std::span<const float> x, double gain, double fs) {
    return synth::block_peaks(x, gain, fs);
}

SensorPair spinal_pop(double fs, Split split, std::uint64_t seed, double f1_hz, double contact_lowpass_hz) {
    Rng r(seed);
    const SplitParams p = split_params(split);
    const Transient source = spine_source(r, f1_hz);
    const double d20_s = spine_d20_s(r, p);
    const std::uint64_t noise = r.bits();
    Transient contact = source, air = source;
    on_contact(contact, r, clamp_hz(contact_lowpass_hz, fs));
    spine_on_air(air, r);
    return {render_with_duration(contact, d20_s, fs, noise), render_with_duration(air, d20_s, fs, noise)};
}

double spine_f1_hz(Split split, std::uint64_t seed) {
    Rng r(seed);
    return synth::spine_f1_hz(r, split_params(split).spine_f1_median_hz);
}

SensorPair knuckle_pop(double fs, Split split, std::uint64_t seed, double contact_lowpass_hz) {
    Rng r(seed);
    const Transient source = knuckle_source(r, split_params(split));
    const std::uint64_t noise = r.bits();
    Transient contact = source, air = source;
    on_contact(contact, r, clamp_hz(contact_lowpass_hz, fs));
    on_air(air);
    return {render(contact, fs, noise), render(air, fs, noise)};
}

SensorPair clunk(double fs, Split split, std::uint64_t seed, double contact_lowpass_hz) {
    Rng r(seed);
    const Transient source = clunk_source(r, split_params(split));
    const std::uint64_t noise = r.bits();
    Transient contact = source, air = source;
    contact.sensor_highpass_hz = r.uniform(30, 50);
    contact.sensor_lowpass_hz = clamp_hz(contact_lowpass_hz, fs);
    air.sensor_highpass_hz = r.uniform(60, 100);
    return {render(contact, fs, noise), render(air, fs, noise)};
}

std::vector<float> office_sound(const std::string& cls, double fs, Split split, std::uint64_t seed) {
    Rng r(seed);
    if (cls == "mouse") return mouse_click(fs, r, split_params(split));
    if (cls == "clap") return clap(fs, r);
    if (cls == "knock") return knock(fs, r);
    if (cls == "footstep") return footstep(fs, r);
    if (cls == "snap") return snap(fs, r);
    if (cls == "cough") return cough(fs, r);
    if (cls == "creak") return creak(fs, r);
    if (cls == "digital_click") return digital_click(r);
    if (cls == "knuckle_attempt") return knuckle_rustle(fs, r);
    throw std::invalid_argument("no office sound '" + cls + "'");
}

std::vector<float> keystroke(double fs, Split split, std::uint64_t keyboard_seed, std::uint64_t seed) {
    Rng k(keyboard_seed), r(seed);
    return synth::keystroke(draw_keyboard(k, split_params(split)), fs, r);
}

double keys_per_s(Split split, std::uint64_t seed) {
    Rng r(seed);
    const SplitParams p = split_params(split);
    return r.uniform(p.keys_per_s_lo, p.keys_per_s_hi);
}

std::vector<float> speech(double fs, double seconds, double f0_hz, std::uint64_t seed) {
    Rng r(seed);
    return Voice(fs, seconds, f0_hz, r).render().audio;
}

double voice_f0_hz(Split split, std::uint64_t seed) {
    Rng r(seed);
    const SplitParams p = split_params(split);
    return r.log_uniform(p.f0_lo_hz, p.f0_hi_hz);
}

std::vector<float> body_sound(const std::string& cls, double fs, std::uint64_t seed) {
    Rng r(seed);
    if (cls == "heartbeat") return heartbeat(fs, r);
    if (cls == "breath") return breath(fs, r);
    if (cls == "rub") return rub(fs, r);
    if (cls == "motion") return motion_transient(fs, r);
    throw std::invalid_argument("no body sound '" + cls + "'");
}

void add_room_floor(std::vector<float>& audio, double fs, std::uint64_t seed) {
    add_floor(audio, fs, [&] { return RoomNoise(fs, seed); });
}
void add_body_floor(std::vector<float>& audio, double fs, double sensor_lowpass_hz, std::uint64_t seed) {
    add_floor(audio, fs, [&] { return BodyNoise(fs, clamp_hz(sensor_lowpass_hz, fs), seed); });
}
void apply_room(std::vector<float>& audio, double fs, Split split, std::uint64_t seed) {
    Rng r(seed);
    synth::apply_room(audio, fs, r, split_params(split));
}
void apply_drift(std::vector<float>& audio, double fs, std::uint64_t seed) {
    Rng r(seed);
    synth::apply_drift(audio, fs, r);
}

std::vector<float> load_clip(const std::string& path, double fs) { return synth::load_clip(path, fs); }
std::string real_class(const std::string& path) { return synth::real_class(path); }

}  // namespace popwatch::synth::internal

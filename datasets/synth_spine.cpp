// The spine scenario: several contact sensors taped along the spine, pops at known positions
// between and around them (issue #6), for localisation tests and the accuracy benchmark.
//
// Propagation model [I] (research note §2.5, row 24):
//  - Sensors on the skin at p_k = k * spacing_cm (k = 0..sensors-1) along the spine. Each act (a
//    spinal thrust, 1-4 pops 8-39 ms apart, §2.3) is centred at a position drawn uniformly from
//    3 cm before the first sensor to 3 cm past the last; each pop of the act comes from within
//    ~1 cm of it (the left and right facet, a neighbouring joint). Sources sit depth_cm (2-4 cm)
//    under the skin, so the path to sensor k is r_k = sqrt(depth^2 + (x - p_k)^2).
//  - Attenuation exponential in distance: alpha dB/cm below 500 Hz, 1.6 x alpha above (higher
//    frequencies die faster in tissue), alpha drawn per recording in the split's range
//    (dev 0.6-1.3, test 0.5-1.5 dB/cm) and jittered +-10 % per pop. The two bands are a low-pass
//    of the pop and its complement, so a sensor at the source hears the pop unchanged.
//  - Delay r_k / speed, speed per recording 1450-1650 m/s (dev) or 1400-1700 m/s (test), around
//    soft tissue's compressional 1540 m/s; applied as a fractional delay (Hann-windowed sinc,
//    16 taps). At 48 kHz, 12 cm is ~3.7 samples.
//  - Each sensor has its own gain error, uniform +-2 dB per recording (strap pressure, coupling),
//    so the loudest channel is not always the nearest, and its own independent floor: the
//    contact scenario's body + sensor noise (RMS 1) through its own 2-8 kHz sensor low-pass.
//  - Per-pop SNR is defined as in synth.hpp, on the sensor nearest the source before its gain
//    error; drawn normal around the split's mean (dev 20 dB, test 18 dB, sd 6 dB) within
//    [snr_min_db, snr_max_db]. Labels: the time the pop reaches the nearest sensor, the true
//    position, and that sensor's site name.
// The whole recording is then scaled to a peak in [peak_min_dbfs, peak_max_dbfs], all channels
// by the same factor (so level ratios between sensors are kept).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>

#include "datasets/synth.hpp"
#include "datasets/synth_internal.hpp"

namespace popwatch::synth {
namespace {

struct SpineParams {
    double alpha_lo, alpha_hi;  // dB/cm below 500 Hz
    double speed_lo, speed_hi;  // m/s
    double depth_lo, depth_hi;  // cm
    double snr_mean_db;
};

SpineParams spine_params(Split split) {
    if (split == Split::dev) return {0.6, 1.3, 1450, 1650, 2.0, 4.0, 20};
    return {0.5, 1.5, 1400, 1700, 1.5, 4.5, 18};
}

std::uint64_t mix_seed(std::uint64_t x) {  // splitmix64
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

class Random {
   public:
    explicit Random(std::uint64_t seed) : engine_(seed) {}
    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(engine_); }
    double normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(engine_); }
    std::uint64_t bits() { return engine_(); }

   private:
    std::mt19937_64 engine_;
};

// Second-order Butterworth low-pass (RBJ cookbook), applied in place.
void lowpass(std::vector<float>& x, double cutoff_hz, double fs) {
    const double w = 2 * std::numbers::pi * cutoff_hz / fs, alpha = std::sin(w) / std::numbers::sqrt2;  // Q = 1/sqrt(2)
    const double c = std::cos(w), a0 = 1 + alpha;
    const double b0 = (1 - c) / 2 / a0, b1 = (1 - c) / a0, b2 = b0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
    double z1 = 0, z2 = 0;
    for (float& v : x) {
        const double in = v, out = b0 * in + z1;
        z1 = b1 * in - a1 * out + z2;
        z2 = b2 * in - a2 * out;
        v = static_cast<float>(out);
    }
}

// dst[at + n] += gain * src(n - delay) for a fractional delay >= 0 (Hann-windowed sinc).
void add_delayed(std::vector<float>& dst, std::size_t channels, std::size_t channel, const std::vector<float>& src,
                 std::size_t at, double delay, double gain) {
    constexpr int half = 8;
    const auto whole = static_cast<std::ptrdiff_t>(std::floor(delay));
    const double frac = delay - static_cast<double>(whole);
    std::array<double, 2 * half> taps{};
    for (int j = 0; j < 2 * half; ++j) {  // tap j weighs src[n - whole - (j - half + 1)]
        const double t = static_cast<double>(j - half + 1) + frac;
        const double sinc = t == 0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
        taps[static_cast<std::size_t>(j)] = sinc * (0.5 + 0.5 * std::cos(std::numbers::pi * t / (half + 1)));
    }
    const std::size_t frames = dst.size() / channels;
    const auto length = static_cast<std::ptrdiff_t>(src.size()) + whole + half;
    for (std::ptrdiff_t n = -half; n < length; ++n) {
        const auto out = static_cast<std::ptrdiff_t>(at) + n;
        if (out < 0 || static_cast<std::size_t>(out) >= frames) continue;
        double y = 0;
        for (int j = 0; j < 2 * half; ++j) {
            const std::ptrdiff_t m = n - whole - (j - half + 1);
            if (m >= 0 && m < static_cast<std::ptrdiff_t>(src.size()))
                y += taps[static_cast<std::size_t>(j)] * src[static_cast<std::size_t>(m)];
        }
        dst[static_cast<std::size_t>(out) * channels + channel] += static_cast<float>(gain * y);
    }
}

std::string sensor_name(int sensors, int k) {
    if (sensors == 3) return k == 0 ? "upper-back" : k == 1 ? "mid-back" : "lower-back";
    std::string name = "sensor-";
    name += std::to_string(k + 1);
    return name;
}

}  // namespace

std::string spine_sites(int sensors, double spacing_cm) {
    std::string out;
    for (int k = 0; k < sensors; ++k) {
        char position[32];
        std::snprintf(position, sizeof position, "%g", k * spacing_cm);
        // Appended piece by piece: GCC 12 warns falsely on chained std::string + (bug 105651).
        if (k) out += ',';
        out += sensor_name(sensors, k);
        out += '@';
        out += position;
    }
    return out;
}

Scene render_spine(const Options& o) {
    if (o.sensors < 2 || o.sensors > 8) throw std::invalid_argument("spine: sensors must be 2..8");
    if (!(o.spacing_cm >= 1 && o.spacing_cm <= 40)) throw std::invalid_argument("spine: spacing must be 1..40 cm");
    const double fs = o.sample_rate;
    const auto channels = static_cast<std::size_t>(o.sensors);
    const auto frames = static_cast<std::size_t>(std::llround(o.minutes * 60 * fs));
    const SpineParams p = spine_params(o.split);
    const std::uint64_t seed = mix_seed(mix_seed(o.seed ^ (o.split == Split::dev ? 0x11 : 0x22)) + 0x5917e);
    Random file(mix_seed(seed + 1)), acts(mix_seed(seed + 2));

    Scene scene;
    scene.sample_rate = fs;
    scene.channels = o.sensors;
    scene.audio.assign(frames * channels, 0.0f);
    std::vector<double> gain_db(channels), positions(channels);
    for (std::size_t k = 0; k < channels; ++k) {
        positions[k] = static_cast<double>(k) * o.spacing_cm;
        gain_db[k] = file.uniform(-2, 2);
        const std::vector<float> floor = contact_floor(frames, fs, file.uniform(2000, 8000), mix_seed(seed + 10 + k));
        for (std::size_t i = 0; i < frames; ++i) scene.audio[i * channels + k] = floor[i];
    }
    const double alpha = file.uniform(p.alpha_lo, p.alpha_hi);
    const double speed = file.uniform(p.speed_lo, p.speed_hi);
    const double depth = file.uniform(p.depth_lo, p.depth_hi);
    const double lo = positions.front() - 3, hi = positions.back() + 3;

    const double duration_s = static_cast<double>(frames) / fs;
    for (double t = acts.uniform(0.5, 2); t < duration_s - 1; t += acts.uniform(2.5, 5)) {
        const double centre = acts.uniform(lo, hi);
        const int pops = 1 + static_cast<int>(std::min(3.0, std::floor(acts.uniform(0, 1) * acts.uniform(0, 4.5))));
        const double snr_db =
            std::clamp(acts.normal(p.snr_mean_db, 6), std::max(o.snr_min_db, -20.0), std::min(o.snr_max_db, 60.0));
        double at_s = t;
        for (int i = 0; i < pops; ++i) {
            const double x = std::clamp(centre + acts.normal(0, 0.7), lo, hi);
            std::vector<float> low = render_isolated(Isolated::spine_pop_contact, fs, acts.bits(), o.split);
            const double d20_s = minus20_duration_s(low, fs);
            std::vector<float> high = low;
            lowpass(low, 500, fs);
            for (std::size_t n = 0; n < high.size(); ++n) high[n] -= low[n];
            // Level: the pop's power over its -20 dB duration sets the SNR at the nearest sensor.
            const std::size_t n20 = std::max<std::size_t>(1, static_cast<std::size_t>(d20_s * fs));
            std::vector<float> both(low.size());
            for (std::size_t n = 0; n < both.size(); ++n) both[n] = low[n] + high[n];
            double power = 0;
            for (std::size_t n = 0; n < std::min(n20, both.size()); ++n) power += double(both[n]) * both[n];
            power /= static_cast<double>(n20);
            std::vector<double> r(channels);
            for (std::size_t k = 0; k < channels; ++k) r[k] = std::hypot(depth, x - positions[k]);
            const std::size_t nearest = static_cast<std::size_t>(std::min_element(r.begin(), r.end()) - r.begin());
            const double amplitude = std::sqrt(std::pow(10.0, snr_db / 10) / power);
            const double a = alpha * acts.uniform(0.9, 1.1);
            const double pop_snr = std::clamp(snr_db + acts.normal(0, 2), o.snr_min_db, o.snr_max_db);
            const double scale = amplitude * std::pow(10.0, (pop_snr - snr_db) / 20);
            const auto at = static_cast<std::size_t>(std::llround(at_s * fs));
            for (std::size_t k = 0; k < channels; ++k) {
                const double extra_cm = r[k] - r[nearest];
                const double delay = extra_cm * 0.01 / speed * fs;
                const double g = scale * std::pow(10.0, gain_db[k] / 20);
                add_delayed(scene.audio, channels, k, low, at, delay, g * std::pow(10.0, -a * extra_cm / 20));
                add_delayed(scene.audio, channels, k, high, at, delay, g * std::pow(10.0, -1.6 * a * extra_cm / 20));
            }
            Label label;
            label.time_s = static_cast<double>(at) / fs;
            label.kind = Kind::pop;
            label.site = sensor_name(
                o.sensors, static_cast<int>(
                               std::min_element(positions.begin(), positions.end(),
                                                [&](double u, double v) { return std::abs(u - x) < std::abs(v - x); }) -
                               positions.begin()));
            label.duration_s = d20_s;
            label.snr_db = pop_snr;
            label.position_cm = x;
            scene.labels.push_back(label);
            at_s += std::max(acts.uniform(0.008, 0.039), d20_s + 0.001);
        }
        t = std::max(t, at_s);
    }
    // Episodes by the 2 s gap rule (labels are in time order).
    std::vector<double> times;
    for (const Label& l : scene.labels) times.push_back(l.time_s);
    const std::vector<int> episodes = group_episodes(times, 2.0);
    for (std::size_t i = 0; i < scene.labels.size(); ++i) scene.labels[i].episode = episodes[i];

    float peak = 0;
    for (float v : scene.audio) peak = std::max(peak, std::abs(v));
    const double target = std::pow(10.0, file.uniform(o.peak_min_dbfs, o.peak_max_dbfs) / 20);
    if (peak > 0)
        for (float& v : scene.audio) v = static_cast<float>(v * target / peak);
    return scene;
}

}  // namespace popwatch::synth

#include "dsp/features.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "dsp/kernels.hpp"

namespace popwatch {
namespace {

constexpr double tiny = 1e-20;

// The thud's body (FeatureExtractor::measure_body): low-band background before the onset, the body after.
constexpr double body_before_s = 0.03, body_after_s = 0.1, body_low_s = 0.06;

double db_to_power(double db) { return std::exp(db * 0.23025850929940458); }  // 10^(db/10)
// The same in float, for the sums over cell levels (hundreds per candidate): a float exp is
// exact to ~1e-7, far finer than the cell levels themselves (fast_db: ~0.01 dB).
float db_to_power_f(float db) { return std::exp(db * 0.2302585093f); }
float power_to_db(double p) { return static_cast<float>(10 * std::log10(p + tiny)); }

double mean_square(std::span<const float> x) {
    return x.empty() ? 0 : sum_of_squares_d(x) / static_cast<double>(x.size());
}

// The largest |sample| in [from, from + n) of a history (not-held samples read as 0).
float history_peak(const History<float>& h, std::int64_t from, std::int64_t n) {
    std::span<const float> a, b;
    if (h.runs(from, n, a, b)) return std::max(peak_abs(a), peak_abs(b));
    float peak = 0;
    for (std::int64_t i = from; i < from + n; ++i) peak = std::max(peak, std::abs(h.at(i)));
    return peak;
}

}  // namespace

CellPowers::CellPowers(std::size_t capacity) {
    std::size_t n = 1;
    while (n < capacity) n *= 2;
    ring_.assign(n, 0.0f);
    mask_ = n - 1;
    out_.reserve(n);  // a window is never longer than the history it reads
}

std::span<const float> CellPowers::read(const History<float>& db, std::int64_t from, std::int64_t to) {
    out_.resize(static_cast<std::size_t>(std::max<std::int64_t>(0, to - from)));
    if (from > hi_) lo_ = hi_ = from;  // past the cached run: start a new one
    lo_ = std::max(lo_, db.begin());   // what db no longer holds reads as missing, not as cached
    const auto put = [&](std::int64_t c, float p) { out_[static_cast<std::size_t>(c - from)] = p; };
    std::int64_t c = from;
    for (; c < std::min(to, lo_); ++c) put(c, db_to_power_f(db.at(c)));  // before the run
    for (; c < std::min(to, hi_); ++c) put(c, ring_[static_cast<std::size_t>(c) & mask_]);
    for (; c < to; ++c) {  // past it: extend it while db holds the cells
        const float p = db_to_power_f(db.at(c));
        put(c, p);
        if (c == hi_ && db.holds(c)) {
            ring_[static_cast<std::size_t>(c) & mask_] = p;
            lo_ = std::max(lo_, ++hi_ - static_cast<std::int64_t>(ring_.size()));
        }
    }
    return out_;
}

FeatureExtractor::FeatureExtractor(const DetectorConfig& config, double sample_rate, std::size_t cell_samples)
    : config_(config),
      fs_(sample_rate),
      cell_(static_cast<std::int64_t>(cell_samples)),
      decimation_(std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(sample_rate / 4000)))),
      spectrum_(frame_size_for(config.frame_ms, sample_rate), sample_rate),
      body_lowpass_(Biquad::lowpass(400, sample_rate / static_cast<double>(decimation_))) {
    const auto n = static_cast<std::int64_t>(spectrum_.frame_size());
    // Before the trigger: the background frame plus the onset search, or the body's 30 ms of
    // low-band background; after: the lookahead.
    frames_before_ =
        std::max(n + n / 4 + static_cast<std::int64_t>(0.01 * fs_), static_cast<std::int64_t>(body_before_s * fs_)) +
        4 * cell_;
    frames_after_ = std::max<std::int64_t>(static_cast<std::int64_t>(config.decision_lookahead_s() * fs_), n);
    frame_.resize(spectrum_.frame_size());
    power_.resize(spectrum_.bins());
    background_power_.resize(spectrum_.bins());
    scratch_.resize(static_cast<std::size_t>(
        std::max(frames_after_ + 8 * cell_, static_cast<std::int64_t>((body_before_s + body_after_s) * fs_) + 64)));
    decimated_.resize(scratch_.size() / decimation_ + 1);
    energy_.resize(decimated_.size() + 1);
    as_double_.resize(decimated_.size());
    lag_dots_.resize(decimated_.size());  // the pitch lags are under half the decimated copy
}

float FeatureExtractor::peak_db(const ChannelHistory& h, std::int64_t frame, std::int64_t span) const {
    return 20 * std::log10(history_peak(h.samples, frame, span) + 1e-10f);
}

// The onset is where the waveform first leaves the background: walk back from the peak near the
// trigger while samples stay above max(10 % of that peak, 3 x the background RMS), bridging the
// short dips of an oscillation (Turchet 2018 uses the time domain the same way for accuracy).
std::int64_t FeatureExtractor::refine_onset(const ChannelHistory& h, std::int64_t trigger_cell, float background_db) {
    const std::int64_t cell_start = trigger_cell * cell_;
    const std::int64_t from = cell_start - 2 * cell_;
    const std::int64_t to = cell_start + cell_ + static_cast<std::int64_t>(0.003 * fs_);
    // The search and the walk back from it (at most 8 ms) read one copy.
    const auto walk_back = static_cast<std::int64_t>(0.008 * fs_);
    const std::int64_t copy_from = from - walk_back - 1;
    const std::span<float> x(scratch_.data(), static_cast<std::size_t>(to - copy_from));
    h.samples.copy(copy_from, x);
    const auto sample = [&](std::int64_t i) { return x[static_cast<std::size_t>(i - copy_from)]; };
    std::int64_t peak_at = cell_start;
    float peak = 0;
    for (std::int64_t i = from; i < to; ++i) {
        const float a = std::abs(sample(i));
        if (a > peak) peak = a, peak_at = i;
    }
    const float noise = 3 * std::sqrt(static_cast<float>(db_to_power(background_db)));
    const float threshold = std::max(0.1f * peak, noise);
    const auto bridge = std::max<std::int64_t>(2, static_cast<std::int64_t>(0.0005 * fs_));
    // Not back past the previous candidate's trigger: that sound is already that candidate's.
    const std::int64_t previous = first_onset_from(h, cell_start) - 1;
    const std::int64_t floor = previous >= h.onsets.begin() ? h.onsets.at(previous) + cell_ : peak_at - 1000000;
    const std::int64_t limit = std::max(peak_at - walk_back, std::min(floor, peak_at));
    std::int64_t onset = peak_at, quiet = 0;
    for (std::int64_t i = peak_at; i >= limit && i >= h.samples.begin(); --i) {
        if (std::abs(sample(i)) >= threshold) {
            onset = i;
            quiet = 0;
        } else if (++quiet > bridge) {
            break;
        }
    }
    return onset;
}

// Normalised autocorrelation peak over pitch lags 60-400 Hz on a block-averaged (~4 kHz) copy:
// voiced speech scores 0.6-0.9, noise bursts and clicks stay low.
float FeatureExtractor::voicing(const ChannelHistory& h, std::int64_t from, std::int64_t length) {
    const std::size_t d = decimation_;
    const std::size_t m = std::min(decimated_.size(), static_cast<std::size_t>(length) / d);
    const std::span<float> raw(scratch_.data(), m * d);  // m * d <= length: 60 ms, scratch_ holds 130
    h.samples.copy(from, raw);
    for (std::size_t i = 0; i < m; ++i) {
        float s = 0;
        for (std::size_t k = 0; k < d; ++k) s += raw[i * d + k];
        decimated_[i] = s;
    }
    const double fs = fs_ / static_cast<double>(d);
    const auto min_lag = static_cast<std::size_t>(fs / 400), max_lag = static_cast<std::size_t>(fs / 60);
    if (m < 2 * max_lag) return 0;
    // The energies of the two overlapping windows come from running sums of squares; the cross
    // term is dot_d (in double, as before: it is the sum's order that changed, not its precision).
    energy_[0] = 0;  // sized in the constructor: m never exceeds decimated_.size()
    for (std::size_t i = 0; i < m; ++i)
        energy_[i + 1] = energy_[i] + static_cast<double>(decimated_[i]) * decimated_[i];
    float best = 0;
    const std::size_t first_lag = std::max<std::size_t>(min_lag, 1);
    lagged_dots_d({decimated_.data(), m}, first_lag, max_lag + 1 - first_lag, lag_dots_.data(), as_double_.data());
    for (std::size_t lag = first_lag; lag <= max_lag; ++lag) {
        const std::size_t n = m - lag;
        const double xy = lag_dots_[lag - first_lag];
        const double xx = energy_[n], yy = energy_[m] - energy_[lag];
        if (xx > 0 && yy > 0) best = std::max(best, static_cast<float>(xy / std::sqrt(xx * yy)));
    }
    return best;
}

// The thud's body: a clunk is one 50-200 Hz resonance ringing 25-250 ms (research note §2.2), a
// footstep or a knock's low thud is broadband and short, a pop's low ring lasts a few ms. The
// 5 ms onset frame resolves 190 Hz bins, so measure on the 30 ms before and 100 ms after the
// onset, block-averaged to ~4 kHz and low-passed at 400 Hz: the low band's share of the first
// 60 ms, how long its 5 ms envelope stays within 20 dB of its peak (and above its level before),
// and how periodic it rings (normalised autocorrelation over 40-250 Hz lags on a ~2 kHz copy).
void FeatureExtractor::measure_body(const ChannelHistory& h, std::int64_t onset, Features& f) {
    const auto before = static_cast<std::int64_t>(body_before_s * fs_),
               after = static_cast<std::int64_t>(body_after_s * fs_);
    if (frames_after_ < after) {  // a quick decision: the body has not been heard yet
        for (auto i : {Features::body_low_db, Features::body_ms, Features::ring_corr, Features::ring_hz})
            f[i] = std::numeric_limits<float>::quiet_NaN();
        return;
    }
    const auto d = static_cast<std::int64_t>(decimation_);
    const std::int64_t pre = before / d, total = (before + after) / d;
    std::span<float> raw(scratch_.data(), static_cast<std::size_t>(total * d));
    h.samples.copy(onset - pre * d, raw);
    // Everything over the first 60 ms, then the ~4 kHz copy.
    const std::int64_t low_n = static_cast<std::int64_t>(body_low_s * fs_) / d;
    const auto mean_square_f = [](std::span<const float> x) {
        return x.empty() ? 0.0 : static_cast<double>(sum_of_squares(x)) / static_cast<double>(x.size());
    };
    const double all =
        mean_square_f(raw.subspan(static_cast<std::size_t>(pre * d), static_cast<std::size_t>(low_n * d)));
    const float inv_d = 1.0f / static_cast<float>(d);
    for (std::int64_t i = 0; i < total; ++i) {
        float sum = 0;
        for (std::int64_t k = 0; k < d; ++k) sum += raw[static_cast<std::size_t>(i * d + k)];
        decimated_[static_cast<std::size_t>(i)] = sum * inv_d;
    }
    std::span<float> low(decimated_.data(), static_cast<std::size_t>(total));
    body_lowpass_.reset();
    body_lowpass_.process(low);
    // The first half of the 30 ms before settles the filter; the second is the low band's level.
    const double low_before =
        mean_square_f(low.subspan(static_cast<std::size_t>(pre / 2), static_cast<std::size_t>(pre - pre / 2)));
    const auto body_span = low.subspan(static_cast<std::size_t>(pre));
    f[Features::body_low_db] = std::clamp(
        power_to_db(mean_square_f(body_span.first(static_cast<std::size_t>(low_n)))) - power_to_db(all), -60.0f, 10.0f);

    // The envelope in 5 ms blocks; the body ends after the last block within 20 dB of the peak
    // (found in the first 30 ms) and above twice the low band's level before the onset. Not cut
    // at the next candidate as dur20 is: a keystroke on top hardly reaches the low band, and a
    // clunk's own crepitus can make one.
    const double fs_d = fs_ / static_cast<double>(d);
    const auto block = std::max<std::int64_t>(1, std::llround(0.005 * fs_d));
    const std::int64_t blocks = static_cast<std::int64_t>(body_span.size()) / block;
    double peak = 0;
    std::array<double, 32> env{};
    for (std::int64_t b = 0; b < std::min<std::int64_t>(blocks, env.size()); ++b) {
        env[static_cast<std::size_t>(b)] =
            mean_square_f(body_span.subspan(static_cast<std::size_t>(b * block), static_cast<std::size_t>(block)));
        if (b < 6) peak = std::max(peak, env[static_cast<std::size_t>(b)]);
    }
    const double floor = std::max(0.01 * peak, 2 * low_before);
    std::int64_t last = -1;
    for (std::int64_t b = 0; b < std::min<std::int64_t>(blocks, env.size()); ++b)
        if (env[static_cast<std::size_t>(b)] >= floor) last = b;
    f[Features::body_ms] = static_cast<float>((last + 1) * 5);

    // Periodicity 5-95 ms after the onset, on every k-th sample (~2 kHz).
    const auto k = std::max<std::int64_t>(1, std::llround(fs_d / 2000));
    const double fs_k = fs_d / static_cast<double>(k);
    const auto from = static_cast<std::size_t>(std::llround(0.005 * fs_d));
    std::size_t m = 0;
    for (std::size_t i = from; i < body_span.size(); i += static_cast<std::size_t>(k)) body_span[m++] = body_span[i];
    const auto min_lag = static_cast<std::size_t>(std::max(1.0, std::floor(fs_k / 250))),
               max_lag = static_cast<std::size_t>(std::ceil(fs_k / 40));
    // Energies of the lagged pair from running sums of squares; the products by dot().
    std::array<double, 512> energy{};  // energy[i]: sum of squares of the first i samples
    m = std::min(m, energy.size() - 1);
    for (std::size_t i = 0; i < m; ++i) energy[i + 1] = energy[i] + static_cast<double>(body_span[i]) * body_span[i];
    float best = 0;
    std::size_t best_lag = 0;
    std::array<float, 3> around{};  // correlation at best_lag - 1, best_lag, best_lag + 1
    float previous = 0;
    std::array<float, 512> products{};  // dot() at each lag from min_lag
    const std::size_t lags = std::min(std::min(max_lag + 2, m), min_lag + products.size());
    if (lags > min_lag) lagged_dots(body_span.first(m), min_lag, lags - min_lag, products.data());
    for (std::size_t lag = min_lag; lag < lags; ++lag) {
        const double xy = products[lag - min_lag];
        const double xx = energy[m - lag], yy = energy[m] - energy[lag];
        const float r = xx > 0 && yy > 0 ? static_cast<float>(xy / std::sqrt(xx * yy)) : 0.0f;
        if (best_lag && lag == best_lag + 1) around[2] = r;
        if (lag <= max_lag && r > best) best = r, best_lag = lag, around = {previous, r, 0};
        previous = r;
    }
    f[Features::ring_corr] = best;
    // Parabolic interpolation of the peak for a frequency finer than the lag grid.
    double lag = static_cast<double>(best_lag);
    const float curve = around[0] - 2 * around[1] + around[2];
    if (best_lag > min_lag && curve < 0) lag += std::clamp(0.5 * (around[0] - around[2]) / curve, -0.5, 0.5);
    f[Features::ring_hz] = best_lag ? static_cast<float>(fs_k / lag) : std::numeric_limits<float>::quiet_NaN();
}

// Context: how many transients came before (typing runs at 3-10 per second), how evenly spaced,
// and whether more follow after a pause (key releases come 50-200 ms after the press, knocks
// 100-250 ms apart). Transients chained to this one by gaps under `cluster_gap` are its own
// cluster (spinal pops 5-40 ms apart) and count neither before nor after.
// Index of the first recorded onset at or after `frame` (onsets are in time order; the history
// holds far more than the context in a busy room, so search rather than scan it all).
std::int64_t FeatureExtractor::first_onset_from(const ChannelHistory& h, std::int64_t frame) {
    std::int64_t lo = h.onsets.begin(), hi = h.onsets.end();
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (h.onsets.at(mid) < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

std::int64_t FeatureExtractor::rhythm(const ChannelHistory& h, std::int64_t onset, std::int64_t self, float peak,
                                      Features& f) const {
    const auto window = static_cast<std::int64_t>(config_.context_s * fs_);
    const auto skip = static_cast<std::int64_t>(0.2 * fs_);
    const auto cluster_gap = static_cast<std::int64_t>(config_.cluster_gap_ms * 1e-3 * fs_);
    const auto after_to = static_cast<std::int64_t>(config_.decision_lookahead_s() * fs_);
    const auto tolerance = 2 * cell_;  // the recorded onsets are trigger cells, not refined onsets
    const auto peak_span = static_cast<std::int64_t>(0.003 * fs_);
    int before = 0, after = 0, chained = 1;
    std::int64_t previous = -1, chain_end = onset, last_before = onset - window, first_after = onset + after_to;
    float after_peak = 0;
    double sum = 0, sum2 = 0;
    int gaps = 0;
    for (std::int64_t i = first_onset_from(h, onset - window); i < h.onsets.end(); ++i) {
        const std::int64_t t = h.onsets.at(i);
        if (t < onset - tolerance && t >= onset - window) last_before = std::max(last_before, t);
        if (t > self + tolerance) first_after = std::min(first_after, t);
        if (t >= onset - window && t < onset - skip) {
            ++before;
            if (previous >= 0) {
                const double gap = static_cast<double>(t - previous) / fs_;
                sum += gap, sum2 += gap * gap, ++gaps;
            }
            previous = t;
        } else if (t > self + tolerance && t <= onset + after_to) {
            if (t - chain_end <= cluster_gap) {
                chain_end = t;  // onsets are in time order
                ++chained;
            } else {
                ++after;
                after_peak = std::max(after_peak, history_peak(h.samples, t - cell_, cell_ + peak_span));
            }
        }
    }
    f[Features::rate_hz] = static_cast<float>(before / std::max(config_.context_s - 0.2, 0.1));
    float regularity = 0;
    if (gaps >= 2) {
        const double mean = sum / gaps, sd = std::sqrt(std::max(0.0, sum2 / gaps - mean * mean));
        regularity = static_cast<float>(std::clamp(1 - sd / mean, 0.0, 1.0));
    }
    f[Features::regularity] = regularity;
    f[Features::after_n] = static_cast<float>(after);
    f[Features::after_db] =
        after > 0 && peak > 0 ? std::max(-60.0f, 20 * std::log10(after_peak / peak + 1e-6f)) : -60.0f;
    // Transients chained before this one by short gaps, counted back from the onset.
    std::int64_t chain_start = onset;
    for (std::int64_t i = h.onsets.end() - 1; i >= h.onsets.begin(); --i) {
        const std::int64_t t = h.onsets.at(i);
        if (t >= onset - tolerance) continue;
        if (chain_start - t > cluster_gap) break;
        chain_start = t;
        ++chained;
    }
    f[Features::chain_n] = static_cast<float>(chained);
    f[Features::prev_gap_ms] = static_cast<float>(static_cast<double>(onset - last_before) * 1e3 / fs_);
    f[Features::next_gap_ms] = static_cast<float>(static_cast<double>(first_after - onset) * 1e3 / fs_);
    return chain_start;
}

std::pair<float, float> FeatureExtractor::activity_db(const ChannelHistory& h, std::int64_t onset_cell,
                                                      std::int64_t act_cell, std::int64_t back_cells,
                                                      std::int64_t gap_cells, float background) const {
    // The two windows overlap (the act began at most 200 ms before this onset): each cell's power
    // is taken once, and each window summed in its own cells' order.
    const std::int64_t from = onset_cell - back_cells, to = onset_cell - gap_cells;
    const std::int64_t act_from = act_cell - back_cells, act_to = act_cell - gap_cells;
    double sum = 0, act_sum = 0;
    const std::int64_t first = std::min(from, act_from);
    const std::span<const float> powers = h.cell_power.read(h.cell_db, first, to);
    for (std::int64_t c = first; c < to; ++c) {
        const double p = powers[static_cast<std::size_t>(c - first)];
        if (c >= from) sum += p;
        if (c >= act_from && c < act_to) act_sum += p;
    }
    const auto db = [&](double total) {
        return std::clamp(power_to_db(total / static_cast<double>(std::max<std::int64_t>(1, to - from))) - background,
                          -60.0f, 60.0f);
    };
    const float pre = db(sum);
    return {pre, act_cell == onset_cell ? pre : db(act_sum)};
}

// The first candidate onset on this channel after `onset` (its own trigger excluded), or
// `limit` if none: measurements of one event stop where the next one starts.
std::int64_t FeatureExtractor::next_onset(const ChannelHistory& h, std::int64_t self, std::int64_t limit) const {
    for (std::int64_t i = first_onset_from(h, self); i < h.onsets.end(); ++i) {
        const std::int64_t t = h.onsets.at(i);
        if (t > self + 2 * cell_) return std::min(t, limit);
    }
    return limit;
}

Measurement FeatureExtractor::measure(const ChannelHistory& h, std::int64_t trigger_cell) {
    Measurement m;
    Features& f = m.features;
    const auto rise_cells =
        std::max<std::int64_t>(2, static_cast<std::int64_t>(config_.rise_window_ms * 1e-3 * fs_) / cell_);
    const float background = h.background_db.at(trigger_cell - rise_cells);
    const std::int64_t onset = refine_onset(h, trigger_cell, background);
    m.onset_frame = onset;
    const std::int64_t onset_cell = onset / cell_;
    const auto ms = [&](double v) { return static_cast<std::int64_t>(v * 1e-3 * fs_); };

    // Peak and rise over the first 30 ms (clunks rise over up to 5 ms, pops within 0.5 ms).
    const std::int64_t body = std::min(ms(30), frames_after_);
    const std::span<float> first(scratch_.data(), static_cast<std::size_t>(body));  // scratch_ holds the lookahead
    h.samples.copy(onset, first);
    const float peak = peak_abs(first);
    std::int64_t t10 = -1, t90 = -1;
    for (std::size_t i = 0; i < first.size() && t90 < 0; ++i) {
        const float a = std::abs(first[i]);
        if (t10 < 0 && a >= 0.1f * peak) t10 = onset + static_cast<std::int64_t>(i);
        if (a >= 0.9f * peak) t90 = onset + static_cast<std::int64_t>(i);
    }
    f[Features::level_dbfs] = 20 * std::log10(peak + 1e-10f);
    f[Features::rise_ms] = t10 >= 0 && t90 >= 0 ? static_cast<float>((t90 - t10) * 1e3 / fs_) : 0;

    // -20 dB duration on the cell envelope: ends where it stays under the threshold for 2 ms,
    // or where the next transient starts.
    const std::int64_t self = trigger_cell * cell_;  // this candidate's own entry in h.onsets
    const std::int64_t next = next_onset(h, self, onset + frames_after_);
    const std::int64_t last_cell = next / cell_ - 1;
    std::int64_t peak_cell = onset_cell;
    for (std::int64_t c = onset_cell; c <= std::max(onset_cell, std::min(last_cell, onset_cell + ms(30) / cell_)); ++c)
        if (h.cell_db.at(c) > h.cell_db.at(peak_cell)) peak_cell = c;
    const float peak_db = h.cell_db.at(peak_cell);
    const float threshold = std::max(peak_db - 20, background + 3);
    const auto hold = std::max<std::int64_t>(2, ms(2) / cell_);
    std::int64_t end_cell = std::max(last_cell + 1, onset_cell + 1), below = 0;
    for (std::int64_t c = peak_cell; c <= last_cell; ++c) {
        if (h.cell_db.at(c) >= threshold) {
            below = 0;
        } else if (++below >= hold) {
            end_cell = c - below + 1;
            break;
        }
    }
    const std::int64_t dur_frames = std::max<std::int64_t>(cell_, end_cell * cell_ - onset);
    m.duration_s = static_cast<float>(dur_frames / fs_);
    f[Features::dur20_ms] = m.duration_s * 1e3f;
    f[Features::snr_db] = peak_db - background;

    // Crest factor across the event.
    std::span<float> event(scratch_.data(), static_cast<std::size_t>(std::min<std::int64_t>(
                                                dur_frames, static_cast<std::int64_t>(scratch_.size()))));
    h.samples.copy(onset, event);
    f[Features::crest_db] = 20 * std::log10(peak + 1e-10f) - power_to_db(mean_square(event));

    // Spectrum of the onset frame minus that of a frame of background just before (power
    // subtraction, floored at zero), so shape features do not drift with the SNR.
    const auto n = static_cast<std::int64_t>(spectrum_.frame_size());
    h.samples.copy(onset - n / 8, frame_);
    spectrum_(frame_, power_);
    h.samples.copy(onset - n - n / 4, frame_);
    spectrum_(frame_, background_power_);
    // Spectral novelty of the onset (the log spectral flux of the onset detection literature,
    // here between the onset frame and the frame before it): a pop adds energy across the
    // spectrum, a glottal pulse or the next keystroke of a run repeats the spectrum already there.
    const auto first_bin = static_cast<std::size_t>(std::ceil(config_.highpass_hz / spectrum_.bin_hz()));
    double flux = 0, log_sum = 0, lin_sum = 0;
    std::size_t bins = 0;
    for (std::size_t k = std::max<std::size_t>(first_bin, 1); k < power_.size(); ++k, ++bins) {
        const double floor = 1e-12 * static_cast<double>(spectrum_.frame_size());
        flux += std::max(0.0, 10 * std::log10((power_[k] + floor) / (background_power_[k] + floor)));
        log_sum += std::log(power_[k] + floor);
        lin_sum += power_[k] + floor;
    }
    f[Features::flux_db] = bins ? static_cast<float>(flux / static_cast<double>(bins)) : 0.0f;
    const float flatness =
        bins ? static_cast<float>(std::exp(log_sum / static_cast<double>(bins)) / (lin_sum / static_cast<double>(bins)))
             : 0.0f;
    for (std::size_t k = 0; k < power_.size(); ++k) power_[k] = std::max(0.0f, power_[k] - background_power_[k]);
    const SpectralShape shape = spectral_shape(power_, spectrum_.bin_hz(), config_.highpass_hz);
    f[Features::centroid_hz] = shape.centroid_hz;
    f[Features::spread_hz] = shape.spread_hz;
    f[Features::flatness] = flatness;  // of the onset frame itself: noise bursts near 1, rings near 0
    f[Features::low_db] = shape.low_db;
    f[Features::high_db] = shape.high_db;
    f[Features::mid_db] = shape.mid_db;
    f[Features::top_db] = shape.top_db;

    // Tail: what rings on 15-60 ms after the onset, above the background, against the head.
    const std::int64_t tail_end = std::min({ms(60), frames_after_, next - onset});
    std::span<float> head(scratch_.data(), static_cast<std::size_t>(std::max<std::int64_t>(ms(5), 1)));
    h.samples.copy(onset, head);
    const double head_power = mean_square(head);
    double tail_power = 0;
    if (tail_end > ms(15)) {
        std::span<float> tail(scratch_.data(), static_cast<std::size_t>(tail_end - ms(15)));
        h.samples.copy(onset + ms(15), tail);
        tail_power = std::max(0.0, mean_square(tail) - db_to_power(background));
    }
    f[Features::tail_db] = std::max(-60.0f, power_to_db(tail_power) - power_to_db(head_power));

    // Prominence over the moments just before (20-100 ms): a pop on top of speech or rub.
    double local = 0;
    const std::int64_t local_from = onset_cell - ms(100) / cell_, local_to = onset_cell - ms(20) / cell_;
    for (float p : h.cell_power.read(h.cell_db, local_from, local_to)) local += p;
    local /= static_cast<double>(std::max<std::int64_t>(1, local_to - local_from));
    f[Features::local_db] = std::clamp(peak_db - power_to_db(local), -60.0f, 60.0f);  // bounded at a file's start

    // Activity in the 250 ms before, over the background; and the same before the act this
    // transient belongs to (a spinal cluster's first pop), from the same cell levels.
    const std::int64_t act_start = std::max(rhythm(h, onset, self, peak, f), onset - ms(200));
    const auto [pre_db, act_pre_db] =
        activity_db(h, onset_cell, act_start < onset - 2 * cell_ ? act_start / cell_ : onset_cell, ms(250) / cell_,
                    ms(2) / cell_, background);
    f[Features::pre_db] = pre_db;
    f[Features::act_pre_db] = act_pre_db;

    // Voicing after the event (speech plosives are followed by voiced sound): only a sustained
    // sound counts, so the ring of a decaying transient is not taken for a vowel.
    const std::int64_t voice_from = std::max(ms(10), dur_frames),
                       voice_len = std::min(ms(60), frames_after_ - voice_from);
    float voiced = 0;
    if (voice_len > ms(40)) {
        std::span<float> first(scratch_.data(), static_cast<std::size_t>(voice_len / 2));
        h.samples.copy(onset + voice_from, first);
        const double first_power = mean_square(first);
        h.samples.copy(onset + voice_from + voice_len / 2, first);
        const double second_power = mean_square(first);
        const double floor_power = db_to_power(background + 6);
        if (first_power > floor_power && second_power > floor_power && second_power > 0.25 * first_power)
            voiced = voicing(h, onset + voice_from, voice_len);
    }
    f[Features::voicing] = voiced;

    measure_body(h, onset, f);
    // A walk: footsteps are thuds 0.45-0.65 s apart; a clunk rarely follows another within 1.5 s.
    float gap_ms = 1500;
    for (std::size_t i = 0; i < std::min(thud_count_, thuds_.size()); ++i) {
        const double gap = static_cast<double>(onset - thuds_[i]) * 1e3 / fs_;
        if (gap >= 150 && gap < gap_ms) gap_ms = static_cast<float>(gap);
    }
    f[Features::thud_gap_ms] = gap_ms;
    if (f[Features::body_low_db] > -3 && f[Features::body_ms] >= 20) thuds_[thud_count_++ % thuds_.size()] = onset;
    return m;
}

}  // namespace popwatch

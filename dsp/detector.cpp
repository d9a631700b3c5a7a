#include "dsp/detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "dsp/biquad.hpp"
#include "dsp/classifier.hpp"
#include "dsp/dual.hpp"
#include "dsp/features.hpp"
#include "dsp/kernels.hpp"
#include "dsp/localise.hpp"

namespace popwatch {
namespace {

constexpr std::size_t chunk_frames = 1024;  // frames per channel pass through the gate
constexpr float silence_db = -200;
// A cell's energy is a mean over its samples: with fewer than 8 (cell_ms at 8-15 kHz), white
// noise alone swings it past the gate a few times a second, and such a blip a few ms before a
// pop reads as a chained transient (prev_gap_ms) that the classifier rejects. 8 samples is
// 0.5 ms at 16 kHz, so every rate the classifier was trained on keeps its cells.
constexpr std::int64_t min_cell_samples = 8;
constexpr float dead_cell_db = -140;  // a cell this quiet is digital silence (a dead or unplugged channel)
constexpr float clip_level = 0.999f;  // |sample| at full scale: the channel clipped
constexpr double silent_warn_s = 2;   // digital silence this long counts in ChannelHealth::silent_s

// One input channel: the high-pass, the stage-1 gate and the history stage 2 reads.
struct Channel {
    Channel(Biquad filter, ChannelHistory h) : highpass(filter), history(std::move(h)) {}
    Biquad highpass;
    ChannelHistory history;
    double cell_energy = 0;
    float background_db = silence_db;
    int snap_in = 1;  // the background is taken from the live cell this many from now (0: tracking)
    std::int64_t last_candidate_cell = std::numeric_limits<std::int32_t>::min();
    // The last few cell levels: cell c at c & recent_mask and again one ring further on, so that
    // any hold window is one contiguous run. And the loudest of the hold window before each cell
    // (held(c - 1) at c - 1 & recent_mask), which the rise test reads again rise_cells later.
    std::vector<float> recent, held_before;
    std::int64_t cell_fill = 0;               // samples accumulated in the current cell
    float peak_since_candidate = silence_db;  // hysteresis: re-armed once the level falls from it
    bool armed = true;
    // Health, for localisation (issue #6): where the raw input clipped (first and last clipped
    // frame of each block that did; the last 64 blocks), how long the channel has been dead.
    History<std::int64_t> clip_first{64, -1}, clip_last{64, -1};
    std::int64_t silent_run = 0;  // consecutive dead cells
    ChannelHealth health;
};

// 10 log10(x) for the gate, to within 0.01 dB and without a libm call per cell: the exponent
// from the float's bits, log2 of the mantissa in [1, 2) from a cubic fit.
float fast_db(float x) {
    x = std::max(x, 1e-30f);
    std::uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127;
    bits = (bits & 0x007fffffu) | 0x3f800000u;
    float m;
    std::memcpy(&m, &bits, sizeof m);
    const float log2_m = ((0.15824871f * m - 1.05187502f) * m + 3.04788415f) * m - 2.15376890f;
    return 3.0102999566f * (static_cast<float>(exponent) + log2_m);
}

struct Candidate {
    std::int64_t trigger_cell;
    int channel;
};

}  // namespace

struct Detector::Impl {
    DetectorConfig config;
    SensorLayout layout;
    double fs;
    int channels;
    std::int64_t cell;  // samples per cell
    std::int64_t rise_cells, hold_cells, dead_cells, fuse_cells;
    std::int64_t silent_warn_cells;  // silent_warn_s in cells
    double cell_s;
    std::size_t recent_mask = 0;
    float rise_alpha, fall_alpha;  // background tracker coefficients per cell
    FeatureExtractor extractor;
    std::vector<Channel> inputs;
    std::vector<float> scratch;
    std::vector<float> cell_levels;  // run_channel: the mean squares, then the levels, of a chunk's cells
    std::vector<Candidate> pending;  // sorted by trigger cell; capacity fixed
    std::size_t pending_capacity;
    std::int64_t frames = 0, bad = 0, candidate_count = 0, dropped = 0;
    std::vector<Event> ready;  // decided, held for time order; capacity fixed
    double reorder_s = 0;
    double clunk_end_s = -1e300;  // a clunk decision before this is the last clunk again
    // The act's chain rule, as events are released: the last event's onset, the last anchor's
    // (a pop that reached its threshold) in the chain that event ends, and the gap that breaks a
    // chain (cluster_gap_ms).
    double chain_last_s = -1e300, chain_anchor_s = -1e300;
    EpisodeCounter episodes;
    // The air reference (dsp/dual.hpp): the first air channel, its meter and health.
    int air_channel = -1;
    AirMeter air_meter;
    AirHealth air_health;

    Impl(const DetectorConfig& c, double sample_rate, int channel_count, const SensorLayout& l)
        : config(c),
          layout(l),
          fs(sample_rate),
          channels(channel_count),
          cell(std::max<std::int64_t>(min_cell_samples, std::lround(c.cell_ms * 1e-3 * sample_rate))),
          extractor(c, sample_rate, static_cast<std::size_t>(cell)),
          air_meter(sample_rate, frame_size_for(c.frame_ms, sample_rate), static_cast<std::size_t>(cell)),
          air_health(sample_rate) {
        for (int i = channel_count - 1; i >= 0; --i)
            if (l.is_air(i)) air_channel = i;
        const auto cells_for = [&](double ms) {
            return std::max<std::int64_t>(1, std::lround(ms * 1e-3 * fs / static_cast<double>(cell)));
        };
        rise_cells = cells_for(c.rise_window_ms);
        hold_cells = cells_for(c.hold_ms);
        dead_cells = cells_for(c.dead_time_ms);
        silent_warn_cells = static_cast<std::int64_t>(silent_warn_s * fs / static_cast<double>(cell));
        cell_s = static_cast<double>(cell) / fs;
        fuse_cells = cells_for(c.fuse_ms);
        rise_alpha = static_cast<float>(1 - std::exp(-cell_s / c.background_rise_s));
        fall_alpha = static_cast<float>(1 - std::exp(-cell_s / c.background_fall_s));

        const auto chunk = static_cast<std::int64_t>(chunk_frames);
        const std::int64_t sample_span = extractor.frames_before() + extractor.frames_after() + chunk + 4 * cell;
        // Cells reach back 0.5 s before the oldest onset still to decide: act_pre_db's 250 ms
        // before an act that began up to 200 ms earlier.
        const std::int64_t cell_span = (static_cast<std::int64_t>(0.5 * fs) + sample_span) / cell + 16;
        const auto onset_span =
            static_cast<std::size_t>((c.context_s + c.decision_lookahead_s()) * 1e3 / std::max(0.5f, c.dead_time_ms)) +
            16;
        inputs.reserve(static_cast<std::size_t>(channels));
        for (int i = 0; i < channels; ++i) {
            Channel ch{Biquad::highpass(c.highpass_hz, fs),
                       ChannelHistory{History<float>(static_cast<std::size_t>(sample_span)),
                                      History<float>(static_cast<std::size_t>(cell_span), silence_db),
                                      History<float>(static_cast<std::size_t>(cell_span), silence_db),
                                      History<std::int64_t>(onset_span, std::numeric_limits<std::int64_t>::min() / 2),
                                      CellPowers(static_cast<std::size_t>(cell_span))}};
            inputs.push_back(std::move(ch));
        }
        setup_localisation();
        load_models(config, air_channel >= 0);
        scratch.resize(chunk_frames);
        cell_levels.resize(chunk_frames / static_cast<std::size_t>(cell) + 2);
        std::size_t recent_size = 1;
        while (recent_size < static_cast<std::size_t>(rise_cells + hold_cells + 2)) recent_size *= 2;
        recent_mask = recent_size - 1;
        for (Channel& ch : inputs) {
            ch.recent.assign(2 * recent_size, silence_db);
            ch.held_before.assign(recent_size, silence_db);
        }
        pending_capacity = static_cast<std::size_t>(channels) *
                           static_cast<std::size_t>((extractor.frames_after() + chunk) / (dead_cells * cell) + 8);
        pending.reserve(pending_capacity);
        // Decided events wait up to pop_chain_span_s longer when the chain rule may apply to them.
        ready.reserve(pending_capacity +
                      static_cast<std::size_t>(channels) *
                          static_cast<std::size_t>(std::ceil(std::max(0.0f, c.pop_chain_span_s) * fs /
                                                             static_cast<double>(dead_cells * cell))));
        reorder_s = 0.012 + 4.0 * static_cast<double>(cell) / fs;  // onset search reaches 8 ms + 2 cells back
    }

    // The loudest of the `hold_cells` cell levels ending at `newest`, from the channel's short
    // ring of recent levels (the gate's hot path: no bounds checks).
    float held(const Channel& ch, std::int64_t newest) const {
        const std::size_t first = static_cast<std::size_t>(newest - hold_cells + 1) & recent_mask;
        return max_of({ch.recent.data() + first, static_cast<std::size_t>(hold_cells)}, silence_db);
    }

    // Stage 1, once per completed cell: adaptive threshold with an absolute floor, plus a
    // sharpness test against the loudest cell held over the moments just before and
    // `rise_window_ms` before.
    void gate(int index, std::int64_t c, float level_db) {
        Channel& ch = inputs[static_cast<std::size_t>(index)];
        // Digital silence (a muted, unplugged or noise-gated input sends exact zeros) says nothing
        // about the background. The first live cell sets it; after a run of silence, the second
        // (the first may be part silence) sets it afresh, because the decay into the silence pulled
        // the tracker far under the real floor, and a 2 s climb from there would make the next
        // seconds look loud. An air reference that just came online starts with such a run; its
        // body-to-air ratios would read every pop as air-borne.
        const bool digital_silence = level_db < dead_cell_db;
        if (digital_silence)
            ch.snap_in = std::max(ch.snap_in, 2);
        else if (ch.snap_in > 0 && --ch.snap_in == 0)
            ch.background_db = level_db;
        const float floor = std::max(ch.background_db, config.floor_dbfs);
        const float before = held(ch, c - 1);
        ch.held_before[static_cast<std::size_t>(c - 1) & recent_mask] = before;
        const float steep = level_db - before;
        const float rise = level_db - ch.held_before[static_cast<std::size_t>(c - rise_cells) & recent_mask];
        if (!ch.armed) {
            ch.peak_since_candidate = std::max(ch.peak_since_candidate, level_db);
            ch.armed = level_db <= ch.peak_since_candidate - config.rearm_db;
        }
        if (ch.armed && level_db - floor >= config.gate_db && std::max(steep, rise) >= config.rise_db &&
            c - ch.last_candidate_cell >= dead_cells) {
            ch.last_candidate_cell = c;
            ch.armed = false;
            ch.peak_since_candidate = level_db;
            ch.history.onsets.push(c * cell);
            add_candidate({c, index});
        }
        ch.history.cell_db.push(level_db);
        ch.recent[static_cast<std::size_t>(c) & recent_mask] = level_db;
        ch.recent[(static_cast<std::size_t>(c) & recent_mask) + recent_mask + 1] = level_db;
        ch.history.background_db.push(ch.background_db);
        if (digital_silence) return;
        const float alpha = level_db > ch.background_db ? rise_alpha : fall_alpha;
        ch.background_db = std::max(silence_db, ch.background_db + alpha * (level_db - ch.background_db));
    }

    void add_candidate(Candidate cand) {
        ++candidate_count;
        if (pending.size() >= pending_capacity) {  // cannot happen with the sizing above; never allocate
            ++dropped;
            return;
        }
        auto at = std::upper_bound(pending.begin(), pending.end(), cand.trigger_cell,
                                   [](std::int64_t t, const Candidate& p) { return t < p.trigger_cell; });
        pending.insert(at, cand);
    }

    void run_channel(int index, std::span<const float> interleaved, std::int64_t first_frame, std::size_t n) {
        Channel& ch = inputs[static_cast<std::size_t>(index)];
        const auto stride = static_cast<std::size_t>(channels);
        if (stride == 1)
            std::copy_n(interleaved.begin(), n, scratch.begin());
        else
            for (std::size_t i = 0; i < n; ++i) scratch[i] = interleaved[i * stride + static_cast<std::size_t>(index)];
        const auto [nonfinite, full_scale] = sanitise({scratch.data(), n}, clip_level);
        bad += nonfinite;
        if (full_scale > 0) mark_clipping(ch, first_frame, n);
        ch.highpass.process({scratch.data(), n});
        if (index == air_channel)
            air_health.update(n, sum_of_squares({scratch.data(), n}) / static_cast<double>(n), full_scale);
        ch.history.samples.push(std::span<const float>(scratch.data(), n));
        // Cells are aligned to absolute frame numbers: cell k holds frames [k * cell, (k + 1) * cell).
        // The chunk's cell energies first, then their levels, then the gate over them: in three
        // passes the first two overlap cell with cell (the gate's tracker is serial; the level's
        // polynomial, when it ran between gates, made every cell wait on its latency).
        std::size_t i = 0, cells = 0;
        std::int64_t first_cell = 0;
        while (i < n) {
            const std::size_t m = std::min(static_cast<std::size_t>(cell - ch.cell_fill), n - i);
            ch.cell_energy += sum_of_squares({scratch.data() + i, m});
            i += m;
            ch.cell_fill += static_cast<std::int64_t>(m);
            if (ch.cell_fill == cell) {
                if (cells == 0) first_cell = (first_frame + static_cast<std::int64_t>(i)) / cell - 1;
                cell_levels[cells++] = static_cast<float>(ch.cell_energy / static_cast<double>(cell));
                ch.cell_energy = 0;
                ch.cell_fill = 0;
            }
        }
        for (std::size_t k = 0; k < cells; ++k) cell_levels[k] = fast_db(cell_levels[k]);
        for (std::size_t k = 0; k < cells; ++k) {
            track_health(ch, cell_levels[k]);
            gate(index, first_cell + static_cast<std::int64_t>(k), cell_levels[k]);
        }
    }

    // --- Localisation (issue #6, dsp/localise.hpp): per-channel energy and arrival around the
    // refined onset, channel health. Kept apart from the decision so the two evolve separately.
    LocaliseConfig loc_config;
    int positioned = 0;                        // body channels with a known position
    std::int64_t loc_before = 0, loc_len = 0;  // energy window around the onset, frames
    std::int64_t loc_lag = 0;                  // largest arrival difference searched, frames
    std::vector<float> loc_ref, loc_other;     // windows of the measuring and another channel

    void setup_localisation() {
        float lo = 1e30f, hi = -1e30f;
        for (int c = 0; c < channels; ++c) {
            const float p = layout.position(c);
            if (layout.is_air(c) || !std::isfinite(p)) continue;
            ++positioned, lo = std::min(lo, p), hi = std::max(hi, p);
        }
        // The pop's first ~6 ms (one pop is 5.7 ms, row 1), from 0.5 ms before the onset so that a
        // sensor the wave reaches first is not cut; cluster pops are >= 6 ms apart.
        loc_before = std::lround(0.0005 * fs);
        loc_len = loc_before + std::lround(0.006 * fs);
        const double span_m = positioned >= 2 ? (hi - lo) * 0.01 + 0.02 : 0.0;
        loc_lag = std::lround(span_m / loc_config.speed_m_s * fs) + 2;
        loc_ref.assign(static_cast<std::size_t>(loc_len), 0.0f);
        loc_other.assign(static_cast<std::size_t>(loc_len + 2 * loc_lag), 0.0f);
    }

    void mark_clipping(Channel& ch, std::int64_t first_frame, std::size_t n) {
        std::int64_t first = -1, last = -1, count = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (std::abs(scratch[i]) < clip_level) continue;
            const std::int64_t f = first_frame + static_cast<std::int64_t>(i);
            if (first < 0) first = f;
            last = f, ++count;
        }
        ch.clip_first.push(first);
        ch.clip_last.push(last);
        ch.health.clipped_samples += count;
    }

    bool clipped_within(const Channel& ch, std::int64_t from, std::int64_t to) const {
        for (std::int64_t i = ch.clip_first.begin(); i < ch.clip_first.end(); ++i)
            if (ch.clip_first.at(i) <= to && ch.clip_last.at(i) >= from) return true;
        return false;
    }

    void track_health(Channel& ch, float level_db) {
        if (level_db >= dead_cell_db) {
            ch.silent_run = 0;
        } else if (++ch.silent_run == silent_warn_cells) {
            ch.health.silent_s += static_cast<double>(silent_warn_cells) * cell_s;
        } else if (ch.silent_run > silent_warn_cells) {
            ch.health.silent_s += cell_s;
        }
    }

    // Energy above the background and arrival (cross-correlation peak against the measuring
    // channel, parabolic sub-sample interpolation) per positioned body channel; a channel dead or
    // clipped around the event is left out and counted. Then the site is the nearest sensor.
    void locate(Event& event, int best, std::int64_t onset) {
        if (positioned < 2) return;
        std::array<ChannelObservation, max_localise_channels> obs{};
        std::array<int, max_localise_channels> channel_of{};
        int n = 0;
        const std::int64_t from = onset - loc_before;
        const std::int64_t guard = std::lround(0.01 * fs);
        inputs[static_cast<std::size_t>(best)].history.samples.copy(from, loc_ref);
        for (int c = 0; c < channels && n < max_localise_channels; ++c) {
            if (layout.is_air(c) || !std::isfinite(layout.position(c))) continue;
            Channel& ch = inputs[static_cast<std::size_t>(c)];
            ChannelObservation& o = obs[static_cast<std::size_t>(n)];
            channel_of[static_cast<std::size_t>(n++)] = c;
            o.position_cm = layout.position(c);
            float loudest = silence_db;
            for (std::int64_t k = (from - guard) / cell; k <= (from + loc_len + guard) / cell; ++k)
                loudest = std::max(loudest, ch.history.cell_db.at(k));
            if (loudest < dead_cell_db) {
                o.usable = false, ++ch.health.excluded_silent;
                continue;
            }
            if (clipped_within(ch, from - guard, from + loc_len + guard)) {
                o.usable = false, ++ch.health.excluded_clipped;
                continue;
            }
            ch.history.samples.copy(from - loc_lag, loc_other);
            double power = 0;
            for (std::int64_t i = 0; i < loc_len; ++i) {
                const double x = loc_other[static_cast<std::size_t>(loc_lag + i)];
                power += x * x;
            }
            power /= static_cast<double>(loc_len);
            const double noise = std::pow(10.0, 0.1 * ch.history.background_db.at(onset / cell));
            o.energy_db = static_cast<float>(10 * std::log10(std::max(power - noise, 0.1 * noise) + 1e-30));
            if (c == best) {
                o.arrival_ms = 0;
                continue;
            }
            std::array<double, 3> around{};
            double peak = -1e300;
            std::int64_t peak_lag = 0;
            for (std::int64_t lag = -loc_lag + 1; lag < loc_lag; ++lag) {
                double cc = 0;
                for (std::int64_t i = 0; i < loc_len; ++i)
                    cc += static_cast<double>(loc_ref[static_cast<std::size_t>(i)]) *
                          loc_other[static_cast<std::size_t>(loc_lag + i + lag)];
                if (cc > peak) peak = cc, peak_lag = lag;
            }
            for (std::int64_t k = -1; k <= 1; ++k) {
                double cc = 0;
                for (std::int64_t i = 0; i < loc_len; ++i)
                    cc += static_cast<double>(loc_ref[static_cast<std::size_t>(i)]) *
                          loc_other[static_cast<std::size_t>(loc_lag + i + peak_lag + k)];
                around[static_cast<std::size_t>(k + 1)] = cc;
            }
            const double denom = around[0] - 2 * around[1] + around[2];
            const double offset = denom < 0 ? std::clamp(0.5 * (around[0] - around[2]) / denom, -0.5, 0.5) : 0.0;
            o.arrival_ms = static_cast<float>((static_cast<double>(peak_lag) + offset) * 1e3 / fs);
        }
        const Location where = localise({obs.data(), static_cast<std::size_t>(n)}, fs, loc_config);
        for (int k = 0; k < n; ++k) {
            const auto c = static_cast<std::size_t>(channel_of[static_cast<std::size_t>(k)]);
            if (c >= event.channel_arrival_ms.size()) continue;
            event.channel_arrival_ms[c] = obs[static_cast<std::size_t>(k)].arrival_ms;
            event.channel_energy_db[c] = obs[static_cast<std::size_t>(k)].energy_db;
        }
        if (!std::isfinite(where.position_cm)) return;
        event.position_cm = where.position_cm;
        event.position_confidence = where.confidence;
        event.channel = channel_of[static_cast<std::size_t>(where.channel)];
    }

    // Stage 2 for the oldest pending candidate: fuse it with candidates on other channels
    // within fuse_ms, measure on the loudest body channel, classify, group pops into episodes.
    void decide_front() {
        const Candidate first = pending.front();
        std::int64_t best_cell = first.trigger_cell;
        int best = first.channel;
        float best_level = -1e9f;
        bool best_air = true;
        Event event;
        std::size_t group_end = 0;
        while (group_end < pending.size() && pending[group_end].trigger_cell - first.trigger_cell <= fuse_cells) {
            const Candidate& cand = pending[group_end++];
            const float level = extractor.peak_db(inputs[static_cast<std::size_t>(cand.channel)].history,
                                                  cand.trigger_cell * cell - cell, 4 * cell);
            const bool air = layout.is_air(cand.channel);
            // A body channel beats any air channel; among equals the loudest wins.
            if ((best_air && !air) || (air == best_air && level > best_level))
                best_level = level, best = cand.channel, best_cell = cand.trigger_cell, best_air = air;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(group_end));
        // Heard by the air reference alone: office sound, not an event (its onset stays in the air
        // channel's history, where the air features count it).
        if (best_air) return;

        Measurement m = extractor.measure(inputs[static_cast<std::size_t>(best)].history, best_cell);
        event.air = air_reference(m, best);
        const Decision d = classify(m.features, config, event.air == AirPath::dual);
        event.time_s = static_cast<double>(m.onset_frame) / fs;
        event.duration_s = m.duration_s;
        event.kind = d.kind;
        event.confidence = d.confidence;
        event.pop_probability = d.pop_probability;
        event.channel = best;
        event.features = m.features;
        for (int i = 0; i < std::min<int>(channels, static_cast<int>(event.channel_level_db.size())); ++i)
            event.channel_level_db[static_cast<std::size_t>(i)] =
                extractor.peak_db(inputs[static_cast<std::size_t>(i)].history, m.onset_frame, std::lround(0.01 * fs));
        locate(event, best, m.onset_frame);  // issue #6: where along the spine
        // Refinement can move an onset back past one already decided (two channels, a slow
        // attack): hold decided events briefly and release them in time order.
        const auto at = std::upper_bound(ready.begin(), ready.end(), event.time_s,
                                         [](double t, const Event& e) { return t < e.time_s; });
        if (ready.size() < ready.capacity())
            ready.insert(at, event);
        else
            ++dropped;  // cannot happen: release() runs after every decision
    }

    // Issue #8: what the air reference heard around a body event, when there is one and it is
    // healthy; otherwise the air features stay NaN and the single-sensor model decides.
    AirPath air_reference(Measurement& m, int body) {
        AirMeter::clear(m.features);
        if (air_channel < 0 || layout.is_air(body)) return AirPath::none;
        if (air_health.state() != AirState::ok)
            return air_health.state() == AirState::silent ? AirPath::fallback_silent : AirPath::fallback_clipped;
        air_meter.measure(inputs[static_cast<std::size_t>(body)].history,
                          inputs[static_cast<std::size_t>(air_channel)].history, m.onset_frame, m.features);
        return AirPath::dual;
    }

    void decide_due(const EventHandler& on_event, bool all) {
        while (!pending.empty()) {
            const std::int64_t due = (pending.front().trigger_cell + 1) * cell + extractor.frames_after();
            if (!all && due > frames) break;
            decide_front();
            release(on_event, false);
        }
        release(on_event, all);
    }

    // Emits the held events that no later decision can precede: every undecided or future
    // candidate triggers at or after `horizon`, and refinement moves an onset back by less
    // than `reorder_s`. Pops get their episode here, in time order.
    void release(const EventHandler& on_event, bool all) {
        const std::int64_t horizon = pending.empty() ? frames : std::min(frames, pending.front().trigger_cell * cell);
        const double limit = static_cast<double>(horizon) / fs - reorder_s;
        std::size_t n = 0;
        while (n < ready.size() && (all || ready[n].time_s < limit)) {
            Event& event = ready[n];
            // The act's chain rule (classifier.hpp): a candidate that may join waits until every
            // event up to pop_chain_span_s after it is decided, then looks back and forward.
            if (event.time_s - chain_last_s > chain_gap_s(config)) chain_anchor_s = -1e300;  // a new chain
            if (may_join_chain(event, config)) {
                if (!all && event.time_s + config.pop_chain_span_s >= limit) break;
                if (event.time_s - chain_anchor_s <= config.pop_chain_span_s || anchor_ahead(ready, n, config))
                    event.kind = Kind::pop, event.confidence = event.pop_probability;
            } else if (anchors_chain(event, config)) {
                chain_anchor_s = event.time_s;
            }
            chain_last_s = event.time_s;
            ++n;
            if (event.kind == Kind::pop) {
                event.episode = episodes.next(event.time_s, config.episode_gap_s);
            } else if (event.kind == Kind::clunk) {
                if (event.time_s < clunk_end_s) {
                    event.kind = Kind::other;  // a fragment of the clunk already reported
                } else {
                    clunk_end_s = event.time_s + std::max<double>(config.clunk_merge_s, event.duration_s);
                }
            }
            on_event(event);
        }
        ready.erase(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(n));
    }
};

Detector::Detector(const DetectorConfig& config, double sample_rate, int channels, const SensorLayout& layout) {
    if (!(sample_rate >= 8000 && sample_rate <= 384000))
        throw std::invalid_argument("sample rate must be 8000-384000 Hz");
    if (channels < 1 || channels > 64) throw std::invalid_argument("channel count must be 1-64");
    check_layout(config, channels, layout);
    impl_ = std::make_unique<Impl>(config, sample_rate, channels, layout);
}

void Detector::check_layout(const DetectorConfig& config, int channels, const SensorLayout& layout) {
    if (layout.body_channels(channels) == 0)
        throw std::invalid_argument("every channel is an air reference: at least one must be a body sensor");
    if (config.quick && layout.body_channels(channels) < channels)
        throw std::invalid_argument(
            "--quick has no two-sensor model yet: listen with the air reference without --quick, or --quick "
            "without it");
}

Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

void Detector::process(std::span<const float> interleaved, const EventHandler& on_event) {
    Impl& d = *impl_;
    const auto stride = static_cast<std::size_t>(d.channels);
    std::size_t total = interleaved.size() / stride;
    std::size_t offset = 0;
    while (offset < total) {
        const std::size_t n = std::min(chunk_frames, total - offset);
        const auto block = interleaved.subspan(offset * stride, n * stride);
        for (int c = 0; c < d.channels; ++c) d.run_channel(c, block, d.frames, n);
        d.frames += static_cast<std::int64_t>(n);
        offset += n;
        d.decide_due(on_event, false);
    }
}

void Detector::finish(const EventHandler& on_event) { impl_->decide_due(on_event, true); }

double Detector::sample_rate() const { return impl_->fs; }
int Detector::channels() const { return impl_->channels; }
std::int64_t Detector::frames_processed() const { return impl_->frames; }
std::int64_t Detector::bad_samples() const { return impl_->bad; }
std::int64_t Detector::candidates() const { return impl_->candidate_count; }
const DetectorConfig& Detector::config() const { return impl_->config; }
const SensorLayout& Detector::layout() const { return impl_->layout; }
ChannelHealth Detector::channel_health(int channel) const {
    return channel >= 0 && channel < impl_->channels ? impl_->inputs[static_cast<std::size_t>(channel)].health
                                                     : ChannelHealth{};
}
bool Detector::has_air_reference() const { return impl_->air_channel >= 0; }
const AirHealth& Detector::air_health() const { return impl_->air_health; }
std::int64_t Detector::clipped_samples(int channel) const { return channel_health(channel).clipped_samples; }

std::vector<Event> detect_all(std::span<const float> interleaved, double sample_rate, int channels,
                              const DetectorConfig& config, const SensorLayout& layout) {
    Detector detector(config, sample_rate, channels, layout);
    std::vector<Event> events;
    const EventHandler keep = [&](const Event& e) { events.push_back(e); };
    detector.process(interleaved, keep);
    detector.finish(keep);
    return events;
}

std::string explain(const Event& event, const DetectorConfig& config) {
    const bool dual = event.air == AirPath::dual;
    const Decision decision = classify(event.features, config, dual);
    std::string out = "  decided by: " + std::string(air_path_name(event.air)) + "\n" +
                      explain_decision(event.features, decision, config, dual);
    if (decision.kind == Kind::clunk && event.kind != Kind::clunk)
        out += "  reported as other: within the body of the clunk just before (clunk_merge_s)\n";
    if (decision.kind == Kind::other && event.kind == Kind::pop) {
        const ChainThresholds chain = chain_thresholds(event, config);
        char line[200];
        std::snprintf(line, sizeof line,
                      "  reported as a pop: P(pop) %.3f reaches %spop_chain_threshold %.2f, and it is chained within "
                      "%.2f s of a pop that reached %.3f (one act)\n",
                      static_cast<double>(event.pop_probability), dual ? "dual_" : "", static_cast<double>(chain.low),
                      static_cast<double>(config.pop_chain_span_s), static_cast<double>(chain.high));
        out += line;
    }
    if (!std::isfinite(event.position_cm)) return out;
    // Localisation (issue #6): the estimate and, per channel, what it was made from.
    char line[160];
    std::snprintf(line, sizeof line, "  where: %.1f cm, nearest sensor channel %d (site confidence %.2f); per channel:",
                  static_cast<double>(event.position_cm), event.channel + 1,
                  static_cast<double>(event.position_confidence));
    out += line;
    for (std::size_t c = 0; c < event.channel_energy_db.size(); ++c) {
        if (!std::isfinite(event.channel_energy_db[c])) continue;
        std::snprintf(line, sizeof line, " ch%zu %.1f dB %+.3f ms;", c + 1,
                      static_cast<double>(event.channel_energy_db[c]),
                      static_cast<double>(event.channel_arrival_ms[c]));
        out += line;
    }
    return out + "\n";
}

}  // namespace popwatch

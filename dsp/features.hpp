// Stage 2 of the cascade: around one candidate, refine the onset in the time domain and measure
// the features the classifier decides on (event.hpp lists them). Works on the histories a
// channel keeps; allocates only at construction.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "dsp/biquad.hpp"
#include "dsp/config.hpp"
#include "dsp/event.hpp"
#include "dsp/history.hpp"
#include "dsp/spectrum.hpp"

namespace popwatch {

// The cell levels back as powers, 10^(cell_db / 10), each converted once: the windows of
// neighbouring candidates overlap (in a busy room each cell is read about ten times), and the
// conversion was most of their cost. Holds one run of cells, extended as later candidates read
// on; the values are the conversion's bit for bit, whatever was cached.
class CellPowers {
   public:
    explicit CellPowers(std::size_t capacity = 1);
    // The powers of cells [from, to) of `db` (cells it no longer or does not yet hold read as its
    // `missing` level), valid until the next call.
    std::span<const float> read(const History<float>& db, std::int64_t from, std::int64_t to);

   private:
    std::vector<float> ring_;  // cell c at c & mask_
    std::size_t mask_ = 0;
    std::int64_t lo_ = 0, hi_ = 0;  // ring_ holds cells [lo_, hi_)
    std::vector<float> out_;
};

// What one channel remembers of its recent past.
struct ChannelHistory {
    History<float> samples;         // high-passed samples
    History<float> cell_db;         // mean-square energy per cell, dB full scale
    History<float> background_db;   // tracked background per cell, dB full scale
    History<std::int64_t> onsets;   // onset frames of recent candidates
    mutable CellPowers cell_power;  // a cache of cell_db as powers, for the features
};

struct Measurement {
    std::int64_t onset_frame = 0;  // refined onset
    float duration_s = 0;          // -20 dB duration
    Features features;
};

class FeatureExtractor {
   public:
    FeatureExtractor(const DetectorConfig& config, double sample_rate, std::size_t cell_samples);

    // Audio each measurement needs before the trigger and after the onset, in frames.
    std::int64_t frames_before() const { return frames_before_; }
    std::int64_t frames_after() const { return frames_after_; }

    // Refines the onset of the candidate triggered in cell `trigger_cell` and measures it.
    // Needs the history to hold frames_before() before and frames_after() after the trigger.
    Measurement measure(const ChannelHistory& history, std::int64_t trigger_cell);

    // Peak level (dBFS) in [frame, frame + span) of a channel: for per-channel levels.
    float peak_db(const ChannelHistory& history, std::int64_t frame, std::int64_t span) const;

   private:
    std::int64_t refine_onset(const ChannelHistory& h, std::int64_t trigger_cell, float background_db);
    float voicing(const ChannelHistory& h, std::int64_t from, std::int64_t length);
    void measure_body(const ChannelHistory& h, std::int64_t onset, Features& f);
    // Returns where the act began: the onset of the first transient chained before this one.
    std::int64_t rhythm(const ChannelHistory& h, std::int64_t onset, std::int64_t self, float peak, Features& f) const;
    // pre_db and act_pre_db: the mean cell level from `back_cells` to `gap_cells` before the
    // onset's cell, and before the act's, over `background`, dB (the act's is pre_db's when it is
    // the onset's own cell).
    std::pair<float, float> activity_db(const ChannelHistory& h, std::int64_t onset_cell, std::int64_t act_cell,
                                        std::int64_t back_cells, std::int64_t gap_cells, float background) const;
    static std::int64_t first_onset_from(const ChannelHistory& h, std::int64_t frame);
    std::int64_t next_onset(const ChannelHistory& h, std::int64_t self, std::int64_t limit) const;

    DetectorConfig config_;
    double fs_;
    std::int64_t cell_;
    std::int64_t frames_before_, frames_after_;
    std::size_t decimation_;
    PowerSpectrum spectrum_;
    Biquad body_lowpass_;                   // 400 Hz, at the decimated rate
    std::array<std::int64_t, 16> thuds_{};  // onsets of the last thuds measured (a ring; a walk's steps)
    std::size_t thud_count_ = 0;
    std::vector<float> frame_, power_, background_power_, scratch_, decimated_;
    std::vector<double> energy_;     // voicing: running sum of the decimated copy's squares
    std::vector<double> lag_dots_;   // voicing: the decimated copy's products at each pitch lag
    std::vector<double> as_double_;  // voicing: the decimated copy in double, for lagged_dots_d
};

}  // namespace popwatch

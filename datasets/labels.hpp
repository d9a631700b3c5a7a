// Ground truth for scoring: labelled pops and clunks read from the synthesiser's CSV or from an
// Audacity label track, and the confounders (typing, knocks, ...) the synthesiser mixed in.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "dsp/event.hpp"

namespace popwatch {

struct LabelledEvent {
    double time_s = 0;      // onset, seconds from the start of the recording
    Kind kind = Kind::pop;  // pop or clunk
    int episode = -1;       // episode index within the recording; -1 if unknown / not a pop
    std::string site = "unknown";
    double position_cm = NAN;  // along the spine, when the labels say (optional CSV column position_cm)
};

// Reads a label file, detecting its format from the first line that is not blank or a comment:
//  - CSV with a header naming `time_s` and `kind` columns, optionally `episode`, `site` and
//    `position_cm` (empty = unknown)
//    (other columns are ignored). `kind` is pop or clunk (rows of kind `other` are skipped);
//    an empty `episode` is -1.
//  - Audacity label track: `start<TAB>end<TAB>label` per line, a point label having start == end.
//    The event time is `start`. Label text `pop` / `clunk` (any case) is kept; every other label
//    ("other", "keyboard", empty, ...) is ignored, so a user can mark anything else in the same
//    track. Frequency lines (`\<TAB>low<TAB>high`) are skipped. Pop episodes are computed from
//    the times with the gap rule of `DetectorConfig::episode_gap_s`.
// Blank lines, CRLF line ends, a UTF-8 byte-order mark and `#` comment lines are tolerated.
// Returns the events sorted by time. Throws std::runtime_error("PATH:LINE: reason") on garbage
// and std::runtime_error("PATH: reason") when the file cannot be read.
std::vector<LabelledEvent> read_labels(const std::string& path);

// The gap rule: sorted event times closer than `gap_s` to the previous one share its episode.
// Returns one episode index (0, 1, ...) per time.
std::vector<int> group_episodes(std::span<const double> sorted_times_s, double gap_s);

// A non-pop transient the synthesiser mixed in (`STEM.confounders.csv`: time_s,duration_s,class).
struct Confounder {
    double time_s = 0;
    double duration_s = 0;
    std::string class_name;  // "keyboard", "knock", "speech", ...
    // How loud it was on the scored channel: the peak |sample| it added, per envelope_block_s
    // block from time_s. Known for scenes rendered in memory (the accuracy drivers); empty when
    // read from a CSV.
    std::vector<float> envelope;
};
inline constexpr double envelope_block_s = 0.005;

// How loud a sound that started at `start_s` was at `time_s`: the loudest block of its envelope
// there and one block either side; 0 outside it.
float envelope_level_at(std::span<const float> envelope, double start_s, double time_s);

// Reads a confounders CSV (header with time_s, duration_s, class; other columns ignored), sorted
// by time. Errors as for read_labels.
std::vector<Confounder> read_confounders(const std::string& path);

}  // namespace popwatch

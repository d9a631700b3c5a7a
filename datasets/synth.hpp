// The labelled-audio synthesiser: office and body scenes with joint-cavitation pops, clunks and
// the transients that are not pops, each placed with a label. The physical model is
// docs/research/cavitation-acoustics.md (shared/docs), sections 2.1-2.4; the banner of each
// generator in synth.cpp names the row it comes from.
//
// Definitions the labels rest on:
//  - Label time of a pop or clunk = its true onset: the first sample of the excitation pulse.
//    The excitation is a derivative-of-Gaussian whose window starts 3 sigma before its centre;
//    that first sample is placed exactly at `time_s * sample_rate` (an integer sample), and
//    nothing of the event exists before it (all filters after it are causal). The excitation's
//    first extremum follows 2 sigma later: <= 0.6 ms for a pop, <= 4 ms for a clunk.
//  - Per-event SNR (Label::snr_db) = mean power of the event over its -20 dB duration / power of
//    the stationary noise floor (room noise or body+sensor noise, before any transient), in dB.
//  - Episodes: pops sorted by time; a pop less than 2 s after the previous one joins its
//    episode, otherwise starts the next. Numbered from 0 per file. Clunks: episode -1.
//
// Dev / test split (Options::split). The caller picks different seeds per split; on top of that
// the split changes the mixtures themselves, so a detector tuned on dev meets new material:
//  - real clips: each folder's usable files sorted by name (excluded ones removed first); dev
//    uses even indices, test odd ones. The one real knuckle recording falls in test.
//  - parameter ranges are shifted inside the measured ranges (pop f1, pop duration, SNR,
//    keyboard/mouse resonances, typing speed, voice pitch, room reverberation): see
//    `split_params()` in synth.cpp.
//  - the random streams are seeded from (seed, split, scenario), so seed N differs between them.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/labels.hpp"
#include "dsp/event.hpp"

namespace popwatch::synth {

enum class Scenario {
    contact,         // sensor on the upper back: body noise, heartbeat, breathing, rub, own voice
    ambient,         // laptop/desk mic in an office: typing, clicks, speech, knocks... and pops
    negatives,       // ambient-like, dense with hard negatives, no pops and no clunks at all
    demo,            // a fixed 3-minute office scene: 12 clear pops in 6 episodes (knuckle sessions, a double
                     // pop, one spinal cluster heard through the air) + 1 clunk; synthetic only
    dual,            // two channels: ch1 contact sensor on the upper back, ch2 the laptop mic 0.4-1.2 m away
                     // (the air reference, issue #8); spinal pops, clunks, office, speech (synth_dual.cpp)
    dual_negatives,  // the same two sensors in an office with no pops and no clunks ("dual-negatives")
    spine,           // several contact sensors along the spine (synth_spine.cpp): pops at known positions
};
enum class Split { dev, test };

Scenario parse_scenario(const std::string& name);  // throws std::invalid_argument
std::string_view scenario_name(Scenario s);
Split parse_split(const std::string& name);  // "dev" | "test"; throws std::invalid_argument
std::string_view split_name(Split s);

std::string default_real_dir();  // POPWATCH_SHARED_DIR "/datasets/real"

struct Options {
    Scenario scenario = Scenario::ambient;
    Split split = Split::dev;
    std::uint64_t seed = 1;
    double minutes = 5;                         // ignored by demo (always 3 min); 0 < minutes <= 180
    double sample_rate = 48000;                 // 8000..192000
    std::string real_dir = default_real_dir();  // empty or missing -> synthetic only, silently
    bool use_real = true;                       // mix real recordings from real_dir (never in demo)
    // Event rates; unset = the scenario's default (see scenario_rates() in synth.cpp).
    std::optional<double> episodes_per_min;  // pop acts: knuckle sessions + spinal clusters
    std::optional<double> clunks_per_min;
    double density = 1;     // multiplies every negative (confounder) rate
    double snr_min_db = 6;  // per-event pop SNR range (see above); mostly 10-30 dB
    double snr_max_db = 40;
    // Training only, never the benchmark: each pop's shape drawn from wider ranges than the
    // split's (synth.cpp, widen()), so a model learns what a pop is rather than the one pop this
    // synthesiser draws. Off, the audio is byte-identical to what it always was.
    bool wide_pops = false;
    double peak_min_dbfs = -30;  // each file's peak is drawn in this range
    double peak_max_dbfs = -6;
    // spine only: sensors on a line along the spine, `spacing_cm` apart (synth_spine.cpp)
    int sensors = 3;
    double spacing_cm = 12;
};

struct Label {
    double time_s = 0;      // onset (see above)
    Kind kind = Kind::pop;  // pop or clunk
    int episode = -1;       // pops: from 0 per file; clunks: -1
    std::string site;       // "neck", "upper-back", "lower-back", "knuckles"
    double duration_s = 0;  // -20 dB duration of the isolated event (not written to the CSV)
    double snr_db = 0;      // per-event SNR (not written to the CSV)
    // Peak |sample| the event added, as mixed, in the units of Confounder::envelopes (not
    // written to the CSV; NaN where not known): with those, how far other sounds cover it.
    double peak = NAN;
    double position_cm = NAN;  // spine: true source position along the spine (CSV column position_cm)
};

// Every negative transient placed. time_s = start of the sound (for real clips: start of the
// clip, the transient may come later); duration_s = its length.
struct Confounder {
    double time_s = 0;
    double duration_s = 0;
    std::string cls;  // "keyboard", "mouse", "clap", "knock", "footstep", "plosive", "cough",
                      // "creak", "snap", "digital_click", "heartbeat", "breath", "rub",
                      // "speech", "motion", "knuckle_attempt", "real:<dcase class or foley name>"
    // Per channel, what it added there: peak |sample| per envelope_block_s block from time_s, as
    // mixed (before the room and the drift; delays of a few ms between channels ignored). A
    // channel it did not reach has an empty envelope.
    std::vector<std::vector<float>> envelopes;
};

struct Scene {
    double sample_rate = 48000;
    int channels = 1;
    std::vector<float> audio;
    std::vector<Label> labels;            // time order
    std::vector<Confounder> confounders;  // time order
};

// Throws std::invalid_argument naming the first option out of range (render() checks with it).
void validate(const Options& options);

// Deterministic per options (seed included). Throws std::invalid_argument for options out of
// range.
Scene render(const Options& options);

// The spine scenario (render() dispatches to it): Options::sensors channels. The `--sites`
// string that names its channels, e.g. "upper-back@0,mid-back@12,lower-back@24".
Scene render_spine(const Options& options);
std::string spine_sites(int sensors, double spacing_cm);
// The dual scenarios (synth_dual.cpp); render() dispatches to it.
Scene render_dual(const Options& options);

// The scene's labels and confounders in the forms the scorer reads (datasets/labels.hpp).
std::vector<LabelledEvent> truth(const Scene& scene);
// The confounders with their envelopes on `channel` (0: the first; in the dual scenes the contact sensor).
std::vector<popwatch::Confounder> confounders(const Scene& scene, int channel = 0);

// Writes DIR/STEM.wav (32-bit float WAV), DIR/STEM.labels.csv (`time_s,kind,episode,site`,
// clunk episode empty), DIR/STEM.labels.txt (Audacity label track, `start\tend\tlabel`, label
// "pop"/"clunk", end = start + -20 dB duration) and DIR/STEM.confounders.csv
// (`time_s,duration_s,class`). Creates DIR if needed. Returns the paths written, in that order.
// Throws std::runtime_error naming the file on I/O failure.
std::vector<std::string> write_scene(const Scene& scene, const std::string& dir, const std::string& stem);

// --- For tests and for looking at the model -------------------------------------------------

// One event alone: no noise, no room, onset at sample 0, peak normalised to 1.
enum class Isolated {
    knuckle_pop_air,    // §2.1 knuckle column
    spine_pop_contact,  // §2.1 spine column, contact sensor
    spine_pop_air,      // a spinal pop heard by a desk mic
    clunk_contact,      // §2.2
};
std::vector<float> render_isolated(Isolated what, double sample_rate, std::uint64_t seed, Split split = Split::dev);

// -20 dB duration as the labels use it: from the first sample to the last one whose magnitude
// is at least a tenth of the peak.
double minus20_duration_s(const std::vector<float>& sound, double sample_rate);

// The real recordings a split may use (full paths, sorted), after exclusions.
std::vector<std::string> real_clips(const std::string& real_dir, Split split);

}  // namespace popwatch::synth

// The synthesiser's generators, for the scenarios kept in their own files (synth_dual.cpp,
// synth_spine.cpp):
// thin, seeded wrappers around the generators of synth.cpp, so every scenario uses the same
// physical models (the banners in synth.cpp say where each comes from). Not a public interface.
//
// Every sound is rendered alone: onset at sample 0, peak normalised to 1. `seed` seeds the
// sound's own random stream, so a scene is deterministic per seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/synth.hpp"

namespace popwatch::synth {

// `frames` samples of a contact sensor's stationary floor (sensor self-noise through its
// `sensor_lowpass_hz` low-pass, plus body and muscle rumble), RMS 1; deterministic per seed.
std::vector<float> contact_floor(std::size_t frames, double fs, double sensor_lowpass_hz, std::uint64_t seed);

}  // namespace popwatch::synth

namespace popwatch::synth::internal {

// One body-borne transient as two sensors hear it: the same source through the contact
// sensor's coupling (2nd-order HP at 100-150 Hz, the sensor's low-pass) and through a desk
// mic (radiated from the back: weak below ~150 Hz, more click; flat to 6 kHz).
struct SensorPair {
    std::vector<float> contact, air;
};
// §2.1 spinal pop with peak frequency f1; -20 dB length from the split's range (row 1).
SensorPair spinal_pop(double fs, Split split, std::uint64_t seed, double f1_hz, double contact_lowpass_hz);
// A cluster's centre frequency (row 8, the split's median).
double spine_f1_hz(Split split, std::uint64_t seed);
// §2.1 knuckle pop (made at the hand: heard directly by the air mic).
SensorPair knuckle_pop(double fs, Split split, std::uint64_t seed, double contact_lowpass_hz);
// §2.2 clunk, on the contact sensor (30-50 Hz sensor HP) and a laptop mic (60-100 Hz HP).
SensorPair clunk(double fs, Split split, std::uint64_t seed, double contact_lowpass_hz);

// Air-borne office sounds of §2.4: "mouse", "clap", "knock", "footstep", "snap", "cough",
// "creak", "digital_click", "knuckle_attempt" (the hand's rustle). Throws on another name.
std::vector<float> office_sound(const std::string& cls, double fs, Split split, std::uint64_t seed);
// One keystroke (touch, bottom-out, release) of the keyboard drawn from `keyboard_seed`.
std::vector<float> keystroke(double fs, Split split, std::uint64_t keyboard_seed, std::uint64_t seed);
double keys_per_s(Split split, std::uint64_t seed);  // a typist's speed, from the split's range
// An utterance of `seconds` at f0 (voice_f0_hz draws one from the split's range).
std::vector<float> speech(double fs, double seconds, double f0_hz, std::uint64_t seed);
double voice_f0_hz(Split split, std::uint64_t seed);
// The contact sensor's body sounds: "heartbeat", "breath", "rub", "motion".
std::vector<float> body_sound(const std::string& cls, double fs, std::uint64_t seed);

// Stationary floors with RMS 1 added in place: a room for the desk mic, body + sensor noise for
// the contact sensor. A small office's reflections and tail (in place, on the event layer).
// The contact sensor's slow gain drift (+-2 dB).
void add_room_floor(std::vector<float>& audio, double fs, std::uint64_t seed);
void add_body_floor(std::vector<float>& audio, double fs, double sensor_lowpass_hz, std::uint64_t seed);
void apply_room(std::vector<float>& audio, double fs, Split split, std::uint64_t seed);
void apply_drift(std::vector<float>& audio, double fs, std::uint64_t seed);

// A real recording resampled to fs (empty if unreadable), and its confounder class.
std::vector<float> load_clip(const std::string& path, double fs);
std::string real_class(const std::string& path);

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream);
void lowpass(std::vector<float>& x, double cutoff_hz, double fs, int stages);
// Peak |gain * x| per envelope_block_s block: a confounder's envelope (synth.hpp).
std::vector<float> block_peaks(std::span<const float> x, double gain, double fs);

}  // namespace popwatch::synth::internal

// What synth.cpp shares with the other scenario files of the synthesiser (synth_spine.cpp):
// not part of the public interface in synth.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace popwatch::synth {

// `frames` samples of a contact sensor's stationary floor (sensor self-noise through its
// `sensor_lowpass_hz` low-pass, plus body and muscle rumble), RMS 1; deterministic per seed.
std::vector<float> contact_floor(std::size_t frames, double fs, double sensor_lowpass_hz, std::uint64_t seed);

}  // namespace popwatch::synth

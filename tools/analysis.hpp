// Shared by the subcommands: run the detector over one file, and map channels to body sites.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dsp/config.hpp"
#include "dsp/detector.hpp"
#include "dsp/event.hpp"
#include "dsp/layout.hpp"

namespace popwatch {

struct Site {
    std::string name = "unknown";
    float position_cm = NAN;
};

// The position to report for an event heard best at `site`: the detector's estimate when it
// located the pop, else the site's own position (NaN when neither is known).
inline float reported_position_cm(const Event& event, const Site& site) {
    return std::isfinite(event.position_cm) ? event.position_cm : site.position_cm;
}

// `--sites "upper-back@0,mid-back@12"`: names channel 1, 2, ... with optional positions in cm.
// The name `air` marks the air reference microphone (no position): it helps decide, and events
// are never reported on it.
class SiteMap {
   public:
    static constexpr const char* air_name = "air";

    SiteMap() = default;
    static SiteMap parse(const std::string& spec);  // throws std::invalid_argument with a reason
    const Site& for_channel(int channel) const;     // "unknown" for unnamed channels
    std::size_t size() const { return sites_.size(); }
    // The detector's view: which channels are air, where the body sensors are.
    SensorLayout layout() const;
    // reported_position_cm() for the site that heard the event best.
    float position_cm(const Event& event) const { return reported_position_cm(event, for_channel(event.channel)); }

   private:
    std::vector<Site> sites_;
    Site unknown_;
};

struct FileAnalysis {
    std::string path;
    double duration_s = 0;  // audio actually analysed
    double sample_rate = 0;
    int channels = 0;
    std::vector<Event> events;  // time order; kind `other` only when asked for (analyze_file)
    std::string error;          // empty when the whole file was read
    std::int64_t bad_samples = 0;
    std::int64_t candidates = 0;
    std::vector<ChannelHealth> health;  // per channel
    // Not errors (the file was analysed): the air reference fell back to single-sensor decisions
    // for a while, or a channel clipped. One line each, naming the file.
    std::vector<std::string> warnings;

    bool ok() const { return error.empty(); }
};

// One line per channel that went silent (>= 2 s of digital silence) or clipped, naming it and its
// site and saying what localisation did about it; empty when every channel was fine.
std::vector<std::string> channel_warnings(const std::vector<ChannelHealth>& health, const SiteMap& sites);

// Decode + detect, streaming in constant memory. Never throws for bad input: the reason goes to
// `error` (one line naming the file) and the events found before the problem are kept.
// `progress` (optional) is called with the fraction done, at most a few times per second.
// `keep_other`: also keep the events of kind `other`. Busy office audio has ~57 000 an hour, each
// 280 bytes (16 MB an hour): a caller that does not show or score them should not keep them, so
// that memory does not grow with the file.
FileAnalysis analyze_file(const std::string& path, const DetectorConfig& config,
                          const std::function<void(double)>& progress = {}, const SensorLayout& layout = {},
                          bool keep_other = true);

}  // namespace popwatch

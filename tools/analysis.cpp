#include "tools/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "capture/file_source.hpp"
#include "dsp/detector.hpp"

namespace popwatch {

SiteMap SiteMap::parse(const std::string& spec) {
    SiteMap map;
    std::size_t start = 0;
    while (start <= spec.size()) {
        const std::size_t comma = std::min(spec.find(',', start), spec.size());
        std::string item = spec.substr(start, comma - start);
        start = comma + 1;
        const auto trim = [](std::string s) {
            const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
            return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
        };
        item = trim(item);
        if (item.empty()) throw std::invalid_argument("--sites: empty site name in \"" + spec + "\"");
        Site site;
        const std::size_t at = item.find('@');
        site.name = trim(item.substr(0, at));
        if (site.name.empty()) throw std::invalid_argument("--sites: empty site name in \"" + item + "\"");
        if (at != std::string::npos) {
            const std::string pos = trim(item.substr(at + 1));
            float cm = 0;
            const auto [end, ec] = std::from_chars(pos.data(), pos.data() + pos.size(), cm);
            if (ec != std::errc{} || end != pos.data() + pos.size() || !std::isfinite(cm))
                throw std::invalid_argument("--sites: \"" + pos + "\" is not a position in cm (e.g. upper-back@12)");
            site.position_cm = cm;
        }
        if (site.name == air_name && at != std::string::npos)
            throw std::invalid_argument("--sites: the air reference has no position on the body (\"" + item +
                                        "\"); write just \"air\"");
        map.sites_.push_back(site);
        if (comma == spec.size()) break;
    }
    if (!map.sites_.empty() &&
        std::all_of(map.sites_.begin(), map.sites_.end(), [](const Site& s) { return s.name == air_name; }))
        throw std::invalid_argument("--sites \"" + spec + "\": every channel is \"air\"; name at least one body site");
    return map;
}

SensorLayout SiteMap::layout() const {
    SensorLayout layout;
    for (const Site& s : sites_) {
        layout.air.push_back(s.name == air_name);
        layout.position_cm.push_back(s.position_cm);
    }
    return layout;
}

const Site& SiteMap::for_channel(int channel) const {
    if (channel >= 0 && static_cast<std::size_t>(channel) < sites_.size())
        return sites_[static_cast<std::size_t>(channel)];
    return unknown_;
}

std::vector<std::string> channel_warnings(const std::vector<ChannelHealth>& health, const SiteMap& sites) {
    std::vector<std::string> out;
    for (std::size_t c = 0; c < health.size(); ++c) {
        const ChannelHealth& h = health[c];
        const std::string& name = sites.for_channel(static_cast<int>(c)).name;
        if (name == SiteMap::air_name) continue;  // the air reference has its own warning (signal_warnings)
        const std::string who = fmt::format("channel {}{}", c + 1, name == "unknown" ? "" : " (" + name + ")");
        const std::int64_t left_out = h.excluded_silent + h.excluded_clipped;
        const std::string effect = left_out > 0 ? fmt::format("; {} event{} located with the other channels", left_out,
                                                              left_out == 1 ? "" : "s")
                                                : "";
        if (h.silent_s > 0)
            out.push_back(fmt::format("{} was silent for {:.1f} s (unplugged or muted?){}", who, h.silent_s, effect));
        if (h.clipped_samples > 0)
            out.push_back(fmt::format("{} clipped ({} samples at full scale){}", who, h.clipped_samples,
                                      h.silent_s > 0 ? "" : effect));
        if (h.silent_s <= 0 && h.clipped_samples <= 0 && left_out > 0)
            out.push_back(fmt::format("{} was silent around {} event{}; located with the other channels", who, left_out,
                                      left_out == 1 ? "" : "s"));
    }
    return out;
}

namespace {

// Issue #8: an air reference that went silent or clipped (decisions fell back to the single
// sensor there). Clipping on any channel is in FileAnalysis::health (channel_warnings).
std::vector<std::string> signal_warnings(const Detector& d, const std::string& path) {
    std::vector<std::string> out;
    const AirHealth& air = d.air_health();
    if (d.has_air_reference() && air.fallbacks() > 0)
        out.push_back(fmt::format(
            "{}: the air reference was unusable for {:.1f} s of {:.1f} s (silent {:.1f} s, clipping {:.1f} s; "
            "{} time{}): pops there were decided from the body sensor alone",
            path, static_cast<double>(air.fallback_frames()) / d.sample_rate(),
            static_cast<double>(d.frames_processed()) / d.sample_rate(),
            static_cast<double>(air.silent_frames()) / d.sample_rate(),
            static_cast<double>(air.clipped_frames()) / d.sample_rate(), air.fallbacks(),
            air.fallbacks() == 1 ? "" : "s"));
    return out;
}

}  // namespace

FileAnalysis analyze_file(const std::string& path, const DetectorConfig& config,
                          const std::function<void(double)>& progress, const SensorLayout& layout, bool keep_other) {
    FileAnalysis result;
    result.path = path;
    try {
        FileSource source(path);
        result.sample_rate = source.sample_rate();
        result.channels = source.channels();
        Detector detector(config, source.sample_rate(), source.channels(), layout);
        std::vector<float> block(4096 * static_cast<std::size_t>(source.channels()));
        const EventHandler keep = [&](const Event& e) {
            if (keep_other || e.kind != Kind::other) result.events.push_back(e);
        };
        auto last_report = std::chrono::steady_clock::now();
        try {
            while (const std::size_t frames = source.read(block)) {
                detector.process({block.data(), frames * static_cast<std::size_t>(source.channels())}, keep);
                if (progress && source.frames() > 0) {
                    const auto now = std::chrono::steady_clock::now();
                    if (now - last_report > std::chrono::milliseconds(100)) {
                        last_report = now;
                        progress(static_cast<double>(detector.frames_processed()) /
                                 static_cast<double>(source.frames()));
                    }
                }
            }
        } catch (const AudioFileError& e) {
            result.error = e.what();  // keep what was found before the damage
        }
        detector.finish(keep);
        result.duration_s = static_cast<double>(detector.frames_processed()) / source.sample_rate();
        result.bad_samples = detector.bad_samples();
        result.candidates = detector.candidates();
        for (int c = 0; c < detector.channels(); ++c) result.health.push_back(detector.channel_health(c));
        result.warnings = signal_warnings(detector, path);
        if (result.error.empty() && (source.truncated() || detector.frames_processed() < source.frames())) {
            result.error = fmt::format(
                "{}: truncated: the file ends before the length its header gives (events in the {:.1f} s it holds "
                "are reported)",
                path, result.duration_s);
        }
        if (result.error.empty() && result.bad_samples > 0) {
            result.error = path + ": " + std::to_string(result.bad_samples) +
                           " NaN/Inf samples (treated as silence; events elsewhere are reported)";
        }
        if (progress) progress(1.0);
    } catch (const AudioFileError& e) {
        result.error = e.what();
    } catch (const std::exception& e) {
        result.error = path + ": " + e.what();
    }
    return result;
}

}  // namespace popwatch

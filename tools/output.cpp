#include "tools/output.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace popwatch {

Format parse_format(const std::string& name) {
    if (name == "table") return Format::table;
    if (name == "csv") return Format::csv;
    if (name == "jsonl") return Format::jsonl;
    if (name == "audacity") return Format::audacity;
    throw std::invalid_argument("unknown format \"" + name + "\" (table, csv, jsonl, audacity)");
}

namespace {

// CSV fields are quoted only when they need it (RFC 4180).
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string clock(double seconds) {
    const int minutes = static_cast<int>(seconds / 60);
    return fmt::format("{}:{:06.3f}", minutes, seconds - 60.0 * minutes);
}

}  // namespace

std::string csv_header() { return "file,time_s,duration_s,kind,confidence,channel,site,position_cm,episode"; }

std::string csv_row(const std::string& file, const Event& e, const Site& site) {
    const float position = reported_position_cm(e, site);
    return fmt::format("{},{:.4f},{:.4f},{},{:.3f},{},{},{},{}", csv_field(file), e.time_s, e.duration_s,
                       kind_name(e.kind), e.confidence, e.channel + 1, csv_field(site.name),
                       std::isfinite(position) ? fmt::format("{:g}", position) : "",
                       e.episode >= 0 ? std::to_string(e.episode) : "");
}

nlohmann::json event_json(const std::string& file, const Event& e, const Site& site, bool with_features) {
    const float position = reported_position_cm(e, site);
    nlohmann::json j = {{"file", file},
                        {"time_s", std::round(e.time_s * 1e4) / 1e4},
                        {"duration_s", std::round(e.duration_s * 1e4) / 1e4},
                        {"kind", kind_name(e.kind)},
                        {"confidence", std::round(e.confidence * 1e3) / 1e3},
                        {"channel", e.channel + 1},
                        {"site", site.name},
                        {"position_cm", std::isfinite(position) ? nlohmann::json(position) : nlohmann::json()},
                        {"episode", e.episode >= 0 ? nlohmann::json(e.episode) : nlohmann::json()}};
    if (with_features) {
        nlohmann::json f;
        for (std::size_t i = 0; i < Features::count; ++i)
            if (e.air == AirPath::dual || !Features::is_air(i)) f[std::string(feature_names[i])] = e.features.values[i];
        j["features"] = f;
        j["pop_probability"] = e.pop_probability;
        if (std::isfinite(e.position_cm)) {  // localisation (issue #6): what it measured per channel
            auto finite_or_null = [](float v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
            nlohmann::json energy = nlohmann::json::array(), arrival = nlohmann::json::array();
            for (std::size_t c = 0; c < e.channel_energy_db.size(); ++c)
                energy.push_back(finite_or_null(e.channel_energy_db[c])),
                    arrival.push_back(finite_or_null(e.channel_arrival_ms[c]));
            j["position_confidence"] = e.position_confidence;
            j["channel_energy_db"] = energy;
            j["channel_arrival_ms"] = arrival;
        }
        if (e.air != AirPath::none) j["air_reference"] = air_path_name(e.air);
    }
    return j;
}

std::string audacity_row(const Event& e, const Site& site) {
    std::string label(kind_name(e.kind));
    if (e.episode >= 0) label += fmt::format(" ep{}", e.episode);
    if (site.name != "unknown") label += " @" + site.name;
    label += fmt::format(" {:.2f}", e.confidence);
    return fmt::format("{:.6f}\t{:.6f}\t{}", e.time_s, e.time_s + e.duration_s, label);
}

std::string table_header() {
    return fmt::format("  {:>10}  {:>6}  {:<5}  {:>4}  {:<12} {:>7}", "time", "length", "kind", "conf", "site",
                       "episode");
}

std::string table_row(const Event& e, const Site& site) {
    return fmt::format("  {:>10}  {:>4.0f}ms  {:<5}  {:>4.2f}  {:<12} {:>7}", clock(e.time_s), e.duration_s * 1e3,
                       kind_name(e.kind), e.confidence, site.name,
                       e.episode >= 0 ? std::to_string(e.episode) : std::string("-"));
}

Counts count(const FileAnalysis& analysis) {
    Counts c;
    int last_episode = -1;
    for (const Event& e : analysis.events) {
        if (e.kind == Kind::pop) {
            ++c.pops;
            if (e.episode != last_episode) ++c.episodes, last_episode = e.episode;
        } else if (e.kind == Kind::clunk) {
            ++c.clunks;
        } else {
            ++c.others;
        }
    }
    return c;
}

std::string summary_line(const FileAnalysis& analysis) {
    const Counts c = count(analysis);
    const auto plural = [](int n, const char* one, const char* many) {
        return fmt::format("{} {}", n, n == 1 ? one : many);
    };
    return fmt::format("{}: {} in {}, {}, {} analysed", analysis.path, plural(c.pops, "pop", "pops"),
                       plural(c.episodes, "episode", "episodes"), plural(c.clunks, "clunk", "clunks"),
                       clock(analysis.duration_s));
}

std::string clunk_note() {
    return "note: a clunk (a dull, low thud) rather than a pop was heard. That is a reason to stop cracking that\n"
           "      joint; if there is pain, numbness or tingling, see a health professional. Information, not a "
           "diagnosis.";
}

}  // namespace popwatch

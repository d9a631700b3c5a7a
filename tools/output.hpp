// How events are written: a table for people, CSV / JSON Lines for programs, and Audacity label
// tracks to review detections beside the audio. `analyze` prints whole files; `listen` prints
// one event at a time through the same functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dsp/config.hpp"
#include "dsp/event.hpp"
#include "tools/analysis.hpp"

namespace popwatch {

enum class Format { table, csv, jsonl, audacity };
Format parse_format(const std::string& name);  // throws std::invalid_argument

// The CSV header, exactly: file,time_s,duration_s,kind,confidence,channel,site,position_cm,episode
std::string csv_header();
std::string csv_row(const std::string& file, const Event& e, const Site& site);
nlohmann::json event_json(const std::string& file, const Event& e, const Site& site, bool with_features);
std::string audacity_row(const Event& e, const Site& site);
std::string table_header();
std::string table_row(const Event& e, const Site& site);

struct Counts {
    int pops = 0, episodes = 0, clunks = 0, others = 0;
};
Counts count(const FileAnalysis& analysis);
// "demo.wav: 11 pops in 6 episodes, 1 clunk, 3:00.0 analysed"
std::string summary_line(const FileAnalysis& analysis);
// The note a clunk triggers: information, not a diagnosis.
std::string clunk_note();

}  // namespace popwatch

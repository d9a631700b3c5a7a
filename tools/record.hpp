// `analyze --record`: a recording's pops and clunks go into the history at absolute times, and
// the recording's span counts as monitored time.
#pragma once

#include <optional>
#include <string>

#include "habits/config.hpp"
#include "habits/store.hpp"
#include "tools/analysis.hpp"
#include "tools/habits_support.hpp"

namespace popwatch {

class Recorder {
   public:
    // Opens the store for writing (throws habits::StoreError).
    Recorder(const HabitsOptions& options, const habits::Config& config);
    // `start`: unix time of the first sample; default: the file's modification time minus its
    // duration (a recorder writes the file as it records). One line on stderr per file.
    void record(const FileAnalysis& analysis, const SiteMap& sites, std::optional<double> start);
    // Retries anything still queued; exit_ok, or exit_failure with a message when events could not
    // be written (the database stayed locked, the disk is full, ...).
    int finish();

   private:
    habits::HistoryStore store_;
};

// Parses --start; throws std::invalid_argument naming the accepted forms.
double parse_start(const std::string& iso8601);

}  // namespace popwatch

// The sinks `popwatch listen` uses: the printer (events on stdout in analyze's formats, notices,
// a live status line and the session summary on stderr) and the opt-in clip keeper. A history
// sink (habits/) plugs in beside them through the same Sink interface (tools/monitor.hpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/analysis.hpp"
#include "tools/monitor.hpp"
#include "tools/output.hpp"

namespace popwatch {

class PrinterSink : public Sink {
   public:
    // The CSV/JSONL `file` column holds the device's name. `status_line`: draw the live one-line
    // status on `err` (only when it is a terminal). `all`: print `other` events too.
    PrinterSink(Format format, SiteMap sites, bool all, bool status_line, std::FILE* out = stdout,
                std::FILE* err = stderr);

    void on_start(const std::string& input_name, double rate, int channels) override;
    void on_event(const Event& event) override;
    void on_notice(const Notice& notice) override;
    void on_status(const SessionStats& stats) override;
    void on_end(const SessionStats& stats) override;

   private:
    void header();
    void clear_status();

    Format format_;
    SiteMap sites_;
    std::string source_;
    bool all_, status_line_;
    std::FILE *out_, *err_;
    bool header_done_ = false, table_header_done_ = false, status_drawn_ = false, clunk_noted_ = false;
    bool started_ = false;  // audio has arrived
};

// "0:12:03.4"-style clock for the status line and the summary.
std::string session_clock(double seconds);
// The summary printed when a session ends (several lines, no trailing newline); channel
// warnings name their sites.
std::string session_summary(const SessionStats& stats, const SiteMap& sites = {});

// --keep-clips DIR: a short WAV (1 s: 0.4 s before the onset, 0.6 s after) around every pop and
// clunk, for the user to review. Files are 0600 in a directory that must be private (0700; it is
// created so). When the clips in DIR reach the size cap no more are written and the user is told
// once. Audio is kept in memory only for the last few seconds.
class ClipSink : public Sink {
   public:
    // Throws std::runtime_error (one line) if DIR cannot be created or is open to other users.
    ClipSink(std::filesystem::path dir, std::uint64_t cap_bytes, std::FILE* err = stderr);

    void on_audio(std::span<const float> interleaved, double at_s, double rate, int channels) override;
    void on_event(const Event& event) override;
    void on_end(const SessionStats& stats) override;

    int saved() const { return saved_; }
    int skipped() const { return skipped_; }
    std::uint64_t bytes() const { return bytes_; }

    static constexpr double before_s = 0.4, after_s = 0.6;

   private:
    struct Pending {
        double onset_s;
        Kind kind;
    };
    void write_ready(bool all);
    void write_clip(const Pending& clip);

    std::filesystem::path dir_;
    std::uint64_t cap_bytes_, bytes_ = 0;
    std::FILE* err_;
    int saved_ = 0, skipped_ = 0;
    bool cap_noted_ = false;
    // The last few seconds of audio, interleaved, as a circular buffer ending at `end_s_`.
    std::vector<float> history_;
    std::size_t write_at_ = 0, filled_ = 0;  // in samples
    double rate_ = 0, end_s_ = 0;
    int channels_ = 0;
    std::deque<Pending> pending_;
};

}  // namespace popwatch

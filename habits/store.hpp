// The history: every pop and clunk heard, when monitoring ran, and what the user corrected, in
// one SQLite file ($XDG_DATA_HOME/popwatch/history.db by default, mode 0600 in a 0700 directory).
//
// Durability: WAL journal with synchronous=FULL, one transaction per recorded event (or per
// batch), so an event reported as `committed` survives the process being killed and a power cut.
// Events are a few per hour, so one fsync each costs nothing that matters.
//
// Contention: a write that finds the database locked waits `busy_timeout_ms`; if it is still
// locked (or the disk is full, or the file read-only) the write is queued in memory, a warning is
// given once, and every later write and flush() retries the queue in order. Nothing is dropped
// unless the queue exceeds `max_pending` (then the oldest, with a warning).
//
// Thread-safety: every method may be called from any thread (one mutex); the live path calls the
// recording API from its analysis thread, never from the audio callback.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/event.hpp"

namespace popwatch::habits {

// One event of the history.
struct HistoryEvent {
    std::int64_t id = 0;  // assigned by the store
    double time = 0;      // onset, unix seconds (UTC)
    double duration_s = 0;
    Kind kind = Kind::pop;
    float confidence = 0;
    std::string site = "unknown";
    float position_cm = NAN;
    std::int64_t episode = 0;  // pops: the episode's id, assigned by the store; others 0
    double episode_start = 0;  // pops: onset of the episode's first pop (the episode counts on that day)
    std::string source;        // "live", or the path of the recording it came from
};

// A stretch of time during which popwatch was listening (live) or a recording covers.
struct Interval {
    std::string source;  // "live", a device name, or a recording's path
    double start = 0, end = 0;
};

enum class WriteStatus { committed, queued };

struct RecordResult {
    WriteStatus status = WriteStatus::queued;
    std::int64_t id = 0;       // when committed
    std::int64_t episode = 0;  // when committed and a pop
    bool duplicate = false;    // the same event (source, time, kind) was already recorded
};

class StoreError : public std::runtime_error {
   public:
    StoreError(int sqlite_code, const std::string& message) : std::runtime_error(message), code(sqlite_code) {}
    int code;  // the primary SQLite result code (SQLITE_BUSY, SQLITE_FULL, SQLITE_READONLY, ...)
};

struct StoreOptions {
    int busy_timeout_ms = 2000;  // how long a write waits for another process's lock
    float episode_gap_s = 2.0f;  // pops closer than this are one episode (DetectorConfig::episode_gap_s)
    std::size_t max_pending = 100000;
    std::function<void(const std::string&)> warn;  // default: one line on stderr
};

enum class Access { read, write };

class HistoryStore {
   public:
    static constexpr int schema_version = 2;

    // write: creates the file (0600) and missing directories (0700), enables WAL, migrates.
    // read: a missing file is an empty history and nothing is created.
    // Throws StoreError with a message naming the file and what to do.
    HistoryStore(const std::filesystem::path& path, Access access, StoreOptions options = {});
    ~HistoryStore();  // retries the queue once; warns about anything still pending
    HistoryStore(HistoryStore&&) noexcept;
    HistoryStore& operator=(HistoryStore&&) noexcept;

    const std::filesystem::path& path() const;

    // --- recording (thread-safe; never throws for a locked/full/read-only database) ----------
    RecordResult record_event(HistoryEvent event);
    std::vector<RecordResult> record_events(std::vector<HistoryEvent> events);  // one transaction
    // Monitored time: begin writes [start, start]; extend/end move the end (call extend every
    // minute or so: if the process dies, the interval ends at the last extension).
    Interval begin_interval(std::string source, double start);
    WriteStatus extend_interval(Interval& interval, double end);
    WriteStatus end_interval(Interval& interval, double end);
    std::size_t pending() const;       // writes waiting in memory
    bool flush();                      // retries the queue; true when nothing is pending
    std::string last_problem() const;  // why the last write was queued ("" if none)

    // --- queries (time order) -----------------------------------------------------------------
    std::vector<HistoryEvent> events_between(double from, double to) const;  // from <= time < to
    std::vector<Interval> intervals_between(double from, double to) const;   // overlapping
    double monitored_s(double from, double to) const;                        // union, clipped
    std::optional<double> first_time() const;                                // earliest event or interval start
    std::optional<HistoryEvent> event(std::int64_t id) const;
    std::optional<HistoryEvent> last_event() const;  // latest pop or clunk

    // --- edits --------------------------------------------------------------------------------
    // Sets the site of an event (and of the other pops of its episode when `whole_episode`);
    // the old site is kept in the tags table. Returns the number of events changed.
    int tag(std::int64_t event_id, const std::string& site, bool whole_episode);
    // Deletes everything in [from, to) (events, their tags, notices, monitored time, clipped), then
    // VACUUMs and truncates the WAL so the bytes are gone from the files. Returns events deleted.
    int forget(double from, double to);
    void forget_all();

    // --- notices: which warnings were delivered, so cooldowns survive a restart ---------------
    void record_notice(double time, const std::string& key, const std::string& message, bool delivered);
    std::map<std::string, double> last_delivered(double since) const;  // key -> latest delivery time

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// $XDG_DATA_HOME/popwatch/history.db, falling back to ~/.local/share/popwatch/history.db.
std::filesystem::path default_db_path();

}  // namespace popwatch::habits

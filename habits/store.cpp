#include "habits/store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <variant>

namespace popwatch::habits {
namespace fs = std::filesystem;

namespace {

// The schema, one migration per version: migrations[v] takes a database from version v to v+1.
// Never edit a shipped step; add one. Times are unix seconds (UTC) as REAL.
constexpr const char* migrations[] = {
    // v0 -> v1: events, monitored intervals, tags.
    R"sql(
    CREATE TABLE events(
      id           INTEGER PRIMARY KEY,
      t            REAL    NOT NULL,
      duration_s   REAL    NOT NULL DEFAULT 0,
      kind         TEXT    NOT NULL CHECK (kind IN ('pop', 'clunk', 'other')),
      confidence   REAL    NOT NULL,
      site         TEXT    NOT NULL DEFAULT 'unknown',
      position_cm  REAL,
      episode      INTEGER,
      source       TEXT    NOT NULL,
      UNIQUE (source, t, kind)
    );
    CREATE INDEX events_by_time ON events(t);
    CREATE INDEX events_by_episode ON events(episode);
    CREATE TABLE intervals(
      id      INTEGER PRIMARY KEY,
      source  TEXT NOT NULL,
      start   REAL NOT NULL,
      "end"   REAL NOT NULL,
      UNIQUE (source, start)
    );
    CREATE INDEX intervals_by_start ON intervals(start);
    CREATE TABLE tags(
      id        INTEGER PRIMARY KEY,
      event_id  INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      old_site  TEXT NOT NULL,
      new_site  TEXT NOT NULL,
      t         REAL NOT NULL
    );
    )sql",
    // v1 -> v2: delivered notices, so a notification cooldown survives a restart.
    R"sql(
    CREATE TABLE notices(
      id         INTEGER PRIMARY KEY,
      t          REAL    NOT NULL,
      key        TEXT    NOT NULL,
      message    TEXT    NOT NULL,
      delivered  INTEGER NOT NULL
    );
    CREATE INDEX notices_by_time ON notices(t);
    )sql",
};
static_assert(std::size(migrations) == HistoryStore::schema_version);

std::string describe(int rc, const fs::path& path, sqlite3* db, int busy_timeout_ms, const std::string& detail = {}) {
    const std::string p = path.string();
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return "the history database " + p +
                   " is locked by another process (is `popwatch listen` writing?); waited " +
                   std::to_string(busy_timeout_ms) + " ms";
        case SQLITE_READONLY:
            return "the history database " + p +
                   " is read-only (check the permissions of the file and of its directory)";
        case SQLITE_FULL:
            return "the disk holding the history database " + p + " is full";
        case SQLITE_CANTOPEN:
        case SQLITE_PERM:
            return "cannot open the history database " + p + (errno ? std::string(": ") + std::strerror(errno) : "");
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return p + " is not a popwatch history database, or it is damaged";
        case SQLITE_IOERR:
            return "I/O error on the history database " + p + (db ? std::string(": ") + sqlite3_errmsg(db) : "");
        default:
            return "history database " + p + ": " +
                   (!detail.empty() ? detail
                    : db            ? sqlite3_errmsg(db)
                                    : sqlite3_errstr(rc));
    }
}

// A prepared statement with bound values; throws on misuse.
class Stmt {
   public:
    Stmt(sqlite3* db, const char* sql) : db_(db) {
        const int rc = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
        if (rc != SQLITE_OK) throw StoreError(rc, std::string("SQL: ") + sqlite3_errmsg(db) + " in " + sql);
    }
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
    Stmt& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
    Stmt& bind(int i, int v) { return check(sqlite3_bind_int(stmt_, i, v)); }
    Stmt& bind(int i, const std::string& v) {
        return check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    Stmt& bind_null(int i) { return check(sqlite3_bind_null(stmt_, i)); }
    Stmt& bind_float_or_null(int i, float v) { return std::isfinite(v) ? bind(i, double{v}) : bind_null(i); }

    // Steps once: true when a row is available. Throws StoreError on failure.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw StoreError(rc, sqlite3_errmsg(db_));
    }
    void run() {
        while (step()) {
        }
    }
    double real(int c) const { return sqlite3_column_double(stmt_, c); }
    std::int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
    bool null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : std::string{};
    }

   private:
    Stmt& check(int rc) {
        if (rc != SQLITE_OK) throw StoreError(rc, sqlite3_errmsg(db_));
        return *this;
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string message = error ? error : sqlite3_errstr(rc);
        sqlite3_free(error);
        throw StoreError(rc, message);
    }
}

Kind parse_kind(const std::string& s) { return s == "pop" ? Kind::pop : s == "clunk" ? Kind::clunk : Kind::other; }

// Creates missing directories with mode 0700 (existing ones are left as they are).
void make_private_dirs(const fs::path& dir) {
    if (dir.empty() || fs::exists(dir)) return;
    make_private_dirs(dir.parent_path());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw StoreError(SQLITE_CANTOPEN, "cannot create the directory " + dir.string() +
                                              " for the history database: " + std::strerror(errno));
}

constexpr const char* event_columns =
    "e.id, e.t, e.duration_s, e.kind, e.confidence, e.site, e.position_cm, e.episode, e.source, "
    "(SELECT MIN(p.t) FROM events p WHERE p.episode = e.episode AND p.kind = 'pop')";

HistoryEvent read_event(const Stmt& s) {
    HistoryEvent e;
    e.id = s.integer(0);
    e.time = s.real(1);
    e.duration_s = s.real(2);
    e.kind = parse_kind(s.text(3));
    e.confidence = static_cast<float>(s.real(4));
    e.site = s.text(5);
    e.position_cm = s.null(6) ? NAN : static_cast<float>(s.real(6));
    e.episode = s.null(7) ? 0 : s.integer(7);
    e.source = s.text(8);
    e.episode_start = s.null(9) ? e.time : s.real(9);
    return e;
}

}  // namespace

fs::path default_db_path() {
    const char* data = std::getenv("XDG_DATA_HOME");
    const char* home = std::getenv("HOME");
    const fs::path base = data && *data   ? fs::path(data)
                          : home && *home ? fs::path(home) / ".local" / "share"
                                          : fs::temp_directory_path();
    return base / "popwatch" / "history.db";
}

struct HistoryStore::Impl {
    fs::path path;
    StoreOptions options;
    sqlite3* db = nullptr;
    mutable std::mutex mutex;
    using Pending = std::variant<HistoryEvent, Interval>;
    std::deque<Pending> queue;
    std::string problem;  // why the queue is not empty

    ~Impl() { sqlite3_close_v2(db); }

    void warn(const std::string& message) const {
        if (options.warn)
            options.warn(message);
        else
            std::fprintf(stderr, "popwatch: %s\n", message.c_str());
    }

    StoreError error(const StoreError& e) const {
        return StoreError(e.code, describe(e.code, path, db, options.busy_timeout_ms, e.what()));
    }

    // After a forget: VACUUM and empty the WAL, so the deleted bytes leave the disk (or say why
    // they could not yet).
    void shrink_after_forget() const;

    void open(Access access) {
        std::error_code ec;
        const bool exists = fs::exists(path, ec);
        if (ec)
            throw StoreError(SQLITE_CANTOPEN,
                             "cannot open the history database " + path.string() + ": " + ec.message());
        std::string target = path.string();
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
        if (access == Access::read && !exists) {
            target = ":memory:";  // an empty history; nothing is created on disk
        } else if (access == Access::write && !exists) {
            make_private_dirs(path.parent_path());
            const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
            if (fd < 0 && errno != EEXIST)
                throw StoreError(
                    errno == EROFS || errno == EACCES ? SQLITE_READONLY : SQLITE_CANTOPEN,
                    describe(errno == EROFS || errno == EACCES ? SQLITE_READONLY : SQLITE_CANTOPEN, path, nullptr, 0));
            if (fd >= 0) ::close(fd);
        }
        try {
            connect(target, flags, target != ":memory:");
        } catch (const StoreError& e) {
            // Someone else's database, or a read-only directory: SQLite cannot create the WAL
            // index (-shm) there. With no -wal file there is nothing uncommitted, so the file
            // can be read as it is (immutable).
            const int primary = e.code & 0xff;
            if (access != Access::read || (primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN) ||
                fs::exists(path.string() + "-wal", ec))
                throw;
            std::string uri = "file:";
            for (const char c : path.string()) {
                if (c == '%' || c == '?' || c == '#')
                    uri += fmt_hex(c);
                else
                    uri += c;
            }
            connect(uri + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, false);
        }
    }

    static std::string fmt_hex(char c) {
        static constexpr char digits[] = "0123456789abcdef";
        const auto u = static_cast<unsigned char>(c);
        return {'%', digits[u >> 4], digits[u & 15]};
    }

    void connect(const std::string& target, int flags, bool wal) {
        if (db) sqlite3_close_v2(db);
        db = nullptr;
        errno = 0;
        const int rc = sqlite3_open_v2(target.c_str(), &db, flags, nullptr);
        if (rc != SQLITE_OK) throw StoreError(rc, describe(rc, path, db, 0));
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, options.busy_timeout_ms);
        try {
            // WAL: readers never block the writer (listen) and the writer never blocks readers
            // (today, report). synchronous=FULL: a commit is on disk before record_event returns.
            exec(db, "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;");
            if (wal) {
                std::string mode;
                {
                    Stmt query(db, "PRAGMA journal_mode");
                    if (query.step()) mode = query.text(0);
                }
                if (mode != "wal" && !sqlite3_db_readonly(db, "main")) exec(db, "PRAGMA journal_mode = WAL");
            }
            exec(db, "PRAGMA synchronous = FULL");
            migrate();
        } catch (const StoreError& e) {
            throw error(e);
        }
    }

    int user_version() const {
        Stmt s(db, "PRAGMA user_version");
        return s.step() ? static_cast<int>(s.integer(0)) : 0;
    }

    void migrate() {
        const int version = user_version();
        if (version > schema_version)
            throw StoreError(SQLITE_ERROR, path.string() + " was written by a newer popwatch (schema " +
                                               std::to_string(version) + "; this one knows up to " +
                                               std::to_string(schema_version) + ")");
        if (version == schema_version) return;
        if (sqlite3_db_readonly(db, "main") == 1) throw StoreError(SQLITE_READONLY, "");
        exec(db, "BEGIN IMMEDIATE");
        try {
            for (int v = user_version(); v < schema_version; ++v) exec(db, migrations[v]);
            exec(db, ("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
            exec(db, "COMMIT");
        } catch (...) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }

    // --- writes (caller holds the mutex and an open transaction) ------------------------------

    RecordResult write_event(const HistoryEvent& e) {
        RecordResult result;
        result.status = WriteStatus::committed;
        {
            Stmt find(db, "SELECT id, episode FROM events WHERE source = ?1 AND t = ?2 AND kind = ?3");
            find.bind(1, e.source).bind(2, e.time).bind(3, std::string(kind_name(e.kind)));
            if (find.step()) {
                result.id = find.integer(0);
                result.episode = find.null(1) ? 0 : find.integer(1);
                result.duplicate = true;
                return result;
            }
        }
        Stmt insert(db,
                    "INSERT INTO events(t, duration_s, kind, confidence, site, position_cm, episode, source) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)");
        insert.bind(1, e.time)
            .bind(2, e.duration_s)
            .bind(3, std::string(kind_name(e.kind)))
            .bind(4, double{e.confidence})
            .bind(5, e.site.empty() ? std::string("unknown") : e.site)
            .bind_float_or_null(6, e.position_cm)
            .bind(7, e.source);
        insert.run();
        result.id = sqlite3_last_insert_rowid(db);
        if (e.kind != Kind::pop) return result;

        // Episodes across files and sessions, by absolute time: a pop closer than the gap to a pop
        // of an episode joins it; one that bridges two episodes merges them into the older id.
        // In time order (live), an episode's id is the id of its first pop and never changes.
        std::set<std::int64_t> near;
        {
            Stmt s(db, "SELECT DISTINCT episode FROM events WHERE kind = 'pop' AND id != ?1 AND t > ?2 AND t < ?3");
            s.bind(1, result.id).bind(2, e.time - options.episode_gap_s).bind(3, e.time + options.episode_gap_s);
            while (s.step())
                if (!s.null(0)) near.insert(s.integer(0));
        }
        result.episode = near.empty() ? result.id : *near.begin();
        Stmt set(db, "UPDATE events SET episode = ?1 WHERE id = ?2");
        set.bind(1, result.episode).bind(2, result.id).run();
        for (auto other : near) {
            if (other == result.episode) continue;
            Stmt merge(db, "UPDATE events SET episode = ?1 WHERE episode = ?2");
            merge.bind(1, result.episode).bind(2, other).run();
        }
        return result;
    }

    void write_interval(const Interval& i) {
        Stmt s(db,
               "INSERT INTO intervals(source, start, \"end\") VALUES (?1, ?2, ?3) "
               "ON CONFLICT(source, start) DO UPDATE SET \"end\" = MAX(\"end\", excluded.\"end\")");
        s.bind(1, i.source).bind(2, i.start).bind(3, std::max(i.start, i.end)).run();
    }

    // Runs `body` in one IMMEDIATE transaction. A failure (locked after the busy timeout, disk
    // full, read-only, I/O) rolls back and is returned, described for the user.
    template <class Body>
    std::optional<StoreError> transaction(Body&& body) {
        try {
            exec(db, "BEGIN IMMEDIATE");
        } catch (const StoreError& e) {
            return error(e);
        }
        try {
            body();
            exec(db, "COMMIT");
            return std::nullopt;
        } catch (const StoreError& e) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            return error(e);
        }
    }

    // For writes that must not be lost: remember why, warn once per distinct reason.
    bool queued_because(const std::optional<StoreError>& e) {
        if (!e) return false;
        if (e->what() != problem) warn(std::string(e->what()) + "; keeping new events in memory and retrying");
        problem = e->what();
        return true;
    }

    // Writes the queue in order; true when it is empty.
    bool flush_locked() {
        while (!queue.empty()) {
            if (queued_because(transaction([&] {
                    if (const auto* e = std::get_if<HistoryEvent>(&queue.front()))
                        write_event(*e);
                    else
                        write_interval(std::get<Interval>(queue.front()));
                })))
                return false;
            queue.pop_front();
        }
        if (!problem.empty()) {
            warn("the history database " + path.string() + " is writable again; every queued event is recorded");
            problem.clear();
        }
        return true;
    }

    void enqueue(Pending p) {
        if (queue.size() >= options.max_pending) {
            queue.pop_front();
            warn("more than " + std::to_string(options.max_pending) +
                 " writes waiting for the history database; dropping the oldest");
        }
        queue.push_back(std::move(p));
    }

    WriteStatus write_or_queue_interval(const Interval& i) {
        if (!flush_locked() || queued_because(transaction([&] { write_interval(i); }))) {
            enqueue(i);
            return WriteStatus::queued;
        }
        return WriteStatus::committed;
    }

    template <class F>
    auto read(F&& f) const {
        std::lock_guard lock(mutex);
        try {
            return f();
        } catch (const StoreError& e) {
            throw error(e);
        }
    }
};

HistoryStore::HistoryStore(const fs::path& path, Access access, StoreOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->path = path;
    impl_->options = std::move(options);
    impl_->open(access);
}

HistoryStore::~HistoryStore() {
    if (!impl_) return;
    std::lock_guard lock(impl_->mutex);
    try {
        if (!impl_->flush_locked())
            impl_->warn(std::to_string(impl_->queue.size()) + " event(s) could not be written to " +
                        impl_->path.string() + " before exit: " + impl_->problem);
    } catch (const std::exception& e) {
        impl_->warn(e.what());
    }
}

HistoryStore::HistoryStore(HistoryStore&&) noexcept = default;
HistoryStore& HistoryStore::operator=(HistoryStore&&) noexcept = default;

const fs::path& HistoryStore::path() const { return impl_->path; }

RecordResult HistoryStore::record_event(HistoryEvent event) {
    std::lock_guard lock(impl_->mutex);
    RecordResult result;
    if (impl_->flush_locked() &&
        !impl_->queued_because(impl_->transaction([&] { result = impl_->write_event(event); })))
        return result;
    impl_->enqueue(std::move(event));
    return RecordResult{};
}

std::vector<RecordResult> HistoryStore::record_events(std::vector<HistoryEvent> events) {
    std::lock_guard lock(impl_->mutex);
    std::vector<RecordResult> results(events.size());
    if (impl_->flush_locked() && !impl_->queued_because(impl_->transaction([&] {
            for (std::size_t i = 0; i < events.size(); ++i) results[i] = impl_->write_event(events[i]);
        })))
        return results;
    for (auto& e : events) impl_->enqueue(std::move(e));
    return std::vector<RecordResult>(events.size());
}

Interval HistoryStore::begin_interval(std::string source, double start) {
    Interval i{std::move(source), start, start};
    std::lock_guard lock(impl_->mutex);
    impl_->write_or_queue_interval(i);
    return i;
}

WriteStatus HistoryStore::extend_interval(Interval& interval, double end) {
    interval.end = std::max(interval.end, end);
    std::lock_guard lock(impl_->mutex);
    return impl_->write_or_queue_interval(interval);
}

WriteStatus HistoryStore::end_interval(Interval& interval, double end) { return extend_interval(interval, end); }

std::size_t HistoryStore::pending() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->queue.size();
}

bool HistoryStore::flush() {
    std::lock_guard lock(impl_->mutex);
    return impl_->flush_locked();
}

std::string HistoryStore::last_problem() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->problem;
}

std::vector<HistoryEvent> HistoryStore::events_between(double from, double to) const {
    return impl_->read([&] {
        Stmt s(impl_->db, (std::string("SELECT ") + event_columns +
                           " FROM events e WHERE e.t >= ?1 AND e.t < ?2 ORDER BY e.t, e.id")
                              .c_str());
        s.bind(1, from).bind(2, to);
        std::vector<HistoryEvent> out;
        while (s.step()) out.push_back(read_event(s));
        return out;
    });
}

std::vector<Interval> HistoryStore::intervals_between(double from, double to) const {
    return impl_->read([&] {
        Stmt s(impl_->db,
               "SELECT source, start, \"end\" FROM intervals WHERE start < ?2 AND \"end\" > ?1 ORDER BY start");
        s.bind(1, from).bind(2, to);
        std::vector<Interval> out;
        while (s.step()) out.push_back({s.text(0), s.real(1), s.real(2)});
        return out;
    });
}

double HistoryStore::monitored_s(double from, double to) const {
    auto intervals = intervals_between(from, to);
    // The union: a live session and a recording of the same hour are not two hours.
    double total = 0, covered_to = from;
    for (const auto& i : intervals) {
        const double start = std::max(i.start, covered_to), end = std::min(i.end, to);
        if (end > start) total += end - start;
        covered_to = std::max(covered_to, std::min(i.end, to));
    }
    return total;
}

std::optional<double> HistoryStore::first_time() const {
    return impl_->read([&]() -> std::optional<double> {
        Stmt s(impl_->db,
               "SELECT MIN(x) FROM (SELECT MIN(t) AS x FROM events UNION ALL SELECT MIN(start) FROM intervals)");
        if (s.step() && !s.null(0)) return s.real(0);
        return std::nullopt;
    });
}

std::optional<HistoryEvent> HistoryStore::event(std::int64_t id) const {
    return impl_->read([&]() -> std::optional<HistoryEvent> {
        Stmt s(impl_->db, (std::string("SELECT ") + event_columns + " FROM events e WHERE e.id = ?1").c_str());
        s.bind(1, id);
        if (s.step()) return read_event(s);
        return std::nullopt;
    });
}

std::optional<HistoryEvent> HistoryStore::last_event() const {
    return impl_->read([&]() -> std::optional<HistoryEvent> {
        Stmt s(impl_->db, (std::string("SELECT ") + event_columns +
                           " FROM events e WHERE e.kind IN ('pop', 'clunk') ORDER BY e.t DESC, e.id DESC LIMIT 1")
                              .c_str());
        if (s.step()) return read_event(s);
        return std::nullopt;
    });
}

int HistoryStore::tag(std::int64_t event_id, const std::string& site, bool whole_episode) {
    std::lock_guard lock(impl_->mutex);
    int changed = 0;
    const auto failed = impl_->transaction([&] {
        const char* select =
            whole_episode ? "SELECT id, site FROM events WHERE id = ?1 OR (kind = 'pop' AND episode IS NOT NULL AND "
                            "episode = (SELECT episode FROM events WHERE id = ?1))"
                          : "SELECT id, site FROM events WHERE id = ?1";
        Stmt s(impl_->db, select);
        s.bind(1, event_id);
        std::vector<std::pair<std::int64_t, std::string>> rows;
        while (s.step()) rows.emplace_back(s.integer(0), s.text(1));
        const double now = static_cast<double>(std::time(nullptr));
        for (const auto& [id, old_site] : rows) {
            if (old_site == site) continue;
            Stmt t(impl_->db, "INSERT INTO tags(event_id, old_site, new_site, t) VALUES (?1, ?2, ?3, ?4)");
            t.bind(1, id).bind(2, old_site).bind(3, site).bind(4, now).run();
            Stmt u(impl_->db, "UPDATE events SET site = ?1 WHERE id = ?2");
            u.bind(1, site).bind(2, id).run();
            ++changed;
        }
    });
    if (failed) throw *failed;
    return changed;
}

namespace {
// secure_delete zeroed the freed pages; VACUUM rebuilds the file without them, and the TRUNCATE
// checkpoint moves everything out of the WAL and cuts it to zero bytes. False when another
// process was reading (listen, today) so the WAL could not be emptied yet.
bool shrink(sqlite3* db) {
    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    exec(db, "VACUUM");
    Stmt checkpoint(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    return checkpoint.step() && checkpoint.integer(0) == 0;  // (busy, log frames, checkpointed)
}

}  // namespace

void HistoryStore::Impl::shrink_after_forget() const {
    try {
        if (!shrink(db))
            warn("another process is reading " + path.string() +
                 ": the deleted rows are gone, but their bytes stay in its -wal file until that process stops "
                 "(then run forget again)");
    } catch (const StoreError& e) {
        throw error(e);
    }
}

int HistoryStore::forget(double from, double to) {
    std::lock_guard lock(impl_->mutex);
    int deleted = 0;
    sqlite3* db = impl_->db;
    const auto failed = impl_->transaction([&] {
        Stmt d(db, "DELETE FROM events WHERE t >= ?1 AND t < ?2");  // tags go with them (ON DELETE CASCADE)
        d.bind(1, from).bind(2, to).run();
        deleted = sqlite3_changes(db);
        Stmt n(db, "DELETE FROM notices WHERE t >= ?1 AND t < ?2");
        n.bind(1, from).bind(2, to).run();
        // Monitored time: drop what lies inside, clip what straddles, split what spans.
        std::vector<Interval> spanning;
        {
            Stmt s(db, "SELECT source, start, \"end\" FROM intervals WHERE start < ?1 AND \"end\" > ?2");
            s.bind(1, from).bind(2, to);
            while (s.step()) spanning.push_back({s.text(0), s.real(1), s.real(2)});
        }
        Stmt inside(db, "DELETE FROM intervals WHERE start >= ?1 AND \"end\" <= ?2");
        inside.bind(1, from).bind(2, to).run();
        Stmt head(db, "UPDATE intervals SET start = ?2 WHERE start >= ?1 AND start < ?2");
        head.bind(1, from).bind(2, to).run();
        Stmt tail(db, "UPDATE intervals SET \"end\" = ?1 WHERE \"end\" > ?1 AND start < ?1");
        tail.bind(1, from).run();
        for (const auto& i : spanning) impl_->write_interval({i.source, to, i.end});
    });
    if (failed) throw *failed;
    impl_->shrink_after_forget();
    return deleted;
}

void HistoryStore::forget_all() {
    std::lock_guard lock(impl_->mutex);
    sqlite3* db = impl_->db;
    const auto failed = impl_->transaction(
        [&] { exec(db, "DELETE FROM tags; DELETE FROM events; DELETE FROM intervals; DELETE FROM notices;"); });
    if (failed) throw *failed;
    impl_->queue.clear();
    impl_->shrink_after_forget();
}

void HistoryStore::record_notice(double time, const std::string& key, const std::string& message, bool delivered) {
    std::lock_guard lock(impl_->mutex);
    // Best effort: a notice that cannot be written only shortens a cooldown after a restart.
    (void)impl_->transaction([&] {
        Stmt s(impl_->db, "INSERT INTO notices(t, key, message, delivered) VALUES (?1, ?2, ?3, ?4)");
        s.bind(1, time).bind(2, key).bind(3, message).bind(4, delivered ? 1 : 0).run();
    });
}

std::map<std::string, double> HistoryStore::last_delivered(double since) const {
    return impl_->read([&] {
        Stmt s(impl_->db, "SELECT key, MAX(t) FROM notices WHERE delivered = 1 AND t >= ?1 GROUP BY key");
        s.bind(1, since);
        std::map<std::string, double> out;
        while (s.step()) out[s.text(0)] = s.real(1);
        return out;
    });
}

}  // namespace popwatch::habits

#include "habits/store.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "habits_support.hpp"

using namespace popwatch;
using namespace popwatch::habits;
namespace fs = std::filesystem;

namespace {

HistoryEvent make(double t, Kind kind = Kind::pop, const std::string& site = "unknown",
                  const std::string& source = "live") {
    HistoryEvent e;
    e.time = t;
    e.kind = kind;
    e.site = site;
    e.source = source;
    e.confidence = 0.875f;
    e.duration_s = 0.006;
    return e;
}

std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A raw connection, as another process would have.
struct Raw {
    sqlite3* db = nullptr;
    explicit Raw(const fs::path& p) { REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK); }
    ~Raw() { sqlite3_close(db); }
    int exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }
    long long scalar(const char* sql) {
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
        const long long v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
        sqlite3_finalize(s);
        return v;
    }
};

}  // namespace

TEST_CASE("events, intervals and tags round-trip through the store", "[habits][store]") {
    const auto dir = test::scratch("roundtrip");
    const auto path = dir / "sub" / "history.db";
    {
        HistoryStore store(path, Access::write, test::quiet_options());
        auto e = make(1790000000.25, Kind::pop, "upper-back");
        e.position_cm = 12.5f;
        const auto r = store.record_event(e);
        CHECK(r.status == WriteStatus::committed);
        CHECK(r.id > 0);
        CHECK(r.episode == r.id);
        store.record_event(make(1790000100, Kind::clunk, "neck", "/rec/a.wav"));
        auto live = store.begin_interval("live", 1790000000);
        store.extend_interval(live, 1790000500);
        store.end_interval(live, 1790003600);
    }
    // The file is private: 0600 in a 0700 directory we created.
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(path.parent_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);

    HistoryStore store(path, Access::read, test::quiet_options());
    const auto events = store.events_between(0, 2e9);
    REQUIRE(events.size() == 2);
    CHECK(events[0].time == 1790000000.25);
    CHECK(events[0].kind == Kind::pop);
    CHECK(events[0].site == "upper-back");
    CHECK(events[0].position_cm == 12.5f);
    CHECK(events[0].confidence == 0.875f);
    CHECK(events[0].source == "live");
    CHECK(events[1].kind == Kind::clunk);
    CHECK(events[1].episode == 0);
    CHECK(events[1].source == "/rec/a.wav");
    CHECK(std::isnan(events[1].position_cm));
    CHECK(store.monitored_s(0, 2e9) == 3600);
    CHECK(store.monitored_s(1790000000 + 600, 1790000000 + 1200) == 600);
    CHECK(store.last_event()->kind == Kind::clunk);
    CHECK(*store.first_time() == 1790000000);

    HistoryStore writer(path, Access::write, test::quiet_options());
    CHECK(writer.tag(events[0].id, "mid-back", false) == 1);
    CHECK(writer.event(events[0].id)->site == "mid-back");
    Raw raw(path);
    CHECK(raw.scalar("SELECT COUNT(*) FROM tags WHERE old_site = 'upper-back' AND new_site = 'mid-back'") == 1);
}

TEST_CASE("reading a missing database creates nothing", "[habits][store]") {
    const auto dir = test::scratch("missing");
    HistoryStore store(dir / "none" / "history.db", Access::read, test::quiet_options());
    CHECK(store.events_between(0, 2e9).empty());
    CHECK_FALSE(fs::exists(dir / "none"));
}

TEST_CASE("episodes are grouped by absolute time across files and sessions", "[habits][store]") {
    const auto dir = test::scratch("episodes");
    HistoryStore store(dir / "h.db", Access::write, test::quiet_options());
    const double t = 1790000000;
    const auto a = store.record_event(make(t, Kind::pop, "neck", "/rec/morning.wav"));
    const auto b = store.record_event(make(t + 1.5, Kind::pop, "neck", "live"));  // another source, 1.5 s later
    const auto c = store.record_event(make(t + 10, Kind::pop, "neck", "live"));   // a new episode
    CHECK(b.episode == a.episode);
    CHECK(c.episode == c.id);
    CHECK(c.episode != a.episode);
    // Recorded later, a pop between them bridges both into the older episode.
    const auto bridge1 = store.record_event(make(t + 3, Kind::pop, "neck", "/rec/other.wav"));
    const auto bridge2 = store.record_event(make(t + 4.9, Kind::pop, "neck", "/rec/other.wav"));
    const auto bridge3 = store.record_event(make(t + 6.8, Kind::pop, "neck", "/rec/other.wav"));
    const auto bridge4 = store.record_event(make(t + 8.5, Kind::pop, "neck", "/rec/other.wav"));
    CHECK(bridge1.episode == a.episode);
    CHECK(bridge4.episode == a.episode);
    for (const auto& e : store.events_between(0, 2e9)) {
        CHECK(e.episode == a.episode);
        CHECK(e.episode_start == t);
    }
    // Recording the same file again adds nothing.
    const auto again = store.record_event(make(t, Kind::pop, "neck", "/rec/morning.wav"));
    CHECK(again.duplicate);
    CHECK(again.id == a.id);
    CHECK(store.events_between(0, 2e9).size() == 7);
    (void)bridge2, (void)bridge3;
}

TEST_CASE("a version 1 database is migrated with its data", "[habits][store]") {
    const auto dir = test::scratch("migrate");
    const auto path = dir / "old.db";
    {
        // The version 1 schema, as a popwatch of that version wrote it.
        Raw old(path);
        REQUIRE(old.exec(R"sql(
            CREATE TABLE events(id INTEGER PRIMARY KEY, t REAL NOT NULL, duration_s REAL NOT NULL DEFAULT 0,
              kind TEXT NOT NULL CHECK (kind IN ('pop', 'clunk', 'other')), confidence REAL NOT NULL,
              site TEXT NOT NULL DEFAULT 'unknown', position_cm REAL, episode INTEGER, source TEXT NOT NULL,
              UNIQUE (source, t, kind));
            CREATE INDEX events_by_time ON events(t);
            CREATE INDEX events_by_episode ON events(episode);
            CREATE TABLE intervals(id INTEGER PRIMARY KEY, source TEXT NOT NULL, start REAL NOT NULL,
              "end" REAL NOT NULL, UNIQUE (source, start));
            CREATE INDEX intervals_by_start ON intervals(start);
            CREATE TABLE tags(id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
              old_site TEXT NOT NULL, new_site TEXT NOT NULL, t REAL NOT NULL);
            INSERT INTO events VALUES (1, 1790000000, 0.005, 'pop', 0.9, 'neck', NULL, 1, 'live');
            INSERT INTO events VALUES (2, 1790000001, 0.005, 'pop', 0.9, 'neck', NULL, 1, 'live');
            INSERT INTO intervals VALUES (1, 'live', 1789999000, 1790001000);
            PRAGMA user_version = 1;
        )sql") == SQLITE_OK);
    }
    {
        HistoryStore store(path, Access::write, test::quiet_options());
        const auto events = store.events_between(0, 2e9);
        REQUIRE(events.size() == 2);
        CHECK(events[1].episode == 1);
        CHECK(store.monitored_s(0, 2e9) == 2000);
        // The v2 table works: notices remember deliveries.
        store.record_notice(1790000002, "daily_limit", "3 episodes", true);
        CHECK(store.last_delivered(0).at("daily_limit") == 1790000002);
        // New pops join the old episodes.
        CHECK(store.record_event(make(1790000002.5)).episode == 1);
    }
    Raw raw(path);
    CHECK(raw.scalar("PRAGMA user_version") == HistoryStore::schema_version);
}

TEST_CASE("an empty version 0 file is given the whole schema, a newer one is refused", "[habits][store]") {
    const auto dir = test::scratch("v0");
    { std::ofstream touch(dir / "empty.db"); }
    {
        HistoryStore store(dir / "empty.db", Access::write, test::quiet_options());
        CHECK(store.record_event(make(1790000000)).status == WriteStatus::committed);
    }
    {
        Raw raw(dir / "empty.db");
        CHECK(raw.scalar("PRAGMA user_version") == 2);
        raw.exec("PRAGMA user_version = 99");
    }
    try {
        HistoryStore store(dir / "empty.db", Access::write, test::quiet_options());
        FAIL("a newer schema must be refused");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()).find("newer popwatch") != std::string::npos);
    }
    {
        std::ofstream junk(dir / "junk.db");
        junk << std::string(4096, 'x');
    }
    CHECK_THROWS_WITH(HistoryStore(dir / "junk.db", Access::write, test::quiet_options()),
                      Catch::Contains("not a popwatch history database"));
}

TEST_CASE("every event reported as committed survives a SIGKILL mid-stream", "[habits][store]") {
    const auto dir = test::scratch("crash");
    const auto path = dir / "h.db";
    { HistoryStore create(path, Access::write, test::quiet_options()); }
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(fds[0]);
        HistoryStore store(path, Access::write, test::quiet_options());
        auto interval = store.begin_interval("live", 1790000000);
        for (int i = 0;; ++i) {
            const auto r = store.record_event(make(1790000000 + i * 0.7, i % 5 ? Kind::pop : Kind::clunk));
            if (r.status == WriteStatus::committed) {
                const std::int64_t id = r.id;
                if (::write(fds[1], &id, sizeof id) != sizeof id) ::_exit(1);
            }
            if (i % 10 == 0) store.extend_interval(interval, 1790000000 + i * 0.7);
        }
    }
    ::close(fds[1]);
    std::vector<std::int64_t> reported;
    std::int64_t id = 0;
    while (reported.size() < 150 && ::read(fds[0], &id, sizeof id) == sizeof id) reported.push_back(id);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    while (::read(fds[0], &id, sizeof id) == sizeof id) reported.push_back(id);  // in the pipe before the kill
    ::close(fds[0]);
    CHECK(WIFSIGNALED(status));
    REQUIRE(reported.size() >= 150);

    HistoryStore store(path, Access::write, test::quiet_options());
    std::set<std::int64_t> present;
    for (const auto& e : store.events_between(0, 2e9)) present.insert(e.id);
    std::size_t missing = 0;
    for (auto r : reported) missing += present.count(r) == 0;
    CHECK(missing == 0);
    CHECK(present.size() >= reported.size());
    CHECK(store.monitored_s(0, 2e9) > 0);
}

TEST_CASE("a locked database queues events in memory, warns, and writes them later", "[habits][store]") {
    const auto dir = test::scratch("locked");
    const auto path = dir / "h.db";
    std::vector<std::string> warnings;
    HistoryStore store(path, Access::write, test::quiet_options(&warnings, 50));
    CHECK(store.record_event(make(1790000000)).status == WriteStatus::committed);

    Raw other(path);
    REQUIRE(other.exec("BEGIN EXCLUSIVE") == SQLITE_OK);
    const auto queued = store.record_event(make(1790000001));
    CHECK(queued.status == WriteStatus::queued);
    CHECK(store.record_event(make(1790000002, Kind::clunk)).status == WriteStatus::queued);
    auto interval = store.begin_interval("live", 1790000000);
    CHECK(store.extend_interval(interval, 1790000060) == WriteStatus::queued);
    CHECK(store.pending() == 4);
    CHECK_FALSE(store.flush());
    REQUIRE(warnings.size() == 1);  // once, not per event
    CHECK(warnings[0].find("locked by another process") != std::string::npos);
    CHECK(warnings[0].find(path.string()) != std::string::npos);
    // Readers are not blocked meanwhile (WAL).
    CHECK(store.events_between(0, 2e9).size() == 1);

    REQUIRE(other.exec("COMMIT") == SQLITE_OK);
    const auto later = store.record_event(make(1790000003));  // flushes the queue first, in order
    CHECK(later.status == WriteStatus::committed);
    CHECK(store.pending() == 0);
    const auto events = store.events_between(0, 2e9);
    REQUIRE(events.size() == 4);
    CHECK(events[1].time == 1790000001);
    CHECK(events[1].episode == events[0].episode);  // episodes assigned when written
    CHECK(events[3].id > events[2].id);
    CHECK(store.monitored_s(0, 2e9) == 60);
    CHECK(warnings.back().find("writable again") != std::string::npos);
}

TEST_CASE("a full disk queues events and says so, without crashing", "[habits][store]") {
    const auto dir = test::scratch("full");
    const auto path = dir / "h.db";
    { HistoryStore create(path, Access::write, test::quiet_options()); }
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No file of this process may grow past 256 KiB: the WAL soon cannot.
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{256 * 1024, 256 * 1024};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        std::vector<std::string> warnings;
        HistoryStore store(path, Access::write, test::quiet_options(&warnings));
        int committed = 0;
        for (int i = 0; i < 5000 && store.pending() == 0; ++i) {
            auto e = make(1790000000 + i, Kind::pop, std::string(200, 'a' + i % 26));
            committed += store.record_event(e).status == WriteStatus::committed;
        }
        const std::string report = std::to_string(committed) + "\n" + std::to_string(store.pending()) + "\n" +
                                   (warnings.empty() ? std::string("none") : warnings.front());
        if (::write(fds[1], report.data(), report.size()) < 0) ::_exit(2);
        ::_exit(0);  // (the destructor would only warn again)
    }
    ::close(fds[1]);
    std::string report;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::istringstream in(report);
    int committed = 0, pending = 0;
    std::string warning;
    in >> committed >> pending;
    std::getline(in >> std::ws, warning);
    CHECK(committed > 5);
    CHECK(pending == 1);
    CHECK((warning.find("is full") != std::string::npos || warning.find("I/O error") != std::string::npos));
    CHECK(warning.find(path.string()) != std::string::npos);
    // What was committed is there.
    HistoryStore store(path, Access::read, test::quiet_options());
    CHECK(static_cast<int>(store.events_between(0, 2e9).size()) == committed);
}

TEST_CASE("forget deletes the rows and the bytes", "[habits][store]") {
    test::TimeZone tz("Europe/Berlin");
    const auto dir = test::scratch("forget");
    const auto path = dir / "h.db";
    HistoryStore store(path, Access::write, test::quiet_options());
    const LocalDate day{2026, 11, 20};
    const double midnight = local_midnight(day);
    for (int i = 0; i < 20; ++i) {
        store.record_event(
            make(midnight + 3600 + i * 60, Kind::pop, "secret-site-of-the-20th", "/rec/private-20th.wav"));
        store.record_event(make(midnight + 86400 + 3600 + i * 60, Kind::pop, "kept-site-of-the-21st", "live"));
    }
    auto interval = store.begin_interval("live", midnight - 3600);
    store.end_interval(interval, midnight + 86400 + 7200);  // 23:00 on the 19th to 02:00 on the 21st
    CHECK((bytes_of(path) + bytes_of(path.string() + "-wal")).find("secret-site-of-the-20th") != std::string::npos);

    CHECK(store.forget(midnight, local_day_end(day)) == 20);
    CHECK(store.events_between(midnight, local_day_end(day)).empty());
    CHECK(store.events_between(0, 2e9).size() == 20);
    CHECK(store.monitored_s(midnight, local_day_end(day)) == 0);
    CHECK(store.monitored_s(0, 2e9) == 3600 + 7200);  // the parts outside the day stay
    for (const auto& file : {path.string(), path.string() + "-wal"}) {
        const std::string bytes = bytes_of(file);
        CHECK(bytes.find("secret-site-of-the-20th") == std::string::npos);
        CHECK(bytes.find("private-20th") == std::string::npos);
    }
    CHECK(bytes_of(path).find("kept-site-of-the-21st") != std::string::npos);

    store.forget_all();
    CHECK(store.events_between(0, 2e9).empty());
    CHECK(store.monitored_s(0, 2e9) == 0);
    for (const auto& file : {path.string(), path.string() + "-wal"})
        CHECK(bytes_of(file).find("kept-site-of-the-21st") == std::string::npos);
}

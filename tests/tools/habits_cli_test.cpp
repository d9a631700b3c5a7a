// The history commands end to end: analyze --record, today, history, tag, export, forget,
// config, and what they do when the database is locked or read-only.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../dsp/test_signals.hpp"
#include "../habits/habits_support.hpp"
#include "cli_support.hpp"
#include "habits/local_time.hpp"
#include "tools/habits_support.hpp"

using namespace popwatch;
namespace fs = std::filesystem;

namespace {

// Points XDG_DATA_HOME / XDG_CONFIG_HOME into a scratch directory, sets TZ and hides any desktop
// session, for the commands this test runs.
struct Home {
    fs::path dir;
    test::TimeZone tz{"Europe/Berlin"};
    explicit Home(const std::string& name) : dir(test::scratch_dir(name)) {
        ::setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (dir / "config").c_str(), 1);
        for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"}) ::unsetenv(v);
    }
    ~Home() {
        ::unsetenv("XDG_DATA_HOME");
        ::unsetenv("XDG_CONFIG_HOME");
    }
    fs::path db() const { return dir / "data" / "popwatch" / "history.db"; }
    void config(const std::string& toml) const {
        fs::create_directories(dir / "config" / "popwatch");
        std::ofstream(dir / "config" / "popwatch" / "config.toml") << toml;
    }
    test::Run run(const std::string& args) const { return test::popwatch(args, dir); }
};

// Three pops (two in one episode) and one clunk over 4 s: 0.5, 1.1 | 2.4 clunk | 3.6.
fs::path recording(const fs::path& dir, const std::string& name = "rec.wav") {
    const double rate = 16000;
    auto x = test::noise(4, rate, 0.001f);
    test::add_pop(x, rate, 0.5);
    test::add_pop(x, rate, 1.1);
    test::add_pop(x, rate, 3.6);
    test::add_clunk(x, rate, 2.4);
    const auto path = dir / name;
    test::write_wav(path, x, static_cast<int>(rate));
    return path;
}

std::string today_iso() { return habits::local_date(habits::now_s()).iso(); }

}  // namespace

TEST_CASE("analyze --record puts a recording's events into the history at absolute times", "[cli][habits]") {
    Home home("record");
    const auto wav = recording(home.dir);
    for (const char* start : {"2026-11-20T09:00:00", "2026-11-20T11:00:00", "2026-11-20T15:00:00+01:00"}) {
        const auto r = home.run("analyze --format csv --record --start " + std::string(start) + " " + wav.string());
        REQUIRE(r.code == 0);
        CHECK(r.err.find("recorded 4 events") != std::string::npos);
    }
    const auto again = home.run("analyze --format csv --record --start 2026-11-20T09:00:00 " + wav.string());
    CHECK(again.code == 0);
    CHECK(again.err.find("recorded 0 events (4 already there)") != std::string::npos);
    CHECK(fs::exists(home.db()));
    CHECK((fs::status(home.db()).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));

    const auto r = home.run("today --date 2026-11-20 --json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    for (const char* key : {"date", "episodes", "pops", "clunks", "limit", "over_limit", "by_site", "by_hour",
                            "monitored_s", "warnings", "streak", "trend", "advice"})
        CHECK(j.contains(key));
    CHECK(j["date"] == "2026-11-20");
    CHECK(j["episodes"] == 6);
    CHECK(j["pops"] == 9);
    CHECK(j["clunks"] == 3);
    CHECK(j["limit"] == 2);
    CHECK(j["over_limit"] == true);
    CHECK(j["by_site"]["unknown"]["episodes"] == 6);
    CHECK(j["by_hour"][9] == 2);
    CHECK(j["by_hour"][11] == 2);
    CHECK(j["by_hour"][15] == 2);
    CHECK(j["monitored_s"].get<double>() == Approx(12).margin(0.1));
    std::vector<std::string> rules;
    for (const auto& w : j["warnings"]) rules.push_back(w["rule"]);
    // The limit is crossed by the 3rd episode (11:00:00.5) and again at the 6th; the clunks are hours apart.
    CHECK(rules == std::vector<std::string>{"clunk", "daily_limit", "clunk", "clunk", "daily_limit"});
    CHECK(j["warnings"][1]["time"] == "2026-11-20T11:00:00.500+01:00");
    CHECK(j["warnings"][1]["count"] == 3);
    CHECK(j["warnings"][4]["count"] == 6);

    const auto text = home.run("today --date 2026-11-20");
    REQUIRE(text.code == 0);
    CHECK(text.out.find("Friday 2026-11-20: 6 episodes (9 pops), 3 clunks. Limit 2: over the limit.") !=
          std::string::npos);
    CHECK(text.out.find("warning 11:00: 3 episodes of cracking today, over your limit of 2") != std::string::npos);
    CHECK(text.out.find("not medical advice") != std::string::npos);
    CHECK(home.run("today --date 2026-11-19 --json").out.find("\"episodes\": 0") != std::string::npos);
}

TEST_CASE("analyze --record defaults to the file's modification time minus its duration", "[cli][habits]") {
    Home home("mtime");
    const auto wav = recording(home.dir);
    const double end = *habits::parse_iso8601("2026-11-18T14:00:04");
    utimbuf times{static_cast<time_t>(end), static_cast<time_t>(end)};
    REQUIRE(::utime(wav.c_str(), &times) == 0);
    REQUIRE(home.run("analyze --format csv --record " + wav.string()).code == 0);
    const auto j = nlohmann::json::parse(home.run("today --date 2026-11-18 --json").out);
    CHECK(j["episodes"] == 2);
    CHECK(j["by_hour"][14] == 2);
    const auto csv = home.run("export --csv");
    CHECK(csv.out.find(",2026-11-18T14:00:00.500+01:00,") != std::string::npos);
    CHECK(home.run("analyze --record --start yesterday " + wav.string()).code == 2);
}

TEST_CASE("history, export and tag", "[cli][habits]") {
    Home home("history");
    const auto wav = recording(home.dir);
    const std::string today = today_iso();
    REQUIRE(home.run("analyze --format csv --record --start " + today + "T08:00:00 " + wav.string()).code == 0);
    REQUIRE(home.run("analyze --format csv --record --start " + today + "T08:30:00 " + wav.string()).code == 0);

    const auto csv = home.run("history --days 5 --csv");
    REQUIRE(csv.code == 0);
    const auto rows = test::lines(csv.out);
    REQUIRE(rows.size() == 6);
    CHECK(rows[0] == "date,episodes,pops,clunks,limit,over_limit,monitored_s,warnings");
    CHECK(rows[5].rfind(today + ",4,6,2,2,true,8.0,", 0) == 0);
    CHECK(rows[1].find(",0,0,0,2,false,0.0,0") != std::string::npos);
    const auto json = nlohmann::json::parse(home.run("history --days 3 --json").out);
    REQUIRE(json.size() == 3);
    CHECK(json[2]["date"] == today);
    CHECK(json[2]["episodes"] == 4);
    const auto table = home.run("history --days 2");
    CHECK(table.out.find("! 4") != std::string::npos);

    // --last: the latest act of cracking, here the lone pop at 08:30:03.6 (its own episode).
    auto r = home.run("tag --last upper-back");
    REQUIRE(r.code == 0);
    const auto exported = nlohmann::json::parse(home.run("export --json").out);
    const auto& events = exported["events"];
    REQUIRE(events.size() == 8);
    CHECK(events[7]["site"] == "upper-back");
    CHECK(events[6]["site"] == "unknown");  // the clunk before it
    for (const char* key : {"id", "time", "unix_s", "kind", "confidence", "site", "position_cm", "episode", "source"})
        CHECK(events[0].contains(key));
    CHECK(events[0]["source"] == fs::absolute(wav).string());
    CHECK(exported["intervals"].size() == 2);
    // By id: the first pop of the morning.
    const auto first_id = events[0]["id"].get<long long>();
    r = home.run("tag --id " + std::to_string(first_id) + " neck");
    REQUIRE(r.code == 0);
    CHECK(r.out.find(": unknown -> neck") != std::string::npos);
    const auto after = nlohmann::json::parse(home.run("today --json").out);
    CHECK(after["by_site"]["neck"]["pops"] == 1);
    CHECK(after["by_site"]["neck"]["episodes"] == 1);
    CHECK(after["by_site"]["upper-back"]["pops"] == 1);
    CHECK(home.run("tag --id 999 neck").code == 2);
    CHECK(home.run("tag neck").code == 2);

    const auto csv_export = test::lines(home.run("export --csv").out);
    REQUIRE(csv_export.size() == 9);
    CHECK(csv_export[0] == "id,time,unix_s,kind,confidence,site,position_cm,episode,source,duration_s");
    CHECK(home.run("export").code == 2);
}

TEST_CASE("forget deletes a day or everything, from the file too", "[cli][habits]") {
    Home home("forget");
    const auto wav = recording(home.dir, "very-private-recording.wav");
    REQUIRE(home.run("analyze --format csv --record --start 2026-11-20T09:00:00 " + wav.string()).code == 0);
    REQUIRE(home.run("analyze --format csv --record --start 2026-11-21T09:00:00 " + wav.string()).code == 0);
    auto r = home.run("forget --day 2026-11-20");
    REQUIRE(r.code == 0);
    CHECK(r.out.find("forgot 4 events") != std::string::npos);
    CHECK(nlohmann::json::parse(home.run("today --date 2026-11-20 --json").out)["pops"] == 0);
    CHECK(nlohmann::json::parse(home.run("today --date 2026-11-21 --json").out)["pops"] == 3);
    REQUIRE(home.run("forget --all").code == 0);
    CHECK(nlohmann::json::parse(home.run("export --json").out)["events"].empty());
    for (const auto& file : {home.db().string(), home.db().string() + "-wal"})
        CHECK(test::slurp(file).find("very-private-recording") == std::string::npos);
    CHECK(home.run("forget").code == 2);
    CHECK(home.run("forget --day 2026-02-30").code == 2);
}

TEST_CASE("popwatch config prints the effective configuration and reports bad files precisely", "[cli][habits]") {
    Home home("config");
    auto r = home.run("config");
    REQUIRE(r.code == 0);
    CHECK(r.out.find("# config file:      " + (home.dir / "config" / "popwatch" / "config.toml").string() +
                     "  (not found") != std::string::npos);
    CHECK(r.out.find("# history database: " + home.db().string()) != std::string::npos);
    CHECK(r.out.find("daily_limit = 2 ") != std::string::npos);
    CHECK(r.out.find("episode_gap_s = 2 ") != std::string::npos);

    home.config("[guidance]\ndaily_limit = 1\n[detector]\nepisode_gap_s = 0.5\n");
    r = home.run("config --db /tmp/elsewhere.db");
    REQUIRE(r.code == 0);
    CHECK(r.out.find("daily_limit = 1 ") != std::string::npos);
    CHECK(r.out.find("episode_gap_s = 0.5 ") != std::string::npos);
    CHECK(r.out.find("# history database: /tmp/elsewhere.db") != std::string::npos);
    CHECK(r.out.find("db = \"/tmp/elsewhere.db\"") != std::string::npos);
    // The printed configuration is a valid config file.
    std::ofstream(home.dir / "printed.toml") << r.out;
    CHECK(home.run("config --config " + (home.dir / "printed.toml").string()).code == 0);

    // The config's limit and episode gap are used by today and analyze.
    const auto wav = recording(home.dir);
    REQUIRE(home.run("analyze --format csv --record --start 2026-11-20T09:00:00 " + wav.string()).code == 0);
    const auto j = nlohmann::json::parse(home.run("today --date 2026-11-20 --json").out);
    CHECK(j["limit"] == 1);
    CHECK(j["episodes"] == 3);  // 0.5 and 1.1 are 0.6 s apart: two episodes with a 0.5 s gap
    CHECK(j["over_limit"] == true);

    home.config("[guidance]\ndaily_limit = 1\n\n[notify]\nquiet_hour = \"22:00-07:00\"\n");
    for (const std::string& command :
         {std::string("config"), std::string("today"), "analyze --format csv " + wav.string()}) {
        r = home.run(command);
        CHECK(r.code == 2);
        CHECK(r.err.find("config.toml:5: unknown key notify.quiet_hour") != std::string::npos);
    }
}

TEST_CASE("a locked database: readers go on, writers wait, then fail clearly", "[cli][habits]") {
    Home home("locked");
    home.config("[history]\nbusy_timeout_ms = 200\n");
    const auto wav = recording(home.dir);
    REQUIRE(home.run("analyze --format csv --record --start 2026-11-20T09:00:00 " + wav.string()).code == 0);
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(home.db().c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);

    auto r = home.run("today --date 2026-11-20 --json");
    CHECK(r.code == 0);
    CHECK(nlohmann::json::parse(r.out)["pops"] == 3);
    r = home.run("tag --last neck");
    CHECK(r.code == 4);
    CHECK(r.err.find("locked by another process") != std::string::npos);
    r = home.run("analyze --format csv --record --start 2026-11-21T09:00:00 " + wav.string());
    CHECK(r.code == 4);
    CHECK(r.err.find("could not be recorded") != std::string::npos);
    CHECK(r.err.find("locked") != std::string::npos);
    CHECK(test::lines(r.out).size() == 5);  // the analysis itself was still printed

    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    CHECK(home.run("tag --last neck").code == 0);
}

TEST_CASE("a read-only database can be read but not written, with a clear message", "[cli][habits]") {
    Home home("readonly");
    const auto wav = recording(home.dir);
    REQUIRE(home.run("analyze --format csv --record --start 2026-11-20T09:00:00 " + wav.string()).code == 0);
    const auto data = home.db().parent_path();
    fs::permissions(home.db(), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(data, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(data.parent_path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                            fs::perms::others_read | fs::perms::others_exec);
    // root ignores file modes: run the command as nobody then.
    const std::string as = ::geteuid() == 0 ? "--db " + home.db().string() + " " : "";
    const auto run = [&](const std::string& args) {
        if (::geteuid() != 0) return home.run(args);
        const std::string cmd =
            "setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_CONFIG_HOME=" + (home.dir / "config").string() +
            " " + POPWATCH_BINARY + " " + args + " >" + (home.dir / "ro-out.txt").string() + " 2>" +
            (home.dir / "ro-err.txt").string();
        const int status = std::system(cmd.c_str());
        test::Run r;
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = test::slurp(home.dir / "ro-out.txt");
        r.err = test::slurp(home.dir / "ro-err.txt");
        return r;
    };
    auto r = run("today --date 2026-11-20 --json " + as);
    CHECK(r.code == 0);
    if (r.code == 0) CHECK(nlohmann::json::parse(r.out)["pops"] == 3);
    r = run("tag --last neck " + as);
    CHECK(r.code == 4);
    CHECK(r.err.find("read-only") != std::string::npos);
    r = run("analyze --format csv --record --start 2026-11-21T09:00:00 " + as + wav.string());
    CHECK(r.code == 4);
    CHECK(r.err.find("read-only") != std::string::npos);
    fs::permissions(data, fs::perms::owner_all);
    fs::permissions(home.db(), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_CASE("the command line (--notify-command, --no-desktop, --db) overrides the config file", "[cli][habits]") {
    Home home("overrides");
    home.config("[notify]\ncommand = \"from-file\"\ndesktop = true\n[history]\ndb = \"/from/file.db\"\n");
    HabitsOptions o;
    CHECK(load_config(o).notify.command == "from-file");
    CHECK(load_config(o).db_path() == "/from/file.db");
    o.notify_command = "notify-me \"$1\"";
    o.no_desktop = true;
    o.db = (home.dir / "cli.db").string();
    const auto c = load_config(o);
    CHECK(c.notify.command == "notify-me \"$1\"");
    CHECK_FALSE(c.notify.desktop);
    CHECK(db_path(o, c) == home.dir / "cli.db");
}

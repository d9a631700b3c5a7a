#include "habits/notify.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "habits/monitor.hpp"
#include "habits_support.hpp"

using namespace popwatch;
using namespace popwatch::habits;
using test::at;

namespace {

Warning warning(Rule rule = Rule::daily_limit, const std::string& site = "unknown") {
    Warning w;
    w.rule = rule;
    w.site = site;
    w.title = "3 episodes of cracking today, over your limit of 2";
    w.message = "Stand up and move. Information, not medical advice.";
    w.count = 3;
    return w;
}

std::vector<std::string> file_lines(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("time ranges wrap past midnight", "[habits][notify]") {
    const auto quiet = *TimeRange::parse("22:00-07:00");
    CHECK(quiet.contains(23 * 60));
    CHECK(quiet.contains(0));
    CHECK(quiet.contains(6 * 60 + 59));
    CHECK_FALSE(quiet.contains(7 * 60));
    CHECK_FALSE(quiet.contains(12 * 60));
    CHECK(quiet.str() == "22:00-07:00");
    const auto work = *TimeRange::parse("09:00-17:30");
    CHECK(work.contains(9 * 60));
    CHECK_FALSE(work.contains(17 * 60 + 30));
    CHECK_FALSE(TimeRange::parse("9-17"));
    CHECK_FALSE(TimeRange::parse("25:00-07:00"));
    CHECK_FALSE(TimeRange::parse("22:00-07:00x"));
}

TEST_CASE("quiet hours, working hours and the cooldown decide what is delivered", "[habits][notify]") {
    test::TimeZone tz("Europe/Berlin");
    NotifyConfig c;  // quiet 22:00-07:00, cooldown 30 min
    const std::map<std::string, double> none;
    CHECK(decide(warning(), at("2026-11-20T12:00"), c, none) == Disposition::deliver);
    CHECK(decide(warning(), at("2026-11-20T23:15"), c, none) == Disposition::quiet_hours);
    CHECK(decide(warning(), at("2026-11-21T06:30"), c, none) == Disposition::quiet_hours);

    const std::map<std::string, double> recent{{"daily_limit", at("2026-11-20T11:40")}};
    CHECK(decide(warning(), at("2026-11-20T12:00"), c, recent) == Disposition::cooldown);
    CHECK(decide(warning(), at("2026-11-20T12:10"), c, recent) == Disposition::deliver);
    CHECK(decide(warning(Rule::clunk), at("2026-11-20T12:00"), c, recent) == Disposition::deliver);  // per rule
    const std::map<std::string, double> neck{{"same_site:neck", at("2026-11-20T11:50")}};
    CHECK(decide(warning(Rule::same_site, "neck"), at("2026-11-20T12:00"), c, neck) == Disposition::cooldown);
    CHECK(decide(warning(Rule::same_site, "knuckles"), at("2026-11-20T12:00"), c, neck) == Disposition::deliver);

    c.working_hours = TimeRange::parse("09:00-17:00");
    c.working_days = {true, true, true, true, true, false, false};
    CHECK(decide(warning(), at("2026-11-20T16:59"), c, none) == Disposition::deliver);                // Friday
    CHECK(decide(warning(), at("2026-11-20T17:00"), c, none) == Disposition::outside_working_hours);  // after work
    CHECK(decide(warning(), at("2026-11-21T10:00"), c, none) == Disposition::outside_working_hours);  // Saturday
    c.quiet_hours.reset();
    c.working_hours = TimeRange::parse("20:00-02:00");                                  // a night shift from Friday
    CHECK(decide(warning(), at("2026-11-21T01:00"), c, none) == Disposition::deliver);  // Friday's shift
    CHECK(decide(warning(), at("2026-11-22T01:00"), c, none) == Disposition::outside_working_hours);
}

TEST_CASE("the notify command runs for delivered warnings only, dropped ones are not queued", "[habits][notify]") {
    test::TimeZone tz("Europe/Berlin");
    const auto dir = test::scratch("notify");
    const auto out = dir / "notified.txt";
    NotifyConfig c;
    c.desktop = false;
    c.command = "printf '%s|%s|%s\\n' \"$POPWATCH_RULE\" \"$1\" \"$POPWATCH_COUNT\" >> '" + out.string() + "'";
    std::FILE* log = std::tmpfile();
    {
        Notifier n(c, nullptr, log);
        CHECK(n.notify(warning(), at("2026-11-20T23:00")) == Disposition::quiet_hours);
        CHECK(n.notify(warning(Rule::clunk), at("2026-11-20T23:30")) == Disposition::quiet_hours);
        CHECK(n.notify(warning(), at("2026-11-21T09:00")) == Disposition::deliver);
        CHECK(n.notify(warning(), at("2026-11-21T09:10")) == Disposition::cooldown);
        n.wait_for_children();
    }
    // Only the one delivered: nothing from the quiet hours arrived in a burst at 07:00.
    CHECK(file_lines(out) ==
          std::vector<std::string>{"daily_limit|3 episodes of cracking today, over your limit of 2|3"});
    // The terminal log has every warning, with why it was not notified.
    std::rewind(log);
    std::string text;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, log)) > 0;) text.append(buf, n);
    std::fclose(log);
    CHECK(text.find("(not notified: quiet hours)") != std::string::npos);
    CHECK(text.find("(not notified: cooldown)") != std::string::npos);
}

TEST_CASE("the cooldown survives a restart through the store", "[habits][notify]") {
    const auto dir = test::scratch("cooldown");
    HistoryStore store(dir / "h.db", Access::write, test::quiet_options());
    NotifyConfig c;
    c.desktop = false;
    c.quiet_hours.reset();
    const double now = now_s();
    {
        Notifier n(c, &store, nullptr);
        CHECK(n.notify(warning(), now - 60) == Disposition::deliver);
    }
    Notifier restarted(c, &store, nullptr);
    CHECK(restarted.notify(warning(), now) == Disposition::cooldown);
}

TEST_CASE("the monitor records live events and notifies the moment the limit is crossed", "[habits][notify]") {
    const auto dir = test::scratch("monitor");
    HistoryStore store(dir / "h.db", Access::write, test::quiet_options());
    NotifyConfig c;
    c.desktop = false;
    c.quiet_hours.reset();
    Notifier notifier(c, &store, nullptr);
    Monitor monitor(store, Guidance{}, notifier);
    // Three episodes of two pops, ten minutes apart, starting at noon today.
    const double noon = local_midnight(local_date(now_s())) + 12 * 3600;
    std::vector<std::size_t> warned_at;
    for (int i = 0; i < 6; ++i) {
        Event e;
        e.time_s = (i / 2) * 600.0 + (i % 2) * 0.2;
        e.kind = Kind::pop;
        e.confidence = 0.9f;
        const auto out = monitor.record(history_event(e, noon, "neck", NAN, "live"), noon + e.time_s);
        CHECK(out.recorded.status == WriteStatus::committed);
        for (const auto& [w, d] : out.warnings) {
            warned_at.push_back(static_cast<std::size_t>(i));
            CHECK(d == Disposition::deliver);
            (void)w;
        }
    }
    // The 5th event starts the 3rd episode: over the limit, and 3 at the neck within the hour.
    CHECK(warned_at == std::vector<std::size_t>{4, 4});
    Event clunk;
    clunk.time_s = 1900;
    clunk.kind = Kind::clunk;
    const auto out = monitor.record(history_event(clunk, noon, "neck", NAN, "live"), noon + 1900);
    REQUIRE(out.warnings.size() == 1);
    CHECK(out.warnings[0].first.rule == Rule::clunk);
}

TEST_CASE("a live session records events, keeps the monitored time and warns", "[habits][notify]") {
    const auto dir = test::scratch("live");
    Config config;
    config.notify.desktop = false;
    config.notify.quiet_hours.reset();
    const double start = now_s(), steady = steady_s();
    const double noon = local_midnight(local_date(start)) + 12 * 3600;  // the stream's start: one local day
    std::FILE* log = std::tmpfile();
    {
        LiveSession session(config, dir / "h.db", "live", log);
        Event e;
        e.kind = Kind::pop;
        e.confidence = 0.9f;
        for (int i = 0; i < 3; ++i) {
            e.time_s = i * 30.0;
            CHECK(session.on_event(e, noon, "neck").recorded.status == WriteStatus::committed);
        }
        e.kind = Kind::other;
        CHECK(session.on_event(e, noon, "neck").recorded.id == 0);  // not history
        session.tick(start + 30, steady + 30);                      // under a minute: nothing written
        CHECK(session.store().monitored_s(0, 2e9) == 0);
        session.tick(start + 90, steady + 90);
        CHECK(session.store().monitored_s(0, 2e9) == Approx(90).margin(1));
        session.end(start + 120);
    }
    HistoryStore store(dir / "h.db", Access::read, test::quiet_options());
    CHECK(store.monitored_s(0, 2e9) == Approx(120).margin(1));
    const auto events = store.events_between(0, 2e9);
    REQUIRE(events.size() == 3);
    CHECK(events[0].time == noon);
    CHECK(events[0].source == "live");
    // Three episodes at the neck: the limit (2) is crossed and the same-site note is given.
    std::rewind(log);
    char buf[8192];
    const std::string text(buf, std::fread(buf, 1, sizeof buf, log));
    std::fclose(log);
    CHECK(text.find("over your limit of 2") != std::string::npos);
    CHECK(text.find("3 episodes at neck within 60 minutes") != std::string::npos);
}

TEST_CASE("a wall-clock step during a live session keeps monitored time true and later events on the new clock",
          "[habits][notify]") {
    const auto dir = test::scratch("clock-step");
    Config config;
    config.notify.desktop = false;
    const double start = now_s(), steady = steady_s();
    std::FILE* log = std::tmpfile();
    {
        LiveSession session(config, dir / "h.db", "live", log);
        session.tick(start + 100, steady + 100);
        // NTP (or the user) sets the clock back an hour during the next 100 s.
        session.tick(start + 200 - 3600, steady + 200);
        CHECK(session.clock_steps() == 1);
        Event e;
        e.kind = Kind::pop;
        e.confidence = 0.9f;
        const auto rec = session.on_event(e, start + 250 - 3600, "neck");  // stamped with the new clock
        CHECK(rec.recorded.status == WriteStatus::committed);
        session.tick(start + 300 - 3600, steady + 300);
        // Then the machine sleeps for 8 hours: the steady clock stands still, the wall clock moves.
        session.tick(start + 300 - 3600 + 8 * 3600, steady + 300);
        CHECK(session.clock_steps() == 2);
        session.end(start + 400 - 3600 + 8 * 3600);
        // A second or two of jitter between the clocks is not a step.
        LiveSession calm(config, dir / "h2.db", "live", nullptr);
        calm.tick(now_s() + 1.5, steady_s());
        CHECK(calm.clock_steps() == 0);
    }
    HistoryStore store(dir / "h.db", Access::read, test::quiet_options());
    // 200 s before the step, 100 s between it and the sleep, 100 s after: 400 s, not 400 s +- the jumps.
    CHECK(store.monitored_s(0, 2e9) == Approx(400).margin(2));
    CHECK(store.intervals_between(0, 2e9).size() == 3);
    const auto events = store.events_between(0, 2e9);
    REQUIRE(events.size() == 1);
    CHECK(events[0].time == Approx(start + 250 - 3600));
    std::rewind(log);
    char buf[4096];
    const std::string text(buf, std::fread(buf, 1, sizeof buf, log));
    std::fclose(log);
    CHECK(text.find("clock stepped by -3600 s") != std::string::npos);
    CHECK(text.find("clock stepped by +28800 s") != std::string::npos);
}

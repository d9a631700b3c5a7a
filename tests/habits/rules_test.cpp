#include "habits/rules.hpp"

#include <catch2/catch.hpp>

#include "habits_support.hpp"

using namespace popwatch;
using namespace popwatch::habits;
using test::at;

namespace {
std::vector<int> counts_of(const std::vector<Warning>& warnings, Rule rule) {
    std::vector<int> out;
    for (const auto& w : warnings)
        if (w.rule == rule) out.push_back(w.count);
    return out;
}
}  // namespace

TEST_CASE("the daily limit warns when crossed, then only at further thresholds", "[habits][rules]") {
    test::TimeZone tz("Europe/Berlin");
    test::Sequence s;
    for (int i = 0; i < 10; ++i) s.episode(at("2026-11-20T08:00") + i * 3600.0, "unknown", 3);
    const auto events = s.finish();
    const auto warnings = judge(events, Guidance{});  // limit 2, again every 3
    CHECK(counts_of(warnings, Rule::daily_limit) == std::vector<int>{3, 6, 9});
    // Each at the first pop of the episode that crossed, not on the later pops of that episode.
    const auto& first = warnings.front();
    CHECK(first.time == at("2026-11-20T10:00"));
    CHECK(first.title == "3 episodes of cracking today, over your limit of 2");
    CHECK(first.message.find("once or twice a day") != std::string::npos);
    CHECK(first.message.find("not medical advice") != std::string::npos);

    Guidance strict;
    strict.daily_limit = 1;
    strict.repeat_every = 4;
    CHECK(counts_of(judge(events, strict), Rule::daily_limit) == std::vector<int>{2, 6, 10});
}

TEST_CASE("pops within the episode gap are one episode and do not warn again", "[habits][rules]") {
    test::TimeZone tz("Europe/Berlin");
    test::Sequence s;
    s.episode(at("2026-11-20T09:00"));
    s.episode(at("2026-11-20T10:00"));
    // A knuckle session: pops 1.5 s apart for a minute is one act of cracking.
    for (int i = 0; i < 40; ++i) s.pop(at("2026-11-20T11:00") + 1.5 * i);
    const auto events = s.finish();
    CHECK(episodes_of(events).size() == 3);
    const auto warnings = judge(events, Guidance{});
    CHECK(counts_of(warnings, Rule::daily_limit) == std::vector<int>{3});  // at the session's first pop only
    CHECK(warnings[0].time == at("2026-11-20T11:00"));
    s.episode(at("2026-11-20T12:00"));
    s.episode(at("2026-11-20T13:00"));
    CHECK(counts_of(judge(s.finish(), Guidance{}), Rule::daily_limit) == std::vector<int>{3});
    s.episode(at("2026-11-20T14:00"));
    CHECK(counts_of(judge(s.finish(), Guidance{}), Rule::daily_limit) == std::vector<int>{3, 6});
}

TEST_CASE("the day boundary is local midnight, in any zone", "[habits][rules]") {
    // Two episodes in the late evening and two early the next morning, UTC.
    test::Sequence s;
    for (const char* t :
         {"2026-11-20T21:30:00Z", "2026-11-20T22:30:00Z", "2026-11-21T02:00:00Z", "2026-11-21T03:00:00Z"})
        s.episode(*parse_iso8601(t));
    const auto events = s.finish();
    {
        // Berlin (UTC+1): 22:30, 23:30 | 03:00, 04:00 -> two days of two: within the limit.
        test::TimeZone tz("Europe/Berlin");
        CHECK(counts_of(judge(events, Guidance{}), Rule::daily_limit).empty());
        CHECK(summarize_day({2026, 11, 20}, events, 0, Guidance{}).episodes == 2);
        CHECK(summarize_day({2026, 11, 21}, events, 0, Guidance{}).episodes == 2);
    }
    {
        // Tokyo (UTC+9): all four on Saturday 21 November (06:30 .. 12:00): over the limit.
        test::TimeZone tz("Asia/Tokyo");
        CHECK(counts_of(judge(events, Guidance{}), Rule::daily_limit) == std::vector<int>{3});
        const auto day = summarize_day({2026, 11, 21}, events, 0, Guidance{});
        CHECK(day.episodes == 4);
        CHECK(day.over_limit);
        CHECK(day.warnings.size() == 1);
        CHECK(summarize_day({2026, 11, 20}, events, 0, Guidance{}).episodes == 0);
    }
    {
        // Los Angeles (UTC-8): 13:30, 14:30, 18:00, 19:00 on the 20th.
        test::TimeZone tz("America/Los_Angeles");
        CHECK(summarize_day({2026, 11, 20}, events, 0, Guidance{}).episodes == 4);
    }
}

TEST_CASE("the day boundary is right across DST changes", "[habits][rules]") {
    test::TimeZone tz("Europe/Berlin");
    SECTION("spring forward: 23 hours, 00:30 and 23:30 are the same day") {
        test::Sequence s;
        s.episode(at("2026-03-29T00:30"));
        s.episode(at("2026-03-29T03:30"));  // 02:xx does not exist that night
        s.episode(at("2026-03-29T23:30"));
        s.episode(at("2026-03-30T00:10"));
        const auto events = s.finish();
        const auto day = summarize_day({2026, 3, 29}, events, 0, Guidance{});
        CHECK(day.episodes == 3);
        CHECK(day.over_limit);
        CHECK(day.by_hour[0] == 1);
        CHECK(day.by_hour[3] == 1);
        CHECK(day.by_hour[23] == 1);
        CHECK(summarize_day({2026, 3, 30}, events, 0, Guidance{}).episodes == 1);
    }
    SECTION("fall back: 25 hours, both 02:30s are the same day") {
        test::Sequence s;
        const double first_0230 = *parse_iso8601("2026-10-25T00:30:00Z");   // 02:30 CEST
        const double second_0230 = *parse_iso8601("2026-10-25T01:30:00Z");  // 02:30 CET
        s.episode(first_0230);
        s.episode(second_0230);
        s.episode(at("2026-10-25T23:50"));
        const auto events = s.finish();
        const auto day = summarize_day({2026, 10, 25}, events, 0, Guidance{});
        CHECK(day.episodes == 3);
        CHECK(day.by_hour[2] == 2);
        CHECK(counts_of(day.warnings, Rule::daily_limit) == std::vector<int>{3});
    }
}

TEST_CASE("an episode that runs past midnight counts once, on the day it started", "[habits][rules]") {
    test::TimeZone tz("Europe/Berlin");
    test::Sequence s;
    for (int i = 0; i < 4; ++i) s.pop(at("2026-11-20T23:59:58") + 1.0 * i);  // 23:59:58 .. 00:00:01
    const auto events = s.finish();
    CHECK(summarize_day({2026, 11, 20}, events, 0, Guidance{}).episodes == 1);
    const auto next = summarize_day({2026, 11, 21}, events, 0, Guidance{});
    CHECK(next.episodes == 0);
    CHECK(next.pops == 2);
}

TEST_CASE("three episodes at one site within an hour give the instability note", "[habits][rules]") {
    test::TimeZone tz("Europe/Berlin");
    SECTION("every twenty minutes at the neck") {
        test::Sequence s;
        s.episode(at("2026-11-20T09:00"), "neck");
        s.episode(at("2026-11-20T09:20"), "neck");
        s.episode(at("2026-11-20T09:25"), "upper-back");
        s.episode(at("2026-11-20T09:40"), "neck");
        s.episode(at("2026-11-20T09:59"), "neck");  // within the hour of the note: not repeated
        const auto warnings = judge(s.finish(), Guidance{});
        std::vector<Warning> notes;
        for (const auto& w : warnings)
            if (w.rule == Rule::same_site) notes.push_back(w);
        REQUIRE(notes.size() == 1);
        CHECK(notes[0].site == "neck");
        CHECK(notes[0].count == 3);
        CHECK(notes[0].time == at("2026-11-20T09:40"));
        CHECK(notes[0].message.find("hypermobility") != std::string::npos);
        CHECK(notes[0].key() == "same_site:neck");
    }
    SECTION("spread over more than an hour: no note") {
        test::Sequence s;
        for (int i = 0; i < 3; ++i) s.episode(at("2026-11-20T09:00") + i * 31 * 60.0, "neck");
        CHECK(counts_of(judge(s.finish(), Guidance{}), Rule::same_site).empty());
    }
    SECTION("an unknown site is not a spot") {
        test::Sequence s;
        for (int i = 0; i < 3; ++i) s.episode(at("2026-11-20T09:00") + i * 600.0);
        CHECK(counts_of(judge(s.finish(), Guidance{}), Rule::same_site).empty());
    }
    SECTION("configurable") {
        test::Sequence s;
        for (int i = 0; i < 4; ++i) s.episode(at("2026-11-20T09:00") + i * 600.0, "knuckles");
        Guidance g;
        g.same_site_episodes = 4;
        g.same_site_window_min = 30;
        CHECK(counts_of(judge(s.finish(), g), Rule::same_site).empty());
        g.same_site_window_min = 31;
        CHECK(counts_of(judge(s.finish(), g), Rule::same_site) == std::vector<int>{4});
    }
}

TEST_CASE("a clunk gives the red-flag note, not a pop count", "[habits][rules]") {
    test::TimeZone tz("Europe/Berlin");
    test::Sequence s;
    s.clunk(at("2026-11-20T10:00"), "lower-back");
    s.clunk(at("2026-11-20T10:10"), "lower-back");  // not repeated within the hour
    s.clunk(at("2026-11-20T11:30"), "lower-back");
    const auto events = s.finish();
    const auto warnings = judge(events, Guidance{});
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0].rule == Rule::clunk);
    CHECK(warnings[0].title == "A clunk, not a pop, at lower-back");
    CHECK(warnings[0].message.find("stop") != std::string::npos);
    CHECK(warnings[0].message.find("professional") != std::string::npos);
    CHECK(warnings[0].message.find("numbness or tingling") != std::string::npos);
    CHECK(warnings[0].message.find("not medical advice") != std::string::npos);
    const auto day = summarize_day({2026, 11, 20}, events, 0, Guidance{});
    CHECK(day.clunks == 3);
    CHECK(day.pops == 0);
    CHECK(day.episodes == 0);
    CHECK(day.by_site.at("lower-back").clunks == 3);
}

TEST_CASE("streaks count consecutive days within the limit, trends compare weeks", "[habits][rules]") {
    std::vector<DaySummary> days(20);
    LocalDate d{2026, 11, 1};
    for (auto& day : days) day.date = d, d = d.plus_days(1), day.limit = 2;
    const auto set = [&](std::size_t i, int episodes) {
        days[i].episodes = episodes;
        days[i].over_limit = episodes > 2;
    };
    set(2, 3);   // over
    set(10, 5);  // over
    set(12, 2);  // at the limit is within it
    // days 3..9 are a run of 7, days 11..19 a run of 9 ending today
    const auto s = streaks(days);
    CHECK(s.current == 9);
    CHECK(s.longest == 9);
    set(19, 4);
    CHECK(streaks(days).current == 0);
    CHECK(streaks(days).longest == 8);

    const auto t = trend(days);  // this week: days 13..19, last week: days 6..12
    CHECK(t.this_week == 4);
    CHECK(t.last_week == 7);
    CHECK(t.text() == "this week 4 episodes, last week 7: down 43 %");
}

TEST_CASE("advice is short, factual and says it is not medical advice", "[habits][rules]") {
    const std::string a = advice();
    CHECK(a.find("every 30 minutes") != std::string::npos);
    CHECK(a.find("extension") != std::string::npos);
    CHECK(a.find("core") != std::string::npos);
    CHECK(a.find("not medical advice") != std::string::npos);
    CHECK(a.size() < 400);
}

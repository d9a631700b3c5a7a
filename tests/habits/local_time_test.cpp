#include "habits/local_time.hpp"

#include <catch2/catch.hpp>

#include "habits/rules.hpp"
#include "habits_support.hpp"

using namespace popwatch;
using namespace popwatch::habits;

TEST_CASE("local days are 23 and 25 hours long across Berlin's DST changes", "[habits][time]") {
    test::TimeZone tz("Europe/Berlin");
    const LocalDate spring{2026, 3, 29}, autumn{2026, 10, 25}, plain{2026, 11, 20};
    CHECK(local_day_end(spring) - local_midnight(spring) == 23 * 3600);
    CHECK(local_day_end(autumn) - local_midnight(autumn) == 25 * 3600);
    CHECK(local_day_end(plain) - local_midnight(plain) == 24 * 3600);
    CHECK(local_midnight(spring) == 1774738800);  // 2026-03-28T23:00Z
    // The hour after 01:59 on the spring day is 03:00; the autumn day has 02:xx twice.
    CHECK(local_hour(local_midnight(spring) + 2 * 3600) == 3);
    CHECK(local_hour(local_midnight(autumn) + 2 * 3600) == 2);
    CHECK(local_hour(local_midnight(autumn) + 3 * 3600) == 2);
    CHECK(local_date(local_day_end(autumn) - 1) == autumn);
    CHECK(local_date(local_day_end(autumn)) == LocalDate{2026, 10, 26});
}

TEST_CASE("one instant falls on different local days in different zones", "[habits][time]") {
    const double t = *parse_iso8601("2026-11-20T20:30:00Z");
    {
        test::TimeZone tz("Europe/Berlin");
        CHECK(local_date(t) == LocalDate{2026, 11, 20});
        CHECK(local_hour(t) == 21);
        CHECK(iso8601(t) == "2026-11-20T21:30:00.000+01:00");
    }
    {
        test::TimeZone tz("Asia/Tokyo");
        CHECK(local_date(t) == LocalDate{2026, 11, 21});
        CHECK(local_hour(t) == 5);
        CHECK(local_weekday(t) == 5);  // Saturday
    }
    {
        test::TimeZone tz("America/Los_Angeles");
        CHECK(local_date(t) == LocalDate{2026, 11, 20});
        CHECK(iso8601(t) == "2026-11-20T12:30:00.000-08:00");
    }
}

TEST_CASE("ISO 8601 times are read with and without a zone", "[habits][time]") {
    test::TimeZone tz("Europe/Berlin");
    CHECK(*parse_iso8601("2026-11-20T09:00:00") == *parse_iso8601("2026-11-20T08:00:00Z"));
    CHECK(*parse_iso8601("2026-11-20T09:00") == *parse_iso8601("2026-11-20T09:00:00+01:00"));
    CHECK(*parse_iso8601("2026-11-20 10:30:00.5+0230") == Approx(*parse_iso8601("2026-11-20T08:00:00Z") + 0.5));
    CHECK(*parse_iso8601("2026-07-01T12:00:00") == *parse_iso8601("2026-07-01T10:00:00Z"));  // summer time
    CHECK_FALSE(parse_iso8601("2026-11-20"));
    CHECK_FALSE(parse_iso8601("2026-13-01T00:00:00"));
    CHECK_FALSE(parse_iso8601("2026-11-20T25:00:00"));
    CHECK_FALSE(parse_iso8601("2026-11-20T09:00:00+1"));
    CHECK_FALSE(LocalDate::parse("2026-02-29"));
    CHECK(LocalDate::parse("2028-02-29"));
    CHECK(LocalDate{2026, 12, 31}.plus_days(1) == LocalDate{2027, 1, 1});
    CHECK(LocalDate{2026, 11, 23}.weekday() == 0);  // a Monday
}

TEST_CASE("southern-hemisphere DST: Sydney's days are 25 hours in April and 23 in October", "[habits][time]") {
    test::TimeZone tz("Australia/Sydney");
    const LocalDate april{2026, 4, 5}, october{2026, 10, 4};
    CHECK(local_midnight(april) == 1775307600);
    CHECK(local_day_end(april) - local_midnight(april) == 25 * 3600);
    CHECK(local_day_end(october) - local_midnight(october) == 23 * 3600);
    // Three episodes between 23:00 and 23:59 local on the short day are still that day.
    test::Sequence s;
    for (int i = 0; i < 3; ++i) s.episode(local_day_end(october) - 3000 + i * 600.0);
    const auto events = s.finish();
    CHECK(summarize_day(october, events, 0, Guidance{}).episodes == 3);
    CHECK(summarize_day(october.plus_days(1), events, 0, Guidance{}).episodes == 0);
}

// Local calendar days and ISO 8601 times. History is stored in absolute UTC seconds; the daily
// guidance is about the user's local calendar day, which starts at local midnight and is 23 or 25
// hours long across a DST change. The zone is the process's (TZ, else /etc/localtime), read
// through localtime_r/mktime: GCC 12's libstdc++ has no chrono time-zone database.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace popwatch::habits {

// A proleptic-Gregorian calendar date, without a zone.
struct LocalDate {
    int year = 1970, month = 1, day = 1;

    auto operator<=>(const LocalDate&) const = default;
    std::string iso() const;                                    // "2026-11-20"
    static std::optional<LocalDate> parse(std::string_view s);  // "YYYY-MM-DD", validated
    LocalDate plus_days(long days) const;
    long days_since_epoch() const;  // 1970-01-01 is 0
    int weekday() const;            // 0 Monday .. 6 Sunday
};

LocalDate local_date(double unix_s);           // the local day an instant falls in
double local_midnight(const LocalDate& date);  // the instant the local day starts
double local_day_end(const LocalDate& date);   // ... and ends (the next day's midnight)
int local_hour(double unix_s);                 // 0..23
int local_minute_of_day(double unix_s);        // 0..1439
int local_weekday(double unix_s);              // 0 Monday .. 6 Sunday
double now_s();                                // the wall clock, unix seconds
double steady_s();  // a clock that never jumps (CLOCK_MONOTONIC; it also stands still while the machine sleeps)

// "2026-11-20T09:00:00.250+01:00": the instant in the local zone with its offset.
std::string iso8601(double unix_s);
// "HH:MM" local.
std::string local_hhmm(double unix_s);
// Parses "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]"; without a zone, the time is local.
std::optional<double> parse_iso8601(std::string_view s);

}  // namespace popwatch::habits

#include "habits/local_time.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>

namespace popwatch::habits {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const long era = (y >= 0 ? y : y - 399) / 400;
    const long yoe = y - era * 400;
    const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

LocalDate civil_from_days(long z) {
    z += 719468;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const long doe = z - era * 146097;
    const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {static_cast<int>(yoe + era * 400 + (m <= 2)), m, d};
}

std::tm local_tm(double unix_s) {
    const std::time_t t = static_cast<std::time_t>(std::floor(unix_s));
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

int days_in_month(int y, int m) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

// Reads exactly `digits` decimal digits at s[pos].
bool read_int(std::string_view s, std::size_t& pos, std::size_t digits, int& out) {
    if (pos + digits > s.size()) return false;
    for (std::size_t i = 0; i < digits; ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[pos + i]))) return false;
    std::from_chars(s.data() + pos, s.data() + pos + digits, out);
    pos += digits;
    return true;
}

}  // namespace

std::string LocalDate::iso() const { return fmt::format("{:04}-{:02}-{:02}", year, month, day); }

std::optional<LocalDate> LocalDate::parse(std::string_view s) {
    std::size_t pos = 0;
    LocalDate d;
    if (s.size() != 10 || !read_int(s, pos, 4, d.year) || s[pos++] != '-' || !read_int(s, pos, 2, d.month) ||
        s[pos++] != '-' || !read_int(s, pos, 2, d.day))
        return std::nullopt;
    if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month)) return std::nullopt;
    return d;
}

LocalDate LocalDate::plus_days(long days) const { return civil_from_days(days_since_epoch() + days); }
long LocalDate::days_since_epoch() const { return days_from_civil(year, month, day); }
int LocalDate::weekday() const {
    const long z = days_since_epoch();  // 1970-01-01 was a Thursday (3 from Monday)
    return static_cast<int>(((z % 7) + 7 + 3) % 7);
}

LocalDate local_date(double unix_s) {
    const std::tm tm = local_tm(unix_s);
    return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

double local_midnight(const LocalDate& date) {
    std::tm tm{};
    tm.tm_year = date.year - 1900;
    tm.tm_mon = date.month - 1;
    tm.tm_mday = date.day;
    tm.tm_isdst = -1;  // let mktime find whether DST applies at that midnight
    return static_cast<double>(std::mktime(&tm));
}

double local_day_end(const LocalDate& date) { return local_midnight(date.plus_days(1)); }
int local_hour(double unix_s) { return local_tm(unix_s).tm_hour; }
int local_minute_of_day(double unix_s) {
    const std::tm tm = local_tm(unix_s);
    return tm.tm_hour * 60 + tm.tm_min;
}
int local_weekday(double unix_s) { return (local_tm(unix_s).tm_wday + 6) % 7; }

double now_s() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

double steady_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string iso8601(double unix_s) {
    const std::tm tm = local_tm(unix_s);
    const double frac = unix_s - std::floor(unix_s);
    const long off = tm.tm_gmtoff / 60;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, std::min(999, static_cast<int>(frac * 1000)),
                       off < 0 ? '-' : '+', std::labs(off) / 60, std::labs(off) % 60);
}

std::string local_hhmm(double unix_s) {
    const std::tm tm = local_tm(unix_s);
    return fmt::format("{:02}:{:02}", tm.tm_hour, tm.tm_min);
}

std::optional<double> parse_iso8601(std::string_view s) {
    std::size_t pos = 0;
    const auto date = LocalDate::parse(s.substr(0, 10));
    if (!date) return std::nullopt;
    pos = 10;
    int hour = 0, minute = 0, second = 0;
    double frac = 0;
    if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
    ++pos;
    if (!read_int(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' || !read_int(s, pos, 2, minute))
        return std::nullopt;
    if (pos < s.size() && s[pos] == ':') {
        ++pos;
        if (!read_int(s, pos, 2, second)) return std::nullopt;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            double scale = 0.1;
            const std::size_t start = pos;
            while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])))
                frac += scale * (s[pos++] - '0'), scale /= 10;
            if (pos == start) return std::nullopt;
        }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    const long day_s = date->days_since_epoch() * 86400L + hour * 3600L + minute * 60L + second;
    if (pos == s.size()) {  // local time
        std::tm tm{};
        tm.tm_year = date->year - 1900;
        tm.tm_mon = date->month - 1;
        tm.tm_mday = date->day;
        tm.tm_hour = hour;
        tm.tm_min = minute;
        tm.tm_sec = second;
        tm.tm_isdst = -1;
        return static_cast<double>(std::mktime(&tm)) + frac;
    }
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return static_cast<double>(day_s) + frac;
    if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
    const int sign = s[pos++] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!read_int(s, pos, 2, oh)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (pos < s.size() && !read_int(s, pos, 2, om)) return std::nullopt;
    if (pos != s.size() || oh > 23 || om > 59) return std::nullopt;
    return static_cast<double>(day_s - sign * (oh * 3600L + om * 60L)) + frac;
}

}  // namespace popwatch::habits

// Telling the user: every warning gets a line on the terminal (stderr, so the journal of the
// systemd unit keeps it); a desktop notification (notify-send, when a desktop session is there)
// and the user's --notify-command follow only when decide() lets them through. Quiet hours and
// hours outside the working hours drop a notification (they never queue it: no burst later), and
// a cooldown per rule (and site) stops repeats.
#pragma once

#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "habits/rules.hpp"

namespace popwatch::habits {

// "HH:MM-HH:MM" in local time; may wrap past midnight ("22:00-07:00"). The end is exclusive.
struct TimeRange {
    int from_min = 0, to_min = 0;
    bool contains(int minute_of_day) const;
    std::string str() const;
    static std::optional<TimeRange> parse(std::string_view s);
};

struct NotifyConfig {
    double cooldown_min = 30;                                           // the same rule (and site) at most this often
    std::optional<TimeRange> quiet_hours = TimeRange{22 * 60, 7 * 60};  // dropped inside
    std::optional<TimeRange> working_hours;                             // when set: dropped outside (and on other days)
    std::array<bool, 7> working_days{true, true, true, true, true, true, true};  // Monday first
    bool desktop = true;  // notify-send when a desktop session exists
    std::string command;  // run with sh -c; see Notifier
};

enum class Disposition { deliver, quiet_hours, outside_working_hours, cooldown };
std::string_view disposition_name(Disposition d);

// Pure: is a warning at `now` delivered, given when each warning key was last delivered?
Disposition decide(const Warning& warning, double now, const NotifyConfig& config,
                   const std::map<std::string, double>& last_delivered);

// True when DISPLAY, WAYLAND_DISPLAY or DBUS_SESSION_BUS_ADDRESS is set and notify-send is on PATH.
bool desktop_session_available();

class Notifier {
   public:
    // `store` (optional) remembers deliveries so a cooldown survives a restart.
    // `terminal` receives the one-line log of every warning (nullptr: none).
    explicit Notifier(NotifyConfig config, HistoryStore* store = nullptr, std::FILE* terminal = stderr);
    ~Notifier();  // waits briefly for notification processes
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // The command gets the title and message as $1 and $2 and in POPWATCH_TITLE,
    // POPWATCH_MESSAGE, POPWATCH_RULE, POPWATCH_SITE, POPWATCH_COUNT.
    Disposition notify(const Warning& warning, double now);
    void wait_for_children(double timeout_s = 5);  // for tests and shutdown

   private:
    void spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env);
    void reap(bool block, double timeout_s);
    NotifyConfig config_;
    HistoryStore* store_;
    std::FILE* terminal_;
    bool desktop_;
    std::map<std::string, double> last_delivered_;
    std::vector<int> children_;
};

}  // namespace popwatch::habits

#include "habits/notify.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

extern char** environ;

namespace popwatch::habits {

bool TimeRange::contains(int m) const {
    if (from_min == to_min) return false;
    return from_min < to_min ? m >= from_min && m < to_min : m >= from_min || m < to_min;
}

std::string TimeRange::str() const {
    return fmt::format("{:02}:{:02}-{:02}:{:02}", from_min / 60, from_min % 60, to_min / 60, to_min % 60);
}

std::optional<TimeRange> TimeRange::parse(std::string_view s) {
    int h1 = 0, m1 = 0, h2 = 0, m2 = 0;
    char tail = 0;
    const std::string str(s);
    if (std::sscanf(str.c_str(), "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &tail) != 4) return std::nullopt;
    if (str.size() != 11 || h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 ||
        (h1 == 24 && m1) || (h2 == 24 && m2))
        return std::nullopt;
    return TimeRange{(h1 * 60 + m1) % 1440, (h2 * 60 + m2) % 1440};
}

std::string_view disposition_name(Disposition d) {
    switch (d) {
        case Disposition::deliver:
            return "delivered";
        case Disposition::quiet_hours:
            return "quiet hours";
        case Disposition::outside_working_hours:
            return "outside working hours";
        case Disposition::cooldown:
            return "cooldown";
    }
    return "delivered";
}

Disposition decide(const Warning& w, double now, const NotifyConfig& c, const std::map<std::string, double>& last) {
    const int minute = local_minute_of_day(now);
    if (c.quiet_hours && c.quiet_hours->contains(minute)) return Disposition::quiet_hours;
    if (c.working_hours) {
        // A working window that wraps midnight belongs to the day it started on.
        int day = local_weekday(now);
        if (c.working_hours->from_min > c.working_hours->to_min && minute < c.working_hours->to_min)
            day = (day + 6) % 7;
        if (!c.working_hours->contains(minute) || !c.working_days[static_cast<std::size_t>(day)])
            return Disposition::outside_working_hours;
    }
    const auto it = last.find(w.key());
    if (it != last.end() && now - it->second < c.cooldown_min * 60) return Disposition::cooldown;
    return Disposition::deliver;
}

bool desktop_session_available() {
    bool session = false;
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"}) {
        const char* v = std::getenv(name);
        session = session || (v && *v);
    }
    if (!session) return false;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
        const auto colon = dirs.find(':');
        const std::string dir(dirs.substr(0, colon));
        if (!dir.empty() && ::access((dir + "/notify-send").c_str(), X_OK) == 0) return true;
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    }
    return false;
}

Notifier::Notifier(NotifyConfig config, HistoryStore* store, std::FILE* terminal)
    : config_(std::move(config)), store_(store), terminal_(terminal), desktop_(false) {
    desktop_ = config_.desktop && desktop_session_available();
    if (store_) {
        try {
            last_delivered_ = store_->last_delivered(now_s() - config_.cooldown_min * 60);
        } catch (const std::exception&) {
            // no remembered cooldowns: at worst one repeat after a restart
        }
    }
}

Notifier::~Notifier() { reap(true, 2); }

Disposition Notifier::notify(const Warning& w, double now) {
    reap(false, 0);
    const Disposition d = decide(w, now, config_, last_delivered_);
    if (terminal_) {
        std::fprintf(terminal_, "popwatch %s: %s%s\n  %s\n", local_hhmm(w.time).c_str(), w.title.c_str(),
                     d == Disposition::deliver ? "" : fmt::format(" (not notified: {})", disposition_name(d)).c_str(),
                     w.message.c_str());
        std::fflush(terminal_);
    }
    if (d == Disposition::deliver) {
        last_delivered_[w.key()] = now;
        if (desktop_)
            spawn(
                {"notify-send", "--app-name=popwatch",
                 w.rule == Rule::clunk ? "--urgency=critical" : "--urgency=normal", "popwatch: " + w.title, w.message},
                {});
        if (!config_.command.empty())
            spawn({"/bin/sh", "-c", config_.command, "popwatch", w.title, w.message},
                  {"POPWATCH_TITLE=" + w.title, "POPWATCH_MESSAGE=" + w.message,
                   "POPWATCH_RULE=" + std::string(rule_name(w.rule)), "POPWATCH_SITE=" + w.site,
                   "POPWATCH_COUNT=" + std::to_string(w.count)});
    }
    if (store_) store_->record_notice(now, w.key(), w.title, d == Disposition::deliver);
    return d;
}

void Notifier::spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_storage;
    std::vector<char*> env;
    for (char** e = environ; e && *e; ++e) {
        const std::string_view entry(*e);
        if (entry.rfind("POPWATCH_", 0) != 0) env.push_back(*e);
    }
    for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), env.data());
    if (rc != 0) {
        if (terminal_) std::fprintf(terminal_, "popwatch: cannot run %s: %s\n", args[0], std::strerror(rc));
        return;
    }
    children_.push_back(pid);
}

void Notifier::reap(bool block, double timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!children_.empty()) {
        for (auto it = children_.begin(); it != children_.end();) {
            int status = 0;
            it = ::waitpid(*it, &status, WNOHANG) != 0 ? children_.erase(it) : it + 1;
        }
        if (!block || children_.empty() || std::chrono::steady_clock::now() > deadline) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void Notifier::wait_for_children(double timeout_s) { reap(true, timeout_s); }

}  // namespace popwatch::habits

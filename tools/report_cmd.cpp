// `popwatch report --html FILE`: one self-contained page about the last N days.
#include <cstdio>
#include <fstream>

#include "habits/monitor.hpp"
#include "habits/report.hpp"
#include "tools/commands.hpp"
#include "tools/habits_support.hpp"

namespace popwatch {
namespace {

struct ReportOptions {
    HabitsOptions habits;
    std::string html;
    int days = 28;
    std::string date;
};

int report(const ReportOptions& o) {
    const auto config = load_config(o.habits);
    const auto last = date_or_today(o.date);
    const auto store = open_store(o.habits, config, habits::Access::read);
    const auto days = habits::summarize_days(store, last.plus_days(-(o.days - 1)), last, config.guidance);
    const std::string page = habits::html_report(days, config.guidance);
    std::ofstream out(o.html, std::ios::binary | std::ios::trunc);
    out << page;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + o.html);
    std::fprintf(stderr, "wrote %s (%d days to %s)\n", o.html.c_str(), o.days, last.iso().c_str());
    return exit_ok;
}

}  // namespace

void register_report(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<ReportOptions>();
    CLI::App* cmd = app.add_subcommand("report", "Write an HTML report: daily chart, hour x weekday heatmap, sites");
    cmd->add_option("--html", o->html, "The HTML file to write (self-contained; no network)")->required();
    cmd->add_option("--days", o->days, "How many days, ending today")
        ->capture_default_str()
        ->check(CLI::Range(1, 3660));
    cmd->add_option("--date", o->date, "End on this day instead of today, YYYY-MM-DD");
    add_habits_options(cmd, o->habits);
    cmd->callback([o, &exit_code] { exit_code = run_guarded("report", [&] { return report(*o); }); });
}

}  // namespace popwatch

#include "habits/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace popwatch::habits {

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

namespace {

constexpr const char* weekday_names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string short_date(const LocalDate& d) { return fmt::format("{} {}", d.day, month_names[d.month - 1]); }

std::string hours(double seconds) {
    const long minutes = std::lround(seconds / 60);
    return minutes < 60 ? fmt::format("{} min", minutes) : fmt::format("{} h {:02} min", minutes / 60, minutes % 60);
}

// A tick step giving at most ~6 whole-number gridlines up to `top`.
int tick_step(int top) {
    for (int step : {1, 2, 5, 10, 20, 50, 100, 200, 500})
        if (top / step <= 6) return step;
    return 1000;
}

std::string bar_chart(std::span<const DaySummary> days, int limit) {
    const int width = 900, height = 260, left = 36, right = 58, top = 16,
              bottom = 40;  // the limit label sits right of the plot
    const int plot_w = width - left - right, plot_h = height - top - bottom;
    int max_episodes = limit + 1;
    for (const auto& d : days) max_episodes = std::max(max_episodes, d.episodes);
    const int step = tick_step(max_episodes);
    const int y_top = (max_episodes + step - 1) / step * step;
    const auto y = [&](double v) { return top + plot_h - v / y_top * plot_h; };
    const double slot = static_cast<double>(plot_w) / std::max<std::size_t>(1, days.size());
    const double bar_w = std::max(2.0, slot * 0.7);

    std::string svg = fmt::format(
        R"(<svg id="daily" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="Episodes per day against the limit of {}">)",
        width, height, width, height, limit);
    for (int v = 0; v <= y_top; v += step)
        svg += fmt::format(
            R"(<line class="grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/><text class="axis" x="{}" y="{:.1f}" text-anchor="end">{}</text>)",
            left, width - right, y(v), y(v), left - 6, y(v) + 4, v);
    const std::size_t label_every = std::max<std::size_t>(1, (days.size() + 13) / 14);
    for (std::size_t i = 0; i < days.size(); ++i) {
        const auto& d = days[i];
        const double x = left + slot * static_cast<double>(i) + (slot - bar_w) / 2;
        const double h = static_cast<double>(d.episodes) / y_top * plot_h;
        svg += fmt::format(
            R"(<rect class="bar {}" data-date="{}" data-episodes="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" rx="2"><title>{}: {} episode{}, {} pop{}, {} clunk{}</title></rect>)",
            d.over_limit ? "over" : "within", d.date.iso(), d.episodes, x, y(d.episodes), bar_w, h, d.date.iso(),
            d.episodes, d.episodes == 1 ? "" : "s", d.pops, d.pops == 1 ? "" : "s", d.clunks, d.clunks == 1 ? "" : "s");
        if (d.episodes > 0 && bar_w >= 14)
            svg += fmt::format(R"(<text class="value" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)",
                               x + bar_w / 2, y(d.episodes) - 4, d.episodes);
        if (i % label_every == 0 || i + 1 == days.size())
            svg += fmt::format(R"(<text class="axis" x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", x + bar_w / 2,
                               height - bottom + 16, short_date(d.date));
    }
    svg += fmt::format(
        R"(<line id="limit-line" class="limit" data-limit="{}" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/><text class="limit-label" x="{}" y="{:.1f}">limit {}</text>)",
        limit, left, width - right, y(limit), y(limit), width - right + 6, y(limit) + 4, limit);
    svg += fmt::format(R"(<text class="axis" x="{}" y="{}">episodes per day</text>)", left, height - 6);
    return svg + "</svg>";
}

std::string heatmap(std::span<const DaySummary> days) {
    std::array<std::array<int, 24>, 7> grid{};
    int max_count = 0;
    for (const auto& d : days)
        for (std::size_t h = 0; h < 24; ++h) {
            auto& cell = grid[static_cast<std::size_t>(d.date.weekday())][h];
            cell += d.by_hour[h];
            max_count = std::max(max_count, cell);
        }
    const int left = 44, top = 22, cell = 34, gap = 2;
    const int width = left + 24 * cell + 4, height = top + 7 * cell + 4;
    std::string svg = fmt::format(
        R"(<svg id="heatmap" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="Episodes by hour of day and weekday">)",
        width, height, width, height);
    for (int h = 0; h < 24; h += 2)
        svg += fmt::format(R"(<text class="axis" x="{}" y="{}" text-anchor="middle">{:02}</text>)",
                           left + h * cell + cell / 2, top - 8, h);
    for (std::size_t wd = 0; wd < 7; ++wd) {
        const int yy = top + static_cast<int>(wd) * cell;
        svg += fmt::format(R"(<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>)", left - 6,
                           yy + cell / 2 + 4, weekday_names[wd]);
        for (std::size_t h = 0; h < 24; ++h) {
            const int n = grid[wd][h];
            // White to deep blue; any episode at all is clearly visible.
            const double t = n == 0 ? 0 : 0.18 + 0.82 * n / std::max(1, max_count);
            const int r = static_cast<int>(std::lround(240 - t * (240 - 31)));
            const int g = static_cast<int>(std::lround(244 - t * (244 - 78)));
            const int b = static_cast<int>(std::lround(248 - t * (248 - 140)));
            svg += fmt::format(
                R"~(<rect class="cell" data-weekday="{}" data-hour="{}" data-count="{}" x="{}" y="{}" width="{}" height="{}" rx="3" fill="rgb({},{},{})"><title>{} {:02}:00-{:02}:59: {} episode{}</title></rect>)~",
                weekday_names[wd], h, n, left + static_cast<int>(h) * cell, yy, cell - gap, cell - gap, r, g, b,
                weekday_names[wd], h, h, n, n == 1 ? "" : "s");
            if (n > 0)
                svg += fmt::format(R"(<text class="cell-value{}" x="{}" y="{}" text-anchor="middle">{}</text>)",
                                   t > 0.55 ? " dark" : "", left + static_cast<int>(h) * cell + (cell - gap) / 2,
                                   yy + cell / 2 + 3, n);
        }
    }
    return svg + "</svg>";
}

std::string site_chart(std::span<const DaySummary> days) {
    std::map<std::string, SiteCounts> sites;
    for (const auto& d : days)
        for (const auto& [name, c] : d.by_site) {
            auto& s = sites[name];
            s.episodes += c.episodes;
            s.pops += c.pops;
            s.clunks += c.clunks;
        }
    if (sites.empty()) return R"(<p class="muted">No pops or clunks in this period.</p>)";
    std::vector<std::pair<std::string, SiteCounts>> rows(sites.begin(), sites.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.second.episodes != b.second.episodes ? a.second.episodes > b.second.episodes
                                                      : a.second.pops > b.second.pops;
    });
    int max_episodes = 1;
    for (const auto& r : rows) max_episodes = std::max(max_episodes, r.second.episodes);
    const int row_h = 30, label_w = 160, bar_max = 460, width = 900;
    const int height = static_cast<int>(rows.size()) * row_h + 6;
    std::string svg = fmt::format(
        R"(<svg id="sites" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="Episodes per site">)",
        width, height, width, height);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& [name, c] = rows[i];
        const int yy = static_cast<int>(i) * row_h + 4;
        const double w = static_cast<double>(c.episodes) / max_episodes * bar_max;
        svg += fmt::format(
            R"(<text class="site-name" x="{}" y="{}" text-anchor="end">{}</text><rect class="site-bar" data-site="{}" x="{}" y="{}" width="{:.1f}" height="{}" rx="2"/><text class="axis" x="{:.1f}" y="{}">{} episode{} &#183; {} pop{} &#183; {} clunk{}</text>)",
            label_w - 8, yy + 17, html_escape(name), html_escape(name), label_w, yy + 3, std::max(w, 1.0), row_h - 10,
            label_w + std::max(w, 1.0) + 8, yy + 17, c.episodes, c.episodes == 1 ? "" : "s", c.pops,
            c.pops == 1 ? "" : "s", c.clunks, c.clunks == 1 ? "" : "s");
    }
    return svg + "</svg>";
}

// Where on the spine pops concentrate (issue #6): pops per 2 cm of position, from the events a
// multi-sensor layout located; nothing when none was located.
std::string spine_chart(std::span<const DaySummary> days) {
    constexpr float bin_cm = 2;
    std::map<int, int> bins;
    int located = 0;
    for (const auto& d : days)
        for (const float x : d.pop_positions_cm) ++bins[static_cast<int>(std::floor(x / bin_cm))], ++located;
    if (bins.empty()) return {};
    const int first = bins.begin()->first, last = bins.rbegin()->first;
    int most = 1, peak_bin = first;
    for (const auto& [b, n] : bins)
        if (n > most) most = n, peak_bin = b;
    const int row_h = 18, label_w = 110, bar_max = 560, width = 900;
    const int height = (last - first + 1) * row_h + 6;
    std::string svg = fmt::format(
        R"(<p class="muted">{} pop{} located by several sensors, in {:g} cm steps along the spine; most at {:g}-{:g} cm.</p>)"
        "\n"
        R"(<svg id="spine" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="Pops by position along the spine">)",
        located, located == 1 ? "" : "s", bin_cm, peak_bin * bin_cm, (peak_bin + 1) * bin_cm, width, height, width,
        height);
    for (int b = first; b <= last; ++b) {
        const auto it = bins.find(b);
        const int n = it == bins.end() ? 0 : it->second;
        const int yy = (b - first) * row_h + 3;
        const double w = static_cast<double>(n) / most * bar_max;
        svg += fmt::format(
            R"(<text class="axis" x="{}" y="{}" text-anchor="end">{:g}-{:g} cm</text><rect class="site-bar" data-from-cm="{:g}" x="{}" y="{}" width="{:.1f}" height="{}" rx="2"/>)",
            label_w - 8, yy + 12, b * bin_cm, (b + 1) * bin_cm, b * bin_cm, label_w, yy + 2,
            n > 0 ? std::max(w, 1.0) : 0.0, row_h - 5);
        if (n > 0) svg += fmt::format(R"(<text class="axis" x="{:.1f}" y="{}">{}</text>)", label_w + w + 6, yy + 12, n);
    }
    return svg + "</svg>";
}

constexpr const char* style = R"css(
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2933;
       background: #f5f7fa; margin: 0; }
main { max-width: 940px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
.muted { color: #616e7c; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 16px; }
.tile { background: #fff; border-radius: 8px; padding: 10px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); min-width: 150px; }
.tile .big { font-size: 26px; font-weight: 600; }
.tile.over .big { color: #c65d21; }
section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); margin-top: 14px; }
section h2 { margin-top: 4px; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #52606d; }
.grid { stroke: #e4e7eb; stroke-width: 1; }
.bar.within { fill: #3e7cb1; }
.bar.over { fill: #e07b39; }
.value { fill: #1f2933; font-weight: 600; }
.limit { stroke: #c81e1e; stroke-width: 2; stroke-dasharray: 6 4; }
svg text.limit-label { fill: #c81e1e; font-weight: 600; font-size: 12px; }
.site-bar { fill: #3e7cb1; }
svg text.site-name { font-size: 13px; fill: #1f2933; }
svg text.cell-value { font-size: 10px; fill: #1f2933; }
svg text.cell-value.dark { fill: #fff; }
.legend span { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin: 0 4px 0 12px; }
ul.warnings { padding-left: 18px; margin: 6px 0; }
ul.warnings li { margin: 4px 0; }
.rule { font-size: 12px; color: #616e7c; }
footer { margin-top: 18px; font-size: 13px; color: #52606d; }
)css";

}  // namespace

std::string html_report(std::span<const DaySummary> days, const Guidance& g) {
    const Streaks s = streaks(days);
    const Trend t = trend(days);
    int episodes = 0, pops = 0, clunks = 0, over_days = 0;
    double monitored = 0;
    for (const auto& d : days) {
        episodes += d.episodes, pops += d.pops, clunks += d.clunks, over_days += d.over_limit;
        monitored += d.monitored_s;
    }
    const LocalDate first = days.empty() ? LocalDate{} : days.front().date;
    const LocalDate last = days.empty() ? LocalDate{} : days.back().date;

    std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    html += fmt::format("<title>popwatch report {} to {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
                        first.iso(), last.iso(), style);
    html += fmt::format(
        "<h1>popwatch: {} days, {} to {}</h1>\n<p class=\"muted\">Episodes are acts of cracking (pops closer than "
        "the episode gap). The guidance: at most {} a day.</p>\n",
        days.size(), short_date(first), short_date(last), g.daily_limit);

    const DaySummary* today = days.empty() ? nullptr : &days.back();
    html += "<div class=\"tiles\">\n";
    if (today)
        html += fmt::format(
            "<div class=\"tile{}\" id=\"tile-today\"><div class=\"muted\">{}</div><div class=\"big\">{} / {}</div>"
            "<div class=\"muted\">episodes / limit</div></div>\n",
            today->over_limit ? " over" : "", short_date(today->date), today->episodes, today->limit);
    html += fmt::format(
        "<div class=\"tile\" id=\"tile-streak\"><div class=\"muted\">days within the limit</div><div "
        "class=\"big\">{}</div><div class=\"muted\">longest {}</div></div>\n",
        s.current, s.longest);
    html += fmt::format(
        "<div class=\"tile\" id=\"tile-trend\"><div class=\"muted\">this week / last week</div><div "
        "class=\"big\">{} / {}</div><div class=\"muted\">episodes</div></div>\n",
        t.this_week, t.last_week);
    html += fmt::format(
        "<div class=\"tile\" id=\"tile-total\"><div class=\"muted\">in {} days</div><div class=\"big\">{}</div>"
        "<div class=\"muted\">{} pops, {} clunk{}, {} monitored</div></div>\n",
        days.size(), episodes, pops, clunks, clunks == 1 ? "" : "s", hours(monitored));
    html += "</div>\n";

    html += fmt::format(
        "<section><h2>Episodes per day</h2><p class=\"legend muted\"><span style=\"background:#3e7cb1\"></span>within "
        "the limit<span style=\"background:#e07b39\"></span>over the limit ({} day{})<span "
        "style=\"background:#c81e1e;height:3px\"></span>limit</p>\n{}\n</section>\n",
        over_days, over_days == 1 ? "" : "s", bar_chart(days, g.daily_limit));
    html += fmt::format(
        "<section><h2>When: hour of day &#215; weekday</h2><p class=\"muted\">Episodes started in each hour, all "
        "{} days added up.</p>\n{}\n</section>\n",
        days.size(), heatmap(days));
    html += fmt::format("<section><h2>Where</h2>\n{}\n</section>\n", site_chart(days));
    if (const std::string spine = spine_chart(days); !spine.empty())
        html += fmt::format("<section><h2>Where on the spine</h2>\n{}\n</section>\n", spine);
    html += fmt::format(
        "<section><h2>Streaks and trend</h2><p id=\"streaks\">Current streak: <b>{} day{}</b> within the limit; "
        "longest: <b>{} day{}</b>. Days over the limit in this period: {}.</p><p id=\"trend\">{}.</p></section>\n",
        s.current, s.current == 1 ? "" : "s", s.longest, s.longest == 1 ? "" : "s", over_days, html_escape(t.text()));

    std::vector<const Warning*> latest;
    for (const auto& d : days)
        for (const auto& w : d.warnings) latest.push_back(&w);
    std::reverse(latest.begin(), latest.end());
    if (latest.size() > 10) latest.resize(10);
    html += "<section><h2>Latest warnings</h2>\n";
    if (latest.empty()) {
        html += "<p class=\"muted\">None in this period.</p>\n";
    } else {
        html += "<ul class=\"warnings\">\n";
        for (const Warning* w : latest)
            html += fmt::format("<li data-rule=\"{}\"><b>{} {}</b> {} <span class=\"rule\">({})</span></li>\n",
                                rule_name(w->rule), short_date(local_date(w->time)), local_hhmm(w->time),
                                html_escape(w->title), rule_name(w->rule));
        html += "</ul>\n";
        const auto has = [&](Rule r) {
            return std::any_of(latest.begin(), latest.end(), [&](const Warning* w) { return w->rule == r; });
        };
        for (Rule r : {Rule::clunk, Rule::same_site, Rule::daily_limit})
            if (has(r)) {
                const auto it =
                    std::find_if(latest.begin(), latest.end(), [&](const Warning* w) { return w->rule == r; });
                html += fmt::format("<p class=\"muted\">{}</p>\n", html_escape((*it)->message));
            }
    }
    html += "</section>\n";
    html += fmt::format(
        "<footer><p>{}</p><p>Generated by popwatch; nothing on this page is loaded from the network.</p></footer>\n",
        html_escape(advice()));
    html += "</main>\n</body>\n</html>\n";
    return html;
}

}  // namespace popwatch::habits

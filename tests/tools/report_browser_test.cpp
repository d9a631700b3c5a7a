// The HTML report rendered by a real browser (headless Chromium): the layout is measured in the
// page and checked here, and a screenshot is kept for a person to look at.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../habits/habits_support.hpp"
#include "cli_support.hpp"
#include "habits/local_time.hpp"
#include "habits/store.hpp"

using namespace popwatch;
namespace fs = std::filesystem;

namespace {

const char* chromium() {
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
        if (::access(p, X_OK) == 0) return p;
    return nullptr;
}

// Runs headless Chromium on `page` with `action` (--dump-dom or --screenshot=...); returns stdout.
std::string run_chromium(const fs::path& dir, const fs::path& page, const std::string& action) {
    const auto profile = dir / ("profile-" + std::to_string(std::rand()));
    fs::create_directories(profile);
    const auto out = dir / "chromium-out.txt";
    const std::string cmd = std::string("timeout 90 ") + chromium() +
                            " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                            " --disable-background-networking --disable-component-update --disable-sync"
                            " --disable-extensions --mute-audio --hide-scrollbars --window-size=1000,2300"
                            " --user-data-dir=" +
                            profile.string() + " " + action + " file://" + page.string() + " >" + out.string() + " 2>" +
                            (dir / "chromium-err.txt").string();
    const int status = std::system(cmd.c_str());
    INFO(test::slurp(dir / "chromium-err.txt"));
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    fs::remove_all(profile);
    return test::slurp(out);
}

std::string unescape(std::string s) {
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
        for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
            s.replace(p, from.size(), to);
    return s;
}

// Measures the rendered page and writes the result into it, for --dump-dom.
constexpr const char* measure = R"js(
<script>
const bars = [...document.querySelectorAll('rect.bar')];
const limit = document.getElementById('limit-line').getBoundingClientRect();
const result = {
  bars: bars.length,
  visible_bars: bars.filter(b => b.getBoundingClientRect().height > 0.5).length,
  above_limit: bars.filter(b => b.getBoundingClientRect().height > 0.5 && b.getBoundingClientRect().top < limit.top - 0.5).length,
  over_class: document.querySelectorAll('rect.bar.over').length,
  limit_width: limit.width,
  limit_top: limit.top,
  chart_width: document.getElementById('daily').getBoundingClientRect().width,
  heat_cells: document.querySelectorAll('rect.cell').length,
  heat_nonzero: [...document.querySelectorAll('rect.cell')].filter(c => c.dataset.count !== '0').length,
  site_bars: [...document.querySelectorAll('rect.site-bar')].map(b => [b.dataset.site, b.getBoundingClientRect().width]),
  overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  text: document.body.innerText,
};
const pre = document.createElement('pre');
pre.id = 'measure';
pre.textContent = JSON.stringify(result);
document.body.appendChild(pre);
</script>
)js";

}  // namespace

TEST_CASE("the HTML report renders in a real browser with bars, the limit line, heatmap and sites", "[cli][report]") {
    REQUIRE(chromium() != nullptr);  // scripts/setup.sh installs Debian's chromium
    test::TimeZone tz("Europe/Berlin");
    const auto dir = test::scratch_dir("report");
    const auto db = dir / "history.db";
    // 14 days ending today: day i has (i % 5) episodes from 9 + i % 8 o'clock, at one of three sites.
    const habits::LocalDate today = habits::local_date(habits::now_s());
    int with_episodes = 0, over = 0;
    {
        habits::HistoryStore store(db, habits::Access::write, test::quiet_options());
        const char* sites[] = {"neck", "upper-back", "knuckles"};
        for (int i = 0; i < 14; ++i) {
            const auto day = today.plus_days(i - 13);
            const double start = habits::local_midnight(day) + (9 + i % 8) * 3600.0;
            const int episodes = i % 5;
            with_episodes += episodes > 0;
            over += episodes > 2;
            for (int e = 0; e < episodes; ++e)
                for (int p = 0; p < 2; ++p) {
                    habits::HistoryEvent ev;
                    ev.time = start + e * 1500 + p * 0.3;
                    ev.kind = Kind::pop;
                    ev.site = sites[(i + e) % 3];
                    ev.confidence = 0.9f;
                    ev.source = "live";
                    store.record_event(ev);
                }
            auto interval = store.begin_interval("live", habits::local_midnight(day) + 8 * 3600.0);
            store.end_interval(interval, habits::local_midnight(day) + 17 * 3600.0);
        }
        habits::HistoryEvent clunk;
        clunk.time = habits::local_midnight(today.plus_days(-2)) + 15 * 3600.0;
        clunk.kind = Kind::clunk;
        clunk.site = "lower <back> & \"hips\"";  // escaped, not markup
        clunk.source = "live";
        store.record_event(clunk);
    }
    const auto html = dir / "report.html";
    const auto r = test::popwatch("report --days 14 --db " + db.string() + " --html " + html.string(), dir);
    REQUIRE(r.code == 0);
    const std::string page = test::slurp(html);
    CHECK(page.find("http://") == std::string::npos);  // self-contained: nothing to fetch
    CHECK(page.find("https://") == std::string::npos);
    CHECK(page.find("<script") == std::string::npos);

    // Render a copy with the measuring script appended.
    const auto measured = dir / "measured.html";
    std::ofstream(measured) << page.substr(0, page.rfind("</body>")) << measure << "</body></html>\n";
    const std::string dom = run_chromium(dir, measured, "--dump-dom");
    const auto open = dom.find("<pre id=\"measure\">"), close = dom.find("</pre>", open);
    REQUIRE(open != std::string::npos);
    const auto m = nlohmann::json::parse(unescape(dom.substr(open + 18, close - open - 18)));
    INFO(m.dump(1));
    CHECK(m["bars"] == 14);
    CHECK(m["visible_bars"] == with_episodes);
    CHECK(m["above_limit"] == over);  // over-limit days rise above the limit line, the others do not
    CHECK(m["over_class"] == over);
    CHECK(m["limit_width"].get<double>() > 600);
    CHECK(m["chart_width"].get<double>() > 600);
    CHECK(m["heat_cells"] == 7 * 24);
    CHECK(m["heat_nonzero"].get<int>() >= 5);
    CHECK(m["overflow"] == false);
    const std::string text = m["text"];
    for (const char* shown : {"limit 2", "Episodes per day", "hour of day", "neck", "upper-back", "knuckles",
                              "lower <back> & \"hips\"", "Latest warnings", "over your limit of 2",
                              "A clunk, not a pop", "not medical advice", "days within the limit"})
        CHECK(text.find(shown) != std::string::npos);
    for (const auto& bar : m["site_bars"]) CHECK(bar[1].get<double>() >= 1);

    // A screenshot for people: build/report-screenshot.png (look at it when the report changes).
    const auto png = dir / "report.png";
    run_chromium(dir, html, "--screenshot=" + png.string());
    REQUIRE(fs::exists(png));
    CHECK(fs::file_size(png) > 20000);
    std::error_code ec;
    fs::copy_file(png, fs::path(POPWATCH_BINARY).parent_path() / "report-screenshot.png",
                  fs::copy_options::overwrite_existing, ec);
}

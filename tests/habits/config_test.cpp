#include "habits/config.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "habits_support.hpp"

using namespace popwatch;
using namespace popwatch::habits;

TEST_CASE("the config file fills guidance, notifications, sites and the DetectorConfig", "[habits][config]") {
    const auto c = parse_config(R"toml(
[guidance]
daily_limit = 1
same_site_window_min = 45

[notify]
cooldown_min = 10.5
quiet_hours = "21:30-06:45"
working_hours = "09:00-17:00"
working_days = ["mon", "wed"]
desktop = false
command = "ntfy publish popwatch \"$2\""

[sites]
channels = ["upper-back@0", "mid-back@12.5", "knuckles"]

[history]
db = "/tmp/h.db"

[detector]
episode_gap_s = 1.5
pop_threshold = 0.9
highpass_hz = 60
quick = true
)toml",
                                "test.toml");
    CHECK(c.guidance.daily_limit == 1);
    CHECK(c.guidance.same_site_window_min == 45);
    CHECK(c.guidance.same_site_episodes == 3);  // default kept
    CHECK(c.notify.cooldown_min == 10.5);
    CHECK(c.notify.quiet_hours->str() == "21:30-06:45");
    CHECK(c.notify.working_hours->str() == "09:00-17:00");
    CHECK(c.notify.working_days == std::array<bool, 7>{true, false, true, false, false, false, false});
    CHECK_FALSE(c.notify.desktop);
    CHECK(c.notify.command == "ntfy publish popwatch \"$2\"");
    CHECK(c.sites == std::vector<std::string>{"upper-back@0", "mid-back@12.5", "knuckles"});
    CHECK(c.db_path() == "/tmp/h.db");
    CHECK(c.detector.episode_gap_s == 1.5f);
    CHECK(c.detector.pop_threshold == 0.9f);
    CHECK(c.detector.highpass_hz == 60.0f);
    CHECK(c.detector.quick);
    CHECK(c.detector.decision_lookahead_s() == DetectorConfig{}.quick_lookahead_s);
    CHECK(c.detector.clunk_threshold == DetectorConfig{}.clunk_threshold);
}

TEST_CASE("config errors name the file, the line and the key", "[habits][config]") {
    const auto error_of = [](const std::string& text) -> std::string {
        try {
            parse_config(text, "/home/u/.config/popwatch/config.toml");
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK(error_of("[guidance]\ndaily_limit = 2\ndialy_limit = 3\n") ==
          "/home/u/.config/popwatch/config.toml:3: unknown key guidance.dialy_limit (known in [guidance]: "
          "daily_limit, repeat_every, same_site_episodes, same_site_window_min, repeat_note_after_min)");
    CHECK(error_of("\n[guidance]\ndaily_limit = \"two\"\n") ==
          "/home/u/.config/popwatch/config.toml:3: guidance.daily_limit must be a whole number, from 1 to 1000");
    CHECK(error_of("[guidance]\ndaily_limit = 0\n").find(":2: guidance.daily_limit must be from 1 to 1000") !=
          std::string::npos);
    CHECK(error_of("[notify]\nquiet_hours = \"10pm-7am\"\n")
              .find(":2: notify.quiet_hours \"10pm-7am\" is not a time range") != std::string::npos);
    CHECK(error_of("[detector]\npop_threshold = 1.5\n").find(":2: detector.pop_threshold must be from 0 to 1") !=
          std::string::npos);
    CHECK(error_of("[detector]\nquick = 1\n").find(":2: detector.quick must be true or false") != std::string::npos);
    CHECK(error_of("[detector]\nepisode_gap = 2\n").find(":2: unknown key detector.episode_gap") != std::string::npos);
    CHECK(error_of("[sites]\nchannels = [\"back@twelve\"]\n").find(":2: sites.channels each site") !=
          std::string::npos);
    CHECK(error_of("[guidence]\n").find(":1: unknown table [guidence]") != std::string::npos);
    CHECK(error_of("[guidance\n").find("config.toml:1:") != std::string::npos);  // a syntax error
}

TEST_CASE("popwatch config's TOML reads back as the same configuration", "[habits][config]") {
    Config c;
    c.guidance.daily_limit = 3;
    c.notify.command = "notify \"quoted\" \\ back";
    c.notify.working_hours = TimeRange::parse("08:00-16:00");
    c.notify.quiet_hours.reset();
    c.sites = {"neck@-5", "upper-back"};
    c.detector.episode_gap_s = 2.5f;
    c.detector.frame_ms = 5.3f;
    const std::string text = to_toml(c);
    CHECK(text.find("[detector]") != std::string::npos);
    CHECK(text.find("episode_gap_s = 2.5") != std::string::npos);
    const Config back = parse_config(text, "printed.toml");
    CHECK(back.guidance.daily_limit == 3);
    CHECK(back.notify.command == c.notify.command);
    CHECK(back.notify.working_hours->str() == "08:00-16:00");
    CHECK_FALSE(back.notify.quiet_hours);
    CHECK(back.sites == c.sites);
    CHECK(back.detector.frame_ms == 5.3f);
    CHECK(to_toml(back) == text);
}

TEST_CASE("a missing default config file gives the defaults, a missing explicit one is an error", "[habits][config]") {
    const auto dir = test::scratch("config");
    ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
    const Config c = load_config();
    ::unsetenv("XDG_CONFIG_HOME");
    CHECK_FALSE(c.file_found);
    CHECK(c.file == dir / "popwatch" / "config.toml");
    CHECK(c.guidance.daily_limit == 2);
    CHECK_THROWS_WITH(load_config(dir / "nope.toml"), Catch::Contains("no such config file"));
}

TEST_CASE("the README's config example is a valid config file", "[habits][config]") {
    std::ifstream in(std::string(POPWATCH_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    const std::string readme = text.str();
    const auto section = readme.find("### The config file");
    REQUIRE(section != std::string::npos);
    const auto begin = readme.find("```toml\n", section);
    const auto end = readme.find("```\n", begin + 8);
    REQUIRE(begin != std::string::npos);
    const Config c = parse_config(readme.substr(begin + 8, end - begin - 8), "README.md");
    CHECK(c.notify.working_hours->str() == "09:00-18:00");
    CHECK(c.sites.size() == 2);
}

#include "datasets/labels.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace {

using popwatch::Kind;

// A directory of its own for this test run, removed when the tests end.
struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("popwatch_labels_test_" + std::to_string(::getpid()));
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// Writes `text` verbatim (no newline translation) to a file in the test's temp directory.
std::string write_temp(const std::string& name, const std::string& text) {
    static const TempDir dir;
    const auto path = dir.path / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
}

std::string error_of(const std::string& path) {
    try {
        popwatch::read_labels(path);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("CSV labels with every column, out of order, are read and sorted by time") {
    const auto path = write_temp("full.csv",
                                 "# synthesised by popwatch synth --seed 7\n"
                                 "time_s,kind,episode,site,snr_db\n"
                                 "12.5,clunk,,upper-back,3\n"
                                 "1.25,pop,0,neck,10\n"
                                 "\n"
                                 "1.275,pop,0,neck,9\n");
    const auto labels = popwatch::read_labels(path);
    REQUIRE(labels.size() == 3);
    CHECK(labels[0].time_s == 1.25);
    CHECK(labels[0].kind == Kind::pop);
    CHECK(labels[0].episode == 0);
    CHECK(labels[0].site == "neck");
    CHECK(labels[1].time_s == 1.275);
    CHECK(labels[2].time_s == 12.5);
    CHECK(labels[2].kind == Kind::clunk);
    CHECK(labels[2].episode == -1);  // empty episode field
    CHECK(labels[2].site == "upper-back");
}

TEST_CASE("CSV labels without the optional columns, columns in another order") {
    const auto path = write_temp("minimal.csv", "kind,time_s\npop,2.0\nPOP,0.5\nother,1.0\n");
    const auto labels = popwatch::read_labels(path);
    REQUIRE(labels.size() == 2);  // `other` rows are not ground truth for anything
    CHECK(labels[0].time_s == 0.5);
    CHECK(labels[0].kind == Kind::pop);
    CHECK(labels[0].episode == -1);
    CHECK(labels[0].site == "unknown");
    CHECK(labels[1].time_s == 2.0);
}

TEST_CASE("CRLF line ends and a byte-order mark are tolerated") {
    const auto path = write_temp("crlf.csv", "\xEF\xBB\xBFtime_s,kind,episode\r\n3.5,pop,2\r\n\r\n");
    const auto labels = popwatch::read_labels(path);
    REQUIRE(labels.size() == 1);
    CHECK(labels[0].time_s == 3.5);
    CHECK(labels[0].episode == 2);
}

TEST_CASE("A header-only CSV and an empty Audacity export are files without labels") {
    CHECK(popwatch::read_labels(write_temp("header.csv", "time_s,kind\n")).empty());
    CHECK(popwatch::read_labels(write_temp("empty.txt", "")).empty());
}

TEST_CASE("Audacity point and range labels, frequency lines, other labels ignored") {
    const auto path = write_temp("audacity.txt",
                                 "1.000000\t1.000000\tpop\r\n"
                                 "\\\t215.000000\t1830.000000\r\n"  // spectral selection
                                 "1.050000\t1.080000\tPop \r\n"     // range label: onset = start
                                 "2.000000\t2.000000\tkeyboard\r\n"
                                 "2.500000\t2.500000\t\r\n"
                                 "3.000000\t3.000000\r\n"
                                 "4.000000\t4.200000\tclunk\r\n"
                                 "6.500000\t6.500000\tpop\r\n");
    const auto labels = popwatch::read_labels(path);
    REQUIRE(labels.size() == 4);
    CHECK(labels[0].time_s == 1.0);
    CHECK(labels[1].time_s == 1.05);
    CHECK(labels[2].time_s == 4.0);
    CHECK(labels[2].kind == Kind::clunk);
    CHECK(labels[3].time_s == 6.5);
    // Episodes by the 2 s gap rule: 1.0 and 1.05 together, 6.5 alone; clunks have none.
    CHECK(labels[0].episode == 0);
    CHECK(labels[1].episode == 0);
    CHECK(labels[2].episode == -1);
    CHECK(labels[3].episode == 1);
}

TEST_CASE("The gap rule splits episodes at gaps of at least gap_s") {
    const std::vector<double> times{0.0, 0.1, 2.5, 4.45, 10.0};
    CHECK(popwatch::group_episodes(times, 2.0) == std::vector<int>{0, 0, 1, 1, 2});
    CHECK(popwatch::group_episodes(std::vector<double>{1.0, 3.0}, 2.0) == std::vector<int>{0, 1});
    CHECK(popwatch::group_episodes({}, 2.0).empty());
}

TEST_CASE("Garbage lines are errors naming the file and line") {
    const auto bad_time = write_temp("bad_time.csv", "time_s,kind\n1.0,pop\n\nabc,pop\n");
    CHECK(error_of(bad_time) == bad_time + ":4: time_s 'abc' is not a time in seconds >= 0");

    const auto bad_kind = write_temp("bad_kind.csv", "time_s,kind\n1.0,crack\n");
    CHECK(error_of(bad_kind) == bad_kind + ":2: kind 'crack' is not pop, clunk or other");

    const auto short_row = write_temp("short.csv", "kind,time_s\npop\n");
    CHECK(error_of(short_row) == short_row + ":2: expected at least 2 comma-separated fields, found 1");

    const auto negative = write_temp("negative.csv", "time_s,kind\n-1,pop\n");
    CHECK_THAT(error_of(negative), Catch::StartsWith(negative + ":2: "));

    const auto bad_episode = write_temp("episode.csv", "time_s,kind,episode\n1,pop,x\n");
    CHECK_THAT(error_of(bad_episode), Catch::StartsWith(bad_episode + ":2: episode 'x'"));

    const auto no_header = write_temp("noheader.csv", "1.0,pop\n");
    CHECK(error_of(no_header) == no_header + ":1: CSV header must name the columns time_s and kind");

    const auto audacity = write_temp("bad.txt", "1.0\t1.0\tpop\n1.5 1.5 pop\n");
    CHECK_THAT(error_of(audacity), Catch::StartsWith(audacity + ":2: "));

    const auto prose = write_temp("prose.txt", "these are my labels\n");
    CHECK_THAT(error_of(prose), Catch::StartsWith(prose + ":1: not a label file"));
}

TEST_CASE("A missing label file is an error naming it") {
    CHECK_THAT(error_of("/nonexistent/x.csv"), Catch::StartsWith("/nonexistent/x.csv: cannot open"));
}

TEST_CASE("Confounders are read with their class") {
    const auto path = write_temp("x.confounders.csv", "time_s,duration_s,class\n5.0,0.08,knock\n1.0,0.03,keyboard\n");
    const auto confounders = popwatch::read_confounders(path);
    REQUIRE(confounders.size() == 2);
    CHECK(confounders[0].time_s == 1.0);
    CHECK(confounders[0].duration_s == 0.03);
    CHECK(confounders[0].class_name == "keyboard");
    CHECK(confounders[1].class_name == "knock");

    const auto bad = write_temp("bad.confounders.csv", "time_s,class\n1.0,knock\n");
    CHECK_THROWS_WITH(popwatch::read_confounders(bad),
                      bad + ":1: CSV header must name the columns time_s, duration_s and class");
}

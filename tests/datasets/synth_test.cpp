// The labelled-audio synthesiser: what a user of the generated recordings relies on.
#include "datasets/synth.hpp"

#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <complex>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace popwatch;
using namespace popwatch::synth;

namespace {

Options quick(Scenario scenario, std::uint64_t seed, double minutes = 0.3) {
    Options o;
    o.scenario = scenario;
    o.seed = seed;
    o.minutes = minutes;
    o.use_real = false;
    return o;
}

std::vector<Label> pops_of(const Scene& scene) {
    std::vector<Label> pops;
    for (const Label& l : scene.labels)
        if (l.kind == Kind::pop) pops.push_back(l);
    return pops;
}

double duration_s(const Scene& scene) { return double(scene.audio.size()) / scene.sample_rate; }

// Magnitude-weighted spectral centroid of the first `n` samples (zero-padded), by plain DFT.
double centroid_hz(std::vector<float> x, double fs, std::size_t n = 2048) {
    x.resize(n, 0.0f);
    std::vector<std::complex<double>> twiddle(n);
    for (std::size_t i = 0; i < n; ++i) twiddle[i] = std::polar(1.0, -2 * std::numbers::pi * double(i) / double(n));
    double weighted = 0, total = 0;
    for (std::size_t k = 1; k < n / 2; ++k) {
        std::complex<double> acc = 0;
        for (std::size_t i = 0; i < n; ++i) acc += double(x[i]) * twiddle[(k * i) % n];
        weighted += std::abs(acc) * double(k) * fs / double(n);
        total += std::abs(acc);
    }
    return weighted / total;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double energy(const std::vector<float>& x, std::size_t begin, std::size_t end) {
    double e = 0;
    for (std::size_t i = begin; i < std::min(end, x.size()); ++i) e += double(x[i]) * x[i];
    return e;
}

fs::path temp_dir(const std::string& name) {
    static int counter = 0;
    const fs::path dir = fs::temp_directory_path() / ("popwatch-synth-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(counter++) + "-" + name);
    fs::remove_all(dir);
    return dir;
}

std::vector<std::string> read_lines(const fs::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("synth: the same options give the same recording, another seed another one", "[synth]") {
    const Scene a = render(quick(Scenario::ambient, 11));
    const Scene b = render(quick(Scenario::ambient, 11));
    REQUIRE(a.audio == b.audio);
    REQUIRE(a.labels.size() == b.labels.size());
    for (std::size_t i = 0; i < a.labels.size(); ++i) {
        CHECK(a.labels[i].time_s == b.labels[i].time_s);
        CHECK(a.labels[i].episode == b.labels[i].episode);
        CHECK(a.labels[i].site == b.labels[i].site);
    }
    REQUIRE(a.confounders.size() == b.confounders.size());

    const Scene c = render(quick(Scenario::ambient, 12));
    CHECK(a.audio != c.audio);

    Options wide = quick(Scenario::ambient, 11);  // training only: the pops' shapes drawn wider
    wide.wide_pops = true;
    CHECK(render(wide).audio == render(wide).audio);
    CHECK(render(wide).audio != a.audio);

    Options test = quick(Scenario::ambient, 11);
    test.split = Split::test;
    CHECK(render(test).audio != a.audio);  // seed N in the test split is another recording
}

TEST_CASE("synth: labels are sorted, inside the file and numbered by the 2 s episode rule", "[synth]") {
    for (Scenario scenario : {Scenario::contact, Scenario::ambient}) {
        for (std::uint64_t seed : {1, 2, 3}) {
            Options o = quick(scenario, seed, 1);
            o.sample_rate = 16000;
            o.episodes_per_min = 10;
            o.clunks_per_min = 2;
            const Scene scene = render(o);
            INFO(scenario_name(scenario) << " seed " << seed);
            REQUIRE_FALSE(pops_of(scene).empty());
            CHECK(std::is_sorted(scene.labels.begin(), scene.labels.end(),
                                 [](const Label& x, const Label& y) { return x.time_s < y.time_s; }));
            int expected = -1;
            double last_pop_s = -1e9;
            for (const Label& l : scene.labels) {
                CHECK(l.time_s >= 0);
                CHECK(l.time_s < duration_s(scene));
                REQUIRE((l.kind == Kind::pop || l.kind == Kind::clunk));
                CHECK_FALSE(l.site.empty());
                if (l.kind == Kind::clunk) {
                    CHECK(l.episode == -1);
                    continue;
                }
                if (l.time_s - last_pop_s >= 2.0) ++expected;
                CHECK(l.episode == expected);
                last_pop_s = l.time_s;
            }
            for (const synth::Confounder& c : scene.confounders) {
                CHECK(c.time_s >= 0);
                CHECK(c.time_s < duration_s(scene));
                CHECK(c.duration_s > 0);
            }
        }
    }
}

TEST_CASE("synth: an isolated pop lasts 3-12 ms at -20 dB and starts at its label", "[synth]") {
    for (double fs : {16000.0, 48000.0}) {
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            INFO("fs " << fs << " seed " << seed);
            const auto spine = render_isolated(Isolated::spine_pop_contact, fs, seed);
            CHECK(minus20_duration_s(spine, fs) >= 0.003 - 1 / fs);
            CHECK(minus20_duration_s(spine, fs) <= 0.012);
            const auto knuckle = render_isolated(Isolated::knuckle_pop_air, fs, seed);
            CHECK(minus20_duration_s(knuckle, fs) <= 0.012);

            // The label is the first sample of the excitation; the loudest part follows within 2 ms.
            for (const auto* pop : {&spine, &knuckle}) {
                REQUIRE_FALSE(pop->empty());
                CHECK((*pop)[0] != 0.0f);
                const auto loudest = std::max_element(pop->begin(), pop->end(),
                                                      [](float x, float y) { return std::abs(x) < std::abs(y); });
                CHECK(double(loudest - pop->begin()) / fs < 0.002);
            }
        }
    }
}

TEST_CASE("synth: a clunk is longer and lower than a pop", "[synth]") {
    const double fs = 16000;
    std::vector<double> pop_centroids, clunk_centroids;
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        const auto pop = render_isolated(Isolated::spine_pop_contact, fs, seed);
        const auto clunk = render_isolated(Isolated::clunk_contact, fs, seed);
        INFO("seed " << seed);
        CHECK(minus20_duration_s(clunk, fs) >= 0.025);
        CHECK(minus20_duration_s(clunk, fs) > 2 * minus20_duration_s(pop, fs));
        pop_centroids.push_back(centroid_hz(pop, fs));
        clunk_centroids.push_back(centroid_hz(clunk, fs));
        CHECK(clunk_centroids.back() < 500);
    }
    CHECK(median(clunk_centroids) < 0.5 * median(pop_centroids));
}

TEST_CASE("synth: the negatives scenario has no pops and no clunks, but plenty of look-alikes", "[synth]") {
    const Scene scene = render(quick(Scenario::negatives, 5, 0.5));
    CHECK(scene.labels.empty());
    std::set<std::string> classes;
    for (const synth::Confounder& c : scene.confounders) classes.insert(c.cls);
    CHECK(classes.count("keyboard") == 1);
    CHECK(classes.size() >= 5);
    CHECK(scene.confounders.size() > 60);  // dense: > 2 transients per second

    Options forced = quick(Scenario::negatives, 5, 0.2);
    forced.episodes_per_min = 10;  // ignored: negatives never hold pops
    CHECK(render(forced).labels.empty());
}

TEST_CASE("synth: spinal clusters have 5-40 ms gaps", "[synth]") {
    Options o = quick(Scenario::contact, 3, 0.5);
    o.episodes_per_min = 8;
    int gaps = 0;
    for (std::uint64_t seed : {3, 4, 5}) {
        o.seed = seed;
        const std::vector<Label> pops = pops_of(render(o));
        for (std::size_t i = 1; i < pops.size(); ++i) {
            if (pops[i].site == "knuckles" || pops[i - 1].site == "knuckles") continue;
            const double gap_s = pops[i].time_s - pops[i - 1].time_s;
            if (gap_s > 0.1) continue;  // the next thrust
            ++gaps;
            CHECK(gap_s >= 0.005);
            CHECK(gap_s <= 0.040);
        }
    }
    CHECK(gaps >= 5);
}

TEST_CASE("synth: 16, 44.1 and 48 kHz all render, finite and never clipping", "[synth]") {
    for (double fs : {16000.0, 44100.0, 48000.0}) {
        for (Scenario scenario : {Scenario::contact, Scenario::ambient}) {
            Options o = quick(scenario, 21, 0.5);
            o.sample_rate = fs;
            o.episodes_per_min = 12;
            const Scene scene = render(o);
            INFO(scenario_name(scenario) << " at " << fs);
            CHECK(scene.sample_rate == fs);
            CHECK(scene.audio.size() == std::size_t(std::lround(0.5 * 60 * fs)));
            CHECK_FALSE(pops_of(scene).empty());
            float peak = 0;
            bool finite = true;
            for (float v : scene.audio) {
                finite = finite && std::isfinite(v);
                peak = std::max(peak, std::abs(v));
            }
            CHECK(finite);
            CHECK(peak <= std::pow(10.0, -6.0 / 20) + 1e-6);
            CHECK(peak >= std::pow(10.0, -30.0 / 20) - 1e-6);
        }
    }
}

TEST_CASE("synth: a loud pop stands out of the audio right at its label", "[synth]") {
    const bool wide = GENERATE(false, true);  // training's wider pop shapes too
    INFO("wide pops " << wide);
    int checked = 0, rising = 0;
    for (std::uint64_t seed : {1, 2, 3, 4}) {
        Options o = quick(Scenario::ambient, seed, 1);
        o.episodes_per_min = 10;
        o.density = 0.3;
        o.wide_pops = wide;
        const Scene scene = render(o);
        const std::size_t window = std::size_t(0.005 * scene.sample_rate);
        for (std::size_t i = 0; i < scene.labels.size(); ++i) {
            const Label& l = scene.labels[i];
            const bool alone = (i == 0 || l.time_s - scene.labels[i - 1].time_s > 0.05) &&
                               (i + 1 == scene.labels.size() || scene.labels[i + 1].time_s - l.time_s > 0.05);
            if (l.kind != Kind::pop || l.snr_db < 20 || !alone) continue;
            const auto at = std::size_t(std::lround(l.time_s * scene.sample_rate));
            ++checked;
            if (energy(scene.audio, at, at + window) > 4 * energy(scene.audio, at - window, at)) ++rising;
        }
    }
    REQUIRE(checked >= 5);
    CHECK(rising >= checked * 9 / 10);
}

TEST_CASE("synth: the demo is 3 minutes with about 10 pops in 5-7 episodes and one clunk", "[synth]") {
    Options o;
    o.scenario = Scenario::demo;
    o.sample_rate = 16000;
    const Scene a = render(o);
    CHECK(duration_s(a) == Approx(180));
    const std::vector<Label> pops = pops_of(a);
    CHECK(pops.size() >= 8);
    CHECK(pops.size() <= 12);
    CHECK(pops.back().episode + 1 >= 5);
    CHECK(pops.back().episode + 1 <= 7);
    CHECK(a.labels.size() - pops.size() == 1);
    for (const Label& p : pops) CHECK(p.snr_db >= 15);
    CHECK(render(o).audio == a.audio);
}

TEST_CASE("synth: write_scene writes a WAV and label files that read back", "[synth]") {
    Options o = quick(Scenario::contact, 8, 0.5);
    o.sample_rate = 44100;
    o.episodes_per_min = 8;
    o.clunks_per_min = 6;
    const Scene scene = render(o);
    REQUIRE_FALSE(pops_of(scene).empty());
    REQUIRE(pops_of(scene).size() < scene.labels.size());  // a clunk too
    const fs::path dir = temp_dir("write") / "nested";
    const std::vector<std::string> written = write_scene(scene, dir.string(), "take");
    REQUIRE(written.size() == 4);
    CHECK(written[0] == (dir / "take.wav").string());

    SF_INFO info{};
    SNDFILE* file = sf_open(written[0].c_str(), SFM_READ, &info);
    REQUIRE(file != nullptr);
    CHECK(info.samplerate == 44100);
    CHECK(info.channels == 1);
    REQUIRE(info.frames == sf_count_t(scene.audio.size()));
    std::vector<float> back(scene.audio.size());
    CHECK(sf_readf_float(file, back.data(), info.frames) == info.frames);
    sf_close(file);
    CHECK(back == scene.audio);

    const auto labels = read_lines(dir / "take.labels.csv");
    REQUIRE(labels.size() == scene.labels.size() + 1);
    CHECK(labels[0] == "time_s,kind,episode,site");
    bool saw_clunk = false;
    for (std::size_t i = 0; i < scene.labels.size(); ++i) {
        const Label& l = scene.labels[i];
        CHECK(std::stod(labels[i + 1]) == Approx(l.time_s).margin(1e-6));
        if (l.kind == Kind::clunk) {
            CHECK(labels[i + 1].find(",clunk,,") != std::string::npos);
            saw_clunk = true;
        } else {
            CHECK(labels[i + 1].find(",pop," + std::to_string(l.episode) + ",") != std::string::npos);
        }
    }
    CHECK(saw_clunk);

    const auto audacity = read_lines(dir / "take.labels.txt");
    REQUIRE(audacity.size() == scene.labels.size());
    REQUIRE_FALSE(audacity.empty());
    CHECK(std::count(audacity[0].begin(), audacity[0].end(), '\t') == 2);
    const auto confounders = read_lines(dir / "take.confounders.csv");
    CHECK(confounders.size() == scene.confounders.size() + 1);
    CHECK(confounders[0] == "time_s,duration_s,class");
    fs::remove_all(dir.parent_path());
}

TEST_CASE("synth: bad options and unwritable places fail with a clear error", "[synth]") {
    CHECK_THROWS_AS(parse_scenario("office"), std::invalid_argument);
    CHECK(parse_scenario("contact") == Scenario::contact);
    Options o = quick(Scenario::ambient, 1, 0.1);
    o.sample_rate = 4000;
    CHECK_THROWS_AS(render(o), std::invalid_argument);
    o.sample_rate = 48000;
    o.minutes = 0;
    CHECK_THROWS_AS(render(o), std::invalid_argument);

    const fs::path dir = temp_dir("blocked");
    fs::create_directories(dir);
    std::ofstream(dir / "file") << "x";
    o.minutes = 0.05;
    CHECK_THROWS_AS(write_scene(render(o), (dir / "file" / "sub").string(), "x"), std::runtime_error);
    fs::remove_all(dir);
}

TEST_CASE("synth: real recordings are split between dev and test and mixed in", "[synth]") {
    const std::string real_dir = default_real_dir();
    if (!fs::is_directory(real_dir)) {
        WARN("skipped: no real recordings at " << real_dir);
        return;
    }
    const auto dev = real_clips(real_dir, Split::dev), test = real_clips(real_dir, Split::test);
    REQUIRE(dev.size() > 50);
    REQUIRE(test.size() > 50);
    for (const std::string& p : dev) CHECK(std::find(test.begin(), test.end(), p) == test.end());
    auto has = [](const std::vector<std::string>& v, const std::string& part) {
        return std::any_of(v.begin(), v.end(), [&](const std::string& p) { return p.find(part) != std::string::npos; });
    };
    CHECK(has(test, "sound_misc_knuckles.ogg"));
    CHECK_FALSE(has(dev, "sound_misc_knuckles.ogg"));
    CHECK_FALSE(has(dev, "gore"));
    CHECK_FALSE(has(test, "gore"));
    CHECK_FALSE(has(test, "wounds_crack"));

    Options o = quick(Scenario::ambient, 2, 0.5);
    o.use_real = true;
    const Scene scene = render(o);
    CHECK(std::any_of(scene.confounders.begin(), scene.confounders.end(),
                      [](const synth::Confounder& c) { return c.cls.rfind("real:", 0) == 0; }));
    o.use_real = false;
    const Scene synthetic = render(o);
    CHECK(std::none_of(synthetic.confounders.begin(), synthetic.confounders.end(),
                       [](const synth::Confounder& c) { return c.cls.rfind("real:", 0) == 0; }));
}

TEST_CASE("synth: popwatch synth writes the four files and reports bad arguments", "[synth]") {
    const fs::path dir = temp_dir("cli");
    const std::string command = std::string(POPWATCH_BINARY) + " synth --out " + dir.string() +
                                " --seed 4 --minutes 0.1 --scenario ambient --rate 16000 --no-real";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::vector<std::string> printed;
    char line[4096];
    while (std::fgets(line, sizeof line, pipe)) printed.emplace_back(line);
    CHECK(WEXITSTATUS(::pclose(pipe)) == 0);
    REQUIRE(printed.size() == 4);
    for (const char* suffix : {".wav", ".labels.csv", ".labels.txt", ".confounders.csv"})
        CHECK(fs::exists(dir / ("ambient-4" + std::string(suffix))));

    const std::string bad =
        std::string(POPWATCH_BINARY) + " synth --out " + dir.string() + " --scenario office 2>/dev/null";
    CHECK(WEXITSTATUS(std::system(bad.c_str())) == 2);
    fs::remove_all(dir);
}

TEST_CASE("synth: ten minutes of every scenario keep their invariants", "[synth][slow]") {
    for (Scenario scenario : {Scenario::contact, Scenario::ambient, Scenario::negatives}) {
        Options o;
        o.scenario = scenario;
        o.seed = 99;
        o.minutes = 10;
        const Scene scene = render(o);
        INFO(scenario_name(scenario));
        CHECK(duration_s(scene) == Approx(600));
        CHECK((scenario == Scenario::negatives) == scene.labels.empty());
        for (const Label& l : scene.labels) CHECK(l.time_s < 600);
        float peak = 0;
        for (float v : scene.audio) peak = std::max(peak, std::abs(v));
        CHECK(peak <= 0.5012f);
    }
}

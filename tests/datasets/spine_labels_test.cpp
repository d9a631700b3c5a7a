#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "datasets/labels.hpp"
#include "datasets/synth.hpp"

using namespace popwatch;
namespace fs = std::filesystem;

TEST_CASE("spine labels carry the true position through the CSV, older files still read", "[datasets][labels]") {
    const fs::path dir = fs::temp_directory_path() / "popwatch-spine-labels";
    fs::remove_all(dir);
    synth::Options o;
    o.scenario = synth::Scenario::spine;
    o.minutes = 0.25;
    o.sensors = 4;
    const synth::Scene scene = synth::render(o);
    REQUIRE(scene.channels == 4);
    REQUIRE(scene.audio.size() == 4 * static_cast<std::size_t>(0.25 * 60 * 48000));
    const auto paths = synth::write_scene(scene, dir.string(), "spine");
    const auto labels = read_labels(paths[1]);
    REQUIRE(labels.size() == scene.labels.size());
    REQUIRE(!labels.empty());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        CHECK(labels[i].position_cm == Approx(scene.labels[i].position_cm).margin(0.006));
        CHECK(labels[i].position_cm >= -3.0);
        CHECK(labels[i].position_cm <= 3 * 12 + 3.0);
        CHECK(labels[i].site == scene.labels[i].site);
    }
    std::ofstream(dir / "old.csv") << "time_s,kind,episode,site\n1.0,pop,0,neck\n";
    const auto old = read_labels((dir / "old.csv").string());
    REQUIRE(old.size() == 1);
    CHECK(std::isnan(old[0].position_cm));
    std::ofstream(dir / "bad.csv") << "time_s,kind,episode,site,position_cm\n1.0,pop,0,neck,twelve\n";
    CHECK_THROWS_WITH(read_labels((dir / "bad.csv").string()), Catch::Contains("position_cm"));
    fs::remove_all(dir);
}

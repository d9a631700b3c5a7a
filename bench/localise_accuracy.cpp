// Localisation accuracy (issue #6): renders the spine scenario (datasets/synth_spine.cpp) for
// each split, sensor count and SNR band, runs the detector with the sensors' positions, matches
// detected pops to labelled ones (+-10 ms, datasets/scoring.hpp) and reports, per cell: pops
// matched, site correct (the reported site is the sensor nearest the true position), median and
// p95 position error, and for comparison the site the loudest channel alone would give. The
// localiser is re-run from each event's stored energies and arrivals with the arrival term on
// (--alt-arrival-sd-us), which measures what time differences add at this sample rate.
//
//   popwatch_localise_accuracy [--split dev|test|both] [--seeds N] [--minutes M] [--rate HZ]
//                              [--sensors 2,3,4,5] [--spacing-cm 12] [--markdown]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "datasets/scoring.hpp"
#include "datasets/synth.hpp"
#include "dsp/detector.hpp"
#include "dsp/localise.hpp"
#include "tools/analysis.hpp"

using namespace popwatch;

namespace {

struct Band {
    const char* name;
    double lo, hi;
};

struct Cell {
    int labelled = 0, matched = 0, site_ok = 0, loudest_ok = 0, energy_site_ok = 0, confident = 0, confident_ok = 0;
    std::vector<double> error_cm, energy_error_cm;
};

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const double at = q * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(at);
    const double f = at - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

int nearest(const std::vector<float>& positions, double x) {
    int best = 0;
    for (int k = 1; k < static_cast<int>(positions.size()); ++k)
        if (std::abs(positions[static_cast<std::size_t>(k)] - x) <
            std::abs(positions[static_cast<std::size_t>(best)] - x))
            best = k;
    return best;
}

double alt_arrival_sd_us = 20;  // the comparison variant: arrivals on at this scatter (0 = off)

void run_file(const synth::Options& o, Cell& cell) {
    const synth::Scene scene = synth::render(o);
    const SiteMap sites = SiteMap::parse(synth::spine_sites(o.sensors, o.spacing_cm));
    const SensorLayout layout = sites.layout();
    const std::vector<Event> events = detect_all(scene.audio, scene.sample_rate, scene.channels, {}, layout);
    std::vector<double> truth_s, found_s;
    std::vector<const Event*> found;
    for (const auto& l : scene.labels) truth_s.push_back(l.time_s);
    for (const Event& e : events)
        if (e.kind == Kind::pop) found_s.push_back(e.time_s), found.push_back(&e);
    cell.labelled += static_cast<int>(truth_s.size());
    LocaliseConfig energy_only;
    energy_only.use_arrival = alt_arrival_sd_us > 0;
    if (alt_arrival_sd_us > 0) energy_only.arrival_sd_us = static_cast<float>(alt_arrival_sd_us);
    for (const Match& m : match_events(truth_s, found_s, 0.010)) {
        const synth::Label& label = scene.labels[m.reference];
        const Event& e = *found[m.estimate];
        const int truth_site = nearest(layout.position_cm, label.position_cm);
        ++cell.matched;
        cell.site_ok += e.channel == truth_site;
        const auto loudest = std::max_element(e.channel_level_db.begin(), e.channel_level_db.begin() + o.sensors);
        cell.loudest_ok += static_cast<int>(loudest - e.channel_level_db.begin()) == truth_site;
        cell.error_cm.push_back(std::abs(e.position_cm - label.position_cm));
        if (e.position_confidence >= 0.8f) ++cell.confident, cell.confident_ok += e.channel == truth_site;
        std::vector<ChannelObservation> obs(static_cast<std::size_t>(o.sensors));
        for (std::size_t k = 0; k < obs.size(); ++k)
            obs[k] = {layout.position_cm[k], e.channel_energy_db[k], e.channel_arrival_ms[k], true};
        const Location energy = localise(obs, scene.sample_rate, energy_only);
        cell.energy_site_ok += energy.channel == truth_site;
        cell.energy_error_cm.push_back(std::abs(energy.position_cm - label.position_cm));
    }
}

std::string pct(int a, int b) { return b ? fmt::format("{:.1f} %", 100.0 * a / b) : "-"; }

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Localisation accuracy on the spine scenario"};
    std::string split_arg = "both";
    int seeds = 3;
    double minutes = 1.5, spacing = 12;
    int rate = 48000;
    std::vector<int> sensor_counts{2, 3, 4, 5};
    app.add_option("--split", split_arg)->check(CLI::IsMember({"dev", "test", "both"}));
    app.add_option("--seeds", seeds);
    app.add_option("--minutes", minutes);
    app.add_option("--rate", rate);
    app.add_option("--spacing-cm", spacing);
    app.add_option("--sensors", sensor_counts)->delimiter(',');
    app.add_option("--alt-arrival-sd-us", alt_arrival_sd_us,
                   "The comparison column: localise again with the arrival term at this scatter (0: off)");
    CLI11_PARSE(app, argc, argv);

    const std::vector<Band> bands{
        {"6-12 dB", 6, 12}, {"12-20 dB", 12, 20}, {"20-30 dB", 20, 30}, {"6-40 dB (all)", 6, 40}};
    std::vector<synth::Split> splits;
    if (split_arg != "test") splits.push_back(synth::Split::dev);
    if (split_arg != "dev") splits.push_back(synth::Split::test);

    fmt::print(
        "| split | sensors | SNR | pops matched / labelled | site correct | median error | p95 error | "
        "conf >= 0.8: share, site correct | with arrival term: site, median | loudest channel site |\n");
    fmt::print("|---|---|---|---|---|---|---|---|---|---|\n");
    for (const synth::Split split : splits) {
        for (const int sensors : sensor_counts) {
            for (const Band& band : bands) {
                Cell cell;
                for (int s = 0; s < seeds; ++s) {
                    synth::Options o;
                    o.scenario = synth::Scenario::spine;
                    o.split = split;
                    o.seed = static_cast<std::uint64_t>(1000 + s);
                    o.minutes = minutes;
                    o.sample_rate = rate;
                    o.sensors = sensors;
                    o.spacing_cm = spacing;
                    o.snr_min_db = band.lo;
                    o.snr_max_db = band.hi;
                    run_file(o, cell);
                }
                fmt::print("| {} | {} | {} | {} / {} | {} | {:.2f} cm | {:.2f} cm | {}, {} | {}, {:.2f} cm | {} |\n",
                           synth::split_name(split), sensors, band.name, cell.matched, cell.labelled,
                           pct(cell.site_ok, cell.matched), percentile(cell.error_cm, 0.5),
                           percentile(cell.error_cm, 0.95), pct(cell.confident, cell.matched),
                           pct(cell.confident_ok, cell.confident), pct(cell.energy_site_ok, cell.matched),
                           percentile(cell.energy_error_cm, 0.5), pct(cell.loudest_ok, cell.matched));
                std::fflush(stdout);
            }
        }
    }
    return 0;
}

// `popwatch synth`: render one labelled recording (audio, pop/clunk labels, the negatives placed)
// into a directory. Thin wiring around datasets/synth.hpp.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "datasets/synth.hpp"
#include "tools/commands.hpp"

namespace popwatch {
namespace {

struct SynthArgs {
    std::string out;
    std::string scenario = "ambient";
    std::string split = "dev";
    std::string stem;
    std::string real_dir = synth::default_real_dir();
    std::uint64_t seed = 1;
    double minutes = 5;
    int rate_hz = 48000;
    bool no_real = false;
    double density = 1;
    double episodes_per_min = -1;  // < 0: the scenario's default
    double clunks_per_min = -1;
    int sensors = 3;  // spine
    double spacing_cm = 12;
};

synth::Options to_options(const SynthArgs& a) {
    synth::Options o;
    o.scenario = synth::parse_scenario(a.scenario);
    o.split = synth::parse_split(a.split);
    o.seed = a.seed;
    o.minutes = a.minutes;
    o.sample_rate = a.rate_hz;
    o.real_dir = a.real_dir;
    o.use_real = !a.no_real;
    o.density = a.density;
    if (a.episodes_per_min >= 0) o.episodes_per_min = a.episodes_per_min;
    if (a.clunks_per_min >= 0) o.clunks_per_min = a.clunks_per_min;
    o.sensors = a.sensors;
    o.spacing_cm = a.spacing_cm;
    return o;
}

int run_synth(const SynthArgs& a) {
    synth::Options options;
    try {
        options = to_options(a);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "popwatch synth: %s\n", e.what());
        return exit_usage;
    }
    const std::string stem =
        a.stem.empty() ? std::string(synth::scenario_name(options.scenario)) + "-" + std::to_string(a.seed) : a.stem;
    try {
        const synth::Scene scene = synth::render(options);
        for (const std::string& path : synth::write_scene(scene, a.out, stem)) std::printf("%s\n", path.c_str());
        if (options.scenario == synth::Scenario::spine)
            std::fprintf(stderr, "analyse with: --sites \"%s\"\n",
                         synth::spine_sites(options.sensors, options.spacing_cm).c_str());
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "popwatch synth: %s\n", e.what());
        return exit_usage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "popwatch synth: %s\n", e.what());
        return exit_failure;
    }
    return exit_ok;
}

}  // namespace

void register_synth(CLI::App& app, int& exit_code) {
    auto args = std::make_shared<SynthArgs>();
    CLI::App* cmd =
        app.add_subcommand("synth",
                           "Render a labelled recording: joint-cavitation pops (knuckle sessions, spinal clusters),\n"
                           "clunks and the office/body sounds that are not pops, from the parametric model of\n"
                           "docs/research/cavitation-acoustics.md. Writes DIR/STEM.wav (32-bit float),\n"
                           "STEM.labels.csv (time_s,kind,episode,site), STEM.labels.txt (Audacity labels) and\n"
                           "STEM.confounders.csv (time_s,duration_s,class); prints each path written. Label time =\n"
                           "the pop's onset (first sample of its excitation). Same options and seed, same files.");
    cmd->add_option("--out", args->out, "Directory to write into (created if needed)")->required();
    cmd->add_option("--seed", args->seed, "Random seed; each seed is a different recording")->capture_default_str();
    cmd->add_option("--minutes", args->minutes, "Length in minutes, up to 180 (demo: always 3)")->capture_default_str();
    cmd->add_option("--scenario", args->scenario,
                    "contact: sensor on the upper back (heartbeat, breathing, rub, own voice);\n"
                    "ambient: desk/laptop mic in an office; negatives: ambient with no pops or\n"
                    "clunks, dense typing/clicks/knocks/speech (for false pops per hour); demo: a\n"
                    "fixed 3-minute office scene with 12 clear pops in 6 episodes and 1 clunk;\n"
                    "spine: --sensors contact sensors along the spine, pops at known positions\n"
                    "(labels get a position_cm column);\n"
                    "dual: two channels, a contact sensor on the upper back (ch1) and the laptop mic\n"
                    "0.4-1.2 m away (ch2, the air reference: analyze --sites \"upper-back,air\");\n"
                    "dual-negatives: the same two sensors, no pops or clunks")
        ->check(CLI::IsMember({"contact", "ambient", "negatives", "demo", "spine", "dual", "dual-negatives"}))
        ->capture_default_str();
    cmd->add_option("--rate", args->rate_hz, "Sample rate in Hz (8000-192000)")
        ->check(CLI::Range(8000, 192000))
        ->capture_default_str();
    cmd->add_option("--stem", args->stem, "File name stem (default: SCENARIO-SEED)");
    cmd->add_option("--split", args->split,
                    "dev or test: test uses the other half of the real clips and shifted\n"
                    "parameter ranges, so a detector tuned on dev meets new material")
        ->check(CLI::IsMember({"dev", "test"}))
        ->capture_default_str();
    cmd->add_flag("--no-real", args->no_real,
                  "Synthetic sounds only (by default real office/foley recordings are mixed in\n"
                  "from --real-dir when it exists; never in demo)");
    cmd->add_option("--real-dir", args->real_dir, "Folder of real recordings (office_events/, game_foley/)")
        ->capture_default_str();
    cmd->add_option("--density", args->density, "Multiplies the rate of every non-pop sound")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--episodes-per-min", args->episodes_per_min,
                    "Pop acts (knuckle sessions, spinal clusters) per minute (contact and ambient;\n"
                    "default: the scenario's)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--clunks-per-min", args->clunks_per_min,
                    "Clunks per minute (contact and ambient; default: the scenario's)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--sensors", args->sensors, "spine: number of sensors (channels), 2-8")
        ->check(CLI::Range(2, 8))
        ->capture_default_str();
    cmd->add_option("--spacing-cm", args->spacing_cm, "spine: distance between neighbouring sensors, cm")
        ->check(CLI::Range(1.0, 40.0))
        ->capture_default_str();
    cmd->callback([args, &exit_code] { exit_code = run_synth(*args); });
}

}  // namespace popwatch

// The two-sensor accuracy benchmark (issue #8): dual recordings (ch1 contact sensor on the upper
// back, ch2 the laptop mic as the air reference; datasets/synth_dual.cpp) scored four ways on the
// same audio:
//   dual          layout "upper-back,air": the dual model while the air channel is healthy;
//   contact only  channel 1 alone (the air channel removed): the single-sensor figure;
//   air only      channel 2 alone, the air mic used as an ambient sensor (what a laptop alone gets);
//   air silenced  layout "upper-back,air" with channel 2 zeroed: the fallback must give the
//                 contact-only figure.
// Test split by default (never tuned on); --split dev for tuning. Also the real DCASE office clips
// of the split's half played in the room: on the air mic as recorded, on the contact sensor
// through the transfer model (20-40 dB lower, low-passed at 1-2 kHz), each over its own floor.
//
//   build/bench/popwatch_dual_accuracy                 # test split: 40 min with pops + 2 h pop-free
//   build/bench/popwatch_dual_accuracy --split dev     # the same on the dev split (tuning)
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "bench/report.hpp"
#include "datasets/scoring.hpp"
#include "datasets/synth.hpp"
#include "datasets/synth_internal.hpp"
#include "dsp/detector.hpp"

using namespace popwatch;
using popwatch::bench::interval_text;
using popwatch::bench::num;
namespace fs = std::filesystem;

namespace {

enum Mode { dual, contact_only, air_only, air_silenced, modes };
constexpr const char* mode_names[modes] = {"dual (contact + air)", "contact only (air removed)",
                                           "air mic only (ambient)", "dual, air channel silent (fallback)"};

SensorLayout dual_layout() {
    SensorLayout l;
    l.air = {false, true};
    return l;
}

std::vector<float> channel(const std::vector<float>& stereo, int c) {
    std::vector<float> out(stereo.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = stereo[2 * i + static_cast<std::size_t>(c)];
    return out;
}

DetectorConfig config;  // the defaults, or --dual-threshold (choose it on dev, report test)

std::vector<Event> run(Mode m, const std::vector<float>& stereo, double fs) {
    switch (m) {
        case dual:
            return detect_all(stereo, fs, 2, config, dual_layout());
        case contact_only:
            return detect_all(channel(stereo, 0), fs, 1);
        case air_only:
            return detect_all(channel(stereo, 1), fs, 1);
        case air_silenced: {
            std::vector<float> x = stereo;
            for (std::size_t i = 1; i < x.size(); i += 2) x[i] = 0;
            return detect_all(x, fs, 2, config, dual_layout());
        }
        case modes:
            break;
    }
    return {};
}

// A real office clip played in the room, as the two sensors hear it.
std::vector<float> clip_in_room(const std::vector<float>& clip, double fs, std::uint64_t seed) {
    std::mt19937_64 r(seed);
    const auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(r); };
    const std::size_t pad = static_cast<std::size_t>(0.5 * fs);
    std::vector<float> air(clip.size() + 2 * pad, 0.0f), body(air.size(), 0.0f);
    float peak = 0;
    for (float v : clip) peak = std::max(peak, std::abs(v));
    if (peak <= 0) return {};
    const double level = std::pow(10.0, uniform(15, 45) / 20) / peak;
    const double body_level = level * std::pow(10.0, -uniform(20, 40) / 20);
    std::vector<float> low = clip;
    synth::internal::lowpass(low, uniform(1000, 2000), fs, 2);
    const auto delay = static_cast<std::size_t>(uniform(0.0005, 0.003) * fs);
    for (std::size_t i = 0; i < clip.size(); ++i) {
        air[pad + i] = static_cast<float>(level * clip[i]);
        body[pad + delay + i] = static_cast<float>(body_level * low[i]);
    }
    synth::internal::add_room_floor(air, fs, seed + 1);
    synth::internal::add_body_floor(body, fs, uniform(2000, 8000), seed + 2);
    const double g_air = std::pow(10.0, uniform(-30, -6) / 20), g_body = std::pow(10.0, uniform(-30, -6) / 20);
    float pa = 0, pb = 0;
    for (std::size_t i = 0; i < air.size(); ++i)
        pa = std::max(pa, std::abs(air[i])), pb = std::max(pb, std::abs(body[i]));
    std::vector<float> stereo(2 * air.size());
    for (std::size_t i = 0; i < air.size(); ++i) {
        stereo[2 * i] = static_cast<float>(body[i] * g_body / pb);
        stereo[2 * i + 1] = static_cast<float>(air[i] * g_air / pa);
    }
    return stereo;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"popwatch two-sensor accuracy: dual recordings with and without the air reference"};
    std::string split_name = "test";
    unsigned jobs = std::thread::hardware_concurrency();
    int pop_files = 8, negative_files = 24;
    double minutes = 5;
    bool real = true;
    app.add_option("--split", split_name, "dev | test")->check(CLI::IsMember({"dev", "test"}));
    app.add_option("--pop-files", pop_files, "dual recordings with pops")->capture_default_str();
    app.add_option("--negative-files", negative_files, "dual-negatives recordings (pop-free office)")
        ->capture_default_str();
    app.add_option("--minutes", minutes, "minutes per recording")->capture_default_str();
    app.add_flag("!--no-real", real, "Skip the real office clips");
    app.add_option("--jobs,-j", jobs, "Files in parallel");
    app.add_option("--dual-threshold", config.dual_pop_threshold, "P(pop) threshold of the dual model")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const synth::Split split = synth::parse_split(split_name);

    struct Item {
        synth::Options o;
    };
    std::vector<Item> items;
    const double rates[] = {48000, 44100, 16000};
    const std::uint64_t base = split == synth::Split::dev ? 1000 : 2000;  // like bench/accuracy
    for (int i = 0; i < pop_files + negative_files; ++i) {
        Item it;
        it.o.split = split;
        it.o.scenario = i < pop_files ? synth::Scenario::dual : synth::Scenario::dual_negatives;
        it.o.seed = base + static_cast<std::uint64_t>(it.o.scenario) * 100 + static_cast<std::uint64_t>(i);
        it.o.minutes = minutes;
        it.o.sample_rate = rates[i % 3];
        items.push_back(it);
    }
    std::vector<std::array<Score, modes>> scores(items.size());
    std::vector<std::array<std::int64_t, modes>> knuckle_pops(items.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::vector<std::thread> threads;
    for (unsigned w = 0; w < std::max(1u, jobs); ++w)
        threads.emplace_back([&] {
            for (std::size_t i = next++; i < items.size(); i = next++) {
                const synth::Scene scene = synth::render(items[i].o);
                const double duration = static_cast<double>(scene.audio.size()) / 2 / scene.sample_rate;
                const auto truth = synth::truth(scene);
                // False pops are blamed on what the deciding channel heard: the contact sensor's
                // levels, or the air mic's when it decides alone.
                const auto on_body = synth::confounders(scene, 0), in_air = synth::confounders(scene, 1);
                for (int m = 0; m < modes; ++m) {
                    const std::vector<Event> events = run(static_cast<Mode>(m), scene.audio, scene.sample_rate);
                    scores[i][static_cast<std::size_t>(m)] =
                        score_file(events, truth, duration, {}, m == air_only ? &in_air : &on_body);
                }
                std::fprintf(stderr, "\r  %zu/%zu files scored ", ++done, items.size());
            }
        });
    for (auto& t : threads) t.join();
    std::fprintf(stderr, "\n");

    fmt::print("Two sensors, {} split: {} dual files with pops and {} pop-free (dual-negatives), {} min each\n\n",
               split_name, pop_files, negative_files, minutes);
    fmt::print(
        "| decided by | pops (lab/det) | pop P | pop R | pop F1 | episode F1 | false pops / h (pop-free, {:.2f} h) "
        "| clunk recall |\n|---|---|---|---|---|---|---|---|\n",
        negative_files * minutes / 60);
    for (int m = 0; m < modes; ++m) {
        std::vector<Score> with_pops, negatives;
        for (std::size_t i = 0; i < items.size(); ++i)
            (static_cast<int>(i) < pop_files ? with_pops : negatives).push_back(scores[i][static_cast<std::size_t>(m)]);
        const Score p = pool(with_pops), n = pool(negatives);
        fmt::print("| {} | {}/{} | {} | {} | {} | {} | {} | {} |\n", mode_names[m], p.pops.reference(),
                   p.pops.detected(), num(p.pops.precision()), num(p.pops.recall()), num(p.pops.f1()),
                   num(p.episodes.f1()), num(n.false_pops_per_negative_hour(), "{:.2f}"), num(p.clunks.recall()));
    }
    // 95 % intervals (datasets/scoring.hpp): the files with pops resampled whole; false pops on the
    // pop-free files, the exact Poisson interval.
    fmt::print(
        "\n95 % intervals (files resampled, 2 000 times; false pops: exact Poisson interval):\n\n"
        "| decided by | pop F1 | pop R | episode F1 | false pops / h (pop-free) |\n|---|---|---|---|---|\n");
    for (int m = 0; m < modes; ++m) {
        std::vector<Score> with_pops, negatives;
        for (std::size_t i = 0; i < items.size(); ++i)
            (static_cast<int>(i) < pop_files ? with_pops : negatives).push_back(scores[i][static_cast<std::size_t>(m)]);
        const Score n = pool(negatives);
        fmt::print("| {} | {} | {} | {} | {} |\n", mode_names[m],
                   interval_text(bootstrap_interval(with_pops, [](const Score& s) { return s.pops.f1(); })),
                   interval_text(bootstrap_interval(with_pops, [](const Score& s) { return s.pops.recall(); })),
                   interval_text(bootstrap_interval(with_pops, [](const Score& s) { return s.episodes.f1(); })),
                   interval_text(poisson_rate_interval(n.negative_false_pops, n.negative_duration_s / 3600), "{:.2f}"));
    }
    fmt::print("\nFalse pops by cause (pop-free files and the files with pops):\n\n| cause |");
    for (int m = 0; m < modes; ++m) fmt::print(" {} |", mode_names[m]);
    fmt::print("\n|---|---|---|---|---|\n");
    std::map<std::string, std::array<std::int64_t, modes>> causes;
    for (std::size_t i = 0; i < items.size(); ++i)
        for (int m = 0; m < modes; ++m)
            for (const auto& [cls, n] : scores[i][static_cast<std::size_t>(m)].false_pops_by_class)
                causes[cls][static_cast<std::size_t>(m)] += n;
    for (const auto& [cls, n] : causes) fmt::print("| {} | {} | {} | {} | {} |\n", cls, n[0], n[1], n[2], n[3]);

    if (real) {
        std::vector<std::string> clips;
        for (std::string& p : synth::real_clips(synth::default_real_dir(), split))
            if (fs::path(p).parent_path().filename() == "office_events") clips.push_back(std::move(p));
        std::array<int, modes> false_pops{};
        std::array<std::map<std::string, int>, modes> by_class;
        double seconds = 0;
        for (std::size_t k = 0; k < clips.size(); ++k) {
            const double fs = 48000;
            const std::vector<float> stereo =
                clip_in_room(synth::internal::load_clip(clips[k], fs), fs, 7000 + static_cast<std::uint64_t>(k));
            if (stereo.empty()) continue;
            seconds += static_cast<double>(stereo.size()) / 2 / fs;
            for (int m = 0; m < modes; ++m)
                for (const Event& e : run(static_cast<Mode>(m), stereo, fs))
                    if (e.kind == Kind::pop) {
                        ++false_pops[static_cast<std::size_t>(m)];
                        ++by_class[static_cast<std::size_t>(m)][synth::internal::real_class(clips[k])];
                    }
        }
        fmt::print(
            "\nReal office sound (DCASE 2016 task 2, the {} split's {} clips, {:.1f} min, all negatives), played in "
            "the room: on the air mic as recorded, on the contact sensor through the transfer model\n\n",
            split_name, clips.size(), seconds / 60);
        fmt::print("| decided by | false pops | per class |\n|---|---|---|\n");
        for (int m = 0; m < modes; ++m) {
            std::string per;
            for (const auto& [cls, n] : by_class[static_cast<std::size_t>(m)])
                per += fmt::format("{}{} {}", per.empty() ? "" : ", ", cls.substr(5), n);
            fmt::print("| {} | {} | {} |\n", mode_names[m], false_pops[static_cast<std::size_t>(m)],
                       per.empty() ? "—" : per);
        }
    }
}

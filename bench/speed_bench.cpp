// Detector throughput (Google Benchmark). Reported as items/s = samples/s per channel, so the
// real-time factor is items_per_second / sample_rate.
//   build/bench/popwatch_speed_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include "datasets/synth.hpp"
#include "dsp/detector.hpp"
#include "test_signals.hpp"

using namespace popwatch;

namespace {

// Ten seconds of quiet noise with a transient every 0.5 s: a busy office for the gate.
std::vector<float> scene(double fs, int channels) {
    auto mono = test::noise(10, fs, 0.002f);
    for (double t = 0.25; t < 9.8; t += 0.5) test::add_pop(mono, fs, t, 0.2f);
    std::vector<float> x(mono.size() * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < mono.size(); ++i)
        for (int c = 0; c < channels; ++c)
            x[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = mono[i];
    return x;
}

void BM_Detector(benchmark::State& state) {
    const double fs = static_cast<double>(state.range(0));
    const int channels = static_cast<int>(state.range(1));
    const auto x = scene(fs, channels);
    Detector d({}, fs, channels);
    std::size_t events = 0;
    const EventHandler count = [&](const Event&) { ++events; };
    for (auto _ : state) {
        for (std::size_t i = 0; i < x.size(); i += 4096 * static_cast<std::size_t>(channels))
            d.process({x.data() + i, std::min(x.size() - i, 4096 * static_cast<std::size_t>(channels))}, count);
        benchmark::DoNotOptimize(events);
    }
    state.SetItemsProcessed(state.iterations() *
                            static_cast<std::int64_t>(x.size() / static_cast<std::size_t>(channels)));
    state.counters["realtime_x"] =
        benchmark::Counter(static_cast<double>(x.size() / static_cast<std::size_t>(channels)) / fs *
                               static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Detector)
    ->Args({48000, 1})
    ->Args({44100, 1})
    ->Args({16000, 1})
    ->Args({48000, 4})
    ->Args({192000, 1})
    ->Unit(benchmark::kMillisecond);

// The quiet case: what `listen` costs while nothing happens.
void BM_DetectorSilence(benchmark::State& state) {
    const double fs = 48000;
    const auto x = test::noise(10, fs, 0.001f);
    Detector d({}, fs, 1);
    const EventHandler none = [](const Event&) {};
    for (auto _ : state)
        for (std::size_t i = 0; i < x.size(); i += 480)
            d.process({x.data() + i, std::min<std::size_t>(480, x.size() - i)}, none);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
    state.counters["realtime_x"] =
        benchmark::Counter(10.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DetectorSilence)->Unit(benchmark::kMillisecond);

// A busy office: one minute of the synthesiser's pop-free office scene (seed 77, 48 kHz, as the
// whole-file benchmark's busy hour but rendered for one minute). About 580 candidates are
// decided, so this measures stage 2 (features and the tree ensembles) more than the gate.
void BM_DetectorBusyOffice(benchmark::State& state) {
    synth::Options o;
    o.scenario = synth::Scenario::negatives;
    o.seed = 77;
    o.minutes = 1;
    o.sample_rate = 48000;
    static const auto scene = synth::render(o);
    const auto& x = scene.audio;
    std::size_t events = 0;  // every decided candidate: pop, clunk or other
    const EventHandler count = [&](const Event&) { ++events; };
    for (auto _ : state) {
        Detector d({}, o.sample_rate, 1);  // a fresh detector each pass: the same candidates each time
        for (std::size_t i = 0; i < x.size(); i += 4096)
            d.process({x.data() + i, std::min<std::size_t>(4096, x.size() - i)}, count);
        d.finish(count);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(x.size()));
    state.counters["realtime_x"] =
        benchmark::Counter(60.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["events_per_min"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_DetectorBusyOffice)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Detection latency through the real capture path, from a pop's true onset to its event reaching
// listen's sinks (where the printer writes and flushes the row).
//
// A loopback in one process: a PortAudio output stream plays pops into the default output while
// the same PortAudioInput + Monitor as `popwatch listen` capture the default input. With
// tests/live/pulse.sh running, the output is the null sink "virt" and the input its monitor, so
// a pop is "heard" when the sound server renders it. Its true onset is taken from the output
// callback: now + (outputBufferDacTime - currentTime) + offset in the buffer / rate, i.e. when
// PortAudio says the sample leaves the DAC. Both ends are timed on the monotonic clock.
//
// Each latency splits in two:
//   detector = audio the detector consumed after the onset before deciding (session time of
//              the next frame to analyse at delivery - event onset): lookahead + features;
//   capture  = the rest: the sound server's and ALSA's buffering, PortAudio's callback period,
//              the ring and the analysis thread's poll.
//
// Usage: popwatch_listen_latency [--seconds 40] [--period 0.8] [--input-latency-ms 50] [--quick]
#include <fmt/format.h>
#include <portaudio.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

#include "capture/live_source.hpp"
#include "tools/monitor.hpp"

using namespace popwatch;
using Clock = std::chrono::steady_clock;

namespace {

double mono_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

// Plays quiet noise and, once started, one pop every `period` seconds; records each pop's onset.
struct Emitter {
    double rate = 48000;
    std::int64_t period_frames = 0;
    std::vector<float> pop;                   // the pop's waveform (tests/dsp/test_signals.hpp's add_pop)
    std::atomic<std::int64_t> first_pop{-1};  // output frame of the first pop; -1: not yet
    std::int64_t frame = 0;                   // callback-owned
    std::uint32_t noise = 12345;              // callback-owned LCG state
    std::vector<double> onsets = std::vector<double>(4096);  // monotonic s, written by the callback
    std::atomic<std::size_t> emitted{0};
    std::atomic<std::int64_t> frames_out{0};

    static int callback(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo* time,
                        PaStreamCallbackFlags, void* user) {
        auto* self = static_cast<Emitter*>(user);
        auto* out = static_cast<float*>(output);
        const double now = mono_s();
        const double dac_delay = time->outputBufferDacTime > 0 ? time->outputBufferDacTime - time->currentTime : 0;
        const std::int64_t first = self->first_pop.load(std::memory_order_acquire);
        for (unsigned long i = 0; i < frames; ++i, ++self->frame) {
            self->noise = self->noise * 1664525u + 1013904223u;
            float x = 0.001f * (static_cast<float>(self->noise >> 8) / 8388608.0f - 1.0f);
            if (first >= 0 && self->frame >= first) {
                const std::int64_t k = (self->frame - first) % self->period_frames;
                if (k == 0) {
                    const std::size_t n = self->emitted.load(std::memory_order_relaxed);
                    if (n < self->onsets.size()) {
                        self->onsets[n] = now + dac_delay + static_cast<double>(i) / self->rate;
                        self->emitted.store(n + 1, std::memory_order_release);
                    }
                }
                if (k < static_cast<std::int64_t>(self->pop.size())) x += self->pop[static_cast<std::size_t>(k)];
            }
            out[i] = x;
        }
        self->frames_out.store(self->frame, std::memory_order_release);
        return paContinue;
    }
};

struct Detection {
    double delivered;  // monotonic s
    double onset_s;    // session time of the onset
    double decided_s;  // session time of the next frame to analyse at delivery
};

struct TimingSink : Sink {
    const Monitor* monitor = nullptr;
    std::atomic<bool> started{false};
    std::vector<Detection> detections;
    void on_start(const std::string&, double, int) override { started = true; }
    void on_event(const Event& e) override {
        if (e.kind == Kind::pop) detections.push_back({mono_s(), e.time_s, monitor->position_s()});
    }
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const double at = p * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(at);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (at - static_cast<double>(lo));
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 40, period = 0.8, input_latency_ms = 50;
    CLI::App app{"Detection latency of popwatch listen through the real capture path (a PortAudio loopback)"};
    app.add_option("--seconds", seconds, "How long to run")->capture_default_str();
    app.add_option("--period", period, "Seconds between pops (must exceed the latency)")->capture_default_str();
    app.add_option("--input-latency-ms", input_latency_ms,
                   "Suggested input latency, as listen --buffer-ms (0: the device's default low)")
        ->capture_default_str();
    bool quick = false;
    app.add_flag("--quick", quick,
                 "Decide as listen --quick does (12 ms lookahead; its buffering and poll unless "
                 "--input-latency-ms is given)");
    CLI11_PARSE(app, argc, argv);
    if (quick && app.count("--input-latency-ms") == 0) input_latency_ms = quick_buffer_s * 1e3;

    Emitter emitter;
    emitter.period_frames = static_cast<std::int64_t>(period * emitter.rate);
    for (int i = 0; i < static_cast<int>(0.012 * emitter.rate); ++i) {
        const double t = i / emitter.rate;
        emitter.pop.push_back(
            static_cast<float>(0.3 * std::exp(-t / 0.0012) * std::sin(2 * std::numbers::pi * 1800 * t) +
                               0.09 * std::exp(-t / 0.0006) * std::sin(2 * std::numbers::pi * 1800 * 2.3 * t)));
    }

    if (Pa_Initialize() != paNoError) return 4;
    const PaDeviceIndex out_dev = Pa_GetDefaultOutputDevice();
    if (out_dev == paNoDevice) {
        std::fprintf(stderr, "no default output device (start tests/live/pulse.sh and set XDG_RUNTIME_DIR)\n");
        return 3;
    }
    PaStreamParameters out{};
    out.device = out_dev;
    out.channelCount = 1;
    out.sampleFormat = paFloat32;
    out.suggestedLatency = Pa_GetDeviceInfo(out_dev)->defaultLowOutputLatency;
    PaStream* stream = nullptr;
    if (Pa_OpenStream(&stream, nullptr, &out, emitter.rate, paFramesPerBufferUnspecified, paNoFlag, &Emitter::callback,
                      &emitter) != paNoError ||
        Pa_StartStream(stream) != paNoError) {
        std::fprintf(stderr, "cannot open the output stream\n");
        return 4;
    }
    const double output_latency = Pa_GetStreamInfo(stream)->outputLatency;

    PortAudioOptions in;
    in.sample_rate = emitter.rate;
    in.latency_s = input_latency_ms / 1000;
    PortAudioInput input(in);
    TimingSink sink;
    MonitorOptions options;
    options.duration_s = seconds;
    options.detector.quick = quick;
    options.poll_s = listen_poll_s(quick, in.latency_s > 0 ? in.latency_s : 0.01);  // as listen does
    Monitor monitor(input, {&sink}, options);
    sink.monitor = &monitor;

    // Pops start one second after audio flows in, so none is lost to the input's start.
    std::atomic<bool> stop{false};
    std::thread starter([&] {
        while (!sink.started && !stop) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        emitter.first_pop = emitter.frames_out.load() + static_cast<std::int64_t>(emitter.rate);
    });
    SessionStats stats;
    try {
        stats = monitor.run(stop);
    } catch (const DeviceError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        stop = true;
        starter.join();
        return 3;
    }
    stop = true;
    starter.join();
    const double input_latency = input.reported_latency_s();
    Pa_AbortStream(stream);
    Pa_CloseStream(stream);
    Pa_Terminate();

    // Each detection belongs to the latest pop emitted before it (pops are `period` apart).
    const std::size_t emitted = emitter.emitted.load();
    std::vector<double> total, detector, capture;
    for (const Detection& d : sink.detections) {
        double onset = -1;
        for (std::size_t i = 0; i < emitted; ++i)
            if (emitter.onsets[i] < d.delivered) onset = emitter.onsets[i];
        if (onset < 0 || d.delivered - onset > period) continue;
        total.push_back(d.delivered - onset);
        detector.push_back(d.decided_s - d.onset_s);
        capture.push_back(total.back() - detector.back());
    }
    fmt::print("pops played {}, detected {}, matched {}; input overflows {}, ring overruns {}\n", emitted,
               sink.detections.size(), total.size(), stats.input_overflows, stats.ring_overruns);
    fmt::print("PortAudio reported latency: input {:.1f} ms, output {:.1f} ms\n", input_latency * 1e3,
               output_latency * 1e3);
    fmt::print("{:<10} {:>8} {:>8} {:>8} {:>8}   (ms)\n", "", "median", "p95", "min", "max");
    const auto row = [](const char* name, const std::vector<double>& v) {
        fmt::print("{:<10} {:8.1f} {:8.1f} {:8.1f} {:8.1f}\n", name, percentile(v, 0.5) * 1e3,
                   percentile(v, 0.95) * 1e3, percentile(v, 0) * 1e3, percentile(v, 1) * 1e3);
    };
    row("total", total);
    row("detector", detector);
    row("capture", capture);
    return total.empty() ? 1 : 0;
}

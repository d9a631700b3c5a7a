#include "capture/live_source.hpp"

#include <portaudio.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>

#include "capture/quiet_stderr.hpp"
#include "capture/ring.hpp"

namespace popwatch {
namespace {

// One Pa_Initialize / Pa_Terminate pair. A fresh session rescans the devices.
class PaSession {
   public:
    PaSession() {
        QuietStderr quiet;
        const PaError err = Pa_Initialize();
        if (err != paNoError) throw DeviceError(std::string("cannot start PortAudio: ") + Pa_GetErrorText(err));
    }
    ~PaSession() {
        QuietStderr quiet;
        Pa_Terminate();
    }
    PaSession(const PaSession&) = delete;
    PaSession& operator=(const PaSession&) = delete;
};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::vector<InputDevice> enumerate() {
    std::vector<InputDevice> out;
    const PaDeviceIndex def = Pa_GetDefaultInputDevice();
    const PaDeviceIndex n = Pa_GetDeviceCount();
    for (PaDeviceIndex i = 0; i < n; ++i) {
        const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
        if (!info || info->maxInputChannels < 1) continue;
        const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
        out.push_back({i, info->name ? info->name : "?", api && api->name ? api->name : "?", info->maxInputChannels,
                       info->defaultSampleRate, i == def});
    }
    return out;
}

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// `spec`: empty (the default input), an index, or a case-insensitive part of a name. An exact
// name wins over partial matches; several partial matches are an error that names them.
InputDevice resolve(const std::string& spec) {
    const auto devices = enumerate();
    if (devices.empty())
        throw DeviceError("no audio input device found (is a microphone connected? is the sound server running?)");
    if (spec.empty()) {
        for (const auto& d : devices)
            if (d.is_default) return d;
        throw DeviceError("no default input device (choose one with --device; `popwatch devices` lists them)");
    }
    if (all_digits(spec)) {
        const int index = std::atoi(spec.c_str());
        for (const auto& d : devices)
            if (d.index == index) return d;
        throw DeviceError("no input device with index " + spec + " (`popwatch devices` lists them)");
    }
    const std::string want = lower(spec);
    std::vector<InputDevice> partial;
    for (const auto& d : devices) {
        if (lower(d.name) == want) return d;
        if (lower(d.name).find(want) != std::string::npos) partial.push_back(d);
    }
    if (partial.size() == 1) return partial.front();
    if (partial.empty()) throw DeviceError("no input device matches \"" + spec + "\" (`popwatch devices` lists them)");
    std::string names;
    for (const auto& d : partial)
        names += (names.empty() ? "" : ", ") + std::to_string(d.index) + " \"" + d.name + "\"";
    throw DeviceError("\"" + spec + "\" matches several input devices: " + names + "; give an index or a longer name");
}

}  // namespace

std::vector<InputDevice> list_input_devices() {
    PaSession session;
    return enumerate();
}

// Everything the callback touches lives here, allocated before the stream starts.
struct PortAudioInput::Stream {
    Stream(std::size_t ring_samples, int channels_) : ring(ring_samples), channels(channels_) {}

    // The real-time side: copy, count, return. Nothing here may allocate, lock, block or log.
    static int callback(const void* input, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                        PaStreamCallbackFlags flags, void* user) {
        auto* self = static_cast<Stream*>(user);
        if (flags & paInputOverflow) self->input_overflows.fetch_add(1, std::memory_order_relaxed);
        if (input) {
            const auto n = static_cast<std::size_t>(frames) * static_cast<std::size_t>(self->channels);
            self->ring.write({static_cast<const float*>(input), n}, static_cast<std::size_t>(self->channels));
        }
        self->callbacks.fetch_add(1, std::memory_order_release);
        return paContinue;
    }
    static void finished(void* user) { static_cast<Stream*>(user)->done.store(true, std::memory_order_release); }

    SampleRing ring;
    int channels;
    std::atomic<std::uint64_t> callbacks{0};
    std::atomic<std::uint64_t> input_overflows{0};
    std::atomic<bool> done{false};

    std::unique_ptr<PaSession> session;  // outlives `pa`
    PaStream* pa = nullptr;
    double rate = 0;
    double latency_s = 0;
    std::string name;
};

PortAudioInput::PortAudioInput(PortAudioOptions options) : options_(std::move(options)) {}

PortAudioInput::~PortAudioInput() { close(); }

void PortAudioInput::open() {
    close();
    auto session = std::make_unique<PaSession>();  // a fresh scan: devices may have come or gone
    // After the first open, a device chosen by index is reopened by its name (indexes can change).
    InputDevice device = resolve(resolved_name_.empty() || options_.device.empty() ? options_.device : resolved_name_);
    if (options_.channels < 1) throw DeviceError("--channels must be at least 1");
    if (options_.channels > device.max_input_channels)
        throw DeviceError("\"" + device.name + "\" has " + std::to_string(device.max_input_channels) +
                          " input channel(s); " + std::to_string(options_.channels) + " requested");
    const double rate = options_.sample_rate > 0 ? options_.sample_rate : device.default_rate;
    const PaDeviceInfo* info = Pa_GetDeviceInfo(device.index);

    PaStreamParameters params{};
    params.device = device.index;
    params.channelCount = options_.channels;
    params.sampleFormat = paFloat32;
    params.suggestedLatency = options_.latency_s > 0 ? options_.latency_s : info->defaultLowInputLatency;
    {
        QuietStderr quiet;
        const PaError err = Pa_IsFormatSupported(&params, nullptr, rate);
        if (err != paNoError)
            throw DeviceError("\"" + device.name + "\" cannot record " + std::to_string(options_.channels) +
                              " channel(s) at " + std::to_string(static_cast<long>(rate)) + " Hz (" +
                              Pa_GetErrorText(err) + ")");
    }
    const auto ring_samples =
        static_cast<std::size_t>(options_.ring_s * rate) * static_cast<std::size_t>(options_.channels);
    auto stream = std::make_unique<Stream>(ring_samples, options_.channels);
    PaError err;
    {
        QuietStderr quiet;
        err = Pa_OpenStream(&stream->pa, &params, nullptr, rate, paFramesPerBufferUnspecified, paNoFlag,
                            &Stream::callback, stream.get());
    }
    if (err != paNoError) throw DeviceError("cannot open \"" + device.name + "\": " + Pa_GetErrorText(err));
    Pa_SetStreamFinishedCallback(stream->pa, &Stream::finished);
    {
        QuietStderr quiet;
        err = Pa_StartStream(stream->pa);
    }
    if (err != paNoError) {
        Pa_CloseStream(stream->pa);
        throw DeviceError("cannot start \"" + device.name + "\": " + Pa_GetErrorText(err));
    }
    if (const PaStreamInfo* si = Pa_GetStreamInfo(stream->pa)) stream->latency_s = si->inputLatency;
    stream->rate = rate;
    stream->name = device.name;
    stream->session = std::move(session);
    if (!options_.device.empty()) resolved_name_ = device.name;
    stream_ = std::move(stream);
}

void PortAudioInput::close() noexcept {
    if (!stream_) return;
    {
        QuietStderr quiet;
        // Abort, not stop: a stream whose device vanished may never drain.
        Pa_AbortStream(stream_->pa);
        Pa_CloseStream(stream_->pa);
    }
    stream_.reset();  // the session goes last: Pa_Terminate
}

double PortAudioInput::sample_rate() const { return stream_ ? stream_->rate : 0; }
int PortAudioInput::channels() const { return options_.channels; }
std::string PortAudioInput::name() const { return stream_ ? stream_->name : resolved_name_; }
double PortAudioInput::reported_latency_s() const { return stream_ ? stream_->latency_s : 0; }

std::size_t PortAudioInput::read(std::span<float> out) {
    if (!stream_) return 0;
    const auto ch = static_cast<std::size_t>(options_.channels);
    return stream_->ring.read(out, ch) / ch;
}

InputHealth PortAudioInput::health() const {
    InputHealth h;
    if (!stream_) return h;
    h.callbacks = stream_->callbacks.load(std::memory_order_acquire);
    h.running = !stream_->done.load(std::memory_order_acquire) && Pa_IsStreamActive(stream_->pa) == 1;
    h.input_overflows = stream_->input_overflows.load(std::memory_order_relaxed);
    h.ring_overruns = stream_->ring.overruns();
    return h;
}

}  // namespace popwatch

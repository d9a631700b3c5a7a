// Live audio input: a microphone through PortAudio (callback API), or anything else that can
// hand the analysis thread blocks of interleaved float frames in real time.
//
// The PortAudio callback follows the real-time rules (Bencina; portaudio.h): no allocation, no
// locks, no I/O, no logging. It copies its buffer into a lock-free SPSC ring (ring.hpp) and
// counts, in atomics, the host's input-overflow flags and the samples the ring could not hold.
// Everything else — reading the ring, watching the stream's health, reopening a lost device —
// happens on the analysis thread (tools/monitor.hpp).
//
// PortAudio has no hot-plug notification (PortAudio#750): a lost device shows as a stream that
// went inactive, a heartbeat (callback count) that stopped, or an error. The known workaround is
// to re-initialise PortAudio (Pa_Terminate + Pa_Initialize) to rescan devices, which is what
// every open() does: one PortAudio session per open stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace popwatch {

// One-line, user-facing reason a device could not be listed or opened.
class DeviceError : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

struct InputDevice {
    int index = -1;  // PortAudio's device index (valid until the next rescan)
    std::string name;
    std::string host_api;  // "ALSA", "JACK Audio Connection Kit", ...
    int max_input_channels = 0;
    double default_rate = 0;
    bool is_default = false;  // the default input device
};

// How the stream is doing; counters since open().
struct InputHealth {
    std::uint64_t callbacks = 0;        // heartbeat: advances while audio flows
    bool running = false;               // false once the stream stopped, finished or failed
    std::uint64_t input_overflows = 0;  // buffers flagged paInputOverflow: the host dropped input
    std::uint64_t ring_overruns = 0;    // samples the ring could not hold: analysis fell behind
};

// What the monitor reads from. open() may be called again after close() (device recovery).
class LiveInput {
   public:
    virtual ~LiveInput() = default;
    virtual void open() = 0;            // starts the stream; throws DeviceError
    virtual void close() noexcept = 0;  // stops it; harmless when not open
    virtual double sample_rate() const = 0;
    virtual int channels() const = 0;
    virtual std::string name() const = 0;  // the device actually opened
    // Up to out.size()/channels() whole frames from the ring; returns frames (0 when none waiting).
    virtual std::size_t read(std::span<float> out) = 0;
    virtual InputHealth health() const = 0;
    // A line for the user about the input that is not its loss (a second device came or went,
    // capture/two_devices.hpp); empty when there is none. Polled by the analysis thread.
    virtual std::string next_notice() { return {}; }
    // True when the input itself tells the user about its air channel (a second device going and
    // coming, aligning): the monitor then does not repeat the detector's air-reference switches.
    virtual bool reports_air_state() const { return false; }
};

// Input devices as PortAudio sees them now (initialises and terminates PortAudio).
// Throws DeviceError if PortAudio cannot start.
std::vector<InputDevice> list_input_devices();

struct PortAudioOptions {
    std::string device;      // index, or a case-insensitive part of the name; empty: the default input
    int channels = 1;        // mono by default
    double sample_rate = 0;  // 0: the device's native (default) rate
    double ring_s = 2.0;     // how much audio the ring holds if the analysis thread stalls
    double latency_s = 0;    // suggested input latency; 0: the device's default low latency
};

class PortAudioInput final : public LiveInput {
   public:
    explicit PortAudioInput(PortAudioOptions options);
    ~PortAudioInput() override;
    PortAudioInput(const PortAudioInput&) = delete;
    PortAudioInput& operator=(const PortAudioInput&) = delete;

    void open() override;
    void close() noexcept override;
    double sample_rate() const override;
    int channels() const override;
    std::string name() const override;
    std::size_t read(std::span<float> out) override;
    InputHealth health() const override;
    // The input latency PortAudio reports for the open stream (host buffering before the callback).
    double reported_latency_s() const;

   private:
    struct Stream;
    PortAudioOptions options_;
    std::string resolved_name_;  // after the first open: reopen this device by name
    std::unique_ptr<Stream> stream_;
};

}  // namespace popwatch

// Two capture devices as one input (capture/two_devices.hpp), with fake devices the test fills by
// hand: no sound card, no clocks — the air device's loss is its stream reporting it stopped.
#include "capture/two_devices.hpp"

#include <catch2/catch.hpp>
#include <deque>

#include "../dsp/drift_scene.hpp"
#include "../dsp/test_signals.hpp"

using namespace popwatch;

namespace {

constexpr double rate = 16000;

class ManualInput : public LiveInput {
   public:
    ManualInput(std::string name, double rate) : name_(std::move(name)), rate_(rate) {}
    int fail_opens = 0;  // this many opens throw DeviceError
    bool running = true;
    int opens = 0;

    void deliver(std::span<const float> samples) {
        if (!open_) return;
        queue_.insert(queue_.end(), samples.begin(), samples.end());
        ++callbacks_;
    }
    void open() override {
        ++opens;
        if (fail_opens > 0) {
            --fail_opens;
            throw DeviceError("no input device matches \"" + name_ + "\"");
        }
        open_ = true;
        running = true;
        queue_.clear();
    }
    void close() noexcept override { open_ = false; }
    double sample_rate() const override { return rate_; }
    int channels() const override { return 1; }
    std::string name() const override { return name_; }
    std::size_t read(std::span<float> out) override {
        const std::size_t n = std::min(out.size(), queue_.size());
        std::copy_n(queue_.begin(), n, out.begin());
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        return n;
    }
    InputHealth health() const override {
        InputHealth h;
        h.callbacks = callbacks_;
        h.running = open_ && running;
        return h;
    }
    bool is_open() const { return open_; }

   private:
    std::string name_;
    double rate_;
    bool open_ = false;
    std::deque<float> queue_;
    std::uint64_t callbacks_ = 0;
};

// Drives both fake devices: `seconds` of audio in 20 ms buffers, reading after each; keeps what
// comes out and every notice.
struct Session {
    Session(ManualInput& b, ManualInput& a, TwoDeviceInput& in, const std::vector<float>& src, test::DriftingAir* air_)
        : body(b), air_device(a), input(in), source(src), air(air_) {}
    ManualInput& body;
    ManualInput& air_device;
    TwoDeviceInput& input;
    const std::vector<float>& source;
    test::DriftingAir* air = nullptr;
    std::int64_t body_frames = 0;
    std::vector<float> out_body, out_air, block = std::vector<float>(2 * 2048);
    std::vector<std::string> notices;

    void run(double seconds) {
        std::vector<float> buf(320);
        for (double t = 0; t < seconds; t += 0.02) {
            for (std::size_t i = 0; i < buf.size(); ++i)
                buf[i] = 0.5f * source[static_cast<std::size_t>(body_frames++) % source.size()];
            body.deliver(buf);
            if (air && air_device.is_open()) {
                air->render(buf);
                air_device.deliver(buf);
            }
            for (std::size_t n; (n = input.read(block)) > 0;)
                for (std::size_t i = 0; i < n; ++i)
                    out_body.push_back(block[2 * i]), out_air.push_back(block[2 * i + 1]);
            for (std::string m; !(m = input.next_notice()).empty();) notices.push_back(m);
        }
    }
    bool noticed(const std::string& what) const {
        return std::any_of(notices.begin(), notices.end(),
                           [&](const auto& n) { return n.find(what) != std::string::npos; });
    }
};

std::vector<float> pops_in_noise(double seconds) {
    auto x = test::noise(seconds, rate, 0.0005f);
    for (double t = 1; t < seconds; t += 0.7) test::add_pop(x, rate, t, 0.3f);
    return x;
}

// Frames (from `from`) where each pop peaks on the body and on the air channel, paired.
std::vector<std::pair<long, long>> pop_peaks(const Session& s, double from_s) {
    std::vector<std::pair<long, long>> peaks;
    for (double onset = 1; onset + 0.02 < static_cast<double>(s.out_body.size()) / rate; onset += 0.7) {
        if (onset < from_s) continue;
        const auto a = static_cast<std::size_t>(onset * rate) - 10, b = a + 200;
        std::size_t pb = a, pa = a;
        for (std::size_t i = a; i < b; ++i) {
            if (std::abs(s.out_body[i]) > std::abs(s.out_body[pb])) pb = i;
            if (std::abs(s.out_air[i]) > std::abs(s.out_air[pa])) pa = i;
        }
        peaks.emplace_back(static_cast<long>(pb), static_cast<long>(pa));
    }
    return peaks;
}

TwoDeviceOptions instant_retry() {
    TwoDeviceOptions o;
    o.retry_first_s = 0;  // no waiting in a test: every read may retry the air device
    o.retry_max_s = 0;
    return o;
}

}  // namespace

TEST_CASE("two devices give one stream: body channel, then the air channel aligned to it", "[capture][two-devices]") {
    const auto source = pops_in_noise(60);
    ManualInput body("usb contact", rate), air_device("built-in", rate);
    TwoDeviceInput input(body, air_device, instant_retry());
    input.open();
    CHECK(input.channels() == 2);
    CHECK(input.sample_rate() == rate);
    CHECK(input.name() == "usb contact + built-in");
    // The built-in mic started 37 ms later and its clock runs 80 ppm fast.
    test::DriftingAir air(
        source, rate, rate, 0.037 * rate, [](double) { return 80.0; }, 0.0005f);
    air.echo_gain = 0;
    air.gain = 0.5f;
    Session s(body, air_device, input, source, &air);
    s.run(50);
    CHECK(input.alignment().state == AlignState::locked);
    CHECK(s.noticed("air microphone aligned"));
    REQUIRE(s.out_body.size() > static_cast<std::size_t>(48 * rate));
    const auto peaks = pop_peaks(s, 30);
    REQUIRE(peaks.size() > 20);
    // Within 2 samples at 16 kHz (0.125 ms); without the drift tracking it would be 4 ms by now.
    for (const auto& [b, a] : peaks) CHECK(std::abs(a - b) <= 2);
}

TEST_CASE("the air device going away leaves the body running, single-sensor, until it is back",
          "[capture][two-devices]") {
    const auto source = pops_in_noise(120);
    ManualInput body("usb contact", rate), air_device("built-in", rate);
    TwoDeviceInput input(body, air_device, instant_retry());
    input.open();
    auto air = std::make_unique<test::DriftingAir>(
        source, rate, rate, 0.020 * rate, [](double) { return -50.0; }, 0.0005f);
    air->echo_gain = 0;
    Session s(body, air_device, input, source, air.get());
    s.run(40);
    REQUIRE(input.alignment().state == AlignState::locked);

    air_device.running = false;  // unplugged: its stream stops
    air_device.fail_opens = 3;   // and it is not there for the next three tries
    const std::size_t before = s.out_air.size();
    s.run(5);
    CHECK(s.noticed("air microphone offline — single-sensor mode"));
    CHECK(air_device.opens >= 1 + 3);
    CHECK(s.out_body.size() - before > static_cast<std::size_t>(4 * rate));  // the body never stopped
    CHECK(std::all_of(s.out_air.begin() + static_cast<std::ptrdiff_t>(before) + static_cast<std::ptrdiff_t>(rate),
                      s.out_air.end(), [](float x) { return x == 0; }));
    CHECK(s.noticed("air microphone back — re-aligning"));

    // Back, as a new stream (it was reopened inside the last run): it re-aligns.
    air = std::make_unique<test::DriftingAir>(
        source, rate, rate, static_cast<double>(s.body_frames) + 0.05 * rate, [](double) { return -50.0; }, 0.0005f, 4);
    air->echo_gain = 0;
    s.air = air.get();
    s.notices.clear();
    s.run(40);
    CHECK(input.alignment().state == AlignState::locked);
    CHECK(s.noticed("air microphone aligned"));
    const auto peaks = pop_peaks(s, static_cast<double>(s.out_body.size()) / rate - 15);
    REQUIRE(peaks.size() > 10);
    for (const auto& [b, a] : peaks) CHECK(std::abs(a - b) <= 2);
}

TEST_CASE("an air device that cannot be opened at the start is an error naming it", "[capture][two-devices]") {
    ManualInput body("usb contact", rate), air_device("no-such-mic", rate);
    air_device.fail_opens = 1;
    TwoDeviceInput input(body, air_device);
    try {
        input.open();
        FAIL("open() should have thrown");
    } catch (const DeviceError& e) {
        CHECK(std::string(e.what()).rfind("air microphone: ", 0) == 0);
        CHECK(std::string(e.what()).find("no-such-mic") != std::string::npos);
    }
    CHECK_FALSE(body.is_open());  // nothing left running
}

// The analysis loop of `listen` without a sound card: a fake input delivers a synthetic recording
// faster than real time, can go silent or stop (device loss) and can refuse to reopen.
#include "tools/monitor.hpp"

#include <catch2/catch.hpp>
#include <thread>

#include "../dsp/test_signals.hpp"
#include "dsp/classifier.hpp"

using namespace popwatch;

namespace {

class FakeInput : public LiveInput {
   public:
    // `signal` is interleaved with `channels` channels.
    FakeInput(std::vector<float> signal, double rate, double speed, std::atomic<bool>& stop, int channels = 1)
        : signal_(std::move(signal)), rate_(rate), speed_(speed), stop_(stop), channels_(channels) {}
    bool reports_air = false;  // as a two-device input does

    int fail_opens = 0;             // this many opens after a loss throw DeviceError
    double lose_at_s = -1;          // signal time at which the device goes away (once)
    bool loss_stops_stream = true;  // true: the stream reports it stopped; false: callbacks just stop
    std::uint64_t overflows_per_open = 0, overruns_per_open = 0;
    int opens = 0;

    void open() override {
        ++opens;
        if (lost_ && fail_opens > 0) {
            --fail_opens;
            throw DeviceError("fake: device not found");
        }
        lost_ = false;
        open_ = true;
        opened_at_ = std::chrono::steady_clock::now();
        opened_frame_ = position_;
    }
    void close() noexcept override { open_ = false; }
    double sample_rate() const override { return rate_; }
    int channels() const override { return channels_; }
    bool reports_air_state() const override { return reports_air; }
    std::string name() const override { return "fake mic"; }

    std::size_t read(std::span<float> out) override {
        if (!open_) return 0;
        const auto ch = static_cast<std::size_t>(channels_);
        const std::size_t n = std::min(out.size() / ch, produced() - position_);
        std::copy_n(signal_.begin() + static_cast<std::ptrdiff_t>(position_ * ch), n * ch, out.begin());
        position_ += n;
        if (position_ == frames()) stop_ = true;  // the recording is over: end the session
        return n;
    }
    InputHealth health() const override {
        InputHealth h;
        h.callbacks = produced() / 256;
        h.running = open_ && !(lost_ && loss_stops_stream);
        h.input_overflows = overflows_per_open;
        h.ring_overruns = overruns_per_open;
        return h;
    }

   private:
    std::size_t frames() const { return signal_.size() / static_cast<std::size_t>(channels_); }
    // Frames the "device" has delivered so far: real time × speed since open, up to a loss.
    std::size_t produced() const {
        if (!open_) return position_;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
        auto n = std::min(frames(), opened_frame_ + static_cast<std::size_t>(elapsed * speed_ * rate_));
        if (lose_at_s >= 0) {
            const auto loss = static_cast<std::size_t>(lose_at_s * rate_);
            if (n >= loss && opened_frame_ < loss) {
                n = loss;
                lost_ = true;
            }
        }
        return n;
    }

    std::vector<float> signal_;
    double rate_, speed_;
    std::atomic<bool>& stop_;
    int channels_;
    bool open_ = false;
    mutable bool lost_ = false;
    std::chrono::steady_clock::time_point opened_at_;
    std::size_t opened_frame_ = 0, position_ = 0;
};

struct Recorder : Sink {
    std::vector<Event> events;
    std::vector<Notice> notices;
    int statuses = 0;
    bool ended = false;
    std::string started;
    void on_start(const std::string& name, double, int) override { started = name; }
    void on_event(const Event& e) override { events.push_back(e); }
    void on_notice(const Notice& n) override { notices.push_back(n); }
    void on_status(const SessionStats&) override { ++statuses; }
    void on_end(const SessionStats&) override { ended = true; }
    std::vector<Event> of(Kind kind) const {
        std::vector<Event> out;
        for (const auto& e : events)
            if (e.kind == kind) out.push_back(e);
        return out;
    }
};

// Three pops (the first two one episode), a clunk, over 6 s of quiet noise at 16 kHz.
constexpr double rate = 16000;
std::vector<float> recording() {
    auto x = test::noise(6, rate, 0.001f);
    test::add_pop(x, rate, 0.5);
    test::add_pop(x, rate, 1.1);
    test::add_clunk(x, rate, 2.4);
    test::add_pop(x, rate, 4.6);
    return x;
}

MonitorOptions fast_options() {
    MonitorOptions o;
    o.stall_s = 0.2;
    o.retry_first_s = 0.05;
    o.retry_max_s = 0.2;
    o.status_every_s = 0.05;
    return o;
}

}  // namespace

TEST_CASE("monitor reports every event of a live stream with session times", "[tools][monitor]") {
    std::atomic<bool> stop{false};
    FakeInput input(recording(), rate, 8, stop);
    Recorder sink;
    Monitor monitor(input, {&sink}, fast_options());
    const SessionStats s = monitor.run(stop);

    CHECK(sink.started == "fake mic");
    CHECK(sink.ended);
    CHECK(sink.statuses > 0);
    CHECK(sink.notices.empty());
    const auto pops = sink.of(Kind::pop);
    REQUIRE(pops.size() == 3);
    CHECK(pops[0].time_s == Approx(0.5).margin(0.003));
    CHECK(pops[1].time_s == Approx(1.1).margin(0.003));
    CHECK(pops[2].time_s == Approx(4.6).margin(0.003));
    CHECK(pops[0].episode == 0);
    CHECK(pops[1].episode == 0);
    CHECK(pops[2].episode == 1);
    REQUIRE(sink.of(Kind::clunk).size() == 1);
    CHECK(s.pops == 3);
    CHECK(s.episodes == 2);
    CHECK(s.clunks == 1);
    CHECK(s.monitored_s == Approx(6.0).margin(0.001));  // all of it, including the last decisions
    CHECK(s.offline_gaps == 0);
}

TEST_CASE("monitor recovers from a lost device and leaves the gap out of monitored time", "[tools][monitor]") {
    std::atomic<bool> stop{false};
    FakeInput input(recording(), rate, 4, stop);
    input.lose_at_s = 2.0;  // after the first episode, before the clunk
    input.fail_opens = 2;   // the device is not back at once
    input.overflows_per_open = 1;
    input.overruns_per_open = 100;
    SECTION("the stream stops") { input.loss_stops_stream = true; }
    SECTION("callbacks just stop coming") { input.loss_stops_stream = false; }
    Recorder sink;
    Monitor monitor(input, {&sink}, fast_options());
    const SessionStats s = monitor.run(stop);

    REQUIRE(sink.notices.size() == 2);
    CHECK(sink.notices[0].type == Notice::Type::offline);
    CHECK(sink.notices[0].message.find("microphone offline") != std::string::npos);
    CHECK(sink.notices[1].type == Notice::Type::online);
    CHECK(sink.notices[1].message.find("back online") != std::string::npos);
    CHECK(input.opens == 4);  // first, two refused, the one that worked
    CHECK(s.offline_gaps == 1);
    CHECK(s.offline_s >= 0.05 + 0.1);  // at least the two backoff waits
    CHECK(s.monitored_s == Approx(6.0).margin(0.001));
    CHECK(s.elapsed_s > 6.0 / 4 + s.offline_s - 0.05);
    CHECK(s.input_overflows == 2);  // summed over both streams
    CHECK(s.ring_overruns == 200);

    const auto pops = sink.of(Kind::pop);
    REQUIRE(pops.size() == 3);
    CHECK(pops[0].time_s == Approx(0.5).margin(0.003));
    CHECK(pops[1].time_s == Approx(1.1).margin(0.003));
    // After the gap, times continue from when the device came back; episodes keep counting.
    CHECK(pops[2].time_s > sink.notices[1].at_s);
    CHECK(pops[2].time_s - sink.notices[1].at_s == Approx(4.6 - 2.0).margin(0.05));
    CHECK(pops[2].episode == 1);
    CHECK(s.episodes == 2);
    CHECK(sink.of(Kind::clunk).size() == 1);
}

TEST_CASE("monitor stops after its duration", "[tools][monitor]") {
    std::atomic<bool> stop{false};
    FakeInput input(test::noise(60, rate, 0.001f), rate, 1, stop);
    MonitorOptions o = fast_options();
    o.duration_s = 0.3;
    Recorder sink;
    const auto t0 = std::chrono::steady_clock::now();
    const SessionStats s = Monitor(input, {&sink}, o).run(stop);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(took < 0.6);
    CHECK(s.elapsed_s == Approx(0.3).margin(0.05));
    CHECK(s.monitored_s == Approx(0.3).margin(0.05));
    CHECK(sink.ended);
}

TEST_CASE("monitor stops when asked from another thread", "[tools][monitor]") {
    std::atomic<bool> stop{false};
    std::atomic<bool> never{false};
    FakeInput input(test::noise(60, rate, 0.001f), rate, 1, never);
    Recorder sink;
    // The session's clock starts once the models are built (Monitor::run builds them before it
    // opens the input); build them first so the 200 ms below count from the session's start.
    load_models(fast_options().detector, false);
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        stop = true;
    });
    const SessionStats s = Monitor(input, {&sink}, fast_options()).run(stop);
    stopper.join();
    CHECK(s.elapsed_s == Approx(0.2).margin(0.1));
    CHECK(sink.ended);
}

TEST_CASE("monitor reports a device that cannot be opened at all", "[tools][monitor]") {
    struct Missing : LiveInput {
        void open() override { throw DeviceError("no input device matches \"usb\""); }
        void close() noexcept override {}
        double sample_rate() const override { return 0; }
        int channels() const override { return 1; }
        std::string name() const override { return ""; }
        std::size_t read(std::span<float>) override { return 0; }
        InputHealth health() const override { return {}; }
    } input;
    Recorder sink;
    std::atomic<bool> stop{false};
    CHECK_THROWS_AS(Monitor(input, {&sink}).run(stop), DeviceError);
    CHECK_FALSE(sink.ended);
}

TEST_CASE("monitor tells when the air reference goes silent and comes back, unless the input already does",
          "[tools][monitor]") {
    // Body on channel 1 (the recording), a room microphone on channel 2 that is dead from 2 s to 4 s.
    const auto body = recording();
    const auto room = test::noise(6, rate, 0.002f, 9);
    std::vector<float> stereo(2 * body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
        stereo[2 * i] = body[i];
        const bool dead = i >= static_cast<std::size_t>(2 * rate) && i < static_cast<std::size_t>(4 * rate);
        stereo[2 * i + 1] = dead ? 0.0f : room[i];
    }
    for (const bool input_reports : {false, true}) {
        std::atomic<bool> stop{false};
        FakeInput input(stereo, rate, 8, stop, 2);
        input.reports_air = input_reports;
        Recorder sink;
        MonitorOptions o = fast_options();
        o.layout.air = {false, true};
        Monitor monitor(input, {&sink}, o);
        monitor.run(stop);
        std::vector<std::string> air;
        for (const Notice& n : sink.notices)
            if (n.type == Notice::Type::air_reference) air.push_back(n.message);
        INFO("the input reports its air channel itself: " << input_reports);
        if (input_reports) {
            CHECK(air.empty());
        } else {
            REQUIRE(air.size() == 2);
            CHECK(air[0].find("air reference silent") == 0);
            CHECK(air[1].find("air reference back") == 0);
        }
        // The body sensor was analysed throughout: every body transient is an event.
        for (double t : {0.5, 1.1, 2.4, 4.6})
            CHECK(std::any_of(sink.events.begin(), sink.events.end(),
                              [&](const Event& e) { return std::abs(e.time_s - t) < 0.005 && e.channel == 0; }));
    }
}

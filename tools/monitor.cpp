#include "tools/monitor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <thread>

#include "dsp/classifier.hpp"
#include "dsp/detector.hpp"

namespace popwatch {

Monitor::Monitor(LiveInput& input, std::vector<Sink*> sinks, MonitorOptions options)
    : input_(input), sinks_(std::move(sinks)), options_(std::move(options)) {}

double Monitor::now_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

SessionStats Monitor::run(const std::atomic<bool>& stop) {
    // The models are parsed once per process (a fraction of a second): before the stream runs,
    // not while its ring fills behind the first decision.
    const auto& air = options_.layout.air;
    load_models(options_.detector, std::find(air.begin(), air.end(), true) != air.end());
    input_.open();  // the first open's failure is the caller's: there is nothing to monitor
    start_ = std::chrono::steady_clock::now();
    segment_start_s_ = 0;
    segment_frames_ = 0;

    SessionStats stats;
    std::optional<Detector> detector;
    std::vector<float> block;
    int channels = 1;
    double monitored_before_s = 0;  // closed segments
    std::uint64_t overflows_before = 0, overruns_before = 0;
    int episode_base = 0, last_episode = -1;  // the detector numbers from 0 per segment
    float peak = 0;                           // since the last status
    std::uint64_t last_beat = 0;
    bool beating = false;  // a callback came since the segment started
    double last_beat_s = 0, offline_since_s = 0, next_retry_s = 0, backoff_s = 0, next_status_s = 0;

    const auto notify = [&](Notice::Type type, std::string message) {
        const Notice notice{type, now_s(), std::move(message)};
        for (Sink* s : sinks_) s->on_notice(notice);
    };
    // Built once; the detector calls it without allocating.
    const EventHandler on_event = [&](const Event& e) {
        Event out = e;
        out.time_s += segment_start_s_;
        if (out.episode >= 0) {
            out.episode += episode_base;
            if (out.episode != last_episode) ++stats.episodes, last_episode = out.episode;
        }
        if (out.kind == Kind::pop)
            ++stats.pops;
        else if (out.kind == Kind::clunk)
            ++stats.clunks;
        else
            ++stats.others;
        for (Sink* s : sinks_) s->on_event(out);
    };
    const auto start_segment = [&] {
        rate_ = input_.sample_rate();
        channels = input_.channels();
        detector.emplace(options_.detector, rate_, channels, options_.layout);
        block.assign(options_.block_frames * static_cast<std::size_t>(channels), 0.0f);
        segment_frames_ = 0;
        last_beat = input_.health().callbacks;
        last_beat_s = now_s();
        beating = false;
        stats.online = true;
    };
    bool started = false;
    AirState air_state = AirState::ok;
    const auto feed = [&](std::size_t frames) {
        if (!started) {
            started = true;
            for (Sink* s : sinks_) s->on_start(input_.name(), rate_, channels);
        }
        const std::span<const float> audio(block.data(), frames * static_cast<std::size_t>(channels));
        for (float x : audio) peak = std::max(peak, std::abs(x));
        for (Sink* s : sinks_) s->on_audio(audio, position_s(), rate_, channels);
        segment_frames_ += static_cast<std::int64_t>(frames);  // the detector has this block to decide on
        detector->process(audio, on_event);
        if (detector->has_air_reference() && detector->air_health().state() != air_state) {
            const AirState was = air_state;
            air_state = detector->air_health().state();
            // A two-device input announces its air microphone going and coming in its own words;
            // clipping is only the detector's to tell.
            const bool told = input_.reports_air_state() && was != AirState::clipped && air_state != AirState::clipped;
            if (!told)
                notify(Notice::Type::air_reference,
                       air_state == AirState::ok ? "air reference back: pops are decided with it again"
                       : air_state == AirState::silent
                           ? "air reference silent: deciding from the body sensor alone until it is back"
                           : "air reference clipping: deciding from the body sensor alone until it is back");
        }
    };
    const auto update_counters = [&] {
        const InputHealth h = input_.health();
        stats.input_overflows = overflows_before + h.input_overflows;
        stats.ring_overruns = overruns_before + h.ring_overruns;
        return h;
    };
    const auto end_segment = [&] {
        // Whatever the ring still holds was heard: analyse it before letting go.
        for (std::size_t n; (n = input_.read(block)) > 0;) feed(n);
        detector->finish(on_event);
        stats.bad_samples += detector->bad_samples();
        stats.channel_health.resize(static_cast<std::size_t>(detector->channels()));
        for (int c = 0; c < detector->channels(); ++c)
            stats.channel_health[static_cast<std::size_t>(c)] += detector->channel_health(c);
        update_counters();
        overflows_before = stats.input_overflows;
        overruns_before = stats.ring_overruns;
        monitored_before_s += static_cast<double>(segment_frames_) / rate_;
        segment_frames_ = 0;
        episode_base = std::max(episode_base, last_episode + 1);
        input_.close();
        stats.online = false;
    };
    const auto sleep_s = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };

    start_segment();
    while (!stop.load(std::memory_order_relaxed)) {
        const double now = now_s();
        if (options_.duration_s > 0 && now >= options_.duration_s) break;
        if (now >= next_status_s) {
            if (stats.online) update_counters();
            SessionStats shown = stats;
            shown.elapsed_s = now;
            shown.monitored_s = monitored_before_s + (stats.online ? static_cast<double>(segment_frames_) / rate_ : 0);
            if (!stats.online) shown.offline_s += now - offline_since_s;
            shown.level_dbfs = peak > 0 ? std::max(-120.0f, 20 * std::log10(peak)) : -120.0f;
            peak = 0;
            for (Sink* s : sinks_) s->on_status(shown);
            next_status_s = now + options_.status_every_s;
        }
        if (stats.online) {
            for (std::string m; !(m = input_.next_notice()).empty();) notify(Notice::Type::info, std::move(m));
            if (const std::size_t n = input_.read(block)) {
                feed(n);
                continue;
            }
            const InputHealth h = update_counters();
            if (h.callbacks != last_beat) last_beat = h.callbacks, last_beat_s = now, beating = true;
            std::string why;
            if (!h.running)
                why = "the audio stream stopped";
            else if (now - last_beat_s > (beating ? options_.stall_s : options_.start_grace_s))
                why = fmt::format("no audio for {:.1f} s", now - last_beat_s);
            if (why.empty()) {
                sleep_s(options_.poll_s);
                continue;
            }
            end_segment();
            ++stats.offline_gaps;
            offline_since_s = now;
            backoff_s = options_.retry_first_s;
            next_retry_s = now + backoff_s;
            notify(Notice::Type::offline, fmt::format("microphone offline: {}; reopening it", why));
        } else if (now >= next_retry_s) {
            try {
                input_.open();
            } catch (const DeviceError&) {
                backoff_s = std::min(backoff_s * 2, options_.retry_max_s);
                next_retry_s = now_s() + backoff_s;
                continue;
            }
            const double back = now_s();
            stats.offline_s += back - offline_since_s;
            segment_start_s_ = back;
            start_segment();
            notify(Notice::Type::online,
                   fmt::format("microphone back online after {:.1f} s: {}", back - offline_since_s, input_.name()));
        } else {
            sleep_s(std::min(0.05, next_retry_s - now));
        }
    }

    const double end = now_s();
    if (stats.online) {
        end_segment();
    } else {
        stats.offline_s += end - offline_since_s;
    }
    stats.elapsed_s = end;
    stats.monitored_s = monitored_before_s;
    stats.online = false;
    for (Sink* s : sinks_) s->on_end(stats);
    return stats;
}

}  // namespace popwatch

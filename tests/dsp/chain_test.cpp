// The act's chain rule (DetectorConfig::pop_chain_threshold, dsp/classifier.hpp): a candidate the
// model is less sure of is a pop when it is chained to a confident pop of the same act.
#include <catch2/catch.hpp>
#include <vector>

#include "datasets/synth.hpp"
#include "dsp/classifier.hpp"
#include "dsp/detector.hpp"

using namespace popwatch;

namespace {

Event candidate(double t, float p, Kind kind) {
    Event e;
    e.time_s = t;
    e.pop_probability = p;
    e.kind = kind;
    e.features[Features::centroid_hz] = 900;  // its onset adds energy
    return e;
}

std::vector<Kind> kinds(const std::vector<Event>& events) {
    std::vector<Kind> out;
    for (const Event& e : events) out.push_back(e.kind);
    return out;
}

}  // namespace

TEST_CASE("weaker pops chained to a confident pop of their act are pops and lone ones are not", "[dsp][chain]") {
    DetectorConfig c;
    REQUIRE(c.pop_chain_threshold < c.pop_threshold);
    const float weak = (c.pop_chain_threshold + c.pop_threshold) / 2, below = c.pop_chain_threshold - 0.05f;
    std::vector<Event> events{
        candidate(0.480, weak, Kind::other),   // before the pop, 20 ms: joins (the rule looks forward)
        candidate(0.500, 0.99f, Kind::pop),    // the anchor
        candidate(0.512, weak, Kind::other),   // joins
        candidate(0.530, below, Kind::other),  // under pop_chain_threshold: stays other
        candidate(0.560, 0.1f, Kind::clunk),   // a clunk stays a clunk, and the chain runs through it
        candidate(0.600, weak, Kind::other),   // joins, through the clunk
        candidate(0.640, weak, Kind::other),   // 140 ms from the anchor: joins
        candidate(0.680, weak, Kind::other),   // 180 ms: beyond pop_chain_span_s
        candidate(2.000, 0.99f, Kind::pop),    // another act
        candidate(2.060, weak, Kind::other),   // 60 ms gap: not chained
        candidate(5.000, weak, Kind::other),   // alone
    };
    std::vector<Event> dual = events;
    CHECK(apply_pop_chains(events, c) == 4);
    CHECK(kinds(events) == std::vector<Kind>{Kind::pop, Kind::pop, Kind::pop, Kind::other, Kind::clunk, Kind::pop,
                                             Kind::pop, Kind::other, Kind::pop, Kind::other, Kind::other});
    CHECK(events[2].confidence == weak);

    // The dual model's decisions by its own pair of thresholds; not the quick models'; none
    // when the chain threshold reaches the threshold.
    for (Event& e : dual) e.air = AirPath::dual;
    DetectorConfig same = c, dual_off = c, quick = c, off = c;
    same.dual_pop_threshold = c.pop_threshold;
    same.dual_pop_chain_threshold = c.pop_chain_threshold;
    std::vector<Event> again = dual;
    CHECK(apply_pop_chains(again, same) == 4);
    dual_off.dual_pop_chain_threshold = dual_off.dual_pop_threshold;
    again = dual;
    CHECK(apply_pop_chains(again, dual_off) == 0);
    quick.quick = true;
    off.pop_chain_threshold = off.pop_threshold;
    for (Event& e : dual) e.air = AirPath::none;
    again = dual;
    CHECK(apply_pop_chains(again, quick) == 0);
    again = dual;
    CHECK(apply_pop_chains(again, off) == 0);
}

TEST_CASE("the detector applies the chain rule as it streams exactly as on the whole file", "[dsp][chain]") {
    // Contact scenes with spinal clusters: detected with the rule off and the rule applied to the
    // whole file afterwards, and detected with the rule on in 333-frame blocks, the events are the
    // same. Some pops are there only by the rule, and some of those joined a pop that came after
    // them, which the detector must wait for (a wide band between the two thresholds, so that
    // there are such pops in a few minutes).
    DetectorConfig on;
    on.pop_threshold = 0.99f;
    on.pop_chain_threshold = 0.5f;
    DetectorConfig off = on;
    off.pop_chain_threshold = 1;
    std::size_t joined = 0, joined_forward = 0;
    for (std::uint64_t seed : {4242u, 4243u, 4244u}) {
        synth::Options o;
        o.scenario = synth::Scenario::contact;
        o.seed = seed;
        o.minutes = 2;
        o.sample_rate = 16000;
        o.episodes_per_min = 6;
        o.use_real = false;
        const synth::Scene scene = synth::render(o);
        const std::vector<Event> before = detect_all(scene.audio, scene.sample_rate, scene.channels, off);
        std::vector<Event> whole = before;
        joined += apply_pop_chains(whole, on);
        // Joined with no anchor in the 150 ms before it: only a later pop can have made it one.
        for (std::size_t i = 0; i < whole.size(); ++i) {
            if (whole[i].kind == before[i].kind) continue;
            bool anchor_before = false;
            for (std::size_t k = 0; k < i; ++k)
                anchor_before |=
                    before[k].kind == Kind::pop && whole[i].time_s - before[k].time_s <= on.pop_chain_span_s;
            joined_forward += !anchor_before;
        }

        Detector d(on, scene.sample_rate, scene.channels);
        std::vector<Event> streamed;
        const EventHandler keep = [&](const Event& e) { streamed.push_back(e); };
        for (std::size_t i = 0; i < scene.audio.size(); i += 333)
            d.process({scene.audio.data() + i, std::min<std::size_t>(333, scene.audio.size() - i)}, keep);
        d.finish(keep);
        REQUIRE(streamed.size() == whole.size());
        for (std::size_t i = 0; i < whole.size(); ++i) {
            CHECK(streamed[i].time_s == whole[i].time_s);
            CHECK(streamed[i].kind == whole[i].kind);
            CHECK(streamed[i].episode == whole[i].episode);
            if (streamed[i].kind != before[i].kind)
                CHECK(explain(streamed[i], on).find("reported as a pop") != std::string::npos);
        }
    }
    INFO(joined << " candidates joined an act, " << joined_forward << " of them by a later pop");
    CHECK(joined > 0);
    CHECK(joined_forward > 0);
}

// The dual scenarios (issue #8): one scene heard by two sensors at once.
//   channel 1: a contact sensor on the upper back (the contact scenario's sensor and body noise);
//   channel 2: the laptop's own microphone at distance d from the wearer (the air reference).
//
// Transfer model (each sound is rendered once and reaches both channels through a stated path;
// levels in dB over each channel's own stationary floor, which has RMS 1 as in synth.cpp):
//  - Body-borne pops and clunks (spine, neck): the same source through the contact coupling on
//    ch1 (act SNR + site offset: upper-back 0, neck -4, lower-back -8 dB) and radiated into the
//    room on ch2 (spine_on_air: weak below ~150 Hz, more click), attenuated by
//        air_loss = 13 dB (air mic at 5 cm vs contact, row 20) + 20 log10(d / 5 cm) (spherical
//                   spreading: +18 dB at 0.4 m, +28 dB at 1.2 m) - 15 dB (the room's floor is
//                   quieter than the contact sensor's body+sensor floor [I]) + N(0, 3) per event,
//    i.e. 16-26 dB under the contact SNR: faint in the air, often under its floor; and delayed by
//    d / 343 m/s (1.2-3.5 ms). d is drawn per file, uniform in 0.4-1.2 m.
//  - Knuckle pops are air-borne sounds made at the hands: on ch2 at their ambient level (15-35 dB)
//    and on ch1 through hand, arm and trunk: 10-20 dB lower and low-passed at 0.8-1.5 kHz (tissue),
//    within +-1 ms of the air. They are NOT labelled pops here: with a back sensor the air channel
//    never names an event (issue #8), and a knuckle crack is then as air-borne as a mouse click
//    (the single-air-mic problem the air reference exists to avoid). The user who wears a back
//    sensor is tracking back and neck cracking; knuckles are counted by an air mic used alone.
//    They are placed as confounders "knuckle_pop", so reporting one counts as a false pop.
//  - Air-borne office sound (typing, mouse, claps, knocks, footsteps, snaps, colleagues' speech
//    and coughs, the hands' rustle, real DCASE office clips): on ch2 at the ambient scenario's
//    levels, through the room (reflections and tail); on ch1 20-40 dB lower, low-passed at
//    1-2 kHz (2nd order: clothing and tissue), 0.5-3 ms later (the source is nearer the laptop).
//    Digital clicks (the laptop's own audio path) are on ch2 only.
//  - The wearer's own speech and cough: bone-conducted on ch1 (low-passed 0.8-1.5 kHz, 25-45 dB)
//    and air-borne on ch2 (20-40 dB), d / 343 later. Chair creaks: through the chair back on ch1
//    (5-20 dB) and 5-15 dB lower in the air.
//  - Body-only sounds on ch1: heartbeat, breathing, strap rub, thrust motion (<50 Hz).
//  - Each channel gets its own floor (body + sensor noise with drift; room noise) and its own
//    peak level (two devices, two gains).
// Dev / test split as in synth.cpp: the generators' split ranges, the real clips' halves, and the
// random streams seeded from (seed, split, scenario).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numbers>
#include <random>
#include <stdexcept>

#include "datasets/synth.hpp"
#include "datasets/synth_internal.hpp"

namespace popwatch::synth {
namespace {

namespace in = internal;
constexpr double speed_of_sound_m_s = 343;

double db_gain(double db) { return std::pow(10.0, db / 20.0); }

class Rand {
   public:
    explicit Rand(std::uint64_t seed) : e_(seed) {}
    double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(e_); }
    double normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(e_); }
    double exponential(double mean) { return std::exponential_distribution<double>(1.0 / mean)(e_); }
    int integer(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(e_); }
    bool chance(double p) { return uniform(0, 1) < p; }
    std::uint64_t bits() { return e_(); }

   private:
    std::mt19937_64 e_;
};

// Event rates per minute [I], as synth.cpp's ambient / negatives scenarios, plus the body's own.
struct DualRates {
    double pop_acts, clunks, knuckle_sessions, failed_spinal;
    double typing_share, colleague_typing_share, mouse, clap, knock, walk, speech, cough, creak, snap;
    double digital_click, real, rustle, own_speech, rub;
};

DualRates dual_rates(bool negatives) {
    if (negatives) return {0, 0, 0, 0.4, 0.55, 0.25, 12, 1, 1.5, 1, 5, 1, 2, 1, 1, 8, 0.4, 2.5, 3};
    return {1.5, 0.15, 0.3, 0.3, 0.35, 0, 6, 0.3, 0.6, 0.5, 3, 0.5, 1, 0.3, 0.3, 4, 0.3, 2.5, 3};
}

std::size_t at_sample(double t_s, double fs) { return static_cast<std::size_t>(std::llround(std::max(0.0, t_s) * fs)); }

double energy_power(const std::vector<float>& s, double fs) {
    const double d20 = minus20_duration_s(s, fs);
    const std::size_t n = std::clamp<std::size_t>(at_sample(d20, fs), 1, s.size());
    double e = 0;
    for (std::size_t i = 0; i < n; ++i) e += double(s[i]) * s[i];
    return e / double(n);
}

class DualScene {
   public:
    DualScene(const Options& o, std::uint64_t seed)
        : fs(o.sample_rate),
          duration_s(o.minutes * 60),
          split(o.split),
          body(at_sample(duration_s, fs), 0.0f),
          air(body.size(), 0.0f),
          r_(seed) {
        distance_m = r_.uniform(0.4, 1.2);
        contact_lowpass_hz = r_.uniform(2000, 8000);
    }

    const double fs, duration_s;
    const Split split;
    double distance_m = 1, contact_lowpass_hz = 4000;
    std::vector<float> body, air;  // event layers; floors come last
    std::vector<Label> labels;
    std::vector<Confounder> confounders;

    std::uint64_t seed() { return r_.bits(); }
    Rand& rand() { return r_; }
    double air_delay_s() const { return distance_m / speed_of_sound_m_s; }
    double air_loss_db() { return 13 + 20 * std::log10(distance_m / 0.05) - 15 + r_.normal(0, 3); }

    static void add(std::vector<float>& ch, const std::vector<float>& s, std::size_t at, double gain) {
        if (at >= ch.size()) return;
        const std::size_t n = std::min(s.size(), ch.size() - at);
        for (std::size_t i = 0; i < n; ++i) ch[at + i] += static_cast<float>(gain * s[i]);
    }

    // Air-borne: peak `level_db` over the air floor on ch2; 20-40 dB lower, low-passed and later
    // on ch1.
    void airborne(std::vector<float> s, double t, double level_db, const std::string& cls) {
        if (s.empty() || t < 0 || t >= duration_s) return;
        add(air, s, at_sample(t, fs), db_gain(level_db));
        std::vector<float> air_envelope = in::block_peaks(s, db_gain(level_db), fs);
        in::lowpass(s, r_.uniform(1000, 2000), fs, 2);
        const double body_gain = db_gain(level_db - r_.uniform(20, 40));
        add(body, s, at_sample(t + r_.uniform(0.0005, 0.003), fs), body_gain);
        confounders.push_back(
            {t, double(s.size()) / fs, cls, {in::block_peaks(s, body_gain, fs), std::move(air_envelope)}});
    }
    void air_only(const std::vector<float>& s, double t, double level_db, const std::string& cls) {
        if (s.empty() || t < 0 || t >= duration_s) return;
        add(air, s, at_sample(t, fs), db_gain(level_db));
        confounders.push_back({t, double(s.size()) / fs, cls, {{}, in::block_peaks(s, db_gain(level_db), fs)}});
    }
    // Body-borne, not a pop: on ch1 at `body_db`, on ch2 at `air_db` after the air delay (air_db
    // below -100: body only).
    void body_sound(const std::vector<float>& s, const std::vector<float>& s_air, double t, double body_db,
                    double air_db, const std::string& cls) {
        if (s.empty() || t < 0 || t >= duration_s) return;
        const bool in_air = air_db > -100;
        add(body, s, at_sample(t, fs), db_gain(body_db));
        if (in_air) add(air, s_air, at_sample(t + air_delay_s(), fs), db_gain(air_db));
        confounders.push_back({t,
                               double(s.size()) / fs,
                               cls,
                               {in::block_peaks(s, db_gain(body_db), fs),
                                in_air ? in::block_peaks(s_air, db_gain(air_db), fs) : std::vector<float>{}}});
    }
    // A labelled pop or clunk: per-event SNR (synth.hpp's definition) on the contact sensor, and
    // `air_snr_db` on the air mic. Returns the contact rendering's -20 dB duration.
    double event(const in::SensorPair& p, double t, double contact_snr_db, double air_snr_db, Kind kind,
                 const std::string& site) {
        const std::size_t at = at_sample(t, fs);
        if (p.contact.empty() || at + at_sample(0.02, fs) >= body.size()) return 0;
        const double pc = energy_power(p.contact, fs), pa = energy_power(p.air, fs);
        if (pc <= 0 || pa <= 0) return 0;
        add(body, p.contact, at, std::sqrt(std::pow(10.0, contact_snr_db / 10) / pc));
        add(air, p.air, at_sample(t + air_delay_s(), fs), std::sqrt(std::pow(10.0, air_snr_db / 10) / pa));
        Label l;
        l.time_s = double(at) / fs;
        l.kind = kind;
        l.site = site;
        l.duration_s = minus20_duration_s(p.contact, fs);
        l.snr_db = contact_snr_db;
        labels.push_back(l);
        return l.duration_s;
    }

   private:
    Rand r_;
};

template <class Place>
void poisson(Rand& r, double per_min, double duration_s, Place place) {
    if (per_min <= 0) return;
    for (double t = r.exponential(60 / per_min); t < duration_s; t += r.exponential(60 / per_min)) place(t);
}

// Act SNR on the contact sensor, as Builder::draw_snr_db (split means 20 / 18 dB, sd 7 / 8).
double act_snr(DualScene& s, const Options& o) {
    const double mean = s.split == Split::dev ? 20 : 18, sd = s.split == Split::dev ? 7 : 8;
    for (int i = 0; i < 64; ++i) {
        const double v = s.rand().normal(mean, sd);
        if (v >= o.snr_min_db && v <= o.snr_max_db) return v;
    }
    return std::clamp(mean, o.snr_min_db, o.snr_max_db);
}

// A spinal thrust: 1-5 pops (2-9 low in the back) 6-39 ms apart over a motion transient (rows 2-6).
double spinal_act(DualScene& s, const Options& o, double t0) {
    Rand& r = s.rand();
    const double u = r.uniform(0, 1);
    const std::string site = u < 0.45 ? "neck" : u < 0.85 ? "upper-back" : "lower-back";
    const double offset = site == "upper-back" ? 0 : site == "neck" ? -4 : -8;
    const double snr = act_snr(s, o), loss = s.air_loss_db() + (site == "lower-back" ? 3 : 0);
    const std::vector<float> motion = in::body_sound("motion", s.fs, s.seed());
    s.body_sound(motion, motion, t0, snr + r.uniform(0, 15), snr - loss - r.uniform(10, 20), "motion");
    // Pops per thrust (research note rows 4-6): the lower back 2-9; the neck as C3/4, where 18 %
    // of thrusts give a single pop (without it the dual model learned that a lone pop on the body
    // is a knuckle crack heard through the arm, and rejected it); the upper back 2-5.
    const auto neck_pops = [&] {
        const double v = r.uniform(0, 1);
        return v < 0.18 ? 1 : v < 0.62 ? 2 : v < 0.82 ? 3 : v < 0.96 ? 4 : 5;
    };
    const int n = site == "lower-back" ? r.integer(2, 9) : site == "neck" ? neck_pops() : r.integer(2, 5);
    const double centre = in::spine_f1_hz(s.split, s.seed());
    double t = t0 + r.uniform(0.02, 0.06);
    for (int i = 0; i < n; ++i) {
        const double f1 = std::clamp(centre * std::exp(r.normal(0, 0.15)), 86.0, 1830.0);
        const double contact = std::clamp(snr + offset + r.normal(0, 2.5), o.snr_min_db, o.snr_max_db);
        const double d20 = s.event(in::spinal_pop(s.fs, s.split, s.seed(), f1, s.contact_lowpass_hz), t, contact,
                                   contact - offset - loss + r.normal(0, 2), Kind::pop, site);
        t += std::clamp(std::max(r.uniform(0.01, 0.035), d20 + 0.001), 0.006, 0.039);
    }
    return t + 0.1;
}

// Knuckle cracking: 1-6 cracks 0.3-2 s apart, loud in the air, weak and dull on the back.
double knuckle_act(DualScene& s, double t0) {
    Rand& r = s.rand();
    const int cracks = r.integer(1, 6);
    double t = t0;
    for (int i = 0; i < cracks; ++i) {
        in::SensorPair p = in::knuckle_pop(s.fs, s.split, s.seed(), s.contact_lowpass_hz);
        in::lowpass(p.contact, r.uniform(800, 1500), s.fs, 2);
        const double level = r.uniform(15, 35), body_gain = db_gain(level - r.uniform(10, 20));
        DualScene::add(s.air, p.air, at_sample(t, s.fs), db_gain(level));
        DualScene::add(s.body, p.contact, at_sample(t + r.uniform(-0.001, 0.001), s.fs), body_gain);
        s.confounders.push_back(
            {t,
             double(p.air.size()) / s.fs,
             "knuckle_pop",
             {in::block_peaks(p.contact, body_gain, s.fs), in::block_peaks(p.air, db_gain(level), s.fs)}});
        t += r.uniform(0.3, 2.0);
    }
    return t;
}

void add_acts(DualScene& s, const Options& o, const DualRates& rates) {
    Rand& r = s.rand();
    const double episodes = o.episodes_per_min.value_or(rates.pop_acts);
    if (episodes > 0)
        for (double t = 1 + r.exponential(60 / episodes); t < s.duration_s - 3; t += r.exponential(60 / episodes))
            t = std::max(t, spinal_act(s, o, t) + 1.0);
    poisson(r, rates.knuckle_sessions, s.duration_s - 3, [&](double t) { knuckle_act(s, t); });
    poisson(r, o.clunks_per_min.value_or(rates.clunks), s.duration_s - 1, [&](double t) {
        const double snr = act_snr(s, o);
        s.event(in::clunk(s.fs, s.split, s.seed(), s.contact_lowpass_hz), t, snr, snr - s.air_loss_db() - 6,
                Kind::clunk, r.chance(0.5) ? "upper-back" : "neck");
    });
    poisson(r, rates.failed_spinal, s.duration_s, [&](double t) {
        const double snr = act_snr(s, o);
        const std::vector<float> motion = in::body_sound("motion", s.fs, s.seed());
        s.body_sound(motion, motion, t, snr + r.uniform(0, 15), -200, "motion");
    });
}

void typing(DualScene& s, double share, double lo_db, double hi_db) {
    if (share <= 0) return;
    Rand& r = s.rand();
    const double mean_burst_s = 8.5, mean_idle_s = mean_burst_s * (1 - share) / share;
    for (double t = r.exponential(mean_idle_s); t < s.duration_s;) {
        const double length_s = r.uniform(2, 15), level = r.uniform(lo_db, hi_db);
        const std::uint64_t keyboard = s.seed();
        const double interval_s = 1 / in::keys_per_s(s.split, s.seed());
        for (double k = t; k < std::min(t + length_s, s.duration_s);) {
            s.airborne(in::keystroke(s.fs, s.split, keyboard, s.seed()), k, level + r.normal(0, 2.5), "keyboard");
            k += interval_s * std::exp(r.normal(-0.08, 0.4));
            if (r.chance(0.12)) k += r.uniform(0.2, 0.7);
        }
        t += length_s + r.exponential(mean_idle_s);
    }
}

void add_office(DualScene& s, const Options& o, const DualRates& rates) {
    Rand& r = s.rand();
    const double d = o.density;
    const auto sound = [&](const char* cls) { return in::office_sound(cls, s.fs, s.split, s.seed()); };
    typing(s, rates.typing_share * d, 18, 38);
    typing(s, rates.colleague_typing_share * d, 10, 25);
    poisson(r, rates.mouse * d, s.duration_s,
            [&](double t) { s.airborne(sound("mouse"), t, r.uniform(15, 35), "mouse"); });
    poisson(r, rates.clap * d, s.duration_s, [&](double t) {
        const int claps = r.chance(0.7) ? 1 : r.integer(2, 5);
        for (int i = 0; i < claps; ++i)
            s.airborne(sound("clap"), t + i * r.uniform(0.3, 0.6), r.uniform(30, 50), "clap");
    });
    poisson(r, rates.knock * d, s.duration_s,
            [&](double t) { s.airborne(sound("knock"), t, r.uniform(25, 48), "knock"); });
    poisson(r, rates.walk * d, s.duration_s, [&](double t) {
        const int steps = r.integer(2, 8);
        const double level = r.uniform(8, 28), interval = 1 / r.uniform(1.6, 2.2);
        for (int i = 0; i < steps; ++i)
            s.airborne(sound("footstep"), t + i * interval,
                       level + 6 * std::sin(std::numbers::pi * (i + 0.5) / steps) - 6, "footstep");
    });
    poisson(r, rates.speech * d, s.duration_s, [&](double t) {
        s.airborne(in::speech(s.fs, r.uniform(1, 6), in::voice_f0_hz(s.split, s.seed()), s.seed()), t,
                   r.uniform(18, 40), "speech");
    });
    poisson(r, rates.cough * d, s.duration_s, [&](double t) {
        const bool own = r.chance(0.5);
        const int coughs = r.integer(1, 3);
        for (int i = 0; i < coughs; ++i) {
            std::vector<float> c = sound("cough");
            const double at = t + i * r.uniform(0.3, 0.7), level = r.uniform(28, 48);
            if (own)
                s.body_sound(c, c, at, level, level - r.uniform(0, 10), "cough");
            else
                s.airborne(std::move(c), at, level, "cough");
        }
    });
    poisson(r, rates.creak * d, s.duration_s, [&](double t) {
        const std::vector<float> c = sound("creak");
        const double level = r.uniform(5, 20);
        s.body_sound(c, c, t, level, level - r.uniform(5, 15), "creak");
    });
    poisson(r, rates.snap * d, s.duration_s,
            [&](double t) { s.airborne(sound("snap"), t, r.uniform(25, 45), "snap"); });
    poisson(r, rates.digital_click * d, s.duration_s,
            [&](double t) { s.air_only(sound("digital_click"), t, r.uniform(10, 45), "digital_click"); });
    poisson(r, rates.rustle * d, s.duration_s, [&](double t) {
        const int attempts = r.integer(1, 6);
        for (int i = 0; i < attempts; ++i)
            s.airborne(sound("knuckle_attempt"), t + i * r.uniform(0.3, 2.0), r.uniform(5, 20), "knuckle_attempt");
    });
    // Real DCASE office clips, this split's half, played in the room.
    std::vector<std::string> clips;
    if (o.use_real && !o.real_dir.empty())
        for (std::string& p : real_clips(o.real_dir, s.split))
            if (std::filesystem::path(p).parent_path().filename() == "office_events") clips.push_back(std::move(p));
    std::map<std::string, std::vector<float>> cache;
    if (!clips.empty())
        poisson(r, rates.real * d, s.duration_s, [&](double t) {
            const std::string& path = clips[std::size_t(r.integer(0, int(clips.size()) - 1))];
            auto it = cache.find(path);
            if (it == cache.end()) it = cache.emplace(path, in::load_clip(path, s.fs)).first;
            std::vector<float> clip = it->second;
            float peak = 0;
            for (float v : clip) peak = std::max(peak, std::abs(v));
            if (peak <= 0) return;
            for (float& v : clip) v /= peak;
            s.airborne(std::move(clip), t, r.uniform(15, 45), in::real_class(path));
        });
}

void add_body(DualScene& s, const DualRates& rates, double density) {
    Rand& r = s.rand();
    const double bpm = r.uniform(60, 90), heart_db = r.uniform(12, 26);
    for (double t = r.uniform(0, 1); t < s.duration_s; t += 60 / bpm * (1 + r.normal(0, 0.03))) {
        const std::vector<float> h = in::body_sound("heartbeat", s.fs, s.seed());
        s.body_sound(h, h, t, heart_db + r.normal(0, 1), -200, "heartbeat");
    }
    const double breath_db = r.uniform(4, 14);
    for (double t = r.uniform(0, 2); t < s.duration_s;) {
        const std::vector<float> b = in::body_sound("breath", s.fs, s.seed());
        s.body_sound(b, b, t, breath_db + r.normal(0, 1), -200, "breath");
        t += double(b.size()) / s.fs + r.uniform(0.5, 1.5);
    }
    poisson(r, rates.rub * density, s.duration_s, [&](double t) {
        const std::vector<float> b = in::body_sound("rub", s.fs, s.seed());
        s.body_sound(b, b, t, r.uniform(8, 30), -200, "rub");
    });
    const double own_f0 = in::voice_f0_hz(s.split, s.seed());
    poisson(r, rates.own_speech * density, s.duration_s, [&](double t) {
        std::vector<float> voice = in::speech(s.fs, r.uniform(1, 6), own_f0 * r.uniform(0.95, 1.05), s.seed());
        std::vector<float> bone = voice;
        in::lowpass(bone, r.uniform(800, 1500), s.fs, 2);
        float peak = 0;
        for (float v : bone) peak = std::max(peak, std::abs(v));
        if (peak > 0)
            for (float& v : bone) v /= peak;
        s.body_sound(bone, voice, t, r.uniform(25, 45), r.uniform(20, 40), "speech");
    });
}

void scale_peak(std::vector<float>& x, double target) {
    float peak = 0;
    for (float v : x) peak = std::max(peak, std::abs(v));
    if (peak > 0)
        for (float& v : x) v = static_cast<float>(v * target / peak);
}

}  // namespace

Scene render_dual(const Options& o) {
    if (!(o.minutes > 0 && o.minutes <= 180)) throw std::invalid_argument("minutes must be in (0, 180]");
    const bool negatives = o.scenario == Scenario::dual_negatives;
    const std::uint64_t seed =
        in::derive_seed(in::derive_seed(o.seed, o.split == Split::dev ? 0 : 1), static_cast<std::uint64_t>(o.scenario));
    const DualRates rates = dual_rates(negatives);
    DualScene s(o, in::derive_seed(seed, 1));
    if (!negatives) add_acts(s, o, rates);
    add_office(s, o, rates);
    add_body(s, rates, o.density);

    in::apply_room(s.air, s.fs, s.split, in::derive_seed(seed, 5));
    in::add_body_floor(s.body, s.fs, s.contact_lowpass_hz, in::derive_seed(seed, 4));
    in::apply_drift(s.body, s.fs, in::derive_seed(seed, 6));
    in::add_room_floor(s.air, s.fs, in::derive_seed(seed, 7));
    Rand level(in::derive_seed(seed, 8));
    scale_peak(s.body, db_gain(level.uniform(o.peak_min_dbfs, o.peak_max_dbfs)));
    scale_peak(s.air, db_gain(level.uniform(o.peak_min_dbfs, o.peak_max_dbfs)));

    Scene scene;
    scene.sample_rate = s.fs;
    scene.channels = 2;
    scene.audio.resize(2 * s.body.size());
    for (std::size_t i = 0; i < s.body.size(); ++i) scene.audio[2 * i] = s.body[i], scene.audio[2 * i + 1] = s.air[i];
    scene.labels = std::move(s.labels);
    scene.confounders = std::move(s.confounders);
    const auto by_time = [](const auto& x, const auto& y) { return x.time_s < y.time_s; };
    std::stable_sort(scene.labels.begin(), scene.labels.end(), by_time);
    std::stable_sort(scene.confounders.begin(), scene.confounders.end(), by_time);
    std::vector<double> pops;
    for (const Label& l : scene.labels)
        if (l.kind == Kind::pop) pops.push_back(l.time_s);
    const std::vector<int> episodes = group_episodes(pops, 2.0);
    std::size_t k = 0;
    for (Label& l : scene.labels) l.episode = l.kind == Kind::pop ? episodes[k++] : -1;
    return scene;
}

}  // namespace popwatch::synth

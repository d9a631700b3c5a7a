#include "dsp/localise.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

namespace popwatch {
namespace {

constexpr std::size_t max_grid = 1024;

struct Usable {
    std::array<float, max_localise_channels> position{}, energy{}, arrival{};
    std::array<int, max_localise_channels> index{};
    int n = 0, timed = 0;
};

// Energy term at x: residual (dB^2) of E_k = S - alpha r_k with S free and alpha from the
// penalised closed form, clamped to its bounds.
float energy_cost(const Usable& u, float x, const LocaliseConfig& c, float& alpha_out) {
    std::array<float, max_localise_channels> r{};
    float mean_r = 0, mean_e = 0;
    for (int k = 0; k < u.n; ++k) {
        const float d = x - u.position[k];
        r[k] = std::sqrt(c.depth_cm * c.depth_cm + d * d);
        mean_r += r[k], mean_e += u.energy[k];
    }
    mean_r /= static_cast<float>(u.n), mean_e /= static_cast<float>(u.n);
    float s_er = 0, s_rr = 0;
    for (int k = 0; k < u.n; ++k) {
        s_er += (u.energy[k] - mean_e) * (r[k] - mean_r);
        s_rr += (r[k] - mean_r) * (r[k] - mean_r);
    }
    // minimise sum (e_k + alpha rho_k)^2 + w (alpha - alpha0)^2
    float alpha = (c.prior_weight_cm2 * c.prior_db_per_cm - s_er) / (s_rr + c.prior_weight_cm2);
    alpha = std::clamp(alpha, c.min_db_per_cm, c.max_db_per_cm);
    float cost = c.prior_weight_cm2 * (alpha - c.prior_db_per_cm) * (alpha - c.prior_db_per_cm);
    for (int k = 0; k < u.n; ++k) {
        const float e = (u.energy[k] - mean_e) + alpha * (r[k] - mean_r);
        cost += e * e;
    }
    alpha_out = alpha;
    return cost;
}

// Arrival term at x, in units of the arrival scatter squared: t_k = t0 + r_k / speed, t0 free.
float arrival_cost(const Usable& u, float x, const LocaliseConfig& c) {
    std::array<float, max_localise_channels> residual{};
    float mean = 0;
    int m = 0;
    for (int k = 0; k < u.n; ++k) {
        if (!std::isfinite(u.arrival[k])) continue;
        const float d = x - u.position[k];
        const float travel_ms = std::sqrt(c.depth_cm * c.depth_cm + d * d) * 10.0f / c.speed_m_s;  // cm -> ms
        residual[static_cast<std::size_t>(m)] = u.arrival[k] - travel_ms;
        mean += residual[static_cast<std::size_t>(m++)];
    }
    mean /= static_cast<float>(m);
    const float sd_ms = c.arrival_sd_us * 1e-3f;
    float cost = 0;
    for (int k = 0; k < m; ++k) {
        const float e = (residual[static_cast<std::size_t>(k)] - mean) / sd_ms;
        cost += e * e;
    }
    return cost;
}

}  // namespace

Location localise(std::span<const ChannelObservation> channels, double sample_rate, const LocaliseConfig& c) {
    Location out;
    Usable u;
    for (std::size_t i = 0; i < channels.size() && u.n < max_localise_channels; ++i) {
        const ChannelObservation& o = channels[i];
        if (!o.usable || !std::isfinite(o.position_cm) || !std::isfinite(o.energy_db)) continue;
        u.position[u.n] = o.position_cm;
        u.energy[u.n] = o.energy_db;
        u.arrival[u.n] = o.arrival_ms;
        u.index[u.n] = static_cast<int>(i);
        u.timed += std::isfinite(o.arrival_ms);
        ++u.n;
    }
    if (u.n < 2) return out;
    const auto [lo_it, hi_it] = std::minmax_element(u.position.begin(), u.position.begin() + u.n);
    const float lo = *lo_it - c.margin_cm, hi = *hi_it + c.margin_cm;
    if (!(hi - lo > 0)) return out;  // every sensor at one position: nothing to compare
    const float step = std::max(c.step_cm, (hi - lo) / static_cast<float>(max_grid - 1));
    const auto points = std::min(max_grid, static_cast<std::size_t>((hi - lo) / step) + 1);

    const float span_samples = (*hi_it - *lo_it) * 0.01f / c.speed_m_s * static_cast<float>(sample_rate);
    const bool timed = c.use_arrival && u.timed >= 2 && span_samples >= c.min_tdoa_samples;

    std::array<float, max_grid> cost{};
    std::array<float, max_grid> alpha{};
    std::size_t best = 0;
    float energy_at_best = 0;
    for (std::size_t g = 0; g < points; ++g) {
        const float x = lo + step * static_cast<float>(g);
        const float e = energy_cost(u, x, c, alpha[g]);
        cost[g] = e / (c.level_sd_db * c.level_sd_db) + (timed ? arrival_cost(u, x, c) : 0.0f);
        if (cost[g] < cost[best]) best = g, energy_at_best = e;
    }
    if (best == 0) energy_at_best = energy_cost(u, lo, c, alpha[0]);

    // A profile the model cannot explain (residual well above the expected scatter) widens the
    // likelihood by the ratio, instead of looking certain.
    const float dof = static_cast<float>(std::max(1, u.n - 2));
    const float misfit = std::max(1.0f, energy_at_best / dof / (c.level_sd_db * c.level_sd_db));

    // Parabolic refinement of the minimum.
    float x_best = lo + step * static_cast<float>(best);
    if (best > 0 && best + 1 < points) {
        const float a = cost[best - 1], b = cost[best], d = cost[best + 1];
        const float denom = a - 2 * b + d;
        if (denom > 0) x_best += step * std::clamp(0.5f * (a - d) / denom, -0.5f, 0.5f);
    }
    out.position_cm = x_best;
    out.db_per_cm = alpha[best];

    int nearest = 0;
    for (int k = 1; k < u.n; ++k)
        if (std::abs(u.position[k] - x_best) < std::abs(u.position[nearest] - x_best)) nearest = k;
    out.channel = u.index[nearest];

    // Likelihood over the grid (cost is -2 log L up to a constant).
    double total = 0, in_site = 0, mean = 0, square = 0;
    for (std::size_t g = 0; g < points; ++g) {
        const float x = lo + step * static_cast<float>(g);
        const double w = std::exp(-0.5 * static_cast<double>(cost[g] - cost[best]) / misfit);
        total += w, mean += w * x, square += w * x * x;
        int near = 0;
        for (int k = 1; k < u.n; ++k)
            if (std::abs(u.position[k] - x) < std::abs(u.position[near] - x)) near = k;
        if (near == nearest) in_site += w;
    }
    mean /= total;
    out.spread_cm = static_cast<float>(std::sqrt(std::max(0.0, square / total - mean * mean)));
    out.confidence = static_cast<float>(in_site / total);
    return out;
}

}  // namespace popwatch

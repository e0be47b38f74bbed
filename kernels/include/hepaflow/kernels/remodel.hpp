#pragma once
// Per-segment disease and therapy dynamics (MODEL.md §4-5), written once for both backends: the
// MSC effect with threshold and plateau, one implicit-Euler remodelling step of every segment's
// ODEs, the effective radius, and a counter-based random number so a stochastic choice (reopening)
// depends only on (seed, step, segment id) — identical on every backend and in any order.
#include <cmath>
#include <cstdint>

#include "hepaflow/kernels/host_device.hpp"

namespace hepaflow::kernels::remodel {

/// Uniform number in [0, 1) from (seed, step, id, stream): SplitMix64's finaliser (Steele, Lea &
/// Flood 2014, "Fast splittable pseudorandom number generators") applied to a mix of the four.
HF_HOST_DEVICE inline double hash_uniform(std::uint64_t seed, std::uint64_t step, std::uint64_t id,
                                          std::uint64_t stream) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + step * 0xD1B54A32D192ED03ull + id * 0x8CB92BA72F3D8DD7ull +
                    stream * 0xABC98388FB8FAC03ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);  // 53 bits
}

/// MSC effect with threshold and plateau (MODEL.md §5; PARAMETERS.md §7.3 step 4):
/// E = E_max x^h / (EC50^h + x^h), x = max(0, X - X_th).
HF_HOST_DEVICE inline double msc_effect(double exposure, double threshold, double ec50, double emax, double hill) {
  const double x = exposure - threshold;
  if (!(x > 0)) return 0.0;
  const double xh = std::pow(x, hill);
  return emax * xh / (std::pow(ec50, hill) + xh);
}

/// The hepatocyte function index a segment's tissue tends to (MODEL.md §5): oxygen-limited, lowered
/// by injury that the MSC effect attenuates: f = P_t / (P_t + K_f) (1 - min(1, I) / (1 + E)), P_t
/// clamped at 0 (NaN: no supply, 0).
HF_HOST_DEVICE inline double function_target(double tissue_po2, double half_po2, double injury, double effect) {
  const double p_t = std::isfinite(tissue_po2) ? (tissue_po2 > 0 ? tissue_po2 : 0.0) : 0.0;
  return p_t / (p_t + half_po2) * (1.0 - (injury < 1.0 ? injury : 1.0) / (1.0 + effect));
}

/// Rate constants (1/s) and couplings of one remodelling step.
struct RemodelParameters {
  double dt = 0;                 ///< step [s]
  std::uint64_t seed = 1, step = 0;
  double k_tone = 0, k_relax = 0, k_act = 0, k_deact = 0, k_deg = 0, k_refen = 0, k_reopen = 0, k_function = 0;
  double waning_time = 0;        ///< exposure decay time constant [s]
  double threshold = 0, ec50 = 1, emax = 0, hill = 1;  ///< effect (exposure in cells s m^-3)
  double vegf_half = 0.5;        ///< K_v
  double function_half_po2 = 10; ///< K_f [mmHg]
  double tone_narrowing = 0, capillarization_narrowing = 0, constriction = 0;
  double maturation_time = 1;    ///< [s]
  double time_after = 0;         ///< time at the end of the step [s] (sprout ages)
};

/// Per-segment arrays. State (in/out): activation a, tone tau, capillarization c, collagen CPA,
/// closed (0/1), exposure X, function f. Fixed per segment: the coefficients that make the stage
/// preset a steady state (MODEL.md §5 with the preset's values), base and mature radius, birth time.
struct RemodelFields {
  const std::int64_t* segment_id = nullptr;
  double* activation = nullptr;
  double* tone = nullptr;
  double* capillarization = nullptr;
  double* collagen = nullptr;
  double* closed = nullptr;
  double* exposure = nullptr;       ///< [cells s m^-3]
  double* effect = nullptr;         ///< out: E after the step
  double* function = nullptr;       ///< hepatocyte function index f (NaN: no tissue)
  double* radius = nullptr;         ///< out: effective radius [m]
  const double* injury = nullptr;           ///< I: drives activation, k_act I (1 - a)
  const double* tone_target = nullptr;      ///< tau_disease
  const double* collagen_gain = nullptr;    ///< deposition per activation [1/s]
  const double* collagen_basal = nullptr;   ///< basal degradation [1/s]
  const double* capillarization_gain = nullptr;   ///< k_cap per activation [1/s]
  const double* capillarization_basal = nullptr;  ///< basal refenestration [1/s]
  const double* remodels = nullptr;         ///< 1: tone and capillarization narrow this segment (sinusoid-like)
  const double* base_radius = nullptr;      ///< r0 [m] (sprouts: their initial radius)
  const double* mature_radius = nullptr;    ///< sprouts: radius they grow to [m]
  const double* birth_time = nullptr;       ///< sprouts: time of creation [s]; NaN for the original network
  const double* signal = nullptr;           ///< mean MSC concentration over the step [cells m^-3]
  const double* vegf = nullptr;             ///< VEGF index (MODEL.md §5)
  const double* tissue_po2 = nullptr;       ///< mean tissue PO2 of the segment's tissue [mmHg] (NaN: none)
};

/// One step of every ODE of MODEL.md §5, implicit Euler in the linear terms (stable for any dt:
/// the HSC tone relaxes in hours, the step is a day):
///   exposure  dX/dt = S - X / T_w              (exact for S constant over the step)
///   tone      dtau/dt = (tau_d - tau) k_tone - k_relax E tau
///   activation da/dt = k_act I (1 - a) - k_deact (1 + E) a
///   collagen  dCPA/dt = g_col a - (b_col + k_deg E) CPA          (b_col = k_deg where the preset is active)
///   capillar. dc/dt = g_cap a (1 - c) - (b_cap + k_refen E) c
///   function  df/dt = k_f (P_t / (P_t + K_f) (1 - min(1, I) / (1 + E)) - f)
/// then reopening (closed -> open with probability 1 - exp(-k_reopen E g(VEGF) (1 - CPA) dt),
/// g = VEGF / (K_v + VEGF)) and the effective radius
///   r = r0 (1 - kappa_tone a tau)(1 - kappa_cap c)(1 - constriction),
/// with r0 of a sprout growing from its initial to its mature radius with the maturation time.
HF_HOST_DEVICE inline void remodel_segment(std::int64_t s, const RemodelParameters& p, const RemodelFields& f) {
  const double dt = p.dt;
  // Exposure to MSC, waning (PARAMETERS.md §7.3 step 3 with a decay).
  const double decay = std::exp(-dt / p.waning_time);
  const double x = f.exposure[s] * decay + f.signal[s] * p.waning_time * (1.0 - decay);
  f.exposure[s] = x;
  const double e = msc_effect(x, p.threshold, p.ec50, p.emax, p.hill);
  f.effect[s] = e;
  const double injury = f.injury[s];
  const double tau = (f.tone[s] + dt * p.k_tone * f.tone_target[s]) / (1.0 + dt * (p.k_tone + p.k_relax * e));
  const double a = (f.activation[s] + dt * p.k_act * injury) / (1.0 + dt * (p.k_act * injury + p.k_deact * (1.0 + e)));
  const double cpa = (f.collagen[s] + dt * f.collagen_gain[s] * a) / (1.0 + dt * (f.collagen_basal[s] + p.k_deg * e));
  const double c = (f.capillarization[s] + dt * f.capillarization_gain[s] * a) /
                   (1.0 + dt * (f.capillarization_gain[s] * a + f.capillarization_basal[s] + p.k_refen * e));
  f.tone[s] = tau;
  f.activation[s] = a;
  f.collagen[s] = cpa;
  f.capillarization[s] = c;
  // Hepatocyte function (MODEL.md §5): oxygen-limited, lowered by injury that MSC attenuate.
  if (std::isfinite(f.function[s])) {
    const double target = function_target(f.tissue_po2[s], p.function_half_po2, injury, e);
    f.function[s] = (f.function[s] + dt * p.k_function * target) / (1.0 + dt * p.k_function);
  }
  // Reopening of closed sinusoids.
  if (f.closed[s] != 0.0 && e > 0) {
    const double v = f.vegf[s] > 0 ? f.vegf[s] : 0.0;
    const double rate = p.k_reopen * e * v / (p.vegf_half + v) * (1.0 - (cpa < 1.0 ? cpa : 1.0));
    const double probability = 1.0 - std::exp(-rate * dt);
    if (hash_uniform(p.seed, p.step, static_cast<std::uint64_t>(f.segment_id[s]), 2) < probability) f.closed[s] = 0.0;
  }
  // Effective radius (MODEL.md §4).
  double r0 = f.base_radius[s];
  if (std::isfinite(f.birth_time[s])) {
    const double age = p.time_after - f.birth_time[s];
    r0 = f.mature_radius[s] - (f.mature_radius[s] - r0) * std::exp(-age / p.maturation_time);
  }
  double r = r0 * (1.0 - p.constriction);
  if (f.remodels[s] != 0.0) r *= (1.0 - p.tone_narrowing * a * tau) * (1.0 - p.capillarization_narrowing * c);
  f.radius[s] = r;
}

}  // namespace hepaflow::kernels::remodel

#pragma once
// Oxygen-transport laws of MODEL.md §3 as pure inline functions, compiled for both backends (g++ and
// nvcc, inside HF_HOST_DEVICE functors). Double precision, no exceptions, no std:: calls: only the C
// math functions that CUDA also provides in device code.
//
// Units (SI throughout, with one exception):
//   - PO2 in mmHg (the exception: every code in the field, and PARAMETERS.md, uses it);
//   - O2 content C of blood as a volume fraction, m^3 O2 (STP) per m^3 blood (= ml O2 / ml,
//     dimensionless), Secomb's convention, so that a convective flux Q [m^3/s] * C [-] is in
//     m^3 O2 (STP) / s;
//   - consumption rates M, M0 in m^3 O2 (STP) per m^3 tissue per s (= ml O2 ml^-1 s^-1, units 1/s).
//     PARAMETERS.md quotes mol m^-3 s^-1: multiply by the STP molar volume kStpMolarVolume =
//     22.4e-3 m^3/mol (consumption_from_molar_rate());
//   - lengths in m, volumes in m^3, flows in m^3/s;
//   - solubility alpha_b in (m^3 O2 / m^3 blood) per mmHg; tissue D*alpha in
//     m^2 s^-1 mmHg^-1 (= m^3 O2 m^-1 s^-1 mmHg^-1 per m^3 tissue; Secomb's 4.2e-10
//     cm^3 O2 cm^-1 s^-1 mmHg^-1 is 4.2e-14 in these units).
//
// Guards (documented per function): any finite input in the stated domain gives a finite result;
// NaN inputs propagate to a NaN result, so an upstream fault stays visible to the caller's checks.
//
// References: Secomb TW, Hsu R, Park EYH, Dewhirst MW 2004 Ann Biomed Eng 32:1519 (blood content
// C = C0 Hd S(P) + alpha_b P, Hill saturation, Michaelis-Menten consumption, parameter values);
// Krogh A 1919 J Physiol 52:409 (tissue cylinder; the Krogh-Erlich profile); MODEL.md §3.
// Tests: tests/unit/oxygen_laws_test.cpp, tests/verification/oxygen_segment_test.cpp.
#include <cmath>

#include "hepaflow/kernels/host_device.hpp"

namespace hepaflow::kernels::oxygen {

/// Molar volume of an ideal gas at STP (0 °C, 1 atm) used to convert mol O2 to m^3 O2 (STP):
/// 22.4e-3 m^3/mol (22.414e-3 exactly for an ideal gas; the rounding is below the parameter
/// uncertainty). 0.035 mol m^-3 s^-1 (periportal Vmax, PARAMETERS.md §7.1) -> 7.84e-4 s^-1.
inline constexpr double kStpMolarVolume = 22.4e-3;

/// Iteration bound of po2_from_content() (Newton steps with bisection fallback).
inline constexpr int kMaxInverseIterations = 100;

/// Blood O2 binding (Secomb et al. 2004; defaults human, PARAMETERS.md §7.1).
struct BloodOxygenParameters {
  double p50_mmHg = 26.8;          ///< PO2 at half saturation [mmHg] (Severinghaus 1979)
  double hill_n = 2.7;             ///< Hill exponent [-] (Lykkeboe & Johansen 1978)
  double binding_capacity = 0.5;   ///< C0, ml O2 per ml red cells at full saturation [-]
  double solubility = 3.1e-5;      ///< alpha_b, ml O2 per ml blood per mmHg [mmHg^-1]; must be > 0
};

/// The rat set of PARAMETERS.md §7.1 (Secomb convention): P50 38 mmHg, n 3, C0 0.5, alpha_b 3.1e-5.
HF_HOST_DEVICE inline BloodOxygenParameters rat_blood_oxygen_parameters() {
  BloodOxygenParameters p;
  p.p50_mmHg = 38.0;
  p.hill_n = 3.0;
  return p;
}

/// mol O2 m^-3 s^-1 -> m^3 O2 (STP) m^-3 s^-1 (the consumption unit of this header).
HF_HOST_DEVICE inline double consumption_from_molar_rate(double mol_per_m3_s) {
  return mol_per_m3_s * kStpMolarVolume;
}

/// Hill saturation S = P^n / (P^n + P50^n), evaluated as 1 / (1 + (P50/P)^n) (no overflow for
/// large P; for tiny P the power overflows to +inf and S = 0). P <= 0 -> 0.
HF_HOST_DEVICE inline double saturation(double po2_mmHg, const BloodOxygenParameters& p) {
  if (po2_mmHg <= 0.0) return 0.0;  // NaN fails the test and propagates below
  return 1.0 / (1.0 + ::pow(p.p50_mmHg / po2_mmHg, p.hill_n));
}

/// dS/dP = n S (1 - S) / P  [mmHg^-1]; 0 for P <= 0 (the limit for n > 1).
HF_HOST_DEVICE inline double saturation_derivative(double po2_mmHg, const BloodOxygenParameters& p) {
  if (po2_mmHg <= 0.0) return 0.0;
  const double s = saturation(po2_mmHg, p);
  return p.hill_n * s * (1.0 - s) / po2_mmHg;
}

/// Blood O2 content C = C0 Hd S(P) + alpha_b P (MODEL.md §3; Secomb et al. 2004), volume fraction.
/// P <= 0 -> 0 (no negative content).
HF_HOST_DEVICE inline double content(double po2_mmHg, double hd, const BloodOxygenParameters& p) {
  if (po2_mmHg <= 0.0) return 0.0;
  return p.binding_capacity * hd * saturation(po2_mmHg, p) + p.solubility * po2_mmHg;
}

/// dC/dP [mmHg^-1] (> 0 for alpha_b > 0, Hd >= 0).
HF_HOST_DEVICE inline double content_derivative(double po2_mmHg, double hd, const BloodOxygenParameters& p) {
  return p.binding_capacity * hd * saturation_derivative(po2_mmHg, p) + p.solubility;
}

/// The monotone inverse of content(): the P >= 0 with content(P, hd) = c. c <= 0 -> 0.
/// Newton's method with a bisection guard on the bracket [0, c/alpha_b] (C(P) >= alpha_b P, so the
/// root lies below c/alpha_b): a Newton step that leaves the current bracket is replaced by its
/// midpoint, so the iteration cannot diverge and gives no NaN for finite c >= 0. Stops when the
/// step falls below 1e-14 relative (quadratic convergence: the result is then accurate to a few
/// ulps, i.e. far better than the required 1e-12), or after kMaxInverseIterations.
/// Requires alpha_b > 0 (with alpha_b <= 0 the Hill curve is inverted directly; c >= C0 Hd then
/// has no solution and +HUGE_VAL is returned).
HF_HOST_DEVICE inline double po2_from_content(double c, double hd, const BloodOxygenParameters& p) {
  if (c <= 0.0) return 0.0;
  if (c != c) return c;  // NaN
  const double bound = p.binding_capacity * (hd > 0.0 ? hd : 0.0);
  if (!(p.solubility > 0.0)) {
    if (!(bound > 0.0) || c >= bound) return HUGE_VAL;
    const double s = c / bound;
    return p.p50_mmHg * ::pow(s / (1.0 - s), 1.0 / p.hill_n);
  }
  double lo = 0.0;
  double hi = c / p.solubility;
  if (!(bound > 0.0)) return hi;  // dissolved only: exact
  // Initial guess: the Hill inverse of the bound fraction, assuming all content bound (an
  // upper estimate of S), clamped into the bracket.
  double x = hi;
  if (c < bound) {
    const double s = c / bound;
    x = p.p50_mmHg * ::pow(s / (1.0 - s), 1.0 / p.hill_n);
    if (!(x < hi)) x = 0.5 * hi;
  }
  for (int it = 0; it < kMaxInverseIterations; ++it) {
    const double f = content(x, hd, p) - c;
    if (f == 0.0) return x;
    if (f > 0.0) {
      hi = x;
    } else {
      lo = x;
    }
    double next = x - f / content_derivative(x, hd, p);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);  // also catches NaN
    const double step = ::fabs(next - x);
    x = next;
    if (step <= 1e-14 * x || hi - lo <= 1e-15 * hi) return x;
  }
  return x;
}

/// Michaelis-Menten consumption M = M0 P / (P + Km) (MODEL.md §3), M0 in m^3 O2 m^-3 s^-1, Km in
/// mmHg. P <= 0 -> 0. Km = 0 gives constant consumption M0 for every P > 0.
HF_HOST_DEVICE inline double michaelis_menten(double po2_mmHg, double m0, double km_mmHg) {
  if (po2_mmHg <= 0.0) return 0.0;
  return m0 * po2_mmHg / (po2_mmHg + km_mmHg);
}

/// Result of integrate_segment(): outflow state and O2 given up by the blood.
struct SegmentOxygenResult {
  double po2_out_mmHg;       ///< PO2 at the outflow end [mmHg]
  double content_out;        ///< C at the outflow end [-]
  double flux_out_of_blood;  ///< |Q| (C_in - C_out) [m^3 O2 (STP) / s]
  double po2_mean_mmHg;      ///< length-averaged vessel PO2 (1/L) int_0^L P ds [mmHg]
  int substeps;              ///< RK4 substeps of the returned solution (0 for zero flow)
};

namespace detail {

/// Right-hand side in the normalised coordinate x = s/L in [0, 1]:
///   dC/dx = -M(P(C)) V / |Q|   (from |Q| dC/ds = -J, J = M V / L).
/// Content below zero (an RK stage overshooting exhaustion) is treated as zero: P = 0, M = 0.
HF_HOST_DEVICE inline double content_rate(double c, double& po2, double hd, double consumption_scale, double m0,
                                          double km_mmHg, const BloodOxygenParameters& p) {
  po2 = po2_from_content(c, hd, p);
  return -consumption_scale * michaelis_menten(po2, m0, km_mmHg);
}

/// n classical RK4 steps in x over [0, 1] for C, and alongside it for I = int_0^x P dx'.
/// Writes the PO2 at the n+1 nodes to po2_profile if it is not null. Returns C_out; sets i_out.
HF_HOST_DEVICE inline double rk4_sweep(double c_in, double hd, double consumption_scale, double m0, double km_mmHg,
                                       const BloodOxygenParameters& p, int n, double& i_out, double* po2_profile) {
  const double h = 1.0 / n;
  double c = c_in;
  double integral = 0.0;
  double p1, p2, p3, p4;
  for (int k = 0; k < n; ++k) {
    const double k1 = content_rate(c, p1, hd, consumption_scale, m0, km_mmHg, p);
    if (po2_profile) po2_profile[k] = p1;
    const double k2 = content_rate(c + 0.5 * h * k1, p2, hd, consumption_scale, m0, km_mmHg, p);
    const double k3 = content_rate(c + 0.5 * h * k2, p3, hd, consumption_scale, m0, km_mmHg, p);
    const double k4 = content_rate(c + h * k3, p4, hd, consumption_scale, m0, km_mmHg, p);
    c += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    if (c < 0.0) c = 0.0;  // exhausted: the rest of the segment is anoxic
    integral += h / 6.0 * (p1 + 2.0 * p2 + 2.0 * p3 + p4);
  }
  if (po2_profile) po2_profile[n] = po2_from_content(c, hd, p);
  i_out = integral;
  return c;
}

HF_HOST_DEVICE inline SegmentOxygenResult zero_flow_result(double po2_in_mmHg, double hd,
                                                           const BloodOxygenParameters& p) {
  SegmentOxygenResult r;
  r.po2_out_mmHg = po2_in_mmHg;
  r.content_out = content(po2_in_mmHg, hd, p);
  r.flux_out_of_blood = 0.0;
  r.po2_mean_mmHg = po2_in_mmHg;
  r.substeps = 0;
  return r;
}

HF_HOST_DEVICE inline SegmentOxygenResult make_result(double c_in, double c_out, double integral, double flow_abs,
                                                      double hd, const BloodOxygenParameters& p, int n) {
  SegmentOxygenResult r;
  r.content_out = c_out;
  r.po2_out_mmHg = po2_from_content(c_out, hd, p);
  r.flux_out_of_blood = flow_abs * (c_in - c_out);
  r.po2_mean_mmHg = integral;
  r.substeps = n;
  return r;
}

}  // namespace detail

/// O2 content along one segment with lumped Krogh-type consumption (MODEL.md §3, `krogh`): the
/// segment supplies tissue volume V = tissue_volume over its length L, so the flux per length
/// out of the blood is J = M(P) V / L, and along the flow |Q| dC/ds = -J(P(C)).
/// Lumped assumption: the consumption rate is evaluated at the vessel PO2 (tissue PO2 ~ vessel
/// PO2; the wall/tissue gradient is neglected for the rate). Because J is uniform in s for given
/// P, L cancels from the outflow state (dC/dx = -M V/|Q| in x = s/L); it only defines the mean.
///
/// Fixed-substep version: exactly `substeps` classical RK4 steps (>= 1; smaller values are taken
/// as 1). If po2_profile is not null it receives the PO2 at the substeps+1 equally spaced nodes
/// s_k = k L / substeps. Content is clamped at >= 0 after each step. flow_abs == 0 returns the
/// inflow state with substeps 0 (zero-flow segments are excluded by the caller, MODEL.md §3).
HF_HOST_DEVICE inline SegmentOxygenResult integrate_segment_fixed(double po2_in_mmHg, double flow_abs, double hd,
                                                                  double length, double tissue_volume, double m0,
                                                                  double km_mmHg, const BloodOxygenParameters& p,
                                                                  int substeps, double* po2_profile = nullptr) {
  (void)length;
  flow_abs = ::fabs(flow_abs);
  if (flow_abs == 0.0) return detail::zero_flow_result(po2_in_mmHg, hd, p);
  const int n = substeps < 1 ? 1 : substeps;
  const double c_in = content(po2_in_mmHg, hd, p);
  const double scale = tissue_volume / flow_abs;
  double integral = 0.0;
  const double c_out = detail::rk4_sweep(c_in, hd, scale, m0, km_mmHg, p, n, integral, po2_profile);
  return detail::make_result(c_in, c_out, integral, flow_abs, hd, p, n);
}

/// Adaptive version of integrate_segment_fixed(): RK4 with step doubling, n = 1, 2, 4, ... until
/// the outflow content of two successive resolutions differs by at most
/// rel_tolerance * max(C_out, 1e-6 C_in) (relative, with a floor for exhausted segments) and the
/// mean PO2 by at most mean_rel_tolerance * mean, or n reaches max_substeps. (Content alone is not
/// enough: a segment exhausted by constant consumption (Km = 0) has C_out = 0 at every resolution
/// while the mean still carries the O(h^2) error of the kink at exhaustion. The mean is a
/// diagnostic and converges with a ~1000x larger error constant than C_out, because P(C) is
/// strongly curved; hence its own, looser default tolerance.) substeps == max_substeps in the
/// result means the tolerance may not have been met: uniform RK4 substeps are costly on a
/// near-anoxic tail (P << Km decays exponentially: 65 -> 0.32 mmHg with Km 1 needs 4096 substeps
/// for 1e-8; its error is then 1e-10, tests/verification/oxygen_segment_test.cpp). Returns the finer solution (not Richardson-extrapolated) and its n;
/// its error is about 1/15 of the last difference. Zero flow: see integrate_segment_fixed().
HF_HOST_DEVICE inline SegmentOxygenResult integrate_segment(double po2_in_mmHg, double flow_abs, double hd,
                                                            double length, double tissue_volume, double m0,
                                                            double km_mmHg, const BloodOxygenParameters& p,
                                                            double rel_tolerance = 1e-8, int max_substeps = 4096,
                                                            double mean_rel_tolerance = 1e-6) {
  (void)length;
  flow_abs = ::fabs(flow_abs);
  if (flow_abs == 0.0) return detail::zero_flow_result(po2_in_mmHg, hd, p);
  const double c_in = content(po2_in_mmHg, hd, p);
  const double scale = tissue_volume / flow_abs;
  int n = 1;
  double integral = 0.0;
  double c_out = detail::rk4_sweep(c_in, hd, scale, m0, km_mmHg, p, n, integral, nullptr);
  while (2 * n <= max_substeps) {
    n *= 2;
    double integral_fine = 0.0;
    const double c_fine = detail::rk4_sweep(c_in, hd, scale, m0, km_mmHg, p, n, integral_fine, nullptr);
    const double diff_c = ::fabs(c_fine - c_out);
    const double diff_i = ::fabs(integral_fine - integral);
    c_out = c_fine;
    integral = integral_fine;
    const double floor_c = 1e-6 * c_in;
    if (diff_c <= rel_tolerance * (c_fine > floor_c ? c_fine : floor_c) &&
        diff_i <= mean_rel_tolerance * integral_fine)
      break;
  }
  return detail::make_result(c_in, c_out, integral, flow_abs, hd, p, n);
}

/// Krogh-Erlich tissue PO2 in the cylinder r <= rho <= R_t around a vessel of radius r with wall
/// PO2 P_w and uniform consumption M0 (Krogh 1919; MODEL.md §3):
///   P(rho) = P_w - (M0 / (4 D alpha)) [2 R_t^2 ln(rho / r) - (rho^2 - r^2)],
/// the solution of D alpha (1/rho) d/drho(rho dP/drho) = M0 with P(r) = P_w, dP/drho(R_t) = 0.
/// Units: rho, r_vessel, r_tissue in m; M0 in m^3 O2 m^-3 s^-1 (= ml O2 ml^-1 s^-1);
/// D alpha in m^2 s^-1 mmHg^-1 (= m^3 O2 m^-1 s^-1 mmHg^-1 per m^3 tissue); P in mmHg.
/// May return negative values: the profile of constant consumption, unclamped (the caller marks
/// hypoxia where P < P_hyp).
HF_HOST_DEVICE inline double krogh_tissue_po2(double rho, double p_wall_mmHg, double r_vessel, double r_tissue,
                                              double m0_per_s, double d_alpha) {
  return p_wall_mmHg - m0_per_s / (4.0 * d_alpha) *
                           (2.0 * r_tissue * r_tissue * ::log(rho / r_vessel) - (rho * rho - r_vessel * r_vessel));
}

}  // namespace hepaflow::kernels::oxygen

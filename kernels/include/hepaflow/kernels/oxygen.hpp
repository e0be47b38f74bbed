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
// Tests: tests/unit/oxygen_laws_test.cpp, tests/verification/oxygen_segment_test.cpp,
// tests/verification/oxygen_convergence_test.cpp.
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

// ---- integrate_segment(): the implicit solution x(P) by adaptive quadrature -------------------------
//
// Along a segment dC/dx = -a M(P)/M0 with a = M0 V / |Q| (the content the tissue of the segment could
// take up if M were M0 throughout) and x = s/L. C is a function of P alone and the right-hand side
// too, so the solution is implicit in closed form (a 1-D autonomous ODE):
//   x(P) = int_P^{P_in} C'(p) (p + Km) / (a p) dp = int_u^{u_in} phi(v) dv,
//   phi(v) = (P + Km) C'(P) / a,  P = e^v,
// and the length integral of PO2 likewise: int_0^{x(P)} P dx = int_u^{u_in} P phi(v) dv.
// phi is smooth, positive and bounded in v = ln P everywhere (no stiffness, no singularity): in the
// anoxic tail P << Km it tends to Km alpha / a, so P decays exponentially in x, as it should, while
// the quadrature stays trivial. The outflow PO2 is the root of x(P_out) = 1.
// Km = 0 (constant consumption) is the one case where x(P) stays bounded as P -> 0: then C falls
// linearly, C(x) = C_in - a x, until it is used up at x* = C_in / a, and only the mean needs a
// quadrature, int_0^{min(1, x*)} P(C_in - a x) dx.

/// The integrand of the Km > 0 case in t = u_in - ln P >= 0: returns dx/dt = phi and sets P.
struct LogPo2Integrand {
  double u_in, ln_p50, hill_n, c0_hd, solubility, inv_a, km;
  HF_HOST_DEVICE double operator()(double t, double& po2) const {
    const double u = u_in - t;
    po2 = ::exp(u);
    double dcdp = solubility;
    if (c0_hd > 0.0 && po2 > 0.0) {
      // C0 Hd dS/dP = C0 Hd n S (1 - S) / P with q = (P50/P)^n: S (1 - S) = 1 / (q + 2 + 1/q), no
      // overflow at either end (q -> inf for P -> 0, q -> 0 for large P).
      const double q = ::exp(hill_n * (ln_p50 - u));
      dcdp += c0_hd * hill_n / (po2 * (q + 2.0 + 1.0 / q));
    }
    return (po2 + km) * dcdp * inv_a;
  }
};

/// The integrand of the Km = 0 case in t = x: dx/dt = 1, P = P(C_in - a x).
struct ContentLineIntegrand {
  double c_in, a, hd;
  BloodOxygenParameters blood;
  HF_HOST_DEVICE double operator()(double t, double& po2) const {
    po2 = po2_from_content(c_in - a * t, hd, blood);
    return 1.0;
  }
};

/// One 5-point Gauss-Lobatto panel [t, t + h] (exact for polynomials of degree 7; the value at t is
/// given): x = int phi, i = int P phi, and their error estimates. The estimates compare with Simpson's
/// rule on three of the nodes (error O(h^5)) and scale that difference towards the Lobatto rule's
/// much smaller error, O(h^9) ~ |Q - S|^1.8, the way QUADPACK scales its Gauss-Kronrod differences
/// (Piessens et al. 1983, QUADPACK, Springer): err = |Q| min(1, (|Q - S| / |Q|)^1.5). The exponent
/// 1.5 < 1.8 keeps the estimate above the error (for phi ~ e^{k v}: error ~ 6e-3 |Q - S|^2 / |Q|);
/// measured margins: tests/verification/oxygen_convergence_test.cpp.
struct QuadraturePanel {
  double x, i, err_x, err_i, phi_end, po2_end;
};
HF_HOST_DEVICE inline double scaled_error(double q, double simpson) {
  const double aq = ::fabs(q), d = ::fabs(q - simpson);
  if (!(aq > 0.0)) return d;
  const double r = d / aq;
  return r >= 1.0 ? d : aq * r * ::sqrt(r);
}
template <class Integrand>
HF_HOST_DEVICE inline QuadraturePanel lobatto_panel(const Integrand& f, double t, double h, double phi0, double p0) {
  const double s = 0.65465367070797714380;  // sqrt(3/7)
  double p1, p2, p3, p4;
  const double f1 = f(t + 0.5 * h * (1.0 - s), p1);
  const double f2 = f(t + 0.5 * h, p2);
  const double f3 = f(t + 0.5 * h * (1.0 + s), p3);
  const double f4 = f(t + h, p4);
  QuadraturePanel r;
  r.x = h * ((phi0 + f4) * (1.0 / 20) + (f1 + f3) * (49.0 / 180) + f2 * (16.0 / 45));
  r.i = h * ((phi0 * p0 + f4 * p4) * (1.0 / 20) + (f1 * p1 + f3 * p3) * (49.0 / 180) + f2 * p2 * (16.0 / 45));
  r.err_x = scaled_error(r.x, h * ((phi0 + f4) * (1.0 / 6) + f2 * (4.0 / 6)));
  r.err_i = scaled_error(r.i, h * ((phi0 * p0 + f4 * p4) * (1.0 / 6) + f2 * p2 * (4.0 / 6)));
  r.phi_end = f4;
  r.po2_end = p4;
  return r;
}

/// Outcome of one quadrature march.
struct QuadratureMarch {
  double t_end;       ///< where x reached the target
  double po2_end;     ///< P there
  double integral;    ///< int P dx
  double err_x;       ///< sum of the panels' error estimates of x (an equivalent shift along the segment)
  double err_i;       ///< sum of the panels' error estimates of the PO2 integral
  int panels;         ///< accepted panels
  bool capped;        ///< max_panels reached: the last panel was accepted without meeting the tolerance
};

/// Largest ratio of a panel's estimated errors to its budgets: x relative to its share of x, the PO2
/// integral relative to its share of the integral, or, when larger, of the running total in
/// proportion to the panel's share of x (an exponentially decaying anoxic tail adds nothing worth
/// resolving). Budgets relative per panel keep the sums below tol_x and tol_i relative to the
/// totals whatever the number of panels. NaN for NaN input.
HF_HOST_DEVICE inline double panel_error_ratio(const QuadraturePanel& pn, double tol_x, double tol_i,
                                               double integral_before, double x_target) {
  double ratio = pn.err_x > 0.0 ? pn.err_x / (tol_x * pn.x) : pn.err_x;
  double share_i = (integral_before + pn.i) * (pn.x / x_target);
  if (pn.i > share_i) share_i = pn.i;
  const double ri = pn.err_i > 0.0 ? pn.err_i / (tol_i * share_i) : pn.err_i;
  if (ri > ratio || ri != ri) ratio = ri;
  return ratio;
}

/// March panels from t = 0 until x(t) = int_0^t phi reaches x_target, the last panel ending on the
/// root (Newton on its width, dx/dw = phi at its end). Panels are accepted by panel_error_ratio() <= 1;
/// the width follows the usual controller (the scaled estimate goes as h^7: exponent 1/7, growth at
/// most x5, cut to between 0.2 and 0.9). A panel that would reach past the root, or is predicted to
/// (linear extrapolation of x), becomes the last one. At max_panels, or when the width falls below
/// 1e-14 (t + h_first) (a tolerance below rounding), the last panel is taken to the root unchecked
/// (capped).
template <class Integrand>
HF_HOST_DEVICE inline QuadratureMarch quadrature_march(const Integrand& f, double x_target, double tol_x, double tol_i,
                                                       double h_first, int max_panels) {
  QuadratureMarch m;
  m.integral = 0.0;
  m.err_x = 0.0;
  m.err_i = 0.0;
  m.panels = 0;
  m.capped = true;  // until the root is reached with every panel within its budget
  bool finished = false, unchecked = false;
  double t = 0.0, x = 0.0, p0;
  double phi0 = f(0.0, p0);
  double h = h_first;
  // Every rejection cuts the width by 10 % at least, so 400 attempts per panel reach the width floor.
  for (int attempt = 0; attempt < 400 * (max_panels + 1) && !finished; ++attempt) {
    const double h_root = (x_target - x) / phi0;  // distance to the root if phi stayed as it is
    const bool force = m.panels + 1 >= max_panels || !(h > 1e-14 * (t + h_first));
    bool last = force || h >= h_root;
    double w = last ? h_root : h;
    QuadraturePanel pn = lobatto_panel(f, t, w, phi0, p0);
    if (!last && x + pn.x >= x_target) last = true;  // overshoot: this panel holds the root
    double ratio = panel_error_ratio(pn, tol_x, tol_i, m.integral, x_target);
    if (last && (ratio <= 1.0 || force)) {  // move the end onto the root: x + x_panel(w) = x_target
      for (int it = 0; it < 30; ++it) {
        const double g = x + pn.x - x_target;
        if (!(::fabs(g) > 1e-3 * tol_x * x_target) || ::fabs(g) <= 4e-16 * x_target) break;
        double dw = -g / pn.phi_end;
        if (!(w + dw > 0.0)) dw = -0.5 * w;
        w += dw;
        pn = lobatto_panel(f, t, w, phi0, p0);
      }
      ratio = panel_error_ratio(pn, tol_x, tol_i, m.integral, x_target);
    }
    if (!(ratio <= 1.0) && !force) {  // rejected (NaN included): narrower, and short of the root
      double cut = ratio < 1e300 ? 0.9 * ::pow(ratio, -1.0 / 7.0) : 0.2;
      if (cut < 0.2) cut = 0.2;
      if (cut > 0.9) cut = 0.9;
      h = w * cut;
      if (last && h >= 0.5 * h_root) h = 0.5 * h_root;
      continue;
    }
    unchecked = unchecked || !(ratio <= 1.0);
    x += pn.x;
    m.integral += pn.i;
    m.err_x += pn.err_x;
    m.err_i += pn.err_i;
    t += w;
    phi0 = pn.phi_end;
    p0 = pn.po2_end;
    ++m.panels;
    finished = last;
    double grow = ratio > 0.0 ? 0.9 * ::pow(ratio, -1.0 / 7.0) : 5.0;
    if (grow > 5.0) grow = 5.0;
    h = w * grow;
  }
  m.capped = !finished || unchecked;
  m.t_end = t;
  m.po2_end = p0;
  return m;
}

/// integrate_segment()'s budget for the error of x at outflow PO2 po2 (see there): rel_tolerance
/// max(C, floor) / (a M(P)/M0), at least `least`, at most cap.
struct ShiftBudget {
  double a, km, hd, floor, rel_tolerance, cap;
  BloodOxygenParameters blood;
  HF_HOST_DEVICE double operator()(double po2, double least) const {
    const double c = content(po2, hd, blood), m_rel = po2 / (po2 + km);
    double b = m_rel > 0.0 ? rel_tolerance * (c > floor ? c : floor) / (a * m_rel) : cap;
    if (b < least) b = least;
    return b < cap ? b : cap;
  }
};

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

/// Adaptive version of integrate_segment_fixed(), to a tolerance: the same model, solved through its
/// implicit solution (MODEL.md §3: "analytic where it exists") instead of by RK4 in C. For Km > 0,
/// x(P) = int_P^{P_in} C'(p) (p + Km) / (a p) dp with a = M0 V / |Q|, integrated in v = ln P by
/// adaptive 5-point Gauss-Lobatto panels, and P_out is the root of x(P_out) = 1; the mean PO2 is
/// int P phi dv on the same nodes (see detail:: above). For Km = 0, C_out = max(C_in - a, 0) exactly
/// and the mean is a quadrature of P(C_in - a x) in x. No stiffness and no step-size collapse at
/// exhaustion: a segment whose blood is used up early has an exponentially decaying (Km > 0) or
/// zero (Km = 0) tail, both integrated in a few panels.
///
/// Tolerances (estimated errors, checked at the end on the outflow state):
///   |C_out - C_out,exact| <= rel_tolerance * max(C_out, 1e-6 C_in) (relative, with a floor for
///   exhausted segments), and |mean - mean_exact| <= mean_rel_tolerance * mean.
/// The content error is budgeted as a shift of the solution along x (dC_out = a M(P_out)/M0 dx); a
/// first march takes the budget of the inflow state, and when the outflow state turns out to need
/// less (an outflow close to exhaustion), the march is repeated with the budget of that state (at
/// most three marches). max_substeps bounds the number of panels of a march; substeps in the result
/// is the number of panels of the returned march (1 when there is nothing to integrate), and
/// substeps == max_substeps means the tolerance may not have been met (a march that hits the bound
/// gives way to the previous, looser one). Measured errors against an
/// independent quadrature reference: tests/verification/oxygen_segment_test.cpp and
/// oxygen_convergence_test.cpp. Zero flow: see integrate_segment_fixed(). NaN inputs give NaN
/// outputs. P_in <= 0: anoxic, nothing consumed.
HF_HOST_DEVICE inline SegmentOxygenResult integrate_segment(double po2_in_mmHg, double flow_abs, double hd,
                                                            double length, double tissue_volume, double m0,
                                                            double km_mmHg, const BloodOxygenParameters& p,
                                                            double rel_tolerance = 1e-8, int max_substeps = 4096,
                                                            double mean_rel_tolerance = 1e-6) {
  (void)length;
  flow_abs = ::fabs(flow_abs);
  if (flow_abs == 0.0) return detail::zero_flow_result(po2_in_mmHg, hd, p);
  const double c_in = content(po2_in_mmHg, hd, p);
  const double a = tissue_volume * m0 / flow_abs;  // content the segment's tissue takes at rate M0
  SegmentOxygenResult r;
  r.substeps = 1;
  if (!(po2_in_mmHg > 0.0) || !(a > 0.0) || !(km_mmHg >= 0.0)) {
    // Nothing to integrate (anoxic inflow, no consumption), or an invalid input: NaN (a NaN input,
    // Km < 0) is propagated through the sum below.
    const double nan_or_zero =
        (po2_in_mmHg - po2_in_mmHg) + (a - a) + (km_mmHg - km_mmHg) + (km_mmHg < 0.0 ? ::nan("") : 0.0);
    const double po2 = po2_in_mmHg > 0.0 ? po2_in_mmHg : 0.0;
    r.po2_out_mmHg = po2 + nan_or_zero;
    r.content_out = c_in + nan_or_zero;
    r.flux_out_of_blood = 0.0 + nan_or_zero;
    r.po2_mean_mmHg = po2 + nan_or_zero;
    return r;
  }
  const int max_panels = max_substeps < 1 ? 1 : max_substeps;
  const double floor = 1e-6 * c_in;
  if (km_mmHg == 0.0) {  // constant consumption: C falls linearly until it is used up at x* = C_in / a
    const double x_end = c_in < a ? c_in / a : 1.0;
    r.content_out = c_in < a ? 0.0 : c_in - a;
    r.po2_out_mmHg = po2_from_content(r.content_out, hd, p);
    r.flux_out_of_blood = flow_abs * (c_in - r.content_out);
    const detail::ContentLineIntegrand f{c_in, a, hd, p};
    const detail::QuadratureMarch m =
        detail::quadrature_march(f, x_end, 1.0, mean_rel_tolerance, x_end, max_panels);
    r.po2_mean_mmHg = m.integral;
    r.substeps = m.capped ? max_panels : m.panels;
    return r;
  }
  const double u_in = ::log(po2_in_mmHg);
  const detail::LogPo2Integrand f{u_in, ::log(p.p50_mmHg), p.hill_n, p.binding_capacity * hd, p.solubility, 1.0 / a,
                                  km_mmHg};
  // First panel: the whole way if phi were constant, at most one unit of ln P (the scale of the Hill
  // curve); the controller takes over from there.
  double p_unused;
  const double h0 = 1.0 / f(0.0, p_unused);
  const double h_first = h0 < 1.0 ? h0 : 1.0;
  // Budget for x, relative to its total 1 (an error of x is a shift of the solution along the
  // segment, the effect of any error of a 1-D autonomous ODE to first order): it moves C_out by
  // a M(P_out)/M0 dx and the mean by at most P_out dx <= mean dx, so dx <= rel_tolerance
  // max(C_out, floor) / (a M(P_out)/M0) and dx <= mean_rel_tolerance / 2. The outflow state is not
  // known in advance: the first march takes the content term at the inflow, but not below
  // rel_tolerance (a < C_in M0/M(P_in) means an outflow near or past exhaustion, where the term is
  // either larger again or irrelevant); when the outflow found needs less, the march is repeated with
  // its budget. A march that runs into max_substeps gives way to the previous one.
  const detail::ShiftBudget x_budget{a, km_mmHg, hd, floor, rel_tolerance, 0.5 * mean_rel_tolerance, p};
  double tol_x = x_budget(po2_in_mmHg, rel_tolerance), tol_i = 0.5 * mean_rel_tolerance;
  detail::QuadratureMarch m{}, previous{};
  bool have_previous = false;
  for (int march = 0; march < 3; ++march) {
    m = detail::quadrature_march(f, 1.0, tol_x, tol_i, h_first, max_panels);
    if (m.capped && have_previous) {
      m = previous;
      m.capped = true;
      break;
    }
    // Estimated errors of the outflow state and the mean, against the tolerances.
    const double p_out = m.po2_end;
    const double c_out = content(p_out, hd, p);
    const double e_c = a * p_out / (p_out + km_mmHg) * m.err_x;
    const double e_i = p_out * m.err_x + m.err_i;
    const double lim_c = rel_tolerance * (c_out > floor ? c_out : floor), lim_i = mean_rel_tolerance * m.integral;
    if ((e_c <= lim_c && e_i <= lim_i) || m.capped) break;
    previous = m;
    have_previous = true;
    const double b = x_budget(p_out, 0.0);
    tol_x = b < 0.5 * tol_x ? b : 0.5 * tol_x;
    if (e_i > lim_i) tol_i *= 0.5 * lim_i / e_i;
  }
  r.po2_out_mmHg = m.po2_end;
  r.content_out = content(m.po2_end, hd, p);
  r.flux_out_of_blood = flow_abs * (c_in - r.content_out);
  r.po2_mean_mmHg = m.integral;
  r.substeps = m.capped ? max_panels : m.panels;
  return r;
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

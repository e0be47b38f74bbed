#pragma once
// Blood-rheology laws of MODEL.md §2 as pure inline functions, compiled for both backends (g++ and
// nvcc, inside HF_HOST_DEVICE functors of kernels/common/*.inl). Double precision, no exceptions,
// no std:: calls: only the C math functions that CUDA also provides in device code.
//
// Units: diameters in micrometres, haematocrits as volume fractions, results dimensionless
// (relative viscosity eta_rel = mu_apparent / mu_plasma; red-cell flux fraction).
//
// Guards (documented per function): any finite input gives a finite result; NaN inputs propagate
// to a NaN result on purpose, so an upstream fault stays visible to the caller's checks.
//
// Reference values: tests/unit/rheology_laws_test.cpp, generated independently in 50-digit decimal
// arithmetic by tests/unit/rheology_reference.py.
#include <cmath>

#include "hepaflow/kernels/host_device.hpp"

namespace hepaflow::kernels::rheology {

/// Discharge haematocrits above this are clamped to it before the viscosity laws are evaluated:
/// for diameters above ~8 um the exponent C of the laws is negative and (1 - H)^C diverges as H -> 1.
inline constexpr double kMaxHaematocrit = 0.99;

/// The smallest diameter (in units of the endothelial surface layer width W) the in vivo law is
/// evaluated at: D/(D - W) diverges at D = W. Below 1.05 W (1.155 um with the default W) the
/// corrected diameter is clamped to 1.05 W, where eta_rel is already ~1e6 at H = 0.45, i.e. the
/// vessel is effectively closed to flow. Physical capillaries (>= ~3 um) never reach the clamp.
inline constexpr double kMinDiameterOverEslWidth = 1.05;

/// Parameters of the in vivo viscosity law, Pries et al. 1994 Circ Res 75:904, in the order and
/// with the values of Secomb's NetFlowV2 (RheolParams.dat: "cpar", "viscpar", optw; viscor.cpp).
struct InVivoParameters {
  /// eta45(D) = viscpar[0] exp(viscpar[1] D) + viscpar[2] + viscpar[3] exp(viscpar[4] D^viscpar[5])
  double viscpar[6] = {6.0, -0.085, 3.2, -2.44, -0.06, 0.645};
  /// C(D) = (cpar[0] + exp(cpar[1] D)) (-1 + s) + s,  s = 1 / (1 + 10^cpar[2] D^cpar[3])
  double cpar[4] = {0.80, -0.075, -11.0, 12.0};
  double esl_width_um = 1.1;  ///< W, endothelial surface layer width [um] (NetFlowV2 "optw")
  double hd_ref = 0.45;       ///< haematocrit at which eta45 is defined; must lie in (0, 1)
  /// Diameter scale factor (92 fl / MCV)^(1/3) applied to D before anything else (species
  /// correction; 1 for human blood). See mcv_correction_factor().
  double mcv_correction = 1.0;
};

/// Parameters of the Pries & Secomb 2005 (Am J Physiol 289:H2657) phase-separation law, in the
/// order of NetFlowV2's "bifpar" (RheolParams.dat).
struct PhaseSeparationParameters {
  double x0_coefficient = 0.964;  ///< X0 = x0_coefficient (1 - H_D) / D_F
  double b_coefficient = 6.98;    ///< B  = 1 + b_coefficient (1 - H_D) / D_F
  double a_coefficient = -13.29;  ///< A  = a_coefficient (Da^2 - Db^2)/(Da^2 + Db^2) (1 - H_D) / D_F
};

/// Species correction factor for the in vivo law: (92 fl / MCV)^(1/3), 92 fl being human MCV.
/// Rat (MCV 55 fl): 1.187066. NetFlowV2 uses the exponent 0.33333 (differs by ~2e-6 relative).
HF_HOST_DEVICE inline double mcv_correction_factor(double mcv_fl) { return ::pow(92.0 / mcv_fl, 1.0 / 3.0); }

namespace detail {

HF_HOST_DEVICE inline double clamp_haematocrit(double h) {
  if (h < 0.0) h = 0.0;  // NaN passes both tests unchanged
  if (h > kMaxHaematocrit) h = kMaxHaematocrit;
  return h;
}

/// ((1 - h)^c - 1) / ((1 - h_ref)^c - 1), via expm1/log1p: exact to rounding for every c, including
/// c near 0 (C(D) crosses zero at D = 8.0518 um), where the literal quotient cancels; at
/// c*log(1-h_ref) == 0 the limit log(1 - h) / log(1 - h_ref) is returned.
HF_HOST_DEVICE inline double haematocrit_factor(double c, double h, double h_ref) {
  const double log_h = ::log1p(-h);
  const double log_ref = ::log1p(-h_ref);
  const double denominator = ::expm1(c * log_ref);
  if (denominator == 0.0) return log_h / log_ref;
  return ::expm1(c * log_h) / denominator;
}

/// The exponent C(D) of the haematocrit dependence, shared by the in vitro and in vivo fits.
HF_HOST_DEVICE inline double exponent_c(double d, double c0, double c1, double c2, double c3) {
  const double s = 1.0 / (1.0 + ::pow(10.0, c2) * ::pow(d, c3));
  return (c0 + ::exp(c1 * d)) * (s - 1.0) + s;
}

}  // namespace detail

/// Relative apparent viscosity in vivo, Pries et al. 1994 Circ Res 75:904, as computed by Secomb's
/// NetFlowV2 (viscor.cpp; MODEL.md §2):
///   D   <- diameter_um * mcv_correction
///   eta_rel = [1 + (eta45 - 1) hdfac (D/(D-W))^2] (D/(D-W))^2,
///   hdfac = ((1-H)^C - 1)/((1-hd_ref)^C - 1), eta45 and C as in InVivoParameters.
/// Guards: H < 0 -> 0 (eta_rel = (D/(D-W))^2); H > 0.99 -> 0.99; D < 1.05 W -> 1.05 W (after the MCV
/// scaling). D = +inf gives the finite large-vessel limit (eta45 = viscpar[2], C = -cpar[0]).
HF_HOST_DEVICE inline double relative_viscosity_pries1994_invivo(double diameter_um, double hd,
                                                                 const InVivoParameters& p = InVivoParameters{}) {
  double d = diameter_um * p.mcv_correction;
  const double d_min = kMinDiameterOverEslWidth * p.esl_width_um;
  if (d < d_min) d = d_min;
  const double h = detail::clamp_haematocrit(hd);
  const double c = detail::exponent_c(d, p.cpar[0], p.cpar[1], p.cpar[2], p.cpar[3]);
  const double eta45 = p.viscpar[0] * ::exp(p.viscpar[1] * d) + p.viscpar[2] +
                       p.viscpar[3] * ::exp(p.viscpar[4] * ::pow(d, p.viscpar[5]));
  // D/(D-W), written to stay finite at D = inf (and at D = W = 0, a law without the layer).
  const double layer = p.esl_width_um > 0.0 ? 1.0 / (1.0 - p.esl_width_um / d) : 1.0;
  const double layer2 = layer * layer;
  return (1.0 + (eta45 - 1.0) * detail::haematocrit_factor(c, h, p.hd_ref) * layer2) * layer2;
}

/// Relative apparent viscosity in vitro (glass tubes, high shear), Pries, Neuhaus & Gaehtgens 1992
/// Am J Physiol 263:H1770:
///   eta45 = 220 exp(-1.3 D) + 3.2 - 2.44 exp(-0.06 D^0.645)
///   C = (0.8 + exp(-0.075 D)) (-1 + 1/(1 + 1e-11 D^12)) + 1/(1 + 1e-11 D^12)
///   eta_rel = 1 + (eta45 - 1) ((1-H)^C - 1)/((1-0.45)^C - 1)
/// At H = 0.45 eta_rel = eta45, whose Fahraeus-Lindqvist minimum is 1.2472 at D = 6.85 um.
/// Guards: D < 0 -> 0 (the law is finite at D = 0); H < 0 -> 0 (eta_rel = 1); H > 0.99 -> 0.99.
HF_HOST_DEVICE inline double relative_viscosity_pries1992_invitro(double diameter_um, double hd) {
  double d = diameter_um;
  if (d < 0.0) d = 0.0;
  const double h = detail::clamp_haematocrit(hd);
  const double c = detail::exponent_c(d, 0.8, -0.075, -11.0, 12.0);
  const double eta45 = 220.0 * ::exp(-1.3 * d) + 3.2 - 2.44 * ::exp(-0.06 * ::pow(d, 0.645));
  return 1.0 + (eta45 - 1.0) * detail::haematocrit_factor(c, h, 0.45);
}

/// Fraction FQ_E of the parent's red-cell flux that enters daughter alpha at a divergent
/// bifurcation, Pries & Secomb 2005 Am J Physiol 289:H2657 (the form of NetFlowV2's
/// dishem_generalized.cpp; MODEL.md §2):
///   hdd = (1 - H_F)/D_F,  X0 = x0_coefficient hdd,  B = 1 + b_coefficient hdd,
///   A = a_coefficient ((Da/Db)^2 - 1)/((Da/Db)^2 + 1) hdd,
///   x = (FQ_B - X0)/(1 - 2 X0);  FQ_E = 0 for x <= 0, 1 for x >= 1, else
///   FQ_E = 1 / (1 + exp(-A - B log(x/(1-x)))).
/// flow_fraction is FQ_B, the fraction of the parent's blood flow entering alpha. As in NetFlowV2
/// the diameters enter as given: no MCV correction in phase separation. The daughter's discharge
/// haematocrit is then FQ_E * H_F * Q_F / Q_alpha (the caller's business).
/// Guards: H_F clamped to [0, 1] (H_F = 1 gives FQ_E = FQ_B); Da = Db = 0 counts as a symmetric
/// split; a non-positive or tiny parent (X0 >= 1/2, i.e. D_F <= 1.93 (1 - H_F) um) collapses the
/// law to its limit, a step: 0 below FQ_B = 1/2, 1 above, 1/2 at it.
HF_HOST_DEVICE inline double rbc_fraction_pries_secomb_2005(double flow_fraction, double diameter_alpha_um,
                                                            double diameter_beta_um, double diameter_parent_um,
                                                            double hd_parent,
                                                            const PhaseSeparationParameters& p = PhaseSeparationParameters{}) {
  double h = hd_parent;
  if (h < 0.0) h = 0.0;  // NaN passes both tests and propagates
  if (h > 1.0) h = 1.0;
  const double hdd = (1.0 - h) / diameter_parent_um;
  const double x0 = p.x0_coefficient * hdd;
  if (diameter_parent_um <= 0.0 || x0 >= 0.5) {  // degenerate parent: the limit step
    if (flow_fraction == 0.5) return 0.5;
    return flow_fraction < 0.5 ? 0.0 : (flow_fraction > 0.5 ? 1.0 : flow_fraction /* NaN */);
  }
  // ((Da/Db)^2 - 1)/((Da/Db)^2 + 1) = (Da^2 - Db^2)/(Da^2 + Db^2), scaled so that no square overflows.
  const double abs_alpha = diameter_alpha_um < 0.0 ? -diameter_alpha_um : diameter_alpha_um;
  const double abs_beta = diameter_beta_um < 0.0 ? -diameter_beta_um : diameter_beta_um;
  const double scale = abs_alpha < abs_beta ? abs_beta : abs_alpha;
  double asymmetry = 0.0;
  if (scale > 0.0) {
    const double ra = abs_alpha / scale, rb = abs_beta / scale;
    asymmetry = (ra * ra - rb * rb) / (ra * ra + rb * rb);
  }
  const double a = p.a_coefficient * asymmetry * hdd;
  const double b = 1.0 + p.b_coefficient * hdd;
  const double x = (flow_fraction - x0) / (1.0 - 2.0 * x0);
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  return 1.0 / (1.0 + ::exp(-a - b * ::log(x / (1.0 - x))));
}

}  // namespace hepaflow::kernels::rheology

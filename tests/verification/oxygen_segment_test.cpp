// Verification of the segment O2 integrator and the Krogh-Erlich profile
// (kernels/include/hepaflow/kernels/oxygen.hpp; MODEL.md §3) against closed forms:
//   (a) dissolved-only blood (Hd = 0, C = alpha P) with constant consumption (Km = 0): P linear in s,
//       P_out = P_in - M0 V / (|Q| alpha);
//   (b) dissolved-only blood with Michaelis-Menten consumption: dP/ds = -k P/(P + Km),
//       k = M0 V / (L |Q| alpha), implicit solution (P_in - P) + Km ln(P_in / P) = k s;
//   (c) the measured convergence order of fixed-substep RK4 on a Hill-content case (Secomb et al.
//       2004 Ann Biomed Eng 32:1519 content law);
//   (d) O2 mass balance: |Q| (C_in - C_out) = int_0^L M(P(s)) V/L ds;
//   (e) the Krogh (1919) tissue-cylinder profile: boundary conditions, the PDE, a hand value.
// Units: PO2 mmHg, content volume fraction, SI otherwise (see oxygen.hpp).
#include "hepaflow/kernels/oxygen.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <vector>

namespace hepaflow::kernels::oxygen {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A sinusoid-sized segment: r = 5 um, L = 250 um, Krogh radius 15 um; periportal Vmax.
constexpr double kLength = 250e-6;
const double kTissueVolume = kPi * (15e-6 * 15e-6 - 5e-6 * 5e-6) * kLength;  // 1.57e-13 m^3
const double kM0 = consumption_from_molar_rate(0.035);                          // 7.84e-4 s^-1

// The flow for which dissolved-only blood with constant consumption loses drop_mmHg.
double flow_for_linear_drop(double drop_mmHg, const BloodOxygenParameters& p) {
  return kM0 * kTissueVolume / (p.solubility * drop_mmHg);
}

// Solves (P_in - P) + Km ln(P_in / P) = k L for P in (0, P_in] by bisection on log P (the left side
// is decreasing in P), to the last bit.
double linear_mm_closed_form(double p_in, double kl, double km) {
  double lo = std::log(1e-300), hi = std::log(p_in);
  for (int i = 0; i < 2000 && hi - lo > 1e-16 * std::fabs(hi) + 1e-300; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double pm = std::exp(mid);
    const double g = (p_in - pm) + km * (std::log(p_in) - mid) - kl;
    if (g > 0) {
      lo = mid;  // too much consumed: the solution is at a higher P
    } else {
      hi = mid;
    }
  }
  return std::exp(0.5 * (lo + hi));
}

TEST(OxygenSegment, DissolvedOnlyWithConstantConsumptionDropsLinearlyAndExactly) {
  const BloodOxygenParameters p;
  const double p_in = 65.0;
  for (double drop : {5.0, 40.0, 64.0}) {
    const double q = flow_for_linear_drop(drop, p);
    const SegmentOxygenResult r = integrate_segment(p_in, q, 0.0, kLength, kTissueVolume, kM0, 0.0, p);
    const double expected = p_in - kM0 * kTissueVolume / (q * p.solubility);
    EXPECT_NEAR(r.po2_out_mmHg, expected, 1e-12 * p_in) << drop;
    EXPECT_NEAR(r.po2_mean_mmHg, 0.5 * (p_in + expected), 1e-12 * p_in) << drop;
    // Exact constant consumption: every O2 molecule consumed left the blood.
    EXPECT_NEAR(r.flux_out_of_blood, kM0 * kTissueVolume, 1e-12 * kM0 * kTissueVolume) << drop;
    EXPECT_LE(r.substeps, 2);  // RK4 is exact for a constant right-hand side
    std::printf("(a) drop %4.1f mmHg: P_out %.15g, expected %.15g, |error| %.2e mmHg\n", drop, r.po2_out_mmHg,
                expected, std::fabs(r.po2_out_mmHg - expected));
  }
  // A negative flow is taken by magnitude (the caller orients segments along the flow).
  const double q = flow_for_linear_drop(40.0, p);
  EXPECT_NEAR(integrate_segment(p_in, -q, 0.0, kLength, kTissueVolume, kM0, 0.0, p).po2_out_mmHg, 25.0, 1e-10);
}

TEST(OxygenSegment, ConstantConsumptionThatExhaustsTheBloodLeavesItAnoxicWithoutNaN) {
  const BloodOxygenParameters p;
  const double q = flow_for_linear_drop(100.0, p);  // would need 100 mmHg, has 65
  const SegmentOxygenResult r = integrate_segment(65.0, q, 0.0, kLength, kTissueVolume, kM0, 0.0, p);
  EXPECT_EQ(r.content_out, 0.0);
  EXPECT_EQ(r.po2_out_mmHg, 0.0);
  EXPECT_NEAR(r.flux_out_of_blood, q * content(65.0, 0.0, p), 1e-15 * q);
  EXPECT_TRUE(std::isfinite(r.po2_mean_mmHg));
  // Closed form of the mean: linear down to 0 at s* = 0.65 L, then 0: mean = 65/2 * 0.65.
  EXPECT_NEAR(r.po2_mean_mmHg, 65.0 * 0.5 * 0.65, 1e-3);
}

TEST(OxygenSegment, DissolvedOnlyWithMichaelisMentenMatchesTheImplicitClosedFormTo1e8) {
  const BloodOxygenParameters p;
  const double p_in = 65.0;
  for (double km : {1.0, 6.0}) {
    for (double kl : {10.0, 50.0, 64.0, 70.0}) {  // k L in mmHg; 70 > P_in: near-anoxic outflow
      const double q = kM0 * kTissueVolume / (p.solubility * kl);
      const SegmentOxygenResult r = integrate_segment(p_in, q, 0.0, kLength, kTissueVolume, kM0, km, p);
      const double expected = linear_mm_closed_form(p_in, kl, km);
      const double rel = std::fabs(r.po2_out_mmHg - expected) / expected;
      EXPECT_LE(rel, 1e-8) << "Km " << km << " kL " << kl;
      std::printf("(b) Km %.0f kL %4.1f: P_out %.12g, closed form %.12g, rel error %.2e, %d substeps\n", km, kl,
                  r.po2_out_mmHg, expected, rel, r.substeps);
    }
  }
}

TEST(OxygenSegment, FixedSubstepRk4ConvergesAtFourthOrderOnAHillContentCase) {
  // Human blood, Hd 0.3, 65 -> ~30 mmHg (the periportal -> pericentral range): the outflow enters
  // the steep part of the Hill curve. (A harsher case, 65 -> ~14 mmHg, is still pre-asymptotic at
  // 4 substeps: pairwise orders 3.67, 3.89, 3.97, fitted 3.85.)
  const BloodOxygenParameters p;
  const double hd = 0.3;
  const double p_in = 65.0;
  const double q = kM0 * kTissueVolume / (content(p_in, hd, p) - content(30.0, hd, p));
  const double km = 1.0;
  const double reference =
      integrate_segment_fixed(p_in, q, hd, kLength, kTissueVolume, kM0, km, p, 4096).content_out;
  std::printf("(c) reference P_out %.12g mmHg\n", po2_from_content(reference, hd, p));
  const int ns[] = {4, 8, 16, 32};
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int n : ns) {
    const double c = integrate_segment_fixed(p_in, q, hd, kLength, kTissueVolume, kM0, km, p, n).content_out;
    const double err = std::fabs(c - reference) / reference;
    ASSERT_GT(err, 0.0);
    const double x = std::log(static_cast<double>(n)), y = std::log(err);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    std::printf("(c) n %2d: relative content error %.3e\n", n, err);
  }
  const double m = 4;
  const double order = -(m * sxy - sx * sy) / (m * sxx - sx * sx);
  std::printf("(c) fitted order %.4f\n", order);
  EXPECT_GE(order, 3.8);
  EXPECT_LE(order, 4.5);
  // The adaptive driver reaches the reference.
  const SegmentOxygenResult adaptive = integrate_segment(p_in, q, hd, kLength, kTissueVolume, kM0, km, p, 1e-10);
  EXPECT_NEAR(adaptive.content_out, reference, 1e-10 * reference);
  const SegmentOxygenResult by_default = integrate_segment(p_in, q, hd, kLength, kTissueVolume, kM0, km, p);
  EXPECT_NEAR(by_default.content_out, reference, 1e-8 * reference);
  EXPECT_LE(by_default.substeps, 64);  // RK4 needs few steps on a smooth physiological segment
  std::printf("(c) adaptive (default tol 1e-8): %d substeps, rel error %.2e\n", by_default.substeps,
              std::fabs(by_default.content_out - reference) / reference);
  std::printf("(c) adaptive (tol 1e-10): %d substeps, rel error %.2e\n", adaptive.substeps,
              std::fabs(adaptive.content_out - reference) / reference);
}

TEST(OxygenSegment, FluxOutOfBloodEqualsTheIntegralOfConsumptionAlongTheSegment) {
  for (const BloodOxygenParameters& p : {BloodOxygenParameters{}, rat_blood_oxygen_parameters()}) {
    const double hd = 0.3;
    const double p_in = 65.0;
    for (double p_target : {40.0, 13.0, 2.0}) {  // targets for constant consumption; MM ends higher
      const double q = kM0 * kTissueVolume / (content(p_in, hd, p) - content(p_target, hd, p));
      const int n = 512;
      std::vector<double> profile(n + 1);
      const SegmentOxygenResult r =
          integrate_segment_fixed(p_in, q, hd, kLength, kTissueVolume, kM0, 1.0, p, n, profile.data());
      EXPECT_DOUBLE_EQ(profile[0], p_in);
      EXPECT_DOUBLE_EQ(profile[n], r.po2_out_mmHg);
      for (int k = 1; k <= n; ++k) EXPECT_LT(profile[k], profile[k - 1]);
      // Composite Simpson of J(s) = M(P(s)) V / L over [0, L], h = L / n.
      const double h = kLength / n;
      double sum = 0.0;
      for (int k = 0; k <= n; ++k) {
        const double w = (k == 0 || k == n) ? 1.0 : (k % 2 ? 4.0 : 2.0);
        sum += w * michaelis_menten(profile[k], kM0, 1.0) * kTissueVolume / kLength;
      }
      const double consumed = sum * h / 3.0;
      const double rel = std::fabs(r.flux_out_of_blood - consumed) / consumed;
      EXPECT_LE(rel, 1e-9) << p.p50_mmHg << " " << p_target;
      // Consumption never exceeds M0 V, and is close to it while P >> Km.
      EXPECT_LE(r.flux_out_of_blood, kM0 * kTissueVolume * (1 + 1e-12));
      std::printf("(d) P50 %.1f, P_out %7.3f: Q dC %.6e, int J ds %.6e, rel diff %.2e\n", p.p50_mmHg,
                  r.po2_out_mmHg, r.flux_out_of_blood, consumed, rel);
    }
  }
}

TEST(OxygenSegment, ZeroFlowReturnsTheInflowStateWithNoSubsteps) {
  const BloodOxygenParameters p;
  const SegmentOxygenResult r = integrate_segment(65.0, 0.0, 0.3, kLength, kTissueVolume, kM0, 1.0, p);
  EXPECT_EQ(r.po2_out_mmHg, 65.0);
  EXPECT_EQ(r.content_out, content(65.0, 0.3, p));
  EXPECT_EQ(r.flux_out_of_blood, 0.0);
  EXPECT_EQ(r.po2_mean_mmHg, 65.0);
  EXPECT_EQ(r.substeps, 0);
}

TEST(OxygenSegment, AnoxicInflowStaysAnoxic) {
  const BloodOxygenParameters p;
  const SegmentOxygenResult r = integrate_segment(0.0, 1e-14, 0.3, kLength, kTissueVolume, kM0, 1.0, p);
  EXPECT_EQ(r.po2_out_mmHg, 0.0);
  EXPECT_EQ(r.flux_out_of_blood, 0.0);
}

TEST(KroghErlich, SatisfiesTheBoundaryConditionsThePdeAndAHandValue) {
  const double r = 5e-6, rt = 30e-6, pw = 60.0;
  const double d_alpha = 4.2e-14;  // Secomb's 4.2e-10 cm^3 O2 cm^-1 s^-1 mmHg^-1 in SI
  // P(r) = P_w.
  EXPECT_EQ(krogh_tissue_po2(r, pw, r, rt, kM0, d_alpha), pw);
  // Zero flux at the Krogh radius: central difference of dP/drho, against the scale M0 R_t/(D alpha).
  const double h = 1e-4 * rt;
  const double slope =
      (krogh_tissue_po2(rt + h, pw, r, rt, kM0, d_alpha) - krogh_tissue_po2(rt - h, pw, r, rt, kM0, d_alpha)) / (2 * h);
  const double scale = kM0 * rt / d_alpha;  // mmHg/m
  EXPECT_LE(std::fabs(slope), 1e-8 * scale) << slope;
  // The PDE D alpha (1/rho) d/drho(rho dP/drho) = M0 at interior points.
  for (double rho : {7e-6, 15e-6, 25e-6}) {
    const double e = 1e-3 * rho;
    auto flux = [&](double x) {  // rho dP/drho at x
      return x * (krogh_tissue_po2(x + e, pw, r, rt, kM0, d_alpha) - krogh_tissue_po2(x - e, pw, r, rt, kM0, d_alpha)) /
             (2 * e);
    };
    const double lap = (flux(rho + e) - flux(rho - e)) / (2 * e) / rho;
    EXPECT_NEAR(d_alpha * lap, kM0, 1e-5 * kM0) << rho;
  }
  // Hand value at rho = R_t: M0/(4 D alpha) = 7.84e-4 / 1.68e-13 = 4.6667e9 mmHg m^-2;
  // [2 R_t^2 ln 6 - (R_t^2 - r^2)] = 3.225167e-9 - 0.875e-9 = 2.350167e-9 m^2; drop 10.967446 mmHg.
  EXPECT_NEAR(krogh_tissue_po2(rt, pw, r, rt, kM0, d_alpha), 49.0325538, 1e-6);
  // Monotone decreasing from the wall to the Krogh radius.
  double previous = pw;
  for (int i = 1; i <= 100; ++i) {
    const double rho = r + (rt - r) * i / 100.0;
    const double value = krogh_tissue_po2(rho, pw, r, rt, kM0, d_alpha);
    EXPECT_LT(value, previous);
    previous = value;
  }
}

}  // namespace
}  // namespace hepaflow::kernels::oxygen

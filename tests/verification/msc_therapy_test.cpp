// Verification and validation of the MSC therapy model (MODEL.md §5): residence kinetics against
// their closed forms and an independent quadrature, the IV biodistribution against the human
// ¹¹¹In-oxine data (Gholamrezanezhad 2011), the Emax effect's threshold and plateau, and the
// per-segment ODE step against the exact solution of the activation equation (order 1 of implicit Euler).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/kernels/remodel.hpp"
#include "hepaflow/therapy/msc_therapy.hpp"

namespace hepaflow {
namespace {

constexpr double day = 86400.0;

TEST(MscKinetics, CellSecondsEqualAQuadratureOfTheCellsInTheLiver) {
  TherapyConfig t;
  for (const char* route : {"iv", "portal_vein", "hepatic_artery", "intrahepatic"}) {
    InfusionConfig inf;
    inf.route = route;
    inf.dose = 1e6;
    // Simpson on [1 d, 9 d], 4000 intervals.
    const double a = 1 * day, b = 9 * day;
    const int n = 4000;
    double sum = 0;
    for (int i = 0; i <= n; ++i)
      sum += (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2)) * cells_in_liver(t, inf, a + (b - a) * i / n);
    const double simpson = sum * (b - a) / (3.0 * n);
    EXPECT_NEAR(cell_seconds_in_liver(t, inf, a, b) / simpson, 1.0, 1e-9) << route;
  }
}

TEST(MscKinetics, IntravenousBiodistributionFollowsTheHumanIndiumData) {
  // Gholamrezanezhad et al. 2011 (human cirrhosis, n = 4): liver 0-2.8 % at once, 13.0-17.4 % at day
  // 10; lungs 27-33.5 % at once, 2-5.4 % at day 10. The label is not cleared; the lungs release
  // with the iv_lung_release_time.
  TherapyConfig t;
  EXPECT_GE(label_fraction_in_liver(t, "iv", 0.0), 0.0);
  EXPECT_LE(label_fraction_in_liver(t, "iv", 0.0), 0.028);
  const double liver_day10 = label_fraction_in_liver(t, "iv", 10 * day);
  EXPECT_GE(liver_day10, 0.130);
  EXPECT_LE(liver_day10, 0.174);
  const double lungs_day10 = t.iv_lung_fraction * std::exp(-10 * day / t.iv_lung_release_time);
  EXPECT_GE(t.iv_lung_fraction, 0.27);
  EXPECT_LE(t.iv_lung_fraction, 0.335);
  EXPECT_GE(lungs_day10, 0.02);
  EXPECT_LE(lungs_day10, 0.054);
}

TEST(MscKinetics, DirectRoutesLoseMostCellsWithinAWeek) {
  // Rabbit MRI: ~80 % of the cells lost by day 7 (PARAMETERS.md §5 "Persistence in liver").
  TherapyConfig t;
  InfusionConfig inf;
  inf.route = "portal_vein";
  inf.dose = 1e6;
  const double n0 = cells_in_liver(t, inf, 0.0);
  EXPECT_NEAR(n0, 1e6 * t.body_mass * t.fraction_portal_vein, 1e-6 * n0);
  EXPECT_LT(cells_in_liver(t, inf, 7 * day), 0.2 * n0);
  EXPECT_NEAR(cells_in_liver(t, inf, t.clearance_half_life), 0.5 * n0, 1e-9 * n0);
}

TEST(MscEffect, HasAThresholdAHalfPointAndAPlateau) {
  namespace rm = kernels::remodel;
  EXPECT_EQ(rm::msc_effect(0.9, 1.0, 2.0, 2.0, 2.0), 0.0);
  EXPECT_EQ(rm::msc_effect(1.0, 1.0, 2.0, 2.0, 2.0), 0.0);
  EXPECT_NEAR(rm::msc_effect(3.0, 1.0, 2.0, 2.0, 2.0), 1.0, 1e-15);  // x = EC50: E_max / 2
  EXPECT_NEAR(rm::msc_effect(1e6, 1.0, 2.0, 2.0, 2.0), 2.0, 1e-9);
}

TEST(RemodelStep, ActivationConvergesToItsExactSolutionAtOrderOne) {
  // da/dt = k_act I (1 - a) - k_deact (1 + E) a with E constant: a(t) = a* + (a0 - a*) e^{-lambda t}.
  namespace rm = kernels::remodel;
  const double k_act = 1 / (2 * day), k_deact = 1 / (20 * day), injury = 0.4, a0 = 0.8, T = 14 * day;
  const double exposure = 5e15, waning = 1e12 * day;  // effectively constant exposure
  rm::RemodelParameters p;
  p.k_act = k_act, p.k_deact = k_deact, p.k_tone = 1 / 3600.0, p.k_relax = 1 / 3600.0, p.waning_time = waning;
  p.threshold = 0, p.ec50 = 5e15, p.emax = 2, p.hill = 1, p.maturation_time = 1;
  const double e = rm::msc_effect(exposure, p.threshold, p.ec50, p.emax, p.hill);  // = 1
  const double lambda = k_act * injury + k_deact * (1 + e), a_star = k_act * injury / lambda;
  const double exact = a_star + (a0 - a_star) * std::exp(-lambda * T);
  double errors[3];
  for (int level = 0; level < 3; ++level) {
    const int steps = 14 << level;
    p.dt = T / steps;
    std::int64_t id = 1;
    double a = a0, tone = 0.5, c = 0, cpa = 0.1, closed = 0, x = exposure, eff = 0, f = std::nan(""), r = 0;
    const double zero = 0, one = 1, radius = 4e-6, nan = std::nan(""), signal = exposure / waning, po2 = 40;
    rm::RemodelFields fields;
    fields.segment_id = &id;
    fields.activation = &a, fields.tone = &tone, fields.capillarization = &c, fields.collagen = &cpa;
    fields.closed = &closed, fields.exposure = &x, fields.effect = &eff, fields.function = &f, fields.radius = &r;
    fields.injury = &injury, fields.tone_target = &tone, fields.collagen_gain = &zero, fields.collagen_basal = &zero;
    fields.capillarization_gain = &zero, fields.capillarization_basal = &zero, fields.remodels = &one;
    fields.base_radius = &radius, fields.mature_radius = &radius, fields.birth_time = &nan;
    fields.signal = &signal, fields.vegf = &zero, fields.tissue_po2 = &po2;
    for (int i = 0; i < steps; ++i) rm::remodel_segment(0, p, fields);
    EXPECT_NEAR(eff, e, 1e-9);
    errors[level] = std::abs(a - exact);
  }
  EXPECT_NEAR(std::log2(errors[0] / errors[1]), 1.0, 0.1);
  EXPECT_NEAR(std::log2(errors[1] / errors[2]), 1.0, 0.1);
  EXPECT_LT(errors[2], 0.01);
}

}  // namespace
}  // namespace hepaflow

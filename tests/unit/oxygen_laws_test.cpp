// The blood-oxygen laws of MODEL.md §3 (kernels/include/hepaflow/kernels/oxygen.hpp): Hill
// saturation and content C = C0 Hd S(P) + alpha_b P (Secomb et al. 2004 Ann Biomed Eng 32:1519),
// its monotone inverse, and Michaelis-Menten consumption. PO2 in mmHg, content as volume fraction.
#include "hepaflow/kernels/oxygen.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <vector>

namespace hepaflow::kernels::oxygen {
namespace {

const double kHaematocrits[] = {0.0, 0.2, 0.45, 0.8};

std::vector<double> log_spaced_po2(double lo, double hi, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(lo * std::pow(hi / lo, static_cast<double>(i) / (n - 1)));
  return v;
}

TEST(OxygenSaturation, IsOneHalfAtP50ForHumanAndRatParameters) {
  const BloodOxygenParameters human;
  const BloodOxygenParameters rat = rat_blood_oxygen_parameters();
  EXPECT_DOUBLE_EQ(saturation(26.8, human), 0.5);
  EXPECT_DOUBLE_EQ(saturation(38.0, rat), 0.5);
}

TEST(OxygenSaturation, IsZeroAtAndBelowZeroPo2AndTendsToOneAtHighPo2) {
  const BloodOxygenParameters p;
  EXPECT_EQ(saturation(0.0, p), 0.0);
  EXPECT_EQ(saturation(-5.0, p), 0.0);
  EXPECT_EQ(saturation(1e-300, p), 0.0);  // (P50/P)^n overflows to inf: no NaN
  EXPECT_NEAR(saturation(1e6, p), 1.0, 1e-12);  // 1 - S = (26.8e-6)^2.7 = 4.5e-13
  EXPECT_EQ(saturation(1e300, p), 1.0);
  EXPECT_TRUE(std::isnan(saturation(std::numeric_limits<double>::quiet_NaN(), p)));
}

TEST(OxygenSaturation, MatchesTheHillFormulaWrittenOut) {
  const BloodOxygenParameters p;
  for (double po2 : {1.0, 10.0, 40.0, 65.0, 100.0}) {
    const double pn = std::pow(po2, p.hill_n);
    EXPECT_NEAR(saturation(po2, p), pn / (pn + std::pow(p.p50_mmHg, p.hill_n)), 1e-15) << po2;
  }
}

TEST(OxygenSaturation, HumanCurveLiesAboveTheRatCurve) {
  // Lower P50 (26.8 vs 38 mmHg): human haemoglobin is more saturated at any PO2 in the
  // physiological range; the steeper rat curve (n 3 vs 2.7) overtakes it only above ~880 mmHg.
  const BloodOxygenParameters human;
  const BloodOxygenParameters rat = rat_blood_oxygen_parameters();
  EXPECT_EQ(rat.p50_mmHg, 38.0);
  EXPECT_EQ(rat.hill_n, 3.0);
  EXPECT_EQ(rat.binding_capacity, human.binding_capacity);
  EXPECT_EQ(rat.solubility, human.solubility);
  for (double po2 : log_spaced_po2(0.1, 700.0, 50)) EXPECT_GT(saturation(po2, human), saturation(po2, rat)) << po2;
  // Hand values: S_human(65) = 1/(1 + (26.8/65)^2.7) = 0.916228, S_rat(65) = 1/(1 + (38/65)^3) = 0.833467.
  EXPECT_NEAR(saturation(65.0, human), 1.0 / (1.0 + std::exp(2.7 * std::log(26.8 / 65.0))), 1e-15);
  EXPECT_NEAR(saturation(65.0, human), 0.9162275481620046, 1e-14);
  EXPECT_NEAR(saturation(65.0, rat), 0.8334673760307377, 1e-14);
}

TEST(OxygenContent, IsZeroAtZeroPo2) {
  const BloodOxygenParameters p;
  for (double hd : kHaematocrits) {
    EXPECT_EQ(content(0.0, hd, p), 0.0);
    EXPECT_EQ(content(-1.0, hd, p), 0.0);
  }
}

TEST(OxygenContent, IsBoundPlusDissolved) {
  const BloodOxygenParameters p;
  // Hd 0.45 at P50: 0.5 * 0.45 * 0.5 + 3.1e-5 * 26.8.
  EXPECT_NEAR(content(26.8, 0.45, p), 0.1125 + 8.308e-4, 1e-15);
  // Dissolved only.
  EXPECT_NEAR(content(100.0, 0.0, p), 3.1e-3, 1e-17);
  // ~0.20 ml O2/ml at full saturation for Hd 0.4 (PARAMETERS.md §7.1 capacity 0.20 ml/ml).
  EXPECT_NEAR(content(700.0, 0.4, p), 0.22167013487234968, 1e-14);
}

TEST(OxygenContent, IsStrictlyIncreasingInPo2AndInHaematocrit) {
  for (const BloodOxygenParameters& p : {BloodOxygenParameters{}, rat_blood_oxygen_parameters()}) {
    const std::vector<double> po2 = log_spaced_po2(0.01, 700.0, 400);
    for (double hd : kHaematocrits) {
      for (std::size_t i = 1; i < po2.size(); ++i) {
        EXPECT_GT(content(po2[i], hd, p), content(po2[i - 1], hd, p)) << hd << " " << po2[i];
        EXPECT_GT(content_derivative(po2[i], hd, p), 0.0);
      }
    }
    for (double x : po2) EXPECT_GT(content(x, 0.45, p), content(x, 0.2, p));
  }
}

TEST(OxygenContent, DerivativeMatchesCentralDifference) {
  const BloodOxygenParameters p;
  for (double hd : kHaematocrits) {
    for (double po2 : {0.5, 5.0, 26.8, 65.0, 300.0}) {
      const double h = 1e-5 * po2;
      const double fd = (content(po2 + h, hd, p) - content(po2 - h, hd, p)) / (2 * h);
      EXPECT_NEAR(content_derivative(po2, hd, p), fd, 1e-7 * std::fabs(fd)) << hd << " " << po2;
    }
  }
}

TEST(OxygenContentInverse, RecoversPo2To1e10RelativeFromPointZeroOneTo700MmHg) {
  double worst = 0.0;
  for (const BloodOxygenParameters& p : {BloodOxygenParameters{}, rat_blood_oxygen_parameters()}) {
    for (double hd : kHaematocrits) {
      for (double po2 : log_spaced_po2(0.01, 700.0, 1000)) {
        const double back = po2_from_content(content(po2, hd, p), hd, p);
        ASSERT_TRUE(std::isfinite(back));
        const double rel = std::fabs(back - po2) / po2;
        worst = std::max(worst, rel);
        EXPECT_LE(rel, 1e-10) << "hd " << hd << " po2 " << po2;
      }
    }
  }
  std::printf("worst relative round-trip error: %.3e\n", worst);
}

TEST(OxygenContentInverse, IsMonotoneAndNeverNaNForNonNegativeContent) {
  const BloodOxygenParameters p;
  for (double hd : kHaematocrits) {
    double previous = -1.0;
    for (int i = 0; i <= 2000; ++i) {
      const double c = 0.5 * i / 2000.0;  // up to 0.5, beyond full saturation for every Hd here
      const double po2 = po2_from_content(c, hd, p);
      ASSERT_FALSE(std::isnan(po2)) << c;
      ASSERT_GE(po2, 0.0);
      EXPECT_GT(po2, previous) << "hd " << hd << " c " << c;
      previous = po2;
    }
  }
  EXPECT_EQ(po2_from_content(0.0, 0.45, p), 0.0);
  EXPECT_EQ(po2_from_content(-1e-3, 0.45, p), 0.0);
  EXPECT_TRUE(std::isfinite(po2_from_content(1e-300, 0.45, p)));
  EXPECT_TRUE(std::isfinite(po2_from_content(10.0, 0.45, p)));  // far beyond saturation
  EXPECT_TRUE(std::isnan(po2_from_content(std::numeric_limits<double>::quiet_NaN(), 0.45, p)));
}

TEST(OxygenContentInverse, IsExactForDissolvedOnlyBlood) {
  const BloodOxygenParameters p;
  EXPECT_DOUBLE_EQ(po2_from_content(3.1e-3, 0.0, p), 100.0);
}

TEST(MichaelisMenten, IsHalfMaximalAtKmAndSaturatesAtHighPo2) {
  const double m0 = consumption_from_molar_rate(0.035);
  EXPECT_NEAR(m0, 7.84e-4, 1e-18);
  EXPECT_DOUBLE_EQ(michaelis_menten(1.0, m0, 1.0), m0 / 2);
  EXPECT_DOUBLE_EQ(michaelis_menten(3.0, m0, 3.0), m0 / 2);
  EXPECT_EQ(michaelis_menten(0.0, m0, 1.0), 0.0);
  EXPECT_EQ(michaelis_menten(-1.0, m0, 1.0), 0.0);
  EXPECT_NEAR(michaelis_menten(1e6, m0, 1.0), m0, 1e-6 * m0);
  EXPECT_EQ(michaelis_menten(0.01, m0, 0.0), m0);  // Km = 0: constant consumption
}

// integrate_segment() at the edges of its input domain (its accuracy: tests/verification/
// oxygen_segment_test.cpp and oxygen_convergence_test.cpp).
constexpr double kSegmentLength = 250e-6, kSegmentVolume = 1.57e-13;
const double kSegmentM0 = consumption_from_molar_rate(0.035);

TEST(OxygenSegmentEdges, NoConsumptionLeavesTheBloodAsItCameInOneSubstep) {
  const BloodOxygenParameters p;
  for (double m0 : {0.0, kSegmentM0}) {
    const double volume = m0 > 0 ? 0.0 : kSegmentVolume;  // either factor of a = M0 V / |Q| zero
    const SegmentOxygenResult r = integrate_segment(65.0, 1e-14, 0.3, kSegmentLength, volume, m0, 1.0, p);
    EXPECT_EQ(r.po2_out_mmHg, 65.0);
    EXPECT_EQ(r.content_out, content(65.0, 0.3, p));
    EXPECT_EQ(r.flux_out_of_blood, 0.0);
    EXPECT_EQ(r.po2_mean_mmHg, 65.0);
    EXPECT_EQ(r.substeps, 1);
  }
}

TEST(OxygenSegmentEdges, InvalidInputGivesNaNAndTerminates) {
  const BloodOxygenParameters p;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto run = [&](double po2, double flow, double m0, double km) {
    return integrate_segment(po2, flow, 0.3, kSegmentLength, kSegmentVolume, m0, km, p);
  };
  for (const SegmentOxygenResult& r :
       {run(nan, 1e-14, kSegmentM0, 1.0), run(65.0, nan, kSegmentM0, 1.0), run(65.0, 1e-14, nan, 1.0),
        run(65.0, 1e-14, kSegmentM0, nan), run(65.0, 1e-14, kSegmentM0, -1.0)}) {
    EXPECT_TRUE(std::isnan(r.po2_out_mmHg));
    EXPECT_TRUE(std::isnan(r.po2_mean_mmHg));
  }
}

TEST(OxygenSegmentEdges, ExtremeConsumptionStaysFiniteAndWithinItsPanelBound) {
  // From a trickle (the blood used up within 1e-9 of the length) to a constant-consumption limit
  // with a tiny Km: finite outputs, anoxic outflow, all O2 given up, panels below the bound.
  const BloodOxygenParameters p;
  for (double km : {0.0, 1e-9, 1.0}) {
    for (double flow : {1e-22, 1e-26}) {
      const SegmentOxygenResult r =
          integrate_segment(65.0, flow, 0.3, kSegmentLength, kSegmentVolume, kSegmentM0, km, p, 1e-6, 256);
      EXPECT_TRUE(std::isfinite(r.po2_mean_mmHg)) << km << " " << flow;
      EXPECT_GE(r.po2_mean_mmHg, 0.0);
      EXPECT_LT(r.po2_mean_mmHg, 65.0 * 1e-3);
      EXPECT_LT(r.po2_out_mmHg, 1e-6);
      EXPECT_NEAR(r.flux_out_of_blood, flow * content(65.0, 0.3, p), 1e-12 * flow * content(65.0, 0.3, p));
      EXPECT_LT(r.substeps, 256) << km << " " << flow;
    }
  }
}

TEST(OxygenSegmentEdges, APanelBoundTooSmallIsReportedAsReachedAndTheResultStaysFinite) {
  // max_substeps 2 cannot meet 1e-12 on a 65 -> ~8 mmHg segment: substeps == max_substeps flags it.
  const BloodOxygenParameters p;
  const double flow = kSegmentM0 * kSegmentVolume / (content(65.0, 0.3, p) - content(8.0, 0.3, p));
  const SegmentOxygenResult r =
      integrate_segment(65.0, flow, 0.3, kSegmentLength, kSegmentVolume, kSegmentM0, 1.0, p, 1e-12, 2);
  EXPECT_EQ(r.substeps, 2);
  EXPECT_TRUE(std::isfinite(r.po2_out_mmHg));
  EXPECT_GT(r.po2_out_mmHg, 5.0);
  EXPECT_LT(r.po2_out_mmHg, 30.0);
}

}  // namespace
}  // namespace hepaflow::kernels::oxygen

// The blood-rheology laws of MODEL.md §2 (kernels/include/hepaflow/kernels/rheology.hpp).
//
// The tables are the laws evaluated from the published formulas in 50-digit decimal arithmetic by
// tests/unit/rheology_reference.py (python3 standard library only, written independently of the
// C++); regenerate them with
//     python3 tests/unit/rheology_reference.py
// and paste the printed rows. Tolerance 1e-12 relative.
#include "hepaflow/kernels/rheology.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace hepaflow::kernels::rheology {
namespace {

constexpr double kRelTol = 1e-12;

struct ViscosityRow {
  double diameter_um, hd, eta_rel;
};
struct CZeroRow {
  double diameter_um, hd, eta_invivo, eta_invitro;
};
struct PhaseRow {
  double fqb, d_alpha, d_beta, d_parent, hd_parent, fqe;
};

const double kDiameters[] = {4, 6, 8, 10, 20, 50, 100};

TEST(PriesInVivo, MatchesIndependentlyComputedTable) {
  const ViscosityRow rows[] = {
      {4, 0.0, 1.9024970273483948},
      {4, 0.2, 8.921561572189681},
      {4, 0.45, 17.696481978712423},
      {4, 0.6, 22.962219237138854},
      {6, 0.0, 1.4993752603082049},
      {6, 0.2, 5.2507699630904341},
      {6, 0.45, 10.011560536764797},
      {6, 0.6, 12.920387435640309},
      {8, 0.0, 1.3442554085276202},
      {8, 0.2, 3.5880577177797006},
      {8, 0.45, 7.3073008920731937},
      {8, 0.6, 10.421181055058161},
      {10, 0.0, 1.2624668602449185},
      {10, 0.2, 2.6514102736577421},
      {10, 0.45, 5.8724376741789008},
      {10, 0.6, 9.8259423348478752},
      {20, 0.0, 1.1197894795778394},
      {20, 0.2, 1.761741906586159},
      {20, 0.45, 3.2310835617244913},
      {20, 0.6, 5.008320108143673},
      {50, 0.0, 1.0454957950159125},
      {50, 0.2, 1.4374986313241056},
      {50, 0.45, 2.281609750806969},
      {50, 0.6, 3.2349411346035},
      {100, 0.0, 1.0223683981838647},
      {100, 0.2, 1.5032567374576666},
      {100, 0.45, 2.5315391248458017},
      {100, 0.6, 3.6837351688240818},
  };
  for (const auto& r : rows)
    EXPECT_NEAR(relative_viscosity_pries1994_invivo(r.diameter_um, r.hd), r.eta_rel, kRelTol * r.eta_rel)
        << "D = " << r.diameter_um << " um, H = " << r.hd;
}

TEST(PriesInVitro, MatchesIndependentlyComputedTable) {
  const ViscosityRow rows[] = {
      {4, 0.0, 1},
      {4, 0.2, 1.5806756262983392},
      {4, 0.45, 2.3066103103611266},
      {4, 0.6, 2.7422360637539391},
      {6, 0.0, 1},
      {6, 0.2, 1.120540457768862},
      {6, 0.45, 1.2735149967228092},
      {6, 0.6, 1.3669819213577423},
      {8, 0.0, 1},
      {8, 0.2, 1.1004385474093286},
      {8, 0.45, 1.2669217444128182},
      {8, 0.6, 1.4063072861280252},
      {10, 0.0, 1},
      {10, 0.2, 1.098946026334874},
      {10, 0.45, 1.3284066788852964},
      {10, 0.6, 1.6100477972289216},
      {20, 0.0, 1},
      {20, 0.2, 1.178676443358976},
      {20, 0.45, 1.5876424819216839},
      {20, 0.6, 2.0823057805739587},
      {50, 0.0, 1},
      {50, 0.2, 1.3314870738091586},
      {50, 0.45, 2.0452878401565711},
      {50, 0.6, 2.8514479020615697},
      {100, 0.0, 1},
      {100, 0.2, 1.4596868201063173},
      {100, 0.45, 2.4426340496931243},
      {100, 0.6, 3.5440318011863026},
  };
  for (const auto& r : rows)
    EXPECT_NEAR(relative_viscosity_pries1992_invitro(r.diameter_um, r.hd), r.eta_rel, kRelTol * r.eta_rel)
        << "D = " << r.diameter_um << " um, H = " << r.hd;
}

// C(D) changes sign at D = 8.0518 um; there the literal ((1-H)^C - 1)/((1-0.45)^C - 1) is 0/0 up
// to rounding, and the expm1/log1p form must still give the limit to full precision.
TEST(PriesLaws, StayAccurateWhereTheHaematocritExponentCrossesZero) {
  const CZeroRow rows[] = {
      {8.051829446724955, 0.2, 3.5503755143329054, 1.1001591154162764},
      {8.051829446724955, 0.45, 7.2594269458667204, 1.2683421716923693},
      {8.051829446724955, 0.6, 10.411767263113656, 1.411281744993917},
  };
  for (const auto& r : rows) {
    EXPECT_NEAR(relative_viscosity_pries1994_invivo(r.diameter_um, r.hd), r.eta_invivo, kRelTol * r.eta_invivo);
    EXPECT_NEAR(relative_viscosity_pries1992_invitro(r.diameter_um, r.hd), r.eta_invitro, kRelTol * r.eta_invitro);
  }
}

TEST(PriesInVivo, RatCorrectionMatchesIndependentlyComputedTable) {
  const ViscosityRow rows[] = {  // MCV 55 fl
      {4, 0.45, 13.562634973168212},
      {6, 0.45, 8.251348811335367},
      {10, 0.45, 5.0103568182050244},
  };
  InVivoParameters rat;
  rat.mcv_correction = mcv_correction_factor(55.0);
  for (const auto& r : rows)
    EXPECT_NEAR(relative_viscosity_pries1994_invivo(r.diameter_um, r.hd, rat), r.eta_rel, kRelTol * r.eta_rel)
        << "D = " << r.diameter_um << " um";
}

TEST(PriesInVivo, SpeciesCorrectionActsAsADiameterScaling) {
  EXPECT_NEAR(mcv_correction_factor(55.0), 1.1870664916411231, 1e-15);  // (92/55)^(1/3)
  EXPECT_EQ(mcv_correction_factor(92.0), 1.0);
  InVivoParameters rat;
  rat.mcv_correction = mcv_correction_factor(55.0);
  for (double d : kDiameters)
    for (double h : {0.0, 0.2, 0.45, 0.6}) {
      const double scaled = relative_viscosity_pries1994_invivo(d * rat.mcv_correction, h);
      EXPECT_NEAR(relative_viscosity_pries1994_invivo(d, h, rat), scaled, 1e-14 * scaled) << d << " " << h;
    }
  // Rat cells are smaller: a rat capillary behaves like a 19% wider human one, so (below the in vivo
  // minimum near 48 um, where eta_rel falls with D) its relative viscosity is lower.
  for (double d : {4.0, 6.0, 10.0, 20.0})
    EXPECT_LT(relative_viscosity_pries1994_invivo(d, 0.45, rat), relative_viscosity_pries1994_invivo(d, 0.45));
}

// At H = hd_ref the haematocrit factor is 1, so eta_rel = r^2 + (eta45 - 1) r^4 with r = D/(D-W);
// with eps = W/D, r^2 = 1 + 2 eps + 3 eps^2 + ..., r^4 = 1 + 4 eps + 10 eps^2 + ..., hence
// eta_rel = eta45 + eps (4 eta45 - 2) + eps^2 (3 + 10 (eta45 - 1)) + O(eps^3): in a 100 um vessel
// the 1.1 um layer adds ~3.5% to the large-vessel viscosity eta45 = 2.4438.
TEST(PriesInVivo, LargeVesselAtReferenceHaematocritIsEta45PlusTheLayerCorrection) {
  const double d = 100.0, w = 1.1, eps = w / d;
  const double eta45 = 6.0 * std::exp(-0.085 * d) + 3.2 - 2.44 * std::exp(-0.06 * std::pow(d, 0.645));
  EXPECT_NEAR(eta45, 2.4438, 1e-4);
  const double r = d / (d - w);
  const double eta = relative_viscosity_pries1994_invivo(d, 0.45);
  EXPECT_NEAR(eta, r * r + (eta45 - 1.0) * r * r * r * r, 1e-13 * eta);
  const double first_order = eta45 + eps * (4.0 * eta45 - 2.0);
  const double second = eps * eps * (3.0 + 10.0 * (eta45 - 1.0));
  EXPECT_NEAR(eta - first_order, second, 0.05 * second);
  // In vitro (no layer) the same vessel gives eta45 minus the in vivo-only 6 exp(-0.085 D) term.
  const double in_vitro = relative_viscosity_pries1992_invitro(d, 0.45);
  EXPECT_NEAR(in_vitro, eta45 - 6.0 * std::exp(-0.085 * d), 1e-13);
  EXPECT_NEAR(eta / in_vitro, 1.0364, 1e-4);
}

TEST(PriesInVivo, PlasmaAloneFeelsOnlyTheSurfaceLayer) {
  for (double d : kDiameters) {
    const double r = d / (d - 1.1);
    EXPECT_NEAR(relative_viscosity_pries1994_invivo(d, 0.0), r * r, 1e-14 * r * r) << d;
    EXPECT_NEAR(relative_viscosity_pries1994_invivo(d, -0.3), r * r, 1e-14 * r * r) << d;  // clamped to 0
    EXPECT_EQ(relative_viscosity_pries1992_invitro(d, 0.0), 1.0) << d;
  }
}

TEST(PriesInVitro, FahraeusLindqvistMinimumLiesNearSevenMicrometres) {
  // At H = 0.45 eta_rel = eta45 = 220 exp(-1.3 D) + 3.2 - 2.44 exp(-0.06 D^0.645): the steep
  // 220 exp(-1.3 D) rise below ~6 um meets the slow Fahraeus-Lindqvist decrease above.
  double best_d = 0.0, best = std::numeric_limits<double>::infinity();
  for (int i = 200; i <= 10000; ++i) {
    const double d = 0.01 * i;
    const double eta = relative_viscosity_pries1992_invitro(d, 0.45);
    if (eta < best) best = eta, best_d = d;
  }
  EXPECT_NEAR(best_d, 6.85, 0.011);
  EXPECT_NEAR(best, 1.24723, 1e-5);
  // The minimum carries over to other haematocrits, though not exactly to the same diameter.
  for (double h : {0.2, 0.6}) {
    const double at_min = relative_viscosity_pries1992_invitro(7.0, h);
    EXPECT_LT(at_min, relative_viscosity_pries1992_invitro(4.0, h)) << h;
    EXPECT_LT(at_min, relative_viscosity_pries1992_invitro(20.0, h)) << h;
  }
}

TEST(PriesLaws, IncreaseMonotonicallyWithHaematocrit) {
  std::vector<double> diameters(std::begin(kDiameters), std::end(kDiameters));
  diameters.push_back(8.051829446724955);  // C = 0
  diameters.push_back(3.0);
  diameters.push_back(500.0);
  for (double d : diameters) {
    double prev_vivo = 0.0, prev_vitro = 0.0;
    for (int i = 0; i <= 99; ++i) {
      const double h = 0.01 * i;
      const double vivo = relative_viscosity_pries1994_invivo(d, h);
      const double vitro = relative_viscosity_pries1992_invitro(d, h);
      if (i > 0) {
        EXPECT_GT(vivo, prev_vivo) << "D = " << d << ", H = " << h;
        EXPECT_GT(vitro, prev_vitro) << "D = " << d << ", H = " << h;
      }
      prev_vivo = vivo, prev_vitro = vitro;
    }
  }
}

TEST(PriesLaws, StayFiniteOutsideTheirRange) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double d : {-5.0, 0.0, 0.5, 1.1, 1.155, 1.2, 1e6, 1e300, inf})
    for (double h : {-1.0, 0.0, 0.45, 0.99, 1.0, 1.5}) {
      EXPECT_TRUE(std::isfinite(relative_viscosity_pries1994_invivo(d, h))) << d << " " << h;
      EXPECT_TRUE(std::isfinite(relative_viscosity_pries1992_invitro(d, h))) << d << " " << h;
      EXPECT_GE(relative_viscosity_pries1994_invivo(d, h), 1.0);
      EXPECT_GE(relative_viscosity_pries1992_invitro(d, h), 1.0);
    }
  // Clamps: H above 0.99 is 0.99; in vivo D below 1.05 W is 1.05 W; in vitro D below 0 is 0.
  EXPECT_EQ(relative_viscosity_pries1994_invivo(20.0, 1.0), relative_viscosity_pries1994_invivo(20.0, 0.99));
  EXPECT_EQ(relative_viscosity_pries1992_invitro(20.0, 7.0), relative_viscosity_pries1992_invitro(20.0, 0.99));
  EXPECT_EQ(relative_viscosity_pries1994_invivo(1.1, 0.45), relative_viscosity_pries1994_invivo(1.05 * 1.1, 0.45));
  EXPECT_EQ(relative_viscosity_pries1994_invivo(-3.0, 0.45), relative_viscosity_pries1994_invivo(1.05 * 1.1, 0.45));
  EXPECT_EQ(relative_viscosity_pries1992_invitro(-3.0, 0.45), relative_viscosity_pries1992_invitro(0.0, 0.45));
  // In vitro at D = 0: eta45 = 220 + 3.2 - 2.44, C = 1, so eta_rel(H) = 1 + (eta45 - 1) H / 0.45.
  EXPECT_NEAR(relative_viscosity_pries1992_invitro(0.0, 0.2), 1.0 + 219.76 * 0.2 / 0.45, 1e-11);
  // Infinitely wide: eta45 -> 3.2 and C -> -0.8 in both laws; no layer.
  const double wide = 1.0 + 2.2 * (std::pow(0.8, -0.8) - 1.0) / (std::pow(0.55, -0.8) - 1.0);
  EXPECT_NEAR(relative_viscosity_pries1994_invivo(inf, 0.2), wide, 1e-14);
  EXPECT_NEAR(relative_viscosity_pries1992_invitro(inf, 0.2), wide, 1e-14);
}

TEST(PriesLaws, PropagateNaNInsteadOfHidingIt) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(relative_viscosity_pries1994_invivo(nan, 0.45)));
  EXPECT_TRUE(std::isnan(relative_viscosity_pries1994_invivo(10.0, nan)));
  EXPECT_TRUE(std::isnan(relative_viscosity_pries1992_invitro(nan, 0.45)));
  EXPECT_TRUE(std::isnan(relative_viscosity_pries1992_invitro(10.0, nan)));
  EXPECT_TRUE(std::isnan(rbc_fraction_pries_secomb_2005(nan, 6, 6, 10, 0.45)));
  EXPECT_TRUE(std::isnan(rbc_fraction_pries_secomb_2005(0.5, 6, 6, 10, nan)));
  EXPECT_TRUE(std::isnan(rbc_fraction_pries_secomb_2005(0.5, 6, 6, nan, 0.45)));
  EXPECT_TRUE(std::isnan(rbc_fraction_pries_secomb_2005(nan, 6, 6, 0.0, 0.45)));  // degenerate parent
}

TEST(PhaseSeparation, MatchesIndependentlyComputedTable) {
  const PhaseRow rows[] = {
      {0.5, 6, 6, 10, 0.45, 0.5},
      {0.3, 6, 8, 10, 0.45, 0.24452284562689294},
      {0.7, 8, 6, 10, 0.45, 0.75547715437310692},
      {0.5, 8, 5, 12, 0.3, 0.41587839474268201},
      {0.2, 20, 15, 25, 0.45, 0.1443829167630277},
      {0.9, 5, 7, 8, 0.2, 0.99993322372523319},
      {0.12, 4, 4, 6, 0.45, 0.0050662367794296944},
      {0.6, 30, 30, 40, 0.4, 0.61340377060433326},
      {0.05, 4, 4, 6, 0.45, 0},
      {0.95, 4, 4, 6, 0.45, 1},
  };
  for (const auto& r : rows)
    EXPECT_NEAR(rbc_fraction_pries_secomb_2005(r.fqb, r.d_alpha, r.d_beta, r.d_parent, r.hd_parent), r.fqe,
                kRelTol * r.fqe)
        << "FQB " << r.fqb << ", Da " << r.d_alpha << ", Db " << r.d_beta << ", DF " << r.d_parent << ", H "
        << r.hd_parent;
}

struct Bifurcation {
  double d_alpha, d_beta, d_parent, hd;
};
const Bifurcation kBifurcations[] = {
    {6, 6, 10, 0.45}, {6, 8, 10, 0.45}, {8, 5, 12, 0.3}, {20, 15, 25, 0.45},
    {5, 7, 8, 0.2},   {4, 4, 6, 0.45},  {3, 9, 9, 0.6},  {50, 40, 60, 0.45},
};

TEST(PhaseSeparation, SwappingTheDaughtersMirrorsTheSplit) {
  for (const auto& b : kBifurcations)
    for (int i = 0; i <= 100; ++i) {
      const double fqb = 0.01 * i;
      const double fqe = rbc_fraction_pries_secomb_2005(fqb, b.d_alpha, b.d_beta, b.d_parent, b.hd);
      const double mirrored = rbc_fraction_pries_secomb_2005(1.0 - fqb, b.d_beta, b.d_alpha, b.d_parent, b.hd);
      EXPECT_NEAR(fqe, 1.0 - mirrored, 1e-13) << "FQB " << fqb << ", Da " << b.d_alpha << ", Db " << b.d_beta;
    }
}

TEST(PhaseSeparation, IsZeroBelowX0AndOneAboveOneMinusX0) {
  for (const auto& b : kBifurcations) {
    const double x0 = 0.964 * ((1.0 - b.hd) / b.d_parent);  // rounded as the law rounds it
    for (double f : {0.0, 0.5 * x0, x0}) {
      EXPECT_EQ(rbc_fraction_pries_secomb_2005(f, b.d_alpha, b.d_beta, b.d_parent, b.hd), 0.0) << f;
      EXPECT_EQ(rbc_fraction_pries_secomb_2005(1.0 - f, b.d_alpha, b.d_beta, b.d_parent, b.hd), 1.0) << f;
    }
    EXPECT_GT(rbc_fraction_pries_secomb_2005(x0 + 1e-6, b.d_alpha, b.d_beta, b.d_parent, b.hd), 0.0);
    EXPECT_LT(rbc_fraction_pries_secomb_2005(1.0 - x0 - 1e-6, b.d_alpha, b.d_beta, b.d_parent, b.hd), 1.0);
    // and monotone in between (B > 0)
    double prev = -1.0;
    for (int i = 0; i <= 1000; ++i) {
      const double fqe = rbc_fraction_pries_secomb_2005(0.001 * i, b.d_alpha, b.d_beta, b.d_parent, b.hd);
      EXPECT_GE(fqe, prev);
      EXPECT_GE(fqe, 0.0);
      EXPECT_LE(fqe, 1.0);
      prev = fqe;
    }
  }
}

TEST(PhaseSeparation, EqualDaughtersShareAnEvenFlowSplitEvenly) {
  for (double d : {4.0, 6.0, 10.0, 30.0, 100.0})
    for (double h : {0.0, 0.2, 0.45, 0.8})
      EXPECT_DOUBLE_EQ(rbc_fraction_pries_secomb_2005(0.5, d, d, 1.2 * d, h), 0.5) << d << " " << h;
}

TEST(PhaseSeparation, SkimsPlasmaIntoTheLowFlowBranch) {
  // Equal daughters (A = 0): logit(FQE) = B logit(x) with B > 1, so the branch taking less than half
  // the blood gets a smaller share of the red cells than of the blood: its haematocrit drops.
  for (double fqb : {0.1, 0.2, 0.3, 0.4}) {
    const double fqe = rbc_fraction_pries_secomb_2005(fqb, 8, 8, 10, 0.45);
    EXPECT_LT(fqe, fqb) << fqb;
    EXPECT_GT(rbc_fraction_pries_secomb_2005(1.0 - fqb, 8, 8, 10, 0.45), 1.0 - fqb) << fqb;
  }
  // A packed parent (H = 1) has no plasma to skim: FQE = FQB. A very wide parent neither.
  for (double fqb : {0.05, 0.3, 0.5, 0.8})
    for (double da : {4.0, 10.0}) {
      EXPECT_NEAR(rbc_fraction_pries_secomb_2005(fqb, da, 7, 10, 1.0), fqb, 1e-15);
      EXPECT_NEAR(rbc_fraction_pries_secomb_2005(fqb, da, 7, 1e12, 0.45), fqb, 1e-9);
    }
}

TEST(PhaseSeparation, DegenerateParentCollapsesToTheLimitStep) {
  // X0 >= 1/2 (D_F <= 1.93 (1 - H) um), or D_F <= 0: the window (X0, 1 - X0) is empty.
  for (double df : {1.0, 0.0, -4.0}) {
    EXPECT_EQ(rbc_fraction_pries_secomb_2005(0.49, 6, 4, df, 0.45), 0.0) << df;
    EXPECT_EQ(rbc_fraction_pries_secomb_2005(0.5, 6, 4, df, 0.45), 0.5) << df;
    EXPECT_EQ(rbc_fraction_pries_secomb_2005(0.51, 6, 4, df, 0.45), 1.0) << df;
  }
  // Zero-size daughters count as symmetric; huge ones do not overflow.
  EXPECT_EQ(rbc_fraction_pries_secomb_2005(0.5, 0, 0, 10, 0.45), 0.5);
  EXPECT_NEAR(rbc_fraction_pries_secomb_2005(0.3, 6e300, 8e300, 10, 0.45),
              rbc_fraction_pries_secomb_2005(0.3, 6, 8, 10, 0.45), 1e-15);
}

}  // namespace
}  // namespace hepaflow::kernels::rheology

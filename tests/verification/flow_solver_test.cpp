// Verification of the steady Poiseuille network solve against closed forms and an independent
// sparse direct solve (CHOLMOD).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "hepaflow/error.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "test_networks.hpp"

namespace hepaflow {
namespace {

constexpr double pi = units::pi;

SteadyFlowResult solve(const Network& net, const std::string& method, double tol = 1e-14, double mu = 3.5e-3) {
  BloodConfig blood;
  blood.viscosity = mu;
  SolverConfig solver;
  solver.method = method;
  solver.tolerance = tol;
  solver.max_iterations = 1000000;
  return solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set());
}

// Hagen-Poiseuille: Q = pi r^4 dP / (8 mu L).
double hagen_poiseuille(double r, double L, double dp, double mu) { return pi * std::pow(r, 4) * dp / (8 * mu * L); }

TEST(SingleTube, FlowMatchesHagenPoiseuille) {
  // PARAMETERS.md §8: r = 4 um, L = 500 um, mu = 3.5 mPa s, dP = 2 mmHg gives Q = 1.53e-14 m^3/s, v = 0.30 mm/s.
  const double r = 4e-6, L = 500e-6, mu = 3.5e-3, dp = 2 * units::mmHg;
  const Network net = test::straight_tube(r, L, 1, 6 * units::mmHg, 4 * units::mmHg);
  const auto res = solve(net, "pcg");
  const double q = hagen_poiseuille(r, L, dp, mu);
  EXPECT_NEAR(res.flow[0] / q, 1.0, 1e-12);
  EXPECT_NEAR(q, 1.53e-14, 0.01e-14);
  EXPECT_NEAR(res.velocity[0], 0.30e-3, 0.005e-3);
  EXPECT_NEAR(res.wall_shear_stress[0] / (4 * mu * q / (pi * r * r * r)), 1.0, 1e-12);
  EXPECT_NEAR(res.metrics.resistance / (dp / q), 1.0, 1e-12);
}

TEST(SingleTube, SubdividedTubeGivesTheSameFlowAndLinearPressure) {
  const double r = 4e-6, L = 500e-6, mu = 3.5e-3;
  const Network net = test::straight_tube(r, L, 10, 6 * units::mmHg, 4 * units::mmHg);
  for (const char* method : {"pcg", "direct"}) {
    if (std::string(method) == "direct" && !direct_solver_available()) continue;
    const auto res = solve(net, method);
    const double q = hagen_poiseuille(r, L, 2 * units::mmHg, mu);
    for (double f : res.flow) EXPECT_NEAR(f / q, 1.0, 1e-12) << method;
    for (int i = 0; i <= 10; ++i)
      EXPECT_NEAR(res.node_pressure[i], (6 - 0.2 * i) * units::mmHg, 1e-10 * units::mmHg) << method;
  }
}

TEST(SeriesParallel, SeriesResistancesAdd) {
  // Two tubes in series: R = R1 + R2 with R_i = 8 mu L_i / (pi r_i^4).
  Network net;
  net.add_node(1, 0, 0, 0);
  net.add_node(2, 300e-6, 0, 0);
  net.add_node(3, 500e-6, 0, 0);
  net.add_segment(1, 0, 1, 5e-6);
  net.add_segment(2, 1, 2, 3e-6);
  net.boundaries.push_back({0, BoundaryType::pressure, 10 * units::mmHg});
  net.boundaries.push_back({2, BoundaryType::pressure, 2 * units::mmHg});
  const double mu = 3.5e-3;
  const double R1 = 8 * mu * 300e-6 / (pi * std::pow(5e-6, 4)), R2 = 8 * mu * 200e-6 / (pi * std::pow(3e-6, 4));
  const auto res = solve(net, "pcg");
  const double q = 8 * units::mmHg / (R1 + R2);
  EXPECT_NEAR(res.flow[0] / q, 1.0, 1e-12);
  EXPECT_NEAR(res.flow[1] / q, 1.0, 1e-12);
  EXPECT_NEAR(res.node_pressure[1], 10 * units::mmHg - q * R1, 1e-9 * units::mmHg);
}

TEST(SeriesParallel, ParallelConductancesAddAndFlowBoundaryIsHonoured) {
  // Inflow Q at node A splits over three parallel tubes to node B at 4 mmHg:
  // p_A = p_B + Q / (G1 + G2 + G3), and Q_i = G_i (p_A - p_B).
  Network net;
  net.add_node(1, 0, 0, 0);
  net.add_node(2, 0, 100e-6, 0);  // intermediate nodes C, D make three distinct paths A->B
  net.add_node(3, 0, -100e-6, 0);
  net.add_node(4, 400e-6, 0, 0);
  net.add_segment(1, 0, 3, 6e-6);                 // A-B direct, L = 400 um
  net.add_segment(2, 0, 1, 5e-6, 100e-6);         // A-C
  net.add_segment(3, 1, 3, 4e-6, 420e-6);         // C-B
  net.add_segment(4, 0, 2, 4e-6, 120e-6);         // A-D
  net.add_segment(5, 2, 3, 3e-6, 450e-6);         // D-B
  const double q_in = 3 * units::nl_per_min, mu = 3.5e-3;
  net.boundaries.push_back({0, BoundaryType::flow, q_in});
  net.boundaries.push_back({3, BoundaryType::pressure, 4 * units::mmHg});
  const auto G = [&](double r, double L) { return pi * std::pow(r, 4) / (8 * mu * L); };
  // Exact: branches 2 and 3 are series pairs; conductance of series pair = 1/(1/Ga + 1/Gb).
  const double g1 = G(6e-6, 400e-6);
  const double g2 = 1 / (1 / G(5e-6, 100e-6) + 1 / G(4e-6, 420e-6));
  const double g3 = 1 / (1 / G(4e-6, 120e-6) + 1 / G(3e-6, 450e-6));
  const double dp = q_in / (g1 + g2 + g3);
  for (const char* method : {"pcg", "direct"}) {
    if (std::string(method) == "direct" && !direct_solver_available()) continue;
    const auto res = solve(net, method);
    EXPECT_NEAR(res.node_pressure[0] / (4 * units::mmHg + dp), 1.0, 1e-12) << method;
    EXPECT_NEAR(res.flow[0] / (g1 * dp), 1.0, 1e-10) << method;
    EXPECT_NEAR(res.flow[2] / (g2 * dp), 1.0, 1e-10) << method;
    EXPECT_NEAR(res.flow[4] / (g3 * dp), 1.0, 1e-10) << method;
    EXPECT_NEAR(res.metrics.total_inflow / q_in, 1.0, 1e-12) << method;
  }
}

TEST(SeriesParallel, ParallelVesselsBetweenTheSameNodesAddTheirConductances) {
  // Two vessels joining the same pair of nodes (as in the rat mesentery): G = G1 + G2.
  Network net = test::straight_tube(4e-6, 200e-6, 1, 6 * units::mmHg, 4 * units::mmHg);
  net.add_segment(2, 0, 1, 6e-6);
  const double mu = 3.5e-3, dp = 2 * units::mmHg;
  for (const char* method : {"pcg", "direct"}) {
    if (std::string(method) == "direct" && !direct_solver_available()) continue;
    const auto res = solve(net, method);
    EXPECT_NEAR(res.flow[0] / hagen_poiseuille(4e-6, 200e-6, dp, mu), 1.0, 1e-12) << method;
    EXPECT_NEAR(res.flow[1] / hagen_poiseuille(6e-6, 200e-6, dp, mu), 1.0, 1e-12) << method;
  }
  // ... and with an unknown node in between: inflow into node 1 splits over both parallel pairs.
  Network chain = test::straight_tube(4e-6, 200e-6, 2, 6 * units::mmHg, 4 * units::mmHg);
  chain.add_segment(3, 0, 1, 5e-6);
  const auto res = solve(chain, "pcg");
  const double g0 = units::pi * std::pow(4e-6, 4) / (8 * mu * 100e-6), g2 = units::pi * std::pow(5e-6, 4) / (8 * mu * 100e-6);
  const double p1 = (g0 + g2) * 6 * units::mmHg / (g0 + g2 + g0) + g0 * 4 * units::mmHg / (g0 + g2 + g0);
  EXPECT_NEAR(res.node_pressure[1] / p1, 1.0, 1e-12);
}

TEST(MassConservation, HoldsAtEveryNodeToSolverTolerance) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Network net = test::random_network(2000, seed);
    const auto res = solve(net, "pcg", 1e-12);
    EXPECT_LT(res.metrics.max_mass_imbalance, 1e-9) << "seed " << seed;
    EXPECT_LT(res.metrics.boundary_imbalance, 1e-9) << "seed " << seed;
    EXPECT_LE(res.solve.relative_residual, 1e-12);
  }
}

// 100 seeded random networks, 10-5000 segments, mixed BCs: Jacobi-PCG vs CHOLMOD in every
// segment. Relative error per segment e: |Q_pcg - Q_direct| / max(|Q_direct,e|, G_e * 1e-5 * dP_bc):
// the floor is the flow that 1e-5 of the boundary pressure range would drive through that segment.
// Without it, stagnant segments (both ends at the same pressure, Q = 0 exactly) would compare
// rounding noise of the node pressures against zero. Both solvers are refined to working precision
// (PCG: compensated residual + refinement, tolerance 1e-16 = until corrections vanish; CHOLMOD:
// long-double refinement), leaving node pressures that differ by ~1e-13 relative.
TEST(RandomNetworks, HundredNetworksAgreeWithDirectSolveInEverySegment) {
  if (!direct_solver_available()) GTEST_SKIP() << "built without CHOLMOD: no direct reference";
  double worst = 0;
  for (int i = 0; i < 100; ++i) {
    const int segments = 10 + static_cast<int>(std::lround(4990.0 * std::pow(i / 99.0, 2)));
    const Network net = test::random_network(segments, 1000 + i);
    ASSERT_TRUE(validate(net).ok()) << validate(net).errors.front();
    const auto it = solve(net, "pcg", 1e-16);
    const auto direct = solve(net, "direct");
    double p_min = 1e300, p_max = -1e300;
    for (const auto& bc : net.boundaries)
      if (bc.type == BoundaryType::pressure) p_min = std::min(p_min, bc.value), p_max = std::max(p_max, bc.value);
    const double mu = 3.5e-3;
    for (std::size_t s = 0; s < net.num_segments(); ++s) {
      const double conductance = pi * std::pow(net.radius[s], 4) / (8 * mu * net.length[s]);
      const double floor = conductance * 1e-5 * std::max(p_max - p_min, 1.0);
      const double err = std::abs(it.flow[s] - direct.flow[s]) / std::max(std::abs(direct.flow[s]), floor);
      worst = std::max(worst, err);
      ASSERT_LT(err, 1e-8) << "network " << i << " (" << segments << " segments), segment " << s;
    }
  }
  RecordProperty("worst_relative_flow_difference", std::to_string(worst));
  std::cout << "worst per-segment relative difference PCG vs CHOLMOD over 100 networks: " << worst << "\n";
}

TEST(PressureSolve, NonConvergenceIsReportedWithTheResidual) {
  const Network net = test::random_network(3000, 7);
  BloodConfig blood;
  SolverConfig solver;
  solver.method = "pcg";
  solver.tolerance = 1e-14;
  solver.max_iterations = 3;
  try {
    solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set());
    FAIL() << "expected ConvergenceError";
  } catch (const ConvergenceError& e) {
    EXPECT_EQ(e.exit_code(), 5);
    EXPECT_NE(std::string(e.what()).find("relative residual"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("after 3 iterations"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hepaflow

// Rat mesentery (Pries et al. 1990; secomb/NetFlowV2 sample, ../shared/validation/mesentery), read
// from its Network.dat and solved with constant viscosity 3 cP (haematocrit ignored): the solution
// conserves mass and matches an independent sparse direct solve (CHOLMOD) in every segment.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

const std::string mesentery = std::string(HEPAFLOW_SHARED_DIR) + "/validation/mesentery/network.dat";

SteadyFlowResult solve(const Network& net, const std::string& method) {
  BloodConfig blood;
  blood.viscosity = 3.0 * units::cP;  // RheolParams.dat "constvisc" 3 cP
  SolverConfig solver;
  solver.method = method;
  solver.tolerance = 1e-14;
  solver.max_iterations = 1000000;
  return solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set());
}

TEST(MesenteryConstantViscosity, ConservesMassAndMatchesDirectSolve) {
  if (!std::filesystem::exists(mesentery)) GTEST_SKIP() << "validation data absent: " << mesentery;
  Network net = meshes::read_secomb_dat(mesentery);
  prepare_network(net, false, mesentery, nullptr);
  const auto pcg = solve(net, "pcg");
  // 35 inflow boundaries (nl/min) and one pressure node (825 at 13.8 mmHg) that takes the outflow.
  EXPECT_LT(pcg.metrics.max_mass_imbalance, 1e-10);
  EXPECT_LT(pcg.metrics.boundary_imbalance, 1e-10);
  double max_p = 0;
  for (double p : pcg.node_pressure) max_p = std::max(max_p, p);
  std::cout << "mesentery, 3 cP: max pressure " << max_p / units::mmHg << " mmHg, PCG iterations "
            << pcg.solve.iterations << ", total inflow " << pcg.metrics.total_inflow / units::nl_per_min << " nl/min\n";
  EXPECT_GT(max_p / units::mmHg, 13.8);  // flow enters at the inflow nodes, so pressure rises above the outlet's
  if (!direct_solver_available()) GTEST_SKIP() << "built without CHOLMOD: no independent solve";
  const auto direct = solve(net, "direct");
  double worst = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const double conductance = units::pi * std::pow(net.radius[s], 4) / (8 * 3.0 * units::cP * net.length[s]);
    const double floor = conductance * 1e-5 * (max_p - 13.8 * units::mmHg);  // as in RandomNetworks
    worst = std::max(worst, std::abs(pcg.flow[s] - direct.flow[s]) / std::max(std::abs(direct.flow[s]), floor));
  }
  std::cout << "worst per-segment relative flow difference PCG vs CHOLMOD: " << worst << "\n";
  EXPECT_LT(worst, 1e-8);
}

}  // namespace
}  // namespace hepaflow

// Verification of the `grid` tissue model (MODEL.md §3) against closed forms:
//  - the blood side: a sub-segment exchanging with tissue of fixed PO2 through a resistance per
//    length, with linear content (no haemoglobin), relaxes exponentially (exact solution);
//  - the tissue side: the diffusion operator with linear absorption, -D alpha lap P + a P = f with
//    zero-flux walls, against a manufactured cosine solution: second-order convergence (measured,
//    asserted), solved by the multigrid-preconditioned CG with a flat iteration count;
//  - the line-kernel constant against an independent evaluation;
//  - grid refinement of the GreensV4 Brain case: the mean tissue PO2 converges (differences shrink).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/kernels/tissue_exchange.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/oxygen/tissue_grid.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

TEST(TissueExchange, LinearContentRelaxesExponentially) {
  // C = alpha P (binding capacity 0): alpha |Q| dP/ds = -(P - P_t)/R'  ->  P(s) = P_t + (P0 - P_t) e^{-s/lambda},
  // lambda = R' |Q| alpha; the flux is |Q| alpha (P0 - P(l)).
  kernels::oxygen::BloodOxygenParameters blood;
  blood.binding_capacity = 0.0;
  const double q = 2.0 * units::nl_per_min, resistance = 2e12, p0 = 60.0, pt = 20.0;
  const double lambda = resistance * q * blood.solubility;
  for (double length : {0.1 * lambda, lambda, 5.0 * lambda, 40.0 * lambda}) {
    const auto r = kernels::oxygen::exchange_subsegment(p0, q, 0.45, length, pt, resistance, blood);
    const double p_exact = pt + (p0 - pt) * std::exp(-length / lambda);
    EXPECT_NEAR(kernels::oxygen::po2_from_content(r.content_out, 0.45, blood), p_exact, 1e-6 * p0) << length / lambda;
    EXPECT_NEAR(r.flux_to_tissue, q * blood.solubility * (p0 - p_exact), 1e-6 * q * blood.solubility * p0);
    // Mean blood PO2 = (1/l) int P ds = P_t + (P0 - P_t) lambda/l (1 - e^{-l/lambda}).
    const double mean = pt + (p0 - pt) * lambda / length * (1.0 - std::exp(-length / lambda));
    EXPECT_NEAR(r.po2_mean_mmHg, mean, 1e-6 * p0);
  }
}

TEST(TissueExchange, HillContentConservesOxygenAndApproachesTissuePo2) {
  const kernels::oxygen::BloodOxygenParameters blood = kernels::oxygen::rat_blood_oxygen_parameters();
  const double q = 1.0 * units::nl_per_min, resistance = 1.5e12;
  const auto r = kernels::oxygen::exchange_subsegment(50.0, q, 0.4, 1e-3, 25.0, resistance, blood);
  const double c_in = kernels::oxygen::content(50.0, 0.4, blood);
  EXPECT_DOUBLE_EQ(r.flux_to_tissue, q * (c_in - r.content_out));
  const double p_out = kernels::oxygen::po2_from_content(r.content_out, 0.4, blood);
  EXPECT_GT(p_out, 25.0);
  EXPECT_LT(p_out, 50.0);
  // Halving the RK4 step changes the outflow content by < 1e-8 relative (4 steps per relaxation length).
  const auto fine = kernels::oxygen::exchange_subsegment(50.0, q, 0.4, 5e-4, 25.0, resistance, blood);
  const auto fine2 = kernels::oxygen::exchange_subsegment(kernels::oxygen::po2_from_content(fine.content_out, 0.4, blood),
                                                          q, 0.4, 5e-4, 25.0, resistance, blood);
  EXPECT_NEAR(fine2.content_out, r.content_out, 1e-6 * r.content_out);
}

TEST(TissueGrid, LineKernelConstantMatchesIndependentQuadrature) {
  // Independent evaluation: c = int_0^1 phi(rho) 2 pi rho (int_rho^1 m(t)/t dt) drho; swapping the
  // order of integration gives c = int_0^1 (m(t)/t) (int_0^t phi 2 pi rho drho) dt = int_0^1 m(t)^2/t dt.
  const int n = 20000, nz = 800;
  std::vector<double> phi(n);
  double norm = 0;
  for (int i = 0; i < n; ++i) {
    const double rho = (i + 0.5) / n, zmax = std::sqrt(1 - rho * rho);
    double sum = 0;
    for (int j = 0; j < nz; ++j) {
      const double z = (j + 0.5) * zmax / nz, u = std::sqrt(rho * rho + z * z);
      sum += 0.5 * (1 + std::cos(units::pi * u));
    }
    phi[i] = 2 * sum * zmax / nz;
    norm += phi[i] * 2 * units::pi * rho / n;
  }
  double m = 0, c = 0;
  for (int i = 0; i < n; ++i) {
    const double rho = (i + 0.5) / n, piece = phi[i] / norm * 2 * units::pi * rho / n;
    const double m_mid = m + 0.5 * piece;
    c += m_mid * m_mid / rho / n;
    m += piece;
  }
  EXPECT_NEAR(line_kernel_constant(), c, 1e-4);
  // A uniform disc gives 1/4; the cosine kernel is peaked at the axis, so its constant is larger.
  EXPECT_GT(line_kernel_constant(), 0.25);
  EXPECT_LT(line_kernel_constant(), 1.0);
}

/// max error of the grid solve of -D alpha lap P + a P = f for P = cos(pi x/Lx) cos(pi y/Ly) cos(pi z/Lz)
/// (zero normal derivative on the walls) on an n^3 grid; iterations of the solve.
double manufactured_error(int n, int* iterations) {
  const KernelSet& k = kernels::cpu::kernel_set();
  const double L = 100e-6, d_alpha = 6e-14, a = 1e-4;  // linear absorption a P per volume
  const TissueGridGeometry g = make_tissue_grid({0, 0, 0}, {L, L, 1.5 * L}, 1.5 * L / n);
  const double lx = L, ly = L, lz = 1.5 * L;
  // The grid operator in conservation form (the kernels the tissue solve uses), solved by a plain
  // Jacobi-CG written here, independent of the multigrid code path.
  kernels::GridView view;
  view.nx = g.dims[0];
  view.ny = g.dims[1];
  view.nz = g.dims[2];
  view.gx = d_alpha * g.spacing[1] * g.spacing[2] / g.spacing[0];
  view.gy = d_alpha * g.spacing[0] * g.spacing[2] / g.spacing[1];
  view.gz = d_alpha * g.spacing[0] * g.spacing[1] / g.spacing[2];
  const std::size_t cells = g.cells();
  std::vector<double> exact(cells), rhs(cells), absorption(cells, a * g.cell_volume());
  const double kx = units::pi / lx, ky = units::pi / ly, kz = units::pi / lz;
  for (std::size_t c = 0; c < cells; ++c) {
    const auto x = g.centre(c);
    exact[c] = std::cos(kx * x[0]) * std::cos(ky * x[1]) * std::cos(kz * x[2]);
    rhs[c] = (d_alpha * (kx * kx + ky * ky + kz * kz) + a) * exact[c] * g.cell_volume();
  }
  DeviceArray<double> abs_d(k, absorption), b(k, rhs), x(k, cells), r(k, cells), p(k, cells), q(k, cells), inv(k, cells);
  k.grid_inverse_diagonal(view, abs_d.data(), inv.data());
  k.fill(cells, 0.0, x.data());
  k.copy_on_device(r.data(), b.data(), cells * sizeof(double));
  DeviceArray<double> z(k, cells);
  k.multiply(cells, inv.data(), r.data(), z.data());
  k.copy_on_device(p.data(), z.data(), cells * sizeof(double));
  double rz = k.dot(cells, r.data(), z.data());
  const double b_norm = std::sqrt(k.dot(cells, b.data(), b.data()));
  int it = 0;
  for (; it < 100000 && std::sqrt(k.dot(cells, r.data(), r.data())) > 1e-13 * b_norm; ++it) {
    k.grid_apply(view, abs_d.data(), p.data(), q.data());
    const double alpha = rz / k.dot(cells, p.data(), q.data());
    k.axpy(cells, alpha, p.data(), x.data());
    k.axpy(cells, -alpha, q.data(), r.data());
    k.multiply(cells, inv.data(), r.data(), z.data());
    const double rz_new = k.dot(cells, r.data(), z.data());
    k.xpby(cells, z.data(), rz_new / rz, p.data());
    rz = rz_new;
  }
  *iterations = it;
  const std::vector<double> got = x.download();
  double err = 0;
  for (std::size_t c = 0; c < cells; ++c) err = std::max(err, std::abs(got[c] - exact[c]));
  return err;
}

TEST(TissueGrid, DiffusionOperatorIsSecondOrderAgainstManufacturedSolution) {
  int it8 = 0, it16 = 0, it32 = 0;
  const double e8 = manufactured_error(8, &it8), e16 = manufactured_error(16, &it16), e32 = manufactured_error(32, &it32);
  const double order1 = std::log2(e8 / e16), order2 = std::log2(e16 / e32);
  std::cout << "[ grid ] max error " << e8 << " / " << e16 << " / " << e32 << ", observed order " << order1 << ", "
            << order2 << "\n";
  EXPECT_NEAR(order2, 2.0, 0.15);
  EXPECT_LT(e32, 2e-3);
}

TEST(TissueGrid, BrainMeanTissuePo2ConvergesUnderGridRefinement) {
  const std::string case_path = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/brain_o2_greens/case.toml";
  if (!std::filesystem::exists(std::string(HEPAFLOW_SHARED_DIR) + "/validation/o2_brain/network.dat"))
    GTEST_SKIP() << "validation data absent";
  std::vector<double> means;
  std::vector<int> cg;
  for (const char* spacing : {"\"20 um\"", "\"10 um\"", "\"5 um\""}) {
    const CaseConfig config =
        load_case(case_path, {std::string("oxygen.grid_spacing=") + spacing, "oxygen.grid_padding=\"60 um\""});
    Network net = meshes::read_network_file(config.network.file);
    apply_case_boundaries(net, config);
    prepare_network(net, false, config.network.file, nullptr);
    const SteadyFlowResult r = solve_steady_flow(net, config.blood, config.solver, kernels::cpu::kernel_set(),
                                                 &config.oxygen, true);
    means.push_back(r.oxygen.po2_tissue_mean);
    cg.push_back(r.oxygen.tissue_linear_iterations / std::max(1, r.oxygen.coupling_iterations));
  }
  const double d1 = std::abs(means[1] - means[0]), d2 = std::abs(means[2] - means[1]);
  std::cout << "[ grid ] Brain mean tissue PO2 at h = 20/10/5 um: " << means[0] << " / " << means[1] << " / "
            << means[2] << " mmHg; differences " << d1 << ", " << d2 << " (ratio " << d1 / d2
            << "); CG iterations per tissue solve " << cg[0] << " / " << cg[1] << " / " << cg[2] << "\n";
  // Converging: each halving of h at least halves the change (first order or better), and the
  // finest change is below 2 % of the mean.
  EXPECT_GT(d1 / d2, 2.0);
  EXPECT_LT(d2, 0.02 * means[2]);
  // Multigrid: CG iterations per tissue solve do not grow like 1/h (Jacobi-CG would double).
  EXPECT_LT(cg[2], 1.6 * cg[1] + 5);
}

}  // namespace
}  // namespace hepaflow

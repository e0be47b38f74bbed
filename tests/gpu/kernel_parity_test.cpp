// Every CUDA kernel equals its CPU twin on random inputs (label gpu; skipped without a CUDA device).
// Both backends compile the same source (kernels/common/kernels.inl); differences can only come from
// reduction order (dot, max) and fma contraction, hence the 1e-12 relative tolerances.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/device_array.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/linear/pcg.hpp"
#include "hepaflow/linear/sell.hpp"
#include "hepaflow/simulation/remodelling_run.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "test_networks.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include <filesystem>

namespace hepaflow {
namespace {

/// Declares `k`, the CUDA kernel set, or skips the test saying why there is none.
#define REQUIRE_CUDA(k)                                        \
  std::string why_no_##k;                                      \
  const KernelSet* k = kernels::cuda::kernel_set(&why_no_##k); \
  if (!k) GTEST_SKIP() << "no CUDA backend: " << why_no_##k

std::vector<double> random_vector(std::size_t n, std::uint64_t seed, double lo = -1, double hi = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b, double rel, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  double scale = 0;
  for (double x : a) scale = std::max(scale, std::abs(x));
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], rel * std::max(std::abs(a[i]), 1e-3 * scale)) << what << " at " << i;
}

TEST(CudaKernels, VectorAlgebraMatchesCpu) {
  REQUIRE_CUDA(gpu);
  const KernelSet& cpu = kernels::cpu::kernel_set();
  const std::size_t n = 100003;
  const auto x = random_vector(n, 1), y = random_vector(n, 2);
  DeviceArray<double> xc(cpu, x), yc(cpu, y), xg(*gpu, x), yg(*gpu, y);
  EXPECT_NEAR(cpu.dot(n, xc.data(), yc.data()), gpu->dot(n, xg.data(), yg.data()), 1e-12 * n);
  EXPECT_EQ(cpu.max_abs(n, xc.data()), gpu->max_abs(n, xg.data()));
  cpu.axpy(n, 0.7, xc.data(), yc.data());
  gpu->axpy(n, 0.7, xg.data(), yg.data());
  expect_close(yc.download(), yg.download(), 1e-15, "axpy");
  cpu.xpby(n, xc.data(), -1.3, yc.data());
  gpu->xpby(n, xg.data(), -1.3, yg.data());
  expect_close(yc.download(), yg.download(), 1e-15, "xpby");
  cpu.axpby(n, 0.3, xc.data(), -1.1, yc.data());
  gpu->axpby(n, 0.3, xg.data(), -1.1, yg.data());
  expect_close(yc.download(), yg.download(), 1e-15, "axpby");
  DeviceArray<double> zc(cpu, n), zg(*gpu, n);
  cpu.multiply(n, xc.data(), yc.data(), zc.data());
  gpu->multiply(n, xg.data(), yg.data(), zg.data());
  expect_close(zc.download(), zg.download(), 1e-15, "multiply");
  cpu.fill(n, 2.5, zc.data());
  gpu->fill(n, 2.5, zg.data());
  expect_close(zc.download(), zg.download(), 0, "fill");
}

TEST(CudaKernels, NetworkKernelsMatchCpuOnRandomNetworks) {
  REQUIRE_CUDA(gpu);
  const KernelSet& cpu = kernels::cpu::kernel_set();
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Network net = test::random_network(20000, seed);
    const DeviceNetwork nc(cpu, net), ng(*gpu, net);
    const std::size_t m = net.num_segments(), n = net.num_nodes(), u = nc.unknowns();
    const auto mu = random_vector(m, seed + 10, 1e-3, 5e-3);
    DeviceArray<double> mu_c(cpu, mu), mu_g(*gpu, mu), gc(cpu, m), gg(*gpu, m);
    cpu.poiseuille_conductance(m, nc.radius.data(), nc.length.data(), mu_c.data(), gc.data());
    gpu->poiseuille_conductance(m, ng.radius.data(), ng.length.data(), mu_g.data(), gg.data());
    expect_close(gc.download(), gg.download(), 1e-14, "conductance");
    const auto pc = nc.pattern(), pg = ng.pattern();
    DeviceArray<double> vc(cpu, pc.nnz), vg(*gpu, pg.nnz), bc(cpu, u), bg(*gpu, u);
    cpu.assemble_laplacian(pc, gc.data(), vc.data());
    gpu->assemble_laplacian(pg, gg.data(), vg.data());
    expect_close(vc.download(), vg.download(), 1e-14, "laplacian");
    cpu.assemble_rhs(pc, gc.data(), nc.node_pressure_bc.data(), nc.node_inflow.data(), bc.data());
    gpu->assemble_rhs(pg, gg.data(), ng.node_pressure_bc.data(), ng.node_inflow.data(), bg.data());
    expect_close(bc.download(), bg.download(), 1e-14, "rhs");
    const kernels::CsrView ac{pc.unknowns, pc.row_ptr, pc.col, vc.data()}, ag{pg.unknowns, pg.row_ptr, pg.col, vg.data()};
    const auto xv = random_vector(u, seed + 20);
    DeviceArray<double> xc(cpu, xv), xg(*gpu, xv), yc(cpu, u), yg(*gpu, u);
    cpu.spmv(ac, xc.data(), yc.data());
    gpu->spmv(ag, xg.data(), yg.data());
    expect_close(yc.download(), yg.download(), 1e-13, "spmv");
    cpu.compensated_residual(ac, xc.data(), bc.data(), yc.data());
    gpu->compensated_residual(ag, xg.data(), bg.data(), yg.data());
    expect_close(yc.download(), yg.download(), 1e-13, "compensated residual");
    {
      const double omega_c = cpu.componentwise_backward_error(ac, xc.data(), bc.data(), yc.data());
      const double omega_g = gpu->componentwise_backward_error(ag, xg.data(), bg.data(), yg.data());
      EXPECT_NEAR(omega_g, omega_c, 1e-13 * omega_c) << "componentwise backward error";
    }
    cpu.inverse_diagonal(ac, yc.data());
    gpu->inverse_diagonal(ag, yg.data());
    expect_close(yc.download(), yg.download(), 1e-15, "inverse diagonal");
    DeviceArray<double> pcn(cpu, n), pgn(*gpu, n), qc(cpu, m), qg(*gpu, m);
    cpu.expand_pressure(n, nc.node_unknown.data(), xc.data(), nc.node_pressure_bc.data(), pcn.data());
    gpu->expand_pressure(n, ng.node_unknown.data(), xg.data(), ng.node_pressure_bc.data(), pgn.data());
    expect_close(pcn.download(), pgn.download(), 0, "expand pressure");
    cpu.segment_flow(m, nc.from.data(), nc.to.data(), gc.data(), pcn.data(), qc.data());
    gpu->segment_flow(m, ng.from.data(), ng.to.data(), gg.data(), pgn.data(), qg.data());
    expect_close(qc.download(), qg.download(), 1e-13, "segment flow");
    DeviceArray<double> vel_c(cpu, m), vel_g(*gpu, m), tau_c(cpu, m), tau_g(*gpu, m);
    cpu.velocity_and_shear(m, qc.data(), nc.radius.data(), mu_c.data(), vel_c.data(), tau_c.data());
    gpu->velocity_and_shear(m, qg.data(), ng.radius.data(), mu_g.data(), vel_g.data(), tau_g.data());
    expect_close(vel_c.download(), vel_g.download(), 1e-13, "velocity");
    expect_close(tau_c.download(), tau_g.download(), 1e-13, "wall shear stress");
    DeviceArray<double> oc(cpu, n), og(*gpu, n);
    cpu.node_net_outflow(n, nc.adj_ptr.data(), nc.adj_segment.data(), nc.from.data(), qc.data(), oc.data());
    gpu->node_net_outflow(n, ng.adj_ptr.data(), ng.adj_segment.data(), ng.from.data(), qg.data(), og.data());
    expect_close(oc.download(), og.download(), 1e-12, "node net outflow");
  }
}

TEST(CudaFlow, SolveMatchesCpuOnRandomNetworks) {
  REQUIRE_CUDA(gpu);
  BloodConfig blood;
  SolverConfig solver;
  solver.tolerance = 1e-13;
  solver.max_iterations = 1000000;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const Network net = test::random_network(5000 * static_cast<int>(seed), seed);
    const auto c = solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set());
    const auto g = solve_steady_flow(net, blood, solver, *gpu);
    EXPECT_EQ(g.backend, "cuda");
    double worst = 0, scale = 0;
    for (double q : c.flow) scale = std::max(scale, std::abs(q));
    for (std::size_t s = 0; s < c.flow.size(); ++s)
      worst = std::max(worst, std::abs(c.flow[s] - g.flow[s]) / std::max(std::abs(c.flow[s]), 1e-6 * scale));
    EXPECT_LT(worst, 1e-9) << "seed " << seed;
    EXPECT_NEAR(c.metrics.total_inflow / g.metrics.total_inflow, 1.0, 1e-11);
  }
}

}  // namespace
}  // namespace hepaflow

namespace hepaflow {
namespace {

// The coupled rheology (in vivo viscosity, phase separation, level-by-level haematocrit sweep) on
// CUDA against the CPU: flows within 1e-9 relative, haematocrits within 1e-9.
TEST(CudaRheology, CoupledSolveMatchesCpuOnRandomNetworksLobuleBlockAndMesentery) {
  const KernelSet* gpu = kernels::cuda::kernel_set();
  if (!gpu) GTEST_SKIP() << "no CUDA backend";
  BloodConfig blood;
  blood.viscosity_law = "pries1994_invivo";
  blood.phase_separation = "pries_secomb_2005";
  SolverConfig solver;
  solver.tolerance = 1e-13;
  solver.rheology_flow_tolerance = 1e-9;
  solver.rheology_haematocrit_tolerance = 1e-9;
  solver.allow_unconverged = true;
  std::vector<Network> networks;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) networks.push_back(test::random_network(3000, seed));
  GeneratorSpec block;
  block.name = "lobule_block";
  block.blocks_x = block.blocks_y = 2;
  block.layers = 4;
  networks.push_back(meshes::generate_from_spec(block));
  const std::string mesentery = std::string(HEPAFLOW_SHARED_DIR) + "/validation/mesentery/network.dat";
  if (std::filesystem::exists(mesentery)) networks.push_back(meshes::read_secomb_dat(mesentery));
  for (const Network& net : networks) {
    const auto c = solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set());
    const auto g = solve_steady_flow(net, blood, solver, *gpu);
    ASSERT_EQ(c.rheology.iterations, g.rheology.iterations);
    double scale = 0;
    for (double q : c.flow) scale = std::max(scale, std::abs(q));
    for (std::size_t s = 0; s < c.flow.size(); ++s) {
      ASSERT_NEAR(c.flow[s], g.flow[s], 1e-9 * std::max(std::abs(c.flow[s]), 1e-6 * scale)) << s;
      ASSERT_NEAR(c.haematocrit[s], g.haematocrit[s], 1e-9) << s;
    }
  }
}

}  // namespace
}  // namespace hepaflow

namespace hepaflow {
namespace {

TEST(CudaOxygen, SweepMatchesCpuOnRandomNetworks) {
  const KernelSet* gpu = kernels::cuda::kernel_set();
  if (!gpu) GTEST_SKIP() << "no CUDA backend";
  BloodConfig blood;
  SolverConfig solver;
  solver.tolerance = 1e-13;
  OxygenConfig oxygen;
  oxygen.tissue_model = "krogh";
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    Network net = test::random_network(4000, seed);
    for (std::size_t s = 0; s < net.num_segments(); ++s) net.tissue_volume[s] = 3e-13, net.zone[s] = 0.5;
    const auto c = solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set(), &oxygen);
    const auto g = solve_steady_flow(net, blood, solver, *gpu, &oxygen);
    for (std::size_t s = 0; s < net.num_segments(); ++s) {
      if (!std::isfinite(c.oxygen.po2_out[s])) continue;
      ASSERT_NEAR(c.oxygen.po2_out[s], g.oxygen.po2_out[s], 1e-7 * std::max(1.0, c.oxygen.po2_out[s])) << s;
    }
    EXPECT_NEAR(c.oxygen.o2_consumed / g.oxygen.o2_consumed, 1.0, 1e-9);
  }
}

TEST(CudaKernels, TissueGridKernelsMatchCpu) {
  REQUIRE_CUDA(gpu);
  const KernelSet& cpu = kernels::cpu::kernel_set();
  kernels::GridView fine;
  fine.nx = 37, fine.ny = 20, fine.nz = 13;  // odd sizes: partial coarse cells
  fine.gx = 1.3, fine.gy = 0.7, fine.gz = 2.1;
  kernels::GridView coarse = fine;
  coarse.nx = 19, coarse.ny = 10, coarse.nz = 7;
  const std::size_t n = static_cast<std::size_t>(fine.cells()), nc = static_cast<std::size_t>(coarse.cells());
  const auto x = random_vector(n, 11), absorption = random_vector(n, 12, 0, 1), po2 = random_vector(n, 13, -5, 60);
  const auto m0 = random_vector(n, 14, 0, 1e-3), xc = random_vector(nc, 15);
  const auto run = [&](const KernelSet& k) {
    DeviceArray<double> dx(k, x), da(k, absorption), dp(k, po2), dm(k, m0), dxc(k, xc);
    DeviceArray<double> y(k, n), inv(k, n), r(k, nc), a2(k, n), s2(k, n), cons(k, n), fine_x(k, x);
    k.grid_apply(fine, da.data(), dx.data(), y.data());
    k.grid_inverse_diagonal(fine, da.data(), inv.data());
    k.grid_restrict(fine, coarse, dx.data(), r.data());
    k.grid_prolong_add(fine, coarse, dxc.data(), fine_x.data());
    k.michaelis_menten_linearise(n, 2e-15, dm.data(), 1.0, dp.data(), a2.data(), s2.data());
    k.michaelis_menten_field(n, dm.data(), 1.0, dp.data(), cons.data());
    return std::vector<std::vector<double>>{y.download(), inv.download(), r.download(), fine_x.download(),
                                            a2.download(), s2.download(), cons.download()};
  };
  const auto c = run(cpu), g = run(*gpu);
  const char* names[] = {"grid_apply", "grid_inverse_diagonal", "grid_restrict", "grid_prolong_add",
                         "michaelis_menten_linearise absorption", "michaelis_menten_linearise source",
                         "michaelis_menten_field"};
  for (std::size_t i = 0; i < c.size(); ++i) expect_close(c[i], g[i], 1e-13, names[i]);
}

TEST(CudaOxygen, GridTissueModelMatchesCpuOnTheBrainCase) {
  REQUIRE_CUDA(gpu);
  const std::string case_path = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/brain_o2_greens/case.toml";
  if (!std::filesystem::exists(std::string(HEPAFLOW_SHARED_DIR) + "/validation/o2_brain/network.dat"))
    GTEST_SKIP() << "validation data absent";
  const CaseConfig config = load_case(case_path, {"oxygen.grid_padding=\"30 um\""});
  Network net = meshes::read_network_file(config.network.file);
  apply_case_boundaries(net, config);
  prepare_network(net, false, config.network.file, nullptr);
  const auto c = solve_steady_flow(net, config.blood, config.solver, kernels::cpu::kernel_set(), &config.oxygen, true);
  const auto g = solve_steady_flow(net, config.blood, config.solver, *gpu, &config.oxygen, true);
  // Same fixed point to the coupling tolerance (1e-4 mmHg): reduction order differs between backends.
  ASSERT_EQ(c.oxygen.tissue_po2.size(), g.oxygen.tissue_po2.size());
  for (std::size_t i = 0; i < c.oxygen.tissue_po2.size(); ++i)
    ASSERT_NEAR(c.oxygen.tissue_po2[i], g.oxygen.tissue_po2[i], 1e-3) << "cell " << i;
  for (std::size_t s = 0; s < net.num_segments(); ++s)
    ASSERT_NEAR(c.oxygen.po2_out[s], g.oxygen.po2_out[s], 1e-3) << "segment " << s;
  EXPECT_NEAR(c.oxygen.po2_tissue_mean, g.oxygen.po2_tissue_mean, 1e-4);
}


TEST(CudaRemodel, SegmentStepMatchesCpuOnRandomStates) {
  REQUIRE_CUDA(gpu);
  const KernelSet& cpu = kernels::cpu::kernel_set();
  const std::size_t m = 20000;
  kernels::remodel::RemodelParameters p;
  p.dt = 86400;
  p.seed = 3;
  p.step = 5;
  p.k_tone = 1 / 3600.0, p.k_relax = 1 / 3600.0, p.k_act = 1 / 172800.0, p.k_deact = 1 / 1.728e6;
  p.k_deg = 1 / 2.592e6, p.k_refen = 1 / 1.2096e6, p.k_reopen = 1 / 2e5, p.k_function = 1 / 6.048e5;
  p.waning_time = 1.5552e7, p.threshold = 1e15, p.ec50 = 2.6e15, p.emax = 2, p.hill = 2;
  p.tone_narrowing = 0.3, p.capillarization_narrowing = 0.05, p.maturation_time = 6.048e5, p.time_after = 1e6;
  std::vector<std::int64_t> ids(m);
  for (std::size_t s = 0; s < m; ++s) ids[s] = static_cast<std::int64_t>(3 * s + 1);
  std::vector<std::vector<double>> state, fixed;
  for (int i = 0; i < 9; ++i) state.push_back(random_vector(m, 100 + i, 0.0, 1.0));
  state[5] = random_vector(m, 200, 0.0, 1e16);  // exposure
  for (double& c : state[4]) c = c < 0.5 ? 1.0 : 0.0;  // closed
  for (int i = 0; i < 13; ++i) fixed.push_back(random_vector(m, 300 + i, 0.0, 1e-6));
  fixed[6] = random_vector(m, 400, 0.0, 1.0);      // remodels flag (non-zero = yes)
  fixed[7] = random_vector(m, 401, 2e-6, 5e-6);    // base radius
  fixed[8] = random_vector(m, 402, 3e-6, 5e-6);    // mature radius
  fixed[9] = random_vector(m, 403, 0.0, 1e6);      // birth time
  for (std::size_t s = 0; s < m; s += 2) fixed[9][s] = std::nan("");
  fixed[10] = random_vector(m, 404, 0.0, 1e11);    // signal
  fixed[11] = random_vector(m, 405, 0.0, 2.0);     // VEGF
  fixed[12] = random_vector(m, 406, 0.0, 60.0);    // tissue PO2
  std::vector<std::vector<double>> out[2];
  for (int b = 0; b < 2; ++b) {
    const KernelSet& k = b == 0 ? cpu : *gpu;
    DeviceArray<std::int64_t> id(k, ids);
    std::vector<DeviceArray<double>> st, fx;
    for (auto& v : state) st.emplace_back(k, v);
    for (auto& v : fixed) fx.emplace_back(k, v);
    kernels::remodel::RemodelFields f;
    f.segment_id = id.data();
    double** o[] = {&f.activation, &f.tone, &f.capillarization, &f.collagen, &f.closed, &f.exposure, &f.effect,
                    &f.function, &f.radius};
    for (int i = 0; i < 9; ++i) *o[i] = st[i].data();
    const double** in[] = {&f.injury, &f.tone_target, &f.collagen_gain, &f.collagen_basal, &f.capillarization_gain,
                           &f.capillarization_basal, &f.remodels, &f.base_radius, &f.mature_radius, &f.birth_time,
                           &f.signal, &f.vegf, &f.tissue_po2};
    for (int i = 0; i < 13; ++i) *in[i] = fx[i].data();
    k.remodel_segments(m, p, f);
    for (auto& a : st) out[b].push_back(a.download());
  }
  for (int i = 0; i < 9; ++i) expect_close(out[0][i], out[1][i], 1e-12, "remodel state");
  // The reopening draws are the same counter-based numbers: identical closed flags.
  EXPECT_EQ(out[0][4], out[1][4]);
}

TEST(CudaRemodel, TherapyRunHistoryMatchesCpu) {
  REQUIRE_CUDA(gpu);
  const std::string path = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/msc_dose_response/case.toml";
  const CaseConfig config = load_case(path, {"network.layers=4", "time.end=\"2 wk\"", "solver.tolerance=1e-12"});
  Network net = meshes::generate_from_spec(*config.network.generator);
  apply_case_boundaries(net, config);
  prepare_network(net, false, "test", nullptr);
  RemodellingRun c(config, net, kernels::cpu::kernel_set()), g(config, net, *gpu);
  while (!c.done()) {
    c.advance();
    g.advance();
    const HistoryRow &a = c.row(), &b = g.row();
    EXPECT_EQ(a.segments, b.segments);
    EXPECT_NEAR(a.resistance_mmHg_min_per_nl, b.resistance_mmHg_min_per_nl, 1e-8 * a.resistance_mmHg_min_per_nl);
    EXPECT_NEAR(a.po2_pericentral_mmHg, b.po2_pericentral_mmHg, 1e-6);
    EXPECT_NEAR(a.cpa_mean, b.cpa_mean, 1e-10);
    EXPECT_NEAR(a.function_index, b.function_index, 1e-8);
  }
}

TEST(CudaKernels, SellAndFusedJacobiPcgKernelsMatchCpu) {
  REQUIRE_CUDA(gpu);
  const KernelSet& cpu = kernels::cpu::kernel_set();
  // The reduced system of a random network in SELL-32-1 with RCM, on both backends.
  const Network net = test::random_network(20000, 41);
  std::vector<double> results[2][6];
  double dots[2][3];
  int iterations[2];
  int b = 0;
  for (const KernelSet* k : {&cpu, gpu}) {
    DeviceNetwork dev(*k, net);
    const std::size_t m = net.num_segments(), u = static_cast<std::size_t>(dev.unknowns());
    DeviceArray<double> mu(*k, std::vector<double>(m, 3.5e-3)), g(*k, m), values(*k, static_cast<std::size_t>(dev.pattern().nnz));
    k->poiseuille_conductance(m, dev.radius.data(), dev.length.data(), mu.data(), g.data());
    k->assemble_laplacian(dev.pattern(), g.data(), values.data());
    SellMatrix s(*k, dev.row_ptr.download(), dev.col.download(), SellOptions{});
    s.fill(values.data());
    DeviceArray<double> p(*k, random_vector(u, 42)), q(*k, u), x(*k, random_vector(u, 43)), r(*k, random_vector(u, 44)),
        z(*k, u), y(*k, u);
    k->sell_spmv(s.view(), p.data(), y.data());
    dots[b][0] = k->sell_spmv_dot(s.view(), p.data(), q.data());
    const kernels::DotPair d = k->pcg_jacobi_update(u, 0.3, p.data(), q.data(), s.inverse_diagonal(), x.data(), r.data(), z.data());
    dots[b][1] = d.rz;
    dots[b][2] = d.rr;
    results[b][0] = y.download();
    results[b][1] = q.download();
    results[b][2] = x.download();
    results[b][3] = r.download();
    results[b][4] = z.download();
    // The fused solve itself.
    DeviceArray<double> rhs(*k, random_vector(u, 45)), sol(*k, std::vector<double>(u, 0.0));
    double reached = 0;
    iterations[b] = jacobi_pcg_fused(*k, s.view(), s.inverse_diagonal(), rhs.data(), sol.data(), 1e-10, 100000, &reached);
    results[b][5] = sol.download();
    ++b;
  }
  const char* names[] = {"sell_spmv", "sell_spmv_dot q", "update x", "update r", "update z", "fused pcg x"};
  for (int i = 0; i < 5; ++i) expect_close(results[0][i], results[1][i], 1e-13, names[i]);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(dots[0][i], dots[1][i], 1e-12 * std::abs(dots[0][i])) << i;
  EXPECT_GT(iterations[0], 0);
  EXPECT_LE(std::abs(iterations[0] - iterations[1]), 1);
  expect_close(results[0][5], results[1][5], 1e-8, names[5]);
}

TEST(CudaKernels, GatherScatterAndRowIndexedUpdateMatchCpu) {
  REQUIRE_CUDA(gpu);
  const KernelSet& cpu = kernels::cpu::kernel_set();
  const std::size_t n = 50000;
  std::vector<index_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<index_t>((i * 7919) % n);  // 7919 prime: a permutation
  const auto x = random_vector(n, 31);
  DeviceArray<index_t> pc(cpu, perm), pg(*gpu, perm);
  DeviceArray<double> xc(cpu, x), xg(*gpu, x), yc(cpu, n), yg(*gpu, n);
  cpu.gather(n, pc.data(), xc.data(), yc.data());
  gpu->gather(n, pg.data(), xg.data(), yg.data());
  expect_close(yc.download(), yg.download(), 0, "gather");
  cpu.scatter(n, pc.data(), xc.data(), yc.data());
  gpu->scatter(n, pg.data(), xg.data(), yg.data());
  expect_close(yc.download(), yg.download(), 0, "scatter");
  // y[rows[r]] = s_r y[rows[r]] + sum_k val_k x[col_k]: rows = the even indices, columns odd ones.
  const index_t rows = static_cast<index_t>(n / 2);
  std::vector<index_t> row_ptr{0}, col, row_index;
  std::vector<double> val;
  std::mt19937_64 rng(5);
  for (index_t r = 0; r < rows; ++r) {
    row_index.push_back(2 * r);
    for (int e = 0; e < static_cast<int>(rng() % 3); ++e) {
      col.push_back(static_cast<index_t>(2 * (rng() % rows) + 1));
      val.push_back(std::uniform_real_distribution<double>(-1, 1)(rng));
    }
    row_ptr.push_back(static_cast<index_t>(col.size()));
  }
  const auto scale = random_vector(rows, 32);
  std::vector<double> result[2];
  int b = 0;
  for (const KernelSet* ks : {&cpu, gpu}) {
    DeviceArray<index_t> rp(*ks, row_ptr), cl(*ks, col), ri(*ks, row_index);
    DeviceArray<double> vl(*ks, val), sc(*ks, scale), y(*ks, x);
    const kernels::CsrView a{rows, rp.data(), cl.data(), vl.data()};
    ks->csr_gather_update(a, ri.data(), sc.data(), y.data(), y.data());  // in place, as the elimination does
    result[b++] = y.download();
  }
  expect_close(result[0], result[1], 1e-14, "csr_gather_update");
}

TEST(CudaSolver, AmgPressureSolveMatchesCpu) {
  REQUIRE_CUDA(gpu);
  const Network net = test::random_network(20000, 4);
  BloodConfig blood;
  SolverConfig solver;
  solver.method = "pcg";
  solver.preconditioner = "amg";
  solver.tolerance = 1e-12;
  const SteadyFlowResult c = solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set());
  const SteadyFlowResult g = solve_steady_flow(net, blood, solver, *gpu);
  expect_close(c.node_pressure, g.node_pressure, 1e-9, "AMG pressures");
  EXPECT_NEAR(c.solve.iterations, g.solve.iterations, 2);
}

}  // namespace
}  // namespace hepaflow

// Verification of the bandwidth-efficient Jacobi-PCG (issue 8): the SELL-C-sigma SpMV equals the CSR
// SpMV on random patterns; the fused kernels equal the unfused chain; the fused PCG follows the same
// iterates as pcg() with the Jacobi preconditioner (to 1e-12 relative) and converges in the same
// number of iterations (+-1); reverse Cuthill-McKee is a permutation that shrinks the bandwidth of a
// shuffled grid; the pressure solve gives the same pressures with every kernel variant.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "hepaflow/device_array.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/linear/ordering.hpp"
#include "hepaflow/linear/pcg.hpp"
#include "hepaflow/linear/sell.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "test_networks.hpp"

namespace hepaflow {
namespace {

const KernelSet& cpu() { return kernels::cpu::kernel_set(); }

/// A random symmetric pattern with its diagonal: `rows` rows, each linked to 0..max_degree random
/// others (some rows isolated), values random (diagonal positive).
struct HostMatrix {
  std::vector<index_t> row_ptr{0}, col;
  std::vector<double> val;
  index_t rows() const { return static_cast<index_t>(row_ptr.size()) - 1; }
};
HostMatrix random_symmetric(index_t rows, int max_degree, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::set<index_t>> adj(static_cast<std::size_t>(rows));
  for (index_t i = 0; i < rows; ++i) {
    const int d = static_cast<int>(rng() % static_cast<std::uint64_t>(max_degree + 1));
    for (int e = 0; e < d; ++e) {
      const index_t j = static_cast<index_t>(rng() % static_cast<std::uint64_t>(rows));
      if (j == i) continue;
      adj[i].insert(j);
      adj[j].insert(i);
    }
  }
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  HostMatrix m;
  for (index_t i = 0; i < rows; ++i) {
    adj[i].insert(i);
    for (index_t j : adj[i]) {
      m.col.push_back(j);
      m.val.push_back(j == i ? 10.0 + u(rng) : u(rng));
    }
    m.row_ptr.push_back(static_cast<index_t>(m.col.size()));
  }
  return m;
}

/// max_i |a_i - b_i| / max(|b_i|, floor).
double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b, double floor = 0) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(std::abs(b[i]), floor));
  return worst;
}
double norm(const std::vector<double>& a) { return std::sqrt(std::inner_product(a.begin(), a.end(), a.begin(), 0.0)); }
double relative_distance(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(d) / norm(b);
}

TEST(SellMatrix, SpmvEqualsCsrSpmvOnRandomPatterns) {
  const KernelSet& k = cpu();
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    for (index_t rows : {1, 31, 32, 33, 1000, 4099}) {
      const HostMatrix m = random_symmetric(rows, 1 + static_cast<int>(seed) * 3, seed * 100 + rows);
      std::vector<double> x(static_cast<std::size_t>(rows));
      std::mt19937_64 rng(seed);
      for (double& v : x) v = std::uniform_real_distribution<double>(-1, 1)(rng);
      DeviceArray<index_t> rp(k, m.row_ptr), cl(k, m.col);
      DeviceArray<double> vl(k, m.val), xd(k, x), y_csr(k, x.size());
      k.spmv({rows, rp.data(), cl.data(), vl.data()}, xd.data(), y_csr.data());
      const std::vector<double> ref = y_csr.download();
      // Row scale for the tolerance: sum_j |a_ij x_j| (the sums differ only in their order).
      std::vector<double> scale(x.size(), 0.0);
      for (index_t i = 0; i < rows; ++i)
        for (index_t e = m.row_ptr[i]; e < m.row_ptr[i + 1]; ++e) scale[i] += std::abs(m.val[e] * x[m.col[e]]);
      for (index_t chunk : {1, 4, 32})
        for (index_t sigma : {1, 128})
          for (bool rcm : {false, true}) {
            SellOptions o;
            o.chunk_size = chunk;
            o.sigma = sigma == 1 ? 1 : sigma / chunk * chunk;
            o.reverse_cuthill_mckee = rcm;
            SellMatrix s(k, m.row_ptr, m.col, o);
            s.fill(vl.data());
            EXPECT_EQ(s.off_diagonal_entries(), m.col.size() - static_cast<std::size_t>(rows));
            EXPECT_GE(s.stored_entries(), s.off_diagonal_entries());
            // In the SELL numbering: x_new = x[order], y_old[order[i]] = y_new[i].
            DeviceArray<double> xn(k, x.size()), yn(k, x.size()), y(k, x.size());
            k.gather(x.size(), s.order(), xd.data(), xn.data());
            k.sell_spmv(s.view(), xn.data(), yn.data());
            k.scatter(x.size(), s.order(), yn.data(), y.data());
            const std::vector<double> got = y.download();
            for (index_t i = 0; i < rows; ++i)
              ASSERT_NEAR(got[i], ref[i], 1e-15 * scale[i] + 1e-300)
                  << "row " << i << " of " << rows << ", C " << chunk << ", sigma " << o.sigma << ", rcm " << rcm;
            // The fused (a): same q and (p, q) = sum p_i q_i.
            DeviceArray<double> q(k, x.size());
            const double pq = k.sell_spmv_dot(s.view(), xn.data(), q.data());
            const std::vector<double> qh = q.download(), yh = yn.download(), xh = xn.download();
            double dot = 0, dot_scale = 0;
            for (std::size_t i = 0; i < qh.size(); ++i) {
              ASSERT_EQ(qh[i], yh[i]);
              dot += xh[i] * yh[i];
              dot_scale += std::abs(xh[i] * yh[i]);
            }
            EXPECT_NEAR(pq, dot, 1e-14 * dot_scale);
          }
    }
  }
}

TEST(SellMatrix, PcgJacobiUpdateEqualsTheUnfusedChain) {
  const KernelSet& k = cpu();
  const std::size_t n = 100003;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> p(n), q(n), d(n), x(n), r(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = u(rng), q[i] = u(rng), d[i] = 1.5 + u(rng), x[i] = u(rng), r[i] = u(rng);
  DeviceArray<double> pd(k, p), qd(k, q), dd(k, d), x1(k, x), r1(k, r), z1(k, n), x2(k, x), r2(k, r), z2(k, n);
  const double alpha = 0.37;
  const kernels::DotPair f = k.pcg_jacobi_update(n, alpha, pd.data(), qd.data(), dd.data(), x1.data(), r1.data(), z1.data());
  k.axpy(n, alpha, pd.data(), x2.data());
  k.axpy(n, -alpha, qd.data(), r2.data());
  k.multiply(n, dd.data(), r2.data(), z2.data());
  const double rz = k.dot(n, r2.data(), z2.data()), rr = k.dot(n, r2.data(), r2.data());
  EXPECT_LE(max_relative_difference(x1.download(), x2.download(), 1e-300), 1e-15);
  EXPECT_LE(max_relative_difference(r1.download(), r2.download(), 1e-300), 1e-15);
  EXPECT_LE(max_relative_difference(z1.download(), z2.download(), 1e-300), 1e-15);
  EXPECT_NEAR(f.rz, rz, 1e-13 * std::abs(rz));
  EXPECT_NEAR(f.rr, rr, 1e-13 * rr);
  // reciprocal and gather_or_zero
  std::vector<double> dz = d;
  dz[5] = 0.0;
  DeviceArray<double> dzd(k, dz), inv(k, n);
  k.reciprocal(n, dzd.data(), inv.data());
  const std::vector<double> ih = inv.download();
  EXPECT_EQ(ih[5], 1.0);
  EXPECT_EQ(ih[6], 1.0 / dz[6]);
  const std::vector<index_t> index{3, -1, 0};
  DeviceArray<index_t> id(k, index);
  DeviceArray<double> g(k, 3);
  k.gather_or_zero(3, id.data(), pd.data(), g.data());
  EXPECT_EQ(g.download(), (std::vector<double>{p[3], 0.0, p[0]}));
}

/// The reduced system of a network with constant viscosity, on the CPU.
struct System {
  explicit System(const Network& n) : net(n), dev(cpu(), net) {
    const KernelSet& k = cpu();
    const std::size_t m = net.num_segments(), nodes = net.num_nodes();
    const auto u = static_cast<std::size_t>(dev.unknowns());
    DeviceArray<double> mu(k, std::vector<double>(m, 3.5e-3));
    g = DeviceArray<double>(k, m);
    k.poiseuille_conductance(m, dev.radius.data(), dev.length.data(), mu.data(), g.data());
    values = DeviceArray<double>(k, static_cast<std::size_t>(dev.pattern().nnz));
    k.assemble_laplacian(dev.pattern(), g.data(), values.data());
    b = DeviceArray<double>(k, u);
    k.assemble_rhs(dev.pattern(), g.data(), dev.node_pressure_bc.data(), dev.node_inflow.data(), b.data());
    (void)nodes;
  }
  kernels::CsrView csr() const { return {dev.unknowns(), dev.row_ptr.data(), dev.col.data(), values.data()}; }
  Network net;
  DeviceNetwork dev;
  DeviceArray<double> g, values, b;
};

/// Unfused Jacobi-PCG (pcg() + CSR spmv + multiply), `iterations` at most, from x = 0.
std::vector<double> unfused(const System& s, int iterations, double tol, int* done) {
  const KernelSet& k = cpu();
  const auto u = static_cast<std::size_t>(s.dev.unknowns());
  DeviceArray<double> inv(k, u), x(k, std::vector<double>(u, 0.0));
  k.inverse_diagonal(s.csr(), inv.data());
  LinearOperator op;
  op.apply = [&](const double* in, double* out) { k.spmv(s.csr(), in, out); };
  op.precondition = [&](const double* r, double* z) { k.multiply(u, inv.data(), r, z); };
  double reached = 0;
  *done = pcg(k, u, op, s.b.data(), x.data(), tol, iterations, &reached);
  return x.download();
}
/// Fused Jacobi-PCG on the SELL layout (`o`), result in the network's numbering.
std::vector<double> fused(const System& s, const SellOptions& o, int iterations, double tol, int* done) {
  const KernelSet& k = cpu();
  const auto u = static_cast<std::size_t>(s.dev.unknowns());
  SellMatrix m(k, s.dev.row_ptr.download(), s.dev.col.download(), o);
  m.fill(s.values.data());
  DeviceArray<double> bn(k, u), xn(k, std::vector<double>(u, 0.0)), x(k, u);
  k.gather(u, m.order(), s.b.data(), bn.data());
  double reached = 0;
  *done = jacobi_pcg_fused(k, m.view(), m.inverse_diagonal(), bn.data(), xn.data(), tol, iterations, &reached);
  k.scatter(u, m.order(), xn.data(), x.data());
  return x.download();
}

std::vector<Network> test_networks() {
  std::vector<Network> nets;
  nets.push_back(test::random_network(400, 11));
  nets.push_back(test::random_network(3000, 12));
  nets.push_back(meshes::generate_peer_grid(12, 1));
  meshes::LobuleParameters p = meshes::lobule_preset("human");
  p.layers = 4;
  p.rings = 6;
  nets.push_back(meshes::generate_lobule_block(p, 1, 1));
  for (Network& n : nets) prepare_network(n, false, "test", nullptr);
  return nets;
}

TEST(FusedJacobiPcg, FollowsTheUnfusedIteratesAndConvergesInTheSameIterations) {
  int index = 0;
  for (const Network& net : test_networks()) {
    const System s(net);
    SCOPED_TRACE("network " + std::to_string(index++) + ", " + std::to_string(s.dev.unknowns()) + " unknowns");
    for (index_t chunk : {1, 32})
      for (bool rcm : {false, true}) {
        SellOptions o;
        o.chunk_size = chunk;
        o.reverse_cuthill_mckee = rcm;
        SCOPED_TRACE("C " + std::to_string(chunk) + (rcm ? ", rcm" : ""));
        // Same iterates after 5 and 20 iterations (no stop before: tolerance 0).
        for (int iterations : {5, 20}) {
          int du = 0, df = 0;
          const std::vector<double> xu = unfused(s, iterations, 0.0, &du);
          const std::vector<double> xf = fused(s, o, iterations, 0.0, &df);
          EXPECT_EQ(du, -iterations);
          EXPECT_EQ(df, -iterations);
          EXPECT_LE(relative_distance(xf, xu), 1e-12) << iterations << " iterations";
        }
        // To convergence: iteration counts within 1, solutions within the tolerance's reach.
        int du = 0, df = 0;
        const std::vector<double> xu = unfused(s, 100000, 1e-10, &du);
        const std::vector<double> xf = fused(s, o, 100000, 1e-10, &df);
        ASSERT_GT(du, 0);
        ASSERT_GT(df, 0);
        EXPECT_LE(std::abs(du - df), 1) << "unfused " << du << ", fused " << df;
        EXPECT_LE(relative_distance(xf, xu), 1e-8);
      }
  }
}

TEST(ReverseCuthillMcKee, IsAPermutationThatShrinksTheBandwidthOfAShuffledGrid) {
  // A 20^3 grid numbered at random: RCM brings the mean |i - j| of its entries from ~n/3 to ~n^(2/3).
  const int side = 20;
  const index_t n = side * side * side;
  std::vector<index_t> shuffle(static_cast<std::size_t>(n));
  std::iota(shuffle.begin(), shuffle.end(), 0);
  std::shuffle(shuffle.begin(), shuffle.end(), std::mt19937_64(3));
  std::vector<std::vector<index_t>> adj(static_cast<std::size_t>(n));
  auto id = [&](int i, int j, int l) { return shuffle[static_cast<std::size_t>(i + side * (j + side * l))]; };
  for (int l = 0; l < side; ++l)
    for (int j = 0; j < side; ++j)
      for (int i = 0; i < side; ++i) {
        const index_t a = id(i, j, l);
        adj[a].push_back(a);
        if (i + 1 < side) adj[a].push_back(id(i + 1, j, l)), adj[id(i + 1, j, l)].push_back(a);
        if (j + 1 < side) adj[a].push_back(id(i, j + 1, l)), adj[id(i, j + 1, l)].push_back(a);
        if (l + 1 < side) adj[a].push_back(id(i, j, l + 1)), adj[id(i, j, l + 1)].push_back(a);
      }
  std::vector<index_t> row_ptr{0}, col;
  for (auto& row : adj) {
    std::sort(row.begin(), row.end());
    col.insert(col.end(), row.begin(), row.end());
    row_ptr.push_back(static_cast<index_t>(col.size()));
  }
  const std::vector<index_t> order = reverse_cuthill_mckee(row_ptr, col);
  std::vector<index_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<index_t> identity(static_cast<std::size_t>(n));
  std::iota(identity.begin(), identity.end(), 0);
  ASSERT_EQ(sorted, identity);
  const PatternBandwidth before = pattern_bandwidth(row_ptr, col, {});
  const PatternBandwidth after = pattern_bandwidth(row_ptr, col, order);
  EXPECT_GT(before.mean_distance, 2000.0);  // ~ n / 3 = 2667 for random numbers
  // A level structure of a 20^3 grid from a corner has at most ~3 * 20^2 / 2 rows per level: entries
  // join adjacent levels, so |i - j| < 2 * 600.
  EXPECT_LT(after.max_distance, 1200);
  EXPECT_LT(after.mean_distance, 400.0);
  // Two components (a second, disjoint copy): still a permutation, each component contiguous.
  std::vector<index_t> rp2 = row_ptr, col2 = col;
  for (index_t i = 0; i < n; ++i) {
    for (index_t e = row_ptr[i]; e < row_ptr[i + 1]; ++e) col2.push_back(col[e] + n);
    rp2.push_back(static_cast<index_t>(col2.size()));
  }
  const std::vector<index_t> order2 = reverse_cuthill_mckee(rp2, col2);
  ASSERT_EQ(order2.size(), static_cast<std::size_t>(2 * n));
  const bool first_half_is_one_component =
      std::all_of(order2.begin(), order2.begin() + n, [&](index_t i) { return (i < n) == (order2[0] < n); });
  EXPECT_TRUE(first_half_is_one_component);
}

TEST(FusedJacobiPcg, PressureSolveGivesTheSamePressuresWithEveryKernelVariant) {
  int index = 0;
  for (const Network& net : test_networks()) {
    SCOPED_TRACE("network " + std::to_string(index++));
    const DeviceNetwork dev(cpu(), net);
    auto solve = [&](const std::string& kernels, bool rcm, int sigma, LinearSolveReport* report) {
      FlowFields f;
      f.viscosity = DeviceArray<double>(cpu(), std::vector<double>(net.num_segments(), 3.5e-3));
      LinearSolverOptions o;
      o.method = "pcg";
      o.preconditioner = "jacobi";
      o.tolerance = 1e-11;
      o.jacobi_kernels = kernels;
      o.reverse_cuthill_mckee = rcm;
      o.sell_sigma = sigma;
      *report = solve_flow(dev, o, f);
      return f.node_pressure.download();
    };
    LinearSolveReport ru, rs, rc, rsig;
    const std::vector<double> pu = solve("unfused", false, 1, &ru);
    const std::vector<double> ps = solve("sell", true, 1, &rs);
    const std::vector<double> pc = solve("csr", false, 1, &rc);
    const std::vector<double> psig = solve("sell", true, 256, &rsig);
    EXPECT_EQ(ru.jacobi_kernels, "unfused");
    EXPECT_EQ(rs.jacobi_kernels, "sell");
    for (const LinearSolveReport* r : {&ru, &rs, &rc, &rsig}) EXPECT_LE(r->relative_residual, 1e-11);
    EXPECT_LE(max_relative_difference(ps, pu), 1e-9);
    EXPECT_LE(max_relative_difference(pc, pu), 1e-9);
    EXPECT_LE(max_relative_difference(psig, pu), 1e-9);
    // Iterations of the refined solve. The iterates themselves agree to 1e-12
    // (FusedJacobiPcg.FollowsTheUnfusedIteratesAndConvergesInTheSameIterations); the number of refinement passes depends on the last bits of the
    // residual: one more pass on the high-contrast random network (742 vs 642 iterations) for sell with
    // sigma 256 in the g++ build, and for csr in the clang -O1 ASan build; equal otherwise.
    for (const LinearSolveReport* r : {&rs, &rc, &rsig})
      EXPECT_LE(std::abs(r->iterations - ru.iterations), 2 + ru.iterations / 5)
          << r->jacobi_kernels << " " << r->iterations << " vs " << ru.iterations;
    EXPECT_GT(rs.sell_stored_entries, 0);
  }
  // An unknown kernel name is a clear error.
  const Network net = test_networks().front();
  const DeviceNetwork dev(cpu(), net);
  FlowFields f;
  f.viscosity = DeviceArray<double>(cpu(), std::vector<double>(net.num_segments(), 3.5e-3));
  LinearSolverOptions o;
  o.preconditioner = "jacobi";
  o.jacobi_kernels = "ellpack";
  try {
    solve_flow(dev, o, f);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown Jacobi-PCG kernels 'ellpack'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hepaflow

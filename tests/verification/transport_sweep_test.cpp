// The transport sweeps (haematocrit, O2) with unbranched chains collapsed into one thread each
// (FlowGraph, issue 8) against the schedule before it, one level per node depth: the same values to
// the last bit on networks with long chains, branching random networks, stagnant segments and
// boundary inflows, the lobule and the rat mesentery; and the level counts a hand-built network
// must have. About 2 s.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/flow/rheology.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/oxygen/oxygen_transport.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "test_networks.hpp"

namespace hepaflow {
namespace {

const KernelSet& cpu() { return kernels::cpu::kernel_set(); }

/// Every segment cut into `pieces` equal pieces in series (pieces - 1 new nodes of degree 2 each).
Network subdivide(const Network& net, int pieces) {
  Network out;
  for (std::size_t i = 0; i < net.num_nodes(); ++i) out.add_node(net.node_id[i], net.x[i], net.y[i], net.z[i]);
  std::int64_t next_node = 1000000, next_segment = 1;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    index_t previous = a;
    for (int p = 1; p <= pieces; ++p) {
      index_t node = b;
      if (p < pieces) {
        const double t = static_cast<double>(p) / pieces;
        node = out.add_node(next_node++, net.x[a] + t * (net.x[b] - net.x[a]), net.y[a] + t * (net.y[b] - net.y[a]),
                            net.z[a] + t * (net.z[b] - net.z[a]));
      }
      out.add_segment(next_segment++, previous, node, net.radius[s], net.length[s] / pieces);
      previous = node;
    }
  }
  out.boundaries = net.boundaries;
  out.fill_defaults();
  return out;
}

/// Tissue around every segment (a 20 um Krogh cylinder) and a mid-lobular zone, so O2 is consumed.
void add_tissue(Network& net) {
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    if (!(net.tissue_volume[s] > 0)) net.tissue_volume[s] = units::pi * 20e-6 * 20e-6 * net.length[s];
    if (!std::isfinite(net.zone[s])) net.zone[s] = 0.5;
  }
}

std::vector<double> solve_flows(const Network& net) {
  DeviceNetwork d(cpu(), net);
  FlowFields f;
  f.viscosity = DeviceArray<double>(cpu(), std::vector<double>(net.num_segments(), 3.5e-3));
  LinearSolverOptions o;
  o.method = "pcg";
  o.tolerance = 1e-12;
  solve_flow(d, o, f);
  return f.flow.download();
}

/// Both values NaN (segments without flow), or equal to the last bit.
void expect_identical(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  std::size_t finite = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    ++finite;
    ASSERT_EQ(a[i], b[i]) << what << " differs at " << i;
  }
  EXPECT_GT(finite, a.size() / 2) << what << ": most entries must carry values";
}

struct Schedules {
  std::size_t levels_node_by_node = 0, levels_chains = 0, chains = 0, swept_nodes = 0;
};

/// Sweeps haematocrit (phase separation on) and O2 (krogh) once per schedule and compares them.
Schedules compare_schedules(const Network& net, const std::vector<double>& flow) {
  DeviceNetwork d(cpu(), net);
  FlowFields fields;
  fields.flow = DeviceArray<double>(cpu(), flow);
  const double hd0 = 0.45;
  Schedules r;
  std::vector<double> hd[2];
  OxygenResult o2[2];
  for (int collapse = 0; collapse < 2; ++collapse) {
    const FlowGraph graph(cpu(), net, flow, hd0, 65.0, collapse == 1);
    (collapse ? r.levels_chains : r.levels_node_by_node) = graph.levels();
    if (collapse) r.chains = graph.chains(), r.swept_nodes = graph.swept_nodes();
    DeviceArray<double> h(cpu(), std::vector<double>(net.num_segments(), hd0));
    haematocrit_sweep(cpu(), graph, fields.flow, d.radius, hd0, true, h);
    hd[collapse] = h.download();
    OxygenConfig config;
    config.tissue_model = "krogh";
    OxygenOptions o = oxygen_options(config, hd0);
    o.collapse_chains = collapse == 1;
    o2[collapse] = solve_oxygen(d, net, fields, h, o);
  }
  expect_identical(hd[0], hd[1], "haematocrit");
  expect_identical(o2[0].po2_in, o2[1].po2_in, "po2_in");
  expect_identical(o2[0].po2_out, o2[1].po2_out, "po2_out");
  expect_identical(o2[0].po2_mean, o2[1].po2_mean, "po2_mean");
  expect_identical(o2[0].o2_flux_to_tissue, o2[1].o2_flux_to_tissue, "o2_flux");
  EXPECT_EQ(o2[0].venous_so2, o2[1].venous_so2);
  EXPECT_LE(r.levels_chains, r.levels_node_by_node);
  return r;
}

// A Y: a feeding chain of 5 pieces, a bifurcation, two daughter chains of 5 pieces to two outlets.
// Node by node: the 11 node depths are 11 levels. Chains: inlet .. bifurcation node is one chain
// (level 1), each daughter chain another (level 2); the outlets end their chains.
TEST(ChainSweep, AYOfThreeChainsTakesTwoLevelsInsteadOfEleven) {
  Network y;
  y.add_node(1, 0, 0, 0);
  y.add_node(2, 100e-6, 0, 0);
  y.add_node(3, 200e-6, 50e-6, 0);
  y.add_node(4, 200e-6, -50e-6, 0);
  y.add_segment(1, 0, 1, 6e-6);
  y.add_segment(2, 1, 2, 5e-6);
  y.add_segment(3, 1, 3, 4e-6);
  y.boundaries.push_back({0, BoundaryType::pressure, 8 * units::mmHg});
  y.boundaries.push_back({2, BoundaryType::pressure, 4 * units::mmHg});
  y.boundaries.push_back({3, BoundaryType::pressure, 5 * units::mmHg});
  y.fill_defaults();
  Network net = subdivide(y, 5);
  add_tissue(net);
  const Schedules s = compare_schedules(net, solve_flows(net));
  EXPECT_EQ(s.levels_node_by_node, 11u);
  EXPECT_EQ(s.levels_chains, 2u);
  EXPECT_EQ(s.chains, 3u);
  EXPECT_EQ(s.swept_nodes, net.num_nodes());
}

// Random branching networks (pressure and flow boundaries, inflows at interior boundary nodes)
// with every vessel cut into 4 pieces: long chains between the branch points.
TEST(ChainSweep, SubdividedRandomNetworksGiveTheSameValuesInFewerLevels) {
  for (std::uint64_t seed : {3u, 11u, 29u}) {
    Network net = subdivide(test::random_network(1500, seed), 4);
    add_tissue(net);
    const Schedules s = compare_schedules(net, solve_flows(net));
    EXPECT_LT(s.levels_chains, s.levels_node_by_node) << "seed " << seed;
    EXPECT_LT(4 * s.chains, 3 * s.swept_nodes) << "seed " << seed;  // 3 of 4 nodes are chain interiors
  }
}

// Stagnant segments (every 7th segment's flow set to 0: left out of the graph; nodes whose only
// outflow stagnates become sinks, chains break there) and the unsplit random network.
TEST(ChainSweep, StagnantSegmentsAndUnsplitNetworksGiveTheSameValues) {
  Network net = subdivide(test::random_network(1200, 5), 3);
  add_tissue(net);
  std::vector<double> flow = solve_flows(net);
  for (std::size_t s = 0; s < flow.size(); s += 7) flow[s] = 0.0;
  double q_max = 0;
  for (double q : flow) q_max = std::max(q_max, std::abs(q));
  std::size_t stagnant = 0;  // the zeroed ones and dead ends (flow at round-off)
  for (double q : flow) stagnant += !(std::abs(q) > 1e-13 * q_max);
  const FlowGraph graph(cpu(), net, flow, 0.45);
  EXPECT_EQ(graph.zero_flow_segments(), stagnant);
  EXPECT_GE(stagnant, (flow.size() + 6) / 7);
  compare_schedules(net, flow);
  Network plain = test::random_network(2000, 7);
  add_tissue(plain);
  compare_schedules(plain, solve_flows(plain));
}

// The generated lobule (a lattice of sinusoids: nearly every node branches, so chains are short) and
// the rat mesentery (vessels subdivided between measured nodes: chains of up to ~10 nodes).
TEST(ChainSweep, LobuleAndMesenteryGiveTheSameValues) {
  meshes::LobuleParameters p = meshes::lobule_preset("human");
  p.layers = 4;
  Network lobule = meshes::generate_lobule(p);
  prepare_network(lobule, false, "lobule", nullptr);
  const Schedules l = compare_schedules(lobule, solve_flows(lobule));
  std::cout << "lobule slab: " << lobule.num_segments() << " segments, levels " << l.levels_node_by_node << " -> "
            << l.levels_chains << ", " << l.chains << " chains for " << l.swept_nodes << " nodes\n";
  const std::string file = std::string(HEPAFLOW_SHARED_DIR) + "/validation/mesentery/network.dat";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "validation data absent: " << file;
  Network mesentery = meshes::read_secomb_dat(file);
  prepare_network(mesentery, false, "mesentery", nullptr);
  add_tissue(mesentery);
  const Schedules m = compare_schedules(mesentery, solve_flows(mesentery));
  std::cout << "mesentery: " << mesentery.num_segments() << " segments, levels " << m.levels_node_by_node << " -> "
            << m.levels_chains << ", " << m.chains << " chains for " << m.swept_nodes << " nodes\n";
  EXPECT_LT(2 * m.levels_chains, m.levels_node_by_node);  // measured 103 -> 46
  EXPECT_LT(3 * m.chains, 2 * m.swept_nodes);             // measured 505 chains for 972 nodes
}

}  // namespace
}  // namespace hepaflow

#pragma once
// Networks built for tests: straight tubes, series/parallel combinations and seeded random
// connected networks with mixed pressure/flow boundary conditions.
#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <utility>

#include "hepaflow/network.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow::test {

/// A straight tube along x split into `pieces` segments, pressure p_in at x=0 and p_out at the end.
inline Network straight_tube(double radius, double length, int pieces, double p_in, double p_out) {
  Network net;
  for (int i = 0; i <= pieces; ++i) net.add_node(i + 1, length * i / pieces, 0, 0);
  for (int i = 0; i < pieces; ++i) net.add_segment(i + 1, i, i + 1, radius);
  net.boundaries.push_back({0, BoundaryType::pressure, p_in});
  net.boundaries.push_back({pieces, BoundaryType::pressure, p_out});
  return net;
}

/// Seeded random connected network: `segments` segments on about segments/2 nodes in a 500 um
/// cube (random spanning tree + random extra edges, no duplicates), lognormal radii 2-40 um,
/// lengths from positions. Boundary: 2-4 pressure nodes (5-15 mmHg), up to 4 flow nodes
/// (inflow 0.1-5 nl/min, or an outflow), all with positive inflow totals leaving via pressure nodes.
inline Network random_network(int segments, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int nodes = std::max(2, std::min(segments, segments / 2 + 2));
  Network net;
  for (int i = 0; i < nodes; ++i)
    net.add_node(1000 + i, 500e-6 * unit(rng), 500e-6 * unit(rng), 500e-6 * unit(rng));
  std::set<std::pair<int, int>> used;
  std::lognormal_distribution<double> log_radius(std::log(8e-6), 0.6);
  auto radius = [&] { return std::clamp(log_radius(rng), 2e-6, 40e-6); };
  int id = 1;
  auto connect = [&](int a, int b) {
    if (a == b) return false;
    auto key = std::minmax(a, b);
    if (!used.insert({key.first, key.second}).second) return false;
    net.add_segment(id++, a, b, radius());
    return true;
  };
  for (int i = 1; i < nodes; ++i) connect(i, static_cast<int>(unit(rng) * i));  // spanning tree
  long long max_edges = static_cast<long long>(nodes) * (nodes - 1) / 2;
  int target = static_cast<int>(std::min<long long>(segments, max_edges));
  while (static_cast<int>(net.num_segments()) < target)
    connect(static_cast<int>(unit(rng) * nodes), static_cast<int>(unit(rng) * nodes));
  // Some segments get tortuous lengths (up to 2x the distance); avoid zero lengths.
  for (std::size_t s = 0; s < net.num_segments(); ++s)
    net.length[s] = std::max(net.length[s], 5e-6) * (1.0 + (unit(rng) < 0.3 ? unit(rng) : 0.0));
  // Boundary nodes: distinct random nodes.
  std::vector<int> order(nodes);
  for (int i = 0; i < nodes; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const int n_pressure = 2 + static_cast<int>(unit(rng) * std::min(3, nodes - 2));  // >= 2: flow through the network
  const int n_flow = std::min(nodes - n_pressure, static_cast<int>(unit(rng) * 5));
  for (int i = 0; i < n_pressure; ++i)
    net.boundaries.push_back({order[i], BoundaryType::pressure, (5.0 + 10.0 * unit(rng)) * units::mmHg});
  for (int i = 0; i < n_flow; ++i) {
    double q = (0.1 + 4.9 * unit(rng)) * units::nl_per_min;
    if (unit(rng) < 0.25) q = -0.2 * q;  // a small outflow
    net.boundaries.push_back({order[n_pressure + i], BoundaryType::flow, q});
  }
  return net;
}

}  // namespace hepaflow::test

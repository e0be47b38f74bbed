// Small test and benchmark networks: ladder, symmetric (Murray) tree, 3-D grids; and the mapping of
// the case file's [network] generator spec onto all generators.
#include <cmath>
#include <random>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow::meshes {

Network generate_ladder(int rungs, double radius, double length, double inlet_pressure, double outlet_pressure) {
  if (rungs < 2) throw InputError("ladder: at least 2 rungs");
  Network net;
  for (int i = 0; i < rungs; ++i) net.add_node(i + 1, i * length, 0, 0);            // rail A
  for (int i = 0; i < rungs; ++i) net.add_node(rungs + i + 1, i * length, length, 0);  // rail B
  std::int64_t id = 1;
  for (int i = 0; i + 1 < rungs; ++i) {
    net.add_segment(id++, i, i + 1, radius);
    net.add_segment(id++, rungs + i, rungs + i + 1, radius);
  }
  for (int i = 0; i < rungs; ++i) net.add_segment(id++, i, rungs + i, radius);
  net.boundaries.push_back({0, BoundaryType::pressure, inlet_pressure, 0.45});
  net.boundaries.push_back({2 * rungs - 1, BoundaryType::pressure, outlet_pressure, 0.45});
  net.fill_defaults();
  return net;
}

Network generate_tree(int generations, double root_radius, double root_length, double inlet_pressure,
                      double outlet_pressure) {
  if (generations < 1 || generations > 24) throw InputError("tree: generations must be 1..24");
  Network net;
  net.add_node(1, 0, 0, 0);
  // Murray's law for a symmetric bifurcation (Murray 1926): r_parent^3 = 2 r_child^3.
  const double scale = std::pow(2.0, -1.0 / 3.0);
  std::vector<index_t> level{0};
  double radius = root_radius, length = root_length, y_extent = root_length;
  std::int64_t id = 1;
  double x = 0;
  for (int g = 0; g < generations; ++g) {
    std::vector<index_t> next;
    const double child_x = x + length;
    for (std::size_t k = 0; k < level.size(); ++k) {
      const int children = g == 0 ? 1 : 2;
      for (int c = 0; c < children; ++c) {
        const double y = net.y[level[k]] + (g == 0 ? 0.0 : (c == 0 ? -1 : 1) * y_extent / std::pow(2.0, g));
        const index_t child = net.add_node(static_cast<std::int64_t>(net.num_nodes()) + 1, child_x, y, 0);
        net.add_segment(id++, level[k], child, radius);
        next.push_back(child);
      }
    }
    level = next;
    x = child_x;
    radius *= scale;
    length *= scale;
  }
  // Generation 0 is the root segment; each later generation doubles: 1 + 2 + ... = 2^g - 1 segments.
  net.boundaries.push_back({0, BoundaryType::pressure, inlet_pressure, 0.45});
  for (index_t leaf : level) net.boundaries.push_back({leaf, BoundaryType::pressure, outlet_pressure});
  net.fill_defaults();
  return net;
}

Network generate_grid(int nx, int ny, int nz, std::uint64_t seed) {
  if (nx < 2 || ny < 1 || nz < 1) throw InputError("grid: size must be at least 2 x 1 x 1");
  const double h = 25e-6;
  Network net;
  const auto idx = [&](int i, int j, int k) { return static_cast<index_t>((k * ny + j) * nx + i); };
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) net.add_node(idx(i, j, k) + 1, i * h, j * h, k * h);
  std::vector<std::pair<index_t, index_t>> pairs;
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        if (i + 1 < nx) pairs.emplace_back(idx(i, j, k), idx(i + 1, j, k));
        if (j + 1 < ny) pairs.emplace_back(idx(i, j, k), idx(i, j + 1, k));
        if (k + 1 < nz) pairs.emplace_back(idx(i, j, k), idx(i, j, k + 1));
      }
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j) {
      const index_t in = net.add_node(static_cast<std::int64_t>(net.num_nodes()) + 1, -h, j * h, k * h);
      pairs.emplace_back(in, idx(0, j, k));
      net.boundaries.push_back({in, BoundaryType::pressure, 20 * units::mmHg, 0.45, 65});
      const index_t out = net.add_node(static_cast<std::int64_t>(net.num_nodes()) + 1, nx * h, j * h, k * h);
      pairs.emplace_back(idx(nx - 1, j, k), out);
      net.boundaries.push_back({out, BoundaryType::pressure, 10 * units::mmHg, 0.45, 65});
    }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> diameter(6e-6, 10e-6);
  std::int64_t id = 1;
  for (const auto& [a, b] : pairs) net.add_segment(id++, a, b, 0.5 * diameter(rng));
  net.fill_defaults();
  return net;
}

Network generate_peer_grid(int n, std::uint64_t seed) {
  if (n < 2) throw InputError("peer grid: n must be at least 2");
  Network net;
  const auto index = [n](int i0, int i1, int i2) { return static_cast<index_t>((i0 * n + i1) * n + i2); };
  for (int i0 = 0; i0 < n; ++i0)
    for (int i1 = 0; i1 < n; ++i1)
      for (int i2 = 0; i2 < n; ++i2) net.add_node(index(i0, i1, i2), i0 * 25e-6, i1 * 25e-6, i2 * 25e-6);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> radius(3e-6, 5e-6);
  std::int64_t id = 0;
  for (int axis = 0; axis < 3; ++axis)
    for (int i0 = 0; i0 < n; ++i0)
      for (int i1 = 0; i1 < n; ++i1)
        for (int i2 = 0; i2 < n; ++i2) {
          int j[3] = {i0, i1, i2};
          if (++j[axis] >= n) continue;
          net.add_segment(id++, index(i0, i1, i2), index(j[0], j[1], j[2]), radius(rng), 25e-6);
        }
  for (int i1 = 0; i1 < n; ++i1)
    for (int i2 = 0; i2 < n; ++i2) {
      net.boundaries.push_back({index(0, i1, i2), BoundaryType::pressure, 800.0});
      net.boundaries.push_back({index(n - 1, i1, i2), BoundaryType::pressure, 533.0});
    }
  net.fill_defaults();
  return net;
}

Network generate_from_spec(const GeneratorSpec& spec) {
  const auto size_at = [&](std::size_t i, int fallback) {
    return spec.size.size() > i ? spec.size[i] : fallback;
  };
  if (spec.name == "lobule" || spec.name == "lobule_block") {
    LobuleParameters p = lobule_preset(spec.preset);
    p.rings = spec.rings;
    p.layers = spec.layers;
    p.seed = spec.seed;
    return spec.name == "lobule" ? generate_lobule(p) : generate_lobule_block(p, spec.blocks_x, spec.blocks_y);
  }
  if (spec.name == "ladder")
    return generate_ladder(size_at(0, 10), 4e-6, 50e-6, 6 * units::mmHg, 4 * units::mmHg);
  if (spec.name == "tree") return generate_tree(size_at(0, 6), 20e-6, 400e-6, 8 * units::mmHg, 4 * units::mmHg);
  if (spec.name == "grid") {
    if (!spec.size.empty() && spec.size.size() != 3) throw InputError("grid: size needs 3 numbers nx ny nz");
    return generate_grid(size_at(0, 10), size_at(1, 10), size_at(2, 10), spec.seed);
  }
  throw InputError("unknown generator '" + spec.name + "' (expected lobule, lobule_block, ladder, tree or grid)");
}

}  // namespace hepaflow::meshes

// Small test and benchmark networks (ladder, symmetric Murray tree, the 3-D grids of the shared
// benchmark scripts) and the mapping of the case file's [network] generator spec onto all
// generators. Geometry rules are documented at each function in generators.hpp.
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <sstream>

#include "hepaflow/error.hpp"
#include "hepaflow/memory_budget.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow::meshes {

namespace {

constexpr double pi = units::pi;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Inflow defaults of the simple networks: Hd 0.45 (DESIGN.md case-file default), PO2 65 mmHg
// (PARAMETERS.md §7.1 inlet PO2, also gen_grid_secomb.py's boundary PO2).
constexpr double inflow_hd = 0.45;
constexpr double inflow_po2_mmHg = 65.0;

bool finite_positive(double v) { return std::isfinite(v) && v > 0; }

/// Share `tissue` among the segments with keep[s] in proportion to their length.
void share_tissue_by_length(Network& net, double tissue, const std::vector<char>& keep) {
  double total_length = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s)
    if (keep[s]) total_length += net.length[s];
  if (!(tissue > 0) || !(total_length > 0)) return;
  for (std::size_t s = 0; s < net.num_segments(); ++s)
    net.tissue_volume[s] = keep[s] ? tissue * net.length[s] / total_length : 0.0;
}

double lumen_volume(const Network& net, const std::vector<char>& keep) {
  double v = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s)
    if (keep[s]) v += pi * net.radius[s] * net.radius[s] * net.length[s];
  return v;
}

/// Uniform in [lo, hi) from 53 bits of a 64-bit generator (portable, unlike
/// std::uniform_real_distribution whose algorithm the standard leaves open).
double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53);
}

std::string list_of(const std::vector<int>& v) {
  std::ostringstream s;
  s << "[";
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << "]";
  return s.str();
}

}  // namespace

Network generate_ladder(int rungs, double radius, double length, double inlet_pressure, double outlet_pressure) {
  if (rungs < 1 || rungs > 100000000)
    throw InputError("ladder: rungs must be 1..1e8 (got " + std::to_string(rungs) + ")");
  if (!finite_positive(radius) || !finite_positive(length))
    throw InputError("ladder: radius and length must be positive");
  if (!std::isfinite(inlet_pressure) || !std::isfinite(outlet_pressure))
    throw InputError("ladder: pressures must be finite");
  Network net;
  for (int i = 0; i < rungs; ++i) net.add_node(i + 1, i * length, 0, 0);                // rail A
  for (int i = 0; i < rungs; ++i) net.add_node(rungs + i + 1, i * length, length, 0);   // rail B
  std::int64_t id = 1;
  for (int i = 0; i + 1 < rungs; ++i) {
    net.add_segment(id++, i, i + 1, radius, -1.0, SegmentKind::sinusoid);
    net.add_segment(id++, rungs + i, rungs + i + 1, radius, -1.0, SegmentKind::sinusoid);
  }
  for (int i = 0; i < rungs; ++i) net.add_segment(id++, i, rungs + i, radius, -1.0, SegmentKind::sinusoid);
  const double x_max = (rungs - 1) * length;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const double x_mid = 0.5 * (net.x[net.segment_from[s]] + net.x[net.segment_to[s]]);
    net.zone[s] = rungs > 1 ? x_mid / x_max : 0.5;
  }
  // Each of the 2 rungs nodes owns a cube of side `length`.
  const std::vector<char> all(net.num_segments(), 1);
  share_tissue_by_length(net, 2.0 * rungs * length * length * length - lumen_volume(net, all), all);
  net.boundaries.push_back({0, BoundaryType::pressure, inlet_pressure, inflow_hd, inflow_po2_mmHg});
  net.boundaries.push_back({2 * rungs - 1, BoundaryType::pressure, outlet_pressure, nan, nan});
  return net;
}

Network generate_tree(int generations, double root_radius, double root_length, double inlet_pressure,
                      double outlet_pressure, double length_ratio) {
  if (generations < 1 || generations > 24)
    throw InputError("tree: generations must be 1..24 (got " + std::to_string(generations) + ")");
  if (!finite_positive(root_radius) || !finite_positive(root_length) || !finite_positive(length_ratio))
    throw InputError("tree: root radius, root length and length ratio must be positive");
  if (!std::isfinite(inlet_pressure) || !std::isfinite(outlet_pressure))
    throw InputError("tree: pressures must be finite");
  // Murray's law for a symmetric bifurcation (Murray 1926): r_parent^3 = 2 r_child^3.
  const double murray = std::cbrt(0.5);
  const double branch_angle = pi / 6;  // +-30° from the parent's direction
  Network net;
  net.add_node(1, 0, 0, 0);
  struct Tip {
    index_t node;
    double dir[3];
  };
  std::vector<Tip> tips{{0, {1, 0, 0}}};
  double radius = root_radius, length = root_length;
  std::int64_t id = 1;
  for (int g = 0; g < generations; ++g) {
    std::vector<Tip> next;
    next.reserve(tips.size() * 2);
    const double zone = (g + 0.5) / generations;
    const double tissue = std::max(0.0, length * (length * length - pi * radius * radius));
    for (const Tip& tip : tips) {
      const double* d = tip.dir;
      double dirs[2][3];
      int children = 1;
      if (g == 0) {
        dirs[0][0] = d[0], dirs[0][1] = d[1], dirs[0][2] = d[2];
      } else {
        children = 2;
        // A unit vector perpendicular to d: alternate the branching plane between generations
        // (helper axis z in odd generations, y in even ones).
        const double helper[3] = {0.0, g % 2 ? 0.0 : 1.0, g % 2 ? 1.0 : 0.0};
        double q[3] = {d[1] * helper[2] - d[2] * helper[1], d[2] * helper[0] - d[0] * helper[2],
                       d[0] * helper[1] - d[1] * helper[0]};
        double qn = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
        if (qn < 1e-6) {  // d parallel to the helper: use the x axis
          q[0] = 0, q[1] = -d[2], q[2] = d[1];
          qn = std::sqrt(q[1] * q[1] + q[2] * q[2]);
          if (qn < 1e-6) q[0] = 0, q[1] = 1, q[2] = 0, qn = 1;
        }
        for (int c = 0; c < 2; ++c) {
          const double sign = c == 0 ? -1.0 : 1.0;
          for (int a = 0; a < 3; ++a)
            dirs[c][a] = std::cos(branch_angle) * d[a] + sign * std::sin(branch_angle) * q[a] / qn;
        }
      }
      for (int c = 0; c < children; ++c) {
        const index_t child = net.add_node(static_cast<std::int64_t>(net.num_nodes()) + 1,
                                           net.x[tip.node] + length * dirs[c][0], net.y[tip.node] + length * dirs[c][1],
                                           net.z[tip.node] + length * dirs[c][2]);
        const index_t s = net.add_segment(id++, tip.node, child, radius, length, SegmentKind::other);
        net.zone[s] = zone;
        net.tissue_volume[s] = tissue;
        next.push_back({child, {dirs[c][0], dirs[c][1], dirs[c][2]}});
      }
    }
    tips.swap(next);
    radius *= murray;
    length *= length_ratio;
  }
  net.boundaries.push_back({0, BoundaryType::pressure, inlet_pressure, inflow_hd, inflow_po2_mmHg});
  for (const Tip& leaf : tips) net.boundaries.push_back({leaf.node, BoundaryType::pressure, outlet_pressure, nan, nan});
  return net;
}

Network generate_grid(int nx, int ny, int nz, std::uint64_t seed) {
  if (nx < 1 || ny < 1 || nz < 1)
    throw InputError("grid: nx, ny, nz must be at least 1 (got " + std::to_string(nx) + " x " + std::to_string(ny) +
                     " x " + std::to_string(nz) + ")");
  const double X = nx, Y = ny, Z = nz;
  const double segments = (X - 1) * Y * Z + X * (Y - 1) * Z + X * Y * (Z - 1) + 2 * Y * Z;
  if (segments >= static_cast<double>(std::numeric_limits<index_t>::max()) || X * Y * Z + 2 * Y * Z >= 2e9)
    throw InputError("grid: " + std::to_string(nx) + " x " + std::to_string(ny) + " x " + std::to_string(nz) +
                     " exceeds 32-bit indices");
  // gen_grid_secomb.py: spacing 25 um, diameters uniform 6-10 um, stubs at 20 / 10 mmHg, Hd 0.45, PO2 65.
  const double h = 25e-6;
  const double p_inlet = 20 * units::mmHg, p_outlet = 10 * units::mmHg;
  Network net;
  const std::size_t n_nodes = static_cast<std::size_t>(X * Y * Z + 2 * Y * Z);
  net.node_id.reserve(n_nodes);
  net.x.reserve(n_nodes);
  net.y.reserve(n_nodes);
  net.z.reserve(n_nodes);
  const auto idx = [&](int i, int j, int k) {
    return static_cast<index_t>((static_cast<std::int64_t>(k) * ny + j) * nx + i);
  };
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) net.add_node(idx(i, j, k) + 1, i * h, j * h, k * h);
  std::vector<std::pair<index_t, index_t>> pairs;
  pairs.reserve(static_cast<std::size_t>(segments));
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        if (i + 1 < nx) pairs.emplace_back(idx(i, j, k), idx(i + 1, j, k));
        if (j + 1 < ny) pairs.emplace_back(idx(i, j, k), idx(i, j + 1, k));
        if (k + 1 < nz) pairs.emplace_back(idx(i, j, k), idx(i, j, k + 1));
      }
  const std::size_t grid_segments = pairs.size();
  for (int k = 0; k < nz; ++k)
    for (int j = 0; j < ny; ++j) {
      const index_t in = net.add_node(static_cast<std::int64_t>(net.num_nodes()) + 1, -h, j * h, k * h);
      pairs.emplace_back(in, idx(0, j, k));
      net.boundaries.push_back({in, BoundaryType::pressure, p_inlet, inflow_hd, inflow_po2_mmHg});
      const index_t out = net.add_node(static_cast<std::int64_t>(net.num_nodes()) + 1, nx * h, j * h, k * h);
      pairs.emplace_back(idx(nx - 1, j, k), out);
      net.boundaries.push_back({out, BoundaryType::pressure, p_outlet, inflow_hd, inflow_po2_mmHg});
    }
  // The script draws numpy's default_rng(1).uniform(6, 10) per segment in this order; these numbers
  // come from std::mt19937_64(seed) instead and cannot match numpy's PCG64 stream bit for bit (same
  // distribution only). The benchmark reads the script's .dat when it needs the identical network.
  std::mt19937_64 rng(seed);
  std::int64_t id = 1;
  for (const auto& [a, b] : pairs)
    net.add_segment(id++, a, b, 0.5 * uniform(rng, 6e-6, 10e-6), -1.0, SegmentKind::sinusoid);
  // Zone: inlet stub node 0, grid column i at (i + 1) / (nx + 1), outlet stub node 1.
  const auto node_zone = [&](index_t n) { return (net.x[n] / h + 1.0) / (nx + 1.0); };
  for (std::size_t s = 0; s < net.num_segments(); ++s)
    net.zone[s] = 0.5 * (node_zone(net.segment_from[s]) + node_zone(net.segment_to[s]));
  std::vector<char> grid(net.num_segments(), 0);
  std::fill(grid.begin(), grid.begin() + static_cast<std::ptrdiff_t>(grid_segments), 1);
  share_tissue_by_length(net, X * Y * Z * h * h * h - lumen_volume(net, grid), grid);
  return net;
}

Network generate_peer_grid(int n, std::uint64_t seed) {
  if (n < 2 || n > 1000) throw InputError("peer grid: n must be 2..1000 (got " + std::to_string(n) + ")");
  // ../shared/tools/peer_flow_bench.py: radius uniform 3-5 um, length 25 um, faces at 800 / 533 Pa.
  const double h = 25e-6;
  Network net;
  const auto index = [n](int i0, int i1, int i2) { return static_cast<index_t>((i0 * n + i1) * n + i2); };
  for (int i0 = 0; i0 < n; ++i0)
    for (int i1 = 0; i1 < n; ++i1)
      for (int i2 = 0; i2 < n; ++i2) net.add_node(index(i0, i1, i2) + 1, i0 * h, i1 * h, i2 * h);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> radius(3e-6, 5e-6);
  std::int64_t id = 1;
  for (int axis = 0; axis < 3; ++axis)
    for (int i0 = 0; i0 < n; ++i0)
      for (int i1 = 0; i1 < n; ++i1)
        for (int i2 = 0; i2 < n; ++i2) {
          int j[3] = {i0, i1, i2};
          if (++j[axis] >= n) continue;
          const index_t s = net.add_segment(id++, index(i0, i1, i2), index(j[0], j[1], j[2]), radius(rng), h,
                                            SegmentKind::sinusoid);
          net.zone[s] = (i0 + 0.5 * (axis == 0)) / (n - 1);
        }
  for (int i1 = 0; i1 < n; ++i1)
    for (int i2 = 0; i2 < n; ++i2) {
      net.boundaries.push_back({index(0, i1, i2), BoundaryType::pressure, 800.0, inflow_hd, inflow_po2_mmHg});
      net.boundaries.push_back({index(n - 1, i1, i2), BoundaryType::pressure, 533.0, nan, nan});
    }
  const std::vector<char> all(net.num_segments(), 1);
  const double box = static_cast<double>(n) * n * n * h * h * h;
  share_tissue_by_length(net, box - lumen_volume(net, all), all);
  return net;
}

NetworkSize generated_network_size(const GeneratorSpec& spec) {
  const auto bad_size = [&](const std::string& expected) {
    return InputError("network.size for generator \"" + spec.name + "\": expected " + expected + ", got " +
                      list_of(spec.size));
  };
  double nodes = 0, segments = 0;
  if (spec.name == "lobule" || spec.name == "lobule_block") {
    if (!spec.size.empty()) throw bad_size("[] (lobules are sized by preset, rings and layers)");
    if (spec.name == "lobule" && (spec.blocks_x != 1 || spec.blocks_y != 1))
      throw InputError("network.blocks = [" + std::to_string(spec.blocks_x) + ", " + std::to_string(spec.blocks_y) +
                       "] needs generator = \"lobule_block\" (\"lobule\" is one lobule)");
    if (spec.rings == 1 || spec.rings < 0)
      throw InputError("network.rings must be 0 (preset default) or at least 2 (got " + std::to_string(spec.rings) + ")");
    if (spec.layers < 0)
      throw InputError("network.layers must be 0 (preset default) or at least 1 (got " + std::to_string(spec.layers) + ")");
    if (spec.blocks_x < 1 || spec.blocks_y < 1)
      throw InputError("network.blocks must be at least [1, 1] (got [" + std::to_string(spec.blocks_x) + ", " +
                       std::to_string(spec.blocks_y) + "])");
    LobuleParameters p = lobule_preset(spec.preset);
    p.rings = spec.rings;
    p.layers = spec.layers;
    nodes = static_cast<double>(estimate_lobule_block_nodes(p, spec.blocks_x, spec.blocks_y));
    segments = static_cast<double>(estimate_lobule_block_segments(p, spec.blocks_x, spec.blocks_y));
  } else if (spec.name == "ladder") {
    if (spec.size.size() > 1 || (spec.size.size() == 1 && spec.size[0] < 1)) throw bad_size("[rungs] with rungs >= 1");
    const double rungs = spec.size.empty() ? 10 : spec.size[0];
    nodes = 2 * rungs;
    segments = 3 * rungs - 2;
  } else if (spec.name == "tree") {
    if (spec.size.size() > 1 || (spec.size.size() == 1 && (spec.size[0] < 1 || spec.size[0] > 24)))
      throw bad_size("[generations] with 1 <= generations <= 24");
    const int generations = spec.size.empty() ? 6 : spec.size[0];
    nodes = std::ldexp(1.0, generations);
    segments = nodes - 1;
  } else if (spec.name == "grid") {
    if (spec.size.size() == 2 || spec.size.size() > 3) throw bad_size("[nx, ny, nz] or [n], each >= 1");
    for (int v : spec.size)
      if (v < 1) throw bad_size("[nx, ny, nz] or [n], each >= 1");
    double X = 10, Y = 10, Z = 10;  // default: 10^3 nodes
    if (spec.size.size() == 1) X = Y = Z = spec.size[0];
    if (spec.size.size() == 3) X = spec.size[0], Y = spec.size[1], Z = spec.size[2];
    nodes = X * Y * Z + 2 * Y * Z;
    segments = (X - 1) * Y * Z + X * (Y - 1) * Z + X * Y * (Z - 1) + 2 * Y * Z;
  } else {
    throw InputError("network.generator: unknown generator \"" + spec.name +
                     "\" (expected lobule, lobule_block, ladder, tree or grid)");
  }
  const double limit = static_cast<double>(std::numeric_limits<index_t>::max());
  if (nodes >= limit || segments >= limit) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%.3g segments and %.3g nodes", segments, nodes);
    throw InputError("network.generator \"" + spec.name + "\": the requested network would have " + buf +
                     ", more than 32-bit indices hold (2^31 - 1)");
  }
  return {static_cast<std::size_t>(nodes), static_cast<std::size_t>(segments)};
}

Network generate_from_spec(const GeneratorSpec& spec) {
  // Sized (exactly, without building) and refused before anything is allocated when the host cannot
  // hold it (memory_budget.hpp; HEPAFLOW_MEMORY_LIMIT caps the memory assumed free).
  const NetworkSize size = generated_network_size(spec);
  require_memory(estimate_network_memory(size.nodes, size.segments), kernels::cpu::kernel_set());
  if (spec.name == "lobule" || spec.name == "lobule_block") {
    LobuleParameters p = lobule_preset(spec.preset);
    p.rings = spec.rings;
    p.layers = spec.layers;
    p.seed = spec.seed;
    if (spec.name == "lobule") return generate_lobule(p);
    return generate_lobule_block(p, spec.blocks_x, spec.blocks_y);
  }
  if (spec.name == "ladder") {
    // Defaults: radius 4 um (PARAMETERS.md §8, mean human sinusoid), rung/rail length 25 um (§7.1
    // anastomosis spacing), 6 -> 4 mmHg (§7.1 human P_PT, P_CV).
    const int rungs = spec.size.empty() ? 10 : spec.size[0];
    return generate_ladder(rungs, 4e-6, 25e-6, 6 * units::mmHg, 4 * units::mmHg);
  }
  if (spec.name == "tree") {
    // Defaults: root radius 23 um (PARAMETERS.md §7.1 terminal portal venule), root length 10 root
    // radii (assumption), 6 -> 4 mmHg (§7.1 human P_PT, P_CV).
    const int generations = spec.size.empty() ? 6 : spec.size[0];
    return generate_tree(generations, 23e-6, 230e-6, 6 * units::mmHg, 4 * units::mmHg);
  }
  int nx = 10, ny = 10, nz = 10;  // grid (generated_network_size checked the name)
  if (spec.size.size() == 1) nx = ny = nz = spec.size[0];
  if (spec.size.size() == 3) nx = spec.size[0], ny = spec.size[1], nz = spec.size[2];
  return generate_grid(nx, ny, nz, spec.seed);
}

}  // namespace hepaflow::meshes

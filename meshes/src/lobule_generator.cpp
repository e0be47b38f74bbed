// Liver lobule generator: hexagonal prisms (classic lobule, PARAMETERS.md §1 and §7.1) with portal
// tracts along the six corner edges, inlet venules along the faces, the central vein along the axis
// and a 3-D sinusoid lattice between them. The construction is documented at LobuleParameters in
// generators.hpp; this file follows it step by step.
//
// Build order (O(n), one pass per layer):
//  1. lobule_layout(): rings, per-ring node counts m_i, spacing h, layers, layer spacing (O(rings)).
//  2. A layer template for the whole block: node base positions and types, and the in-plane
//     segments. Nodes of ring 0 (the lobule boundary) are shared between neighbouring lobules: their
//     positions are points of an integer lattice (hexagon corners lie on the triangular lattice of
//     side R, edge points on the one of side R / m_0), so equal points are found by exact integer
//     keys, never by floating-point comparison. Shared boundary segments are kept once.
//  3. Layers: the template is replicated at z_l with the seeded jitter of interior nodes, in-plane
//     segments of each layer, vertical segments between consecutive layers.
//  4. Tissue volume and boundary conditions.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow::meshes {

namespace {

constexpr double pi = units::pi;
const double sqrt3 = std::sqrt(3.0);

// ---- layout ------------------------------------------------------------------------------------

struct LobuleLayout {
  int rings = 0;               ///< node rings, ring 0 = lobule boundary, ring rings-1 = CV wall
  int layers = 0;              ///< node layers along the axis
  double h = 0;                ///< in-plane node spacing [m]
  double dz = 0;               ///< layer spacing [m]
  double slab_height = 0;      ///< layers * dz [m]
  std::vector<int> m;          ///< nodes per hexagon sector of ring i (ring i has 6 m_i nodes)
  std::size_t ring_nodes = 0;  ///< S = sum_i 6 m_i: ring nodes of one lobule layer
};

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw InputError("lobule generator: " + what);
}

/// Radius of the circle with the hexagon's area: R sqrt(3 sqrt(3) / (2 pi)) = 0.9094 R.
double equal_area_radius(double R) { return R * std::sqrt(3.0 * sqrt3 / (2.0 * pi)); }

LobuleLayout lobule_layout(const LobuleParameters& p) {
  const auto finite_positive = [](double v) { return std::isfinite(v) && v > 0; };
  require(finite_positive(p.circumradius), "circumradius must be positive (got " + number(p.circumradius) + " m)");
  require(finite_positive(p.central_vein_radius),
          "central_vein_radius must be positive (got " + number(p.central_vein_radius) + " m)");
  require(finite_positive(p.portal_venule_radius),
          "portal_venule_radius must be positive (got " + number(p.portal_venule_radius) + " m)");
  require(std::isfinite(p.inlet_venule_radius) && p.inlet_venule_radius >= 0,
          "inlet_venule_radius must be >= 0 (got " + number(p.inlet_venule_radius) + " m)");
  require(finite_positive(p.sinusoid_radius_periportal) && finite_positive(p.sinusoid_radius_pericentral),
          "sinusoid radii must be positive");
  require(std::isfinite(p.portal_pressure) && std::isfinite(p.central_pressure), "pressures must be finite");
  require(std::isfinite(p.inflow_haematocrit) && p.inflow_haematocrit >= 0 && p.inflow_haematocrit < 1,
          "inflow_haematocrit must be in [0, 1) (got " + number(p.inflow_haematocrit) + ")");
  require(std::isfinite(p.inflow_po2_mmHg) && p.inflow_po2_mmHg >= 0, "inflow_po2_mmHg must be >= 0");
  require(std::isfinite(p.jitter) && p.jitter >= 0 && p.jitter <= 0.9,
          "jitter must be in [0, 0.9] (got " + number(p.jitter) + ")");
  const double R = p.circumradius, r_cv = p.central_vein_radius;
  const double radial_extent = equal_area_radius(R) - r_cv;
  require(radial_extent > 0, "central_vein_radius (" + number(r_cv) +
                                 " m) must be smaller than 0.91 x circumradius (" + number(R) + " m)");
  require(p.rings == 0 || (p.rings >= 2 && p.rings <= 100000),
          "rings must be 0 (derived from node_spacing) or 2..100000 (got " + std::to_string(p.rings) + ")");
  require(p.layers >= 0 && p.layers <= 10000000,
          "layers must be 0 (derived from height) or 1..1e7 (got " + std::to_string(p.layers) + ")");

  LobuleLayout s;
  if (p.rings > 0) {
    s.rings = p.rings;
  } else {
    require(finite_positive(p.node_spacing), "node_spacing must be positive (got " + number(p.node_spacing) + " m)");
    const double intervals = std::round(radial_extent / p.node_spacing);
    require(intervals < 100000, "node_spacing " + number(p.node_spacing) + " m gives more than 1e5 rings");
    s.rings = std::max(1, static_cast<int>(intervals)) + 1;
  }
  s.h = radial_extent / (s.rings - 1);
  if (p.layers > 0) {
    s.layers = p.layers;
    s.dz = s.h;
  } else {
    require(finite_positive(p.height), "height must be positive (got " + number(p.height) + " m)");
    const double layers = std::round(p.height / s.h);
    require(layers < 1e7, "height / spacing gives more than 1e7 layers");
    s.layers = std::max(1, static_cast<int>(layers));
    s.dz = p.height / s.layers;
  }
  s.slab_height = s.layers * s.dz;
  // Ring perimeters: ring i lies a fraction zeta_i of the way from the hexagon (perimeter 6 R) to
  // the CV wall (2 pi r_cv) along every ray; its perimeter is taken as the same blend.
  s.m.resize(s.rings);
  s.m[0] = std::max(1, static_cast<int>(std::lround(R / s.h)));
  for (int i = 1; i < s.rings; ++i) {
    const double zeta = static_cast<double>(i) / (s.rings - 1);
    const double perimeter = (1 - zeta) * 6 * R + zeta * 2 * pi * r_cv;
    const int m = std::max(1, static_cast<int>(std::lround(perimeter / (6 * s.h))));
    s.m[i] = std::min(m, s.m[i - 1]);  // never more nodes than the ring outside: every node is reached
  }
  for (int m : s.m) s.ring_nodes += 6 * static_cast<std::size_t>(m);
  return s;
}

// ---- block of lobules --------------------------------------------------------------------------

/// Counts of the hexagon patch bx x by (flat-top hexagons, odd columns shifted up by half a row).
struct PatchCounts {
  std::size_t faces = 0, edges = 0, vertices = 0;
};

PatchCounts patch_counts(int bx, int by) {
  PatchCounts c;
  const std::size_t X = static_cast<std::size_t>(bx), Y = static_cast<std::size_t>(by);
  c.faces = X * Y;
  // Neighbour pairs: within a column (X (Y - 1)) and between adjacent columns (2 Y - 1 per pair).
  const std::size_t adjacent = X * (Y - 1) + (X - 1) * (2 * Y - 1);
  c.edges = 6 * c.faces - adjacent;
  c.vertices = c.edges - c.faces + 1;  // Euler, V - E + F = 1 for a simply connected patch
  return c;
}

struct BlockCounts {
  std::size_t nodes_per_layer = 0, segments_per_layer = 0, nodes = 0, segments = 0;
};

BlockCounts block_counts(const LobuleLayout& s, int bx, int by) {
  const PatchCounts c = patch_counts(bx, by);
  const std::size_t S = s.ring_nodes, n0 = 6 * static_cast<std::size_t>(s.m[0]);
  const std::size_t m0 = static_cast<std::size_t>(s.m[0]);
  BlockCounts b;
  // Own nodes of each lobule: rings 1.. and the axis node; shared: ring 0 (corners + edge points).
  b.nodes_per_layer = c.faces * (S - n0 + 1) + c.vertices + c.edges * (m0 - 1);
  // Own segments: circumferential rings 1.. (S - n0), radial (S - n_last), CV connectors (n_last);
  // shared: ring 0 circumferential, m0 per hexagon edge.
  b.segments_per_layer = c.faces * (2 * S - n0) + c.edges * m0;
  const std::size_t L = static_cast<std::size_t>(s.layers);
  b.nodes = L * b.nodes_per_layer;
  b.segments = L * b.segments_per_layer + (L - 1) * b.nodes_per_layer;
  return b;
}

void check_blocks(int bx, int by) {
  require(bx >= 1 && by >= 1 && bx <= 100000 && by <= 100000,
          "blocks must be at least 1 x 1 (got " + std::to_string(bx) + " x " + std::to_string(by) + ")");
}

void check_index_range(const BlockCounts& b) {
  const std::size_t limit = static_cast<std::size_t>(std::numeric_limits<index_t>::max());
  require(b.segments < limit && b.nodes < limit,
          "the requested block would have " + std::to_string(b.segments) + " segments and " +
              std::to_string(b.nodes) + " nodes, more than 32-bit indices hold (2^31 - 1)");
}

// Node types of the layer template.
enum NodeType : std::uint8_t { corner = 0, face = 1, interior = 2, wall = 3, axis = 4 };
// In-plane segment types of the layer template.
// radial_sinusoid: the quasi-radial channels (ring i -> ring i+1), which supply the tissue;
// sinusoid_segment: the circumferential anastomoses (and ring 0 without inlet venules).
enum InPlaneType : std::uint8_t { sinusoid_segment = 0, inlet_venule = 1, cv_connector = 2, radial_sinusoid = 3 };

struct LayerTemplate {
  std::vector<double> x, y;              ///< base position (no jitter) [m]
  std::vector<std::uint8_t> type;        ///< NodeType
  std::vector<index_t> lobule;           ///< lobule of the node (first owner for shared nodes)
  std::vector<double> centre_x, centre_y;  ///< per lobule
  std::vector<index_t> from, to;         ///< in-plane segments
  std::vector<std::uint8_t> segment_type;  ///< InPlaneType
};

/// Unit lattice directions of the hexagon corners (k * 60°) in the basis e1 = (1, 0),
/// e2 = (1/2, sqrt(3)/2).
constexpr int corner_dir[6][2] = {{1, 0}, {0, 1}, {-1, 1}, {-1, 0}, {0, -1}, {1, -1}};

std::uint64_t lattice_key(std::int64_t a, std::int64_t b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
         static_cast<std::uint64_t>(static_cast<std::uint32_t>(b));
}

std::uint64_t pair_key(index_t a, index_t b) {
  const auto lo = static_cast<std::uint64_t>(std::min(a, b)), hi = static_cast<std::uint64_t>(std::max(a, b));
  return (lo << 32) | hi;
}

LayerTemplate build_template(const LobuleParameters& p, const LobuleLayout& s, int bx, int by,
                             std::size_t nodes_per_layer, std::size_t segments_per_layer) {
  const double R = p.circumradius, r_cv = p.central_vein_radius;
  const int N = s.rings, m0 = s.m[0];
  LayerTemplate t;
  t.x.reserve(nodes_per_layer);
  t.y.reserve(nodes_per_layer);
  t.type.reserve(nodes_per_layer);
  t.lobule.reserve(nodes_per_layer);
  t.from.reserve(segments_per_layer);
  t.to.reserve(segments_per_layer);
  t.segment_type.reserve(segments_per_layer);
  std::unordered_map<std::uint64_t, index_t> boundary_node;  // lattice point -> template node
  std::unordered_set<std::uint64_t> boundary_segment;        // shared ring-0 segments already added
  const PatchCounts patch = patch_counts(bx, by);
  boundary_node.reserve(patch.vertices + patch.edges * (m0 - 1));
  boundary_segment.reserve(patch.edges * m0);
  const auto add_node = [&](double x, double y, NodeType type, index_t lobule) {
    t.x.push_back(x);
    t.y.push_back(y);
    t.type.push_back(type);
    t.lobule.push_back(lobule);
    return static_cast<index_t>(t.x.size() - 1);
  };
  const auto add_segment = [&](index_t a, index_t b, InPlaneType type) {
    t.from.push_back(a);
    t.to.push_back(b);
    t.segment_type.push_back(type);
  };
  const InPlaneType boundary_type = p.inlet_venule_radius > 0 ? inlet_venule : sinusoid_segment;
  std::vector<std::vector<index_t>> ring(N);
  for (int iy = 0; iy < by; ++iy) {
    for (int ix = 0; ix < bx; ++ix) {
      const auto f = static_cast<index_t>(t.centre_x.size());
      // Lobule centre on the triangular lattice of side R: column ix at x = 1.5 R ix, odd columns
      // shifted by half a row (sqrt(3) R / 2): b = 2 iy + (ix odd), a = (3 ix - (ix odd)) / 2 - iy.
      const std::int64_t odd = ix & 1;
      const std::int64_t cb = 2 * static_cast<std::int64_t>(iy) + odd;
      const std::int64_t ca = (3 * static_cast<std::int64_t>(ix) - odd) / 2 - iy;
      const double cx = R * (ca + 0.5 * cb), cy = R * cb * sqrt3 / 2;
      t.centre_x.push_back(cx);
      t.centre_y.push_back(cy);
      // Ring 0: lattice points of side R / m0, shared with the neighbours.
      ring[0].assign(6 * static_cast<std::size_t>(m0), -1);
      for (int j = 0; j < 6 * m0; ++j) {
        const int k = j / m0, step = j % m0;
        const int* d0 = corner_dir[k];
        const int* d1 = corner_dir[(k + 1) % 6];
        const std::int64_t A = m0 * (ca + d0[0]) + step * (d1[0] - d0[0]);
        const std::int64_t B = m0 * (cb + d0[1]) + step * (d1[1] - d0[1]);
        auto [it, inserted] = boundary_node.emplace(lattice_key(A, B), -1);
        if (inserted) {
          const double unit = R / m0;
          it->second = add_node(unit * (A + 0.5 * B), unit * B * sqrt3 / 2, step == 0 ? corner : face, f);
        }
        ring[0][j] = it->second;
      }
      // Rings 1..N-1 along the rays from the CV wall to the hexagon boundary.
      for (int i = 1; i < N; ++i) {
        const int m = s.m[i];
        const double zeta = static_cast<double>(i) / (N - 1);
        ring[i].resize(6 * static_cast<std::size_t>(m));
        for (int j = 0; j < 6 * m; ++j) {
          const int k = j / m;
          const double u = static_cast<double>(j % m) / m;
          const double a0 = pi / 3 * k, a1 = pi / 3 * (k + 1);
          // Point of the hexagon boundary on this ray, relative to the centre.
          const double hx = R * ((1 - u) * std::cos(a0) + u * std::cos(a1));
          const double hy = R * ((1 - u) * std::sin(a0) + u * std::sin(a1));
          const double rho_hex = std::hypot(hx, hy);
          const double rho = r_cv + (1 - zeta) * (rho_hex - r_cv);
          ring[i][j] = add_node(cx + hx * rho / rho_hex, cy + hy * rho / rho_hex, i == N - 1 ? wall : interior, f);
        }
      }
      const index_t axis_node = add_node(cx, cy, axis, f);
      // In-plane segments: ring 0 along the faces (shared: once), circumferential rings 1..N-1,
      // radial ring i -> ring i+1, CV wall -> axis.
      for (int j = 0; j < 6 * m0; ++j) {
        const index_t a = ring[0][j], b = ring[0][(j + 1) % (6 * m0)];
        if (boundary_segment.insert(pair_key(a, b)).second) add_segment(a, b, boundary_type);
      }
      for (int i = 1; i < N; ++i) {
        const int n = 6 * s.m[i];
        for (int j = 0; j < n; ++j) add_segment(ring[i][j], ring[i][(j + 1) % n], sinusoid_segment);
      }
      for (int i = 0; i + 1 < N; ++i) {
        // Nearest node of the next ring by ray parameter: k = round(j n_next / n) (exact integers).
        const std::int64_t n = 6 * s.m[i], n_next = 6 * s.m[i + 1];
        for (std::int64_t j = 0; j < n; ++j) {
          const std::int64_t k = ((2 * j * n_next + n) / (2 * n)) % n_next;
          add_segment(ring[i][j], ring[i + 1][k], radial_sinusoid);
        }
      }
      for (index_t wall_node : ring[N - 1]) add_segment(wall_node, axis_node, cv_connector);
    }
  }
  return t;
}

// ---- seeded jitter (counter-based: independent of build order) ---------------------------------

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// Uniform in [-0.5, 0.5) from a 64-bit hash (53 bits).
double centred_uniform(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53 - 0.5; }

/// Zonal coordinate of a point (dx, dy) relative to its lobule's axis: 1 - (rho - r_cv) /
/// (R_hex(theta) - r_cv), R_hex(theta) = apothem / cos(phi), phi the angle to the nearest face normal
/// (faces normals at 30° + k 60°). Clamped to [0, 1].
double zeta_of(double dx, double dy, double R, double r_cv) {
  const double rho = std::hypot(dx, dy);
  const double theta = std::atan2(dy, dx);
  const double sector = pi / 3;
  const double phi = theta - pi / 6 - sector * std::round((theta - pi / 6) / sector);
  const double rho_hex = R * std::cos(pi / 6) / std::cos(phi);
  const double zeta = 1.0 - (rho - r_cv) / (rho_hex - r_cv);
  return std::min(1.0, std::max(0.0, zeta));
}

}  // namespace

LobuleParameters lobule_preset(const std::string& name) {
  LobuleParameters p;  // the defaults are the human column
  if (name == "human") {
    p.circumradius = 0.50e-3;                 // §7.1 R: derived from Berndt 2018 (1 mm^3 per lobule)
    p.height = 1.5e-3;                        // §7.1 H: textbooks (range 0.7-2.0 mm)
    p.sinusoid_radius_periportal = 3.5e-6;    // §7.1: diameter 7 um periportal
    p.sinusoid_radius_pericentral = 4.5e-6;   // §7.1: 9 um pericentral (zonal widening, Wisse 1983)
    p.central_vein_radius = 30e-6;            // §7.1: Almenar-Medina 2017 (terminal veins 25-60 um)
    p.portal_venule_radius = 23e-6;           // §7.1: terminal portal venule (PhysiCell liver model)
    p.portal_pressure = 6.0 * units::mmHg;    // §7.1 P_PT: 6.0 mmHg
    p.central_pressure = 4.0 * units::mmHg;   // §7.1 P_CV: 4.0 mmHg
  } else if (name == "rat") {
    p.circumradius = 0.35e-3;                 // §7.1 R: assumption, 20 +- 5 hepatocytes x 17-20 um
    p.height = 1.0e-3;                        // §7.1 H
    p.sinusoid_radius_periportal = 3.0e-6;    // §7.1: diameter 6 um periportal
    p.sinusoid_radius_pericentral = 4.0e-6;   // §7.1: 8 um pericentral
    p.central_vein_radius = 26.5e-6;          // §7.1: PhysiCell liver model
    p.portal_venule_radius = 20e-6;           // §7.1: terminal portal venule
    p.portal_pressure = 5.0 * units::mmHg;    // §7.1 P_PT: rat TPV 68 mmH2O = 5.0 mmHg
    p.central_pressure = 2.06 * units::mmHg;  // §7.1 P_CV: rat THV 28 mmH2O = 2.06 mmHg
  } else {
    throw InputError("unknown lobule preset '" + name + "' (expected \"human\" or \"rat\")");
  }
  // Inlet venules (interlobular plexus along the faces): no measured radius in PARAMETERS.md;
  // half the terminal portal venule radius is an assumption.
  p.inlet_venule_radius = 0.5 * p.portal_venule_radius;
  p.node_spacing = 25e-6;      // §7.1 anastomosis topology: cross-links every 20-40 um (assumption)
  p.inflow_haematocrit = 0.45; // DESIGN.md case-file default inflow Hd
  p.inflow_po2_mmHg = 65.0;    // §7.1 inlet PO2 (mixed portal-triad blood)
  return p;
}

Network generate_lobule(const LobuleParameters& p) { return generate_lobule_block(p, 1, 1); }

std::size_t estimate_lobule_block_segments(const LobuleParameters& p, int bx, int by) {
  check_blocks(bx, by);
  return block_counts(lobule_layout(p), bx, by).segments;
}

std::size_t estimate_lobule_block_nodes(const LobuleParameters& p, int bx, int by) {
  check_blocks(bx, by);
  return block_counts(lobule_layout(p), bx, by).nodes;
}

Network generate_lobule_block(const LobuleParameters& p, int bx, int by) {
  check_blocks(bx, by);
  const LobuleLayout s = lobule_layout(p);
  const BlockCounts counts = block_counts(s, bx, by);
  check_index_range(counts);
  const LayerTemplate t = build_template(p, s, bx, by, counts.nodes_per_layer, counts.segments_per_layer);
  const std::size_t T = t.x.size(), E = t.from.size();
  if (T != counts.nodes_per_layer || E != counts.segments_per_layer)
    throw Error(ExitCode::runtime_error, "lobule generator: layer template does not match its counts (bug)");

  const double R = p.circumradius, r_cv = p.central_vein_radius;
  const double r_pp = p.sinusoid_radius_periportal, r_pc = p.sinusoid_radius_pericentral;
  const double jitter_amplitude = p.jitter * s.h;  // each coordinate in +-jitter h / 2
  const auto sinusoid_radius = [&](double zone) { return r_pp + (r_pc - r_pp) * zone; };

  Network net;
  std::vector<std::uint8_t> radial;  // per segment: a quasi-radial sinusoid (supplies tissue)
  radial.reserve(counts.segments);
  net.node_id.reserve(counts.nodes);
  net.x.reserve(counts.nodes);
  net.y.reserve(counts.nodes);
  net.z.reserve(counts.nodes);
  for (auto* v : {&net.radius, &net.length, &net.zone, &net.tissue_volume}) v->reserve(counts.segments);
  net.segment_id.reserve(counts.segments);
  net.segment_from.reserve(counts.segments);
  net.segment_to.reserve(counts.segments);
  net.kind.reserve(counts.segments);

  // Segments are written directly (ids, Euclidean lengths) rather than through add_segment, to
  // keep 1e7-segment blocks at a few seconds.
  const auto push_segment = [&](index_t a, index_t b, double radius, SegmentKind kind, double zone) {
    net.segment_id.push_back(static_cast<std::int64_t>(net.segment_id.size()) + 1);
    net.segment_from.push_back(a);
    net.segment_to.push_back(b);
    net.radius.push_back(radius);
    const double dx = net.x[a] - net.x[b], dy = net.y[a] - net.y[b], dz = net.z[a] - net.z[b];
    net.length.push_back(std::sqrt(dx * dx + dy * dy + dz * dz));
    net.kind.push_back(kind);
    net.zone.push_back(zone);
    net.tissue_volume.push_back(0.0);
    radial.push_back(0);
  };

  std::vector<double> zeta_below(T), zeta_here(T);
  const std::uint64_t seed_hash = splitmix64(p.seed ^ 0x6C6F62756C65ULL);  // "lobule"
  for (int l = 0; l < s.layers; ++l) {
    const double z_layer = (l + 0.5) * s.dz;
    const std::size_t base = static_cast<std::size_t>(l) * T;
    for (std::size_t n = 0; n < T; ++n) {
      double x = t.x[n], y = t.y[n], z = z_layer, zeta;
      switch (t.type[n]) {
        case interior: {
          const std::uint64_t key = splitmix64(seed_hash ^ splitmix64(base + n));
          x += jitter_amplitude * centred_uniform(splitmix64(key + 1));
          y += jitter_amplitude * centred_uniform(splitmix64(key + 2));
          z += jitter_amplitude * centred_uniform(splitmix64(key + 3));
          zeta = zeta_of(x - t.centre_x[t.lobule[n]], y - t.centre_y[t.lobule[n]], R, r_cv);
          break;
        }
        case corner:
        case face: zeta = 0.0; break;
        default: zeta = 1.0; break;  // CV wall and axis
      }
      zeta_here[n] = zeta;
      net.node_id.push_back(static_cast<std::int64_t>(base + n) + 1);
      net.x.push_back(x);
      net.y.push_back(y);
      net.z.push_back(z);
    }
    for (std::size_t e = 0; e < E; ++e) {
      const index_t a = t.from[e], b = t.to[e];
      const index_t ga = static_cast<index_t>(base + a), gb = static_cast<index_t>(base + b);
      const double zone = 0.5 * (zeta_here[a] + zeta_here[b]);
      switch (t.segment_type[e]) {
        case sinusoid_segment: push_segment(ga, gb, sinusoid_radius(zone), SegmentKind::sinusoid, zone); break;
        case radial_sinusoid:
          push_segment(ga, gb, sinusoid_radius(zone), SegmentKind::sinusoid, zone);
          radial.back() = 1;
          break;
        case inlet_venule: push_segment(ga, gb, p.inlet_venule_radius, SegmentKind::portal_venule, 0.0); break;
        default: push_segment(ga, gb, r_cv, SegmentKind::central_vein, 1.0); break;
      }
    }
    if (l > 0) {
      const std::size_t below = base - T;
      for (std::size_t n = 0; n < T; ++n) {
        const index_t ga = static_cast<index_t>(below + n), gb = static_cast<index_t>(base + n);
        switch (t.type[n]) {
          case corner: push_segment(ga, gb, p.portal_venule_radius, SegmentKind::portal_venule, 0.0); break;
          case axis: push_segment(ga, gb, r_cv, SegmentKind::central_vein, 1.0); break;
          default: {
            const double zone = 0.5 * (zeta_below[n] + zeta_here[n]);
            push_segment(ga, gb, sinusoid_radius(zone), SegmentKind::sinusoid, zone);
          }
        }
      }
    }
    std::swap(zeta_below, zeta_here);
  }

  // Tissue volume (see LobuleParameters): per lobule of the tiling, prism minus vessel lumens;
  // shared among the quasi-radial sinusoids by length (the anastomoses get none).
  const double faces = static_cast<double>(bx) * by;
  const double hexagon_area = 1.5 * sqrt3 * R * R;  // (3 sqrt(3) / 2) R^2
  double tissue = faces * (hexagon_area - pi * r_cv * r_cv - 2 * pi * p.portal_venule_radius * p.portal_venule_radius) *
                  s.slab_height;
  tissue -= faces * s.layers * 3 * R * pi * p.inlet_venule_radius * p.inlet_venule_radius;
  double radial_length = 0;
  for (std::size_t e = 0; e < net.num_segments(); ++e) {
    if (net.kind[e] != SegmentKind::sinusoid) continue;
    tissue -= pi * net.radius[e] * net.radius[e] * net.length[e];
    if (radial[e]) radial_length += net.length[e];
  }
  require(tissue > 0 && radial_length > 0,
          "the vessels fill the lobule (node spacing " + number(s.h) + " m too small for the radii)");
  const double tissue_per_length = tissue / radial_length;
  for (std::size_t e = 0; e < net.num_segments(); ++e)
    if (radial[e]) net.tissue_volume[e] = tissue_per_length * net.length[e];

  // Boundary conditions at the portal venules (corner nodes) and the central vein (axis nodes).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int l = 0; l < s.layers; ++l) {
    if (p.pressure_at_vessel_ends_only && l != 0 && l != s.layers - 1) continue;
    const std::size_t base = static_cast<std::size_t>(l) * T;
    for (std::size_t n = 0; n < T; ++n) {
      if (t.type[n] == corner)
        net.boundaries.push_back({static_cast<index_t>(base + n), BoundaryType::pressure, p.portal_pressure,
                                  p.inflow_haematocrit, p.inflow_po2_mmHg});
      else if (t.type[n] == axis)
        net.boundaries.push_back({static_cast<index_t>(base + n), BoundaryType::pressure, p.central_pressure, nan, nan});
    }
  }
  return net;
}

}  // namespace hepaflow::meshes

// Liver lobule generator: a hexagonal prism (classic lobule; PARAMETERS.md §1, §7.1) with portal
// tracts along the six corner edges and the central vein along the axis.
//
// Construction (one node layer every node_spacing along the axis):
// - ring 0 is the central vein (one node per layer on the axis); rings 1..N are similar hexagons of
//   circumradius R_i = r_cv + (R - r_cv) i / N, with nodes every ~node_spacing along their faces
//   (m_i = round(R_i / spacing) per face, so ring N's corners are the portal tracts);
// - sinusoids: each ring node joins the nearest node of the next inner ring (quasi-radial channels
//   converging on the central vein), its neighbours on its ring (circumferential anastomoses) and the
//   same node one layer up (axial anastomoses): anastomoses in all directions every ~20-40 um
//   (PARAMETERS.md §7.1 "quasi-radial channels with lateral cross-links every ~1-2 hepatocyte
//   lengths", an assumption there);
// - ring N (the lobule boundary): segments along the faces are inlet venules (kind portal_venule,
//   radius inlet_venule_radius), carrying portal blood from the corner tracts along the septa; the
//   corner edges are terminal portal venules, the axis the central vein;
// - zone zeta = 1 - i/N (0 at the portal boundary, 1 at the central vein); sinusoid radius linear in
//   zeta from periportal to pericentral (zonal widening, Wisse et al. 1983);
// - boundary conditions: every portal-tract (corner) node at portal_pressure, every central-vein node
//   at central_pressure. The tracts and the vein are held at their pressures along their length
//   (as the porous-lobule models do at the lobule boundary, Bonfiglio et al. 2010): their own
//   resistance is not modelled, so corner and axis segments carry no flow;
// - layers = 0 builds the full height H; layers = n > 0 a slab of n node layers (height (n-1) spacing);
// - tissue volume: the prism volume (3 sqrt(3)/2) R^2 H shared among the sinusoids in proportion to
//   their length;
// - interior ring nodes are jittered in-plane by +-jitter/2 * spacing (seeded, std::mt19937_64).
#include <cmath>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow::meshes {

namespace {

constexpr double pi = units::pi;

struct LobuleShape {
  int rings = 0, layers = 0;
  double height = 0;          ///< prism height actually built [m]
  std::vector<int> per_face;  ///< m_i, i = 1..rings (index 0 unused)
  std::size_t ring_nodes = 0; ///< sum of 6 m_i
};

LobuleShape lobule_shape(const LobuleParameters& p) {
  if (!(p.circumradius > p.central_vein_radius) || !(p.node_spacing > 0) || !(p.height >= 0))
    throw InputError("lobule: circumradius must exceed the central vein radius, spacing must be positive");
  LobuleShape s;
  const double apothem = p.circumradius * std::cos(pi / 6);
  s.rings = p.rings > 0 ? p.rings : std::max(2, static_cast<int>(std::lround((apothem - p.central_vein_radius) / p.node_spacing)));
  // layers > 0 builds a slab of that many node layers, node_spacing apart; else the full height.
  s.layers = p.layers > 0 ? p.layers : std::max(2, static_cast<int>(std::lround(p.height / p.node_spacing)) + 1);
  if (s.rings < 2 || s.layers < 2) throw InputError("lobule: rings and layers must be at least 2");
  s.height = p.layers > 0 ? (p.layers - 1) * p.node_spacing : p.height;
  s.per_face.assign(s.rings + 1, 0);
  for (int i = 1; i <= s.rings; ++i) {
    const double ring_radius = p.central_vein_radius + (p.circumradius - p.central_vein_radius) * i / s.rings;
    s.per_face[i] = std::max(1, static_cast<int>(std::lround(ring_radius / p.node_spacing)));
    s.ring_nodes += 6 * static_cast<std::size_t>(s.per_face[i]);
  }
  return s;
}

std::size_t lobule_segments(const LobuleShape& s) {
  // per layer: one inward link and one circumferential link per ring node; per layer gap: one axial
  // link per node (ring nodes + the central vein node).
  return static_cast<std::size_t>(s.layers) * 2 * s.ring_nodes + static_cast<std::size_t>(s.layers - 1) * (s.ring_nodes + 1);
}

/// Lobule centres of a bx x by block of flat-topped hexagons (corners at 0, 60, ... degrees).
std::vector<std::pair<double, double>> lobule_centres(double R, int bx, int by) {
  std::vector<std::pair<double, double>> c;
  for (int i = 0; i < bx; ++i)
    for (int j = 0; j < by; ++j) c.emplace_back(1.5 * R * i, std::sqrt(3.0) * R * (j + 0.5 * (i % 2)));
  return c;
}

std::size_t shared_faces(double R, int bx, int by) {
  const auto c = lobule_centres(R, bx, by);
  std::size_t n = 0;
  for (std::size_t a = 0; a < c.size(); ++a)
    for (std::size_t b = a + 1; b < c.size(); ++b)
      if (std::abs(std::hypot(c[a].first - c[b].first, c[a].second - c[b].second) - std::sqrt(3.0) * R) < 1e-6 * R) ++n;
  return n;
}

/// Builds a network from lobules, merging nodes at identical positions (1 nm grid) and skipping
/// segments that join an already joined node pair (shared faces of neighbouring lobules).
class MergingBuilder {
 public:
  explicit MergingBuilder(Network& net) : net_(net) {}
  index_t node(double x, double y, double z, bool mergeable) {
    if (!mergeable) return net_.add_node(static_cast<std::int64_t>(net_.num_nodes()) + 1, x, y, z);
    const Key key{std::llround(x * 1e9), std::llround(y * 1e9), std::llround(z * 1e9)};
    auto it = nodes_.find(key);
    if (it != nodes_.end()) return it->second;
    const index_t id = net_.add_node(static_cast<std::int64_t>(net_.num_nodes()) + 1, x, y, z);
    nodes_.emplace(key, id);
    return id;
  }
  /// Returns -1 when the pair is already joined.
  index_t segment(index_t a, index_t b, double radius, SegmentKind kind, double zone) {
    const auto lo = static_cast<std::uint64_t>(std::min(a, b)), hi = static_cast<std::uint64_t>(std::max(a, b));
    if (!pairs_.insert((lo << 32) | hi).second) return -1;
    const index_t s = net_.add_segment(static_cast<std::int64_t>(net_.num_segments()) + 1, a, b, radius, -1.0, kind);
    net_.zone[s] = zone;
    return s;
  }
  void pressure_boundary(index_t node, double value, double hd, double po2) {
    if (!bc_nodes_.insert(node).second) return;
    net_.boundaries.push_back({node, BoundaryType::pressure, value, hd, po2});
  }

 private:
  struct Key {
    long long x, y, z;
    bool operator==(const Key& o) const { return x == o.x && y == o.y && z == o.z; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<long long>()(k.x * 73856093LL ^ k.y * 19349663LL ^ k.z * 83492791LL);
    }
  };
  Network& net_;
  std::unordered_map<Key, index_t, KeyHash> nodes_;
  std::unordered_set<std::uint64_t> pairs_;
  std::unordered_set<index_t> bc_nodes_;
};

void add_lobule(MergingBuilder& b, Network& net, const LobuleParameters& p, const LobuleShape& s, double cx, double cy,
                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.5 * p.jitter * p.node_spacing, 0.5 * p.jitter * p.node_spacing);
  const int N = s.rings;
  const std::size_t first_segment = net.num_segments();
  // node index per layer: [ring][j], ring 0 = central vein
  std::vector<std::vector<std::vector<index_t>>> layer_nodes(s.layers);
  const auto ring_radius = [&](int i) {
    return p.central_vein_radius + (p.circumradius - p.central_vein_radius) * i / N;
  };
  for (int l = 0; l < s.layers; ++l) {
    const double z = s.height * l / (s.layers - 1);
    auto& rings = layer_nodes[l];
    rings.resize(N + 1);
    const index_t cv = b.node(cx, cy, z, false);
    rings[0] = {cv};
    b.pressure_boundary(cv, p.central_pressure, p.inflow_haematocrit, p.inflow_po2_mmHg);
    for (int i = 1; i <= N; ++i) {
      const int m = s.per_face[i];
      const double Ri = ring_radius(i);
      for (int j = 0; j < 6 * m; ++j) {
        const int f = j / m;
        const double t = static_cast<double>(j % m) / m;
        const double ax = Ri * std::cos(pi / 3 * f), ay = Ri * std::sin(pi / 3 * f);
        const double bx = Ri * std::cos(pi / 3 * (f + 1)), by = Ri * std::sin(pi / 3 * (f + 1));
        double x = ax + t * (bx - ax), y = ay + t * (by - ay);
        const bool boundary = i == N;
        if (!boundary) x += jitter(rng), y += jitter(rng);
        const index_t node = b.node(cx + x, cy + y, z, boundary);
        rings[i].push_back(node);
        if (boundary && j % m == 0) b.pressure_boundary(node, p.portal_pressure, p.inflow_haematocrit, p.inflow_po2_mmHg);
      }
    }
  }
  const auto sinusoid_radius = [&](double zone) {
    return p.sinusoid_radius_periportal + (p.sinusoid_radius_pericentral - p.sinusoid_radius_periportal) * zone;
  };
  const auto zone_of_ring = [&](int i) { return 1.0 - static_cast<double>(i) / N; };
  for (int l = 0; l < s.layers; ++l) {
    const auto& rings = layer_nodes[l];
    for (int i = 1; i <= N; ++i) {
      const int m = s.per_face[i], n = 6 * m;
      for (int j = 0; j < n; ++j) {
        // circumferential
        const double zone_i = zone_of_ring(i);
        if (i == N)
          b.segment(rings[i][j], rings[i][(j + 1) % n], p.inlet_venule_radius, SegmentKind::portal_venule, 0.0);
        else
          b.segment(rings[i][j], rings[i][(j + 1) % n], sinusoid_radius(zone_i), SegmentKind::sinusoid, zone_i);
        // inward (quasi-radial) to the nearest node of ring i-1, or the central vein
        index_t inner;
        if (i == 1) {
          inner = rings[0][0];
        } else {
          const int mi = s.per_face[i - 1];
          const int f = j / m;
          const double t = static_cast<double>(j % m) / m;
          inner = rings[i - 1][(f * mi + static_cast<int>(std::lround(t * mi))) % (6 * mi)];
        }
        const double zone = 0.5 * (zone_i + zone_of_ring(i - 1));
        b.segment(rings[i][j], inner, sinusoid_radius(zone), SegmentKind::sinusoid, zone);
      }
    }
    if (l + 1 < s.layers) {
      const auto& up = layer_nodes[l + 1];
      b.segment(rings[0][0], up[0][0], p.central_vein_radius, SegmentKind::central_vein, 1.0);
      for (int i = 1; i <= N; ++i) {
        const int m = s.per_face[i];
        for (std::size_t j = 0; j < rings[i].size(); ++j) {
          if (i == N && j % m == 0)
            b.segment(rings[i][j], up[i][j], p.portal_venule_radius, SegmentKind::portal_venule, 0.0);
          else
            b.segment(rings[i][j], up[i][j], sinusoid_radius(zone_of_ring(i)), SegmentKind::sinusoid, zone_of_ring(i));
        }
      }
    }
  }
  // Tissue volume of this lobule's prism shared among its sinusoids by length.
  double sinusoid_length = 0;
  for (std::size_t e = first_segment; e < net.num_segments(); ++e)
    if (net.kind[e] == SegmentKind::sinusoid) sinusoid_length += net.length[e];
  const double volume = 1.5 * std::sqrt(3.0) * p.circumradius * p.circumradius * s.height;
  for (std::size_t e = first_segment; e < net.num_segments(); ++e)
    if (net.kind[e] == SegmentKind::sinusoid) net.tissue_volume[e] = volume * net.length[e] / sinusoid_length;
}

}  // namespace

LobuleParameters lobule_preset(const std::string& name) {
  LobuleParameters p{};
  if (name == "human") {
    p.circumradius = 0.50e-3;                 // §7.1: derived from Berndt 2018 (1 mm^3 per lobule)
    p.height = 1.5e-3;                        // §7.1: textbooks (0.7-2.0 mm)
    p.sinusoid_radius_periportal = 3.5e-6;    // §7.1: diameter 7 um periportal
    p.sinusoid_radius_pericentral = 4.5e-6;   // §7.1: 9 um pericentral (Wisse 1983 zonal widening)
    p.central_vein_radius = 30e-6;            // §7.1: Almenar-Medina 2017
    p.portal_venule_radius = 23e-6;           // §7.1: terminal portal venule (PhysiCell model)
    p.portal_pressure = 6.0 * units::mmHg;    // §7.1: P_PT 6 mmHg
    p.central_pressure = 4.0 * units::mmHg;   // §7.1: P_CV 4 mmHg
  } else if (name == "rat") {
    p.circumradius = 0.35e-3;                 // §7.1: assumption, 20 +- 5 hepatocytes
    p.height = 1.0e-3;                        // §7.1
    p.sinusoid_radius_periportal = 3.0e-6;    // §7.1: 6 -> 8 um
    p.sinusoid_radius_pericentral = 4.0e-6;
    p.central_vein_radius = 26.5e-6;          // §7.1: PhysiCell liver model
    p.portal_venule_radius = 20e-6;           // §7.1
    p.portal_pressure = 5.0 * units::mmHg;    // §7.1: rat TPV 68 mmH2O
    p.central_pressure = 2.06 * units::mmHg;  // §7.1: rat THV 28 mmH2O
  } else {
    throw InputError("unknown lobule preset '" + name + "' (expected human or rat)");
  }
  // Inlet venules along the septa: between the terminal portal venule and the sinusoids; half the
  // terminal portal venule radius is an assumption (no measured value in PARAMETERS.md).
  p.inlet_venule_radius = 0.5 * p.portal_venule_radius;
  p.node_spacing = 25e-6;  // §7.1: cross-links every ~1-2 hepatocyte lengths (20-40 um)
  return p;
}

Network generate_lobule(const LobuleParameters& p) { return generate_lobule_block(p, 1, 1); }

Network generate_lobule_block(const LobuleParameters& p, int blocks_x, int blocks_y) {
  if (blocks_x < 1 || blocks_y < 1) throw InputError("lobule_block: blocks must be at least 1 x 1");
  const LobuleShape s = lobule_shape(p);
  Network net;
  const std::size_t expected = estimate_lobule_block_segments(p, blocks_x, blocks_y);
  net.segment_id.reserve(expected);
  MergingBuilder builder(net);
  std::uint64_t seed = p.seed;
  for (const auto& [cx, cy] : lobule_centres(p.circumradius, blocks_x, blocks_y))
    add_lobule(builder, net, p, s, cx, cy, seed++ * 0x9E3779B97F4A7C15ULL + 1);
  net.fill_defaults();
  return net;
}

std::size_t estimate_lobule_block_segments(const LobuleParameters& p, int blocks_x, int blocks_y) {
  const LobuleShape s = lobule_shape(p);
  const std::size_t m = static_cast<std::size_t>(s.per_face[s.rings]);
  const std::size_t shared_per_face = s.layers * m + (s.layers - 1) * (m + 1);
  return static_cast<std::size_t>(blocks_x) * blocks_y * lobule_segments(s) -
         shared_faces(p.circumradius, blocks_x, blocks_y) * shared_per_face;
}

}  // namespace hepaflow::meshes

// Network generators: structure, determinism, zonation, sharing of portal tracts, sizes, and the
// mapping of the case file's generator spec (generators.hpp; PARAMETERS.md §7.1).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <utility>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

using meshes::LobuleParameters;

/// The human preset as a thin slab: 4 node layers, full cross-section.
LobuleParameters human_slab(int layers = 4) {
  LobuleParameters p = meshes::lobule_preset("human");
  p.layers = layers;
  return p;
}

std::string first_error(const ValidationReport& r) { return r.errors.empty() ? "" : r.errors.front(); }

/// No segment joins a node to itself, none joins the same pair twice.
void expect_simple_graph(const Network& net) {
  std::set<std::pair<index_t, index_t>> pairs;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    ASSERT_NE(a, b) << "self loop at segment " << net.segment_id[s];
    ASSERT_TRUE(pairs.insert({std::min(a, b), std::max(a, b)}).second) << "duplicate segment " << net.segment_id[s];
  }
}

void expect_positive_geometry(const Network& net) {
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    ASSERT_GT(net.radius[s], 0.0) << s;
    ASSERT_GT(net.length[s], 0.0) << s;
    ASSERT_GE(net.tissue_volume[s], 0.0) << s;
    ASSERT_GE(net.zone[s], 0.0) << s;
    ASSERT_LE(net.zone[s], 1.0) << s;
  }
}

// ---- lobule ------------------------------------------------------------------------------------

TEST(LobuleGenerator, HumanSlabHasTheDerivedRingLayoutAndCounts) {
  const LobuleParameters p = human_slab();
  const Network net = meshes::generate_lobule(p);
  // R = 500 um, r_cv = 30 um: R_eq = 454.7 um, (R_eq - r_cv) / 25 um = 16.99 -> 17 intervals, 18 rings,
  // h = 24.98 um; ring 0 has m0 = round(500 / 24.98) = 20 points per face -> 120 boundary nodes.
  std::size_t boundary_ring = 0;
  for (std::size_t n = 0; n < net.num_nodes(); ++n)
    if (net.z[n] == net.z[0] && std::abs(std::hypot(net.x[n], net.y[n]) - 0.5e-3) < 1e-12) ++boundary_ring;
  EXPECT_EQ(boundary_ring, 6u);  // only the corners lie at the circumradius
  EXPECT_EQ(net.num_nodes(), meshes::estimate_lobule_block_nodes(p, 1, 1));
  EXPECT_EQ(net.num_segments(), meshes::estimate_lobule_block_segments(p, 1, 1));
  // Per layer: S ring nodes + 1 axis node; 2 S in-plane segments; S + 1 vertical segments per gap.
  const std::size_t per_layer = net.num_nodes() / 4;
  EXPECT_EQ(net.num_nodes(), 4 * per_layer);
  const std::size_t S = per_layer - 1;
  EXPECT_EQ(net.num_segments(), 4 * 2 * S + 3 * (S + 1));
  EXPECT_GT(S, 1000u);  // ~ hexagon area / h^2 = 0.65 mm^2 / 625 um^2 = 1040
  EXPECT_LT(S, 1300u);
  expect_simple_graph(net);
  expect_positive_geometry(net);
  EXPECT_TRUE(validate(net).ok()) << first_error(validate(net));
}

TEST(LobuleGenerator, EveryNodeReachesPortalAndCentralBoundaries) {
  for (bool ends_only : {false, true}) {
    LobuleParameters p = human_slab();
    p.pressure_at_vessel_ends_only = ends_only;
    const Network net = meshes::generate_lobule(p);
    index_t components = 0;
    const auto component = connected_components(net, &components);
    EXPECT_EQ(components, 1);
    int portal = 0, central = 0;
    for (const auto& bc : net.boundaries) {
      ASSERT_EQ(bc.type, BoundaryType::pressure);
      EXPECT_EQ(component[bc.node], 0);
      if (bc.value == 6 * units::mmHg) {
        ++portal;
        EXPECT_DOUBLE_EQ(bc.haematocrit, 0.45);
        EXPECT_DOUBLE_EQ(bc.po2_mmHg, 65.0);
        EXPECT_NEAR(std::hypot(net.x[bc.node], net.y[bc.node]), 0.5e-3, 1e-12);  // a corner
      } else if (bc.value == 4 * units::mmHg) {
        ++central;
        EXPECT_NEAR(std::hypot(net.x[bc.node], net.y[bc.node]), 0.0, 1e-15);  // the axis
      }
    }
    // Six portal venules and one central vein, at every layer (default) or their two ends.
    EXPECT_EQ(portal, ends_only ? 6 * 2 : 6 * 4);
    EXPECT_EQ(central, ends_only ? 2 : 4);
    EXPECT_EQ(net.boundaries.size(), static_cast<std::size_t>(portal + central));
    EXPECT_TRUE(validate(net).ok()) << first_error(validate(net));
  }
}

TEST(LobuleGenerator, ZoneRunsFromPortalToCentral) {
  const LobuleParameters p = human_slab();
  const Network net = meshes::generate_lobule(p);
  const double apothem = 0.5e-3 * std::cos(units::pi / 6);
  int near_portal = 0, near_central = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    const double rho = 0.5 * (std::hypot(net.x[a], net.y[a]) + std::hypot(net.x[b], net.y[b]));
    if (net.kind[s] == SegmentKind::portal_venule) {
      EXPECT_EQ(net.zone[s], 0.0);
    } else if (net.kind[s] == SegmentKind::central_vein) {
      EXPECT_EQ(net.zone[s], 1.0);
    }
    if (net.kind[s] != SegmentKind::sinusoid) continue;
    if (rho > apothem) {  // beyond the face midpoints
      ++near_portal;
      EXPECT_LT(net.zone[s], 0.2) << s;
    }
    if (rho < 60e-6) {  // within 2 h of the CV wall
      ++near_central;
      EXPECT_GT(net.zone[s], 0.85) << s;
    }
  }
  EXPECT_GT(near_portal, 100);
  EXPECT_GT(near_central, 20);
}

TEST(LobuleGenerator, SinusoidRadiusWidensLinearlyWithZone) {
  const Network net = meshes::generate_lobule(human_slab());
  double pp = 0, pc = 0;
  int n_pp = 0, n_pc = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    switch (net.kind[s]) {
      case SegmentKind::sinusoid:
        // PARAMETERS.md §7.1: diameter 7 um (zone 0) -> 9 um (zone 1)
        ASSERT_NEAR(net.radius[s], 3.5e-6 + 1.0e-6 * net.zone[s], 1e-15);
        if (net.zone[s] < 1.0 / 3) pp += net.radius[s], ++n_pp;
        if (net.zone[s] > 2.0 / 3) pc += net.radius[s], ++n_pc;
        break;
      case SegmentKind::central_vein: ASSERT_EQ(net.radius[s], 30e-6); break;
      case SegmentKind::portal_venule:  // terminal portal venule 23 um, inlet venules half of it
        ASSERT_TRUE(net.radius[s] == 23e-6 || net.radius[s] == 11.5e-6) << net.radius[s];
        break;
      default: FAIL() << "unexpected kind " << to_string(net.kind[s]);
    }
  }
  ASSERT_GT(n_pp, 0);
  ASSERT_GT(n_pc, 0);
  EXPECT_LT(pp / n_pp, 3.85e-6);
  EXPECT_GT(pc / n_pc, 4.15e-6);
}

TEST(LobuleGenerator, SameSeedGivesIdenticalArraysOtherSeedOtherPositions) {
  LobuleParameters p = human_slab(3);
  const Network a = meshes::generate_lobule(p), b = meshes::generate_lobule(p);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, b.y);
  EXPECT_EQ(a.z, b.z);
  EXPECT_EQ(a.segment_from, b.segment_from);
  EXPECT_EQ(a.segment_to, b.segment_to);
  EXPECT_EQ(a.radius, b.radius);
  EXPECT_EQ(a.length, b.length);
  EXPECT_EQ(a.zone, b.zone);
  EXPECT_EQ(a.tissue_volume, b.tissue_volume);
  p.seed = 2;
  const Network c = meshes::generate_lobule(p);
  EXPECT_EQ(a.segment_from, c.segment_from);  // same topology
  EXPECT_EQ(a.segment_to, c.segment_to);
  std::size_t moved = 0, jitter_too_large = 0;
  const double bound = 0.2 * 25e-6;  // jitter 0.2 h: each coordinate within +-0.1 h of the other seed's
  for (std::size_t n = 0; n < a.num_nodes(); ++n) {
    if (a.x[n] != c.x[n]) ++moved;
    if (std::abs(a.x[n] - c.x[n]) > bound || std::abs(a.z[n] - c.z[n]) > bound) ++jitter_too_large;
  }
  EXPECT_GT(moved, a.num_nodes() / 2);
  EXPECT_EQ(jitter_too_large, 0u);
}

TEST(LobuleGenerator, TissueVolumeIsThePrismMinusTheVesselLumens) {
  const LobuleParameters p = human_slab();
  const Network net = meshes::generate_lobule(p);
  const double h = (0.5e-3 * std::sqrt(3 * std::sqrt(3.0) / (2 * units::pi)) - 30e-6) / 17;
  const double slab = 4 * h;  // layers > 0: a slab of 4 layers h apart
  const double pi = units::pi;
  double tissue = 0, sinusoid_lumen = 0, sinusoid_length = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    tissue += net.tissue_volume[s];
    if (net.kind[s] != SegmentKind::sinusoid) {
      EXPECT_EQ(net.tissue_volume[s], 0.0);
      continue;
    }
    sinusoid_lumen += pi * net.radius[s] * net.radius[s] * net.length[s];
    sinusoid_length += net.length[s];
  }
  const double prism = 1.5 * std::sqrt(3.0) * 0.5e-3 * 0.5e-3 * slab;
  const double vessels = (pi * 30e-6 * 30e-6 + 2 * pi * 23e-6 * 23e-6) * slab + 4 * 3 * 0.5e-3 * pi * 11.5e-6 * 11.5e-6;
  EXPECT_NEAR(tissue / (prism - vessels - sinusoid_lumen), 1.0, 1e-12);
  EXPECT_GT(tissue / prism, 0.6);  // sinusoids take ~1/4 of the volume at 25 um spacing
  EXPECT_LT(tissue / prism, 0.8);
  // anastomoses every ~20-40 um (PARAMETERS.md §7.1): mean sinusoid segment length
  const std::size_t sinusoids = std::count(net.kind.begin(), net.kind.end(), SegmentKind::sinusoid);
  EXPECT_GT(sinusoid_length / sinusoids, 20e-6);
  EXPECT_LT(sinusoid_length / sinusoids, 30e-6);
}

TEST(LobuleGenerator, TissueBelongsToTheQuasiRadialSinusoidsOnly) {
  // The anastomoses (circumferential, vertical) carry little flow; the radial channels supply the
  // tissue (generators.hpp, "Tissue volume").
  const Network net = meshes::generate_lobule(human_slab());
  std::size_t radial = 0, vertical = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    if (net.kind[s] != SegmentKind::sinusoid) continue;
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    const double dx = net.x[b] - net.x[a], dy = net.y[b] - net.y[a], dz = net.z[b] - net.z[a];
    const double rho = std::hypot(0.5 * (net.x[a] + net.x[b]), 0.5 * (net.y[a] + net.y[b]));
    const double along_radius = std::abs(dx * 0.5 * (net.x[a] + net.x[b]) + dy * 0.5 * (net.y[a] + net.y[b])) / rho;
    if (std::abs(dz) > 0.8 * net.length[s]) {  // vertical anastomosis
      ++vertical;
      EXPECT_EQ(net.tissue_volume[s], 0.0) << s;
    } else if (along_radius < 0.2 * net.length[s]) {  // circumferential anastomosis
      EXPECT_EQ(net.tissue_volume[s], 0.0) << s;
    } else if (along_radius > 0.9 * net.length[s] && net.tissue_volume[s] > 0) {
      ++radial;
    }
  }
  EXPECT_GT(vertical, 0u);
  EXPECT_GT(radial, net.num_segments() / 10);
}

TEST(LobuleGenerator, FullHumanLobuleSpansItsHeightAndRatPresetIsSmaller) {
  const LobuleParameters human = meshes::lobule_preset("human"), rat = meshes::lobule_preset("rat");
  EXPECT_EQ(rat.circumradius, 0.35e-3);
  EXPECT_EQ(rat.height, 1.0e-3);
  EXPECT_EQ(rat.central_vein_radius, 26.5e-6);
  EXPECT_EQ(rat.portal_venule_radius, 20e-6);
  EXPECT_NEAR(rat.portal_pressure / units::mmHg, 5.0, 1e-12);
  EXPECT_NEAR(rat.central_pressure / units::mmHg, 2.06, 1e-12);
  const Network h = meshes::generate_lobule(human), r = meshes::generate_lobule(rat);
  EXPECT_LT(r.num_segments(), h.num_segments() / 2);
  EXPECT_EQ(h.num_segments(), meshes::estimate_lobule_block_segments(human, 1, 1));
  EXPECT_EQ(r.num_segments(), meshes::estimate_lobule_block_segments(rat, 1, 1));
  // 1.5 mm / 24.98 um = 60 layers, 25 um apart, centred in the prism.
  const auto [zmin, zmax] = std::minmax_element(h.z.begin(), h.z.end());
  EXPECT_NEAR(*zmin, 12.5e-6, 0.11 * 25e-6);
  EXPECT_NEAR(*zmax, 1.5e-3 - 12.5e-6, 0.11 * 25e-6);
  EXPECT_TRUE(validate(h).ok()) << first_error(validate(h));
  EXPECT_TRUE(validate(r).ok()) << first_error(validate(r));
  EXPECT_THROW(meshes::lobule_preset("mouse"), InputError);
}

TEST(LobuleGenerator, CoarseRingsAndNoInletVenulesStillGiveAConnectedLobule) {
  LobuleParameters p = human_slab(2);
  p.rings = 2;  // boundary ring and CV wall only: h = 424.7 um
  p.inlet_venule_radius = 0;
  const Network net = meshes::generate_lobule(p);
  // Per layer: ring 0 has m0 = round(500 / 424.7) = 1 -> 6 nodes, CV wall 6 nodes, 1 axis node;
  // 6 + 6 circumferential + 6 radial + 6 connectors; 13 vertical.
  EXPECT_EQ(net.num_nodes(), 2u * 13);
  EXPECT_EQ(net.num_segments(), 2u * 24 + 13);
  EXPECT_EQ(std::count(net.kind.begin(), net.kind.end(), SegmentKind::portal_venule), 6);  // corner edges only
  index_t components = 0;
  connected_components(net, &components);
  EXPECT_EQ(components, 1);
  EXPECT_TRUE(validate(net).ok()) << first_error(validate(net));
}

TEST(LobuleGenerator, BadParametersAreInputErrors) {
  LobuleParameters p = human_slab();
  p.rings = 1;
  EXPECT_THROW(meshes::generate_lobule(p), InputError);
  p = human_slab();
  p.central_vein_radius = 0.5e-3;  // wider than the lobule
  EXPECT_THROW(meshes::generate_lobule(p), InputError);
  p = human_slab();
  p.node_spacing = -1;
  EXPECT_THROW(meshes::estimate_lobule_block_segments(p, 1, 1), InputError);
  p = human_slab();
  p.jitter = 1.5;
  EXPECT_THROW(meshes::generate_lobule(p), InputError);
  p = human_slab();
  EXPECT_THROW(meshes::generate_lobule_block(p, 0, 3), InputError);
  // Too large for 32-bit indices: refused from the estimate, before any allocation.
  EXPECT_THROW(meshes::generate_lobule_block(meshes::lobule_preset("human"), 200, 200), InputError);
}

// ---- lobule block ------------------------------------------------------------------------------

TEST(LobuleBlock, NeighboursSharePortalTractsAndFaces) {
  const LobuleParameters p = human_slab(3);
  const Network one = meshes::generate_lobule(p);
  const Network two = meshes::generate_lobule_block(p, 2, 1);
  // One face shared: its 2 corners + 19 edge points per layer, its 20 inlet venule segments per
  // layer and the vertical segments of those 21 nodes between the 3 layers.
  EXPECT_EQ(two.num_nodes(), 2 * one.num_nodes() - 3 * 21);
  EXPECT_EQ(two.num_segments(), 2 * one.num_segments() - 3 * 20 - 2 * 21);
  // Portal venules: 6 + 6 - 2 shared corner edges, one boundary node per layer each.
  std::size_t portal = 0;
  for (const auto& bc : two.boundaries) portal += bc.value == p.portal_pressure;
  EXPECT_EQ(portal, 10u * 3);
  expect_simple_graph(two);
  EXPECT_TRUE(validate(two).ok()) << first_error(validate(two));
  index_t components = 0;
  connected_components(two, &components);
  EXPECT_EQ(components, 1);
}

TEST(LobuleBlock, EstimateIsExactForSeveralShapes) {
  const LobuleParameters p = human_slab(2);
  for (const auto& [bx, by] : std::vector<std::pair<int, int>>{{1, 1}, {2, 1}, {1, 2}, {3, 2}, {2, 3}, {4, 4}}) {
    const Network net = meshes::generate_lobule_block(p, bx, by);
    EXPECT_EQ(meshes::estimate_lobule_block_segments(p, bx, by), net.num_segments()) << bx << "x" << by;
    EXPECT_EQ(meshes::estimate_lobule_block_nodes(p, bx, by), net.num_nodes()) << bx << "x" << by;
    if (bx * by <= 6) expect_simple_graph(net);
    index_t components = 0;
    connected_components(net, &components);
    EXPECT_EQ(components, 1) << bx << "x" << by;
  }
  // Three lobules meet at interior corners of a 3 x 2 block: 6 x 6 corners - shared ones.
  const Network block = meshes::generate_lobule_block(p, 3, 2);
  std::size_t portal = 0;
  for (const auto& bc : block.boundaries) portal += bc.value == p.portal_pressure;
  // Hexagon patch 3 x 2: E = 36 - 9 = 27 edges, V = 27 - 6 + 1 = 22 corners; 2 layers.
  EXPECT_EQ(portal, 22u * 2);
  EXPECT_TRUE(validate(block).ok()) << first_error(validate(block));
}

TEST(LobuleBlock, ReachesTenMillionSegmentsAndBuildsAMillionQuickly) {
  const LobuleParameters human = meshes::lobule_preset("human");
  const std::size_t one = meshes::estimate_lobule_block_segments(human, 1, 1);
  EXPECT_GT(one, 180000u);  // a full human lobule, 1.5 mm high, at 25 um spacing
  EXPECT_LT(one, 230000u);
  EXPECT_GT(meshes::estimate_lobule_block_segments(human, 8, 7), 10000000u);
  // About 1e6 segments: 2 x 3 full-height human lobules, built and checked against the estimate.
  const auto t0 = std::chrono::steady_clock::now();
  const Network net = meshes::generate_lobule_block(human, 2, 3);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(net.num_segments(), meshes::estimate_lobule_block_segments(human, 2, 3));
  EXPECT_GT(net.num_segments(), 1000000u);
  EXPECT_LT(seconds, 30.0);  // O(n): ~1 s here; generous for sanitizer / debug builds
  index_t components = 0;
  connected_components(net, &components);
  EXPECT_EQ(components, 1);
}

// ---- ladder, tree, grid ------------------------------------------------------------------------

TEST(LadderGenerator, HasTwoRailsJoinedByRungs) {
  const Network ladder = meshes::generate_ladder(5, 4e-6, 25e-6, 800, 533);
  EXPECT_EQ(ladder.num_nodes(), 10u);
  EXPECT_EQ(ladder.num_segments(), 4u * 2 + 5);  // 3 rungs - 2
  ASSERT_EQ(ladder.boundaries.size(), 2u);
  EXPECT_EQ(ladder.boundaries[0].node, 0);
  EXPECT_EQ(ladder.boundaries[0].value, 800);
  EXPECT_EQ(ladder.boundaries[1].node, 9);
  EXPECT_EQ(ladder.boundaries[1].value, 533);
  for (std::size_t s = 0; s < ladder.num_segments(); ++s) {
    EXPECT_DOUBLE_EQ(ladder.length[s], 25e-6);
    EXPECT_EQ(ladder.radius[s], 4e-6);
  }
  expect_positive_geometry(ladder);
  expect_simple_graph(ladder);
  EXPECT_TRUE(validate(ladder).ok()) << first_error(validate(ladder));
  EXPECT_EQ(meshes::generate_ladder(1, 4e-6, 25e-6, 800, 533).num_segments(), 1u);
  EXPECT_THROW(meshes::generate_ladder(0, 4e-6, 25e-6, 800, 533), InputError);
  EXPECT_THROW(meshes::generate_ladder(3, -4e-6, 25e-6, 800, 533), InputError);
}

TEST(TreeGenerator, HasTwoToTheGMinusOneSegmentsAndMurrayRadii) {
  const int G = 5;
  const Network tree = meshes::generate_tree(G, 20e-6, 200e-6, 1000, 500);
  EXPECT_EQ(tree.num_segments(), 31u);  // 2^5 - 1
  EXPECT_EQ(tree.num_nodes(), 32u);
  EXPECT_EQ(tree.boundaries.size(), 1u + 16u);  // root + 2^(G-1) leaves
  // Generation g: 2^g segments of radius r0 2^(-g/3) and length L0 2^(-g/3) (default ratio).
  std::size_t s = 0;
  for (int g = 0; g < G; ++g)
    for (int k = 0; k < (1 << g); ++k, ++s) {
      EXPECT_NEAR(tree.radius[s], 20e-6 * std::pow(2.0, -g / 3.0), 1e-18) << s;
      EXPECT_NEAR(tree.length[s], 200e-6 * std::pow(2.0, -g / 3.0), 1e-16) << s;
      EXPECT_NEAR(tree.euclidean_length(static_cast<index_t>(s)), tree.length[s], 1e-15) << s;
      EXPECT_NEAR(tree.zone[s], (g + 0.5) / G, 1e-15);
    }
  // Murray: r_parent^3 = sum of r_child^3 at every bifurcation.
  EXPECT_NEAR(std::pow(tree.radius[0], 3), 2 * std::pow(tree.radius[1], 3), 1e-30);
  expect_positive_geometry(tree);
  expect_simple_graph(tree);
  EXPECT_TRUE(validate(tree).ok()) << first_error(validate(tree));
  EXPECT_THROW(meshes::generate_tree(0, 20e-6, 200e-6, 1000, 500), InputError);
  EXPECT_THROW(meshes::generate_tree(25, 20e-6, 200e-6, 1000, 500), InputError);
}

TEST(GridGenerator, MatchesGenGridSecombCountsAndBoundaries) {
  // gen_grid_secomb.py 3: 3 n^2 (n - 1) = 54 grid segments + 2 n^2 = 18 stubs = 72;
  // n^3 + 2 n^2 = 45 nodes; 9 inlet stubs at 20 mmHg, 9 outlet stubs at 10 mmHg.
  const Network grid = meshes::generate_grid(3, 3, 3, 1);
  EXPECT_EQ(grid.num_segments(), 72u);
  EXPECT_EQ(grid.num_nodes(), 45u);
  ASSERT_EQ(grid.boundaries.size(), 18u);
  for (std::size_t b = 0; b < grid.boundaries.size(); ++b) {
    const auto& bc = grid.boundaries[b];
    // The script appends (inlet, outlet) stub nodes per (k, j): nodes 27, 28, 29, ...
    EXPECT_EQ(bc.node, static_cast<index_t>(27 + b));
    EXPECT_NEAR(bc.value / units::mmHg, b % 2 == 0 ? 20.0 : 10.0, 1e-12);
    EXPECT_NEAR(grid.x[bc.node], b % 2 == 0 ? -25e-6 : 75e-6, 1e-18);
    EXPECT_EQ(bc.haematocrit, 0.45);
    EXPECT_EQ(bc.po2_mmHg, 65.0);
  }
  // Segment order as in the script: (0,0,0)-(1,0,0), (0,0,0)-(0,1,0), (0,0,0)-(0,0,1), ...; the
  // first stub (segment 55) runs from node 28 (1-based) into node 1.
  EXPECT_EQ(grid.segment_from[0], 0);
  EXPECT_EQ(grid.segment_to[0], 1);
  EXPECT_EQ(grid.segment_to[1], 3);
  EXPECT_EQ(grid.segment_to[2], 9);
  EXPECT_EQ(grid.segment_from[54], 27);
  EXPECT_EQ(grid.segment_to[54], 0);
  EXPECT_EQ(grid.segment_from[55], 2);
  EXPECT_EQ(grid.segment_to[55], 28);
  for (std::size_t s = 0; s < grid.num_segments(); ++s) {
    EXPECT_GE(grid.radius[s], 3e-6);  // diameters uniform in 6-10 um
    EXPECT_LT(grid.radius[s], 5e-6);
    EXPECT_NEAR(grid.length[s], 25e-6, 1e-18);
    EXPECT_EQ(grid.tissue_volume[s] > 0, s < 54) << s;  // stubs supply no tissue
  }
  expect_positive_geometry(grid);
  expect_simple_graph(grid);
  EXPECT_TRUE(validate(grid).ok()) << first_error(validate(grid));
  // Seeded: same seed, same radii; other seed, other radii.
  EXPECT_EQ(meshes::generate_grid(3, 3, 3, 1).radius, grid.radius);
  EXPECT_NE(meshes::generate_grid(3, 3, 3, 2).radius, grid.radius);
  // Formula for a larger cube.
  EXPECT_EQ(meshes::generate_grid(6, 6, 6, 1).num_segments(), 3u * 36 * 5 + 2u * 36);
}

TEST(PeerGridGenerator, MatchesPeerFlowBenchRule) {
  const Network peer = meshes::generate_peer_grid(4, 1);
  EXPECT_EQ(peer.num_segments(), 3u * 16 * 3);  // 3 n^2 (n - 1), no stubs
  EXPECT_EQ(peer.boundaries.size(), 32u);
  expect_positive_geometry(peer);
  EXPECT_TRUE(validate(peer).ok()) << first_error(validate(peer));
}

// ---- generator spec ----------------------------------------------------------------------------

TEST(GeneratorSpec, MapsCaseKeysOntoTheGenerators) {
  GeneratorSpec spec;
  spec.name = "grid";
  spec.size = {4, 3, 2};
  EXPECT_EQ(meshes::generate_from_spec(spec).num_segments(), 3u * 3 * 2 + 4u * 2 * 2 + 4u * 3 * 1 + 2u * 3 * 2);
  spec.size = {3};
  EXPECT_EQ(meshes::generate_from_spec(spec).num_segments(), 72u);
  spec.name = "ladder";
  spec.size = {6};
  EXPECT_EQ(meshes::generate_from_spec(spec).num_segments(), 16u);
  spec.name = "tree";
  spec.size = {4};
  EXPECT_EQ(meshes::generate_from_spec(spec).num_segments(), 15u);
  spec.name = "lobule";
  spec.size = {};
  spec.preset = "rat";
  spec.layers = 2;
  spec.seed = 7;
  LobuleParameters rat = meshes::lobule_preset("rat");
  rat.layers = 2;
  rat.seed = 7;
  const Network from_spec = meshes::generate_from_spec(spec);
  EXPECT_EQ(from_spec.x, meshes::generate_lobule(rat).x);
  spec.name = "lobule_block";
  spec.blocks_x = 2;
  spec.blocks_y = 2;
  EXPECT_EQ(meshes::generate_from_spec(spec).num_segments(), meshes::estimate_lobule_block_segments(rat, 2, 2));
}

TEST(GeneratorSpec, BadSizesAndNamesAreInputErrorsNamingTheKey) {
  GeneratorSpec spec;
  const auto message_of = [&]() -> std::string {
    try {
      meshes::generate_from_spec(spec);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  spec.name = "grid";
  spec.size = {4, 3};
  EXPECT_NE(message_of().find("network.size"), std::string::npos) << message_of();
  EXPECT_NE(message_of().find("[4, 3]"), std::string::npos) << message_of();
  spec.size = {4, 0, 2};
  EXPECT_THROW(meshes::generate_from_spec(spec), InputError);
  spec.name = "tree";
  spec.size = {40};
  EXPECT_THROW(meshes::generate_from_spec(spec), InputError);
  spec.name = "ladder";
  spec.size = {0};
  EXPECT_THROW(meshes::generate_from_spec(spec), InputError);
  spec.name = "lobule";
  spec.size = {3};
  EXPECT_THROW(meshes::generate_from_spec(spec), InputError);
  spec.size = {};
  spec.blocks_x = 2;
  EXPECT_NE(message_of().find("lobule_block"), std::string::npos) << message_of();
  spec.blocks_x = 1;
  spec.preset = "mouse";
  EXPECT_NE(message_of().find("mouse"), std::string::npos) << message_of();
  spec.name = "spiral";
  EXPECT_NE(message_of().find("unknown generator"), std::string::npos) << message_of();
}

}  // namespace
}  // namespace hepaflow

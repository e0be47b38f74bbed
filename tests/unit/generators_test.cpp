// Network generators: structure, determinism, zonation, sharing of portal tracts, sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

using meshes::LobuleParameters;

LobuleParameters small_human() {
  LobuleParameters p = meshes::lobule_preset("human");
  p.layers = 3;
  return p;
}

TEST(LobuleGenerator, IsAValidSingleComponentWithPortalAndCentralBoundaries) {
  const Network net = meshes::generate_lobule(small_human());
  const auto report = validate(net);
  EXPECT_TRUE(report.ok()) << (report.errors.empty() ? "" : report.errors.front());
  index_t components = 0;
  connected_components(net, &components);
  EXPECT_EQ(components, 1);
  int portal = 0, central = 0;
  for (const auto& bc : net.boundaries) {
    ASSERT_EQ(bc.type, BoundaryType::pressure);
    if (bc.value == 6 * units::mmHg) ++portal;
    if (bc.value == 4 * units::mmHg) ++central;
  }
  EXPECT_EQ(portal, 6 * 3);  // six portal tracts, one node per layer each
  EXPECT_EQ(central, 3);     // the central vein, one node per layer
}

TEST(LobuleGenerator, ZoneRunsFromPortalToCentralAndSinusoidsWidenWithIt) {
  const Network net = meshes::generate_lobule(small_human());
  double r_periportal = 0, r_pericentral = 0;
  int n_pp = 0, n_pc = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    ASSERT_GE(net.zone[s], 0.0);
    ASSERT_LE(net.zone[s], 1.0);
    if (net.kind[s] != SegmentKind::sinusoid) continue;
    // radius linear in zone between 3.5 um (zone 0) and 4.5 um (zone 1), PARAMETERS.md §7.1
    EXPECT_NEAR(net.radius[s], 3.5e-6 + 1.0e-6 * net.zone[s], 1e-15);
    if (net.zone[s] < 1.0 / 3) r_periportal += net.radius[s], ++n_pp;
    if (net.zone[s] > 2.0 / 3) r_pericentral += net.radius[s], ++n_pc;
  }
  ASSERT_GT(n_pp, 0);
  ASSERT_GT(n_pc, 0);
  EXPECT_LT(r_periportal / n_pp, r_pericentral / n_pc);
  // Zone follows distance from the axis: a segment far out is periportal.
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const index_t a = net.segment_from[s];
    const double rho = std::hypot(net.x[a], net.y[a]);
    if (rho > 0.45e-3) EXPECT_LT(net.zone[s], 0.2) << s;
  }
}

TEST(LobuleGenerator, SameSeedGivesIdenticalNetworkOtherSeedMovesInteriorNodes) {
  LobuleParameters p = small_human();
  const Network a = meshes::generate_lobule(p), b = meshes::generate_lobule(p);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.segment_from, b.segment_from);
  EXPECT_EQ(a.radius, b.radius);
  p.seed = 2;
  const Network c = meshes::generate_lobule(p);
  EXPECT_EQ(a.num_segments(), c.num_segments());
  EXPECT_NE(a.x, c.x);
}

TEST(LobuleGenerator, SpacingAndTissueVolumeFollowTheParameters) {
  const LobuleParameters p = small_human();
  const Network net = meshes::generate_lobule(p);
  double tissue = 0, sinusoid_length = 0;
  int n = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    tissue += net.tissue_volume[s];
    if (net.kind[s] == SegmentKind::sinusoid) sinusoid_length += net.length[s], ++n;
    EXPECT_GT(net.length[s], 0.0);
  }
  const double slab_height = (p.layers - 1) * p.node_spacing;  // layers = 3: a slab 50 um high
  const double prism = 1.5 * std::sqrt(3.0) * p.circumradius * p.circumradius * slab_height;
  EXPECT_NEAR(tissue / prism, 1.0, 1e-12);
  // anastomoses every ~20-40 um (PARAMETERS.md §7.1)
  EXPECT_GT(sinusoid_length / n, 15e-6);
  EXPECT_LT(sinusoid_length / n, 40e-6);
}

TEST(LobuleGenerator, RatLobuleIsSmallerThanHuman) {
  LobuleParameters rat = meshes::lobule_preset("rat"), human = meshes::lobule_preset("human");
  rat.layers = human.layers = 3;
  EXPECT_LT(meshes::generate_lobule(rat).num_segments(), meshes::generate_lobule(human).num_segments());
  EXPECT_THROW(meshes::lobule_preset("mouse"), InputError);
}

TEST(LobuleBlock, SharesPortalTractsAndFacesAndMatchesTheEstimate) {
  const LobuleParameters p = small_human();
  const Network one = meshes::generate_lobule(p);
  const Network two = meshes::generate_lobule_block(p, 2, 1);
  EXPECT_LT(two.num_nodes(), 2 * one.num_nodes());
  EXPECT_LT(two.num_segments(), 2 * one.num_segments());
  EXPECT_TRUE(validate(two).ok());
  EXPECT_EQ(meshes::estimate_lobule_block_segments(p, 1, 1), one.num_segments());
  EXPECT_EQ(meshes::estimate_lobule_block_segments(p, 2, 1), two.num_segments());
  const Network block = meshes::generate_lobule_block(p, 3, 3);
  const double estimate = static_cast<double>(meshes::estimate_lobule_block_segments(p, 3, 3));
  EXPECT_NEAR(estimate / block.num_segments(), 1.0, 0.05);
  EXPECT_TRUE(validate(block).ok());
}

TEST(LobuleBlock, TenMillionSegmentsAreReachable) {
  const LobuleParameters p = meshes::lobule_preset("human");
  const std::size_t one = meshes::estimate_lobule_block_segments(p, 1, 1);
  EXPECT_GT(one, 1.5e5);  // a full human lobule (1.5 mm high) at 25 um spacing
  EXPECT_GT(meshes::estimate_lobule_block_segments(p, 8, 8), 1e7);
}

TEST(SimpleGenerators, LadderTreeAndGridHaveTheDocumentedSizes) {
  const Network ladder = meshes::generate_ladder(5, 4e-6, 50e-6, 800, 533);
  EXPECT_EQ(ladder.num_segments(), 4u * 2 + 5);
  EXPECT_TRUE(validate(ladder).ok());
  const Network tree = meshes::generate_tree(4, 20e-6, 400e-6, 1000, 500);
  EXPECT_EQ(tree.num_segments(), 15u);  // 2^4 - 1
  EXPECT_EQ(tree.boundaries.size(), 1u + 8u);
  // Murray's law: each generation's radius is 2^(-1/3) of its parent's.
  EXPECT_NEAR(tree.radius[tree.num_segments() - 1], 20e-6 * std::pow(2.0, -1.0), 1e-18);
  EXPECT_TRUE(validate(tree).ok());
  // gen_grid_secomb.py: 3 n^2 (n - 1) grid segments + 2 n^2 boundary stubs; n = 3 -> 54 + 18 = 72.
  const Network grid = meshes::generate_grid(3, 3, 3, 1);
  EXPECT_EQ(grid.num_segments(), 72u);
  EXPECT_EQ(grid.boundaries.size(), 18u);
  for (std::size_t s = 0; s < grid.num_segments(); ++s) {
    EXPECT_GE(grid.radius[s], 3e-6);
    EXPECT_LE(grid.radius[s], 5e-6);
  }
  const Network peer = meshes::generate_peer_grid(4, 1);
  EXPECT_EQ(peer.num_segments(), 3u * 16 * 3);  // 3 n^2 (n - 1)
  EXPECT_EQ(peer.boundaries.size(), 32u);
}

TEST(GeneratorSpec, MapsCaseKeysAndRejectsBadSizes) {
  GeneratorSpec spec;
  spec.name = "grid";
  spec.size = {4, 3, 2};
  EXPECT_EQ(meshes::generate_from_spec(spec).num_segments(), 3u * 3 * 2 + 4u * 2 * 2 + 4u * 3 * 1 + 2u * 3 * 2);
  spec.size = {4, 3};
  EXPECT_THROW(meshes::generate_from_spec(spec), InputError);
  spec.name = "tree";
  spec.size = {40};
  EXPECT_THROW(meshes::generate_from_spec(spec), InputError);
  spec.name = "spiral";
  EXPECT_THROW(meshes::generate_from_spec(spec), InputError);
}

}  // namespace
}  // namespace hepaflow

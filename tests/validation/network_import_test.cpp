// Import of the field's reference networks in Secomb's Network.dat format (shared/validation,
// read in place; skipped when absent): counts, unit conversion checked by hand, and round trips
// through hepaflow's .dat and CSV writers.
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/units.hpp"

namespace {

using hepaflow::BoundaryCondition;
using hepaflow::BoundaryType;
using hepaflow::Network;
namespace meshes = hepaflow::meshes;

std::string shared_file(const std::string& relative) {
  return std::string(HEPAFLOW_SHARED_DIR) + "/validation/" + relative;
}

#define SKIP_WITHOUT(file) \
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "shared validation data absent: " << (file)

std::size_t index_of_node(const Network& net, std::int64_t id) {
  const auto it = std::find(net.node_id.begin(), net.node_id.end(), id);
  EXPECT_NE(it, net.node_id.end()) << "node " << id;
  return static_cast<std::size_t>(it - net.node_id.begin());
}

const BoundaryCondition& boundary_at(const Network& net, std::int64_t node_id) {
  const std::size_t node = index_of_node(net, node_id);
  const auto it = std::find_if(net.boundaries.begin(), net.boundaries.end(),
                               [&](const BoundaryCondition& bc) { return bc.node == static_cast<hepaflow::index_t>(node); });
  EXPECT_NE(it, net.boundaries.end()) << "no boundary condition at node " << node_id;
  return *it;
}

TEST(SecombDat, ReadsMesenteryWithAllBoundaryNodes) {
  const std::string file = shared_file("mesentery/network.dat");
  SKIP_WITHOUT(file);
  const Network net = meshes::read_secomb_dat(file);
  // README: 546 segments subdivided into 1130, 972 nodes, 36 boundary nodes (35 inflows, node 825 pressure)
  EXPECT_EQ(net.num_segments(), 1130u);
  EXPECT_EQ(net.num_nodes(), 972u);
  ASSERT_EQ(net.boundaries.size(), 36u);
  const auto pressure_count = std::count_if(net.boundaries.begin(), net.boundaries.end(),
                                            [](const BoundaryCondition& bc) { return bc.type == BoundaryType::pressure; });
  EXPECT_EQ(pressure_count, 1);
  const BoundaryCondition& outlet = boundary_at(net, 825);
  EXPECT_EQ(outlet.type, BoundaryType::pressure);
  EXPECT_NEAR(outlet.value, 1839.8489463270002, 1e-9);  // 13.8 mmHg x 133.322387415 Pa/mmHg

  // Segment 1 (first line): "1 5 830 1 27.650000 362.559998 0.433800": radius 27.65 / 2 um
  ASSERT_EQ(net.segment_id[0], 1);
  EXPECT_DOUBLE_EQ(net.radius[0], 13.825e-6);
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(net.segment_from[0])], 830);
  EXPECT_EQ(net.node_id[static_cast<std::size_t>(net.segment_to[0])], 1);
  // nodes 830 (5.5825, 4069.642578, 10) and 1 (139.5625, 4024.982422, 10) um: length
  // hypot(133.98, 44.660156) = 141.22736963472883 um
  EXPECT_NEAR(net.length[0], 141.22736963472883e-6, 1e-15);
  EXPECT_DOUBLE_EQ(net.haematocrit[0], 0.4338);

  // BC "801 2 0.562300 0.199800 40.000000": inflow 0.5623 nl/min = 0.5623e-12 m^3 / 60 s
  const BoundaryCondition& inflow = boundary_at(net, 801);
  EXPECT_EQ(inflow.type, BoundaryType::flow);
  EXPECT_NEAR(inflow.value, 9.371666666666667e-15, 1e-27);
  EXPECT_DOUBLE_EQ(inflow.haematocrit, 0.1998);
  EXPECT_DOUBLE_EQ(inflow.po2_mmHg, 40.0);
  EXPECT_LT(boundary_at(net, 832).value, 0.0);  // "832 2 -32.209999": an outflow
}

TEST(SecombDat, ReadsNetFlowSolutionColumnOfMesenteryReference) {
  const std::string file = shared_file("mesentery/reference/NetworkNew.dat");
  SKIP_WITHOUT(file);
  std::vector<double> flow;
  const Network net = meshes::read_secomb_dat(file, &flow);
  ASSERT_EQ(flow.size(), 1130u);
  double largest = 0.0;
  for (double q : flow) largest = std::max(largest, std::fabs(q));
  // README: NetFlowV2's maximum flow 722.70 nl/min
  EXPECT_NEAR(largest / hepaflow::units::nl_per_min, 722.70, 0.005);
}

TEST(SecombDat, ReadsBrainNetworkWithInflowPo2) {
  const std::string file = shared_file("o2_brain/network.dat");
  SKIP_WITHOUT(file);
  const Network net = meshes::read_secomb_dat(file);
  EXPECT_EQ(net.num_segments(), 50u);
  EXPECT_EQ(net.num_nodes(), 49u);
  ASSERT_EQ(net.boundaries.size(), 12u);
  for (const BoundaryCondition& bc : net.boundaries) EXPECT_DOUBLE_EQ(bc.po2_mmHg, 50.0);
  EXPECT_EQ(boundary_at(net, 7).type, BoundaryType::pressure);
  EXPECT_NEAR(boundary_at(net, 9).value, -1.5 * hepaflow::units::nl_per_min, 1e-28);
  EXPECT_DOUBLE_EQ(net.radius[0], 4.5e-6);  // "1 5 21 49 9.0 ..."
  EXPECT_DOUBLE_EQ(net.z[index_of_node(net, 10)], 101.4e-6);  // "10 30 160 101.4"
}

class SharedNetworkRoundTrip : public hepaflow::test::TempFolderTest {};

void expect_same(const Network& a, const Network& b) {
  ASSERT_EQ(a.node_id, b.node_id);
  ASSERT_EQ(a.segment_id, b.segment_id);
  EXPECT_EQ(a.segment_from, b.segment_from);
  EXPECT_EQ(a.segment_to, b.segment_to);
  for (std::size_t i = 0; i < a.num_nodes(); ++i) {
    EXPECT_NEAR(a.x[i], b.x[i], 1e-15 * std::fabs(a.x[i]));
    EXPECT_NEAR(a.y[i], b.y[i], 1e-15 * std::fabs(a.y[i]));
    EXPECT_NEAR(a.z[i], b.z[i], 1e-15 * std::fabs(a.z[i]));
  }
  for (std::size_t s = 0; s < a.num_segments(); ++s) EXPECT_NEAR(a.radius[s], b.radius[s], 1e-15 * a.radius[s]);
  EXPECT_EQ(a.haematocrit, b.haematocrit);
  ASSERT_EQ(a.boundaries.size(), b.boundaries.size());
  for (std::size_t i = 0; i < a.boundaries.size(); ++i) {
    EXPECT_EQ(a.boundaries[i].node, b.boundaries[i].node);
    EXPECT_EQ(a.boundaries[i].type, b.boundaries[i].type);
    EXPECT_NEAR(a.boundaries[i].value, b.boundaries[i].value, 1e-15 * std::fabs(a.boundaries[i].value));
    EXPECT_EQ(a.boundaries[i].haematocrit, b.boundaries[i].haematocrit);
    EXPECT_EQ(a.boundaries[i].po2_mmHg, b.boundaries[i].po2_mmHg);
  }
}

TEST_F(SharedNetworkRoundTrip, MesenteryComesBackFromDatAndCsv) {
  const std::string file = shared_file("mesentery/network.dat");
  SKIP_WITHOUT(file);
  std::vector<double> flow;
  const Network original = meshes::read_secomb_dat(file, &flow);
  meshes::write_secomb_dat(original, folder_ + "/mesentery.dat", &flow);
  std::vector<double> flow_again;
  const Network from_dat = meshes::read_secomb_dat(folder_ + "/mesentery.dat", &flow_again);
  expect_same(original, from_dat);
  for (std::size_t s = 0; s < flow.size(); ++s) EXPECT_NEAR(flow_again[s], flow[s], 1e-15 * std::fabs(flow[s]));
  meshes::write_csv_network(original, folder_ + "/csv");
  expect_same(original, meshes::read_network_file(folder_ + "/csv"));
}

}  // namespace

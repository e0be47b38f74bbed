// Network checks before any solve (MODEL.md §1): each error class names the offending ids.
#include <gtest/gtest.h>

#include <cmath>

#include "hepaflow/network.hpp"
#include "test_networks.hpp"

namespace hepaflow {
namespace {

std::string all_errors(const ValidationReport& r) {
  std::string s;
  for (const auto& e : r.errors) s += e + "\n";
  return s;
}

Network three_node_chain() {
  Network net;
  net.add_node(10, 0, 0, 0);
  net.add_node(20, 100e-6, 0, 0);
  net.add_node(30, 200e-6, 0, 0);
  net.add_segment(1, 0, 1, 4e-6);
  net.add_segment(2, 1, 2, 4e-6);
  net.boundaries.push_back({0, BoundaryType::pressure, 800});
  net.boundaries.push_back({2, BoundaryType::pressure, 533});
  return net;
}

TEST(NetworkValidation, ValidChainPasses) { EXPECT_TRUE(validate(three_node_chain()).ok()); }

TEST(NetworkValidation, NonPositiveRadiusAndLengthNameTheSegments) {
  Network net = three_node_chain();
  net.radius[0] = 0.0;
  net.length[1] = -1.0;
  const auto r = validate(net);
  ASSERT_FALSE(r.ok());
  const auto text = all_errors(r);
  EXPECT_NE(text.find("non-positive or non-finite radius (segment ids) (1): 1"), std::string::npos) << text;
  EXPECT_NE(text.find("non-positive or non-finite length (segment ids) (1): 2"), std::string::npos) << text;
}

TEST(NetworkValidation, NanRadiusAndInfCoordinateAreErrors) {
  Network net = three_node_chain();
  net.radius[1] = std::nan("");
  net.x[2] = INFINITY;
  const auto text = all_errors(validate(net));
  EXPECT_NE(text.find("radius (segment ids) (1): 2"), std::string::npos) << text;
  EXPECT_NE(text.find("NaN/Inf coordinates (node ids) (1): 30"), std::string::npos) << text;
}

TEST(NetworkValidation, DanglingReferenceIsNamed) {
  Network net = three_node_chain();
  net.segment_to[1] = 7;
  const auto text = all_errors(validate(net));
  EXPECT_NE(text.find("referring to nodes that do not exist (segment ids) (1): 2"), std::string::npos) << text;
}

TEST(NetworkValidation, DuplicateSegmentsAndIdsAreNamed) {
  Network net = three_node_chain();
  net.add_segment(3, 1, 0, 4e-6);  // same node pair, radius and length as segment 1: a copy
  net.add_segment(3, 0, 2, 5e-6);  // duplicate id 3
  const auto text = all_errors(validate(net));
  EXPECT_NE(text.find("duplicate segments: same two nodes, radius and length (segment ids) (1): 3 (same nodes as 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("duplicate segment ids (1): 3"), std::string::npos) << text;
}

TEST(NetworkValidation, ParallelVesselsAreAllowedWithAWarning) {
  Network net = three_node_chain();
  net.add_segment(3, 1, 0, 6e-6);  // a second, wider vessel between nodes 10 and 20
  const auto r = validate(net);
  EXPECT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("parallel segments"), std::string::npos);
}

TEST(NetworkValidation, SelfLoopIsAnError) {
  Network net = three_node_chain();
  net.add_segment(9, 1, 1, 4e-6, 50e-6);
  EXPECT_NE(all_errors(validate(net)).find("joining a node to itself (segment ids) (1): 9"), std::string::npos);
}

TEST(NetworkValidation, ComponentWithoutPressureBoundaryIsNamed) {
  Network net = three_node_chain();
  net.add_node(40, 0, 100e-6, 0);
  net.add_node(50, 0, 200e-6, 0);
  net.add_segment(4, 3, 4, 4e-6);
  net.boundaries.push_back({3, BoundaryType::flow, 1e-14});
  const auto text = all_errors(validate(net));
  EXPECT_NE(text.find("components without a pressure boundary"), std::string::npos) << text;
  EXPECT_NE(text.find("2 nodes incl. node 40, flow boundaries do not balance"), std::string::npos) << text;
}

TEST(NetworkValidation, DroppingFloatingComponentsKeepsTheRest) {
  Network net = three_node_chain();
  net.add_node(40, 0, 100e-6, 0);
  net.add_node(50, 0, 200e-6, 0);
  net.add_segment(4, 3, 4, 4e-6);
  std::size_t nodes_dropped = 0;
  EXPECT_EQ(drop_components_without_pressure_boundary(net, &nodes_dropped), 1u);
  EXPECT_EQ(nodes_dropped, 2u);
  EXPECT_EQ(net.num_segments(), 2u);
  EXPECT_EQ(net.segment_id[1], 2);
  EXPECT_EQ(net.boundaries.size(), 2u);
  EXPECT_TRUE(validate(net).ok());
}

TEST(NetworkValidation, LongListsAreTruncatedWithACount) {
  Network net = test::random_network(200, 3);
  for (auto& r : net.radius) r = -1;
  const auto text = all_errors(validate(net, 5));
  EXPECT_NE(text.find("and 195 more"), std::string::npos) << text;
}

}  // namespace
}  // namespace hepaflow

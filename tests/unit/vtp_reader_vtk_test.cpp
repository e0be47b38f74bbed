// .vtp network reader (meshes::read_vtp_network) on small hand-written VTK XML PolyData files:
// polylines -> segments, merging of coincident points, radius sources and units, hepaflow's own
// .vtp output read back, and corrupt files (bad zlib payload, truncation, garbage, impossible
// counts, out-of-range connectivity) that must end in InputError without VTK printing anything.
#include "expect_error.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hepaflow/error.hpp"
#include "hepaflow/io/network_output.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/units.hpp"

namespace {

using hepaflow::InputError;
using hepaflow::IoError;
using hepaflow::Network;
using hepaflow::SegmentKind;
namespace meshes = hepaflow::meshes;

class VtpFiles : public hepaflow::test::TempFolderTest {};
// Suites named for what they test, so that test names read as sentences.
class VtpReader : public VtpFiles {};
class BadVtp : public VtpFiles {};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct VtpArray {
  std::string name;
  std::vector<double> values;
};

/// An ASCII VTK XML PolyData file. `lines` and `verts` hold point ids per cell.
std::string ascii_vtp(const std::vector<std::array<double, 3>>& points, const std::vector<std::vector<long>>& lines,
                      const std::vector<VtpArray>& point_data = {}, const std::vector<VtpArray>& cell_data = {},
                      const std::vector<std::vector<long>>& verts = {}) {
  std::ostringstream f;
  f.precision(17);
  auto cells = [&f](const char* element, const std::vector<std::vector<long>>& list) {
    f << "      <" << element << ">\n        <DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">";
    for (const auto& cell : list)
      for (long id : cell) f << ' ' << id;
    f << " </DataArray>\n        <DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">";
    long end = 0;
    for (const auto& cell : list) f << ' ' << (end += static_cast<long>(cell.size()));
    f << " </DataArray>\n      </" << element << ">\n";
  };
  auto arrays = [&f](const char* element, const std::vector<VtpArray>& list) {
    f << "      <" << element << ">\n";
    for (const VtpArray& a : list) {
      f << "        <DataArray type=\"Float64\" Name=\"" << a.name << "\" format=\"ascii\">";
      for (double v : a.values) f << ' ' << v;
      f << " </DataArray>\n";
    }
    f << "      </" << element << ">\n";
  };
  f << "<?xml version=\"1.0\"?>\n<VTKFile type=\"PolyData\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
    << "  <PolyData>\n    <Piece NumberOfPoints=\"" << points.size() << "\" NumberOfVerts=\"" << verts.size()
    << "\" NumberOfLines=\"" << lines.size() << "\" NumberOfStrips=\"0\" NumberOfPolys=\"0\">\n";
  arrays("PointData", point_data);
  arrays("CellData", cell_data);
  f << "      <Points>\n        <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">";
  for (const auto& p : points) f << ' ' << p[0] << ' ' << p[1] << ' ' << p[2];
  f << " </DataArray>\n      </Points>\n";
  if (!verts.empty()) cells("Verts", verts);
  cells("Lines", lines);
  f << "    </Piece>\n  </PolyData>\n</VTKFile>\n";
  return f.str();
}

// Two polylines meeting at x = 20 um: the second starts at a separate point 0.5 nm away.
const std::vector<std::array<double, 3>> kJunctionPoints = {
    {0, 0, 0}, {10, 0, 0}, {20, 0, 0}, {20.0005, 0, 0}, {20.0005, 10, 0}};
const std::vector<std::vector<long>> kJunctionLines = {{0, 1, 2}, {3, 4}};

using hepaflow::test::input_error_message;

TEST_F(VtpReader, SplitsPolylinesIntoSegmentsAndMergesCoincidentPoints) {
  const std::string file =
      write("junction.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}}));
  const Network net = meshes::read_vtp_network(file);
  ASSERT_EQ(net.num_segments(), 3u);  // (3 - 1) + (2 - 1)
  ASSERT_EQ(net.num_nodes(), 4u);     // points 2 and 3 are one node
  EXPECT_EQ(net.node_id, (std::vector<std::int64_t>{0, 1, 2, 4}));  // VTK id of each node's first point
  EXPECT_EQ(net.segment_id, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(net.segment_from, (std::vector<hepaflow::index_t>{0, 1, 2}));
  EXPECT_EQ(net.segment_to, (std::vector<hepaflow::index_t>{1, 2, 3}));
  // point radius: mean of the segment's two end points (point 3 gives the third segment's start)
  EXPECT_DOUBLE_EQ(net.radius[0], 1.5e-6);
  EXPECT_DOUBLE_EQ(net.radius[1], 2.5e-6);
  EXPECT_DOUBLE_EQ(net.radius[2], 6e-6);
  EXPECT_DOUBLE_EQ(net.x[2], 20e-6);  // the first point wins
  EXPECT_NEAR(net.length[2], std::hypot(0.0005e-6, 10e-6), 1e-18);
  EXPECT_TRUE(net.boundaries.empty());
  EXPECT_EQ(meshes::read_network_file(file).num_segments(), 3u);  // dispatch by extension
}

TEST_F(VtpReader, MergeToleranceDecidesWhichPointsAreOneNode) {
  const std::string file =
      write("junction.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}}));
  meshes::NetworkFileOptions options;
  options.merge_tolerance = 0.0;  // identical points only
  EXPECT_EQ(meshes::read_vtp_network(file, options).num_nodes(), 5u);
  options.merge_tolerance = 0.4e-9;  // 0.4 nm < 0.5 nm gap
  EXPECT_EQ(meshes::read_vtp_network(file, options).num_nodes(), 5u);
  options.merge_tolerance = 0.6e-9;
  EXPECT_EQ(meshes::read_vtp_network(file, options).num_nodes(), 4u);
  options.merge_tolerance = 10.1e-6;  // everything within 10.1 um of an earlier node collapses
  const Network coarse = meshes::read_vtp_network(file, options);
  EXPECT_LT(coarse.num_nodes(), 4u);
  options.merge_tolerance = -1.0;
  EXPECT_THROW(meshes::read_vtp_network(file, options), InputError);

  // identical coordinates under different point ids merge at tolerance 0
  const std::string shared =
      write("shared.vtp", ascii_vtp({{0, 0, 0}, {5, 0, 0}, {5, 0, 0}, {5, 5, 0}}, {{0, 1}, {2, 3}}, {{"radius", {1, 1, 1, 1}}}));
  options.merge_tolerance = 0.0;
  EXPECT_EQ(meshes::read_vtp_network(shared, options).num_nodes(), 3u);
}

TEST_F(VtpReader, PrefersExactNamesAndCellDataAndHalvesDiameters) {
  const std::string file = write(
      "arrays.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {{"Node Radius", {1, 2, 3, 5, 7}}},
                              {{"Diameter", {4, 8}}, {"Vessel Radius", {100, 200}}}));
  const Network by_rank = meshes::read_vtp_network(file);  // "Diameter" (exact name) beats "* Radius"
  EXPECT_DOUBLE_EQ(by_rank.radius[0], 2e-6);
  EXPECT_DOUBLE_EQ(by_rank.radius[1], 2e-6);
  EXPECT_DOUBLE_EQ(by_rank.radius[2], 4e-6);
  meshes::NetworkFileOptions options;
  options.radius_array = "node radius";  // case-insensitive when no exact match
  const Network by_point = meshes::read_vtp_network(file, options);
  EXPECT_DOUBLE_EQ(by_point.radius[2], 6e-6);
  options.radius_is_diameter = true;
  EXPECT_DOUBLE_EQ(meshes::read_vtp_network(file, options).radius[2], 3e-6);
  options.radius_array = "absent";
  const std::string message = input_error_message([&] { meshes::read_vtp_network(file, options); });
  EXPECT_NE(message.find("no numeric array named 'absent'"), std::string::npos) << message;
  EXPECT_NE(message.find("Vessel Radius (cell)"), std::string::npos) << message;

  const std::string cells_only =
      write("cells.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {{"Node Radius", {1, 2, 3, 5, 7}}},
                                   {{"Vessel Radius", {100, 200}}}));
  EXPECT_DOUBLE_EQ(meshes::read_vtp_network(cells_only).radius[2], 200e-6);  // same rank: cell data wins
}

TEST_F(VtpReader, CellRadiusOfLinesSkipsVertexCells) {
  // vtkPolyData numbers cells verts first, then lines: line i has cell data index NumberOfVerts + i
  const std::string file = write("verts.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {},
                                                        {{"radius", {99, 3, 4}}}, {{0}}));
  const Network net = meshes::read_vtp_network(file);
  ASSERT_EQ(net.num_segments(), 3u);
  EXPECT_DOUBLE_EQ(net.radius[0], 3e-6);
  EXPECT_DOUBLE_EQ(net.radius[1], 3e-6);
  EXPECT_DOUBLE_EQ(net.radius[2], 4e-6);
}

TEST_F(VtpReader, DropsSegmentsBetweenRepeatedPoints) {
  const std::string file = write(
      "repeat.vtp", ascii_vtp({{0, 0, 0}, {1, 0, 0}, {2, 0, 0}}, {{0, 1, 1, 2}}, {{"radius", {1, 1, 1}}}));
  const Network net = meshes::read_vtp_network(file);
  EXPECT_EQ(net.num_segments(), 2u);
  EXPECT_EQ(net.num_nodes(), 3u);
}

TEST_F(VtpReader, WithoutRadiusArrayNeedsADefaultRadius) {
  const std::string file = write("bare.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {{"Distance", {0, 1, 2, 3, 4}}}));
  const std::string message = input_error_message([&] { meshes::read_vtp_network(file); });
  EXPECT_NE(message.find("no radius array"), std::string::npos) << message;
  EXPECT_NE(message.find("Distance (point)"), std::string::npos) << message;
  meshes::NetworkFileOptions options;
  options.default_radius = 4e-6;
  const Network net = meshes::read_vtp_network(file, options);
  ASSERT_EQ(net.num_segments(), 3u);
  for (double r : net.radius) EXPECT_EQ(r, 4e-6);
}

TEST_F(VtpReader, LengthUnitScalesCoordinatesAndRadiiWithoutUnitSuffix) {
  meshes::NetworkFileOptions millimetres;
  millimetres.length_unit = 1e-3;
  const std::string plain = write("plain.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}}));
  const Network in_mm = meshes::read_vtp_network(plain, millimetres);
  EXPECT_DOUBLE_EQ(in_mm.x[1], 10e-3);
  EXPECT_DOUBLE_EQ(in_mm.radius[0], 1.5e-3);
  const std::string suffixed =
      write("suffixed.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius_um", {1, 2, 3, 5, 7}}}));
  EXPECT_DOUBLE_EQ(meshes::read_vtp_network(suffixed, millimetres).radius[0], 1.5e-6);  // the name says um
}

TEST_F(VtpReader, ReadsHepaflowOwnOutputBackWithIdsKindsAndLengths) {
  if (!hepaflow::io::vtk_output_available()) GTEST_SKIP() << "built without VTK output";
  Network net;
  net.add_node(11, 0.0, 0.0, 0.0);
  net.add_node(-4, 1.0 / 3.0 * 1e-4, 2e-5, 0.0);
  net.add_node(1000000007, 7e-5, -3e-5, 1e-5);
  net.add_segment(501, 0, 1, 4.321e-6, -1.0, SegmentKind::portal_venule);
  net.add_segment(7, 1, 2, 2.0 / 3.0 * 1e-5, 2.5e-4, SegmentKind::sinusoid);
  net.fill_defaults();
  const std::string file = path("own.vtp");
  hepaflow::io::write_network_vtp(file, net, {});
  const Network read = meshes::read_vtp_network(file);
  ASSERT_EQ(read.node_id, net.node_id);
  ASSERT_EQ(read.segment_id, net.segment_id);
  EXPECT_EQ(read.segment_from, net.segment_from);
  EXPECT_EQ(read.segment_to, net.segment_to);
  EXPECT_EQ(read.kind, net.kind);
  for (std::size_t s = 0; s < 2; ++s) {
    EXPECT_NEAR(read.radius[s], net.radius[s], 1e-15 * net.radius[s]);  // cell radius_um, not the node mean
    EXPECT_NEAR(read.length[s], net.length[s], 1e-15 * net.length[s]);
  }
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(read.x[i], net.x[i], 1e-15 * std::fabs(net.x[i]));
    EXPECT_NEAR(read.y[i], net.y[i], 1e-15 * std::fabs(net.y[i]));
    EXPECT_NEAR(read.z[i], net.z[i], 1e-15 * std::fabs(net.z[i]));
  }
}

// ---- corrupt files ------------------------------------------------------------------------------------

/// A zlib-compressed appended .vtp written by hepaflow's own writer: a random 3-D network large
/// enough that its arrays span many bytes.
std::string write_compressed_network(const std::string& file) {
  Network net;
  std::mt19937 random(3);
  std::uniform_real_distribution<double> position(0.0, 1e-3);
  for (int i = 0; i < 2000; ++i) net.add_node(i, position(random), position(random), position(random));
  for (int s = 0; s < 3000; ++s) {
    const int from = static_cast<int>(random() % 2000);
    net.add_segment(s, from, (from + 1 + static_cast<int>(random() % 1999)) % 2000, 2e-6 + 1e-9 * s);
  }
  net.fill_defaults();
  hepaflow::io::write_network_vtp(file, net, {});
  return read_text(file);
}

TEST_F(BadVtp, CorruptZlibPayloadIsInputErrorAndVtkPrintsNothing) {
  if (!hepaflow::io::vtk_output_available()) GTEST_SKIP() << "built without VTK output";
  const std::string good = write_compressed_network(path("good.vtp"));
  ASSERT_EQ(meshes::read_vtp_network(path("good.vtp")).num_segments(), 3000u);
  const std::size_t data_start = good.find('_', good.find("<AppendedData")) + 1;
  ASSERT_GT(good.size(), data_start + 4000);
  for (double where : {0.2, 0.5, 0.8, 0.95}) {
    std::string bad = good;
    const std::size_t at = data_start + static_cast<std::size_t>(where * (good.size() - data_start - 200));
    for (std::size_t k = 0; k < 48; ++k) bad[at + k] = 'A';  // a valid base64 digit, and a changed raw byte
    const std::string file = write("corrupt.vtp", bad);
    ::testing::internal::CaptureStderr();
    const std::string message = input_error_message([&] { meshes::read_vtp_network(file); });
    const std::string printed = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(message.find("corrupt.vtp"), std::string::npos) << message;
    EXPECT_EQ(printed, "") << "VTK printed while reading a corrupt file";
  }
}

TEST_F(BadVtp, TruncatedFileIsInputError) {
  if (!hepaflow::io::vtk_output_available()) GTEST_SKIP() << "built without VTK output";
  const std::string good = write_compressed_network(path("good.vtp"));
  for (double fraction : {0.0, 0.001, 0.05, 0.2, 0.5, 0.9, 0.999}) {
    const std::string file = write("truncated.vtp", good.substr(0, static_cast<std::size_t>(fraction * good.size())));
    ::testing::internal::CaptureStderr();
    EXPECT_THROW(meshes::read_vtp_network(file), InputError) << "cut at " << fraction;
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "VTK printed while reading a truncated file";
  }
  const std::string ascii = ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}});
  for (std::size_t cut = 0; cut < ascii.size(); cut += 37) {
    const std::string file = write("truncated_ascii.vtp", ascii.substr(0, cut));
    EXPECT_THROW(meshes::read_vtp_network(file), InputError) << "cut at byte " << cut;
  }
}

TEST_F(BadVtp, DeclaredCellsOrPointsWithoutTheirElementsAreInputErrorsNotCrashes) {
  // VTK 9.1 dereferences the elements a piece declares (fuzzing found NumberOfVerts="5" without
  // <Verts> crashing it): each declared kind must come with its element and arrays.
  const std::string good = ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}});
  const auto replaced = [&](std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
    return text;
  };
  const auto expect_refused = [&](const std::string& text, const std::string& words) {
    try {
      meshes::read_vtp_network(write("declared.vtp", text));
      ADD_FAILURE() << "accepted a file that should fail with: " << words;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_refused(replaced(good, "NumberOfVerts=\"0\"", "NumberOfVerts=\"5\""),
                 "declares NumberOfVerts=\"5\" but holds no <Verts>");
  expect_refused(replaced(good, "NumberOfPolys=\"0\"", "NumberOfPolys=\"2\""),
                 "declares NumberOfPolys=\"2\" but holds no <Polys>");
  expect_refused(replaced(good, "Lines>", "LinesGone>"), "holds no <Lines> element");
  expect_refused(replaced(good, "Points>", "PointsGone>"), "missing its Points element");  // VTK says so itself
  // Arrays shorter than their piece's counts: VTK's own errors (a piece without <PointData> crashed
  // VTK 9.1 here, see the fuzz regression inputs; this file has one).
  expect_refused(replaced(good, "NumberOfLines=\"2\"", "NumberOfLines=\"3\""), "\"offsets\" array is not long enough");
  expect_refused(replaced(good, "NumberOfPoints=\"5\"", "NumberOfPoints=\"6\""), "point data array \"radius\"");
  // The crash itself: a cell-data array too short in a piece without <PointData>.
  std::string no_point_data = ascii_vtp(kJunctionPoints, kJunctionLines, {}, {{"radius", {1, 2}}});
  no_point_data = replaced(no_point_data, "      <PointData>\n      </PointData>\n", "");
  ASSERT_EQ(no_point_data.find("<PointData"), std::string::npos);
  expect_refused(replaced(no_point_data, "> 1 2 <", "> 1 <"), "Cannot read cell data array \"radius\"");
  meshes::read_vtp_network(write("declared.vtp", good));  // the unmodified file reads
}

TEST_F(BadVtp, GarbageAndOtherDatasetTypesAreInputErrors) {
  std::mt19937 random(99);
  for (int trial = 0; trial < 20; ++trial) {
    std::string bytes(1 + random() % 3000, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xff);
    EXPECT_THROW(meshes::read_vtp_network(write("garbage.vtp", bytes)), InputError) << "trial " << trial;
  }
  EXPECT_THROW(meshes::read_vtp_network(write("empty.vtp", "")), InputError);
  std::string grid = ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}});
  grid.replace(grid.find("type=\"PolyData\""), 15, "type=\"ImageData\"");
  EXPECT_THROW(meshes::read_vtp_network(write("grid.vtp", grid)), InputError);
  EXPECT_THROW(meshes::read_vtp_network(write("points_only.vtp", ascii_vtp(kJunctionPoints, {}))), InputError);
}

TEST_F(BadVtp, OutOfRangeConnectivityAndBadOffsetsAreInputErrors) {
  const std::string dangling =
      write("dangling.vtp", ascii_vtp(kJunctionPoints, {{0, 1, 2}, {3, 9}}, {{"radius", {1, 2, 3, 5, 7}}}));
  const std::string message = input_error_message([&] { meshes::read_vtp_network(dangling); });
  EXPECT_NE(message.find("refers to point 9"), std::string::npos) << message;
  std::string backwards = ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}});
  const std::string in_order = "\"offsets\" format=\"ascii\"> 3 5";
  ASSERT_NE(backwards.find(in_order), std::string::npos);
  backwards.replace(backwards.find(in_order), in_order.size(), "\"offsets\" format=\"ascii\"> 5 3");
  EXPECT_THROW(meshes::read_vtp_network(write("backwards.vtp", backwards)), InputError);
  const std::string short_radius =
      write("short.vtp", ascii_vtp(kJunctionPoints, kJunctionLines, {}, {{"radius", {1}}}));
  EXPECT_THROW(meshes::read_vtp_network(short_radius), InputError);
}

TEST_F(BadVtp, ImpossibleDeclaredCountsAreInputErrors) {
  std::string huge = ascii_vtp(kJunctionPoints, kJunctionLines, {{"radius", {1, 2, 3, 5, 7}}});
  huge.replace(huge.find("NumberOfPoints=\"5\""), 18, "NumberOfPoints=\"1000000000000\"");
  const std::string message = input_error_message([&] { meshes::read_vtp_network(write("huge.vtp", huge)); });
  EXPECT_NE(message.find("header declares 1e+12 points"), std::string::npos) << message;
}

TEST_F(BadVtp, NonFiniteValuesAreInputErrors) {
  meshes::NetworkFileOptions options;
  const std::string radius = write("nan_radius.vtp", ascii_vtp(kJunctionPoints, kJunctionLines,
                                                             {{"radius", {1, 2, std::nan(""), 5, 7}}}));
  EXPECT_THROW(meshes::read_vtp_network(radius, options), InputError);
  const std::string coordinate = write("inf_point.vtp", ascii_vtp({{0, 0, 0}, {HUGE_VAL, 0, 0}}, {{0, 1}}, {{"radius", {1, 1}}}));
  EXPECT_THROW(meshes::read_vtp_network(coordinate, options), InputError);
}

TEST_F(BadVtp, MissingFileIsIoError) {
  EXPECT_THROW(meshes::read_vtp_network(path("absent.vtp")), IoError);
  EXPECT_THROW(meshes::read_network_file(path("absent.vtp")), IoError);
}

}  // namespace

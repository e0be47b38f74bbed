// Network file readers and writers (meshes/network_io.hpp): Secomb Network.dat and CSV folders —
// units, ids, round trips, format dispatch, and bad input (truncated, garbage, wrong counts,
// dangling references, missing columns) that must end in InputError/IoError, never a crash.
#include "expect_error.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/units.hpp"

namespace {

using hepaflow::BoundaryCondition;
using hepaflow::BoundaryType;
using hepaflow::InputError;
using hepaflow::IoError;
using hepaflow::Network;
using hepaflow::SegmentKind;
namespace meshes = hepaflow::meshes;
namespace units = hepaflow::units;

/// A fresh folder per test, removed afterwards.
class TempFolder : public hepaflow::test::TempFolderTest {};

// Suites named for what they test, so that test names read as sentences.
class SecombDat : public TempFolder {};
class CsvNetwork : public TempFolder {};
class NetworkFile : public TempFolder {};
class BadNetworkInput : public TempFolder {};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using hepaflow::test::input_error_message;

// Hand-made Network.dat: tabs, trailing text and asterisks as in NetFlowV2/GreensV4 files,
// non-sequential names, a segment of type 1 (skipped by NetFlowV2), PO2 in the 5th BC column.
const char* const kSmallDat =
    "Small test network\n"
    "100. 200. 50.\tbox dimensions in microns\n"
    "10 10 1\tnumber of tissue points\n"
    "100.\touter bound distance\n"
    "150.\tmax. segment length\n"
    "4\t\tmaximum number of segments per node\n"
    "4\ttotal number of segments\n"
    "name type from to diam flow hd\n"
    "10 5 101 102 10.0 2.5 0.45 *\n"
    "11 5 102 103 8.0\t1.5\t0.40 *\n"
    "12 4 102 104 6.0 1.0 0.30\n"
    "13 1 103 104 5.0 0.0 0.00 non-flowing sprout\n"
    "4 number of nodes\n"
    "name x y z\n"
    "101 0 0 0 *\n"
    "102 30 40 0\n"
    "103 30 40 12.5\n"
    "104 -10.5 40 0\n"
    "3 number of boundary nodes\n"
    "node bctyp press/flow hd po2\n"
    "101 2 2.5 0.45 50.0 *\n"
    "103 0 13.8 0.45 40.0\n"
    "104 0 10 0.45\n";

TEST_F(SecombDat, ReadsHandWrittenNetworkInSiUnits) {
  std::vector<double> flow;
  const Network net = meshes::read_secomb_dat(write("net.dat", kSmallDat), &flow);
  ASSERT_EQ(net.num_nodes(), 4u);
  ASSERT_EQ(net.num_segments(), 3u);  // type-1 segment 13 skipped
  EXPECT_EQ(net.node_id, (std::vector<std::int64_t>{101, 102, 103, 104}));
  EXPECT_EQ(net.segment_id, (std::vector<std::int64_t>{10, 11, 12}));
  EXPECT_EQ(net.segment_from, (std::vector<hepaflow::index_t>{0, 1, 1}));
  EXPECT_EQ(net.segment_to, (std::vector<hepaflow::index_t>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(net.x[3], -10.5e-6);
  EXPECT_DOUBLE_EQ(net.z[2], 12.5e-6);
  EXPECT_DOUBLE_EQ(net.radius[0], 5e-6);  // diameter 10 um
  EXPECT_DOUBLE_EQ(net.radius[1], 4e-6);
  EXPECT_DOUBLE_EQ(net.length[0], 50e-6);  // 3-4-5 triangle
  EXPECT_DOUBLE_EQ(net.length[1], 12.5e-6);
  EXPECT_EQ(net.haematocrit, (std::vector<double>{0.45, 0.40, 0.30}));
  ASSERT_EQ(flow.size(), 3u);
  EXPECT_DOUBLE_EQ(flow[0], 2.5e-12 / 60.0);
  ASSERT_EQ(net.boundaries.size(), 3u);
  const BoundaryCondition& inflow = net.boundaries[0];
  EXPECT_EQ(inflow.node, 0);
  EXPECT_EQ(inflow.type, BoundaryType::flow);
  EXPECT_DOUBLE_EQ(inflow.value, 2.5 * 1e-12 / 60.0);
  EXPECT_DOUBLE_EQ(inflow.haematocrit, 0.45);
  EXPECT_DOUBLE_EQ(inflow.po2_mmHg, 50.0);
  EXPECT_EQ(net.boundaries[1].type, BoundaryType::pressure);
  EXPECT_DOUBLE_EQ(net.boundaries[1].value, 13.8 * 133.322387415);
  EXPECT_TRUE(std::isnan(net.boundaries[2].po2_mmHg));  // no 5th column
}

TEST_F(SecombDat, AcceptsWindowsLineEndingsAndNoFinalNewline) {
  std::string text = kSmallDat;
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  crlf.erase(crlf.size() - 2);
  const Network net = meshes::read_secomb_dat(write("crlf.dat", crlf));
  EXPECT_EQ(net.num_segments(), 3u);
  ASSERT_EQ(net.boundaries.size(), 3u);
  EXPECT_DOUBLE_EQ(net.boundaries[2].value, 10 * 133.322387415);
}

Network make_test_network() {
  Network net;
  // odd ids and coordinates that are not round in um
  net.add_node(7, 0.0, 0.0, 0.0);
  net.add_node(-3, 1.0 / 3.0 * 1e-5, 2e-5, -4.7e-6);
  net.add_node(1000000007, 5.123456789e-5, 1.1e-6, 3e-6);
  net.add_node(42, 9.87654321e-5, -2.5e-5, 1e-6);
  net.add_segment(5, 0, 1, 4.321e-6);
  net.add_segment(99, 1, 2, 2.0 / 3.0 * 1e-5, -1.0, SegmentKind::sinusoid);
  net.add_segment(2, 1, 3, 3.3e-6, 1.5e-4, SegmentKind::central_vein);
  net.fill_defaults();
  net.haematocrit = {0.45, 0.31, 0.27};
  net.zone[1] = 0.25;
  BoundaryCondition p_in;
  p_in.node = 0;
  p_in.type = BoundaryType::pressure;
  p_in.value = 12.5 * units::mmHg;
  p_in.haematocrit = 0.41;
  p_in.po2_mmHg = 65.0;
  BoundaryCondition q_out;
  q_out.node = 2;
  q_out.type = BoundaryType::flow;
  q_out.value = -1.75 * units::nl_per_min;
  q_out.haematocrit = 0.45;
  q_out.po2_mmHg = 40.0;
  BoundaryCondition p_out;
  p_out.node = 3;
  p_out.type = BoundaryType::pressure;
  p_out.value = 8.0 * units::mmHg;
  p_out.haematocrit = 0.45;
  p_out.po2_mmHg = 30.0;
  net.boundaries = {p_in, q_out, p_out};
  return net;
}

bool same_or_both_nan(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

/// Same ids, topology and BCs; positions/radii/values equal to a relative 1e-15 (um <-> m scaling
/// may change the last bit).
void expect_same_network(const Network& a, const Network& b, bool compare_lengths) {
  const double rel = 1e-15;
  auto near = [rel](double u, double v) { return std::fabs(u - v) <= rel * std::max(std::fabs(u), std::fabs(v)); };
  ASSERT_EQ(a.node_id, b.node_id);
  ASSERT_EQ(a.segment_id, b.segment_id);
  EXPECT_EQ(a.segment_from, b.segment_from);
  EXPECT_EQ(a.segment_to, b.segment_to);
  for (std::size_t i = 0; i < a.num_nodes(); ++i) {
    EXPECT_PRED2(near, a.x[i], b.x[i]) << "node " << a.node_id[i];
    EXPECT_PRED2(near, a.y[i], b.y[i]) << "node " << a.node_id[i];
    EXPECT_PRED2(near, a.z[i], b.z[i]) << "node " << a.node_id[i];
  }
  for (std::size_t s = 0; s < a.num_segments(); ++s) {
    EXPECT_PRED2(near, a.radius[s], b.radius[s]) << "segment " << a.segment_id[s];
    if (compare_lengths) EXPECT_PRED2(near, a.length[s], b.length[s]) << "segment " << a.segment_id[s];
  }
  ASSERT_EQ(a.boundaries.size(), b.boundaries.size());
  for (std::size_t i = 0; i < a.boundaries.size(); ++i) {
    EXPECT_EQ(a.boundaries[i].node, b.boundaries[i].node);
    EXPECT_EQ(a.boundaries[i].type, b.boundaries[i].type);
    EXPECT_PRED2(near, a.boundaries[i].value, b.boundaries[i].value);
    EXPECT_PRED2(same_or_both_nan, a.boundaries[i].haematocrit, b.boundaries[i].haematocrit);
    EXPECT_PRED2(same_or_both_nan, a.boundaries[i].po2_mmHg, b.boundaries[i].po2_mmHg);
  }
}

TEST_F(SecombDat, RoundTripKeepsIdsCoordinatesRadiiAndBoundaries) {
  const Network original = make_test_network();
  const std::vector<double> flow = {3.0 * units::nl_per_min, -0.125 * units::nl_per_min, 1e-15};
  const std::string file = path("round.dat");
  meshes::write_secomb_dat(original, file, &flow);
  std::vector<double> flow_read;
  const Network read = meshes::read_secomb_dat(file, &flow_read);
  expect_same_network(original, read, /*compare_lengths=*/false);  // .dat lengths are Euclidean
  EXPECT_EQ(read.haematocrit, original.haematocrit);
  ASSERT_EQ(flow_read.size(), 3u);
  for (int s = 0; s < 3; ++s) EXPECT_NEAR(flow_read[s], flow[s], 1e-15 * std::fabs(flow[s]));
  EXPECT_NEAR(read.length[1], original.euclidean_length(1), 1e-15 * read.length[1]);
}

TEST_F(SecombDat, WriterTakesHaematocritFromArgumentThenNetworkThenDefault) {
  Network net = make_test_network();
  const std::vector<double> given = {0.1, 0.2, 0.3};
  meshes::write_secomb_dat(net, path("given.dat"), nullptr, &given);
  EXPECT_EQ(meshes::read_secomb_dat(path("given.dat")).haematocrit, given);
  net.haematocrit.clear();
  meshes::write_secomb_dat(net, path("default.dat"));
  EXPECT_EQ(meshes::read_secomb_dat(path("default.dat")).haematocrit, (std::vector<double>{0.45, 0.45, 0.45}));
  const std::vector<double> too_short = {0.1};
  EXPECT_THROW(meshes::write_secomb_dat(net, path("bad.dat"), nullptr, &too_short), InputError);
}

TEST_F(SecombDat, WriterDeclaresEnoughSegmentsPerNodeForNetFlow) {
  Network star;
  star.add_node(1, 0, 0, 0);
  for (int i = 0; i < 6; ++i) {
    star.add_node(2 + i, 1e-5 * std::cos(i), 1e-5 * std::sin(i), 0);
    star.add_segment(i + 1, 0, i + 1, 2e-6);
  }
  star.fill_defaults();
  meshes::write_secomb_dat(star, path("star.dat"));
  std::istringstream lines(read_text(path("star.dat")));
  std::string line;
  for (int i = 0; i < 6; ++i) std::getline(lines, line);
  EXPECT_EQ(std::stoi(line), 6) << "line 6 (nodsegm) must be at least the largest node degree: " << line;
}

TEST_F(CsvNetwork, RoundTripKeepsIdsKindsZonesLengthsAndBoundaries) {
  Network original = make_test_network();
  original.boundaries[1].haematocrit = std::nan("");  // "not given" survives as an empty field
  original.boundaries[1].po2_mmHg = std::nan("");
  meshes::write_csv_network(original, path("csv/out"));
  const Network read = meshes::read_csv_network(path("csv/out"));
  ASSERT_NO_FATAL_FAILURE(expect_same_network(original, read, /*compare_lengths=*/true));
  EXPECT_EQ(read.kind, original.kind);
  EXPECT_EQ(read.haematocrit, original.haematocrit);
  EXPECT_TRUE(std::isnan(read.boundaries[1].haematocrit));
  EXPECT_DOUBLE_EQ(read.zone[1], 0.25);
  EXPECT_TRUE(std::isnan(read.zone[0]));
  EXPECT_DOUBLE_EQ(read.length[2], 1.5e-4);  // a given (tortuous) length, not the Euclidean one
}

TEST_F(CsvNetwork, ReadsColumnsInAnyOrderWithCommentsAndUnitlessColumnsInLengthUnit) {
  write("net/nodes.csv",
        "# positions in mm (length unit)\n"
        "z, y, x, id\n"
        "0, 0, 0, 1   # inlet\n"
        "\n"
        "0, 0.1, 0, 2\n");
  write("net/segments.csv", "radius,to,from,id\n0.004,2,1,7\n");
  write("net/boundary.csv",
        "node,type,value,unit,po2_mmHg\n"
        "1,pressure,2,kPa,\n"
        "2,flow,-0.06,ul/min,35\n");
  const Network net = meshes::read_csv_network(path("net/segments.csv"), 1e-3);  // a file in the folder works too
  ASSERT_EQ(net.num_segments(), 1u);
  EXPECT_DOUBLE_EQ(net.y[1], 1e-4);
  EXPECT_DOUBLE_EQ(net.radius[0], 4e-6);
  EXPECT_DOUBLE_EQ(net.length[0], 1e-4);
  EXPECT_EQ(net.segment_from[0], 0);
  ASSERT_EQ(net.boundaries.size(), 2u);
  EXPECT_DOUBLE_EQ(net.boundaries[0].value, 2000.0);
  EXPECT_TRUE(std::isnan(net.boundaries[0].po2_mmHg));
  EXPECT_DOUBLE_EQ(net.boundaries[1].value, -0.06e-9 / 60.0);
  EXPECT_DOUBLE_EQ(net.boundaries[1].po2_mmHg, 35.0);
  EXPECT_TRUE(net.haematocrit.empty());
}

TEST_F(CsvNetwork, BoundaryFileIsOptional) {
  write("n/nodes.csv", "id,x_um,y_um,z_um\n1,0,0,0\n2,10,0,0\n");
  write("n/segments.csv", "id,from,to,radius_um\n1,1,2,3\n");
  const Network net = meshes::read_csv_network(path("n"));
  EXPECT_EQ(net.num_segments(), 1u);
  EXPECT_TRUE(net.boundaries.empty());
  EXPECT_DOUBLE_EQ(net.length[0], 10e-6);
}

TEST_F(NetworkFile, DispatchesByExtensionAndFolder) {
  const Network net = make_test_network();
  meshes::write_network_file(net, path("a.DAT"));
  meshes::write_network_file(net, path("folder_out"));
  EXPECT_EQ(meshes::detect_network_format(path("a.DAT")), "dat");
  EXPECT_EQ(meshes::detect_network_format(path("folder_out")), "csv");
  EXPECT_EQ(meshes::detect_network_format(path("folder_out/nodes.csv")), "csv");
  EXPECT_EQ(meshes::read_network_file(path("a.DAT")).num_segments(), 3u);
  EXPECT_EQ(meshes::read_network_file(path("folder_out")).num_segments(), 3u);
  meshes::NetworkFileOptions as_dat;
  as_dat.format = "dat";
  write("renamed.txt", read_text(path("a.DAT")));
  EXPECT_EQ(meshes::read_network_file(path("renamed.txt"), as_dat).num_segments(), 3u);
  EXPECT_THROW(meshes::read_network_file(path("renamed.txt")), InputError);  // extension says nothing
  as_dat.format = "xml";
  EXPECT_THROW(meshes::read_network_file(path("a.DAT"), as_dat), InputError);
  const std::string vtp_message = input_error_message([&] { meshes::write_network_file(net, path("x.vtp")); });
  EXPECT_NE(vtp_message.find("write_network_vtp"), std::string::npos) << vtp_message;
}

TEST(SampleNetworks, YBifurcationIsTheSameInDatAndCsv) {
  const std::string folder = std::string(HEPAFLOW_SOURCE_DIR) + "/meshes/samples/y_bifurcation";
  const Network from_dat = meshes::read_network_file(folder + "/network.dat");
  const Network from_csv = meshes::read_network_file(folder);
  ASSERT_EQ(from_dat.num_segments(), 3u);
  ASSERT_NO_FATAL_FAILURE(expect_same_network(from_dat, from_csv, /*compare_lengths=*/true));
  EXPECT_EQ(from_dat.haematocrit, from_csv.haematocrit);
  EXPECT_DOUBLE_EQ(from_dat.radius[2], 3e-6);
  EXPECT_NEAR(from_dat.length[1], std::hypot(100.0, 50.0) * 1e-6, 1e-18);
  EXPECT_DOUBLE_EQ(from_csv.boundaries[0].po2_mmHg, 60.0);
  EXPECT_TRUE(std::isnan(from_dat.boundaries[2].po2_mmHg));
}

// ---- bad input --------------------------------------------------------------------------------------

TEST_F(BadNetworkInput, MissingFilesAreIoErrors) {
  EXPECT_THROW(meshes::read_secomb_dat(path("absent.dat")), IoError);
  EXPECT_THROW(meshes::read_network_file(path("absent.dat")), IoError);
  EXPECT_THROW(meshes::read_csv_network(path("absent_folder")), IoError);
  write("only_nodes/nodes.csv", "id,x_um,y_um,z_um\n1,0,0,0\n");
  EXPECT_THROW(meshes::read_csv_network(path("only_nodes")), IoError);  // segments.csv missing
  std::filesystem::create_directories(path("dir.dat"));
  EXPECT_THROW(meshes::read_secomb_dat(path("dir.dat")), IoError);
}

TEST_F(BadNetworkInput, TruncatedDatIsInputErrorAtEveryCutBeforeTheLastLine) {
  const std::string text = kSmallDat;
  const std::size_t last_line_start = text.rfind('\n', text.size() - 2) + 1;
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    const std::string file = write("cut.dat", text.substr(0, cut));
    if (cut <= last_line_start) {
      EXPECT_THROW(meshes::read_secomb_dat(file), InputError) << "cut at byte " << cut;
    } else {
      // a cut inside the last line may still be a valid file ("10" -> "1"); it must not crash
      try {
        meshes::read_secomb_dat(file);
      } catch (const InputError&) {
      }
    }
  }
}

TEST_F(BadNetworkInput, GarbageIsInputError) {
  std::mt19937 random(12345);
  for (int trial = 0; trial < 50; ++trial) {
    std::string bytes(1 + random() % 4000, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xff);
    const std::string file = write("garbage.dat", bytes);
    EXPECT_THROW(meshes::read_secomb_dat(file), InputError) << "trial " << trial;
    write("g/nodes.csv", bytes);
    write("g/segments.csv", bytes);
    EXPECT_THROW(meshes::read_csv_network(path("g")), InputError) << "trial " << trial;
  }
  // random byte flips in a valid file: InputError or a successful read, never anything else
  const std::string text = kSmallDat;
  for (int trial = 0; trial < 300; ++trial) {
    std::string damaged = text;
    for (int k = 0; k < 3; ++k) damaged[random() % damaged.size()] = static_cast<char>(random() & 0xff);
    const std::string file = write("flipped.dat", damaged);
    try {
      meshes::read_secomb_dat(file);
    } catch (const InputError&) {
    }
  }
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST_F(BadNetworkInput, UnparsableNumbersAreInputErrorsNamingTheLine) {
  for (const char* bad : {"1.2.3", "nan", "inf", "1e999", "0x10", "ten", "+-8", "8.0um"}) {
    const std::string file = write("bad.dat", replace_once(kSmallDat, "8.0\t1.5", std::string(bad) + "\t1.5"));
    const std::string message = input_error_message([&] { meshes::read_secomb_dat(file); });
    EXPECT_NE(message.find("bad.dat:10: diameter"), std::string::npos) << bad << ": " << message;
  }
  const std::string coordinate = write("c.dat", replace_once(kSmallDat, "102 30 40 0", "102 30 NaN 0"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(coordinate); }).find("c.dat:16:"), std::string::npos);
  const std::string name = write("n.dat", replace_once(kSmallDat, "102 30 40 0", "102.5 30 40 0"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(name); }).find("node name is not an integer"),
            std::string::npos);
}

TEST_F(BadNetworkInput, WrongCountsAreInputErrors) {
  const std::string huge = write("huge.dat", replace_once(kSmallDat, "4\ttotal number", "1000000000000\ttotal number"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(huge); }).find("huge.dat:7: the number of segments is 1000000000000 but only"),
            std::string::npos);
  const std::string negative = write("neg.dat", replace_once(kSmallDat, "4 number of nodes", "-4 number of nodes"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(negative); }).find("neg.dat:13: the number of nodes is negative"),
            std::string::npos);
  const std::string too_few_nodes = write("few.dat", replace_once(kSmallDat, "4 number of nodes", "3 number of nodes"));
  EXPECT_THROW(meshes::read_secomb_dat(too_few_nodes), InputError);  // "104 ..." read as the BC count line
  const std::string too_many_bcs = write("bcs.dat", replace_once(kSmallDat, "3 number of boundary", "4 number of boundary"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(too_many_bcs); }).find("only 3 lines follow"),
            std::string::npos);
  const std::string too_few_segments = write("segs.dat", replace_once(kSmallDat, "4\ttotal number", "3\ttotal number"));
  EXPECT_THROW(meshes::read_secomb_dat(too_few_segments), InputError);
}

TEST_F(BadNetworkInput, DanglingReferencesNameTheSegmentAndLine) {
  const std::string file = write("dangling.dat", replace_once(kSmallDat, "11 5 102 103", "11 5 102 999"));
  const std::string message = input_error_message([&] { meshes::read_secomb_dat(file); });
  EXPECT_NE(message.find("dangling.dat:10: segment 11: 'to' node 999 is not in the node list"), std::string::npos)
      << message;
  const std::string bc = write("bc.dat", replace_once(kSmallDat, "104 0 10 0.45", "105 0 10 0.45"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(bc); }).find("bc.dat:23: boundary node 105"),
            std::string::npos);
  write("d/nodes.csv", "id,x_um,y_um,z_um\n1,0,0,0\n2,1,0,0\n");
  write("d/segments.csv", "id,from,to,radius_um\n1,1,2,3\n2,2,3,3\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("d")); })
                .find("segments.csv:3: segment 2: 'to' node 3 is not in nodes.csv"),
            std::string::npos);
}

TEST_F(BadNetworkInput, MissingColumnsAndDuplicatesAreInputErrors) {
  const std::string short_segment = write("short.dat", replace_once(kSmallDat, "12 4 102 104 6.0 1.0 0.30", "12 4 102 104 6.0"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(short_segment); }).find("short.dat:11: expected 7 values"),
            std::string::npos);
  const std::string short_bc = write("bc.dat", replace_once(kSmallDat, "103 0 13.8 0.45 40.0", "103 0"));
  EXPECT_THROW(meshes::read_secomb_dat(short_bc), InputError);
  const std::string twice = write("twice.dat", replace_once(kSmallDat, "103 30 40 12.5", "102 30 40 12.5"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(twice); }).find("node 102 is listed twice (first at line 16)"),
            std::string::npos);
  const std::string bctype = write("type.dat", replace_once(kSmallDat, "104 0 10", "104 3 10"));
  EXPECT_NE(input_error_message([&] { meshes::read_secomb_dat(bctype); }).find("boundary type 3 is not supported"),
            std::string::npos);

  write("c/nodes.csv", "id,x_um,y_um,z_um\n1,0,0,0\n2,1,0,0\n");
  write("c/segments.csv", "id,from,to\n1,1,2\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("segments.csv:1: missing column 'radius_um'"),
            std::string::npos);
  write("c/segments.csv", "id,from,to,radius_um\n1,1,2\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("segments.csv:2: row has 3 fields"),
            std::string::npos);
  write("c/segments.csv", "id,from,to,radius_mm\n1,1,2,3\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("unknown column 'radius_mm'"),
            std::string::npos);
  write("c/segments.csv", "id,from,to,radius_um,radius\n1,1,2,3,3\n");
  EXPECT_THROW(meshes::read_csv_network(path("c")), InputError);
  write("c/segments.csv", "id,from,to,radius_um\n1,1,2,\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("column 'radius_um' is empty"),
            std::string::npos);
  write("c/segments.csv", "id,from,to,radius_um,kind\n1,1,2,3,capillary\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("unknown segment kind 'capillary'"),
            std::string::npos);
  write("c/segments.csv", "id,from,to,radius_um\n1,1,2,3\n");
  write("c/boundary.csv", "node,type,value,unit\n1,pressure,10,nl/min\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("boundary.csv:2: unit 'nl/min' does not fit"),
            std::string::npos);
  write("c/boundary.csv", "node,type,value,unit\n1,pressure,10,mmHg\n1,flow,1,nl/min\n");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("second boundary condition"),
            std::string::npos);
  write("c/boundary.csv", "");
  EXPECT_NE(input_error_message([&] { meshes::read_csv_network(path("c")); }).find("no header row"), std::string::npos);
}

// ---- the mesentery file of shared/validation, damaged -----------------------------------------------

std::string mesentery_path() { return std::string(HEPAFLOW_SHARED_DIR) + "/validation/mesentery/network.dat"; }

TEST_F(BadNetworkInput, TruncatedMesenteryFileIsInputErrorAtEveryTestedCut) {
  if (!std::filesystem::exists(mesentery_path()))
    GTEST_SKIP() << "shared validation data absent: " << mesentery_path();
  const std::string text = read_text(mesentery_path());
  const std::size_t last_line_start = text.rfind('\n', text.size() - 2) + 1;
  std::mt19937 random(7);
  std::vector<std::size_t> cuts = {0, 1, 50, 200, 400, 1000, last_line_start - 1, last_line_start};
  for (const char* marker : {"972 number of nodes", "36 Total number", "Node\t Bctype", "1130 5 2665"})
    cuts.push_back(text.find(marker) + 2);
  for (int i = 0; i < 40; ++i) cuts.push_back(random() % last_line_start);
  for (std::size_t cut : cuts) {
    const std::string file = write("mesentery_cut.dat", text.substr(0, cut));
    EXPECT_THROW(meshes::read_secomb_dat(file), InputError) << "cut at byte " << cut;
  }
}

}  // namespace

// Import of real vessel networks stored as VTK PolyData (shared/validation/vtp, MicrovesselChaste
// test data; read in place, skipped when absent), and damaged copies of them.
//
// Expected counts were obtained independently of VTK and of hepaflow, with a Python script that
// decodes the files with xml/base64/zlib/struct only: segments = sum over polylines of (points - 1),
// minus those whose two end points have identical coordinates; nodes = distinct coordinates among
// the points used by lines (merge tolerance 0), and with a 27-cell hash-grid merge at 1e-3 um
// (= the default tolerance of 1e-9 m) for the default options.
//   file                 points  polylines  sum(k-1)  tol 0: nodes/segments  tol 1 nm: nodes/segments
//   bio_original.vtp      15300     7650      7650        8327 / 7609            8327 / 7609
//   markelc_network.vtp   25312    12656     12656       12377 / 12531          12377 / 12531
//   retinal.vtp            7488     1716      7684        7488 / 7684            7488 / 7684
//   tapmeier_network.vtp    883       77       806         807 / 806              801 / 800
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>
#include <string>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/network_io.hpp"

namespace {

using hepaflow::InputError;
using hepaflow::Network;
namespace meshes = hepaflow::meshes;

std::string vtp_file(const std::string& name) { return std::string(HEPAFLOW_SHARED_DIR) + "/validation/vtp/" + name; }

#define SKIP_WITHOUT(file) \
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "shared validation data absent: " << (file)

struct Expected {
  const char* name;
  std::size_t points;
  std::size_t segments, nodes;                 // default merge tolerance (1 nm)
  std::size_t exact_segments, exact_nodes;     // merge tolerance 0
  double min_radius, max_radius;               // [m]
};

const Expected kNetworks[] = {
    // MicrovesselChaste: cell "Vessel Radius" and point "Node Radius", all 1 (um)
    {"bio_original.vtp", 15300, 7609, 8327, 7609, 8327, 1e-6, 1e-6},
    {"markelc_network.vtp", 25312, 12531, 12377, 12531, 12377, 1e-6, 1e-6},
    // no radius array: imported with default_radius 4 um
    {"retinal.vtp", 7488, 7684, 7488, 7684, 7488, 4e-6, 4e-6},
    // point "Radius" from 0 to 28.7311935 um: segment radius is the mean of its two end points
    {"tapmeier_network.vtp", 883, 800, 801, 806, 807, 0.0, 28.7311935148475e-6},
};

void PrintTo(const Expected& expected, std::ostream* out) { *out << expected.name; }

class VtpImport : public ::testing::TestWithParam<Expected> {};

TEST_P(VtpImport, GivesIndependentlyCountedSegmentsAndMergesCoincidentPoints) {
  const Expected& expected = GetParam();
  const std::string file = vtp_file(expected.name);
  SKIP_WITHOUT(file);
  meshes::NetworkFileOptions options;
  options.default_radius = 4e-6;  // used only by files without a radius array
  const Network net = meshes::read_network_file(file, options);
  EXPECT_EQ(net.num_segments(), expected.segments);
  EXPECT_EQ(net.num_nodes(), expected.nodes);
  // coincident points merged: fewer nodes than points, except in retinal.vtp, whose polylines
  // already share their junction points by id
  if (std::string(expected.name) != "retinal.vtp") EXPECT_LT(net.num_nodes(), expected.points);
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    ASSERT_GE(net.radius[s], expected.min_radius) << "segment " << s;
    ASSERT_LE(net.radius[s], expected.max_radius * (1 + 1e-12)) << "segment " << s;
    ASSERT_GT(net.length[s], 0.0) << "segment " << s;
    ASSERT_NE(net.segment_from[s], net.segment_to[s]) << "segment " << s;
  }
  EXPECT_DOUBLE_EQ(*std::max_element(net.radius.begin(), net.radius.end()), expected.max_radius);

  options.merge_tolerance = 0.0;
  const Network exact = meshes::read_vtp_network(file, options);
  EXPECT_EQ(exact.num_segments(), expected.exact_segments);
  EXPECT_EQ(exact.num_nodes(), expected.exact_nodes);
}

INSTANTIATE_TEST_SUITE_P(SharedVtp, VtpImport, ::testing::ValuesIn(kNetworks),
                         [](const ::testing::TestParamInfo<Expected>& info) {
                           std::string name = info.param.name;
                           return name.substr(0, name.find('.'));
                         });

TEST(VtpImportOptions, FileWithoutRadiusArrayNamesItsArrays) {
  const std::string file = vtp_file("retinal.vtp");
  SKIP_WITHOUT(file);
  try {
    meshes::read_vtp_network(file);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("Distance (point), TCoords (point)"), std::string::npos) << e.what();
  }
}

TEST(VtpImportOptions, RadiusArrayCanBeChosenByName) {
  const std::string file = vtp_file("bio_original.vtp");
  SKIP_WITHOUT(file);
  meshes::NetworkFileOptions options;
  options.radius_array = "Node Radius";
  options.radius_is_diameter = true;
  const Network net = meshes::read_vtp_network(file, options);
  for (double r : net.radius) ASSERT_DOUBLE_EQ(r, 0.5e-6);
}

TEST(DamagedVtp, RandomDamageToRealFilesGivesInputErrorNeverACrash) {
  std::mt19937 random(2024);
  const std::string temp = ::testing::TempDir() + "hf_damaged_" + std::to_string(::getpid()) + ".vtp";
  int damaged_files = 0;
  for (const char* name : {"tapmeier_network.vtp", "retinal.vtp"}) {
    const std::string file = vtp_file(name);
    if (!std::filesystem::exists(file)) continue;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string original = buffer.str();
    meshes::NetworkFileOptions options;
    options.default_radius = 4e-6;
    for (int trial = 0; trial < 60; ++trial) {
      std::string damaged = original;
      switch (trial % 3) {
        case 0:  // a few random bytes anywhere
          for (int k = 0; k < 4; ++k) damaged[random() % damaged.size()] = static_cast<char>(random() & 0xff);
          break;
        case 1:  // a run of garbage inside the compressed data
          for (std::size_t at = damaged.size() / 2 + random() % (damaged.size() / 3), k = 0; k < 32; ++k)
            damaged[at + k] = static_cast<char>(random() & 0xff);
          break;
        default:  // truncated
          damaged.resize(random() % damaged.size());
      }
      std::ofstream(temp, std::ios::binary) << damaged;
      try {
        meshes::read_vtp_network(temp, options);  // damage in an unused byte may still read
      } catch (const InputError&) {
      }
      ++damaged_files;
    }
  }
  std::filesystem::remove(temp);
  if (damaged_files == 0) GTEST_SKIP() << "shared validation data absent: " << vtp_file("");
}

}  // namespace

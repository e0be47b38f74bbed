// hepaflow generate and convert: networks written in every format read back with the same structure.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"
#include "hepaflow/meshes/network_io.hpp"

namespace hepaflow {
namespace {

using test::run_hepaflow;

TEST(GenerateConvert, LobuleRoundTripsThroughDatCsvAndVtp) {
  test::TempDir dir;
  const auto g = run_hepaflow("generate lobule --preset rat --layers 3 --seed 4 -o " + dir.file("lobule.dat"));
  ASSERT_EQ(g.exit_code, 0) << g.output;
  const Network dat = meshes::read_secomb_dat(dir.file("lobule.dat"));
  EXPECT_GT(dat.num_segments(), 1000u);
  EXPECT_EQ(run_hepaflow("convert " + dir.file("lobule.dat") + " " + dir.file("csv")).exit_code, 0);
  const Network csv = meshes::read_csv_network(dir.file("csv"));
  EXPECT_EQ(csv.num_segments(), dat.num_segments());
  EXPECT_EQ(csv.boundaries.size(), dat.boundaries.size());
#ifdef HEPAFLOW_WITH_VTK
  ASSERT_EQ(run_hepaflow("convert " + dir.file("csv") + " " + dir.file("lobule.vtp")).exit_code, 0);
  ASSERT_EQ(run_hepaflow("convert " + dir.file("lobule.vtp") + " " + dir.file("back.dat")).exit_code, 0);
  const Network back = meshes::read_secomb_dat(dir.file("back.dat"));
  EXPECT_EQ(back.num_segments(), dat.num_segments());
  EXPECT_EQ(back.num_nodes(), dat.num_nodes());
  for (std::size_t s = 0; s < dat.num_segments(); s += 97) EXPECT_NEAR(back.radius[s], dat.radius[s], 1e-12);
#endif
}

TEST(GenerateConvert, BadArgumentsAreUsageOrInputErrors) {
  test::TempDir dir;
  EXPECT_EQ(run_hepaflow("generate spiral -o " + dir.file("x.dat")).exit_code, 2);
  EXPECT_EQ(run_hepaflow("generate grid --size 3 3 -o " + dir.file("x.dat")).exit_code, 3);
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.dat")));
  EXPECT_EQ(run_hepaflow("convert " + dir.file("missing.dat") + " " + dir.file("y.dat")).exit_code, 4);
  EXPECT_EQ(run_hepaflow("convert a.dat b.dat --length-unit 3").exit_code, 2);
}

}  // namespace
}  // namespace hepaflow

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

namespace hepaflow {
namespace {

#ifdef HEPAFLOW_WITH_VTK
TEST(GenerateConvert, ResultVtpCarriesFlowAndHaematocritIntoNetworkDat) {
  test::TempDir dir;
  const std::string net_dir = dir.file("net");
  ASSERT_EQ(test::run_hepaflow("generate tree --size 5 -o " + net_dir).exit_code, 0);
  const std::string case_path = dir.write("case.toml", "schema_version = 1\n[case]\nname = \"tree\"\n[network]\nfile = \"net\"\n"
                                                       "[blood]\nviscosity_law = \"pries1994_invivo\"\n"
                                                       "phase_separation = \"pries_secomb_2005\"\n");
  const auto r = test::run_hepaflow("run " + case_path + " -o " + dir.file("out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(test::run_hepaflow("convert " + dir.file("out/network_000000.vtp") + " " + dir.file("result.dat")).exit_code, 0);
  std::vector<double> flow;
  const Network back = meshes::read_secomb_dat(dir.file("result.dat"), &flow);
  ASSERT_EQ(back.num_segments(), 31u);
  // Root segment carries the whole flow; Murray-symmetric tree: every leaf carries 1/16 of it and
  // (equal daughters: no skimming) the inflow haematocrit 0.45.
  EXPECT_GT(std::abs(flow[0]), 0.0);
  EXPECT_NEAR(std::abs(flow[30]) / std::abs(flow[0]), 1.0 / 16, 1e-6);
  EXPECT_NEAR(back.haematocrit[30], 0.45, 1e-5);
}
#endif

}  // namespace
}  // namespace hepaflow

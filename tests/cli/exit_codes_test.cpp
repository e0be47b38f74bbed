// The program's exit codes and messages for good and bad input (DESIGN.md: 0 ok, 1 runtime, 2 usage,
// 3 invalid case/network, 4 I/O, 5 no convergence, 6 backend unavailable).
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"

namespace hepaflow {
namespace {

namespace fs = std::filesystem;
using test::run_hepaflow;
using test::TempDir;

const std::string demo_case = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/healthy_lobule/case.toml";

/// A 3-segment CSV network (nodes 1-2-3-4 in a line) and a case that runs it.
std::string write_chain_case(const TempDir& dir, const std::string& radius_of_segment_2 = "4",
                             const std::string& extra = "") {
  dir.write("net/nodes.csv", "id,x_um,y_um,z_um\n1,0,0,0\n2,100,0,0\n3,200,0,0\n4,300,0,0\n");
  dir.write("net/segments.csv", "id,from,to,radius_um\n1,1,2,4\n2,2,3," + radius_of_segment_2 + "\n3,3,4,4\n");
  return dir.write("case.toml", "schema_version = 1\n[case]\nname = \"chain\"\n[network]\nfile = \"net\"\n"
                                "[[boundary.node]]\nid = 1\npressure = \"6 mmHg\"\n"
                                "[[boundary.node]]\nid = 4\npressure = \"4 mmHg\"\n" +
                                    extra);
}

TEST(Cli, VersionAndHelpExitZero) {
  const auto v = run_hepaflow("--version");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("hepaflow 0."), std::string::npos) << v.output;
  EXPECT_EQ(run_hepaflow("--help").exit_code, 0);
  EXPECT_EQ(run_hepaflow("run --help").exit_code, 0);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_hepaflow("").exit_code, 2);
  EXPECT_EQ(run_hepaflow("frobnicate").exit_code, 2);
  const auto r = run_hepaflow("run " + demo_case + " --backend gpu");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("usage error"), std::string::npos) << r.output;
}

TEST(Cli, ValidChainRunsAndWritesEveryOutputFile) {
  TempDir dir;
  const auto r = run_hepaflow("run " + write_chain_case(dir) + " --output " + dir.file("out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"summary.json", "run_info.json", "case.resolved.toml", "log.txt"})
    EXPECT_TRUE(fs::exists(dir.file(std::string("out/") + f))) << f;
#ifdef HEPAFLOW_WITH_VTK
  EXPECT_TRUE(fs::exists(dir.file("out/network_000000.vtp")));
  EXPECT_TRUE(fs::exists(dir.file("out/network.pvd")));
#endif
  for (const auto& entry : fs::directory_iterator(dir.file("out")))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << "left a temporary: " << entry.path();
}

TEST(Cli, InvalidCaseExitsThreeWithFileLineColumnAndWritesNothing) {
  TempDir dir;
  const std::string case_path = write_chain_case(dir, "4", "[blood]\nviscosity = 3.5\nviscositty = \"3 cP\"\n");
  const auto r = run_hepaflow("run " + case_path + " --output " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find(case_path + ":13:13: blood.viscosity = 3.5 needs a unit"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("out")));
  EXPECT_EQ(run_hepaflow("check " + case_path).exit_code, 3);
}

TEST(Cli, InvalidNetworkExitsThreeNamingTheSegmentAndWritesNothing) {
  TempDir dir;
  const auto r = run_hepaflow("run " + write_chain_case(dir, "-4") + " --output " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("non-positive or non-finite radius (segment ids) (1): 2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

TEST(Cli, FloatingComponentIsAnErrorUnlessDropped) {
  TempDir dir;
  const std::string case_path = write_chain_case(dir);
  dir.write("net/nodes.csv", "id,x_um,y_um,z_um\n1,0,0,0\n2,100,0,0\n3,200,0,0\n4,300,0,0\n5,0,50,0\n6,0,90,0\n");
  dir.write("net/segments.csv", "id,from,to,radius_um\n1,1,2,4\n2,2,3,4\n3,3,4,4\n9,5,6,4\n");
  const auto r = run_hepaflow("check " + case_path);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("without a pressure boundary"), std::string::npos) << r.output;
  const auto dropped = run_hepaflow("check " + case_path + " --set network.drop_unconnected=true");
  EXPECT_EQ(dropped.exit_code, 0) << dropped.output;
  EXPECT_NE(dropped.output.find("dropped 1 segments"), std::string::npos) << dropped.output;
}

TEST(Cli, UnknownBoundaryNodeIdIsNamedWithTheCaseLine) {
  TempDir dir;
  const std::string case_path =
      write_chain_case(dir, "4", "[[boundary.node]]\nid = 77\nflow = \"1 nl/min\"\n");
  const auto r = run_hepaflow("check " + case_path);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("id = 77: the network has no node with this id"), std::string::npos) << r.output;
}

TEST(Cli, MissingCaseFileExitsFour) {
  const auto r = run_hepaflow("run /nonexistent/case.toml");
  EXPECT_EQ(r.exit_code, 4) << r.output;
}

TEST(Cli, NonEmptyOutputFolderIsRefusedWithoutOverwrite) {
  TempDir dir;
  const std::string case_path = write_chain_case(dir);
  dir.write("out/keep.txt", "precious");
  const auto r = run_hepaflow("run " + case_path + " --output " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("--overwrite"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("out/summary.json")));
  EXPECT_EQ(run_hepaflow("run " + case_path + " --output " + dir.file("out") + " --overwrite -q").exit_code, 0);
}

TEST(Cli, NonConvergenceExitsFiveWithTheResidual) {
  TempDir dir;
  const std::string case_path = write_chain_case(dir);
  // The demo lobule cannot converge to 1e-14 in 2 iterations.
  const auto r = run_hepaflow("run " + demo_case + " --output " + dir.file("out") +
                              " --set solver.max_iterations=2 --set solver.tolerance=1e-14 -q");
  EXPECT_EQ(r.exit_code, 5) << r.output;
  EXPECT_NE(r.output.find("did not converge: relative residual"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("out/summary.json")));
}

TEST(Cli, CudaBackendWithoutGpuExitsSix) {
  const auto info = run_hepaflow("info");
  ASSERT_EQ(info.exit_code, 0) << info.output;
  if (info.output.find("cuda  unavailable") == std::string::npos) GTEST_SKIP() << "a CUDA device is present";
  TempDir dir;
  const auto r = run_hepaflow("run " + write_chain_case(dir) + " --backend cuda --output " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 6) << r.output;
  EXPECT_NE(r.output.find("backend 'cuda' is not available"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

TEST(Cli, CorruptNetworkFileExitsThree) {
  TempDir dir;
  const std::string dat = dir.write("bad.dat", "title\n1 2 3 box\n10 10 10\n100\n150\n4\n3 total number of segments\n"
                                               "name type from to diam flow hd\n1 5 1 2 8 0 0.45\n2 5 2 zz 8 0 0.4\n");
  const auto r = run_hepaflow("convert " + dat + " " + dir.file("out.dat"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("bad.dat:"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.file("out.dat")));
}

TEST(Cli, SetOverridesReachTheResolvedCase) {
  TempDir dir;
  const auto r = run_hepaflow("run " + write_chain_case(dir) + " --output " + dir.file("out") +
                              " --set blood.viscosity='\"4 cP\"' -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir.file("out/case.resolved.toml"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("4 cP"), std::string::npos) << text;
}

}  // namespace
}  // namespace hepaflow

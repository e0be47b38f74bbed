// The rat_mesentery case through the program: converged results, non-convergence as exit code 5,
// and solver.allow_unconverged writing results flagged as unconverged.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.hpp"

namespace hepaflow {
namespace {

const std::string mesentery_case = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/rat_mesentery/case.toml";

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class RatMesenteryCase : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(std::string(HEPAFLOW_SHARED_DIR) + "/validation/mesentery/network.dat"))
      GTEST_SKIP() << "validation data absent";
  }
  test::TempDir dir;
};

TEST_F(RatMesenteryCase, ConvergesAndLogsEveryRheologyIteration) {
  const auto r = test::run_hepaflow("run " + mesentery_case + " -o " + dir.file("out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string summary = read(dir.file("out/summary.json"));
  EXPECT_NE(summary.find("\"rheology_converged\": true"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"zero_flow_segments\": 0"), std::string::npos) << summary;
  const std::string log = read(dir.file("out/log.txt"));
  EXPECT_NE(log.find("rheology iteration 1:"), std::string::npos) << log;
  EXPECT_NE(log.find("rheology iteration 20:"), std::string::npos) << log;
}

TEST_F(RatMesenteryCase, NonConvergenceExitsFiveUnlessAllowed) {
  const auto r = test::run_hepaflow("run " + mesentery_case + " -o " + dir.file("out") +
                                    " --set solver.rheology_max_iterations=3 -q");
  EXPECT_EQ(r.exit_code, 5) << r.output;
  EXPECT_NE(r.output.find("rheology loop did not converge in 3 iterations"), std::string::npos) << r.output;
  // The method (the case sets NetFlowV2's picard) and the residual history are named.
  EXPECT_NE(r.output.find("damped Picard (final relaxation 1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("max |dH_D| of iterations 1..3: "), std::string::npos) << r.output;
  const auto anderson = test::run_hepaflow("run " + mesentery_case + " -o " + dir.file("out3") +
                                           " --set solver.rheology_max_iterations=2 --set solver.rheology_acceleration=\"anderson\" -q");
  EXPECT_EQ(anderson.exit_code, 5) << anderson.output;
  EXPECT_NE(anderson.output.find("rheology loop did not converge in 2 iterations"), std::string::npos) << anderson.output;
  EXPECT_NE(anderson.output.find("Anderson acceleration (depth 5, mixing 0.5): 1 Anderson steps, 0 rejected"),
            std::string::npos) << anderson.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("out/summary.json")));
  const auto allowed = test::run_hepaflow("run " + mesentery_case + " -o " + dir.file("out2") +
                                          " --set solver.rheology_max_iterations=3 --set solver.allow_unconverged=true");
  ASSERT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("RESULTS ARE NOT CONVERGED"), std::string::npos) << allowed.output;
  EXPECT_NE(read(dir.file("out2/summary.json")).find("\"rheology_converged\": false"), std::string::npos);
}

}  // namespace
}  // namespace hepaflow

// `mpirun -n 2 hepaflow sweep`: members spread over two ranks give the same sweep.csv, byte for
// byte, as one process (and as `mpirun -n 1`); a failing member is recorded and the others run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.hpp"

namespace hepaflow {
namespace {

using test::run_hepaflow;
using test::TempDir;

const std::string sweep_args =
    " sweep " + std::string(HEPAFLOW_SOURCE_DIR) + "/cases/healthy_lobule/case.toml" +
    " --set network.layers=2 --set network.rings=4 --set solver.method=pcg"
    // max_iterations = 1 cannot converge: those members fail (exit 5), the others must still run.
    " --param blood.haematocrit=0.3,0.4,0.45 --param solver.max_iterations=1,1000 -q -o ";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

test::CommandResult mpirun(int ranks, const std::string& out) {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);  // CI runs as root
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  // run_hepaflow() prefixes the program; mpirun goes in front of it through the shell.
  const std::string command = std::string(HEPAFLOW_MPIRUN) + " -n " + std::to_string(ranks) +
                              " --oversubscribe --bind-to none " + HEPAFLOW_BINARY + sweep_args + out + " 2>&1";
  test::CommandResult r;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

TEST(MpiSweep, TwoRanksWriteTheSameTableAsOneProcess) {
  TempDir dir;
  const std::string one = dir.file("one"), one_rank = dir.file("one_rank"), two = dir.file("two");
  const auto r1 = run_hepaflow(sweep_args + one);
  EXPECT_EQ(r1.exit_code, 5) << r1.output;  // 3 members did not converge
  const auto r1m = mpirun(1, one_rank);
  EXPECT_EQ(r1m.exit_code, 5) << r1m.output;
  const auto r2 = mpirun(2, two);
  EXPECT_EQ(r2.exit_code, 5) << r2.output;
  EXPECT_NE(r2.output.find("3 of 6 members failed"), std::string::npos) << r2.output;

  const std::string table = read_text(one + "/sweep.csv");
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 7);  // header + 6 members
  EXPECT_EQ(read_text(one_rank + "/sweep.csv"), table);
  EXPECT_EQ(read_text(two + "/sweep.csv"), table);
  // The failed members are in the table, the converged ones have numbers.
  EXPECT_NE(table.find("\n0,run_000,0.3,1,failed: exit 5,"), std::string::npos) << table;
  EXPECT_NE(table.find("\n1,run_001,0.3,1000,ok,"), std::string::npos) << table;
  // Both ranks ran members (sweep_log.txt names the rank of each when there are several).
  const std::string log = read_text(two + "/sweep_log.txt");
  EXPECT_NE(log.find("rank 0"), std::string::npos) << log;
  EXPECT_NE(log.find("rank 1"), std::string::npos) << log;
  // Every member's own folder exists, written by whichever rank ran it.
  for (const char* m : {"run_001", "run_003", "run_005"})
    EXPECT_TRUE(std::filesystem::exists(two + "/" + m + "/summary.json")) << m;
}

TEST(MpiSweep, OutputFolderErrorEndsEveryRankWithExitCode4) {
  TempDir dir;
  const std::string out = dir.write("taken/keep.txt", "x");
  const auto r = mpirun(2, dir.file("taken"));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("exists and is not empty"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("taken") + "/sweep.csv"));
}

}  // namespace
}  // namespace hepaflow

// hepaflow sweep: the product of --param lists run as child `hepaflow run` processes, tabulated in
// sweep.csv; up-front validation, the bare-number unit rule, failed members, and the history.csv
// arithmetic (history_metrics(), compiled into this test from solver/app/sweep_command.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_runner.hpp"
#include "commands.hpp"
#include "hepaflow/error.hpp"

namespace hepaflow {
namespace {

namespace fs = std::filesystem;
using test::run_hepaflow;
using test::TempDir;

const std::string demo_case = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/healthy_lobule/case.toml";
// A small lobule (601 segments): each member runs in a fraction of a second.
const std::string small = " --set network.layers=2 --set network.rings=6";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// sweep.csv as rows of column name -> field (quoted fields with commas and "" handled).
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path, std::vector<std::string>* header) {
  std::istringstream in(read_text(path));
  std::string line;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') fields.back() += line[++i];
      else if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) fields.emplace_back();
      else fields.back() += c;
    }
    rows.push_back(fields);
  }
  std::vector<std::map<std::string, std::string>> out;
  if (rows.empty()) return out;
  *header = rows[0];
  for (std::size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].size(), header->size()) << "row " << r;
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < rows[r].size() && c < header->size(); ++c) row[(*header)[c]] = rows[r][c];
    out.push_back(row);
  }
  return out;
}

/// A top-level number of a summary.json ("key": value).
double json_number(const std::string& text, const std::string& key) {
  const auto at = text.find("\"" + key + "\":");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(text.c_str() + at + key.size() + 3, nullptr);
}

TEST(Sweep, TwoByTwoTabulatesEveryMemberWithItsOwnSummaryValues) {
  TempDir dir;
  const std::string out = dir.file("sweep");
  const auto r = run_hepaflow("sweep " + demo_case + small +
                              " --param blood.haematocrit=0.3,0.45 --param solver.tolerance=1e-8,1e-10 --jobs 2 -o " +
                              out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> header;
  const auto rows = read_csv(out + "/sweep.csv", &header);
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_GE(header.size(), 6u);
  EXPECT_EQ(header[0], "run");
  EXPECT_EQ(header[1], "folder");
  EXPECT_EQ(header[2], "blood.haematocrit");
  EXPECT_EQ(header[3], "solver.tolerance");
  EXPECT_EQ(header[4], "status");
  // The first --param varies slowest.
  const char* hd[] = {"0.3", "0.3", "0.45", "0.45"};
  const char* tol[] = {"1e-8", "1e-10", "1e-8", "1e-10"};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& row = rows[i];
    EXPECT_EQ(row.at("run"), std::to_string(i));
    EXPECT_EQ(row.at("folder"), "run_00" + std::to_string(i));
    EXPECT_EQ(row.at("blood.haematocrit"), hd[i]);
    EXPECT_EQ(row.at("solver.tolerance"), tol[i]);
    EXPECT_EQ(row.at("status"), "ok");
    const std::string summary = read_text(out + "/" + row.at("folder") + "/summary.json");
    ASSERT_FALSE(summary.empty()) << row.at("folder");
    ASSERT_EQ(row.count("final_total_inflow_nl_per_min"), 1u);
    EXPECT_EQ(std::strtod(row.at("final_total_inflow_nl_per_min").c_str(), nullptr),
              json_number(summary, "total_inflow_nl_per_min"))
        << row.at("folder");
  }
  // Pries in vivo viscosity rises with the haematocrit: less inflow at 0.45 than at 0.3.
  for (std::size_t i = 0; i < 2; ++i)
    EXPECT_GT(std::strtod(rows[i].at("final_total_inflow_nl_per_min").c_str(), nullptr),
              std::strtod(rows[i + 2].at("final_total_inflow_nl_per_min").c_str(), nullptr));
  // One log line per member with its exit code.
  const std::string log = read_text(out + "/sweep_log.txt");
  EXPECT_NE(log.find("1  blood.haematocrit=0.3 solver.tolerance=1e-10  exit 0"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 4) << log;
}

TEST(Sweep, InvalidMemberExitsThreeNamingItsValuesBeforeAnythingIsWritten) {
  TempDir dir;
  const std::string out = dir.file("sweep");
  const auto r = run_hepaflow("sweep " + demo_case + small + " --param blood.haematocrit=0.3,1.5 -o " + out);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("run_001 (blood.haematocrit=1.5)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("out of range"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("run_000"), std::string::npos) << "the valid member is no problem: " << r.output;
  EXPECT_FALSE(fs::exists(out));
}

TEST(Sweep, BareNumberForAQuantityGetsTheKeysUnit) {
  TempDir dir;
  const std::string out = dir.file("sweep");
  const auto r = run_hepaflow("sweep " + demo_case + small +
                              " --set blood.viscosity_law=constant --param blood.viscosity=3,4 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("blood.viscosity needs a unit: bare numbers taken in cP"), std::string::npos) << r.output;
  std::vector<std::string> header;
  const auto rows = read_csv(out + "/sweep.csv", &header);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("blood.viscosity"), "3 cP");
  EXPECT_EQ(rows[1].at("blood.viscosity"), "4 cP");
  // Constant viscosity at fixed pressures: inflow goes as 1 / viscosity.
  const double q3 = std::strtod(rows[0].at("final_total_inflow_nl_per_min").c_str(), nullptr);
  const double q4 = std::strtod(rows[1].at("final_total_inflow_nl_per_min").c_str(), nullptr);
  EXPECT_NEAR(q3 / q4, 4.0 / 3.0, 1e-6);
}

TEST(Sweep, FailedMemberIsRecordedAndTheOthersStillRun) {
  TempDir dir;
  const std::string out = dir.file("sweep");
  // One PCG iteration cannot reach the tolerance: that member exits 5 (no convergence).
  const auto r = run_hepaflow("sweep " + demo_case + small +
                              " --set solver.method=pcg --param solver.max_iterations=1,1000 -q -o " + out);
  EXPECT_EQ(r.exit_code, 5) << r.output;
  EXPECT_NE(r.output.find("1 of 2 members failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run_000 (solver.max_iterations=1): failed: exit 5"), std::string::npos) << r.output;
  std::vector<std::string> header;
  const auto rows = read_csv(out + "/sweep.csv", &header);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("status"), "failed: exit 5");
  EXPECT_EQ(rows[0].at("final_total_inflow_nl_per_min"), "");
  EXPECT_EQ(rows[1].at("status"), "ok");
  EXPECT_NE(rows[1].at("final_total_inflow_nl_per_min"), "");
  const std::string log = read_text(out + "/sweep_log.txt");
  EXPECT_NE(log.find("exit 5"), std::string::npos) << log;
  EXPECT_NE(log.find("did not converge"), std::string::npos) << "the member's stderr: " << log;
  EXPECT_TRUE(fs::exists(out + "/run_000/stderr.txt"));
}

TEST(Sweep, NonEmptyOutputFolderExitsFourUnlessOverwrite) {
  TempDir dir;
  const std::string out = dir.write("sweep/keep.txt", "x");
  const std::string folder = dir.file("sweep");
  const std::string command = "sweep " + demo_case + small + " --param solver.tolerance=1e-8 -q -o " + folder;
  const auto r = run_hepaflow(command);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_FALSE(fs::exists(folder + "/run_000"));
  const auto again = run_hepaflow(command + " --overwrite");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(fs::exists(folder + "/sweep.csv"));
}

TEST(SweepValues, SplitOnCommasOutsideBracketsAndQuotes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(app::split_sweep_values("0.3, 0.45"), (V{"0.3", "0.45"}));
  EXPECT_EQ(app::split_sweep_values("[1,2],[3, 4]"), (V{"[1,2]", "[3, 4]"}));
  EXPECT_EQ(app::split_sweep_values("\"a,b\",'c,d',e"), (V{"\"a,b\"", "'c,d'", "e"}));
  EXPECT_EQ(app::split_sweep_values("\"x\\\",y\",z"), (V{"\"x\\\",y\"", "z"}));
  EXPECT_EQ(app::split_sweep_values("1e6 cells/kg"), (V{"1e6 cells/kg"}));
}

TEST(SweepMetrics, HistoryFinalTrapezoidMeanAndChangeOverUnevenSteps) {
  // Steps of 1 d and 3 d: po2 trapezoid = (10+20)/2*1 + (20+40)/2*3 = 105 over 4 d = 26.25 (the
  // plain row mean would be 23.33). segments and step are bookkeeping, not metrics.
  const auto m = app::history_metrics("step,time_d,po2_mmHg,segments,flow\n"
                                      "0,0,10,5,1\n"
                                      "1,1,20,5,2\n"
                                      "2,4,40,6,2\n");
  const std::vector<std::pair<std::string, double>> expected{
      {"final_po2_mmHg", 40}, {"mean_po2_mmHg", 26.25}, {"change_po2_mmHg", 30},
      {"final_flow", 2},      {"mean_flow", 1.875},     {"change_flow", 1}};
  ASSERT_EQ(m.size(), expected.size());
  for (std::size_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(m[i].first, expected[i].first);
    EXPECT_DOUBLE_EQ(m[i].second, expected[i].second) << m[i].first;
  }
}

TEST(SweepMetrics, HistoryWithOneRowHasItsValueAsMeanAndNoChange) {
  const auto m = app::history_metrics("step,time_d,x\r\n0,0,7.5\r\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].first, "mean_x");
  EXPECT_EQ(m[1].second, 7.5);
  EXPECT_EQ(m[2].second, 0);
}

TEST(SweepMetrics, MalformedHistoryIsAnInputError) {
  EXPECT_THROW(app::history_metrics(""), InputError);
  EXPECT_THROW(app::history_metrics("step,time_d,x\n"), InputError);
  EXPECT_THROW(app::history_metrics("step,x\n0,1\n"), InputError);
  EXPECT_THROW(app::history_metrics("step,time_d,x\n0,0,abc\n"), InputError);
  EXPECT_THROW(app::history_metrics("step,time_d,x\n0,0\n"), InputError);
  EXPECT_THROW(app::history_metrics("step,time_d,x\n0,2,1\n1,1,1\n"), InputError);
}

TEST(SweepMetrics, SummaryGivesEveryTopLevelNumber) {
  const auto m = app::summary_metrics(
      "{\n  \"case\": \"a, \\\"b\\\"\",\n  \"segments\": 12,\n  \"inflow\": -1.5e-3,\n  \"converged\": true,\n"
      "  \"nested\": {\"x\": 1, \"s\": \"}\"},\n  \"missing\": null,\n  \"list\": [1, 2],\n  \"last\": 2\n}\n");
  const std::vector<std::pair<std::string, double>> expected{
      {"final_segments", 12}, {"final_inflow", -1.5e-3}, {"final_last", 2}};
  EXPECT_EQ(m, expected);
  EXPECT_THROW(app::summary_metrics("[1]"), InputError);
  EXPECT_THROW(app::summary_metrics("{\"a\": 1"), InputError);
}

}  // namespace
}  // namespace hepaflow

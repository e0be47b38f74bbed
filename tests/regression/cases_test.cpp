// Regression: every cases/<name>/ with expected/summary.json is run and its summary.json compared with
// the expected values: relative tolerance 1e-6 for physics numbers (runs are deterministic on a
// backend; the tolerance absorbs solver rounding), +-20 % for solver iterations (they depend on the
// backend's reduction order). Counts must match exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "cli_runner.hpp"

namespace hepaflow {
namespace {

namespace fs = std::filesystem;

/// Numeric members "key": number of a flat JSON object (what summary.json holds at its top level).
std::map<std::string, double> numbers_in(const std::string& path) {
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::map<std::string, double> values;
  const std::regex member("\"([A-Za-z0-9_]+)\"\\s*:\\s*(-?[0-9][0-9.eE+-]*)");
  for (std::sregex_iterator it(text.begin(), text.end(), member), end; it != end; ++it)
    values[(*it)[1]] = std::stod((*it)[2]);
  return values;
}

TEST(Cases, EveryCaseReproducesItsExpectedSummary) {
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(HEPAFLOW_SOURCE_DIR) / "cases")) {
    const fs::path expected = entry.path() / "expected" / "summary.json";
    if (!fs::exists(expected)) continue;
    std::ifstream case_file(entry.path() / "case.toml");
    const std::string case_text((std::istreambuf_iterator<char>(case_file)), std::istreambuf_iterator<char>());
    if (case_text.find("shared/validation/") != std::string::npos &&
        !fs::exists(std::string(HEPAFLOW_SHARED_DIR) + "/validation")) {
      std::cout << "skipping " << entry.path().filename() << ": it reads ../shared/validation, which is absent\n";
      continue;
    }
    test::TempDir dir;
    const auto r = test::run_hepaflow("run " + (entry.path() / "case.toml").string() + " --output " + dir.file("out") +
                                      " --backend cpu -q");
    ASSERT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.output;
    const auto want = numbers_in(expected.string());
    const auto got = numbers_in(dir.file("out/summary.json"));
    ASSERT_FALSE(want.empty());
    for (const auto& [key, value] : want) {
      ASSERT_TRUE(got.count(key)) << entry.path().filename() << ": summary.json lacks " << key;
      const double tol = key == "solver_iterations" ? 0.2 : 1e-6;
      EXPECT_NEAR(got.at(key), value, tol * std::abs(value)) << entry.path().filename() << ": " << key;
    }
    ++compared;
  }
  EXPECT_GE(compared, 1) << "no case has expected/summary.json";
}

}  // namespace
}  // namespace hepaflow

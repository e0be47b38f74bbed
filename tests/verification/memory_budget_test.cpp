// The memory estimate of a run (memory_budget.hpp) against the peak RSS (getrusage ru_maxrss, via
// wait4) of real `hepaflow run` child processes on a mid-size network: the estimate must lie within
// a factor 2 of the measured growth (peak RSS of the run minus that of a run on a 601-segment
// lobule, i.e. the program and its libraries). Each run takes 1-3 s.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "hepaflow/config/case_config.hpp"
#include "hepaflow/io/network_output.hpp"
#include "hepaflow/memory_budget.hpp"
#include "hepaflow/meshes/generators.hpp"

extern char** environ;

namespace hepaflow {
namespace {

using test::TempDir;

const std::string lobule_case = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/healthy_lobule/case.toml";
const std::string therapy_case = std::string(HEPAFLOW_SOURCE_DIR) + "/cases/msc_dose_response/case.toml";

/// Peak RSS [bytes] of `hepaflow run CASE -o OUT -q --set ...` (exit code must be 0).
double peak_rss_of_run(const std::string& case_path, const std::string& out, const std::vector<std::string>& sets) {
  std::vector<std::string> args = {HEPAFLOW_BINARY, "run", case_path, "-o", out, "-q", "--overwrite"};
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, HEPAFLOW_BINARY, nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return usage.ru_maxrss * 1024.0;  // Linux: kilobytes
}

// Under AddressSanitizer the resident set measures ASan (shadow memory, redzones, quarantine), not
// hepaflow: the comparison with the estimate runs in the release build only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

struct Measured {
  double estimate, growth;
  std::size_t segments;
};

Measured measure(const std::string& case_path, const std::vector<std::string>& sets) {
  TempDir dir;
  const CaseConfig config = load_case(case_path, sets);
  const meshes::NetworkSize size = meshes::generated_network_size(*config.network.generator);
  PhysicsSelection p;
  p.phase_separation = config.blood.phase_separation != "none";
  p.tissue_model = config.oxygen.tissue_model;
  p.remodelling = config.time.given || config.disease.stage != "none";
  p.vtk_output = config.output.vtk && io::vtk_output_available();
  const MemoryEstimate e = estimate_run_memory(size.nodes, size.segments, p);
  // The program itself: the same case on a 601-segment lobule.
  std::vector<std::string> tiny = sets;
  tiny.insert(tiny.end(), {"network.rings=6", "network.layers=2"});
  const double base = peak_rss_of_run(case_path, dir.file("tiny"), tiny);
  const double peak = peak_rss_of_run(case_path, dir.file("run"), sets);
  EXPECT_GT(base, 0);
  EXPECT_GT(peak, base);
  std::printf("%s: %zu segments, %zu nodes; estimate %.1f MiB (%.0f B/segment), measured growth %.1f MiB "
              "(%.0f B/segment), ratio %.2f\n",
              e.what.c_str(), size.segments, size.nodes, (e.host_bytes + e.device_bytes) / 1048576.0,
              (e.host_bytes + e.device_bytes) / size.segments, (peak - base) / 1048576.0, (peak - base) / size.segments,
              (e.host_bytes + e.device_bytes) / (peak - base));
  return {e.host_bytes + e.device_bytes, peak - base, size.segments};
}

TEST(MemoryEstimate, FlowOnlyRunIsWithinAFactorTwoOfTheMeasuredPeak) {
  if (kAddressSanitizer) GTEST_SKIP() << "ASan shadow memory and redzones inflate the resident set";
  const Measured m = measure(lobule_case, {"oxygen.tissue_model=\"none\"", "output.vtk=false"});
  ASSERT_GT(m.segments, 200000u);
  EXPECT_GT(m.estimate, 0.5 * m.growth);
  EXPECT_LT(m.estimate, 2.0 * m.growth);
}

TEST(MemoryEstimate, FlowOxygenAndVtkOutputRunIsWithinAFactorTwoOfTheMeasuredPeak) {
  if (kAddressSanitizer) GTEST_SKIP() << "ASan shadow memory and redzones inflate the resident set";
  const Measured m = measure(lobule_case, {});
  EXPECT_GT(m.estimate, 0.5 * m.growth);
  EXPECT_LT(m.estimate, 2.0 * m.growth);
}

TEST(MemoryEstimate, PhaseSeparationRunIsWithinAFactorTwoOfTheMeasuredPeak) {
  if (kAddressSanitizer) GTEST_SKIP() << "ASan shadow memory and redzones inflate the resident set";
  const Measured m = measure(lobule_case, {"oxygen.tissue_model=\"none\"", "output.vtk=false", "network.layers=8",
                                           "blood.phase_separation=\"pries_secomb_2005\"",
                                           "solver.allow_unconverged=true", "solver.rheology_max_iterations=3"});
  EXPECT_GT(m.estimate, 0.5 * m.growth);
  EXPECT_LT(m.estimate, 2.0 * m.growth);
}

TEST(MemoryEstimate, RemodellingRunIsWithinAFactorTwoOfTheMeasuredPeak) {
  if (kAddressSanitizer) GTEST_SKIP() << "ASan shadow memory and redzones inflate the resident set";
  const Measured m = measure(therapy_case, {"network.layers=8", "time.end=\"2 d\""});
  EXPECT_GT(m.estimate, 0.5 * m.growth);
  EXPECT_LT(m.estimate, 2.0 * m.growth);
}

TEST(MemoryEstimate, GrowsLinearlyAndEveryPhysicsAddsToIt) {
  PhysicsSelection flow, all;
  all.phase_separation = true;
  all.tissue_model = "krogh";
  all.remodelling = true;
  all.vtk_output = true;
  const auto total = [](const MemoryEstimate& e) { return e.host_bytes + e.device_bytes; };
  const double a = total(estimate_run_memory(500000, 1000000, flow));
  EXPECT_NEAR(total(estimate_run_memory(1000000, 2000000, flow)) / a, 2.0, 1e-9);
  EXPECT_GT(total(estimate_run_memory(500000, 1000000, all)), 2 * a);
  PhysicsSelection grid;
  grid.tissue_model = "grid";
  grid.tissue_cells = 10000000;
  EXPECT_GT(total(estimate_run_memory(500000, 1000000, grid)), a + 1e9);  // 1e7 cells: > 1 GB more
}

}  // namespace
}  // namespace hepaflow

// Numerical robustness and resource limits from the command line (docs/reliability.md): NaN/Inf
// forced into each phase (HEPAFLOW_INJECT_NAN) ends the run with exit code 5 and a message naming
// the phase, the field and the segment; bad input is refused with 3 before any solve; a network
// too large for the memory is refused with 1 before anything is allocated.
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.hpp"

namespace hepaflow {
namespace {

using test::run_hepaflow;
using test::run_hepaflow_env;
using test::TempDir;

const std::string src = HEPAFLOW_SOURCE_DIR;
const std::string lobule = src + "/cases/healthy_lobule/case.toml";
const std::string therapy = src + "/cases/msc_dose_response/case.toml";
// 601-segment lobule: every run here takes well under a second.
const std::string small = " --set network.layers=2 --set network.rings=6";

test::CommandResult run_injected(const std::string& field_at, const std::string& args) {
  return run_hepaflow_env("HEPAFLOW_INJECT_NAN=" + field_at, args);
}

struct Fault {
  const char* inject;     ///< HEPAFLOW_INJECT_NAN
  const char* case_args;  ///< after "run"
  const char* phase;      ///< expected in the message
  const char* element;    ///< expected in the message
};

class InjectedNaN : public ::testing::TestWithParam<Fault> {};

TEST_P(InjectedNaN, EndsTheRunWithExitCodeFiveNamingPhaseFieldAndSegment) {
  const Fault f = GetParam();
  TempDir dir;
  const auto r = run_injected(f.inject, std::string("run ") + f.case_args + " -q -o " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 5) << r.output;
  EXPECT_NE(r.output.find(std::string("NaN/Inf after the ") + f.phase), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(f.element), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(1 of "), std::string::npos) << r.output;
}

const std::string lobule_small = lobule + small;
const std::string lobule_ps = lobule_small + " --set blood.phase_separation='\"pries_secomb_2005\"'" +
                              " --set solver.allow_unconverged=true";
const std::string therapy_small = therapy + small + " --set time.end='\"2 d\"'";

INSTANTIATE_TEST_SUITE_P(
    EveryPhase, InjectedNaN,
    ::testing::Values(
        Fault{"conductance@5", lobule_small.c_str(), "pressure solve", "conductance of segment 6 is nan"},
        Fault{"pressure@7", lobule_small.c_str(), "pressure solve", "pressure of node 8 is nan"},
        Fault{"flow@3", lobule_small.c_str(), "pressure solve", "flow of segment 4 is nan"},
        Fault{"viscosity@2", lobule_small.c_str(), "rheology iteration 1 (apparent viscosity)",
              "viscosity of segment 3 is nan (1 of 601 segments affected); segment 3: radius 11.5 um"},
        Fault{"haematocrit@9", lobule_ps.c_str(), "haematocrit transport (rheology iteration 1)",
              "haematocrit of segment 10 is nan"},
        Fault{"po2_out@10", lobule_small.c_str(), "oxygen transport (convective sweep)", "po2_out of segment 11 is nan"},
        Fault{"tissue_po2@200", lobule_small.c_str(), "oxygen tissue (Krogh cylinders)", "tissue_po2 of segment 201 is nan"},
        Fault{"radius@4", therapy_small.c_str(), "remodelling step 0", "radius of segment 5 is nan (1 of 601 segments affected); segment 5: injury 0"},
        Fault{"collagen@4", therapy_small.c_str(), "remodelling step", "collagen of segment 5 is nan"},
        Fault{"msc_signal@4", therapy_small.c_str(), "therapy signal (step 1)", "msc_signal of segment 5 is nan"}));

TEST(NumericalFailure, DenormalViscosityOverflowsTheConductanceAndExitsFive) {
  // 1e-320 cP is positive (validation passes) but pi r^4 / (8 mu L) overflows to Inf.
  TempDir dir;
  const auto r = run_hepaflow("run " + lobule_small + " --set blood.viscosity_law='\"constant\"'" +
                              " --set blood.viscosity='\"1e-320 cP\"' -q -o " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 5) << r.output;
  EXPECT_NE(r.output.find("NaN/Inf after the pressure solve: conductance of segment 1 is inf (601 of 601 segments"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("viscosity 9.88131e-321 cP"), std::string::npos) << r.output;
}

TEST(NumericalFailure, NaNLengthInANetworkFileIsRefusedBeforeAnySolveWithExitThree) {
  TempDir dir;
  dir.write("net/segments.csv", "id,from,to,radius_um,length_um\n1,1,2,4,nan\n2,2,3,4,25\n");
  dir.write("net/nodes.csv", "id,x_um,y_um,z_um\n1,0,0,0\n2,25,0,0\n3,50,0,0\n");
  dir.write("net/boundary.csv", "node,type,value,unit\n1,pressure,6,mmHg\n3,pressure,4,mmHg\n");
  dir.write("case.toml", "schema_version = 1\n[case]\nname = \"nan\"\n[network]\nfile = \"net\"\n");
  const auto r = run_hepaflow("run " + dir.file("case.toml") + " -q -o " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("segments.csv:2"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("NaN/Inf after"), std::string::npos) << r.output;
}

TEST(MemoryLimit, CaseKeyBelowTheEstimateRefusesTheRunWithExitOneBeforeAllocating) {
  TempDir dir;
  const auto r = run_hepaflow("run " + lobule + " --set output.vtk=false --set solver.memory_limit='\"20 MiB\"' -q -o " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("network needs 91.5 MiB (205193 segments, 68820 nodes: flow + oxygen krogh)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("the host has 20.0 MiB free (solver.memory_limit): refused before allocating"),
            std::string::npos)
      << r.output;
}

TEST(MemoryLimit, EnvironmentCapAppliesToRunsAndAboveTheEstimateTheRunGoesAhead) {
  TempDir dir;
  const auto refused = run_hepaflow_env("HEPAFLOW_MEMORY_LIMIT='100 KiB'", "run " + lobule_small + " -q -o " + dir.file("a"));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("(HEPAFLOW_MEMORY_LIMIT)"), std::string::npos) << refused.output;
  const auto ok = run_hepaflow_env("HEPAFLOW_MEMORY_LIMIT='64 MiB'", "run " + lobule_small + " -q -o " + dir.file("b"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  const auto bad = run_hepaflow_env("HEPAFLOW_MEMORY_LIMIT='lots'", "run " + lobule_small + " -q -o " + dir.file("c"));
  EXPECT_EQ(bad.exit_code, 3) << bad.output;
  EXPECT_NE(bad.output.find("HEPAFLOW_MEMORY_LIMIT='lots'"), std::string::npos) << bad.output;
}

TEST(MemoryLimit, AbsurdLobuleBlockIsRefusedBeforeGenerating) {
  // 100 x 100 lobules: 1.98e9 segments, ~415 GiB. The 1 GiB cap names its source on any machine
  // with more than 1 GiB free.
  TempDir dir;
  const auto r = run_hepaflow_env("HEPAFLOW_MEMORY_LIMIT='1 GiB'",
                                  "generate lobule_block --blocks 100 100 -o " + dir.file("x.dat"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("network needs 414.54 GiB (1980889679 segments, 652078860 nodes: network only), "
                          "the host has 1.00 GiB free (HEPAFLOW_MEMORY_LIMIT): refused before allocating"),
            std::string::npos)
      << r.output;
  // In a case file too, sized with its physics before anything is generated.
  const auto run = run_hepaflow("run " + lobule + " --set network.generator='\"lobule_block\"' --set network.blocks=[100,100]"
                                " --set solver.memory_limit='\"1 GiB\"' -q -o " + dir.file("out"));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("GiB (1980889679 segments, 652078860 nodes: flow + oxygen krogh"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("the host has 1.00 GiB free (solver.memory_limit)"), std::string::npos) << run.output;
  // Beyond 32-bit indices: invalid input (3), as before.
  const auto huge = run_hepaflow("generate lobule_block --blocks 10000 10000 -o " + dir.file("y.dat"));
  EXPECT_EQ(huge.exit_code, 3) << huge.output;
}

}  // namespace
}  // namespace hepaflow

// Case files: schema, units, error messages with locations, --set overrides, the resolved case and
// the generated reference (solver/src/config/case_config.cpp).
#include "hepaflow/config/case_config.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "hepaflow/error.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

namespace fs = std::filesystem;

/// A fresh folder per test, removed afterwards.
class CaseFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("hepaflow_case_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  CaseConfig load(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return load_case(write("case.toml", text), overrides);
  }

  /// The InputError's lines with the temporary folder cut from the file names ("case.toml:3:1: ...").
  std::vector<std::string> errors(const std::string& text, const std::vector<std::string>& overrides = {}) {
    const std::string path = write("case.toml", text);
    std::vector<std::string> lines;
    try {
      load_case(path, overrides);
    } catch (const InputError& e) {
      EXPECT_EQ(e.exit_code(), 3);
      std::istringstream in(e.what());
      for (std::string line; std::getline(in, line);) {
        if (line.rfind(path, 0) == 0) line = "case.toml" + line.substr(path.size());
        lines.push_back(line);
      }
    }
    return lines;
  }
  std::string error(const std::string& text, const std::vector<std::string>& overrides = {}) {
    const auto lines = errors(text, overrides);
    EXPECT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    return lines.empty() ? "(no error)" : lines.front();
  }

  fs::path dir_;
};

using CaseFile = CaseFileTest;
using CaseOverride = CaseFileTest;
using ResolvedCase = CaseFileTest;

const std::string head =  // lines 1-5
    "schema_version = 1\n"
    "[case]\n"
    "name = \"t\"\n"
    "[network]\n"
    "generator = \"lobule\"\n";

// ---- values ---------------------------------------------------------------------------------------

TEST_F(CaseFile, MinimalGeneratorCaseGetsEveryDefault) {
  const CaseConfig c = load(head);
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.description, "");
  ASSERT_TRUE(c.network.generator.has_value());
  EXPECT_EQ(c.network.generator->name, "lobule");
  EXPECT_EQ(c.network.generator->preset, "human");
  EXPECT_EQ(c.network.generator->rings, 0);
  EXPECT_EQ(c.network.generator->layers, 0);
  EXPECT_EQ(c.network.generator->blocks_x, 1);
  EXPECT_EQ(c.network.generator->blocks_y, 1);
  EXPECT_TRUE(c.network.generator->size.empty());
  EXPECT_EQ(c.network.generator->seed, 1u);
  EXPECT_EQ(c.network.file, "");
  EXPECT_FALSE(c.network.drop_unconnected);
  EXPECT_EQ(c.blood.viscosity_law, "constant");
  EXPECT_DOUBLE_EQ(c.blood.viscosity, 3.5e-3);
  EXPECT_DOUBLE_EQ(c.blood.plasma_viscosity, 1.2e-3);
  EXPECT_DOUBLE_EQ(c.blood.mcv, 90e-18);
  EXPECT_EQ(c.blood.phase_separation, "none");
  EXPECT_DOUBLE_EQ(c.blood.haematocrit, 0.45);
  EXPECT_TRUE(c.boundary_nodes.empty());
  EXPECT_EQ(c.solver.method, "auto");
  EXPECT_EQ(c.solver.tolerance, 1e-10);
  EXPECT_EQ(c.solver.max_iterations, 200000);
  EXPECT_EQ(c.solver.backend, "auto");
  EXPECT_TRUE(c.output.vtk);
}

TEST_F(CaseFile, DefaultsAgreeWithTheStructDefaults) {
  const CaseConfig c = load(head);
  const BloodConfig blood;
  const SolverConfig solver;
  const GeneratorSpec generator;
  EXPECT_DOUBLE_EQ(c.blood.viscosity, blood.viscosity);
  EXPECT_DOUBLE_EQ(c.blood.plasma_viscosity, blood.plasma_viscosity);
  EXPECT_DOUBLE_EQ(c.blood.mcv, blood.mcv);
  EXPECT_DOUBLE_EQ(c.blood.haematocrit, blood.haematocrit);
  EXPECT_EQ(c.solver.tolerance, solver.tolerance);
  EXPECT_EQ(c.solver.max_iterations, solver.max_iterations);
  EXPECT_EQ(c.network.generator->seed, generator.seed);
  EXPECT_EQ(c.network.generator->preset, generator.preset);
}

TEST_F(CaseFile, ValuesWithUnitsAreStoredInSI) {
  const CaseConfig c = load(head +
                            "rings = 8\nlayers = 3\nblocks = [2, 3]\nseed = 7\npreset = \"rat\"\n"
                            "[blood]\nviscosity = \"3 mPa s\"\nplasma_viscosity = \"0.0012 Pa s\"\n"
                            "mcv = \"61 fl\"\nhaematocrit = 0.4\n"
                            "[[boundary.node]]\nid = 4\npressure = \"8 mmHg\"\npo2 = \"65 mmHg\"\nhaematocrit = 0.3\n"
                            "[[boundary.node]]\nid = 9\nflow = \"-2 nl/min\"\n"
                            "[solver]\nmethod = \"pcg\"\ntolerance = 1e-8\nmax_iterations = 50\nbackend = \"cpu\"\n"
                            "[output]\nvtk = false\n");
  EXPECT_EQ(c.network.generator->rings, 8);
  EXPECT_EQ(c.network.generator->layers, 3);
  EXPECT_EQ(c.network.generator->blocks_x, 2);
  EXPECT_EQ(c.network.generator->blocks_y, 3);
  EXPECT_EQ(c.network.generator->seed, 7u);
  EXPECT_EQ(c.network.generator->preset, "rat");
  EXPECT_DOUBLE_EQ(c.blood.viscosity, 3e-3);
  EXPECT_DOUBLE_EQ(c.blood.plasma_viscosity, 1.2e-3);
  EXPECT_DOUBLE_EQ(c.blood.mcv, 61e-18);
  EXPECT_DOUBLE_EQ(c.blood.haematocrit, 0.4);
  ASSERT_EQ(c.boundary_nodes.size(), 2u);
  EXPECT_EQ(c.boundary_nodes[0].id, 4);
  EXPECT_DOUBLE_EQ(*c.boundary_nodes[0].pressure, 8 * units::mmHg);
  EXPECT_FALSE(c.boundary_nodes[0].flow.has_value());
  EXPECT_DOUBLE_EQ(*c.boundary_nodes[0].po2_mmHg, 65.0);
  EXPECT_DOUBLE_EQ(*c.boundary_nodes[0].haematocrit, 0.3);
  EXPECT_EQ(c.boundary_nodes[0].line, 16);
  EXPECT_EQ(c.boundary_nodes[1].id, 9);
  EXPECT_DOUBLE_EQ(*c.boundary_nodes[1].flow, -2 * units::nl_per_min);
  EXPECT_FALSE(c.boundary_nodes[1].pressure.has_value());
  EXPECT_FALSE(c.boundary_nodes[1].haematocrit.has_value());
  EXPECT_FALSE(c.boundary_nodes[1].po2_mmHg.has_value());
  EXPECT_EQ(c.solver.method, "pcg");
  EXPECT_EQ(c.solver.tolerance, 1e-8);
  EXPECT_EQ(c.solver.max_iterations, 50);
  EXPECT_EQ(c.solver.backend, "cpu");
  EXPECT_FALSE(c.output.vtk);
}

TEST_F(CaseFile, IntegerForANumberKeyIsAccepted) {
  EXPECT_DOUBLE_EQ(load(head + "[blood]\nhaematocrit = 0\n").blood.haematocrit, 0.0);
}

// ---- errors with locations ----------------------------------------------------------------------------

TEST_F(CaseFile, BareNumberForPressureIsAnErrorWithLocation) {
  EXPECT_EQ(error(head + "[[boundary.node]]\nid = 1\npressure = 8\n"),
            "case.toml:8:12: boundary.node[0].pressure = 8 needs a unit, e.g. \"8 mmHg\"");
}

TEST_F(CaseFile, BareNumberForViscosityIsAnErrorWithLocation) {
  EXPECT_EQ(error(head + "[blood]\nviscosity = 3.5\n"),
            "case.toml:7:13: blood.viscosity = 3.5 needs a unit, e.g. \"3.5 cP\"");
}

TEST_F(CaseFile, StringWithoutUnitIsAnError) {
  EXPECT_EQ(error(head + "[blood]\nviscosity = \"3.5\"\n"),
            "case.toml:7:13: blood.viscosity: '3.5' needs a unit, e.g. \"3.5 cP\"");
}

TEST_F(CaseFile, WrongDimensionIsAnErrorWithLocation) {
  EXPECT_EQ(error(head + "[blood]\nmcv = \"90 mmHg\"\n"),
            "case.toml:7:7: blood.mcv: '90 mmHg' is a pressure, expected a volume");
}

TEST_F(CaseFile, UnknownUnitListsTheAcceptedUnits) {
  EXPECT_EQ(error(head + "[blood]\nviscosity = \"3.5 cPs\"\n"),
            "case.toml:7:13: blood.viscosity: unknown unit 'cPs' in '3.5 cPs': a viscosity takes cP, mPa s, Pa s");
}

TEST_F(CaseFile, MisspeltKeySuggestsTheNearestKey) {
  EXPECT_EQ(error(head + "[blood]\nviscositty = \"3.5 cP\"\n"),
            "case.toml:7:1: unknown key 'viscositty' in [blood]; did you mean 'viscosity'?");
}

TEST_F(CaseFile, KeyPrefixSuggestsTheFullKey) {
  EXPECT_EQ(error(head + "[solver]\nmax_iter = 5\n"),
            "case.toml:7:1: unknown key 'max_iter' in [solver]; did you mean 'max_iterations'?");
}

TEST_F(CaseFile, UnknownKeyFarFromAllListsTheValidKeys) {
  EXPECT_EQ(error(head + "[output]\nparaview_state = true\n"),
            "case.toml:7:1: unknown key 'paraview_state' in [output]; valid here: vtk");
}

TEST_F(CaseFile, MisspeltTableSuggestsTheNearestTable) {
  EXPECT_EQ(error(head + "[solvr]\nmethod = \"pcg\"\n"),
            "case.toml:6:1: unknown table [solvr]; did you mean 'solver'?");
}

TEST_F(CaseFile, MisspeltTopLevelKeySuggestsTheNearestKey) {
  EXPECT_EQ(error("schema_versoin = 1\nschema_version = 1\n[case]\nname = \"t\"\n[network]\ngenerator = \"grid\"\n"),
            "case.toml:1:1: unknown key 'schema_versoin' at the top level; did you mean 'schema_version'?");
}

TEST_F(CaseFile, MisspeltKeyInBoundaryNodeSuggestsTheNearestKey) {
  const auto lines = errors(head + "[[boundary.node]]\nid = 1\npresure = \"1 mmHg\"\n");
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "case.toml:6:1: boundary.node[0] needs pressure or flow");
  EXPECT_EQ(lines[1], "case.toml:8:1: unknown key 'presure' in [[boundary.node]]; did you mean 'pressure'?");
}

TEST_F(CaseFile, WrongTomlTypeIsAnError) {
  EXPECT_EQ(error("schema_version = 1\n[case]\nname = 3\n[network]\ngenerator = \"grid\"\n"),
            "case.toml:3:8: case.name must be a string, not an integer");
  EXPECT_EQ(error(head + "[output]\nvtk = \"yes\"\n"),
            "case.toml:7:7: output.vtk must be true or false, not a string");
  EXPECT_EQ(error(head + "rings = 8.5\n"), "case.toml:6:9: network.rings must be an integer, not a float");
  EXPECT_EQ(error(head + "blocks = 2\n"), "case.toml:6:10: network.blocks must be an array of integers, e.g. [2, 2], not an integer");
  EXPECT_EQ(error(head + "[blood]\nviscosity = true\n"),
            "case.toml:7:13: blood.viscosity must be a string with a unit, e.g. \"8 cP\", not a boolean");
  EXPECT_EQ(error(head + "[solver]\ntolerance = \"1e-8\"\n"),
            "case.toml:7:13: solver.tolerance must be a number, not a string");
}

TEST_F(CaseFile, OutOfRangeValuesAreErrors) {
  EXPECT_EQ(error(head + "[blood]\nhaematocrit = 0.99\n"),
            "case.toml:7:15: blood.haematocrit = 0.99 is out of range: must be in [0, 0.95]");
  EXPECT_EQ(error(head + "[solver]\ntolerance = 0.0\n"),
            "case.toml:7:13: solver.tolerance = 0 is out of range: must be > 0 and < 1");
  EXPECT_EQ(error(head + "[solver]\nmax_iterations = 0\n"),
            "case.toml:7:18: solver.max_iterations = 0 is out of range: must be in [1, 2147483647]");
  EXPECT_EQ(error(head + "rings = 1\n"), "case.toml:6:9: network.rings = 1 is out of range: must be 0 or >= 2");
  EXPECT_EQ(error(head + "seed = -1\n"), "case.toml:6:8: network.seed = -1 is out of range: must be >= 0");
  EXPECT_EQ(error(head + "blocks = [0, 1]\n"),
            "case.toml:6:10: network.blocks entry 0 is out of range: must be >= 1");
  EXPECT_EQ(error(head + "blocks = [2]\n"), "case.toml:6:10: network.blocks must have 2 entries, e.g. [2, 2]");
  EXPECT_EQ(error(head + "[blood]\nviscosity = \"-1 cP\"\n"),
            "case.toml:7:13: blood.viscosity = \"-1 cP\" is out of range: must be > 0");
  EXPECT_EQ(error(head + "[[boundary.node]]\nid = 1\npressure = \"1 Pa\"\nhaematocrit = 1.5\n"),
            "case.toml:9:15: boundary.node[0].haematocrit = 1.5 is out of range: must be in [0, 1]");
}

TEST_F(CaseFile, NanAndInfNumbersAreErrors) {
  EXPECT_EQ(error(head + "[blood]\nhaematocrit = nan\n"), "case.toml:7:15: blood.haematocrit must be a finite number");
  EXPECT_EQ(error(head + "[solver]\ntolerance = inf\n"), "case.toml:7:13: solver.tolerance must be a finite number");
  EXPECT_EQ(error(head + "[blood]\nviscosity = \"nan cP\"\n"),
            "case.toml:7:13: blood.viscosity: 'nan cP' is not a finite number");
}

TEST_F(CaseFile, AllProblemsAreReportedTogetherInLineOrder) {
  const auto lines = errors(head +
                            "[solver]\n"                  // 6
                            "method = \"cg\"\n"           // 7
                            "[blood]\n"                   // 8
                            "viscosity = 3.5\n"           // 9
                            "haematocrit = 2.0\n");       // 10
  ASSERT_EQ(lines.size(), 3u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "case.toml:7:10: solver.method = \"cg\" is not one of: auto, pcg, direct, petsc; did you mean 'pcg'?");
  EXPECT_EQ(lines[1], "case.toml:9:13: blood.viscosity = 3.5 needs a unit, e.g. \"3.5 cP\"");
  EXPECT_EQ(lines[2], "case.toml:10:15: blood.haematocrit = 2 is out of range: must be in [0, 0.95]");
}

TEST_F(CaseFile, TomlSyntaxErrorIsReportedWithLocation) {
  const std::string e = error("schema_version = 1\n[case]\nname = \"t\n");
  EXPECT_EQ(e.rfind("case.toml:3:", 0), 0u) << e;
}

TEST_F(CaseFile, MissingFileIsAnIoError) {
  try {
    load_case((dir_ / "absent.toml").string());
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.exit_code(), 4);
    EXPECT_NE(std::string(e.what()).find("absent.toml"), std::string::npos);
  }
  EXPECT_THROW(load_case(dir_.string()), IoError);
}

TEST_F(CaseFile, SchemaVersionIsRequiredAndMustBeOne) {
  EXPECT_EQ(error("[case]\nname = \"t\"\n[network]\ngenerator = \"grid\"\n"),
            "case.toml:1:1: missing required key 'schema_version' at the top level");
  EXPECT_EQ(error("schema_version = 2\n[case]\nname = \"t\"\n[network]\ngenerator = \"grid\"\n"),
            "case.toml:1:18: schema_version = 2 is out of range: must be 1");
  EXPECT_EQ(error("schema_version = \"1\"\n[case]\nname = \"t\"\n[network]\ngenerator = \"grid\"\n"),
            "case.toml:1:18: schema_version must be an integer, not a string");
}

TEST_F(CaseFile, CaseNameIsRequired) {
  EXPECT_EQ(error("schema_version = 1\n[case]\ndescription = \"d\"\n[network]\ngenerator = \"grid\"\n"),
            "case.toml:2:1: missing required key 'name' in [case]");
}

TEST_F(CaseFile, NetworkNeedsExactlyOneOfFileAndGenerator) {
  EXPECT_EQ(error("schema_version = 1\n[case]\nname = \"t\"\n[network]\ndrop_unconnected = true\n"),
            "case.toml:4:1: [network] needs a file (file = \"network.dat\") or a generator (generator = \"lobule\")");
  write("net.dat", "x\n");
  EXPECT_EQ(error(head + "file = \"net.dat\"\n"), "case.toml:5:13: [network] takes either file or generator, not both");
}

TEST_F(CaseFile, UnknownGeneratorSuggestsTheNearestOne) {
  EXPECT_EQ(error("schema_version = 1\n[case]\nname = \"t\"\n[network]\ngenerator = \"lobul\"\n"),
            "case.toml:5:13: network.generator = \"lobul\" is not one of: lobule, lobule_block, ladder, tree, grid; "
            "did you mean 'lobule'?");
}

TEST_F(CaseFile, NetworkFileIsResolvedRelativeToTheCaseFolder) {
  const std::string network = write("sub/nets/tiny.dat", "tiny\n");
  const std::string case_path = write("sub/case.toml",
                                      "schema_version = 1\n[case]\nname = \"t\"\n[network]\nfile = \"nets/tiny.dat\"\n"
                                      "format = \"dat\"\nlength_unit = \"1 mm\"\nradius_array = \"r\"\n"
                                      "radius_is_diameter = true\ndrop_unconnected = true\n");
  const CaseConfig c = load_case(case_path);
  EXPECT_TRUE(fs::equivalent(c.network.file, network));
  EXPECT_TRUE(std::ifstream(c.network.file).good());  // usable from the current directory
  EXPECT_FALSE(c.network.generator.has_value());
  EXPECT_EQ(c.network.format, "dat");
  EXPECT_DOUBLE_EQ(c.network.file_length_unit, 1e-3);
  EXPECT_EQ(c.network.radius_array, "r");
  EXPECT_TRUE(c.network.radius_is_diameter);
  EXPECT_TRUE(c.network.drop_unconnected);
}

TEST_F(CaseFile, AbsoluteNetworkFileIsKept) {
  const std::string network = write("elsewhere/tiny.dat", "tiny\n");
  const CaseConfig c = load("schema_version = 1\n[case]\nname = \"t\"\n[network]\nfile = \"" + network + "\"\n");
  EXPECT_TRUE(fs::equivalent(c.network.file, network));
}

TEST_F(CaseFile, MissingNetworkFileIsAnErrorAtItsKey) {
  const std::string e = error("schema_version = 1\n[case]\nname = \"t\"\n[network]\nfile = \"nope.dat\"\n");
  EXPECT_EQ(e.rfind("case.toml:5:8: network.file: \"nope.dat\" not found (looked for ", 0), 0u) << e;
  EXPECT_NE(e.find((dir_ / "nope.dat").string()), std::string::npos) << e;
}

TEST_F(CaseFile, GeneratorKeysWithANetworkFileAreErrors) {
  write("net.dat", "x\n");
  EXPECT_EQ(error("schema_version = 1\n[case]\nname = \"t\"\n[network]\nfile = \"net.dat\"\nrings = 8\n"),
            "case.toml:6:9: network.rings applies only to generated networks (network.generator)");
  EXPECT_EQ(error(head + "length_unit = \"1 um\"\n"),
            "case.toml:6:15: network.length_unit applies only to network files (network.file)");
}

TEST_F(CaseFile, SizeMustMatchTheGenerator) {
  const std::string start = "schema_version = 1\n[case]\nname = \"t\"\n[network]\n";
  EXPECT_EQ(load(start + "generator = \"grid\"\nsize = [4, 5, 6]\n").network.generator->size, (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(error(start + "generator = \"grid\"\nsize = [4, 5]\n"),
            "case.toml:6:8: network.size for generator \"grid\" has 3 entries");
  EXPECT_EQ(error(start + "generator = \"tree\"\nsize = [4, 5]\n"),
            "case.toml:6:8: network.size for generator \"tree\" has 1 entry");
  EXPECT_EQ(error(start + "generator = \"lobule\"\nsize = [4]\n"),
            "case.toml:6:8: network.size is not used by generator \"lobule\"");
}

TEST_F(CaseFile, RheologyLawsAndLoopSettingsAreRead) {
  const CaseConfig c = load(head + "[blood]\nviscosity_law = \"pries1994_invivo\"\nphase_separation = \"pries_secomb_2005\"\n"
                                   "mcv = \"55 fl\"\n[solver]\nrheology_max_iterations = 40\nallow_unconverged = true\n");
  EXPECT_EQ(c.blood.viscosity_law, "pries1994_invivo");
  EXPECT_EQ(c.blood.phase_separation, "pries_secomb_2005");
  EXPECT_NEAR(c.blood.mcv, 55e-18, 1e-30);
  EXPECT_EQ(c.solver.rheology_max_iterations, 40);
  EXPECT_TRUE(c.solver.allow_unconverged);
  EXPECT_EQ(error(head + "[blood]\nviscosity_law = \"pries2005\"\n").rfind("case.toml:7:17: blood.viscosity_law", 0), 0u);
}

TEST_F(CaseFile, DiseaseStagePresetFillsEveryValueTheCaseDoesNotGive) {
  const CaseConfig c = load(head + "[disease]\nstage = \"F3\"\ncollagen = [0.2, 0.1, 0.05]\nshunt_radius = \"9 um\"\n");
  EXPECT_EQ(c.disease.stage, "F3");
  EXPECT_DOUBLE_EQ(c.disease.activation[0], 0.7);   // preset
  EXPECT_DOUBLE_EQ(c.disease.closed_fraction[1], 0.15);
  EXPECT_DOUBLE_EQ(c.disease.collagen[1], 0.1);     // given
  EXPECT_NEAR(c.disease.shunt_radius, 9e-6, 1e-18);
  EXPECT_NEAR(c.disease.septum_radius, 20e-6, 1e-18);
  EXPECT_FALSE(c.time.given);
  // The resolved case holds the preset values, so it reruns without the preset table.
  EXPECT_NE(c.resolved_toml.find("activation = [0.7, 0.45, 0.3]\n"), std::string::npos) << c.resolved_toml;
  EXPECT_NE(c.resolved_toml.find("collagen = [0.2, 0.1, 0.05]\n"), std::string::npos);
  const CaseConfig none = load(head);
  EXPECT_EQ(none.disease.stage, "none");
  EXPECT_DOUBLE_EQ(none.disease.activation[0], 0.0);
  EXPECT_EQ(error(head + "[disease]\nstage = \"F5\"\n"),
            "case.toml:7:9: disease.stage = \"F5\" is not one of: none, F0, F1, F2, F3, F4; did you mean 'F0'?");
  EXPECT_EQ(error(head + "[disease]\ntone = [0.5, 0.2]\n"),
            "case.toml:7:8: disease.tone must have 3 entries, e.g. [0.5, 0.5, 0.5]");
  EXPECT_EQ(error(head + "[disease]\ntone = [0.5, 2, 0.1]\n"),
            "case.toml:7:8: disease.tone entry 2 is out of range: must be in [0, 1]");
}

TEST_F(CaseFile, TherapyScheduleAndTimeAreReadAndChecked) {
  const CaseConfig c = load(head + "[therapy]\ndose = \"1e6 cells/kg\"\nroute = \"portal_vein\"\ncount = 2\n"
                                   "interval = \"14 d\"\n[[therapy.infusion]]\ntime = \"7 d\"\ndose = \"5e5 cells/kg\"\n"
                                   "route = \"intrahepatic\"\nsite_um = [100, 0, 50]\n[time]\nend = \"8 wk\"\n");
  ASSERT_EQ(c.therapy.infusions.size(), 3u);
  EXPECT_EQ(c.therapy.infusions[0].route, "portal_vein");
  EXPECT_DOUBLE_EQ(c.therapy.infusions[1].time, 7 * 86400.0);  // sorted by time
  EXPECT_EQ(c.therapy.infusions[1].route, "intrahepatic");
  EXPECT_NEAR(c.therapy.infusions[1].site[0], 100e-6, 1e-18);
  EXPECT_DOUBLE_EQ(c.therapy.infusions[2].time, 14 * 86400.0);
  EXPECT_TRUE(c.time.given);
  EXPECT_DOUBLE_EQ(c.time.end, 56 * 86400.0);
  EXPECT_DOUBLE_EQ(c.time.step, 86400.0);
  EXPECT_NEAR(c.therapy.ec50, 3e4 * 86400.0 / 1e-6, 1e6);  // "3e4 cells d/ml" in SI
  EXPECT_EQ(error(head + "[therapy]\ndose = \"1e6 cells/kg\"\n"),
            "case.toml:6:1: [therapy] gives infusions but the case has no [time] table (add e.g. [time] end = \"56 d\")");
  EXPECT_EQ(error(head + "[time]\nstep = \"1 d\"\n"), "case.toml:6:1: missing required key 'end' in [time]");
  EXPECT_EQ(error(head + "[time]\nend = \"1 d\"\nstep = \"2 d\"\n"),
            "case.toml:6:1: time.step (2 d) is longer than time.end (1 d)");
  EXPECT_EQ(error(head + "[boundary]\nhold = \"flow\"\n"),
            "case.toml:7:8: boundary.hold = \"flow\" is not one of: pressure, inflow, source; did you mean 'inflow'?");
  EXPECT_EQ(load(head + "[boundary]\nhold = \"inflow\"\n").boundary_control.hold, "inflow");
}

TEST_F(CaseFile, GridTissueModelKeysAreRead) {
  const CaseConfig c = load(head + "[oxygen]\ntissue_model = \"grid\"\ngrid_spacing = \"2.5 um\"\n"
                                   "grid_padding = \"0.1 mm\"\ngrid_region = \"nodes\"\ncoupling_max_iterations = 7\n");
  EXPECT_EQ(c.oxygen.tissue_model, "grid");
  EXPECT_NEAR(c.oxygen.grid_spacing, 2.5e-6, 1e-18);
  EXPECT_NEAR(c.oxygen.grid_padding, 1e-4, 1e-16);
  EXPECT_EQ(c.oxygen.grid_region, "nodes");
  EXPECT_EQ(c.oxygen.coupling_max_iterations, 7);
  EXPECT_EQ(error(head + "[oxygen]\ngrid_spacing = \"-1 um\"\n").rfind("case.toml:7:16: oxygen.grid_spacing", 0), 0u)
      << error(head + "[oxygen]\ngrid_spacing = \"-1 um\"\n");
  // flows_from_file belongs to network files only.
  EXPECT_NE(error(head + "flows_from_file = true\n").find("network.flows_from_file"), std::string::npos);
}

TEST_F(CaseFile, OxygenKeysTakeUnitsIncludingConsumptionRates) {
  const CaseConfig c = load(head + "[oxygen]\ntissue_model = \"krogh\"\ninflow_po2 = \"60 mmHg\"\n"
                                   "consumption_periportal = \"131 umol/g/h\"\nkm = \"6.8 mmHg\"\n");
  EXPECT_EQ(c.oxygen.tissue_model, "krogh");
  EXPECT_NEAR(c.oxygen.inflow_po2_mmHg, 60.0, 1e-12);
  EXPECT_NEAR(c.oxygen.consumption_periportal, 131.0 / 3600.0, 1e-15);  // 0.0364 mol m^-3 s^-1
  EXPECT_NEAR(c.oxygen.km_mmHg, 6.8, 1e-12);
  EXPECT_EQ(error(head + "[oxygen]\nconsumption_pericentral = 0.015\n").rfind("case.toml:7:27: oxygen.consumption_pericentral = 0.015 needs a unit", 0), 0u);
}

TEST_F(CaseFile, BoundaryNodeNeedsExactlyOneOfPressureAndFlow) {
  EXPECT_EQ(error(head + "[[boundary.node]]\nid = 1\n"), "case.toml:6:1: boundary.node[0] needs pressure or flow");
  EXPECT_EQ(error(head + "[[boundary.node]]\nid = 1\npressure = \"1 mmHg\"\nflow = \"1 nl/min\"\n"),
            "case.toml:6:1: boundary.node[0] has both pressure and flow; give one");
  EXPECT_EQ(error(head + "[[boundary.node]]\npressure = \"1 mmHg\"\n"),
            "case.toml:6:1: missing required key 'id' in [[boundary.node]]");
}

TEST_F(CaseFile, DuplicateBoundaryNodeIdsAreErrors) {
  EXPECT_EQ(error(head + "[[boundary.node]]\nid = 3\npressure = \"1 mmHg\"\n"
                         "[[boundary.node]]\nid = 3\nflow = \"1 nl/min\"\n"),
            "case.toml:10:6: boundary.node[1].id = 3 is given twice (first at line 7)");
}

TEST_F(CaseFile, BoundaryNodeMustBeAnArrayOfTables) {
  EXPECT_EQ(error(head + "[boundary.node]\nid = 3\npressure = \"1 mmHg\"\n"),
            "case.toml:6:1: boundary.node must be written as [[boundary.node]] tables, one per entry");
  EXPECT_EQ(error(head + "[boundary]\nnodes = 1\n"),
            "case.toml:7:1: unknown key 'nodes' in [boundary]; did you mean 'node'?");
}

// ---- --set overrides -----------------------------------------------------------------------------------

TEST_F(CaseOverride, SetReplacesAKey) {
  const CaseConfig c = load(head + "[solver]\ntolerance = 1e-6\n", {"solver.tolerance=1e-12"});
  EXPECT_EQ(c.solver.tolerance, 1e-12);
}

TEST_F(CaseOverride, SetInsertsAKeyAndItsTable) {
  const CaseConfig c = load(head, {"solver.method=\"direct\"", "blood.haematocrit = 0.3"});
  EXPECT_EQ(c.solver.method, "direct");
  EXPECT_DOUBLE_EQ(c.blood.haematocrit, 0.3);
}

TEST_F(CaseOverride, SetAcceptsArraysAndTopLevelKeys) {
  const CaseConfig c = load(head, {"network.blocks=[2,2]", "schema_version=1", "network.generator=lobule_block"});
  EXPECT_EQ(c.network.generator->name, "lobule_block");
  EXPECT_EQ(c.network.generator->blocks_x, 2);
  EXPECT_EQ(c.network.generator->blocks_y, 2);
}

TEST_F(CaseOverride, ValueThatIsNotTomlIsTakenAsAString) {
  const CaseConfig c = load(head, {"blood.viscosity=4 cP", "case.name=my case"});
  EXPECT_DOUBLE_EQ(c.blood.viscosity, 4e-3);
  EXPECT_EQ(c.name, "my case");
}

TEST_F(CaseOverride, UnknownKeyIsAnErrorAtTheOverride) {
  EXPECT_EQ(error(head, {"blood.viscositty=\"4 cP\""}),
            "--set blood.viscositty: unknown key 'viscositty' in [blood]; did you mean 'viscosity'?");
  EXPECT_EQ(error(head, {"solvr.tolerance=1e-8"}), "--set solvr.tolerance: unknown table [solvr]; did you mean 'solver'?");
}

TEST_F(CaseOverride, BadValueIsAnErrorAtTheOverride) {
  EXPECT_EQ(error(head, {"blood.viscosity=4"}), "--set blood.viscosity: blood.viscosity = 4 needs a unit, e.g. \"4 cP\"");
  EXPECT_EQ(error(head, {"disease.stage=F7"}),
            "--set disease.stage: disease.stage = \"F7\" is not one of: none, F0, F1, F2, F3, F4; did you mean 'F0'?");
}

TEST_F(CaseOverride, MalformedOverridesAreErrors) {
  const auto lines = errors(head, {"noequals", "=3", "a b=1", "boundary.node.id=3", "case.name.x=1"});
  ASSERT_EQ(lines.size(), 5u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "--set noequals: 'noequals' is not an override: write table.key=value, e.g. blood.viscosity=\"4 cP\"");
  EXPECT_EQ(lines[1].rfind("--set =3: '=3' is not an override", 0), 0u);
  EXPECT_EQ(lines[2].rfind("--set a b: 'a b=1' is not an override", 0), 0u);
  EXPECT_EQ(lines[3], "--set boundary.node.id: boundary.node must be written as [[boundary.node]] tables, one per entry");
  EXPECT_EQ(lines[4], "--set case.name.x: cannot set keys inside 'case.name': it is a string");
}

TEST_F(CaseOverride, BoundaryNodeEntriesCannotBeOverridden) {
  EXPECT_EQ(error(head + "[[boundary.node]]\nid = 1\npressure = \"1 mmHg\"\n", {"boundary.node.id=3"}),
            "--set boundary.node.id: cannot set keys inside 'boundary.node': it is an array "
            "([[boundary.node]] entries cannot be overridden)");
}

TEST_F(CaseOverride, FileProblemsComeBeforeOverrideProblems) {
  const auto lines = errors(head + "[blood]\nviscosity = 3\n", {"solver.tolerance=2.0"});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("case.toml:7:13:", 0), 0u);
  EXPECT_EQ(lines[1], "--set solver.tolerance: solver.tolerance = 2 is out of range: must be > 0 and < 1");
}

// ---- the resolved case ------------------------------------------------------------------------------------

void expect_same(const CaseConfig& a, const CaseConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.network.file, b.network.file);
  EXPECT_EQ(a.network.format, b.network.format);
  EXPECT_EQ(a.network.file_length_unit, b.network.file_length_unit);
  EXPECT_EQ(a.network.radius_array, b.network.radius_array);
  EXPECT_EQ(a.network.radius_is_diameter, b.network.radius_is_diameter);
  EXPECT_EQ(a.network.drop_unconnected, b.network.drop_unconnected);
  ASSERT_EQ(a.network.generator.has_value(), b.network.generator.has_value());
  if (a.network.generator) {
    const GeneratorSpec &g = *a.network.generator, &h = *b.network.generator;
    EXPECT_EQ(g.name, h.name);
    EXPECT_EQ(g.preset, h.preset);
    EXPECT_EQ(g.rings, h.rings);
    EXPECT_EQ(g.layers, h.layers);
    EXPECT_EQ(g.blocks_x, h.blocks_x);
    EXPECT_EQ(g.blocks_y, h.blocks_y);
    EXPECT_EQ(g.size, h.size);
    EXPECT_EQ(g.seed, h.seed);
  }
  EXPECT_EQ(a.blood.viscosity_law, b.blood.viscosity_law);
  EXPECT_EQ(a.blood.viscosity, b.blood.viscosity);
  EXPECT_EQ(a.blood.plasma_viscosity, b.blood.plasma_viscosity);
  EXPECT_EQ(a.blood.mcv, b.blood.mcv);
  EXPECT_EQ(a.blood.phase_separation, b.blood.phase_separation);
  EXPECT_EQ(a.blood.haematocrit, b.blood.haematocrit);
  ASSERT_EQ(a.boundary_nodes.size(), b.boundary_nodes.size());
  for (std::size_t i = 0; i < a.boundary_nodes.size(); ++i) {
    const BoundaryNodeConfig &p = a.boundary_nodes[i], &q = b.boundary_nodes[i];
    EXPECT_EQ(p.id, q.id);
    EXPECT_EQ(p.pressure, q.pressure);
    EXPECT_EQ(p.flow, q.flow);
    EXPECT_EQ(p.haematocrit, q.haematocrit);
    EXPECT_EQ(p.po2_mmHg, q.po2_mmHg);
  }
  EXPECT_EQ(a.solver.method, b.solver.method);
  EXPECT_EQ(a.solver.tolerance, b.solver.tolerance);
  EXPECT_EQ(a.solver.max_iterations, b.solver.max_iterations);
  EXPECT_EQ(a.solver.backend, b.solver.backend);
  EXPECT_EQ(a.output.vtk, b.output.vtk);
}

TEST_F(ResolvedCase, LoadingTheResolvedCaseGivesTheSameConfig) {
  const CaseConfig first = load(head + "rings = 6\n[blood]\nviscosity = \"3.7 mPa*s\"\nhaematocrit = 0.123456789\n"
                                       "[[boundary.node]]\nid = 2\npressure = \"12.5 mmHg\"\npo2 = \"70 mmHg\"\n"
                                       "[[boundary.node]]\nid = 5\nflow = \"-1.25 nl/min\"\nhaematocrit = 0.4\n",
                                {"solver.tolerance=3e-9", "case.description=\"a \\\"quoted\\\" text\"",
                                 "network.size=[]", "network.seed=42"});
  const std::string resolved = write("out/case.resolved.toml", first.resolved_toml);
  const CaseConfig second = load_case(resolved);
  expect_same(first, second);
  EXPECT_EQ(second.description, "a \"quoted\" text");
  EXPECT_EQ(second.network.generator->seed, 42u);
  // written again, nothing changes but the comment naming the source
  const auto body = [](const std::string& s) { return s.substr(s.find("\nschema_version")); };
  EXPECT_EQ(body(second.resolved_toml), body(first.resolved_toml));
}

TEST_F(ResolvedCase, NetworkFileStillResolvesFromAnotherFolder) {
  write("nets/tiny.dat", "tiny\n");
  const CaseConfig first = load("schema_version = 1\n[case]\nname = \"t\"\n[network]\nfile = \"nets/tiny.dat\"\n"
                                "length_unit = \"10 um\"\n");
  const CaseConfig second = load_case(write("deep/er/out/case.resolved.toml", first.resolved_toml));
  expect_same(first, second);
}

TEST_F(ResolvedCase, EveryKeyIsWrittenWithUnits) {
  const std::string r = load(head).resolved_toml;
  for (const char* line : {"schema_version = 1\n", "[case]\n", "name = \"t\"\n", "description = \"\"\n",
                           "generator = \"lobule\"\n", "preset = \"human\"\n", "rings = 0\n", "layers = 0\n",
                           "blocks = [1, 1]\n", "size = []\n", "seed = 1\n", "drop_unconnected = false\n",
                           "viscosity_law = \"constant\"\n", "viscosity = \"3.5 cP\"\n", "plasma_viscosity = \"1.2 cP\"\n",
                           "mcv = \"90 fl\"\n", "phase_separation = \"none\"\n", "haematocrit = 0.45\n",
                           "method = \"auto\"\n", "tolerance = 1e-10\n", "max_iterations = 200000\n",
                           "backend = \"auto\"\n", "[output]\n", "vtk = true\n"})
    EXPECT_NE(r.find(line), std::string::npos) << line << "\n" << r;
  EXPECT_EQ(r.find("length_unit"), std::string::npos) << "file-only keys are left out for a generator";
}

TEST_F(ResolvedCase, OverridesAreNamedInTheHeader) {
  const std::string r = load(head, {"solver.tolerance=1e-9"}).resolved_toml;
  EXPECT_NE(r.find("# --set solver.tolerance=1e-9\n"), std::string::npos) << r;
  EXPECT_NE(r.find("tolerance = 1e-09\n"), std::string::npos) << r;
}

// ---- the reference --------------------------------------------------------------------------------------------

TEST(CaseReference, NamesEveryTableAndKey) {
  const std::string md = case_reference_markdown();
  for (const char* s : {"## [case]", "## [network]", "## [blood]", "## [[boundary.node]]", "## [solver]",
                        "## [output]", "`schema_version`", "`viscosity_law`", "`\"pries1994_invivo\"`",
                        "`radius_is_diameter`", "`max_iterations`", "## [oxygen]", "`consumption_periportal`",
                        "## [time]", "## [disease] stage presets", "cells d/ml", "mmHg", "nl/min", "mol/m^3/s"})
    EXPECT_NE(md.find(s), std::string::npos) << s;
}

TEST(CaseReference, DocsFileMatchesTheSchemaTable) {
  const std::string path = std::string(HEPAFLOW_SOURCE_DIR) + "/docs/case_reference.md";
  const std::string expected = case_reference_markdown();
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; run: cmake --build build --target update_case_reference";
  const std::string actual((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual, expected) << path << " is out of date; run: cmake --build build --target update_case_reference";
}

}  // namespace
}  // namespace hepaflow

#pragma once
// The subcommands of the hepaflow program. Each returns the process exit code or throws
// hepaflow::Error (mapped to its exit code by main).
#include <string>
#include <vector>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow::app {

struct RunArguments {
  std::string case_path;
  std::string output_dir;             ///< empty: results/<case name>
  std::string backend;                ///< empty: the case's solver.backend
  std::vector<std::string> overrides; ///< --set
  bool overwrite = false;
  bool quiet = false;
  std::string command_line;
};
int run_command(const RunArguments& args);
int check_command(const std::string& case_path, const std::vector<std::string>& overrides);

struct GenerateArguments {
  GeneratorSpec spec;
  std::string output;
};
int generate_command(const GenerateArguments& args);

struct ConvertArguments {
  std::string input, output;
  std::string length_unit = "1 um";
  std::string radius_array;
  bool radius_is_diameter = false;
};
int convert_command(const ConvertArguments& args);

int info_command();

struct BenchArguments {
  std::vector<double> sizes;        ///< target segment counts
  std::string backend = "auto";
  bool direct = true;               ///< also time CHOLMOD where built and size allows
  double direct_max_segments = 3e6;
  std::string network_file;         ///< benchmark this file instead of lobule blocks
  std::vector<int> peer_grid;       ///< benchmark the peer's n^3 grid networks (peer_flow_bench.py) instead
  std::string viscosity_law = "constant";  ///< other than constant: benchmark the coupled rheology loop
  std::string phase_separation = "none";
  std::string oxygen = "none";             ///< "krogh": also time the oxygen sweep
  std::string output;               ///< markdown table file (optional)
  double tolerance = 1e-8;
  int repeat = 3;
  std::string command_line;
};
int bench_command(const BenchArguments& args);

/// Load the network a case names (file or generator), apply its boundary conditions and validate it.
Network load_case_network(const CaseConfig& config, std::vector<std::string>* warnings);

/// Write a network file by the output's extension (.dat, .vtp, or a folder / .csv for CSV).
void write_network_by_extension(const Network& net, const std::string& path);

}  // namespace hepaflow::app

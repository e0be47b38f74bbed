#pragma once
// The subcommands of the hepaflow program. Each returns the process exit code or throws
// hepaflow::Error (mapped to its exit code by main).
#include <string>
#include <utility>
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
  int checkpoint_every = -1;          ///< remodelling steps between checkpoints; -1: the case's time.checkpoint_every
  std::string resume_dir;             ///< --resume DIR: continue the run in DIR from its latest valid checkpoint
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
/// `hepaflow case-reference [-o FILE]`: docs/case_reference.md from the schema table (the build
/// writes it to <build>/docs/case_reference.md; a test compares it with the committed file).
int case_reference_command(const std::string& output);

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
  bool petsc = false;                ///< time solver.method = "petsc" (on the ranks of mpirun) against Jacobi-PCG
  bool transport = false;            ///< time the transport sweeps node by node vs chains collapsed
  std::vector<int> partition_parts; ///< with petsc: the partition's cut for these part counts (default 2..64)
  std::vector<std::string> preconditioners{"jacobi", "amg"};  ///< one row each
  std::vector<double> radius_sigma{0.0};  ///< lognormal diameter spread(s) applied to each network
  std::vector<std::string> jacobi_kernels{"auto"};  ///< Jacobi rows: auto | sell | csr (fused) | unfused, one row each
  std::vector<std::string> orderings{"rcm"};        ///< fused Jacobi rows: rcm | none, one row each
  int sell_sigma = 256;             ///< SELL sorting window (rows)
  int sell_chunk = 32;              ///< SELL chunk size C (rows)
  bool shuffle_nodes = false;       ///< number the network's nodes at random first (a file in no useful order)
  bool roofline = false;            ///< also time each fused Jacobi-PCG kernel alone (per-phase roofline table)
  std::string command_line;
};
int bench_command(const BenchArguments& args);

struct SweepArguments {
  std::string case_path;
  std::vector<std::string> params;    ///< --param table.key=v1,v2,... (first varies slowest)
  std::vector<std::string> overrides; ///< --set, given to every member
  std::string output_dir;             ///< empty: results/<case name>_sweep
  int jobs = 0;                       ///< members at once (per MPI rank); 0: usable CPUs / 2 (at least 1)
  std::string backend;                ///< empty: the case's solver.backend
  bool overwrite = false;
  bool quiet = false;
};
/// Run the cartesian product of the --param lists, each member a child `hepaflow run` process, and
/// tabulate them in DIR/sweep.csv (sweep_command.cpp).
int sweep_command(const SweepArguments& args);

/// Split a --param value list on the commas outside [], {} and quotes ("a,[1,2],'x,y'" -> 3).
std::vector<std::string> split_sweep_values(const std::string& list);

/// Sweep metrics of one member's history.csv text (header, then one numeric row per step; a
/// time_d column): final_M, mean_M (trapezoidal time average) and change_M per column M other than
/// step, time_d, segments, sprouts, wall_time_s, in column order. InputError if it is malformed.
std::vector<std::pair<std::string, double>> history_metrics(const std::string& csv_text);
/// final_M for every top-level number of a member's summary.json text other than wall_time_s
/// (strings, booleans, null and nested values skipped), in file order. InputError if it is not a JSON object.
std::vector<std::pair<std::string, double>> summary_metrics(const std::string& json_text);

/// Load the network a case names (file or generator), apply its boundary conditions and validate it.
Network load_case_network(const CaseConfig& config, std::vector<std::string>* warnings);

/// Write a network file by the output's extension (.dat, .vtp, or a folder / .csv for CSV).
void write_network_by_extension(const Network& net, const std::string& path);

}  // namespace hepaflow::app

// hepaflow: the command-line program. Exit codes (DESIGN.md): 0 ok, 1 runtime error, 2 usage,
// 3 invalid case/network, 4 I/O, 5 no convergence, 6 backend unavailable.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cctype>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/parallel/mpi.hpp"
#include "hepaflow/version.hpp"

namespace {

std::string joined_command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

int hepaflow_main(int argc, char** argv);

/// PETSc's own options on the command line (-ksp_type cg, -pc_type gamg, -log_view ...) are not
/// hepaflow's: taken out of argv (each with its value, when the next word is not an option) and
/// handed to the PETSc solver. Returns them as one string.
std::string take_petsc_options(int& argc, char** argv) {
  static const char* prefixes[] = {"-ksp_", "-pc_", "-mg_", "-mat_", "-log_view", "-options_"};
  std::string taken;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    bool petsc = false;
    for (const char* p : prefixes) petsc = petsc || word.rfind(p, 0) == 0;
    if (!petsc) {
      argv[kept++] = argv[i];
      continue;
    }
    taken += (taken.empty() ? "" : " ") + word;
    if (i + 1 < argc) {
      const std::string value = argv[i + 1];
      const bool number = !value.empty() && (std::isdigit(static_cast<unsigned char>(value[0])) ||
                                             (value.size() > 1 && value[0] == '-' && std::isdigit(static_cast<unsigned char>(value[1]))));
      if (value.empty() || value[0] != '-' || number) taken += " " + std::string(argv[++i]);
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  return taken;
}

/// An error of one rank of several: said with the rank, then every rank ends (MPI_Abort) with its
/// exit code, since the others may wait for this one in a collective.
int fail(const std::string& message, int exit_code) {
  using namespace hepaflow;
  if (parallel::size() > 1) {
    std::cerr << "hepaflow (rank " << parallel::rank() << " of " << parallel::size() << "): error: " << message << "\n";
    parallel::abort_all(exit_code);
  }
  std::cerr << "hepaflow: error: " << message << "\n";
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hepaflow;
  try {
    parallel::initialize(&argc, &argv);  // only under mpirun/srun (MPI builds)
  } catch (const Error& e) {
    std::cerr << "hepaflow: error: " << e.what() << "\n";
    return e.exit_code();
  }
  // A file-size limit (ulimit -f) must fail the write (EFBIG, reported with exit code 4 and the
  // previous files intact), not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);
  const int code = hepaflow_main(argc, argv);
  parallel::finalize();
  return code;
}

namespace {

int hepaflow_main(int argc, char** argv) {
  using namespace hepaflow;
  set_petsc_command_line_options(take_petsc_options(argc, argv));
  CLI::App cli{"hepaflow " HEPAFLOW_VERSION
               ": blood flow and oxygen transport in microvascular networks (liver sinusoids first).\n"
               "Exit codes: 0 ok, 1 runtime error, 2 usage, 3 invalid case/network, 4 I/O, 5 no convergence, "
               "6 backend unavailable.",
               "hepaflow"};
  cli.set_version_flag("--version", std::string("hepaflow " HEPAFLOW_VERSION " (git " HEPAFLOW_GIT_HASH ")"));
  cli.require_subcommand(1);

  app::RunArguments run;
  auto* run_cmd = cli.add_subcommand("run", "Run a case file and write results (VTK, JSON, log) to a folder");
  run_cmd->add_option("case", run.case_path, "Case file (TOML); not with --resume");
  run_cmd->add_option("-o,--output", run.output_dir, "Output folder (default: results/<case name>)");
  run_cmd->add_option("--backend", run.backend, "auto | cpu | cuda (default: the case's solver.backend)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  run_cmd->add_option("--set", run.overrides, "Override a case key: table.key=value (repeatable)");
  run_cmd->add_flag("--overwrite", run.overwrite, "Allow writing into a non-empty output folder");
  run_cmd->add_flag("-q,--quiet", run.quiet, "Only print errors");
  run_cmd->add_option("--checkpoint-every", run.checkpoint_every,
                      "Remodelling runs: write a restartable checkpoint every N steps and at the last "
                      "(DIR/checkpoint_NNNNNN.hfck, last two kept; default: the case's time.checkpoint_every, 0 = none)")
      ->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--resume", run.resume_dir,
                      "Continue the killed run in this output folder from its latest valid checkpoint, with "
                      "DIR/case.resolved.toml; results equal an uninterrupted run's (exit 4: no/corrupt checkpoint, "
                      "3: checkpoint of another case or version)");

  std::string check_case;
  std::vector<std::string> check_overrides;
  auto* check_cmd = cli.add_subcommand("check", "Validate a case file (and its network) without running it");
  check_cmd->add_option("case", check_case, "Case file (TOML)")->required();
  check_cmd->add_option("--set", check_overrides, "Override a case key: table.key=value (repeatable)");

  app::GenerateArguments gen;
  std::vector<int> blocks;
  auto* gen_cmd = cli.add_subcommand("generate", "Generate a network (lobule, lobule_block, ladder, tree, grid)");
  gen_cmd->add_option("generator", gen.spec.name, "lobule | lobule_block | ladder | tree | grid")
      ->required()
      ->check(CLI::IsMember({"lobule", "lobule_block", "ladder", "tree", "grid"}));
  gen_cmd->add_option("-o,--output", gen.output, "Output file: .dat (Secomb), .vtp, or a folder for CSV")->required();
  gen_cmd->add_option("--preset", gen.spec.preset, "Lobule preset: human | rat")->check(CLI::IsMember({"human", "rat"}));
  gen_cmd->add_option("--rings", gen.spec.rings, "Lobule: radial node rings portal->central (0 = preset)");
  gen_cmd->add_option("--layers", gen.spec.layers, "Lobule: node layers along the axis (0 = preset)");
  gen_cmd->add_option("--blocks", blocks, "lobule_block: lobules in x and y")->expected(2);
  gen_cmd->add_option("--size", gen.spec.size, "ladder: rungs; tree: generations; grid: nx ny nz")->expected(1, 3);
  gen_cmd->add_option("--seed", gen.spec.seed, "Random seed");

  app::ConvertArguments conv;
  auto* conv_cmd = cli.add_subcommand("convert", "Convert a network between Network.dat, .vtp and CSV");
  conv_cmd->add_option("input", conv.input, "Input network (.dat, .vtp, CSV folder)")->required();
  conv_cmd->add_option("output", conv.output, "Output network (.dat, .vtp, CSV folder)")->required();
  conv_cmd->add_option("--length-unit", conv.length_unit, "Unit of .vtp/.csv lengths (default \"1 um\")");
  conv_cmd->add_option("--radius-array", conv.radius_array, ".vtp radius array name (default: auto-detect)");
  conv_cmd->add_flag("--radius-is-diameter", conv.radius_is_diameter, ".vtp array holds diameters");

  auto* info_cmd = cli.add_subcommand("info", "Version, backends, devices and optional components");

  std::string reference_output;
  auto* reference_cmd = cli.add_subcommand(
      "case-reference", "Print the case-file reference (every key, type, unit, default, range) as Markdown");
  reference_cmd->add_option("-o,--output", reference_output, "Write it to this file instead of standard output");

  app::SweepArguments sweep;
  auto* sweep_cmd = cli.add_subcommand(
      "sweep", "Run a case for every combination of --param values (one `run` child process each; under mpirun spread over "
      "the ranks); table in DIR/sweep.csv");
  sweep_cmd->add_option("case", sweep.case_path, "Case file (TOML)")->required();
  sweep_cmd->add_option("--param", sweep.params,
                        "table.key=v1,v2,... (repeatable; the first varies slowest; bare numbers get the key's unit)")
      ->required()
      ->allow_extra_args(false);  // one value per --param, so the case may also come after them
  sweep_cmd->add_option("--set", sweep.overrides, "Override a case key in every member: table.key=value (repeatable)")
      ->allow_extra_args(false);
  sweep_cmd->add_option("-o,--output", sweep.output_dir, "Output folder (default: results/<case name>_sweep)");
  sweep_cmd->add_option("-j,--jobs", sweep.jobs, "Members run at once (default: hardware threads / 2)")
      ->check(CLI::PositiveNumber);
  sweep_cmd->add_option("--backend", sweep.backend, "auto | cpu | cuda (default: the case's solver.backend)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  sweep_cmd->add_flag("--overwrite", sweep.overwrite, "Allow writing into a non-empty output folder");
  sweep_cmd->add_flag("-q,--quiet", sweep.quiet, "Only print errors");

  app::BenchArguments bench;
  auto* bench_cmd = cli.add_subcommand("bench", "Benchmark the flow solve on lobule blocks (or a network file)");
  bench_cmd->add_option("--sizes", bench.sizes, "Target segment counts (default 1e3 1e4 1e5 1e6)");
  bench_cmd->add_option("--backend", bench.backend, "auto | cpu | cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  bench_cmd->add_option("--network", bench.network_file, "Benchmark this network file instead");
  bench_cmd->add_option("--peer-grid", bench.peer_grid,
                        "Benchmark the n^3 grid network of shared/tools/peer_flow_bench.py (sides n)");
  bench_cmd->add_option("--direct-max", bench.direct_max_segments, "Largest size solved by CHOLMOD as the peer");
  bench_cmd->add_option("--tolerance", bench.tolerance, "Relative residual of the pressure solve");
  bench_cmd->add_option("--repeat", bench.repeat, "Timed repetitions per size (median reported)");
  bench_cmd->add_option("-o,--output", bench.output, "Also write the table (markdown) to this file");
  bench_cmd->add_option("--viscosity-law", bench.viscosity_law, "constant | pries1994_invivo | pries1992_invitro")
      ->check(CLI::IsMember({"constant", "pries1994_invivo", "pries1992_invitro"}));
  bench_cmd->add_option("--phase-separation", bench.phase_separation, "none | pries_secomb_2005")
      ->check(CLI::IsMember({"none", "pries_secomb_2005"}));
  bench_cmd->add_option("--oxygen", bench.oxygen, "none | krogh: also time the oxygen sweep")
      ->check(CLI::IsMember({"none", "krogh"}));
  bench_cmd->add_flag("--transport", bench.transport,
                      "Time the haematocrit and O2 sweeps with unbranched chains collapsed against one level per "
                      "node depth: levels, launches per sweep, sweep times");
  bench_cmd->add_flag("--petsc", bench.petsc,
                      "Time solver.method = \"petsc\" (distributed over mpirun's ranks) against Jacobi-PCG, and "
                      "tabulate the partition's cut for --partition-parts");
  bench_cmd->add_option("--partition-parts", bench.partition_parts, "Part counts of the cut table (default 2 4 8 16 32 64)");
  bench_cmd->add_option("--preconditioner", bench.preconditioners, "PCG preconditioners to time: jacobi amg (default both)")
      ->check(CLI::IsMember({"jacobi", "amg"}));
  bench_cmd->add_option("--radius-sigma", bench.radius_sigma,
                        "Lognormal diameter spread(s): radii times exp(sigma Z), Z ~ N(0,1) (default 0)");
  bench_cmd->add_option("--jacobi-kernels", bench.jacobi_kernels,
                        "Jacobi-PCG kernels to time: sell (fused, SELL-C-sigma), csr (fused, CSR), unfused, "
                        "auto (default: sell on cuda, csr on cpu)")
      ->check(CLI::IsMember({"auto", "sell", "csr", "unfused"}));
  bench_cmd->add_option("--ordering", bench.orderings, "Unknown numbering of the fused Jacobi solve: rcm none (default rcm)")
      ->check(CLI::IsMember({"rcm", "none"}));
  bench_cmd->add_option("--sell-sigma", bench.sell_sigma, "SELL sorting window in rows (1: none; rounded up to a multiple of the chunk size; default 256)")
      ->check(CLI::Range(1, 1 << 30));
  bench_cmd->add_option("--sell-chunk", bench.sell_chunk, "SELL chunk size C in rows (default 32, a CUDA warp)")
      ->check(CLI::Range(1, 1024));
  bench_cmd->add_flag("--shuffle-nodes", bench.shuffle_nodes,
                      "Renumber the network's nodes at random first (as a file in no useful order)");
  bench_cmd->add_flag("--roofline", bench.roofline,
                      "Also time each fused Jacobi-PCG kernel alone: bytes, GB/s, fraction of the copy bandwidth");
  bool no_direct = false;
  bench_cmd->add_flag("--no-direct", no_direct, "Skip the CHOLMOD peer");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "hepaflow: usage error: " << e.what() << "\n(run 'hepaflow --help' or 'hepaflow <command> --help')\n";
    return static_cast<int>(ExitCode::usage);
  }

  try {
    const std::string command_line = joined_command_line(argc, argv);
    if (*run_cmd) {
      run.command_line = command_line;
      if (run.resume_dir.empty() && run.case_path.empty())
        throw UsageError("run: give a case file, or --resume DIR to continue a killed run");
      if (!run.resume_dir.empty() &&
          (!run.case_path.empty() || !run.output_dir.empty() || !run.overrides.empty() || run.overwrite))
        throw UsageError("run --resume DIR takes no case file, --output, --set or --overwrite: the run goes on "
                         "in DIR with DIR/case.resolved.toml");
      if (parallel::rank() != 0) {  // a run on several ranks computes everywhere, speaks and writes on rank 0
        run.quiet = true;
        io::set_writes_enabled(false);
      }
      return app::run_command(run);
    }
    if (*check_cmd) return app::check_command(check_case, check_overrides);
    if (*gen_cmd) {
      if (!blocks.empty()) gen.spec.blocks_x = blocks[0], gen.spec.blocks_y = blocks[1];
      return app::generate_command(gen);
    }
    if (*conv_cmd) return app::convert_command(conv);
    if (*sweep_cmd) return app::sweep_command(sweep);
    if (*info_cmd) return app::info_command();
    if (*reference_cmd) return app::case_reference_command(reference_output);
    if (*bench_cmd) {
      bench.direct = !no_direct;
      bench.command_line = command_line;
      return app::bench_command(bench);
    }
  } catch (const Error& e) {
    return fail(e.what(), e.exit_code());
  } catch (const std::bad_alloc&) {
    return fail("out of memory", static_cast<int>(ExitCode::runtime_error));
  } catch (const std::exception& e) {
    return fail(e.what(), static_cast<int>(ExitCode::runtime_error));
  }
  return static_cast<int>(ExitCode::usage);
}

}  // namespace

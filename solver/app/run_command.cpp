// hepaflow run / check: case file -> network -> steady flow -> output folder.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/io/binary_archive.hpp"
#include "hepaflow/io/json.hpp"
#include "hepaflow/io/network_output.hpp"
#include "hepaflow/io/sha256.hpp"
#include "hepaflow/finite_check.hpp"
#include "hepaflow/memory_budget.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/parallel/mpi.hpp"
#include "hepaflow/simulation/remodelling_run.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "hepaflow/units.hpp"
#include "hepaflow/version.hpp"

namespace fs = std::filesystem;

namespace hepaflow::app {

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Log lines for log.txt, echoed to stderr unless quiet.
class RunLog {
 public:
  explicit RunLog(bool quiet) : quiet_(quiet) {}
  void operator()(const std::string& line) {
    if (!quiet_) std::cerr << line << "\n";
    text_ += line + "\n";
  }
  /// Into log.txt only (the terminal shows a progress line instead).
  void silent(const std::string& line) { text_ += line + "\n"; }
  const std::string& text() const { return text_; }
  /// A resumed run's log goes on from the checkpoint's.
  void restore(const std::string& text) { text_ = text; }

 private:
  bool quiet_;
  std::string text_;
};

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

/// run_info.json: version, git hash, backend, device, case hash, command line, timings.
void write_run_info(const std::string& path, const RunArguments& args, const std::string& backend,
                    const std::string& device, const io::JsonObject& timings, int resumed_from_step = -1) {
  io::JsonObject info;
  info.add("hepaflow_version", HEPAFLOW_VERSION)
      .add("git_hash", HEPAFLOW_GIT_HASH)
      .add("date_utc", utc_timestamp())
      .add("backend", backend)
      .add("device", device)
      .add("cuda_built", kernels::cuda::built_with_cuda())
      .add("case_path", fs::absolute(args.case_path).string())
      .add("case_sha256", io::sha256_file(args.case_path))
      .add("command_line", args.command_line);
  if (resumed_from_step >= 0) info.add("resumed_from_step", resumed_from_step);
  info.add("timings", timings);
  io::write_file_atomically(path, [&](std::ostream& o) { o << info.str() << "\n"; });
}

/// Per-segment oxygen arrays of a solution (all of one length), for solution_fields().
struct OxygenArrays {
  const std::vector<double>& po2_in;
  const std::vector<double>& po2_out;
  const std::vector<double>& po2_mean;
  const std::vector<double>& so2;
  const std::vector<double>& o2_flux;   ///< [m^3 O2 (STP)/s]
  const std::vector<double>& node_po2;  ///< [mmHg]
};

/// The .vtp arrays of a flow (and oxygen) solution, with their units in the names (DESIGN.md
/// Conventions): one place for the steady and the remodelling runs.
io::NetworkFields solution_fields(const Network& net, double plasma_viscosity, const std::vector<double>& flow,
                                  const std::vector<double>& velocity, const std::vector<double>& shear,
                                  const std::vector<double>& viscosity, const std::vector<double>& haematocrit,
                                  const std::vector<double>& node_pressure, const OxygenArrays* o2) {
  io::NetworkFields fields;
  const std::size_t ns = net.num_segments();
  io::NamedArray q{"flow_nl_per_min", std::vector<double>(ns)}, v{"velocity_mm_per_s", std::vector<double>(ns)},
      tau{"wall_shear_stress_Pa", shear}, mu{"viscosity_cP", std::vector<double>(ns)},
      relative{"relative_viscosity", std::vector<double>(ns)};
  for (std::size_t s = 0; s < ns; ++s) {
    q.values[s] = flow[s] / units::nl_per_min;
    v.values[s] = velocity[s] / units::mm_per_s;
    mu.values[s] = viscosity[s] / units::cP;
    relative.values[s] = viscosity[s] / plasma_viscosity;
  }
  fields.cell_data = {q, v, tau, mu, relative, {"haematocrit", haematocrit}, {"zone", net.zone}};
  if (o2) {
    io::NamedArray o2_flux{"o2_flux_nl_per_min", o2->o2_flux};
    for (double& x : o2_flux.values) x /= units::nl_per_min;  // nl O2 (STP) per min into the tissue
    fields.cell_data.push_back({"po2_in_mmHg", o2->po2_in});
    fields.cell_data.push_back({"po2_out_mmHg", o2->po2_out});
    fields.cell_data.push_back({"po2_mean_mmHg", o2->po2_mean});
    fields.cell_data.push_back({"so2", o2->so2});
    fields.cell_data.push_back(o2_flux);
  }
  io::NamedArray p{"pressure_mmHg", std::vector<double>(net.num_nodes())};
  for (std::size_t i = 0; i < net.num_nodes(); ++i) p.values[i] = node_pressure[i] / units::mmHg;
  fields.point_data = {p};
  if (o2) fields.point_data.push_back({"po2_mmHg", o2->node_po2});
  return fields;
}

/// A progress line on a terminal (step, simulated time, ETA), overwritten in place.
void progress_line(const RemodellingRun& run, double elapsed_s) {
  const int done = run.step(), total = std::max(1, run.total_steps());
  const double eta = done > 0 ? elapsed_s / done * (total - done) : 0.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "\r  step %d/%d  t = %.1f d  elapsed %.0f s  ETA %.0f s   ", done, total,
                run.time_s() / units::day, elapsed_s, eta);
  std::cerr << buf << (done >= total ? "\n" : "") << std::flush;
}

/// The .vtp arrays of a remodelling step: the solution's plus the disease state (MODEL.md §4-5).
io::NetworkFields remodelling_fields(const RemodellingRun& run, const CaseConfig& config) {
  const Network& net = run.network();
  const RemodellingSolution& sol = run.solution();
  const DiseaseState& st = run.disease();
  const bool oxygen = config.oxygen.tissue_model != "none";
  const OxygenArrays o2{sol.po2_in, sol.po2_out, sol.po2_mean, sol.so2, sol.o2_flux, sol.node_po2};
  io::NetworkFields fields = solution_fields(net, config.blood.plasma_viscosity, sol.flow, sol.velocity,
                                             sol.wall_shear_stress, sol.viscosity, sol.haematocrit, sol.node_pressure,
                                             oxygen ? &o2 : nullptr);
  const std::size_t m = net.num_segments();
  io::NamedArray signal{"msc_signal", std::vector<double>(m)}, age{"segment_age_d", std::vector<double>(m)},
      factor{"radius_factor", std::vector<double>(m)}, septal{"septal", std::vector<double>(m)};
  for (std::size_t s = 0; s < m; ++s) {
    signal.values[s] = sol.msc_signal[s] * 1e-6;  // cells per ml of tissue
    age.values[s] = std::isfinite(st.birth_time[s]) ? (run.time_s() - st.birth_time[s]) / units::day : std::nan("");
    const double r0 = std::isfinite(st.birth_time[s]) ? st.mature_radius[s] : st.base_radius[s];
    factor.values[s] = st.radius[s] / r0;
    septal.values[s] = st.septal[s];
  }
  for (io::NamedArray a : {io::NamedArray{"hsc_activation", st.activation}, io::NamedArray{"hsc_tone", st.tone},
                           io::NamedArray{"capillarization", st.capillarization}, io::NamedArray{"collagen", st.collagen},
                           io::NamedArray{"closed", st.closed}, signal, io::NamedArray{"msc_effect", st.effect}, age,
                           factor, septal, io::NamedArray{"function_index", st.function}})
    fields.cell_data.push_back(std::move(a));
  if (oxygen) {
    fields.cell_data.push_back({"tissue_po2_mmHg", sol.tissue_po2});
    fields.cell_data.push_back({"tissue_hypoxic_fraction", sol.tissue_hypoxic});
  }
  return fields;
}

/// What a remodelling run has written so far; a checkpoint carries it with the run's state.
struct RemodellingProgress {
  std::string history;                ///< history.csv text, header and one line per step done
  std::vector<io::PvdEntry> series;   ///< network.pvd entries
  HistoryRow first;                   ///< step 0 (summary.json's initial_ metrics)
  double vtk_seconds = 0;
  int checkpoint_every = 0;           ///< steps between checkpoints (0: none)
  std::string case_sha256;            ///< of DIR/case.resolved.toml, as written
  int resumed_from_step = -1;
};

/// checkpoint_NNNNNN.hfck of a step.
std::string checkpoint_name(int step) {
  char name[40];
  std::snprintf(name, sizeof name, "checkpoint_%06d.hfck", step);
  return name;
}

/// The checkpoints in `dir` as (step, path), newest first.
std::vector<std::pair<int, std::string>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    int step = -1;
    char tail[8] = {0};
    if (name.size() == 22 && std::sscanf(name.c_str(), "checkpoint_%6d.%5s", &step, tail) == 2 &&
        std::string(tail) == "hfck" && step >= 0)
      found.emplace_back(step, entry.path().string());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return found;
}

/// Write the checkpoint of the run's current step atomically, then keep it and the one before it
/// (a later step's file, left by a run resumed from an older checkpoint, is stale and goes too).
void write_checkpoint(const std::string& dir, const RemodellingRun& run, const RemodellingProgress& progress,
                      const RunLog& log, const std::string& backend) {
  io::BinaryWriter w;
  w.put_string(HEPAFLOW_VERSION);
  w.put_string(HEPAFLOW_GIT_HASH);
  w.put_string(progress.case_sha256);
  w.put_string(backend);
  w.put<std::int64_t>(progress.checkpoint_every);
  w.put_string(progress.history);
  w.put<std::uint64_t>(progress.series.size());
  for (const auto& e : progress.series) {
    w.put(e.time);
    w.put_string(e.file);
  }
  save_history_row(w, progress.first);
  w.put(progress.vtk_seconds);
  w.put_string(log.text());
  run.save_state(w);
  io::write_checkpoint_file(dir + checkpoint_name(run.step()), w.bytes());
  int kept = 0;
  for (const auto& [step, path] : list_checkpoints(dir)) {
    if (step <= run.step() && ++kept <= 2) continue;
    std::error_code ec;
    fs::remove(path, ec);
  }
}

/// Step the run to its end: after each step history.csv, the .vtp and .pvd at output steps, the log
/// line and, every checkpoint_every steps and at the last, a checkpoint (written after the files it
/// describes, so that a resumed run finds them); then summary.json, run_info.json and log.txt.
/// A resumed run enters with its checkpoint's step already written (`step_written`).
int step_to_end(const RunArguments& args, const CaseConfig& config, RemodellingRun& run, RemodellingProgress& progress,
                const std::string& device, RunLog& log, const std::string& out_dir, clock_type::time_point t_start,
                bool step_written) {
  const std::string dir = out_dir + "/";
  const bool vtk = config.output.vtk && io::vtk_output_available();
  const bool terminal = !args.quiet && isatty(STDERR_FILENO);
  const std::string backend_name = run.solution().steady.backend;
  const auto t_loop = clock_type::now();
  while (true) {
    if (!step_written) {
      // Outputs of this step: history.csv after every step, the network at output steps (the .pvd is
      // rewritten after the .vtp it lists, so a killed run leaves a valid series).
      progress.history += history_csv_line(run.row()) + "\n";
      io::write_file_atomically(dir + "history.csv", [&](std::ostream& o) { o << progress.history; });
      if (vtk && run.output_due()) {
        const auto t = clock_type::now();
        char name[32];
        std::snprintf(name, sizeof name, "network_%06zu.vtp", progress.series.size());
        io::write_network_vtp(dir + name, run.network(), remodelling_fields(run, config));
        progress.series.push_back({run.time_s() / units::day, name});
        io::write_pvd(dir + "network.pvd", progress.series);
        progress.vtk_seconds += seconds_since(t);
      }
      if (terminal) progress_line(run, seconds_since(t_loop));
      if (args.quiet || terminal) log.silent(run.step_log());
      else log(run.step_log());
      if (progress.checkpoint_every > 0 && (run.step() % progress.checkpoint_every == 0 || run.done()))
        write_checkpoint(dir, run, progress, log, backend_name);
    }
    step_written = false;
    if (run.done()) break;
    run.advance();
  }
  const HistoryRow& last = run.row();
  const HistoryRow& first = progress.first;
  const double wall = seconds_since(t_start);
  io::JsonObject summary;
  summary.add("case", config.name)
      .add("disease_stage", config.disease.stage)
      .add("steps", run.step())
      .add("time_d", last.time_d)
      .add("segments", last.segments)
      .add("sprouts", last.sprouts)
      .add("nodes", run.network().num_nodes())
      .add("open_segments", run.solution().open_segments)
      .add("boundary_hold", config.boundary_control.hold)
      .add("infusions", config.therapy.infusions.size());
  const auto add_row = [&](const std::string& prefix, const HistoryRow& r) {
    summary.add(prefix + "pressure_drop_mmHg", r.pressure_drop_mmHg)
        .add(prefix + "resistance_mmHg_min_per_nl", r.resistance_mmHg_min_per_nl)
        .add(prefix + "total_inflow_nl_per_min", r.total_flow_nl_per_min)
        .add(prefix + "perfused_fraction", r.perfused_fraction)
        .add(prefix + "flow_cv", r.flow_cv)
        .add(prefix + "shunt_flow_fraction", r.shunt_flow_fraction)
        .add(prefix + "po2_periportal_mmHg", r.po2_periportal_mmHg)
        .add(prefix + "po2_midzonal_mmHg", r.po2_midzonal_mmHg)
        .add(prefix + "po2_pericentral_mmHg", r.po2_pericentral_mmHg)
        .add(prefix + "po2_tissue_mean_mmHg", r.po2_tissue_mean_mmHg)
        .add(prefix + "hypoxic_fraction", r.hypoxic_fraction)
        .add(prefix + "function_index", r.function_index)
        .add(prefix + "cpa_mean", r.cpa_mean)
        .add(prefix + "hsc_activation_mean", r.hsc_activation_mean)
        .add(prefix + "closed_fraction", r.closed_fraction);
  };
  add_row("", last);
  add_row("initial_", first);
  const SteadyFlowResult& steady = run.solution().steady;
  summary.add("max_mass_imbalance", steady.metrics.max_mass_imbalance)
      .add("solver_method", steady.solve.method)
      .add("solver_iterations", steady.solve.iterations)
      .add("rheology_converged", steady.rheology.converged)
      .add("o2_mass_balance_error", steady.has_oxygen ? steady.oxygen.mass_balance_error : std::nan(""))
      .add("backend", steady.backend)
      .add("wall_time_s", wall);
  io::JsonObject timings;
  timings.add("steps_s", seconds_since(t_loop) - progress.vtk_seconds)
      .add("finite_checks_s", finite_check_seconds())
      .add("write_vtk_s", progress.vtk_seconds)
      .add("total_s", wall);
  io::write_file_atomically(dir + "summary.json", [&](std::ostream& o) { o << summary.str() << "\n"; });
  write_run_info(dir + "run_info.json", args, steady.backend, device, timings, progress.resumed_from_step);
  std::ostringstream done;
  done << "wrote " << out_dir << "/ in " << wall << " s: history.csv (" << run.step() + 1 << " rows), "
       << progress.series.size() << " network_NNNNNN.vtp + network.pvd, summary.json, run_info.json, case.resolved.toml, log.txt";
  if (progress.checkpoint_every > 0) done << ", " << checkpoint_name(run.step());
  log(done.str());
  io::write_file_atomically(dir + "log.txt", [&](std::ostream& o) { o << log.text(); });
  if (!args.quiet) std::cout << "results: " << fs::absolute(out_dir).string() << "\n";
  return 0;
}

/// The physics a case enables, for the memory estimate; with the network (when loaded) the tissue
/// grid's cells and sub-segments are sized from its bounding box and vessel length.
PhysicsSelection physics_of(const CaseConfig& config, const Network* net) {
  PhysicsSelection p;
  p.phase_separation = config.blood.phase_separation != "none";
  if (config.solver.rheology_acceleration == "anderson") p.anderson_depth = config.solver.rheology_anderson_depth;
  p.tissue_model = config.oxygen.tissue_model;
  p.remodelling = config.time.given || config.disease.stage != "none" || config.disease.constriction > 0 ||
                  config.boundary_control.hold != "pressure";
  p.vtk_output = config.output.vtk && io::vtk_output_available();
  if (net && p.tissue_model == "grid" && net->num_nodes() > 0) {
    const auto [x0, x1] = std::minmax_element(net->x.begin(), net->x.end());
    const auto [y0, y1] = std::minmax_element(net->y.begin(), net->y.end());
    const auto [z0, z1] = std::minmax_element(net->z.begin(), net->z.end());
    const double h = config.oxygen.grid_spacing, pad = 2 * config.oxygen.grid_padding;
    double cells = 1;
    for (double extent : {*x1 - *x0, *y1 - *y0, *z1 - *z0}) cells *= std::ceil((extent + pad) / h) + 1;
    double length = 0;
    for (double l : net->length) length += l;
    p.tissue_cells = static_cast<std::size_t>(cells);
    p.subsegments = static_cast<std::size_t>(length / h) + net->num_segments();
  }
  return p;
}

int run_remodelling(const RunArguments& args, const CaseConfig& config, const Network& healthy,
                    const KernelSet& backend, const std::string& device, RunLog& log, const std::string& out_dir,
                    clock_type::time_point t_start) {
  RemodellingRun run(config, healthy, backend);
  for (const auto& line : run.setup_log()) log(line);
  io::create_output_folder(out_dir);
  const std::string dir = out_dir + "/";
  // A fresh run (--overwrite) must not leave an older run's checkpoints to be resumed from.
  for (const auto& checkpoint : list_checkpoints(out_dir)) {
    std::error_code ec;
    fs::remove(checkpoint.second, ec);
  }
  io::write_file_atomically(dir + "case.resolved.toml", [&](std::ostream& o) { o << config.resolved_toml; });
  if (config.output.vtk && !io::vtk_output_available())
    log("warning: output.vtk = true but this hepaflow was built without VTK: no .vtp written");
  RemodellingProgress progress;
  progress.history = history_csv_header() + "\n";
  progress.first = run.row();
  progress.checkpoint_every = args.checkpoint_every >= 0 ? args.checkpoint_every : config.time.checkpoint_every;
  progress.case_sha256 = io::sha256_hex(config.resolved_toml);
  if (progress.checkpoint_every > 0)
    log("checkpoints: every " + std::to_string(progress.checkpoint_every) + " steps and at the last (" + out_dir +
        "/checkpoint_NNNNNN.hfck; continue a killed run with hepaflow run --resume " + out_dir + ")");
  return step_to_end(args, config, run, progress, device, log, out_dir, t_start, false);
}

/// hepaflow run --resume DIR: the latest valid checkpoint of DIR, checked against DIR/case.resolved.toml.
int resume_run(RunArguments args) {
  const auto t_start = clock_type::now();
  const std::string out_dir = args.resume_dir;
  const std::string dir = out_dir + "/";
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) throw IoError(out_dir + ": no such run folder to resume");
  const std::string case_path = dir + "case.resolved.toml";
  if (!fs::exists(case_path, ec))
    throw IoError(case_path + ": missing; " + out_dir + " is not the output folder of a hepaflow run");
  const std::string case_sha256 = io::sha256_file(case_path);
  const auto checkpoints = list_checkpoints(out_dir);
  if (checkpoints.empty())
    throw IoError(out_dir + ": no checkpoint (checkpoint_NNNNNN.hfck) to resume from: the run was started without "
                            "--checkpoint-every / time.checkpoint_every, or killed before its first checkpoint");
  // The newest checkpoint that reads back whole; a corrupt one is skipped (named in the log), one of
  // another hepaflow version or case is refused.
  std::vector<std::string> skipped;
  std::string payload, used;
  int used_step = -1;
  for (const auto& [step, path] : checkpoints) {
    try {
      payload = io::read_checkpoint_file(path);
    } catch (const IoError& e) {
      skipped.push_back(e.what());
      continue;
    }
    used = path;
    used_step = step;
    break;
  }
  if (used.empty()) {
    std::string reasons;
    for (const auto& s : skipped) reasons += "\n  " + s;
    throw IoError(out_dir + ": no valid checkpoint to resume from:" + reasons);
  }
  io::BinaryReader in(payload, used);
  const std::string version = in.get_string(), git = in.get_string(), sha = in.get_string(), backend_used = in.get_string();
  if (version != HEPAFLOW_VERSION)
    throw InputError(used + ": written by hepaflow " + version + ", this is hepaflow " HEPAFLOW_VERSION
                     ": a checkpoint is only resumed by the version that wrote it");
  if (sha != case_sha256)
    throw InputError(used + ": written for a different case (" + case_path +
                     " has changed since, or the checkpoint comes from another run's folder)");
  RunLog log(args.quiet);
  RemodellingProgress progress;
  progress.case_sha256 = sha;
  progress.checkpoint_every = static_cast<int>(in.get<std::int64_t>());
  progress.history = in.get_string();
  const auto entries = in.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < entries; ++i) {
    io::PvdEntry e;
    e.time = in.get<double>();
    e.file = in.get_string();
    progress.series.push_back(e);
  }
  progress.first = load_history_row(in);
  progress.vtk_seconds = in.get<double>();
  log.restore(in.get_string());
  if (args.checkpoint_every >= 0) progress.checkpoint_every = args.checkpoint_every;
  args.case_path = case_path;
  const CaseConfig config = load_case(case_path);
  const std::string backend_name = args.backend.empty() ? backend_used : args.backend;
  const KernelSet& backend = select_backend(backend_name);
  RemodellingRun run(config, backend, in);
  in.expect_end();
  progress.resumed_from_step = run.step();

  log("resumed " + out_dir + " from " + fs::path(used).filename().string() + " (step " + std::to_string(run.step()) +
      "/" + std::to_string(run.total_steps()) + ") with hepaflow " HEPAFLOW_VERSION " (git " HEPAFLOW_GIT_HASH "), " +
      utc_timestamp());
  for (const auto& s : skipped) log("warning: skipped " + s);
  if (git != HEPAFLOW_GIT_HASH)
    log("warning: the checkpoint was written by git " + git + ", this is git " HEPAFLOW_GIT_HASH
        ": results may differ from an uninterrupted run");
  if (std::string(backend.backend_name) != backend_used)
    log("warning: the run used backend " + backend_used + ", it continues on " + backend.backend_name +
        ": results may differ in the last bits from an uninterrupted run");
  const std::string device =
      std::string(backend.backend_name) == "cuda" ? kernels::cuda::device_name() : std::string("host CPU");
  // Bring the folder back to the checkpoint: history.csv and network.pvd lose the rows and entries
  // after it (rewritten first, so that the .pvd never names a file removed next); then the
  // temporaries of the killed process, the checkpoints and the .vtp files after it go.
  io::write_file_atomically(dir + "history.csv", [&](std::ostream& o) { o << progress.history; });
  if (!progress.series.empty()) io::write_pvd(dir + "network.pvd", progress.series);
  if (const std::size_t n = io::remove_stale_temporaries(out_dir))
    log("removed " + std::to_string(n) + " temporary file(s) of the killed run");
  for (const auto& [step, path] : checkpoints)
    if (step > used_step) fs::remove(path, ec);
  for (const auto& entry : fs::directory_iterator(out_dir, ec)) {
    const std::string name = entry.path().filename().string();
    std::size_t index = 0;
    if (name.size() == 18 && std::sscanf(name.c_str(), "network_%6zu.vtp", &index) == 1 &&
        index >= progress.series.size())
      fs::remove(entry.path(), ec);
  }
  return step_to_end(args, config, run, progress, device, log, out_dir, t_start, true);
}

}  // namespace

Network load_case_network(const CaseConfig& config, std::vector<std::string>* warnings) {
  Network net;
  std::string source;
  if (config.network.generator) {
    net = meshes::generate_from_spec(*config.network.generator);
    source = "generated network '" + config.network.generator->name + "'";
  } else {
    meshes::NetworkFileOptions options;
    options.format = config.network.format;
    options.length_unit = config.network.file_length_unit;
    options.radius_array = config.network.radius_array;
    options.radius_is_diameter = config.network.radius_is_diameter;
    net = meshes::read_network_file(config.network.file, options);
    source = config.network.file;
  }
  apply_case_boundaries(net, config);
  prepare_network(net, config.network.drop_unconnected, source, warnings);
  return net;
}

int check_command(const std::string& case_path, const std::vector<std::string>& overrides) {
  const CaseConfig config = load_case(case_path, overrides);
  std::vector<std::string> warnings;
  const Network net = load_case_network(config, &warnings);
  for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";
  std::cout << case_path << ": OK (case '" << config.name << "', " << net.num_segments() << " segments, "
            << net.num_nodes() << " nodes, " << net.boundaries.size() << " boundary nodes)\n";
  return 0;
}

int run_command(const RunArguments& args) {
  if (!args.resume_dir.empty()) return resume_run(args);
  const auto t_start = clock_type::now();
  RunLog log(args.quiet);
  // 1. Case file: every problem reported at once; nothing is written for an invalid case.
  auto t = clock_type::now();
  const CaseConfig config = load_case(args.case_path, args.overrides);
  const double t_case = seconds_since(t);
  const std::string out_dir = args.output_dir.empty() ? "results/" + config.name : args.output_dir;
  io::check_output_folder(out_dir, args.overwrite);
  const std::string backend_name = args.backend.empty() ? config.solver.backend : args.backend;
  const KernelSet& backend = select_backend(backend_name);

  log("hepaflow " HEPAFLOW_VERSION " (git " HEPAFLOW_GIT_HASH "), " + utc_timestamp());
  log("case: " + args.case_path + " ('" + config.name + "')");

  // 2. Network. A generated one is sized first and the run refused before anything is allocated
  // when it cannot fit (memory_budget.hpp); a read one once it is read.
  t = clock_type::now();
  if (config.network.generator) {
    const meshes::NetworkSize size = meshes::generated_network_size(*config.network.generator);
    require_memory(estimate_run_memory(size.nodes, size.segments, physics_of(config, nullptr)), backend,
                   config.solver.memory_limit);
  }
  std::vector<std::string> warnings;
  const Network net = load_case_network(config, &warnings);
  {
    const MemoryEstimate need = estimate_run_memory(net.num_nodes(), net.num_segments(), physics_of(config, &net));
    require_memory(need, backend, config.solver.memory_limit);
    log("memory estimate: " + format_bytes(need.host_bytes + need.device_bytes) + " (" + need.what + ")");
  }
  const double t_network = seconds_since(t);
  for (const auto& w : warnings) log("warning: " + w);
  log("network: " + std::to_string(net.num_segments()) + " segments, " + std::to_string(net.num_nodes()) + " nodes, " +
      std::to_string(net.boundaries.size()) + " boundary nodes");
  const std::string device =
      std::string(backend.backend_name) == "cuda" ? kernels::cuda::device_name() : std::string("host CPU");
  log(std::string("backend: ") + backend.backend_name + " (" + device + ")");
  if (parallel::size() > 1)
    log(std::to_string(parallel::size()) + " MPI ranks: " +
        (config.solver.method == "petsc"
             ? std::string("the pressure solve (PETSc) and the haematocrit and Krogh O2 sweeps (level by level in flow "
                           "order) are split between the ranks, every result gathered to every rank; the network and "
                           "the viscosity are on every rank; rank 0 writes")
             : "solver.method = \"" + config.solver.method +
                   "\" is not distributed: every rank computes the same run (use solver.method = \"petsc\")"));

  // Disease, therapy or time stepping: the remodelling run (MODEL.md §4-5).
  if (config.time.given || config.disease.stage != "none" || config.disease.constriction > 0 ||
      config.boundary_control.hold != "pressure")
    return run_remodelling(args, config, net, backend, device, log, out_dir, t_start);

  if (args.checkpoint_every > 0)
    log("warning: --checkpoint-every applies to remodelling runs ([time], [disease], [therapy]); this steady run "
        "writes no checkpoints");
  // 3. Steady flow.
  const SteadyFlowResult flow = solve_steady_flow(net, config.blood, config.solver, backend, &config.oxygen,
                                                   config.network.flows_from_file);
  const FlowMetrics& m = flow.metrics;
  for (const auto& line : flow.rheology.log) log(line);
  for (const auto& line : flow.oxygen.log) log(line);
  if (!flow.rheology.converged)
    log("WARNING: RESULTS ARE NOT CONVERGED (solver.allow_unconverged = true): see the rheology lines above");
  {
    std::ostringstream s;
    s << "pressure solve: " << flow.solve.method << ", " << flow.solve.iterations << " iterations, relative residual "
      << flow.solve.relative_residual << " (tolerance " << config.solver.tolerance << ")";
    log(s.str());
    if (!flow.solve.detail.empty()) log("pressure solve: " + flow.solve.detail);
    s.str("");
    s << "total inflow " << m.total_inflow / units::nl_per_min << " nl/min, pressure drop "
      << m.pressure_drop / units::mmHg << " mmHg, resistance " << m.resistance / units::mmHg_min_per_nl
      << " mmHg min/nl, max mass imbalance " << m.max_mass_imbalance;
    log(s.str());
    if (flow.has_oxygen) {
      const OxygenResult& o = flow.oxygen;
      s.str("");
      s << "oxygen (" << config.oxygen.tissue_model << "): ";
      if (std::isfinite(o.po2_periportal))  // zones are known (generated lobules)
        s << "vessel PO2 periportal " << o.po2_periportal << " / midzonal " << o.po2_midzonal << " / pericentral "
          << o.po2_pericentral << " mmHg, ";
      else
        s << "vessel PO2 mean " << o.po2_vessel_mean << " mmHg, ";
      if (!o.tissue_po2.empty()) s << "tissue PO2 mean " << o.po2_tissue_mean << " mmHg, ";
      s << "venous SO2 " << o.venous_so2 << ", extraction " << o.o2_extraction_fraction
        << ", O2 mass balance error " << o.mass_balance_error;
      log(s.str());
    }
  }

  // 4. Output (temporary names + rename; the .pvd is written after the .vtp it lists).
  t = clock_type::now();
  io::create_output_folder(out_dir);
  const std::string dir = out_dir + "/";
  std::vector<std::string> written;
  if (config.output.vtk) {
    if (!io::vtk_output_available()) {
      log("warning: output.vtk = true but this hepaflow was built without VTK: no .vtp written");
    } else {
      const OxygenResult& o = flow.oxygen;
      const OxygenArrays o2{o.po2_in, o.po2_out, o.po2_mean, o.so2_mean, o.o2_flux_to_tissue, o.node_po2};
      const io::NetworkFields fields =
          solution_fields(net, config.blood.plasma_viscosity, flow.flow, flow.velocity, flow.wall_shear_stress,
                          flow.viscosity, flow.haematocrit, flow.node_pressure, flow.has_oxygen ? &o2 : nullptr);
      io::write_network_vtp(dir + "network_000000.vtp", net, fields);
      io::write_pvd(dir + "network.pvd", {{0.0, "network_000000.vtp"}});
      written.insert(written.end(), {"network_000000.vtp", "network.pvd"});
      if (flow.has_oxygen && !flow.oxygen.tissue_po2.empty()) {
        // The `grid` tissue: PO2, consumption and hypoxia per cell (padding cells: consumption 0,
        // in_region 0).
        const OxygenResult& o = flow.oxygen;
        io::ImageGridOutput image;
        for (int a = 0; a < 3; ++a) {
          image.origin_um[a] = o.grid.lower[a] / units::um;
          image.spacing_um[a] = o.grid.spacing[a] / units::um;
          image.dims[a] = o.grid.dims[a];
        }
        const std::size_t cells = o.grid.cells();
        io::NamedArray hypoxic{"hypoxic", std::vector<double>(cells)}, region{"in_region", std::vector<double>(cells)},
            consumption{"consumption_ml_per_ml_per_min", o.tissue_consumption};
        for (std::size_t c = 0; c < cells; ++c) {
          region.values[c] = o.grid.in_region(c);
          hypoxic.values[c] = region.values[c] && o.tissue_po2[c] < config.oxygen.hypoxia_threshold_mmHg;
        }
        for (double& x : consumption.values) x *= 60.0;  // ml O2 (STP) per ml tissue per min
        image.cell_data = {{"po2_mmHg", o.tissue_po2}, consumption, hypoxic, region};
        io::write_image_vti(dir + "tissue_000000.vti", image);
        io::write_pvd(dir + "tissue.pvd", {{0.0, "tissue_000000.vti"}});
        written.insert(written.end(), {"tissue_000000.vti", "tissue.pvd"});
      }
    }
  }
  const double t_write_vtk = seconds_since(t);
  const double wall = seconds_since(t_start);

  io::JsonObject summary;
  summary.add("case", config.name)
      .add("segments", net.num_segments())
      .add("nodes", net.num_nodes())
      .add("boundary_nodes", net.boundaries.size())
      .add("total_inflow_nl_per_min", m.total_inflow / units::nl_per_min)
      .add("inlet_pressure_mmHg", m.inlet_pressure / units::mmHg)
      .add("outlet_pressure_mmHg", m.outlet_pressure / units::mmHg)
      .add("pressure_drop_mmHg", m.pressure_drop / units::mmHg)
      .add("resistance_mmHg_min_per_nl", m.resistance / units::mmHg_min_per_nl)
      .add("max_mass_imbalance", m.max_mass_imbalance)
      .add("solver_method", flow.solve.method)
      .add("solver_iterations", flow.solve.iterations)
      .add("solver_relative_residual", flow.solve.relative_residual)
      .add("viscosity_law", config.blood.viscosity_law)
      .add("phase_separation", config.blood.phase_separation)
      .add("rheology_converged", flow.rheology.converged)
      .add("rheology_iterations", flow.rheology.iterations)
      .add("max_flow_change", flow.rheology.max_flow_change)
      .add("max_haematocrit_change", flow.rheology.max_haematocrit_change)
      .add("zero_flow_segments", flow.rheology.zero_flow_segments)
      .add("backend", flow.backend);
  if (flow.has_oxygen) {
    const OxygenResult& o = flow.oxygen;
    const double nl_o2_per_min = units::nl_per_min;
    summary.add("oxygen_tissue_model", config.oxygen.tissue_model)
        .add("po2_vessel_mean_mmHg", o.po2_vessel_mean)
        .add("po2_vessel_min_mmHg", o.po2_vessel_min)
        .add("po2_vessel_p10_mmHg", o.po2_vessel_p10)
        .add("po2_periportal_mmHg", o.po2_periportal)
        .add("po2_midzonal_mmHg", o.po2_midzonal)
        .add("po2_pericentral_mmHg", o.po2_pericentral)
        .add("po2_tissue_mean_mmHg", o.po2_tissue_mean)
        .add("po2_tissue_min_mmHg", o.po2_tissue_min)
        .add("po2_tissue_p10_mmHg", o.po2_tissue_p10)
        .add("hypoxic_fraction", o.hypoxic_fraction)
        .add("venous_so2", o.venous_so2)
        .add("o2_delivered_nl_per_min", o.o2_delivered / nl_o2_per_min)
        .add("o2_consumed_nl_per_min", o.o2_consumed / nl_o2_per_min)
        .add("o2_outflow_nl_per_min", o.o2_outflow / nl_o2_per_min)
        .add("o2_extraction_fraction", o.o2_extraction_fraction)
        .add("o2_mass_balance_error", o.mass_balance_error)
        .add("consumption_ratio_periportal_to_pericentral", o.consumption_ratio);
    if (config.oxygen.tissue_model == "grid") {
      const auto& g = o.grid;
      summary.add("po2_tissue_max_mmHg", o.po2_tissue_max)
          .add("po2_tissue_sd_mmHg", o.po2_tissue_sd)
          .add("tissue_grid_cells", g.cells())
          .add("tissue_grid_dims", std::to_string(g.dims[0]) + "x" + std::to_string(g.dims[1]) + "x" +
                                       std::to_string(g.dims[2]))
          .add("tissue_grid_spacing_um", g.spacing[0] / units::um)
          .add("vessel_subsegments", o.subsegments)
          .add("vessel_subsegments_outside_grid", o.subsegments_outside)
          .add("o2_coupling_converged", o.coupling_converged)
          .add("o2_coupling_iterations", o.coupling_iterations)
          .add("o2_coupling_change_mmHg", o.coupling_change)
          .add("tissue_cg_iterations", o.tissue_linear_iterations);
    }
  }
  summary.add("wall_time_s", wall);
  io::JsonObject timings;
  timings.add("case_s", t_case)
      .add("network_s", t_network)
      .add("upload_s", flow.seconds_upload)
      .add("assemble_s", flow.rheology.seconds_assemble)
      .add("solve_s", flow.rheology.seconds_solve)
      .add("haematocrit_sweep_s", flow.rheology.seconds_sweep)
      .add("oxygen_s", flow.seconds_oxygen)
      .add("download_s", flow.seconds_download)
      .add("finite_checks_s", finite_check_seconds())
      .add("write_vtk_s", t_write_vtk)
      .add("total_s", wall);
  io::write_file_atomically(dir + "summary.json", [&](std::ostream& o) { o << summary.str() << "\n"; });
  write_run_info(dir + "run_info.json", args, flow.backend, device, timings);
  io::write_file_atomically(dir + "case.resolved.toml", [&](std::ostream& o) { o << config.resolved_toml; });
  written.insert(written.end(), {"summary.json", "run_info.json", "case.resolved.toml", "log.txt"});
  std::ostringstream done;
  done << "wrote " << out_dir << "/ in " << wall << " s:";
  for (const auto& w : written) done << " " << w;
  log(done.str());
  io::write_file_atomically(dir + "log.txt", [&](std::ostream& o) { o << log.text(); });
  if (!args.quiet) std::cout << "results: " << fs::absolute(out_dir).string() << "\n";
  return 0;
}

}  // namespace hepaflow::app

// hepaflow bench: end-to-end pressure solve on generated lobule blocks (or a network file), per size:
// segments, backend, assemble/solve/total time, PCG iterations, achieved memory bandwidth and its
// fraction of the bandwidth measured in the same run, and CHOLMOD's time on the same network as peer.
//
// Bytes a Jacobi-PCG iteration must move (fp64 values, int32 indices; n unknowns, nnz matrix entries):
//   SpMV y = A p        12 nnz (val + col) + 4 n (row_ptr) + 8 n (p, read once) + 8 n (y)  = 12 nnz + 20 n
//   (p, q)  16 n | x += a p  24 n | r -= a q  24 n | (r, r)  8 n | z = D^-1 r  24 n | (r, z)  16 n |
//   p = z + b p  24 n                                                                    = 136 n
//   total per iteration: 12 nnz + 156 n bytes (the unfused kernels of this version; a fused PCG
//   needs ~12 nnz + 108 n, DESIGN.md/issue 8).
// Peak: a triad-like kernel (y = x + b y, 24 bytes per element) on 2^25 doubles, same backend, same run.
//
// --preconditioner jacobi amg: one row per preconditioner (setup_s: the elimination + AMG setup on
// the host, part of solve_s). --radius-sigma: lognormal diameter spread applied to the network.
//
// --viscosity-law / --phase-separation: the coupled rheology loop (bench_coupled). --oxygen krogh with
// constant viscosity and no phase separation: the flow solve and one oxygen sweep (bench_oxygen): the
// sweep's time, and a single-threaded re-run of its segment integrations with their substep counts.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>

#include "commands.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/flow/rheology.hpp"
#include "hepaflow/meshes/generators.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/oxygen/oxygen_transport.hpp"
#include "hepaflow/parallel/mpi.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "hepaflow/version.hpp"

namespace hepaflow::app {

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

/// Bandwidth [GB/s] of y = x + b y over 2^25 doubles (read 2, write 1), median of 5.
double measure_triad_bandwidth(const KernelSet& k) {
  const std::size_t n = std::size_t{1} << 25;
  DeviceArray<double> x(k, n), y(k, n);
  k.fill(n, 1.0, x.data());
  k.fill(n, 2.0, y.data());
  k.xpby(n, x.data(), 0.5, y.data());  // warm-up
  k.dot(n, y.data(), y.data());        // synchronises the backend
  std::vector<double> t;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = clock_type::now();
    k.xpby(n, x.data(), 0.5, y.data());
    k.dot(1, y.data(), y.data());
    t.push_back(seconds_since(t0));
  }
  return 24.0 * n / median(t) / 1e9;
}

/// A lobule block whose segment count is close to `target`: below one human lobule, a slab of it
/// (fewer node layers, and fewer rings below a two-layer slab); above it, bx x by lobules.
Network lobule_block_near(double target, std::string* description) {
  meshes::LobuleParameters p = meshes::lobule_preset("human");
  const std::size_t one = meshes::estimate_lobule_block_segments(p, 1, 1);
  int bx = 1, by = 1;
  if (target < one) {
    double best = 1e300;
    int best_layers = 2, best_rings = 0;
    for (int rings : {0, 2, 3, 4, 6, 8, 12}) {
      for (int layers = 2; layers <= 61; ++layers) {
        meshes::LobuleParameters q = p;
        q.layers = layers;
        q.rings = rings;
        const double est = static_cast<double>(meshes::estimate_lobule_block_segments(q, 1, 1));
        const double miss = std::abs(std::log(est / target));
        if (miss < best) best = miss, best_layers = layers, best_rings = rings;
        if (est > target) break;
      }
    }
    p.layers = best_layers;
    p.rings = best_rings;
  } else {
    const double lobules = target / static_cast<double>(one);
    bx = std::max(1, static_cast<int>(std::lround(std::sqrt(lobules))));
    by = std::max(1, static_cast<int>(std::lround(lobules / bx)));
  }
  std::ostringstream d;
  d << "lobule_block human " << bx << "x" << by << (p.layers ? ", layers " + std::to_string(p.layers) : "")
    << (p.rings ? ", rings " + std::to_string(p.rings) : "");
  *description = d.str();
  return meshes::generate_lobule_block(p, bx, by);
}


/// CPU time of the calling thread [s] (the host re-run below is single-threaded; wall time would
/// count the time other processes hold the core).
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// The segment integrations of a finished `krogh` sweep again, on the host, one thread, from the
/// sweep's own inflow PO2s: the integrator's cost without the level launches and the flow-graph
/// build, and the distribution of its substeps (the sweep does not keep them).
struct SegmentIntegrationStats {
  std::size_t segments = 0;   ///< with flow
  double cpu_s = 0;           ///< thread CPU time of all integrations
  double substeps_mean = 0;
  int substeps_p50 = 0, substeps_p99 = 0, substeps_max = 0;
  std::size_t at_max = 0;     ///< segments that reached max_substeps
};
SegmentIntegrationStats rerun_segment_integrations(const Network& net, const SteadyFlowResult& r,
                                                   const OxygenOptions& o) {
  SegmentIntegrationStats st;
  std::vector<int> substeps;
  substeps.reserve(net.num_segments());
  double po2_check = 0;
  const double t0 = thread_cpu_seconds();
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const double q = std::fabs(r.flow[s]);
    if (!(q > 0.0) || !std::isfinite(r.oxygen.po2_in[s])) continue;
    const double zone = std::isfinite(net.zone[s]) ? net.zone[s] : 0.5;
    const double m0 = o.m0_periportal + (o.m0_pericentral - o.m0_periportal) * zone;
    const kernels::oxygen::SegmentOxygenResult x = kernels::oxygen::integrate_segment(
        r.oxygen.po2_in[s], q, r.haematocrit[s], net.length[s], net.tissue_volume[s], m0, o.sweep.km_mmHg,
        o.sweep.blood, o.sweep.rel_tolerance, o.sweep.max_substeps);
    po2_check += x.po2_out_mmHg;
    substeps.push_back(x.substeps);
  }
  st.cpu_s = thread_cpu_seconds() - t0;
  st.segments = substeps.size();
  if (substeps.empty() || !std::isfinite(po2_check)) return st;
  double sum = 0;
  for (int n : substeps) {
    sum += n;
    st.at_max += n >= o.sweep.max_substeps;
  }
  st.substeps_mean = sum / static_cast<double>(substeps.size());
  std::sort(substeps.begin(), substeps.end());
  st.substeps_p50 = substeps[substeps.size() / 2];
  st.substeps_p99 = substeps[std::min(substeps.size() - 1, substeps.size() * 99 / 100)];
  st.substeps_max = substeps.back();
  return st;
}

}  // namespace

/// Append a results table with the command, version, backend (and device) that produced it.
void append_results(const BenchArguments& args, const KernelSet& k, const std::string& setting, const std::string& table) {
  if (args.output.empty()) return;
  std::ofstream out(args.output, std::ios::app);
  if (!out) throw IoError("cannot write " + args.output);
  out << "Command: `" << args.command_line << "`  \nhepaflow " HEPAFLOW_VERSION " (git " HEPAFLOW_GIT_HASH "), backend "
      << k.backend_name << (std::string(k.backend_name) == "cuda" ? " (" + kernels::cuda::device_name() + ")" : "")
      << ", " << setting << "\n\n" << table << "\n";
}

/// solver.method = "petsc" on the ranks of this job (every rank builds the same network) against
/// hepaflow's Jacobi-PCG on one rank, and the cut of the coordinate-bisection partition for more
/// parts than there are ranks here (the communication volume of a CG iteration: one SpMV exchanges
/// the cut entries' values, 8 bytes each; two allreduces of one double).
int bench_petsc(const BenchArguments& args, const KernelSet& k) {
  const int ranks = parallel::size();
  const bool speaker = parallel::rank() == 0;
  const std::vector<double> sizes = args.sizes.empty() ? std::vector<double>{1e5, 4e5} : args.sizes;
  const std::vector<int> parts = args.partition_parts.empty() ? std::vector<int>{2, 4, 8, 16, 32, 64} : args.partition_parts;
  std::ostringstream table, cuts;
  table << "| network | segments | unknowns | ranks | jacobi_pcg_s | jacobi_pcg_iterations | petsc_setup_s | "
           "petsc_solve_s | petsc_total_s | petsc_iterations | petsc | cut_entries |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  cuts << "| network | unknowns | parts | largest_part | cut_entries (all parts) | cut_entries (busiest part) | "
          "bytes received per SpMV (busiest part) | cut / rows of busiest part |\n|---|---|---|---|---|---|---|---|\n";
  for (double target : sizes) {
    std::string description;
    Network net = lobule_block_near(target, &description);
    prepare_network(net, false, description, nullptr);
    BloodConfig blood;
    SolverConfig solver;
    solver.tolerance = args.tolerance;
    solver.max_iterations = 10000000;
    DeviceNetwork device_net(k, net);
    auto timed = [&](const std::string& method, std::vector<double>* setup) {
      solver.method = method;
      std::vector<double> t;
      LinearSolveReport r;
      for (int rep = 0; rep < std::max(1, args.repeat); ++rep) {
        FlowFields fields;
        fields.viscosity = DeviceArray<double>(k, net.num_segments());
        k.fill(net.num_segments(), blood.viscosity, fields.viscosity.data());
        r = solve_flow(device_net, linear_solver_options(solver), fields);
        t.push_back(r.seconds_solve);
        if (setup) setup->push_back(r.seconds_setup);
      }
      return std::make_pair(median(t), r);
    };
    std::string jacobi_s = "-", jacobi_it = "-";
    if (ranks == 1) {  // hepaflow's own solver runs on one rank
      const auto [s, r] = timed("pcg", nullptr);
      std::ostringstream a;
      a << std::setprecision(4) << s;
      jacobi_s = a.str();
      jacobi_it = std::to_string(r.iterations);
    }
    std::vector<double> setup;
    const auto [petsc_s, pr] = timed("petsc", &setup);
    const PartitionStats here = coordinate_partition_stats(device_net, ranks);
    std::ostringstream row;
    const std::string kind = pr.detail.substr(6, pr.detail.find(" on ") - 6);  // "PETSc cg + gamg on ..."
    row << std::setprecision(4) << "| " << description << " | " << net.num_segments() << " | " << device_net.unknowns()
        << " | " << ranks << " | " << jacobi_s << " | " << jacobi_it << " | " << median(setup) << " | "
        << petsc_s - median(setup) << " | " << petsc_s << " | " << pr.iterations << " | " << kind << " | "
        << here.cut_entries << " |\n";
    if (speaker) std::cout << row.str() << std::flush;
    table << row.str();
    for (int p : parts) {
      const PartitionStats c = coordinate_partition_stats(device_net, p);
      std::ostringstream line;
      line << std::setprecision(3) << "| " << description << " | " << c.rows << " | " << p << " | " << c.largest_part
           << " | " << c.cut_entries << " | " << c.max_part_cut << " | " << 8 * c.max_part_cut << " | "
           << static_cast<double>(c.max_part_cut) / static_cast<double>(std::max<long long>(1, c.largest_part)) << " |\n";
      cuts << line.str();
    }
  }
  if (speaker) {
    std::cout << "\n" << cuts.str() << std::flush;
    std::ostringstream setting;
    setting << ranks << " MPI rank(s), tolerance " << args.tolerance << ", median of " << args.repeat
            << " solves (petsc_total_s = setup + solve; jacobi_pcg_s on one rank only)";
    append_results(args, k, setting.str(), table.str() + "\n" + cuts.str());
  }
  return 0;
}

/// The coupled steady state (viscosity law + phase separation, NetFlowV2-style damped loop, and the
/// oxygen sweep when asked) on lobule blocks: rheology iterations, time in the sweeps, total.
int bench_coupled(const BenchArguments& args, const KernelSet& k) {
  std::ostringstream table;
  table << "| network | segments | backend | viscosity_law | rheology_iterations | last_pcg_iterations | "
           "sweep_s | oxygen_s | total_s | s_per_rheology_iteration |\n|---|---|---|---|---|---|---|---|---|---|\n";
  const std::vector<double> sizes = args.sizes.empty() ? std::vector<double>{1e4, 1e5, 1e6} : args.sizes;
  for (double target : sizes) {
    std::string description;
    Network net = lobule_block_near(target, &description);
    prepare_network(net, false, description, nullptr);
    BloodConfig blood;
    blood.viscosity_law = args.viscosity_law;
    blood.phase_separation = args.phase_separation;
    blood.haematocrit = 0.3;  // sinusoidal H_D ~ 0.6-0.8 x systemic (PARAMETERS.md §2, assumption)
    SolverConfig solver;
    solver.tolerance = args.tolerance;
    solver.max_iterations = 10000000;
    solver.allow_unconverged = true;
    const auto t0 = clock_type::now();
    OxygenConfig oxygen;
    oxygen.tissue_model = args.oxygen;
    const SteadyFlowResult r = solve_steady_flow(net, blood, solver, k, &oxygen);
    const double total = seconds_since(t0);
    std::ostringstream row;
    row << std::setprecision(4) << "| " << description << " | " << net.num_segments() << " | " << k.backend_name << " | "
        << args.viscosity_law << " + " << args.phase_separation << " | " << r.rheology.iterations
        << (r.rheology.converged ? "" : " (not converged)") << " | " << r.solve.iterations << " | "
        << r.rheology.seconds_sweep << " | " << r.seconds_oxygen << " | " << total << " | "
        << total / std::max(1, r.rheology.iterations) << " |\n";
    std::cout << row.str() << std::flush;
    table << row.str();
  }
  std::ostringstream setting;
  setting << "pressure tolerance " << args.tolerance;
  append_results(args, k, setting.str(), table.str());
  return 0;
}

/// `--oxygen krogh` with constant viscosity and no phase separation: the flow solve, then one
/// oxygen sweep (lumped Krogh tissue), `--repeat` times (median). Per size: the sweep's time
/// (oxygen_s: flow graph, levels, metrics), and a single-threaded host re-run of its segment
/// integrations (integrate_cpu_s, thread CPU time) with the substep distribution.
int bench_oxygen(const BenchArguments& args, const KernelSet& k) {
  std::ostringstream table;
  table << "| network | segments | backend | pcg_iterations | oxygen_s | total_s | integrate_cpu_s (1 thread) | "
           "us_per_segment | substeps mean | p50 | p99 | max | at max_substeps |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  const std::vector<double> sizes = args.sizes.empty() ? std::vector<double>{1e5, 1e6} : args.sizes;
  for (double target : sizes) {
    std::string description;
    Network net = lobule_block_near(target, &description);
    prepare_network(net, false, description, nullptr);
    BloodConfig blood;
    blood.haematocrit = 0.3;  // as bench_coupled
    SolverConfig solver;
    solver.tolerance = args.tolerance;
    solver.max_iterations = 10000000;
    OxygenConfig oxygen;
    oxygen.tissue_model = args.oxygen;
    std::vector<double> t_oxygen, t_total;
    SteadyFlowResult r;
    for (int rep = 0; rep < std::max(1, args.repeat); ++rep) {
      const auto t0 = clock_type::now();
      r = solve_steady_flow(net, blood, solver, k, &oxygen);
      t_total.push_back(seconds_since(t0));
      t_oxygen.push_back(r.seconds_oxygen);
    }
    const SegmentIntegrationStats st =
        rerun_segment_integrations(net, r, oxygen_options(oxygen, blood.haematocrit));
    std::ostringstream row;
    row << std::setprecision(4) << "| " << description << " | " << net.num_segments() << " | " << k.backend_name << " | "
        << r.solve.iterations << " | " << median(t_oxygen) << " | " << median(t_total) << " | " << st.cpu_s << " | "
        << 1e6 * st.cpu_s / std::max<std::size_t>(1, st.segments) << " | " << st.substeps_mean << " | "
        << st.substeps_p50 << " | " << st.substeps_p99 << " | " << st.substeps_max << " | " << st.at_max << " |\n";
    std::cout << row.str() << std::flush;
    table << row.str();
  }
  std::ostringstream setting;
  setting << "pressure tolerance " << args.tolerance << ", constant viscosity, H_D 0.3, median of "
          << std::max(1, args.repeat) << " runs";
  append_results(args, k, setting.str(), table.str());
  return 0;
}

/// `--transport`: on lobule blocks (flows of one solve with the in vivo viscosity law, H_D 0.45),
/// the flow graph and the transport sweeps with one level per node depth (node_by_node, the schedule
/// before issue 8) and with unbranched chains collapsed (chains): levels (= kernel launches per
/// sweep), chains, the graph build, one haematocrit sweep with phase separation, and solve_oxygen
/// (krogh: graph + O2 sweep + metrics), medians of --repeat; and the largest difference between the
/// two schedules' results (0: bit-identical).
int bench_transport(const BenchArguments& args, const KernelSet& k) {
  std::ostringstream table;
  table << "| network | segments | nodes swept | schedule | levels = launches per sweep | chains | graph_build_s | "
           "haematocrit_sweep_s | oxygen_s | max rel. difference H_D, PO2 |\n|---|---|---|---|---|---|---|---|---|---|\n";
  std::vector<double> sizes = args.sizes.empty() ? std::vector<double>{1e5, 1e6} : args.sizes;
  if (!args.network_file.empty()) sizes = {0};
  for (double target : sizes) {
    std::string description = args.network_file;
    Network net = args.network_file.empty() ? lobule_block_near(target, &description)
                                            : meshes::read_network_file(args.network_file);
    prepare_network(net, false, description, nullptr);
    BloodConfig blood;
    blood.viscosity_law = "pries1994_invivo";
    SolverConfig solver;
    solver.tolerance = args.tolerance;
    solver.max_iterations = 10000000;
    const SteadyFlowResult flow = solve_steady_flow(net, blood, solver, k);
    DeviceNetwork device_net(k, net);
    FlowFields fields;
    fields.flow = DeviceArray<double>(k, flow.flow);
    const DeviceArray<double> hd_in(k, flow.haematocrit);
    OxygenConfig oxygen;
    oxygen.tissue_model = "krogh";
    std::vector<double> hd_result[2], po2_result[2];
    for (int collapse = 0; collapse < 2; ++collapse) {
      std::vector<double> t_graph, t_sweep, t_oxygen;
      std::size_t levels = 0, chains = 0, nodes = 0;
      OxygenOptions o = oxygen_options(oxygen, blood.haematocrit);
      o.collapse_chains = collapse == 1;
      for (int rep = 0; rep < std::max(1, args.repeat); ++rep) {
        auto t0 = clock_type::now();
        const FlowGraph graph(k, net, flow.flow, blood.haematocrit, 65.0, collapse == 1);
        t_graph.push_back(seconds_since(t0));
        levels = graph.levels();
        chains = graph.chains();
        nodes = graph.swept_nodes();
        DeviceArray<double> hd(k, flow.haematocrit);
        t0 = clock_type::now();
        haematocrit_sweep(k, graph, fields.flow, device_net.radius, blood.haematocrit, true, hd);
        k.dot(1, hd.data(), hd.data());  // synchronises the backend
        t_sweep.push_back(seconds_since(t0));
        hd_result[collapse] = hd.download();
        t0 = clock_type::now();
        const OxygenResult r = solve_oxygen(device_net, net, fields, hd_in, o);
        t_oxygen.push_back(seconds_since(t0));
        po2_result[collapse] = r.po2_mean;
      }
      double difference = 0;
      if (collapse == 1)
        for (const auto* pair : {&hd_result, &po2_result})
          for (std::size_t s = 0; s < (*pair)[0].size(); ++s) {
            const double a = (*pair)[0][s], b = (*pair)[1][s];
            if (std::isnan(a) && std::isnan(b)) continue;
            difference = std::max(difference, std::abs(a - b) / std::max(std::abs(a), 1e-300));
          }
      std::ostringstream row;
      row << std::setprecision(4) << "| " << description << " | " << net.num_segments() << " | " << nodes << " | "
          << (collapse ? "chains" : "node_by_node") << " | " << levels << " | " << chains << " | " << median(t_graph)
          << " | " << median(t_sweep) << " | " << median(t_oxygen) << " | "
          << (collapse ? [&] { std::ostringstream d; d << difference; return d.str(); }() : std::string("-")) << " |\n";
      std::cout << row.str() << std::flush;
      table << row.str();
    }
  }
  std::ostringstream setting;
  setting << "pressure tolerance " << args.tolerance << ", in vivo viscosity, H_D 0.45, median of "
          << std::max(1, args.repeat) << " runs";
  append_results(args, k, setting.str(), table.str());
  return 0;
}

int bench_command(const BenchArguments& args) {
  const KernelSet& k = select_backend(args.backend);
  if (args.transport) return bench_transport(args, k);
  if (args.petsc) return bench_petsc(args, k);
  if (args.viscosity_law == "constant" && args.phase_separation == "none" && args.oxygen == "krogh")
    return bench_oxygen(args, k);
  if (args.viscosity_law != "constant" || args.phase_separation != "none" || args.oxygen != "none")
    return bench_coupled(args, k);
  const double peak = measure_triad_bandwidth(k);
  std::vector<double> sizes = args.sizes.empty() ? std::vector<double>{1e3, 1e4, 1e5, 1e6} : args.sizes;
  if (!args.network_file.empty() || !args.peer_grid.empty()) sizes.clear();
  if (!args.network_file.empty()) sizes = {0};
  for (int n : args.peer_grid) sizes.push_back(-n);  // negative: peer grid of side n

  std::ostringstream table;
  table << "| network | segments | radius_sigma | unknowns | nnz | backend | preconditioner | reduced_unknowns | "
           "amg_levels | assemble_s | setup_s | solve_s | total_s | iterations | GB/s | fraction_of_triad | cholmod_s |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::cout << "hepaflow bench: backend " << k.backend_name << ", triad bandwidth " << std::setprecision(4) << peak
            << " GB/s, tolerance " << args.tolerance << "\n"
            << std::flush;
  for (double target : sizes) {
    std::string description;
    Network base;
    if (target < 0) {
      const int n = static_cast<int>(-target);
      base = meshes::generate_peer_grid(n, 1);
      description = "peer grid " + std::to_string(n) + "^3";
    } else if (!args.network_file.empty()) {
      base = meshes::read_network_file(args.network_file);
      description = args.network_file;
    } else {
      base = lobule_block_near(target, &description);
    }
    for (double sigma : args.radius_sigma) {
      Network net = base;
      // Diameter spread: every radius times a lognormal factor exp(sigma Z), Z ~ N(0, 1) (fixed seed),
      // so conductances (r^4) spread with log-standard deviation 4 sigma.
      if (sigma > 0) {
        std::mt19937_64 rng(20261125);
        std::normal_distribution<double> z(0.0, 1.0);
        for (double& r : net.radius) r *= std::exp(sigma * z(rng));
      }
      prepare_network(net, false, description, nullptr);
      BloodConfig blood;
      std::string cholmod = "-";
      bool cholmod_done = false;
      for (const std::string& preconditioner : args.preconditioners) {
        SolverConfig solver;
        solver.method = "pcg";
        solver.preconditioner = preconditioner;
        solver.tolerance = args.tolerance;
        solver.max_iterations = 10000000;
        std::vector<double> t_assemble, t_solve, t_total, t_setup;
        LinearSolveReport last;
        index_t unknowns = 0;
        double nnz = 0;
        for (int rep = 0; rep < std::max(1, args.repeat); ++rep) {
          const auto t0 = clock_type::now();
          DeviceNetwork device_net(k, net);
          FlowFields fields;
          fields.viscosity = DeviceArray<double>(k, net.num_segments());
          k.fill(net.num_segments(), blood.viscosity, fields.viscosity.data());
          last = solve_flow(device_net, linear_solver_options(solver), fields);
          t_total.push_back(seconds_since(t0));
          t_assemble.push_back(last.seconds_assemble);
          t_solve.push_back(last.seconds_solve);
          t_setup.push_back(last.seconds_setup);
          unknowns = device_net.unknowns();
          nnz = device_net.pattern().nnz;
        }
        const double solve_s = median(t_solve);
        // The byte count below is that of a Jacobi-PCG iteration; AMG iterations move more (cycle).
        const bool jacobi = last.preconditioner == "jacobi";
        const double bytes = last.iterations * (12.0 * nnz + 156.0 * unknowns);
        const double gbs = solve_s > 0 ? bytes / solve_s / 1e9 : 0.0;
        if (!cholmod_done && args.direct && direct_solver_available() && net.num_segments() <= args.direct_max_segments) {
          solver.method = "direct";
          const auto t0 = clock_type::now();
          solve_steady_flow(net, blood, solver, kernels::cpu::kernel_set());
          std::ostringstream s;
          s << std::setprecision(4) << seconds_since(t0);
          cholmod = s.str();
        }
        cholmod_done = true;
        std::ostringstream row;
        row << std::setprecision(4) << "| " << description << " | " << net.num_segments() << " | " << sigma << " | "
            << unknowns << " | " << static_cast<long long>(nnz) << " | " << k.backend_name << " | "
            << last.preconditioner << " | " << (jacobi ? std::string("-") : std::to_string(last.reduced_unknowns))
            << " | " << (jacobi ? std::string("-") : std::to_string(last.amg_level_rows.size())) << " | "
            << median(t_assemble) << " | " << median(t_setup) << " | " << solve_s << " | " << median(t_total) << " | "
            << last.iterations << " | ";
        if (jacobi)
          row << gbs << " | " << gbs / peak;
        else
          row << "- | -";
        row << " | " << cholmod << " |\n";
        std::cout << row.str() << std::flush;
        table << row.str();
      }
    }
  }
  std::ostringstream setting;
  setting << "triad bandwidth " << peak << " GB/s, tolerance " << args.tolerance << ", median of " << args.repeat
          << " runs";
  append_results(args, k, setting.str(), table.str());
  return 0;
}

}  // namespace hepaflow::app

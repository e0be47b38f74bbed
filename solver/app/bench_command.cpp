// hepaflow bench: end-to-end pressure solve on generated lobule blocks (or a network file), per size:
// segments, backend, assemble/solve/total time, PCG iterations, achieved memory bandwidth and its
// fraction of the bandwidth measured in the same run, and CHOLMOD's time on the same network as peer.
//
// Bytes an unfused Jacobi-PCG iteration (--jacobi-kernels unfused: pcg() on CSR) must move (fp64
// values, int32 indices; n unknowns, nnz matrix entries):
//   SpMV y = A p        12 nnz (val + col) + 4 n (row_ptr) + 8 n (p, read once) + 8 n (y)  = 12 nnz + 20 n
//   (p, q)  16 n | x += a p  24 n | r -= a q  24 n | (r, r)  8 n | z = D^-1 r  24 n | (r, z)  16 n |
//   p = z + b p  24 n                                                                    = 136 n
//   total per iteration: 12 nnz + 156 n bytes.
// The fused Jacobi-PCG (--jacobi-kernels sell | csr; hepaflow/linear/pcg.hpp jacobi_pcg_fused) moves,
// with e stored off-diagonal entries (SELL padding included; e = nnz - n for CSR) and n unknowns:
//   (a) q = A p, (p, q)                         12 e (val + col) + 8 n (diag) + 8 n (p) + 8 n (q)  = 12 e + 24 n
//   (b) x += a p, r -= a q, z = D^-1 r, (r, z), (r, r)   read p q D^-1 x r, write x r z         = 64 n
//   (c) p = z + b p                             read z p, write p                             = 24 n
//   total 12 e + 112 n (+ 4 n row pointers for csr, C = 1), i.e. 12 nnz + 100 n without padding.
// Reads of p at neighbours' columns are counted once (the ordering keeps them in cache: RCM); a CPU
// write also reads its cache line first (write-allocate), which the minimum above does not count.
// Peaks: a triad-like kernel (y = x + b y, 24 bytes per element) and a device copy (copy_on_device,
// 16 bytes per element) on 2^25 doubles, same backend, same run; GB/s / copy is the roofline fraction.
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
#include "hepaflow/linear/sell.hpp"
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

/// Bandwidth [GB/s] of a device copy (KernelSet::copy_on_device, read + write) over 2^25 doubles, median of 5.
double measure_copy_bandwidth(const KernelSet& k) {
  const std::size_t n = std::size_t{1} << 25;
  DeviceArray<double> x(k, n), y(k, n);
  k.fill(n, 1.0, x.data());
  k.fill(n, 2.0, y.data());
  k.copy_on_device(y.data(), x.data(), n * sizeof(double));  // warm-up (first touch)
  std::vector<double> t;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = clock_type::now();
    k.copy_on_device(y.data(), x.data(), n * sizeof(double));
    k.dot(1, y.data(), y.data());  // synchronises the backend
    t.push_back(seconds_since(t0));
  }
  return 16.0 * n / median(t) / 1e9;
}

/// The same network with its nodes numbered at random (seeded): ids, positions and boundaries follow.
Network shuffled_nodes(const Network& net) {
  std::vector<index_t> order(net.num_nodes());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<index_t>(i);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(20261124));
  std::vector<index_t> position(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = static_cast<index_t>(i);
  Network out = net;
  for (std::size_t i = 0; i < order.size(); ++i) {
    out.node_id[i] = net.node_id[order[i]];
    out.x[i] = net.x[order[i]];
    out.y[i] = net.y[order[i]];
    out.z[i] = net.z[order[i]];
  }
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    out.segment_from[s] = position[net.segment_from[s]];
    out.segment_to[s] = position[net.segment_to[s]];
  }
  for (auto& bc : out.boundaries) bc.node = position[bc.node];
  return out;
}

/// Backend bytes of a network's topology and flow fields (DeviceNetwork + FlowFields), without the
/// pressure solve's own arrays (LinearSolveReport::solver_bytes).
double network_and_field_bytes(const DeviceNetwork& d) {
  const double m = static_cast<double>(d.segments()), nodes = static_cast<double>(d.nodes());
  const double u = d.unknowns(), nnz = d.pattern().nnz;
  const double topology = 8 * m /*from, to*/ + 16 * m /*radius, length*/ + 16 * nodes /*bc, inflow*/ +
                          4 * (u + 1) + 4 * nnz /*row_ptr, col*/ + 4 * u /*row_node*/ + 4 * (nodes + 1) +
                          16 * m /*adjacency*/ + 4 * nodes /*node_unknown*/;
  const double fields = 40 * m /*viscosity, conductance, flow, velocity, shear*/ + 8 * nodes /*pressure*/;
  return topology + fields;
}

/// Per-phase roofline of the fused Jacobi-PCG on one network: each kernel timed alone (median of
/// `reps` calls), its minimum bytes (see the header), GB/s and fraction of the copy bandwidth.
std::string roofline_rows(const KernelSet& k, const Network& net, const std::string& description, const SellOptions& so,
                          double copy_bw) {
  DeviceNetwork d(k, net);
  const std::size_t m = net.num_segments();
  const auto u = static_cast<std::size_t>(d.unknowns());
  BloodConfig blood;
  DeviceArray<double> mu(k, m), g(k, m), values(k, static_cast<std::size_t>(d.pattern().nnz));
  k.fill(m, blood.viscosity, mu.data());
  k.poiseuille_conductance(m, d.radius.data(), d.length.data(), mu.data(), g.data());
  k.assemble_laplacian(d.pattern(), g.data(), values.data());
  SellMatrix sell(k, d.row_ptr.download(), d.col.download(), so);
  sell.fill(values.data());
  const kernels::SellView a = sell.view();
  const kernels::CsrView csr{d.pattern().unknowns, d.pattern().row_ptr, d.pattern().col, values.data()};
  DeviceArray<double> p(k, u), q(k, u), x(k, u), r(k, u), z(k, u);
  k.fill(u, 1.0, p.data());
  k.fill(u, 0.0, x.data());
  k.fill(u, 1.0, r.data());
  const int reps = u > 2000000 ? 10 : 30;
  auto timed = [&](auto&& body) {
    body();  // warm-up
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
      const auto t0 = clock_type::now();
      body();
      k.dot(1, q.data(), q.data());  // synchronises
      t.push_back(seconds_since(t0));
    }
    return median(t);
  };
  const double e = static_cast<double>(sell.stored_entries()), n = static_cast<double>(u);
  const double nnz = d.pattern().nnz;
  const double row_ptr_bytes = so.chunk_size == 1 ? 4 * n : 0.0;
  struct Phase {
    std::string name;
    double bytes, seconds;
  };
  std::vector<Phase> phases;
  phases.push_back({"(a) q = A p, (p, q)", 12 * e + 24 * n + row_ptr_bytes,
                    timed([&] { k.sell_spmv_dot(a, p.data(), q.data()); })});
  phases.push_back({"(b) x, r, z update, (r, z), (r, r)", 64 * n,
                    timed([&] { k.pcg_jacobi_update(u, 1e-300, p.data(), q.data(), sell.inverse_diagonal(), x.data(),
                                                    r.data(), z.data()); })});
  phases.push_back({"(c) p = z + b p", 24 * n, timed([&] { k.xpby(u, z.data(), 0.5, p.data()); })});
  double fused_bytes = 0, fused_s = 0;
  for (const Phase& ph : phases) fused_bytes += ph.bytes, fused_s += ph.seconds;
  phases.push_back({"fused iteration (a + b + c)", fused_bytes, fused_s});
  phases.push_back({"unfused CSR spmv (reference)", 12 * nnz + 20 * n,
                    timed([&] { k.spmv(csr, p.data(), q.data()); })});
  std::ostringstream o;
  o << std::setprecision(4);
  const std::string layout =
      so.chunk_size == 1 ? "csr" : "sell-" + std::to_string(so.chunk_size) + "-" + std::to_string(so.sigma);
  for (const Phase& ph : phases) {
    const double gbs = ph.bytes / ph.seconds / 1e9;
    o << "| " << description << " | " << layout << (so.reverse_cuthill_mckee ? " + rcm" : "") << " | " << ph.name
      << " | " << ph.bytes / n << " | " << ph.seconds * 1e3 << " | " << gbs << " | " << gbs / copy_bw << " |\n";
  }
  return o.str();
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
  const double copy_bw = measure_copy_bandwidth(k);
  std::vector<double> sizes = args.sizes.empty() ? std::vector<double>{1e3, 1e4, 1e5, 1e6} : args.sizes;
  if (!args.network_file.empty() || !args.peer_grid.empty()) sizes.clear();
  if (!args.network_file.empty()) sizes = {0};
  for (int n : args.peer_grid) sizes.push_back(-n);  // negative: peer grid of side n

  std::ostringstream table;
  table << "| network | segments | radius_sigma | unknowns | nnz | backend | preconditioner | kernels | reduced_unknowns | "
           "amg_levels | assemble_s | setup_s | solve_s | total_s | iterations | ms_per_iteration | bytes_per_iteration | "
           "GB/s | fraction_of_copy | fraction_of_triad | bytes_per_segment | cholmod_s |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::ostringstream roofline;
  roofline << "| network | layout | phase | bytes_per_unknown | ms | GB/s | fraction_of_copy |\n|---|---|---|---|---|---|---|\n";
  std::cout << "hepaflow bench: backend " << k.backend_name << ", triad bandwidth " << std::setprecision(4) << peak
            << " GB/s, copy bandwidth " << copy_bw << " GB/s, tolerance " << args.tolerance << "\n"
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
    if (args.shuffle_nodes) {
      base = shuffled_nodes(base);
      description += ", nodes shuffled";
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
      // One row per preconditioner; the Jacobi one per kernel variant and (fused) unknown ordering.
      struct Variant {
        std::string preconditioner, kernels, ordering;
      };
      std::vector<Variant> variants;
      for (const std::string& preconditioner : args.preconditioners) {
        if (preconditioner != "jacobi") {
          variants.push_back({preconditioner, "", ""});
          continue;
        }
        for (const std::string& kernels : args.jacobi_kernels) {
          if (kernels == "unfused") variants.push_back({preconditioner, kernels, "none"});
          else
            for (const std::string& ordering : args.orderings) variants.push_back({preconditioner, kernels, ordering});
        }
      }
      for (const Variant& variant : variants) {
        const std::string& preconditioner = variant.preconditioner;
        SolverConfig solver;
        solver.method = "pcg";
        solver.preconditioner = preconditioner;
        solver.tolerance = args.tolerance;
        solver.max_iterations = 10000000;
        std::vector<double> t_assemble, t_solve, t_total, t_setup;
        LinearSolveReport last;
        double bytes_per_segment = 0;
        index_t unknowns = 0;
        double nnz = 0;
        for (int rep = 0; rep < std::max(1, args.repeat); ++rep) {
          const auto t0 = clock_type::now();
          DeviceNetwork device_net(k, net);
          FlowFields fields;
          fields.viscosity = DeviceArray<double>(k, net.num_segments());
          k.fill(net.num_segments(), blood.viscosity, fields.viscosity.data());
          LinearSolverOptions lso = linear_solver_options(solver);
          if (!variant.kernels.empty()) lso.jacobi_kernels = variant.kernels;
          lso.reverse_cuthill_mckee = variant.ordering == "rcm";
          lso.sell_sigma = args.sell_sigma;
          lso.sell_chunk = args.sell_chunk;
          last = solve_flow(device_net, lso, fields);
          bytes_per_segment = (network_and_field_bytes(device_net) + static_cast<double>(last.solver_bytes)) /
                              static_cast<double>(net.num_segments());
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
        // Minimum bytes per iteration (header): unfused 12 nnz + 156 n; fused 12 e + 112 n (+ 4 n csr).
        const double e = last.sell_stored_entries;
        const double bytes_per_iteration =
            last.jacobi_kernels == "unfused" ? 12.0 * nnz + 156.0 * unknowns
                                             : 12.0 * e + 112.0 * unknowns + (last.jacobi_kernels == "csr" ? 4.0 * unknowns : 0.0);
        // Time per iteration without the one-off layout build (setup_s, first solve of a network).
        const double iterate_s = solve_s - median(t_setup);
        const double s_per_iteration = last.iterations > 0 ? iterate_s / last.iterations : 0.0;
        const double gbs = s_per_iteration > 0 ? bytes_per_iteration / s_per_iteration / 1e9 : 0.0;
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
            << last.preconditioner << " | "
            << (jacobi ? last.jacobi_kernels + (last.jacobi_kernels != "unfused" && variant.ordering == "rcm" ? " + rcm" : "")
                       : std::string("-"))
            << " | " << (jacobi ? std::string("-") : std::to_string(last.reduced_unknowns))
            << " | " << (jacobi ? std::string("-") : std::to_string(last.amg_level_rows.size())) << " | "
            << median(t_assemble) << " | " << median(t_setup) << " | " << solve_s << " | " << median(t_total) << " | "
            << last.iterations << " | ";
        if (jacobi)
          row << 1e3 * s_per_iteration << " | " << bytes_per_iteration << " | " << gbs << " | " << gbs / copy_bw << " | "
              << gbs / peak;
        else
          row << 1e3 * s_per_iteration << " | - | - | - | -";
        row << " | " << std::setprecision(4) << bytes_per_segment << " | " << cholmod << " |\n";
        std::cout << row.str() << std::flush;
        table << row.str();
        if (args.roofline && jacobi && last.jacobi_kernels != "unfused") {
          SellOptions so;
          so.chunk_size = last.jacobi_kernels == "csr" ? 1 : args.sell_chunk;
          so.sigma = args.sell_sigma <= 1 || so.chunk_size == 1
                         ? 1
                         : (args.sell_sigma + so.chunk_size - 1) / so.chunk_size * so.chunk_size;
          so.reverse_cuthill_mckee = variant.ordering == "rcm";
          roofline << roofline_rows(k, net, description, so, copy_bw);
        }
      }
    }
  }
  std::ostringstream setting;
  setting << "triad bandwidth " << peak << " GB/s, copy bandwidth " << copy_bw << " GB/s, tolerance " << args.tolerance
          << ", median of " << args.repeat << " runs";
  if (args.roofline) {
    std::cout << "\n" << roofline.str() << std::flush;
    append_results(args, k, setting.str(), table.str() + "\nPer-phase roofline (each kernel alone):\n\n" + roofline.str());
  } else {
    append_results(args, k, setting.str(), table.str());
  }
  return 0;
}

}  // namespace hepaflow::app

// Steady Poiseuille network flow (MODEL.md §2). The reduced nodal system: for every node i that is
// not a pressure boundary, mass conservation sum_e Q_e = 0 with Q_e = G_e (p_i - p_j) and
// G_e = pi r^4 / (8 mu L) (Poiseuille) gives sum_e G_e p_i - sum_e G_e p_j = q_i (prescribed inflow),
// pressure-boundary neighbours moved to the right-hand side. The matrix is a weighted graph
// Laplacian restricted to the unknown nodes: SPD when every component has a pressure boundary
// (checked by validate()). Parallel segments between the same two nodes are parallel vessels.
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/linear/amg.hpp"
#include "hepaflow/linear/low_degree_elimination.hpp"
#include "hepaflow/linear/pcg.hpp"
#include "hepaflow/linear/sell.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>

#include "direct_solver.hpp"
#include "petsc_solver.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/finite_check.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {

namespace {
using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}
}  // namespace

bool direct_solver_available() { return detail::cholmod_available(); }
bool petsc_solver_available() { return detail::petsc_available(); }

namespace {
std::string petsc_command_line_options;
}  // namespace
void set_petsc_command_line_options(const std::string& options) { petsc_command_line_options = options; }

PartitionStats coordinate_partition_stats(const DeviceNetwork& net, int parts) {
  const detail::PartitionCut c = detail::partition_cut(net.row_ptr.download(), net.col.download(),
                                                       detail::coordinate_bisection(net.unknown_position, parts), parts);
  return {c.parts, c.rows, c.largest_part, c.cut_entries, c.max_part_cut};
}

const char* default_preconditioner() { return "jacobi"; }

/// Kept in FlowFields between solves of one network (the rheology loop): the AMG hierarchy whose
/// aggregates the next solve reuses, and the iteration counts that decide when to rebuild them.
struct PressureSolverState {
  const DeviceNetwork* network = nullptr;  ///< the topology the state belongs to (with its sizes)
  index_t unknowns = -1, nnz = -1;
  std::unique_ptr<AmgHierarchy> amg;
  int iterations_after_build = -1;  ///< PCG iterations of the first solve after the last full build
  int last_iterations = 0;
  // Fused Jacobi-PCG: the SELL layout of this network's pattern (built once, refilled every solve).
  std::uint64_t sell_network = 0;  ///< DeviceNetwork::instance() of the layout's network
  index_t sell_unknowns = -1, sell_nnz = -1;
  std::unique_ptr<SellMatrix> sell;
};

DeviceNetwork::DeviceNetwork(const KernelSet& k, const Network& net)
    : segment_ids(net.segment_id), node_ids(net.node_id), k_(&k), nodes_(net.num_nodes()), segments_(net.num_segments()) {
  static std::atomic<std::uint64_t> instances{0};
  instance_ = ++instances;
  const std::size_t n = nodes_, m = segments_;
  // Boundary values per node.
  std::vector<double> pressure_bc(n, 0.0), inflow(n, 0.0);
  std::vector<char> is_pressure(n, 0);
  for (const auto& bc : net.boundaries) {
    if (bc.type == BoundaryType::pressure) {
      pressure_bc[bc.node] = bc.value;
      is_pressure[bc.node] = 1;
      pressure_nodes.push_back(bc.node);
    } else {
      inflow[bc.node] += bc.value;
      flow_nodes.push_back(bc.node);
    }
  }
  // Node -> incident segments (CSR).
  std::vector<index_t> adj_ptr_h(n + 1, 0), adj_seg_h(2 * m), adj_other_h(2 * m);
  for (std::size_t s = 0; s < m; ++s) {
    ++adj_ptr_h[net.segment_from[s] + 1];
    ++adj_ptr_h[net.segment_to[s] + 1];
  }
  for (std::size_t i = 0; i < n; ++i) adj_ptr_h[i + 1] += adj_ptr_h[i];
  {
    std::vector<index_t> fill(adj_ptr_h.begin(), adj_ptr_h.end() - 1);
    for (std::size_t s = 0; s < m; ++s) {
      const index_t a = net.segment_from[s], b = net.segment_to[s];
      adj_seg_h[fill[a]] = static_cast<index_t>(s);
      adj_other_h[fill[a]++] = b;
      adj_seg_h[fill[b]] = static_cast<index_t>(s);
      adj_other_h[fill[b]++] = a;
    }
  }
  // Unknowns = nodes without a pressure boundary, in node order.
  std::vector<index_t> node_unknown_h(n, -1), row_node_h;
  row_node_h.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (!is_pressure[i]) {
      node_unknown_h[i] = static_cast<index_t>(row_node_h.size());
      row_node_h.push_back(static_cast<index_t>(i));
    }
  unknowns_ = static_cast<index_t>(row_node_h.size());
  unknown_position.resize(3 * row_node_h.size());
  for (std::size_t r = 0; r < row_node_h.size(); ++r) {
    const auto node = static_cast<std::size_t>(row_node_h[r]);
    unknown_position[3 * r] = net.x[node];
    unknown_position[3 * r + 1] = net.y[node];
    unknown_position[3 * r + 2] = net.z[node];
  }
  // Row pattern: the diagonal + one entry per neighbouring unknown node, columns sorted and unique
  // (parallel segments between the same two nodes share one entry).
  std::vector<index_t> row_ptr_h(unknowns_ + 1, 0), col_h;
  col_h.reserve(static_cast<std::size_t>(unknowns_) + 2 * m);
  std::vector<index_t> row_columns;
  for (index_t r = 0; r < unknowns_; ++r) {
    const index_t node = row_node_h[r];
    row_columns.assign(1, r);
    for (index_t j = adj_ptr_h[node]; j < adj_ptr_h[node + 1]; ++j) {
      const index_t c = node_unknown_h[adj_other_h[j]];
      if (c >= 0) row_columns.push_back(c);
    }
    std::sort(row_columns.begin(), row_columns.end());
    row_columns.erase(std::unique(row_columns.begin(), row_columns.end()), row_columns.end());
    col_h.insert(col_h.end(), row_columns.begin(), row_columns.end());
    row_ptr_h[r + 1] = static_cast<index_t>(col_h.size());
  }
  nnz_ = static_cast<index_t>(col_h.size());

  from = DeviceArray<index_t>(k, net.segment_from);
  to = DeviceArray<index_t>(k, net.segment_to);
  radius = DeviceArray<double>(k, net.radius);
  length = DeviceArray<double>(k, net.length);
  node_pressure_bc = DeviceArray<double>(k, pressure_bc);
  node_inflow = DeviceArray<double>(k, inflow);
  row_ptr = DeviceArray<index_t>(k, row_ptr_h);
  col = DeviceArray<index_t>(k, col_h);
  row_node = DeviceArray<index_t>(k, row_node_h);
  adj_ptr = DeviceArray<index_t>(k, adj_ptr_h);
  adj_segment = DeviceArray<index_t>(k, adj_seg_h);
  adj_other = DeviceArray<index_t>(k, adj_other_h);
  node_unknown = DeviceArray<index_t>(k, node_unknown_h);
}

kernels::LaplacianPattern DeviceNetwork::pattern() const {
  kernels::LaplacianPattern p;
  p.unknowns = unknowns_;
  p.nnz = nnz_;
  p.row_ptr = row_ptr.data();
  p.col = col.data();
  p.row_node = row_node.data();
  p.adj_ptr = adj_ptr.data();
  p.adj_segment = adj_segment.data();
  p.adj_other = adj_other.data();
  p.node_unknown = node_unknown.data();
  return p;
}

namespace {

/// Inner solve of the refinement loop: A x = b to relative residual `tolerance` from x = 0.
/// Returns PCG iterations (negative: stopped without converging), *reached = ||b - A x|| / ||b||
/// as PCG tracked it.
using InnerSolve = std::function<int(const double* b, double* x, double tolerance, int budget, double* reached)>;

/// Jacobi-preconditioned conjugate gradients (hepaflow/linear/pcg.hpp) on the reduced Laplacian.
int jacobi_pcg(const KernelSet& k, const kernels::CsrView& a, const double* inv_diag, const double* b, double* x,
               double tolerance, int max_iterations, double* relative_residual_reached) {
  const std::size_t n = static_cast<std::size_t>(a.rows);
  LinearOperator op;
  op.apply = [&](const double* in, double* out) { k.spmv(a, in, out); };
  op.precondition = [&](const double* r, double* z) { k.multiply(n, inv_diag, r, z); };
  return hepaflow::pcg(k, n, op, b, x, tolerance, max_iterations, relative_residual_reached);
}

/// ||b - A x|| / ||b|| with the residual accumulated in compensated arithmetic; `r` receives b - A x.
double true_relative_residual(const KernelSet& k, const kernels::CsrView& a, const double* b, const double* x,
                              DeviceArray<double>& r) {
  const std::size_t n = static_cast<std::size_t>(a.rows);
  if (n == 0) return 0.0;
  k.compensated_residual(a, x, b, r.data());
  const double b_norm = std::sqrt(k.dot(n, b, b));
  const double r_norm = std::sqrt(k.dot(n, r.data(), r.data()));
  return b_norm > 0.0 ? r_norm / b_norm : r_norm;
}

double element(const KernelSet& k, const DeviceArray<double>& a, std::size_t i) {
  double v = std::nan("");
  if (i < a.size()) k.copy_to_host(&v, a.data() + i, sizeof v);
  return v;
}

/// The inputs of a segment's conductance, for messages.
std::string segment_inputs(const DeviceNetwork& net, const FlowFields& f, std::size_t s) {
  const KernelSet& k = net.kernels();
  std::ostringstream o;
  o << "radius " << element(k, net.radius, s) / units::um << " um, length " << element(k, net.length, s) / units::um
    << " um, viscosity " << element(k, f.viscosity, s) / units::cP << " cP, conductance "
    << element(k, f.conductance, s) << " m^3/(Pa s)";
  return o.str();
}

/// Why a pressure solve may fail, from the network's numbers (failure path only: downloads):
/// the conductance range (the Laplacian's condition number grows with max G / min G and with the
/// graph's diameter), zero conductances (underflow of r^4), the radius range.
std::string conditioning_diagnosis(const DeviceNetwork& net, const FlowFields& f) {
  const std::vector<double> g = f.conductance.download(), r = net.radius.download();
  double g_min = INFINITY, g_max = 0, r_min = INFINITY, r_max = 0;
  std::size_t zero = 0;
  for (std::size_t s = 0; s < g.size(); ++s) {
    if (g[s] > 0) g_min = std::min(g_min, g[s]);
    else ++zero;
    g_max = std::max(g_max, g[s]);
    r_min = std::min(r_min, r[s]);
    r_max = std::max(r_max, r[s]);
  }
  std::ostringstream o;
  o << "conductances span " << g_min << " .. " << g_max << " m^3/(Pa s) (ratio " << g_max / g_min << ")";
  if (zero) o << ", " << zero << " segments with conductance 0 (radius^4 underflows)";
  o << ", radii " << r_min / units::um << " .. " << r_max / units::um << " um, " << net.unknowns() << " unknowns";
  return o.str();
}

HostCsr download_csr(const DeviceNetwork& net, const DeviceArray<double>& values) {
  HostCsr h;
  h.rows = h.cols = net.unknowns();
  h.row_ptr = net.row_ptr.download();
  h.col = net.col.download();
  h.val = values.download();
  return h;
}

}  // namespace

LinearSolveReport solve_flow(const DeviceNetwork& net, const LinearSolverOptions& options, FlowFields& f) {
  const KernelSet& k = net.kernels();
  const std::size_t m = net.segments(), n = net.nodes();
  const auto u = static_cast<std::size_t>(net.unknowns());
  if (f.viscosity.size() != m) throw Error(ExitCode::runtime_error, "internal: viscosity array size mismatch");
  LinearSolveReport report;

  const auto t_assemble = clock_type::now();
  if (f.conductance.size() != m) f.conductance = DeviceArray<double>(k, m);
  k.poiseuille_conductance(m, net.radius.data(), net.length.data(), f.viscosity.data(), f.conductance.data());
  FiniteCheckSite site;
  site.phase = "pressure solve";
  site.segment_ids = &net.segment_ids;
  site.node_ids = &net.node_ids;
  site.describe = [&](ElementKind kind, std::size_t i) {
    return kind == ElementKind::segment ? segment_inputs(net, f, i) : std::string();
  };
  check_finite(k, site, "conductance", ElementKind::segment, f.conductance.data(), m);
  const kernels::LaplacianPattern pattern = net.pattern();
  DeviceArray<double> values(k, static_cast<std::size_t>(pattern.nnz)), rhs(k, u), x(k, u);
  k.assemble_laplacian(pattern, f.conductance.data(), values.data());
  k.assemble_rhs(pattern, f.conductance.data(), net.node_pressure_bc.data(), net.node_inflow.data(), rhs.data());
  const kernels::CsrView a{pattern.unknowns, pattern.row_ptr, pattern.col, values.data()};
  report.seconds_assemble = seconds_since(t_assemble);

  const auto t_solve = clock_type::now();
  const std::string method = options.method == "auto" ? "pcg" : options.method;
  report.method = method;
  DeviceArray<double> residual(k, u);
  if (method == "pcg") {
    const std::string preconditioner =
        options.preconditioner == "auto" ? std::string(default_preconditioner()) : options.preconditioner;
    if (preconditioner != "jacobi" && preconditioner != "amg")
      throw InputError("unknown solver.preconditioner '" + options.preconditioner + "' (expected auto, jacobi or amg)");
    report.preconditioner = preconditioner;
    // ---- the inner solver of the chosen preconditioner
    InnerSolve inner;
    DeviceArray<double> inv_diag;
    std::unique_ptr<LowDegreeElimination> elimination;
    DeviceCsr reduced;
    DeviceArray<double> work, reduced_b, reduced_x;
    PressureSolverState* state = nullptr;
    SellMatrix* sell = nullptr;
    DeviceArray<double> b_sell, x_sell;
    const std::string jacobi_kernels = options.jacobi_kernels != "auto" ? options.jacobi_kernels
                                       : std::string(k.backend_name) == "cuda" ? "sell"
                                                                                : "csr";
    if (preconditioner == "jacobi" && jacobi_kernels == "unfused") {
      report.jacobi_kernels = "unfused";
      inv_diag = DeviceArray<double>(k, u);
      k.inverse_diagonal(a, inv_diag.data());
      inner = [&](const double* b, double* x_out, double tol, int budget, double* reached) {
        return jacobi_pcg(k, a, inv_diag.data(), b, x_out, tol, budget, reached);
      };
      // CSR values, rhs x residual correction, pcg's r z p q, inv_diag
      report.solver_bytes = 8 * static_cast<std::size_t>(pattern.nnz) + 8 * (4 + 4 + 1) * u;
    } else if (preconditioner == "jacobi") {
      if (jacobi_kernels != "sell" && jacobi_kernels != "csr")
        throw InputError("unknown Jacobi-PCG kernels '" + jacobi_kernels + "' (expected auto, sell, csr or unfused)");
      report.jacobi_kernels = jacobi_kernels;
      // The SELL layout of this network's pattern, kept in the solver state across solves.
      if (!f.solver_state) f.solver_state = std::make_shared<PressureSolverState>();
      PressureSolverState& st = *f.solver_state;
      SellOptions so;
      so.chunk_size = jacobi_kernels == "csr" ? 1 : std::max(1, options.sell_chunk);
      // sigma: 1, or rounded up to a multiple of the chunk size (sorting windows hold whole chunks)
      so.sigma = options.sell_sigma <= 1 ? 1 : (options.sell_sigma + so.chunk_size - 1) / so.chunk_size * so.chunk_size;
      so.reverse_cuthill_mckee = options.reverse_cuthill_mckee;
      const bool same = st.sell && st.sell_network == net.instance() && st.sell_unknowns == net.unknowns() &&
                        st.sell_nnz == pattern.nnz && st.sell->options().chunk_size == so.chunk_size &&
                        st.sell->options().sigma == so.sigma &&
                        st.sell->options().reverse_cuthill_mckee == so.reverse_cuthill_mckee;
      if (!same) {
        const auto t_setup = clock_type::now();
        st.sell = std::make_unique<SellMatrix>(k, net.row_ptr.download(), net.col.download(), so);
        st.sell_network = net.instance();
        st.sell_unknowns = net.unknowns();
        st.sell_nnz = pattern.nnz;
        report.seconds_setup = seconds_since(t_setup);
      }
      sell = st.sell.get();
      sell->fill(values.data());
      report.sell_stored_entries = static_cast<index_t>(sell->stored_entries());
      b_sell = DeviceArray<double>(k, u);
      x_sell = DeviceArray<double>(k, u);
      // + CSR values, rhs x residual correction, jacobi_pcg_fused's r z p q, b and x renumbered
      report.solver_bytes = sell->bytes() + 8 * static_cast<std::size_t>(pattern.nnz) + 8 * (4 + 4 + 2) * u;
      inner = [&, sell](const double* b, double* x_out, double tol, int budget, double* reached) {
        // Renumbered vectors in, the solution back to the network's numbering (two gathers, one scatter).
        k.gather(u, sell->order(), b, b_sell.data());
        k.gather(u, sell->order(), x_out, x_sell.data());
        const int it = jacobi_pcg_fused(k, sell->view(), sell->inverse_diagonal(), b_sell.data(), x_sell.data(), tol,
                                        budget, reached);
        k.scatter(u, sell->order(), x_sell.data(), x_out);
        return it;
      };
    } else {
      const auto t_setup = clock_type::now();
      // Ground conductance of each unknown node (to pressure-boundary neighbours): the rhs assembly
      // with unit boundary pressures and no inflow, a sum of positive terms (no cancellation).
      std::vector<double> ground;
      {
        DeviceArray<double> ones(k, n), zeros(k, n), g(k, u);
        k.fill(n, 1.0, ones.data());
        k.fill(n, 0.0, zeros.data());
        k.assemble_rhs(pattern, f.conductance.data(), ones.data(), zeros.data(), g.data());
        ground = g.download();
      }
      elimination = std::make_unique<LowDegreeElimination>(k, download_csr(net, values), ground);
      report.elimination_rounds = elimination->rounds();
      report.reduced_unknowns = elimination->kept();
      const HostCsr& s_host = elimination->reduced();
      // AMG on the reduced system; the aggregates of the previous solve of this network are reused
      // (conductances changed, pattern not) until PCG needs 1.5x the iterations it took right after
      // the last full build.
      if (!f.solver_state) f.solver_state = std::make_shared<PressureSolverState>();
      state = f.solver_state.get();
      const bool same_network = state->network == &net && state->unknowns == net.unknowns() &&
                                state->nnz == pattern.nnz && state->amg;
      const bool reuse = options.warm_start && same_network && state->iterations_after_build >= 0 &&
                         state->last_iterations <= 1.5 * state->iterations_after_build + 2;
      const AmgOptions amg_options;  // unsmoothed aggregation, K-cycle with 2 damped-Jacobi sweeps (amg.hpp)
      state->amg = std::make_unique<AmgHierarchy>(k, s_host, amg_options, reuse ? state->amg.get() : nullptr);
      if (!reuse) state->iterations_after_build = -1;
      state->network = &net;
      state->unknowns = net.unknowns();
      state->nnz = pattern.nnz;
      report.aggregates_reused = reuse;
      report.amg_level_rows = state->amg->level_rows();
      report.operator_complexity = state->amg->operator_complexity();
      reduced = DeviceCsr(k, s_host);
      work = DeviceArray<double>(k, u);
      reduced_b = DeviceArray<double>(k, static_cast<std::size_t>(s_host.rows));
      reduced_x = DeviceArray<double>(k, static_cast<std::size_t>(s_host.rows));
      report.seconds_setup = seconds_since(t_setup);
      const AmgHierarchy* amg = state->amg.get();
      inner = [&, amg](const double* b, double* x_out, double tol, int budget, double* reached) {
        // Condense b onto the kept rows, solve the reduced system by AMG-PCG, recover every row.
        // The full residual equals the reduced one (eliminated rows are solved exactly), so the
        // reduced tolerance is scaled by ||b|| / ||b_reduced||.
        k.copy_on_device(work.data(), b, u * sizeof(double));
        elimination->condense(work.data(), reduced_b.data());
        const std::size_t nr = reduced_b.size();
        int it = 0;
        *reached = 0.0;
        if (nr > 0) {
          const double b_norm = std::sqrt(k.dot(u, b, b));
          const double br_norm = std::sqrt(k.dot(nr, reduced_b.data(), reduced_b.data()));
          // Aimed at half the tolerance asked: the K-cycle's flexible CG stops wherever its residual
          // first passes the target, and on strongly graded networks the solution's error at a
          // residual just under the tolerance is large (peer grid 16^3, sigma 1, tolerance 1e-12:
          // flows 1.3e-7 from CHOLMOD's at residual 7.4e-13, 1.7e-8 at 1.2e-13, one iteration on).
          const double tol_reduced = 0.5 * (br_norm > 0 ? tol * b_norm / br_norm : tol);
          k.fill(nr, 0.0, reduced_x.data());
          LinearOperator op;
          const kernels::CsrView sv = reduced.view();
          op.apply = [&](const double* in, double* out) { k.spmv(sv, in, out); };
          op.precondition = [&](const double* r, double* z) { amg->apply(r, z); };
          double reached_reduced = 0;
          it = hepaflow::pcg(k, nr, op, reduced_b.data(), reduced_x.data(), tol_reduced, budget, &reached_reduced,
                             amg->nonlinear());
          *reached = b_norm > 0 ? reached_reduced * br_norm / b_norm : 0.0;
        }
        elimination->recover(reduced_x.data(), work.data());
        k.copy_on_device(x_out, work.data(), u * sizeof(double));
        return it;
      };
    }
    // ---- PCG with iterative refinement (Wilkinson; Higham, Accuracy and Stability of Numerical
    // Algorithms, ch. 12): the true residual b - A x is recomputed in compensated arithmetic and, while
    // it exceeds the tolerance, a correction A d = r is solved and added. CG's recursively updated
    // residual drifts from the true one by rounding; this makes the tolerance hold for the true one.
    // Warm start: x0 = the pressures of the previous solve of this network (rheology iterations);
    // the first pass then solves for the correction.
    // Stop (Demmel et al. 2006, "Error bounds from extra-precise iterative refinement", ACM TOMS
    // 32:325, with the residual in compensated arithmetic): (a) the true residual meets the
    // tolerance; (b) the correction is below 2 ulps of the largest pressure: x is the solution to
    // working precision (forward error ~eps); (c) the corrections stop shrinking (ratio > 0.5 from
    // one pass to the next: rounding noise) while x's componentwise backward error omega
    // (Oettli-Prager, kernels.inl) is at the rounding level, i.e. x solves A x = b up to relative
    // perturbations of a few eps in every entry. A tolerance finer than the rounding floor of the
    // pressures (eps || |A||x| || / ||b||, e.g. 1e-15 on high-contrast networks) then ends in (b) or
    // (c), not in non-convergence; stagnation with a larger omega is still reported as failure.
    constexpr double eps = std::numeric_limits<double>::epsilon();
    constexpr double working_precision_backward_error = 16 * eps;  // a row's residual: <= ~10 roundings
    double reached = 1.0, previous_correction = 0.0;
    bool converged = false, breakdown = false, warm = false;
    const auto measure = [&] {
      reached = true_relative_residual(k, a, rhs.data(), x.data(), residual);
      report.backward_error = u > 0 ? k.componentwise_backward_error(a, x.data(), rhs.data(), residual.data()) : 0.0;
      return reached <= options.tolerance;
    };
    if (options.warm_start && f.node_pressure.size() == n && u > 0) {
      k.gather(u, net.row_node.data(), f.node_pressure.data(), x.data());
      bool done = measure();  // an unchanged system: the previous pressures as they are
      // Otherwise scale x0 by the alpha that minimises the energy-norm error ||x* - alpha x0||_A, alpha =
      // (x0.b) / (x0.A x0) (the Ritz value of the one-dimensional space span{x0}): never worse than x0
      // (alpha = 1) nor than a cold start (alpha = 0). It absorbs a uniform change of the driving
      // pressures between solves (e.g. remodelling steps that change the held inflow).
      if (!done) {
        k.spmv(a, x.data(), residual.data());
        const double x_a_x = k.dot(u, x.data(), residual.data()), x_b = k.dot(u, x.data(), rhs.data());
        const double alpha = x_b / x_a_x;
        if (x_a_x > 0 && std::isfinite(alpha)) k.axpy(u, alpha - 1.0, x.data(), x.data());
        done = measure();
      }
      warm = std::isfinite(reached) && reached < 1.0;
      converged = warm && done;
    }
    if (!warm) k.fill(u, 0.0, x.data());
    report.warm_started = warm;
    DeviceArray<double> correction(k, u);
    for (int pass = 0; pass < 8 && !converged && !breakdown; ++pass) {
      const int budget = options.max_iterations - report.iterations;
      if (budget <= 0) break;
      int it;
      double relative_correction = -1;  // max |d| / max |x| of this pass's correction; -1: none
      if (pass == 0 && !warm) {
        it = inner(rhs.data(), x.data(), options.tolerance, budget, &reached);
      } else {
        // Solve A d = r to the relative accuracy that brings ||r|| under tol ||b|| (with margin).
        const double inner_tol = std::clamp(0.5 * options.tolerance / reached, 1e-12, pass == 0 ? 0.5 : 1e-2);
        k.fill(u, 0.0, correction.data());
        it = inner(residual.data(), correction.data(), inner_tol, budget, &reached);
        if (it >= 0) {
          k.axpy(u, 1.0, correction.data(), x.data());
          const double x_max = k.max_abs(u, x.data());
          relative_correction = x_max > 0 ? k.max_abs(u, correction.data()) / x_max : 0.0;
        }
      }
      report.iterations += it < 0 ? -it : it;
      if (it < 0) {
        breakdown = report.iterations < options.max_iterations;
        break;
      }
      converged = measure();
      if (relative_correction >= 0) {
        const bool forward_at_working_precision = relative_correction <= 2 * eps;
        const bool stalled = previous_correction > 0 && relative_correction > 0.5 * previous_correction;
        converged = converged || forward_at_working_precision ||
                    (stalled && report.backward_error <= working_precision_backward_error);
        previous_correction = relative_correction;
      }
    }
    if (state) {
      state->last_iterations = report.iterations;
      if (state->iterations_after_build < 0) state->iterations_after_build = report.iterations;
    }
    if (!converged) {
      std::ostringstream msg;
      msg << "pressure solve (" << (preconditioner == "amg" ? "AMG" : "Jacobi") << "-PCG) did not converge: relative residual "
          << reached << " (componentwise backward error " << report.backward_error << ") after " << report.iterations
          << " iterations, tolerance " << options.tolerance
          << (breakdown ? " (CG breakdown: matrix not positive definite or NaN)"
                        : " (raise solver.max_iterations, loosen solver.tolerance or use solver.method = \"direct\")")
          << "; " << conditioning_diagnosis(net, f);
      throw ConvergenceError(msg.str());
    }
  } else if (method == "direct") {
    // The direct solve runs on the host: download the system once, solve, upload the solution.
    std::vector<index_t> row_ptr_h = net.row_ptr.download(), col_h = net.col.download();
    std::vector<double> val_h = values.download(), b_h = rhs.download(), x_h;
    try {
      detail::cholmod_solve(row_ptr_h, col_h, val_h, b_h, x_h);
    } catch (const ConvergenceError& e) {
      throw ConvergenceError(std::string(e.what()) + "; " + conditioning_diagnosis(net, f));
    }
    x.upload(x_h);
    report.iterations = 1;
  } else if (method == "petsc") {
    // Distributed over the MPI ranks (every rank holds the system; each assembles and solves its
    // part's rows; the solution comes back to every rank). Host arrays in and out.
    detail::PetscSolveOptions petsc;
    petsc.tolerance = options.tolerance;
    petsc.max_iterations = options.max_iterations;
    petsc.options = options.petsc_options + " " + petsc_command_line_options;
    detail::PetscSolveReport pr;
    std::vector<double> x_h;
    detail::petsc_solve(net.row_ptr.download(), net.col.download(), values.download(), rhs.download(),
                        net.unknown_position, petsc, x_h, pr);
    x.upload(x_h);
    report.iterations = pr.iterations;
    report.seconds_setup = pr.seconds_setup;
    std::ostringstream d;
    d << "PETSc " << pr.ksp_type << " + " << pr.pc_type << " on " << pr.ranks << " rank" << (pr.ranks > 1 ? "s" : "")
      << " (largest part " << pr.max_rank_rows << " of " << u << " rows, partition cut " << pr.cut_entries
      << " matrix entries = values exchanged per SpMV), " << pr.iterations << " iterations, " << pr.reason
      << ", setup " << pr.seconds_setup << " s, solve " << pr.seconds_solve << " s";
    report.detail = d.str();
  } else {
    throw InputError("unknown solver.method '" + options.method + "' (expected auto, pcg, direct or petsc)");
  }
  report.relative_residual = true_relative_residual(k, a, rhs.data(), x.data(), residual);

  if (f.node_pressure.size() != n) f.node_pressure = DeviceArray<double>(k, n);
  if (f.flow.size() != m) f.flow = DeviceArray<double>(k, m);
  if (f.velocity.size() != m) f.velocity = DeviceArray<double>(k, m);
  if (f.wall_shear_stress.size() != m) f.wall_shear_stress = DeviceArray<double>(k, m);
  k.expand_pressure(n, net.node_unknown.data(), x.data(), net.node_pressure_bc.data(), f.node_pressure.data());
  k.segment_flow(m, net.from.data(), net.to.data(), f.conductance.data(), f.node_pressure.data(), f.flow.data());
  k.velocity_and_shear(m, f.flow.data(), net.radius.data(), f.viscosity.data(), f.velocity.data(),
                       f.wall_shear_stress.data());
  check_finite(k, site, "pressure", ElementKind::node, f.node_pressure.data(), n);
  check_finite(k, site, "flow", ElementKind::segment, f.flow.data(), m);
  report.seconds_solve = seconds_since(t_solve);
  return report;
}

FlowMetrics flow_metrics(const DeviceNetwork& net, const FlowFields& f) {
  const KernelSet& k = net.kernels();
  const std::size_t n = net.nodes();
  DeviceArray<double> net_outflow(k, n);
  k.node_net_outflow(n, net.adj_ptr.data(), net.adj_segment.data(), net.from.data(), f.flow.data(), net_outflow.data());
  const std::vector<double> outflow = net_outflow.download();
  const std::vector<double> pressure = f.node_pressure.download();
  std::vector<char> is_boundary(n, 0), is_pressure(n, 0);
  for (index_t i : net.pressure_nodes) is_boundary[i] = is_pressure[i] = 1;
  for (index_t i : net.flow_nodes) is_boundary[i] = 1;

  FlowMetrics mtr;
  // At a boundary node, the net flow leaving the node into its segments is the inflow into the network.
  double in = 0, out = 0, p_in = 0, p_out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_boundary[i]) continue;
    const double q = outflow[i];
    if (q > 0) {
      in += q;
      p_in += q * pressure[i];
    } else if (q < 0) {
      out += -q;
      p_out += -q * pressure[i];
    }
  }
  mtr.total_inflow = in;
  mtr.inlet_pressure = in > 0 ? p_in / in : 0.0;
  mtr.outlet_pressure = out > 0 ? p_out / out : 0.0;
  mtr.pressure_drop = mtr.inlet_pressure - mtr.outlet_pressure;
  mtr.resistance = in > 0 ? mtr.pressure_drop / in : 0.0;
  mtr.boundary_imbalance = in > 0 ? std::abs(in - out) / in : 0.0;
  // Flow-boundary nodes: the net outflow must equal the prescribed inflow; interior nodes: zero.
  std::vector<double> prescribed = net.node_inflow.download();
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_pressure[i]) continue;
    worst = std::max(worst, std::abs(outflow[i] - prescribed[i]));
  }
  mtr.max_mass_imbalance = in > 0 ? worst / in : worst;
  return mtr;
}

}  // namespace hepaflow

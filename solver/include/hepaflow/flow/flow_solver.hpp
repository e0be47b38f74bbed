#pragma once
// Steady Poiseuille flow in a vessel network (MODEL.md §2): conductances G = pi r^4/(8 mu L), the
// reduced weighted graph Laplacian with Dirichlet (pressure) and Neumann (inflow) boundary nodes,
// solved by preconditioned CG on the backend (Jacobi, or low-degree elimination + aggregation AMG
// K-cycles with flexible CG) or by a CHOLMOD sparse Cholesky (direct),
// then flows, velocities, wall shear stresses and network-level metrics.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hepaflow/device_array.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow {

/// Topology and geometry of a network on a backend, plus the pattern of its reduced nodal system.
/// Built once per topology; conductances and values change every solve.
class DeviceNetwork {
 public:
  DeviceNetwork(const KernelSet& k, const Network& net);

  const KernelSet& kernels() const { return *k_; }
  std::size_t nodes() const { return nodes_; }
  std::size_t segments() const { return segments_; }
  index_t unknowns() const { return unknowns_; }
  /// A number no other DeviceNetwork of this process has (kept by moves): keys solver state that
  /// belongs to one network pattern (an address may be reused by a later network).
  std::uint64_t instance() const { return instance_; }

  DeviceArray<index_t> from, to;              ///< segment end nodes
  DeviceArray<double> radius, length;         ///< [m]
  DeviceArray<double> node_pressure_bc;       ///< [Pa] at pressure-boundary nodes, 0 elsewhere
  DeviceArray<double> node_inflow;            ///< [m^3/s] prescribed inflow at flow-boundary nodes, 0 elsewhere
  // Reduced system pattern (see kernels::LaplacianPattern)
  DeviceArray<index_t> row_ptr, col, row_node, adj_ptr, adj_segment, adj_other, node_unknown;
  kernels::LaplacianPattern pattern() const;

  /// Host copies kept for metrics (small: boundary lists).
  std::vector<index_t> pressure_nodes, flow_nodes;
  /// File ids by index, to name segments and nodes in messages (finite_check.hpp).
  std::vector<std::int64_t> segment_ids, node_ids;
  /// Node position x,y,z [m] of each unknown (host): the geometric partition of solver.method = "petsc".
  std::vector<double> unknown_position;

 private:
  const KernelSet* k_;
  std::size_t nodes_ = 0, segments_ = 0;
  index_t unknowns_ = 0, nnz_ = 0;
  std::uint64_t instance_ = 0;
};

struct LinearSolverOptions {
  std::string method = "auto";   ///< "auto" (pcg) | "pcg" | "direct" | "petsc" (distributed over MPI ranks)
  /// PCG preconditioner: "jacobi" (diagonal) | "amg" (exact elimination of degree-1/2 nodes, then
  /// aggregation AMG K-cycles, flexible CG, on the reduced system) | "auto" (the default of the two).
  std::string preconditioner = "auto";
  double tolerance = 1e-10;      ///< relative residual ||b - A x||_2 / ||b||_2
  int max_iterations = 200000;
  std::string petsc_options;     ///< "petsc": PETSc options (solver.petsc_options), e.g. "-pc_type jacobi"
  /// Start PCG from the pressures already in FlowFields (the previous solve of the same network:
  /// rheology iterations), and keep the AMG aggregates between such solves.
  bool warm_start = true;
  /// Jacobi-PCG kernels: "sell" (three fused kernels per iteration on the SELL-C-sigma layout,
  /// hepaflow/linear/sell.hpp), "csr" (the same fused kernels on SELL-1-1, i.e. CSR with the diagonal
  /// apart), "unfused" (pcg()'s BLAS-1 chain on CSR), "auto": sell on cuda (coalesced warps), csr on
  /// cpu (measured faster there: bench/results/2026-11-24_fused-pcg-cpu-2core.md). Not a case-file
  /// key: benchmarks and tests set it.
  std::string jacobi_kernels = "auto";
  /// Fused Jacobi kernels: number the unknowns by reverse Cuthill-McKee inside the solve (results
  /// come back in the network's node order), and the SELL sorting window sigma (rows; 1 = none).
  bool reverse_cuthill_mckee = true;
  /// 256: padding 2 % instead of 14 % on lobule blocks (rows of 2-6 off-diagonals; measured,
  /// bench/results/2026-11-24_fused-pcg-cpu-2core.md).
  int sell_sigma = 256;
  int sell_chunk = 32;  ///< "sell": rows per chunk C (32: a CUDA warp)
};

/// The preconditioner used when LinearSolverOptions::preconditioner is "auto".
const char* default_preconditioner();

struct LinearSolveReport {
  std::string method;            ///< what was used
  std::string preconditioner;    ///< pcg only: "jacobi" | "amg"
  int iterations = 0;            ///< PCG iterations over all refinement passes (1 for direct)
  double relative_residual = 0;  ///< true residual recomputed after the solve
  /// pcg: componentwise backward error max_i |r_i| / (|A||x| + |b|)_i of the result (Oettli-Prager);
  /// ~1e-16 means the pressures are the solution to working precision.
  double backward_error = 0;
  double seconds_assemble = 0, seconds_solve = 0;
  std::string detail;            ///< "petsc": KSP/PC types, ranks, partition cut, KSP reason
  double seconds_setup = 0;      ///< part of seconds_solve: petsc: assembly + PC setup; amg: elimination + AMG setup (host)
  bool warm_started = false;     ///< started from the previous pressures
  bool aggregates_reused = false;  ///< amg: the previous solve's aggregation pattern was reused
  index_t reduced_unknowns = 0;  ///< amg: unknowns left after eliminating degree-1/2 nodes
  int elimination_rounds = 0;    ///< amg: independent-set rounds of that elimination
  std::vector<index_t> amg_level_rows;  ///< amg: rows per level, finest (= reduced_unknowns) first
  double operator_complexity = 0;       ///< amg: nonzeros of all levels / nonzeros of the finest
  std::string jacobi_kernels;           ///< jacobi: the kernels used ("sell", "csr", "unfused")
  index_t sell_stored_entries = 0;      ///< jacobi, fused: off-diagonal entries stored (with padding)
  std::size_t solver_bytes = 0;         ///< backend bytes the pressure solve allocated (matrix, layout, vectors)
};

/// Preconditioner state kept between solves of one network (flow_solver.cpp).
struct PressureSolverState;

/// Per-segment and per-node flow fields on the backend.
struct FlowFields {
  DeviceArray<double> viscosity;          ///< [Pa s]
  DeviceArray<double> conductance;        ///< [m^3/(Pa s)]
  DeviceArray<double> node_pressure;      ///< [Pa]
  DeviceArray<double> flow;               ///< [m^3/s], positive from segment_from to segment_to
  DeviceArray<double> velocity;           ///< [m/s], signed like flow
  DeviceArray<double> wall_shear_stress;  ///< [Pa]
  /// AMG hierarchy and bookkeeping of the last solve (reused by the next solve of the same network).
  std::shared_ptr<PressureSolverState> solver_state;
};

/// Network-level results (SI).
struct FlowMetrics {
  double total_inflow = 0;            ///< sum of boundary inflows (>0 into the network) [m^3/s]
  double inlet_pressure = 0;          ///< inflow-weighted mean pressure at inflow boundary nodes [Pa]
  double outlet_pressure = 0;         ///< outflow-weighted mean pressure at outflow boundary nodes [Pa]
  double pressure_drop = 0;           ///< inlet_pressure - outlet_pressure [Pa]
  double resistance = 0;              ///< pressure_drop / total_inflow [Pa s/m^3]
  double max_mass_imbalance = 0;      ///< max |sum_e Q_e| over interior nodes / total inflow
  double boundary_imbalance = 0;      ///< |inflow - outflow| over all boundary nodes / total inflow
};

/// Solve the flow problem with the given per-segment viscosity (host or backend array).
/// Throws ConvergenceError (exit code 5) naming the residual reached when PCG does not converge.
LinearSolveReport solve_flow(const DeviceNetwork& net, const LinearSolverOptions& options, FlowFields& fields);

/// Metrics from solved fields (one small download of boundary-node values).
FlowMetrics flow_metrics(const DeviceNetwork& net, const FlowFields& fields);

/// Whether a direct (CHOLMOD) solver was built in.
bool direct_solver_available();
/// Whether solver.method = "petsc" was built in (PETSc and MPI).
bool petsc_solver_available();
/// The partition solver.method = "petsc" makes of `net`'s reduced system into `parts` parts
/// (recursive coordinate bisection of the unknowns' positions): rows, largest part, off-part
/// matrix entries in total (values exchanged per SpMV) and into the busiest part.
struct PartitionStats {
  int parts = 1;
  long long rows = 0, largest_part = 0, cut_entries = 0, max_part_cut = 0;
};
PartitionStats coordinate_partition_stats(const DeviceNetwork& net, int parts);

/// PETSc options from the command line (-ksp_*, -pc_* ...): applied after solver.petsc_options, so they win.
void set_petsc_command_line_options(const std::string& options);

}  // namespace hepaflow

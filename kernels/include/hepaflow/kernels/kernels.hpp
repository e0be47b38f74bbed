#pragma once
// Every data-parallel step of hepaflow, declared once. The implementations live once in
// kernels/common/*.inl (Thrust algorithms + HF_HOST_DEVICE functors) and are compiled twice:
// into hepaflow::kernels::cpu by g++ (Thrust OpenMP system) and into hepaflow::kernels::cuda by
// nvcc. Callers reach a backend through its KernelSet (a table of function pointers), so no Thrust
// type crosses this interface: arrays are raw pointers into memory owned by that backend
// (allocate/release below; see DeviceArray in solver/).
#include <cstddef>
#include <cstdint>
#include <string>

#include "hepaflow/kernels/oxygen.hpp"
#include "hepaflow/kernels/remodel.hpp"
#include "hepaflow/kernels/tissue_exchange.hpp"

namespace hepaflow::kernels {

using index_t = std::int32_t;

/// Compressed sparse row matrix whose arrays live on one backend.
struct CsrView {
  index_t rows = 0;
  const index_t* row_ptr = nullptr;  ///< rows+1
  const index_t* col = nullptr;      ///< nnz
  const double* val = nullptr;       ///< nnz
};

/// Sliced ELLPACK matrix, SELL-C-sigma (Kreutzer, Hager, Wellein, Fehske & Bishop 2014, "A unified
/// sparse matrix data format for efficient general sparse matrix-vector multiplication on modern
/// processors with wide SIMD units", SIAM J Sci Comput 36:C401): rows are cut into chunks of C
/// consecutive rows; each chunk stores its off-diagonal entries column-major, padded to the longest
/// row of the chunk, so the C lanes of a chunk read consecutive addresses (coalesced on a GPU).
/// Entry j of row i lies at chunk_ptr[i / C] + j C + i % C. Padding entries have val 0 and col i
/// (a read that is already cached). The diagonal is kept apart (diag). The sigma-sorting of the
/// rows (longest first within windows of sigma rows) is part of the numbering of the rows, which is
/// the caller's (hepaflow/linear/sell.hpp); SELL-1-1 is CSR without the diagonal.
struct SellView {
  index_t rows = 0;
  index_t chunk_size = 32;              ///< C
  const index_t* chunk_ptr = nullptr;   ///< ceil(rows / C) + 1 entry offsets (multiples of C)
  const index_t* col = nullptr;         ///< chunk_ptr[last] padded off-diagonal entries
  const double* val = nullptr;
  const double* diag = nullptr;         ///< rows
};

/// Two dot products of one pass (the fused Jacobi-PCG update).
struct DotPair {
  double rz = 0;  ///< (r, z)
  double rr = 0;  ///< (r, r)
};

/// Pattern of the reduced nodal (graph Laplacian) system of a network, with the maps needed to
/// fill its values from segment conductances by gathers only (race-free on every backend).
struct LaplacianPattern {
  index_t unknowns = 0;                   ///< rows = nodes that are not pressure boundaries
  index_t nnz = 0;
  const index_t* row_ptr = nullptr;       ///< unknowns+1
  const index_t* col = nullptr;           ///< nnz
  const index_t* row_node = nullptr;      ///< unknowns: node index of each row
  const index_t* adj_ptr = nullptr;       ///< nodes+1: incident segments of each node (CSR)
  const index_t* adj_segment = nullptr;   ///< 2*segments
  const index_t* adj_other = nullptr;     ///< 2*segments: node at the other end
  const index_t* node_unknown = nullptr;  ///< nodes: row index, or -1 for a pressure-boundary node
};

/// The flow graph of one solution, for transport sweeps in flow order, with each node's inflow and
/// outflow segments (outflows in ascending segment index, as NetFlowV2 orders them). Nodes are
/// grouped into chains: a chain is a head node followed by the nodes it alone feeds through a single
/// outflow (each of in-degree 1), so one thread walks it in order; chains are grouped by topological
/// level (every upstream node of a chain's head lies in a chain of an earlier level). A sweep item k
/// of a level is chain k: nodes level_nodes[chain_ptr[k] .. chain_ptr[k+1]).
struct FlowGraphView {
  const index_t* level_nodes = nullptr;  ///< nodes, chain by chain, level by level
  const index_t* chain_ptr = nullptr;    ///< chains+1: start of each chain in level_nodes
  const index_t* in_ptr = nullptr;       ///< nodes+1
  const index_t* in_segment = nullptr;
  const index_t* out_ptr = nullptr;      ///< nodes+1
  const index_t* out_segment = nullptr;
  const double* inflow_haematocrit = nullptr;  ///< nodes: boundary inflow Hd (NaN: none given)
  const double* inflow_po2 = nullptr;          ///< nodes: boundary inflow PO2 [mmHg] (NaN: none given)
  /// nodes: blood entering from outside at boundary nodes [m^3/s] (sum out - sum in of the node's
  /// segment flows where positive; 0 elsewhere). It mixes in with the boundary's Hd and PO2.
  const double* external_inflow = nullptr;
};

/// Per-segment arrays of the oxygen sweep (MODEL.md §3). Consumption rates in m^3 O2 (STP) per m^3
/// tissue per s; PO2 in mmHg; fluxes in m^3 O2 (STP) per s.
struct OxygenSweepFields {
  const double* flow = nullptr;
  const double* haematocrit = nullptr;
  const double* length = nullptr;
  const double* tissue_volume = nullptr;
  const double* max_consumption = nullptr;  ///< M0 of the tissue each segment supplies
  double* po2_in = nullptr;
  double* po2_out = nullptr;
  double* po2_mean = nullptr;
  double* o2_flux_to_tissue = nullptr;      ///< |Q| (C_in - C_out)
  double* node_po2 = nullptr;               ///< per node
  // ---- `grid` tissue model only (sub_ptr == nullptr: the lumped `krogh` model above) ----------
  // Each segment s is cut into sub-segments sub_ptr[s] .. sub_ptr[s+1]-1, ordered from its
  // segment_from node to its segment_to node. Along each, the blood exchanges O2 with the tissue
  // field through a resistance per length (oxygen::exchange_subsegment); tissue_volume and
  // max_consumption are then unused (the consumption lives in the tissue grid).
  const index_t* sub_ptr = nullptr;         ///< segments+1
  const double* sub_length = nullptr;       ///< [m]
  const double* sub_resistance = nullptr;   ///< blood -> tissue field, per length [mmHg s m^-2]
  const double* sub_tissue_po2 = nullptr;   ///< tissue PO2 seen by the sub-segment [mmHg]
  double* sub_vessel_po2 = nullptr;         ///< out: length-mean blood PO2 [mmHg]
  double* sub_flux = nullptr;               ///< out: O2 from blood to tissue [m^3 O2 (STP)/s]
};

/// A cell-centred Cartesian tissue grid (MODEL.md §3 `grid`): cell (i, j, k) has linear index
/// i + nx (j + ny k). The diffusion operator in conservation form is
///   (A x)_c = sum over the c's faces of g_axis (x_c - x_neighbour) + absorption_c x_c,
/// with zero flux through the outer faces (Neumann), g_axis = D alpha * face area / spacing.
struct GridView {
  index_t nx = 0, ny = 0, nz = 0;
  double gx = 0, gy = 0, gz = 0;  ///< face conductances [m^3 O2 (STP) s^-1 mmHg^-1]
  index_t cells() const { return nx * ny * nz; }
};

struct OxygenSweepParameters {
  oxygen::BloodOxygenParameters blood;
  double km_mmHg = 1.0;
  double default_inflow_po2_mmHg = 65.0;
  double rel_tolerance = 1e-6;  ///< relative error of the outflow content (oxygen::integrate_segment)
  int max_substeps = 256;       ///< quadrature panels per segment at most (93 needed on lobule blocks)
};

/// Viscosity laws selectable per run (MODEL.md §2).
enum class ViscosityLaw : int { constant = 0, pries1994_invivo = 1, pries1992_invitro = 2 };

struct ViscosityParameters {
  ViscosityLaw law = ViscosityLaw::constant;
  double constant_viscosity = 3.5e-3;  ///< [Pa s] for "constant"
  double plasma_viscosity = 1.2e-3;    ///< [Pa s]
  double mcv_correction = 1.0;         ///< (92 fl / MCV)^(1/3), in vivo law only
};

/// Result of one pass over an array for NaN/Inf (finite_check.hpp in solver/ turns it into a message).
struct NonFiniteScan {
  std::int64_t count = 0;   ///< entries that are NaN or +-Inf
  std::int64_t first = -1;  ///< lowest index among them; -1 when none
};

struct KernelSet {
  const char* backend_name;  ///< "cpu" or "cuda"

  // ---- memory ----------------------------------------------------------------------------------
  void* (*allocate)(std::size_t bytes);
  void (*release)(void* p);
  void (*copy_to_device)(void* dst, const void* host_src, std::size_t bytes);
  void (*copy_to_host)(void* host_dst, const void* src, std::size_t bytes);
  void (*copy_on_device)(void* dst, const void* src, std::size_t bytes);
  /// Memory this backend can still allocate and its total [bytes]: cpu = the host's MemAvailable
  /// (/proc/meminfo; a cgroup limit lowers it; sysconf where neither is readable), cuda = cudaMemGetInfo.
  void (*memory_info)(std::size_t* free_bytes, std::size_t* total_bytes);

  // ---- vector algebra (n doubles) -------------------------------------------------------------
  void (*fill)(std::size_t n, double value, double* x);
  double (*dot)(std::size_t n, const double* x, const double* y);
  /// y += a*x
  void (*axpy)(std::size_t n, double a, const double* x, double* y);
  /// y = x + b*y
  void (*xpby)(std::size_t n, const double* x, double b, double* y);
  /// y = a*x + b*y (the AMG K-cycle's combinations)
  void (*axpby)(std::size_t n, double a, const double* x, double b, double* y);
  /// z = x .* y
  void (*multiply)(std::size_t n, const double* x, const double* y, double* z);
  /// max |x_i|
  double (*max_abs)(std::size_t n, const double* x);
  /// NaN/Inf among x[0, n) in one pass (a reduction): their count and the lowest index. With a
  /// mask, only entries with |mask_i| > mask_threshold are looked at (e.g. flowing segments).
  NonFiniteScan (*scan_non_finite)(std::size_t n, const double* x, const double* mask, double mask_threshold);

  // ---- sparse ------------------------------------------------------------------------------------
  /// y = A x
  void (*spmv)(const CsrView& a, const double* x, double* y);
  /// r = b - A x accumulated with error-free transformations (about twice double precision)
  void (*compensated_residual)(const CsrView& a, const double* x, const double* b, double* r);
  /// Componentwise backward error max_i |r_i| / (|A||x| + |b|)_i of x for A x = b, r = b - A x
  /// (Oettli-Prager); about eps when x is the solution to working precision.
  double (*componentwise_backward_error)(const CsrView& a, const double* x, const double* b, const double* r);
  /// inverse of the diagonal of A (Jacobi preconditioner)
  void (*inverse_diagonal)(const CsrView& a, double* inv_diag);
  /// Row-indexed sparse update: for r in [0, a.rows), i = rows ? rows[r] : r,
  ///   y[i] = (row_scale ? row_scale[r] : 1) * y[i] + sum_k a.val[k] x[a.col[k]].
  /// x and y may alias when no row i is also a column read by another row of the same call (the
  /// low-degree elimination's levels are independent sets; the AMG prolongation has x != y).
  void (*csr_gather_update)(const CsrView& a, const index_t* rows, const double* row_scale, const double* x, double* y);
  /// y = A x for a SELL-C-sigma matrix.
  void (*sell_spmv)(const SellView& a, const double* x, double* y);
  // ---- fused Jacobi-PCG (three kernels per iteration; hepaflow/linear/pcg.hpp jacobi_pcg_fused) --
  /// (a) q = A p and the return value (p, q) in one pass.
  double (*sell_spmv_dot)(const SellView& a, const double* p, double* q);
  /// (b) x += alpha p, r -= alpha q, z = inv_diag .* r in one pass; returns (r, z) and (r, r) of the
  /// updated r. (c) is xpby: p = z + beta p.
  DotPair (*pcg_jacobi_update)(std::size_t n, double alpha, const double* p, const double* q, const double* inv_diag,
                               double* x, double* r, double* z);
  /// dst[r] = index[r] >= 0 ? src[index[r]] : 0 for r in [0, n) (fills SELL values from CSR values).
  void (*gather_or_zero)(std::size_t n, const index_t* index, const double* src, double* dst);
  /// y = 1 / x where x != 0, 1 where x == 0 (the Jacobi preconditioner from a diagonal, as inverse_diagonal).
  void (*reciprocal)(std::size_t n, const double* x, double* y);
  /// dst[r] = src[index[r]] for r in [0, n)
  void (*gather)(std::size_t n, const index_t* index, const double* src, double* dst);
  /// dst[index[r]] = src[r] for r in [0, n) (index entries distinct)
  void (*scatter)(std::size_t n, const index_t* index, const double* src, double* dst);

  // ---- network physics ---------------------------------------------------------------------------
  /// Poiseuille conductance G = pi r^4 / (8 mu L) per segment; segments flagged closed get 0.
  void (*poiseuille_conductance)(std::size_t segments, const double* radius, const double* length,
                                 const double* viscosity, double* conductance);
  /// Values of the reduced Laplacian from conductances: diagonal = sum of incident G,
  /// off-diagonal (i,j) = -sum of G over the segments joining nodes i and j (parallel vessels add).
  void (*assemble_laplacian)(const LaplacianPattern& p, const double* conductance, double* values);
  /// Right-hand side: b_i = sum over incident segments to pressure-boundary nodes of G*p_bc
  /// + prescribed inflow q_i.
  void (*assemble_rhs)(const LaplacianPattern& p, const double* conductance, const double* node_pressure_bc,
                       const double* node_inflow, double* rhs);
  /// Node pressures from the reduced solution: p = x[row] for unknown nodes, the boundary value else.
  void (*expand_pressure)(std::size_t nodes, const index_t* node_unknown, const double* x,
                          const double* node_pressure_bc, double* node_pressure);
  /// Segment flow Q = G (p_from - p_to) (MODEL.md §2, Poiseuille).
  void (*segment_flow)(std::size_t segments, const index_t* from, const index_t* to, const double* conductance,
                       const double* node_pressure, double* flow);
  /// Velocity Q/(pi r^2) and wall shear stress 4 mu |Q| / (pi r^3) per segment.
  void (*velocity_and_shear)(std::size_t segments, const double* flow, const double* radius,
                             const double* viscosity, double* velocity, double* wall_shear_stress);
  // ---- rheology (MODEL.md §2) -------------------------------------------------------------------
  /// Apparent viscosity mu = mu_plasma * eta_rel(D, H_D) per segment (or the constant viscosity).
  void (*apparent_viscosity)(std::size_t segments, const ViscosityParameters& p, const double* radius,
                             const double* haematocrit, double* viscosity);
  /// Discharge haematocrit of the outflow segments of the nodes of chains [begin, end): RBC-flux
  /// mixing of the inflows, then (phase_separation) the Pries-Secomb 2005 split, sequential for more
  /// than two outflows; nodes without inflow take their boundary Hd, or default_haematocrit.
  void (*haematocrit_level)(const FlowGraphView& g, index_t begin, index_t end, const double* flow,
                            const double* radius, double default_haematocrit, int phase_separation,
                            double* haematocrit);
  /// Oxygen of the nodes of chains [begin, end), each chain in order: flow-weighted mixing of the inflows' O2 flux and
  /// red-cell flux gives the node PO2; each outflow segment is integrated from it (MODEL.md §3).
  void (*oxygen_level)(const FlowGraphView& g, index_t begin, index_t end, const OxygenSweepParameters& p,
                       const OxygenSweepFields& f);
  // ---- tissue grid (MODEL.md §3 `grid`) ---------------------------------------------------------
  /// y = A x for the grid operator of GridView (7-point, Neumann) with per-cell absorption.
  void (*grid_apply)(const GridView& g, const double* absorption, const double* x, double* y);
  /// inv_diag = 1 / the diagonal of that operator (Jacobi smoothing).
  void (*grid_inverse_diagonal)(const GridView& g, const double* absorption, double* inv_diag);
  /// coarse_c = sum of fine values over the (up to 8) fine cells of coarse cell c (fine cell
  /// (i,j,k) lies in coarse cell (i/2, j/2, k/2)).
  void (*grid_restrict)(const GridView& fine, const GridView& coarse, const double* fine_values,
                        double* coarse_values);
  /// fine_c += coarse value of the coarse cell holding c (piecewise-constant prolongation).
  void (*grid_prolong_add)(const GridView& fine, const GridView& coarse, const double* coarse_values,
                           double* fine_values);
  /// Newton linearisation of the cell's Michaelis-Menten consumption V M(P) about P0 (MODEL.md §3):
  /// absorption = V M'(P0), source = V (M(P0) - M'(P0) P0), so V M(P) ~ absorption P + source.
  void (*michaelis_menten_linearise)(std::size_t cells, double cell_volume, const double* m0, double km_mmHg,
                                     const double* po2, double* absorption, double* source);
  /// consumption = M(P) = M0 P / (P + Km) per cell [m^3 O2 m^-3 s^-1].
  void (*michaelis_menten_field)(std::size_t cells, const double* m0, double km_mmHg, const double* po2,
                                 double* consumption);

  /// y = y + t (x - y)
  void (*lerp)(std::size_t n, double t, const double* x, double* y);
  /// x = min(max(x, lo), hi)
  void (*clamp)(std::size_t n, double lo, double hi, double* x);
  /// max |x_i - y_i|
  double (*max_abs_difference)(std::size_t n, const double* x, const double* y);

  // ---- remodelling (MODEL.md §4-5) ----------------------------------------------------------------
  /// One implicit-Euler step of every segment's disease/therapy ODEs, reopening, effective radius
  /// (remodel::remodel_segment).
  void (*remodel_segments)(std::size_t segments, const remodel::RemodelParameters& p, const remodel::RemodelFields& f);

  /// Net flow out of each node through its segments (sum_e Q_e leaving minus entering).
  void (*node_net_outflow)(std::size_t nodes, const index_t* adj_ptr, const index_t* adj_segment,
                           const index_t* from, const double* flow, double* net_outflow);
};

/// The CPU backend (always present).
namespace cpu {
const KernelSet& kernel_set();
}
/// The CUDA backend: nullptr when hepaflow was built without CUDA or no CUDA device is usable;
/// `why` then says which.
namespace cuda {
const KernelSet* kernel_set(std::string* why = nullptr);
/// Name of CUDA device 0 and its peak memory bandwidth (GB/s, from clock and bus width); empty if none.
std::string device_name();
double device_peak_bandwidth_gbs();
bool built_with_cuda();
}  // namespace cuda

}  // namespace hepaflow::kernels

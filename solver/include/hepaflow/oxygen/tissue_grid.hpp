#pragma once
// The `grid` tissue model (MODEL.md §3): steady O2 diffusion with Michaelis-Menten consumption on a
// cell-centred Cartesian grid over the tissue region,
//   D alpha lap P = M(P) - sources,   zero flux through the region's faces,
// fed by the vessels, cut into sub-segments, each exchanging O2 with the tissue around it through a
// resistance per length. The tissue solve (Newton on the consumption, multigrid-preconditioned CG
// on the backend) and the vessel sweep (kernels' oxygen_level in `grid` mode) are iterated to a
// coupled fixed point.
//
// Vessel-tissue coupling. A sub-segment k (midpoint x_k, length l_k, radius r) spreads its O2 flux
// q_k over the cells near it with a smooth kernel of radius R_k = max(2 h_max, r e^c) (weights
// w_kc = psi(|x_c - x_k| / R_k), psi(u) = (1 + cos(pi u))/2, normalised over the cells in the grid)
// and sees the tissue PO2 P_t,k = sum_c w_kc P_c, the same weights (so the coupling is symmetric).
// For a straight vessel the kernel's field is that of a line source smeared over radius R; its
// weighted mean exceeds the PO2 at distance R by c q' / (2 pi D alpha), c = line_kernel_constant(),
// and from R in to the wall the 2-D line-source profile adds q'/(2 pi D alpha) ln(R/r) (Krogh 1919).
// With the intravascular resistance K(d) (blood -> wall; Hellums et al. 1996 Microcirculation 3:347,
// the table of Secomb's GreensV4 IntravascRes.dat) the blood-to-P_t resistance per length is
//   R'_k = K(2r) + (ln(R_k / r) - c) / (2 pi D alpha)   (>= K by the choice of R_k),
// and q_k = l_k (P_v - P_t,k) / R'_k. As h -> 0 the kernel shrinks to R = r e^c and the grid
// resolves it: the discretisation error vanishes (tests/verification/tissue_grid_test.cpp).
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "hepaflow/device_array.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow {

/// The grid: cells of size spacing[0..2] covering [lower, lower + dims * spacing].
struct TissueGridGeometry {
  std::array<double, 3> lower{0, 0, 0};    ///< [m]
  std::array<double, 3> spacing{0, 0, 0};  ///< [m]
  std::array<int, 3> dims{0, 0, 0};
  /// The consuming tissue region, in cells: [region_begin, region_end) per axis. Cells outside it
  /// (the padding of add_padding()) diffuse but do not consume.
  std::array<int, 3> region_begin{0, 0, 0}, region_end{0, 0, 0};
  std::size_t cells() const { return std::size_t(dims[0]) * dims[1] * dims[2]; }
  bool in_region(std::size_t c) const;
  double cell_volume() const { return spacing[0] * spacing[1] * spacing[2]; }
  std::array<double, 3> centre(std::size_t c) const;
};

/// A grid over the box [lower, upper] whose spacing is the largest <= `spacing` that divides each
/// extent into whole cells (dims = ceil(extent / spacing), at least 1). InputError for an empty box or
/// more than 2^31 cells.
TissueGridGeometry make_tissue_grid(const std::array<double, 3>& lower, const std::array<double, 3>& upper,
                                    double spacing);

/// The grid extended by whole cells of the same spacing covering at least `padding` [m] on every
/// side (a non-consuming far field: the free space GreensV4's Green's function assumes).
TissueGridGeometry add_padding(const TissueGridGeometry& grid, double padding);

/// Intravascular (blood -> wall) O2 transport resistance K per vessel diameter, linearly
/// interpolated, constant beyond the table's ends (as GreensV4 does).
struct IntravascularResistance {
  std::vector<double> diameter;  ///< [m], increasing
  std::vector<double> k;         ///< [mmHg s m^-2] (Secomb's mmHg um s / um^3 O2 times 1e12)
  double at(double diameter_m) const;
};
/// The table of Secomb's GreensV4 (IntravascRes.dat: 4-50 um, 2.45-0.73 mmHg um s/um^3), from the
/// theoretical intravascular resistance of Hellums et al. 1996 / Eggleton et al. 2000.
IntravascularResistance default_intravascular_resistance();
/// A table in IntravascRes.dat format: a first line whose first token is the row count, a header
/// line, then rows "diameter_um K". InputError naming the file and line on bad content.
IntravascularResistance read_intravascular_resistance(const std::string& path);

/// c of the module comment for the kernel psi (dimensionless, computed by quadrature once).
double line_kernel_constant();

/// The vessels cut into sub-segments, with their coupling to the grid (host side).
struct VesselSources {
  std::vector<index_t> sub_ptr;      ///< segments + 1
  std::vector<index_t> segment;      ///< per sub-segment
  std::vector<double> length;        ///< [m]
  std::vector<double> resistance;    ///< R'_k [mmHg s m^-2]
  std::vector<double> kernel_radius; ///< R_k [m]
  // weights w_kc: CSR by sub-segment (rows) and its transpose (rows = cells)
  std::vector<index_t> w_ptr, w_cell;
  std::vector<double> w;
  std::vector<index_t> wt_ptr, wt_sub;
  std::vector<double> wt;
  std::size_t outside = 0;           ///< sub-segments with no cell within their kernel (no exchange)
  std::size_t subsegments() const { return segment.size(); }
};
/// Sub-segments of at most `max_length` [m] (straight between the segment's end nodes; each one's
/// length is its share of net.length). `d_alpha` [m^2 s^-1 mmHg^-1].
VesselSources build_vessel_sources(const Network& net, const TissueGridGeometry& grid,
                                   const IntravascularResistance& table, double d_alpha, double max_length);

/// For every cell, the sub-segment nearest to it through the grid (multi-source breadth-first
/// search over face neighbours from the cells holding sub-segment midpoints); -1 when no
/// sub-segment lies in the grid. Used for the zonal consumption M0 of a cell.
std::vector<index_t> nearest_subsegment(const TissueGridGeometry& grid, const Network& net, const VesselSources& v);

struct TissueSolverOptions {
  double d_alpha = 6e-14;           ///< [m^2 s^-1 mmHg^-1]
  double km_mmHg = 1.0;
  double linear_tolerance = 1e-10;  ///< relative residual of each Newton step's linear solve
  double newton_tolerance = 1e-8;   ///< max |dP| [mmHg] between Newton steps
  int max_newton = 50;
  int max_linear_iterations = 2000;
};

struct TissueSolveReport {
  int newton_iterations = 0;
  int linear_iterations = 0;        ///< PCG iterations over all Newton steps
  double newton_change = 0;         ///< last max |dP| [mmHg]
};

/// Solves  A_diff P + V M(P) + W^T D (W P - P_v) = 0  for the cell PO2 P, given the sub-segments'
/// blood PO2 P_v (D_k = l_k / R'_k; D_k = 0 for sub-segments of segments without flow).
class TissueDiffusionSolver {
 public:
  TissueDiffusionSolver(const KernelSet& k, const TissueGridGeometry& grid, const VesselSources& sources,
                        const std::vector<double>& cell_m0, const std::vector<char>& subsegment_exchanges,
                        const TissueSolverOptions& options);
  /// Newton from the P given (warm start). ConvergenceError (exit code 5) when a linear solve or
  /// the Newton iteration does not converge.
  TissueSolveReport solve(const DeviceArray<double>& vessel_po2, DeviceArray<double>& po2);
  /// P_t,k = sum_c w_kc P_c for every sub-segment.
  void tissue_po2_at_subsegments(const DeviceArray<double>& po2, DeviceArray<double>& out) const;
  /// Per-cell consumption M(P) [m^3 O2 m^-3 s^-1].
  void consumption(const DeviceArray<double>& po2, DeviceArray<double>& out) const;
  /// Net O2 from the vessels into the tissue, sum_k D_k (P_v,k - P_t,k) [m^3 O2/s].
  double exchange_total(const DeviceArray<double>& vessel_po2, const DeviceArray<double>& po2) const;
  const DeviceArray<double>& coupling() const { return coupling_; }

 private:
  /// One multigrid level: the grid operator with the consumption and the lumped exchange as
  /// absorption (level 0 = the tissue grid; each coarser one halves every dimension).
  struct Level {
    kernels::GridView view;
    DeviceArray<double> absorption, inv_diag, b, x, r;
  };
  void apply(const double* x, double* y) const;
  void v_cycle(std::size_t level, const double* b, double* x) const;
  void update_levels(const double* fine_absorption) const;

  const KernelSet* k_;
  TissueGridGeometry grid_;
  TissueSolverOptions options_;
  std::size_t cells_ = 0, subs_ = 0;
  DeviceArray<index_t> w_ptr_, w_cell_, wt_ptr_, wt_sub_;
  DeviceArray<double> w_, wt_, coupling_, lumped_exchange_, m0_;
  mutable DeviceArray<double> sub_work_, sub_work2_, absorption_, source_, rhs_;
  mutable std::vector<Level> levels_;
};

}  // namespace hepaflow

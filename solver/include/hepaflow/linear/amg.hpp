#pragma once
// Aggregation algebraic multigrid as a (flexible) PCG preconditioner for symmetric positive
// (semi)definite M-matrices such as the reduced nodal Laplacian of a vessel network. Default:
// unsmoothed aggregation (piecewise-constant prolongation) along strong links, strength judged
// against the largest coupling of both rows, with the K-cycle (Notay & Vassilevski 2008; Notay 2010,
// "An aggregation-based algebraic multigrid method", ETNA 37:123), whose iteration count stays flat
// as conductances spread over decades; optionally smoothed aggregation (Vanek, Mandel & Brezina 1996,
// Computing 56:179). Setup (strength, aggregation, Galerkin products as aggregate sums, the coarsest
// level's dense inverse) runs on the host in O(nnz) passes; the cycle's apply uses KernelSet
// primitives only (spmv, csr_gather_update, axpy, axpby, xpby, multiply, dot), so it runs on every
// backend from the same source.
#include <memory>
#include <vector>

#include "hepaflow/device_array.hpp"

namespace hepaflow {

using index_t = kernels::index_t;

/// A CSR matrix on the host (columns sorted within each row).
struct HostCsr {
  index_t rows = 0, cols = 0;
  std::vector<index_t> row_ptr{0}, col;
  std::vector<double> val;
  std::size_t nnz() const { return col.size(); }
};

/// A CSR matrix on a backend.
struct DeviceCsr {
  index_t rows = 0, cols = 0;
  DeviceArray<index_t> row_ptr, col;
  DeviceArray<double> val;
  DeviceCsr() = default;
  DeviceCsr(const KernelSet& k, const HostCsr& a);
  kernels::CsrView view() const { return {rows, row_ptr.data(), col.data(), val.data()}; }
};

struct AmgOptions {
  /// Strong connection i-j: -a_ij >= theta sqrt(m_i m_j), m_i = max_k (-a_ik) (row-based strength,
  /// Ruge & Stuben 1987, symmetrised; see strength() in amg.cpp).
  double strength_threshold = 0.7;
  /// false: unsmoothed aggregation, P piecewise constant (with the K-cycle); true: smoothed
  /// aggregation, P = (I - omega D_F^-1 A_F) T (Vanek et al. 1996).
  bool smoothed_prolongation = false;
  index_t max_coarse = 300;    ///< the coarsest level (dense inverse) has at most this many rows
  int max_levels = 30;
  /// Damped-Jacobi sweeps before and after the coarse correction. 2: bench iterations (lobule
  /// 1e4/1e5, peer grid 17^3/36^3/48^3 at sigma 0, 0.5, 1) 11-20 against 13-29 with 1 sweep.
  int smoothing_steps = 2;
  int cycle_gamma = 1;         ///< without the K-cycle: coarse corrections per level below the finest (2: W-cycle)
  /// K-cycle (Notay & Vassilevski 2008, Numer. Linear Algebra Appl. 15:473; Notay 2010, ETNA 37:123,
  /// Alg. 3.2): every coarse correction below the finest level is two steps of flexible CG on the
  /// coarse system, preconditioned by the next level's cycle. Makes apply() nonlinear: the outer
  /// solver must be flexible CG (pcg(..., flexible = true)).
  bool k_cycle = true;
  /// The K-cycle's second inner step is taken on level l only where rows(l) >= k_cycle_min_ratio
  /// rows(l+1): each level then costs at most a bounded multiple of its own work (Notay &
  /// Vassilevski 2008, §3: two inner iterations keep the cycle's complexity bounded for coarsening
  /// ratios > 2). Where conductances spread widely the first levels coarsen by ~1.7 only.
  double k_cycle_min_ratio = 2.0;
};

class AmgHierarchy {
 public:
  /// Build the hierarchy of `a`. With `aggregates_from` (a hierarchy of a matrix with the same
  /// pattern, e.g. before the conductances changed), its aggregates are reused and only the numeric
  /// setup (prolongator smoothing, Galerkin products, coarse inverse) is redone.
  AmgHierarchy(const KernelSet& k, const HostCsr& a, const AmgOptions& options,
               const AmgHierarchy* aggregates_from = nullptr);

  /// z = M^-1 r: one cycle from a zero initial guess (V(nu, nu) or W: an SPD operator; K-cycle:
  /// nonlinear, see nonlinear()). r and z are backend arrays of length rows of the finest level.
  void apply(const double* r, double* z) const;

  /// apply() is not a fixed linear operator (K-cycle with at least three levels): use flexible CG.
  bool nonlinear() const { return options_.k_cycle && levels_.size() > 2; }

  int levels() const { return static_cast<int>(levels_.size()); }
  /// Rows of every level, finest first.
  std::vector<index_t> level_rows() const;
  /// Sum of nonzeros over all levels / nonzeros of the finest.
  double operator_complexity() const { return operator_complexity_; }

 private:
  struct Level {
    index_t n = 0;
    DeviceCsr a, p, r;                  ///< operator; prolongation (to this level from the next); restriction = P^T
    DeviceArray<double> smoother;       ///< omega / a_ii (0 for empty rows)
    mutable DeviceArray<double> x, b, t;  ///< work vectors (t: residual)
    mutable DeviceArray<double> v1, c2, v2, rt;  ///< K-cycle work vectors (levels below the finest)
  };
  void cycle(std::size_t l, const double* b, double* x) const;
  void k_correction(std::size_t l, const double* r, double* x) const;

  const KernelSet* k_;
  AmgOptions options_;
  std::vector<Level> levels_;
  std::vector<std::vector<index_t>> aggregates_;  ///< per level but the last: aggregate of each row (-1: none)
  std::vector<double> thetas_;                    ///< the strength threshold each level was aggregated with
  DeviceCsr coarse_inverse_;                      ///< dense inverse of the coarsest operator, as CSR
  double operator_complexity_ = 1;
};

namespace sparse {
/// C = A B (host, row-by-row with a dense accumulator; Gustavson 1978).
HostCsr multiply(const HostCsr& a, const HostCsr& b);
HostCsr transpose(const HostCsr& a);
}  // namespace sparse

}  // namespace hepaflow

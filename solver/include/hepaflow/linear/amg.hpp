#pragma once
// Smoothed-aggregation algebraic multigrid (Vanek, Mandel & Brezina 1996, "Algebraic multigrid by
// smoothed aggregation for second and fourth order elliptic problems", Computing 56:179) as a PCG
// preconditioner for symmetric positive (semi)definite M-matrices such as the reduced nodal
// Laplacian of a vessel network. Setup (strength of connection, aggregation, prolongator smoothing,
// Galerkin products, the coarsest level's dense inverse) runs on the host; the V-cycle's apply uses
// KernelSet primitives only (spmv, csr_gather_update, axpy, xpby, multiply), so it runs on every
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
  /// Strong connection i-j: |a_ij| > theta sqrt(a_ii a_jj) (Vanek et al. 1996, eq. 3.2; pyamg's
  /// symmetric_strength_of_connection).
  double strength_threshold = 0.08;
  index_t max_coarse = 300;    ///< the coarsest level (dense inverse) has at most this many rows
  int max_levels = 30;
  int smoothing_steps = 1;     ///< damped-Jacobi sweeps before and after the coarse correction
  int cycle_gamma = 1;         ///< coarse corrections per level below the finest: 1 V-cycle, 2 W-cycle
};

class AmgHierarchy {
 public:
  /// Build the hierarchy of `a`. With `aggregates_from` (a hierarchy of a matrix with the same
  /// pattern, e.g. before the conductances changed), its aggregates are reused and only the numeric
  /// setup (prolongator smoothing, Galerkin products, coarse inverse) is redone.
  AmgHierarchy(const KernelSet& k, const HostCsr& a, const AmgOptions& options,
               const AmgHierarchy* aggregates_from = nullptr);

  /// z = M^-1 r: one symmetric V(nu, nu)-cycle from a zero initial guess (an SPD operator, so it
  /// may precondition CG). r and z are backend arrays of length rows of the finest level.
  void apply(const double* r, double* z) const;

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
  };
  void cycle(std::size_t l, const double* b, double* x) const;

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

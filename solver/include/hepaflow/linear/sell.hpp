#pragma once
// The reduced nodal system in SELL-C-sigma layout (kernels::SellView; Kreutzer et al. 2014, SIAM J
// Sci Comput 36:C401) for the fused Jacobi-PCG (hepaflow/linear/pcg.hpp jacobi_pcg_fused).
// Vessel networks have 2-6 off-diagonals per row: CSR reads a row pointer per row and, on a GPU,
// lets the threads of a warp read scattered addresses; SELL's chunks of C rows stored column-major
// make those reads consecutive, at the price of padding each chunk to its longest row.
//
// Built once per network pattern on the host: the rows are renumbered (reverse Cuthill-McKee when
// asked, then sorted by decreasing length within windows of sigma rows) and laid out; fill() then
// takes the values from the CSR values of the same matrix by one gather per entry (padding: 0) and
// the diagonal by another, so the Laplacian's assembly stays in one place (assemble_laplacian).
// The solver works in the new numbering: b is gathered through order() and x scattered back.
#include <cstddef>
#include <vector>

#include "hepaflow/device_array.hpp"

namespace hepaflow {
using index_t = kernels::index_t;
}

namespace hepaflow {

struct SellOptions {
  index_t chunk_size = 32;  ///< C: a warp on CUDA; 1 gives CSR (with the diagonal apart)
  index_t sigma = 1;        ///< sorting window in rows (1: no sorting; a multiple of C otherwise)
  bool reverse_cuthill_mckee = true;
};

class SellMatrix {
 public:
  /// The pattern of a square CSR matrix on the host (every row holds its diagonal; symmetric when
  /// reverse_cuthill_mckee is asked).
  SellMatrix(const KernelSet& k, const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
             const SellOptions& options);

  /// Values from the CSR values (backend array, nnz of the pattern given); also the inverse diagonal.
  void fill(const double* csr_values);

  kernels::SellView view() const;
  const double* inverse_diagonal() const { return inv_diag_.data(); }
  /// order[new] = old row (backend array): b_new = gather(order, b_old); x_old = scatter(order, x_new).
  const index_t* order() const { return order_.data(); }
  const std::vector<index_t>& host_order() const { return host_order_; }

  index_t rows() const { return rows_; }
  const SellOptions& options() const { return options_; }
  std::size_t off_diagonal_entries() const { return off_diagonal_; }  ///< without padding
  std::size_t stored_entries() const { return stored_; }              ///< with padding
  /// Fraction of stored entries that are matrix entries (Kreutzer et al.'s beta).
  double fill_efficiency() const { return stored_ ? static_cast<double>(off_diagonal_) / stored_ : 1.0; }
  /// Backend bytes this object holds (layout, values, fill maps, order, inverse diagonal).
  std::size_t bytes() const;

 private:
  const KernelSet* k_;
  SellOptions options_;
  index_t rows_ = 0;
  std::size_t off_diagonal_ = 0, stored_ = 0;
  std::vector<index_t> host_order_;
  DeviceArray<index_t> chunk_ptr_, col_, value_source_, diag_source_, order_;
  DeviceArray<double> val_, diag_, inv_diag_;
};

}  // namespace hepaflow

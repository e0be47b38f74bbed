#include "hepaflow/linear/sell.hpp"

#include <algorithm>
#include <numeric>

#include "hepaflow/error.hpp"
#include "hepaflow/linear/ordering.hpp"

namespace hepaflow {

SellMatrix::SellMatrix(const KernelSet& k, const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                       const SellOptions& options)
    : k_(&k), options_(options), rows_(static_cast<index_t>(row_ptr.size()) - 1) {
  const index_t c_size = options.chunk_size;
  if (c_size < 1 || options.sigma < 1 || (options.sigma > 1 && options.sigma % c_size != 0))
    throw Error(ExitCode::runtime_error, "internal: SELL chunk size must be >= 1 and sigma 1 or a multiple of it");
  const index_t n = rows_;
  // ---- numbering: RCM (or identity), then longest rows first within windows of sigma rows
  std::vector<index_t> order(static_cast<std::size_t>(n));
  if (options.reverse_cuthill_mckee) order = reverse_cuthill_mckee(row_ptr, col);
  else std::iota(order.begin(), order.end(), 0);
  auto off_diagonals = [&](index_t old) {
    index_t d = 0;
    for (index_t e = row_ptr[old]; e < row_ptr[old + 1]; ++e) d += col[e] != old;
    return d;
  };
  if (options.sigma > 1)
    for (index_t w = 0; w < n; w += options.sigma)
      std::stable_sort(order.begin() + w, order.begin() + std::min(n, w + options.sigma),
                       [&](index_t a, index_t b) { return off_diagonals(a) > off_diagonals(b); });
  std::vector<index_t> position(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) position[order[i]] = i;
  // ---- layout: chunk c holds rows c C .. c C + C - 1, width = its longest row
  const index_t chunks = (n + c_size - 1) / c_size;
  std::vector<index_t> chunk_ptr(static_cast<std::size_t>(chunks) + 1, 0);
  for (index_t c = 0; c < chunks; ++c) {
    index_t width = 0;
    for (index_t i = c * c_size; i < std::min(n, (c + 1) * c_size); ++i) width = std::max(width, off_diagonals(order[i]));
    if (static_cast<long long>(chunk_ptr[c]) + static_cast<long long>(width) * c_size > 2147483647LL)
      throw Error(ExitCode::runtime_error, "SELL layout exceeds 2^31 entries (32-bit indices)");
    chunk_ptr[c + 1] = chunk_ptr[c] + width * c_size;
  }
  stored_ = static_cast<std::size_t>(chunk_ptr[chunks]);
  std::vector<index_t> sell_col(stored_), value_source(stored_, -1), diag_source(static_cast<std::size_t>(n), -1);
  std::vector<std::pair<index_t, index_t>> entries;  // (new column, CSR entry)
  for (index_t i = 0; i < n; ++i) {
    const index_t old = order[i];
    entries.clear();
    for (index_t e = row_ptr[old]; e < row_ptr[old + 1]; ++e) {
      if (col[e] == old) diag_source[i] = e;
      else entries.emplace_back(position[col[e]], e);
    }
    std::sort(entries.begin(), entries.end());
    off_diagonal_ += entries.size();
    const index_t c = i / c_size, lane = i % c_size;
    const index_t width = (chunk_ptr[c + 1] - chunk_ptr[c]) / c_size;
    for (index_t j = 0; j < width; ++j) {
      const std::size_t slot = static_cast<std::size_t>(chunk_ptr[c]) + static_cast<std::size_t>(j) * c_size + lane;
      const bool real = j < static_cast<index_t>(entries.size());
      sell_col[slot] = real ? entries[j].first : i;  // padding reads x_i, already in cache
      value_source[slot] = real ? entries[j].second : -1;
    }
  }
  // Lanes past the last row of a partial last chunk keep column 0 and value 0 (never read).
  for (index_t i = n; i < chunks * c_size; ++i) {
    const index_t c = i / c_size, lane = i % c_size;
    for (index_t s = chunk_ptr[c] + lane; s < chunk_ptr[c + 1]; s += c_size) sell_col[s] = 0;
  }
  host_order_ = order;
  chunk_ptr_ = DeviceArray<index_t>(k, chunk_ptr);
  col_ = DeviceArray<index_t>(k, sell_col);
  value_source_ = DeviceArray<index_t>(k, value_source);
  diag_source_ = DeviceArray<index_t>(k, diag_source);
  order_ = DeviceArray<index_t>(k, order);
  val_ = DeviceArray<double>(k, stored_);
  diag_ = DeviceArray<double>(k, static_cast<std::size_t>(n));
  inv_diag_ = DeviceArray<double>(k, static_cast<std::size_t>(n));
}

void SellMatrix::fill(const double* csr_values) {
  k_->gather_or_zero(stored_, value_source_.data(), csr_values, val_.data());
  k_->gather_or_zero(static_cast<std::size_t>(rows_), diag_source_.data(), csr_values, diag_.data());
  k_->reciprocal(static_cast<std::size_t>(rows_), diag_.data(), inv_diag_.data());
}

kernels::SellView SellMatrix::view() const {
  kernels::SellView v;
  v.rows = rows_;
  v.chunk_size = options_.chunk_size;
  v.chunk_ptr = chunk_ptr_.data();
  v.col = col_.data();
  v.val = val_.data();
  v.diag = diag_.data();
  return v;
}

std::size_t SellMatrix::bytes() const {
  return sizeof(index_t) * (chunk_ptr_.size() + col_.size() + value_source_.size() + diag_source_.size() + order_.size()) +
         sizeof(double) * (val_.size() + diag_.size() + inv_diag_.size());
}

}  // namespace hepaflow

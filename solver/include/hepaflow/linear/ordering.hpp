#pragma once
// Locality-improving orderings of a sparse symmetric pattern (the reduced nodal system of a network).
#include <vector>

#include "hepaflow/kernels/kernels.hpp"

namespace hepaflow {

using index_t = kernels::index_t;

/// Reverse Cuthill-McKee ordering (Cuthill & McKee 1969, "Reducing the bandwidth of sparse
/// symmetric matrices", Proc. 24th ACM National Conference; reversal: George 1971; George & Liu 1981,
/// "Computer Solution of Large Sparse Positive Definite Systems", ch. 4.3) of the symmetric pattern
/// (row_ptr, col): breadth-first search from a pseudo-peripheral row of each connected component
/// (George & Liu 1979, ACM TOMS 5:284: repeat the BFS from a least-degree row of the last level while
/// the number of levels grows, here at most 3 more times), neighbours visited in ascending degree,
/// the whole sequence reversed. Rows adjacent in the graph get nearby numbers, so an SpMV's reads of x stay in
/// cache. Returns order: order[new] = old (a permutation of 0..rows-1). Diagonal entries are ignored.
std::vector<index_t> reverse_cuthill_mckee(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col);

/// Largest |i - j| over the entries (i, j) of the pattern renumbered by `order` (order[new] = old;
/// empty: identity), and the mean of |i - j| over the off-diagonal entries, for reports.
struct PatternBandwidth {
  index_t max_distance = 0;
  double mean_distance = 0;
};
PatternBandwidth pattern_bandwidth(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                                   const std::vector<index_t>& order);

}  // namespace hepaflow

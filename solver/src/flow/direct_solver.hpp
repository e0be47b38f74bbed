#pragma once
// Sparse direct solve of the SPD nodal system on the host (CHOLMOD supernodal Cholesky).
// Used for solver.method = "direct" and as the test oracle.
#include <vector>

#include "hepaflow/network.hpp"

namespace hepaflow::detail {

bool cholmod_available();
/// Solve A x = b for symmetric positive definite A given in full CSR storage.
/// Throws ConvergenceError if A is not positive definite, BackendUnavailableError without CHOLMOD.
void cholmod_solve(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                   const std::vector<double>& val, const std::vector<double>& b, std::vector<double>& x);

}  // namespace hepaflow::detail

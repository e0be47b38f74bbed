#include "direct_solver.hpp"

#include "hepaflow/error.hpp"

#ifdef HEPAFLOW_WITH_CHOLMOD
#include <cholmod.h>
#endif

#include <string>

namespace hepaflow::detail {

#ifdef HEPAFLOW_WITH_CHOLMOD
bool cholmod_available() { return true; }

void cholmod_solve(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                   const std::vector<double>& val, const std::vector<double>& b, std::vector<double>& x) {
  const auto n = static_cast<std::size_t>(row_ptr.size() - 1);
  x.assign(n, 0.0);
  if (n == 0) return;
  cholmod_common common;
  cholmod_start(&common);
  // Full symmetric CSR == CSC of the same matrix; stype = 1 reads the upper triangle only.
  cholmod_sparse* a = cholmod_allocate_sparse(n, n, val.size(), /*sorted*/ 0, /*packed*/ 1, /*stype*/ 1, CHOLMOD_REAL,
                                              &common);
  std::copy(row_ptr.begin(), row_ptr.end(), static_cast<int*>(a->p));
  std::copy(col.begin(), col.end(), static_cast<int*>(a->i));
  std::copy(val.begin(), val.end(), static_cast<double*>(a->x));
  cholmod_dense* rhs = cholmod_allocate_dense(n, 1, n, CHOLMOD_REAL, &common);
  std::copy(b.begin(), b.end(), static_cast<double*>(rhs->x));
  cholmod_factor* factor = cholmod_analyze(a, &common);
  cholmod_factorize(a, factor, &common);
  const bool positive_definite = common.status == CHOLMOD_OK && factor->minor == n;
  cholmod_dense* solution = positive_definite ? cholmod_solve(CHOLMOD_A, factor, rhs, &common) : nullptr;
  if (solution) {
    const double* s = static_cast<const double*>(solution->x);
    x.assign(s, s + n);
    cholmod_free_dense(&solution, &common);
    // Iterative refinement with the residual in extended precision (long double; Higham, Accuracy
    // and Stability of Numerical Algorithms, §12.1): removes the cond(A)*eps error of the factorization
    // so the direct solve is an oracle accurate to working precision.
    double* r = static_cast<double*>(rhs->x);
    for (int pass = 0; pass < 3; ++pass) {
      for (std::size_t i = 0; i < n; ++i) {
        long double sum = b[i];
        for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) sum -= static_cast<long double>(val[k]) * x[col[k]];
        r[i] = static_cast<double>(sum);
      }
      cholmod_dense* d = cholmod_solve(CHOLMOD_A, factor, rhs, &common);
      if (!d) break;
      const double* dx = static_cast<const double*>(d->x);
      for (std::size_t i = 0; i < n; ++i) x[i] += dx[i];
      cholmod_free_dense(&d, &common);
    }
  }
  const std::size_t minor = factor->minor;
  cholmod_free_factor(&factor, &common);
  cholmod_free_dense(&rhs, &common);
  cholmod_free_sparse(&a, &common);
  cholmod_finish(&common);
  if (!positive_definite)
    throw ConvergenceError("direct solver: the nodal matrix is not positive definite (CHOLMOD stopped at column " +
                           std::to_string(minor) + " of " + std::to_string(n) + ")");
}
#else
bool cholmod_available() { return false; }
void cholmod_solve(const std::vector<index_t>&, const std::vector<index_t>&, const std::vector<double>&,
                   const std::vector<double>&, std::vector<double>&) {
  throw BackendUnavailableError(
      "solver.method = \"direct\" needs CHOLMOD, and this hepaflow was built without it "
      "(apt-get install libsuitesparse-dev and reconfigure with -DHEPAFLOW_WITH_CHOLMOD=ON)");
}
#endif

}  // namespace hepaflow::detail

#pragma once
// Preconditioned conjugate gradients on a backend for any symmetric positive definite operator
// (the flow's reduced Laplacian with Jacobi, the tissue grid with a multigrid V-cycle).
#include <cstddef>
#include <functional>

#include "hepaflow/kernels/kernels.hpp"

namespace hepaflow {

using KernelSet = kernels::KernelSet;

/// y = A x and z = M^-1 r on backend arrays of length n. Both must be symmetric positive definite.
struct LinearOperator {
  std::function<void(const double* x, double* y)> apply;
  std::function<void(const double* r, double* z)> precondition;
};

/// PCG (Hestenes & Stiefel 1952; Saad, Iterative Methods for Sparse Linear Systems, 2nd ed.,
/// Alg. 9.1) starting from the x given (warm start). Stops when the recursively updated residual
/// satisfies ||r||_2 <= tolerance ||b||_2. Returns the iterations done, negative when it stopped
/// without converging (iteration limit, or breakdown: p^T A p <= 0 or NaN); *relative_residual_reached
/// receives the last ||r|| / ||b||.
/// `flexible`: for a preconditioner that is not a fixed linear operator (the AMG K-cycle's inner
/// Krylov steps), beta = z_new.(r_new - r_old) / z_old.r_old (Polak-Ribiere form; flexible CG,
/// Notay 2000, SIAM J. Sci. Comput. 22:1444, with one retained direction; Golub & Ye 1999), at one
/// extra vector copy and dot product per iteration.
int pcg(const KernelSet& k, std::size_t n, const LinearOperator& a, const double* b, double* x, double tolerance,
        int max_iterations, double* relative_residual_reached, bool flexible = false);

/// Jacobi-PCG with the iteration in three fused kernels instead of pcg()'s chain of seven (one SpMV,
/// three dots, two axpys, a multiply and an xpby): (a) q = A p with (p, q)  [KernelSet::sell_spmv_dot],
/// (b) x += alpha p, r -= alpha q, z = D^-1 r with (r, z) and (r, r)  [pcg_jacobi_update],
/// (c) p = z + beta p  [xpby]. The same recurrences as pcg() with the Jacobi preconditioner (same
/// iterates up to the rounding of the reductions), same stopping rule and return values.
/// Bytes each iteration must move (fp64 values, int32 indices; n rows, e stored off-diagonal SELL
/// entries incl. padding, chunk pointers ignored): (a) 12 e (val + col) + 8 n (diag) + 8 n (p; the
/// neighbours' p from cache) + 8 n (q) = 12 e + 24 n; (b) reads p, q, D^-1, x, r, writes x, r, z = 64 n;
/// (c) reads z, p, writes p = 24 n. Total 12 e + 112 n; with e = nnz - n (no padding) that is
/// 12 nnz + 100 n, against 12 nnz + 156 n for pcg() on CSR (bench_command.cpp).
int jacobi_pcg_fused(const KernelSet& k, const kernels::SellView& a, const double* inv_diag, const double* b, double* x,
                     double tolerance, int max_iterations, double* relative_residual_reached);

}  // namespace hepaflow

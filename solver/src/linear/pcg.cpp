#include "hepaflow/linear/pcg.hpp"

#include <cmath>

#include "hepaflow/device_array.hpp"

namespace hepaflow {

namespace {
/// r = b - q with q = A x on entry; returns ||b||. b = 0: x = 0 is the solution (set here).
double start_residual(const KernelSet& k, std::size_t n, const double* b, const double* q, double* r, double* x) {
  k.copy_on_device(r, b, n * sizeof(double));
  k.axpy(n, -1.0, q, r);
  const double b_norm = std::sqrt(k.dot(n, b, b));
  if (b_norm == 0.0) k.fill(n, 0.0, x);
  return b_norm;
}
}  // namespace

int pcg(const KernelSet& k, std::size_t n, const LinearOperator& a, const double* b, double* x, double tolerance,
        int max_iterations, double* relative_residual_reached, bool flexible) {
  DeviceArray<double> r(k, n), z(k, n), p(k, n), q(k, n), r_old(k, flexible ? n : 0);
  a.apply(x, q.data());
  const double b_norm = start_residual(k, n, b, q.data(), r.data(), x);
  if (b_norm == 0.0) {
    *relative_residual_reached = 0.0;
    return 0;
  }
  double r_norm = std::sqrt(k.dot(n, r.data(), r.data()));
  if (r_norm <= tolerance * b_norm) {
    *relative_residual_reached = r_norm / b_norm;
    return 0;
  }
  a.precondition(r.data(), z.data());
  k.copy_on_device(p.data(), z.data(), n * sizeof(double));
  double rz = k.dot(n, r.data(), z.data());
  for (int it = 1; it <= max_iterations; ++it) {
    a.apply(p.data(), q.data());
    const double pq = k.dot(n, p.data(), q.data());
    if (!(pq > 0.0) || !std::isfinite(pq)) {  // breakdown: operator not SPD, or NaN
      *relative_residual_reached = r_norm / b_norm;
      return -it;
    }
    const double alpha = rz / pq;
    if (flexible) k.copy_on_device(r_old.data(), r.data(), n * sizeof(double));
    k.axpy(n, alpha, p.data(), x);
    k.axpy(n, -alpha, q.data(), r.data());
    r_norm = std::sqrt(k.dot(n, r.data(), r.data()));
    if (r_norm <= tolerance * b_norm) {
      *relative_residual_reached = r_norm / b_norm;
      return it;
    }
    a.precondition(r.data(), z.data());
    const double rz_new = k.dot(n, r.data(), z.data());
    const double beta = flexible ? (rz_new - k.dot(n, r_old.data(), z.data())) / rz : rz_new / rz;
    k.xpby(n, z.data(), beta, p.data());
    rz = rz_new;
  }
  *relative_residual_reached = r_norm / b_norm;
  return -max_iterations;
}

int jacobi_pcg_fused(const KernelSet& k, const kernels::SellView& a, const double* inv_diag, const double* b, double* x,
                     double tolerance, int max_iterations, double* relative_residual_reached) {
  const std::size_t n = static_cast<std::size_t>(a.rows);
  DeviceArray<double> r(k, n), z(k, n), p(k, n), q(k, n);
  k.sell_spmv(a, x, q.data());
  const double b_norm = start_residual(k, n, b, q.data(), r.data(), x);
  if (b_norm == 0.0) {
    *relative_residual_reached = 0.0;
    return 0;
  }
  // alpha = 0: only z = D^-1 r with (r, z) and (r, r) (p zeroed: 0 * uninitialised memory may be NaN).
  k.fill(n, 0.0, p.data());
  kernels::DotPair d = k.pcg_jacobi_update(n, 0.0, p.data(), q.data(), inv_diag, x, r.data(), z.data());
  double r_norm = std::sqrt(d.rr);
  if (r_norm <= tolerance * b_norm) {
    *relative_residual_reached = r_norm / b_norm;
    return 0;
  }
  k.copy_on_device(p.data(), z.data(), n * sizeof(double));
  double rz = d.rz;
  for (int it = 1; it <= max_iterations; ++it) {
    const double pq = k.sell_spmv_dot(a, p.data(), q.data());  // (a)
    if (!(pq > 0.0) || !std::isfinite(pq)) {
      *relative_residual_reached = r_norm / b_norm;
      return -it;
    }
    const double alpha = rz / pq;
    d = k.pcg_jacobi_update(n, alpha, p.data(), q.data(), inv_diag, x, r.data(), z.data());  // (b)
    r_norm = std::sqrt(d.rr);
    if (r_norm <= tolerance * b_norm) {
      *relative_residual_reached = r_norm / b_norm;
      return it;
    }
    k.xpby(n, z.data(), d.rz / rz, p.data());  // (c)
    rz = d.rz;
  }
  *relative_residual_reached = r_norm / b_norm;
  return -max_iterations;
}

}  // namespace hepaflow

#include "hepaflow/linear/amg.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hepaflow/error.hpp"

namespace hepaflow {

DeviceCsr::DeviceCsr(const KernelSet& k, const HostCsr& a)
    : rows(a.rows), cols(a.cols), row_ptr(k, a.row_ptr), col(k, a.col), val(k, a.val) {}

namespace sparse {

HostCsr multiply(const HostCsr& a, const HostCsr& b) {
  HostCsr c;
  c.rows = a.rows;
  c.cols = b.cols;
  c.row_ptr.assign(static_cast<std::size_t>(a.rows) + 1, 0);
  std::vector<index_t> marker(static_cast<std::size_t>(b.cols), -1), touched;
  std::vector<double> acc(static_cast<std::size_t>(b.cols), 0.0);
  for (index_t i = 0; i < a.rows; ++i) {
    touched.clear();
    for (index_t ka = a.row_ptr[i]; ka < a.row_ptr[i + 1]; ++ka) {
      const index_t j = a.col[ka];
      const double v = a.val[ka];
      for (index_t kb = b.row_ptr[j]; kb < b.row_ptr[j + 1]; ++kb) {
        const index_t c2 = b.col[kb];
        if (marker[c2] != i) {
          marker[c2] = i;
          acc[c2] = 0.0;
          touched.push_back(c2);
        }
        acc[c2] += v * b.val[kb];
      }
    }
    std::sort(touched.begin(), touched.end());
    for (index_t c2 : touched) {
      c.col.push_back(c2);
      c.val.push_back(acc[c2]);
    }
    c.row_ptr[i + 1] = static_cast<index_t>(c.col.size());
  }
  return c;
}

HostCsr transpose(const HostCsr& a) {
  HostCsr t;
  t.rows = a.cols;
  t.cols = a.rows;
  t.row_ptr.assign(static_cast<std::size_t>(a.cols) + 1, 0);
  for (index_t c : a.col) ++t.row_ptr[c + 1];
  for (index_t i = 0; i < a.cols; ++i) t.row_ptr[i + 1] += t.row_ptr[i];
  t.col.resize(a.nnz());
  t.val.resize(a.nnz());
  std::vector<index_t> fill(t.row_ptr.begin(), t.row_ptr.end() - 1);
  for (index_t i = 0; i < a.rows; ++i)  // ascending rows: the transpose's columns come out sorted
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) {
      const index_t dst = fill[a.col[k]]++;
      t.col[dst] = i;
      t.val[dst] = a.val[k];
    }
  return t;
}

}  // namespace sparse

namespace {

std::vector<double> diagonal(const HostCsr& a) {
  std::vector<double> d(static_cast<std::size_t>(a.rows), 0.0);
  for (index_t i = 0; i < a.rows; ++i)
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (a.col[k] == i) d[i] = a.val[k];
  return d;
}

/// Largest eigenvalue of D^-1 A by power iteration (a few steps suffice for the smoothing weight;
/// Gershgorin bounds it by 2 for the diagonally dominant Laplacian).
double spectral_radius_dinv_a(const HostCsr& a, const std::vector<double>& d) {
  const std::size_t n = static_cast<std::size_t>(a.rows);
  std::vector<double> v(n), w(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 1.0 + 0.37 * std::sin(1.0 + 7.0 * static_cast<double>(i));  // fixed start
  double lambda = 1.0;
  for (int it = 0; it < 15; ++it) {
    double norm = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0;
      for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) s += a.val[k] * v[a.col[k]];
      w[i] = d[i] > 0 ? s / d[i] : 0.0;
      norm += w[i] * w[i];
    }
    double vnorm = 0;
    for (double x : v) vnorm += x * x;
    norm = std::sqrt(norm);
    if (!(norm > 0)) return 1.0;
    lambda = norm / std::sqrt(vnorm);
    for (std::size_t i = 0; i < n; ++i) v[i] = w[i] / norm;
  }
  return std::min(2.0, std::max(lambda, 1.0));
}

/// Standard aggregation on the strength graph (Vanek et al. 1996, §3; pyamg standard_aggregation):
/// pass 1 makes an aggregate of every node whose strong neighbours are all free, pass 2 attaches
/// the remaining nodes to the aggregate of a strong neighbour (the strongest), pass 3 groups what is left
/// with its free strong neighbours. Rows with a zero diagonal join no aggregate (-1).
std::vector<index_t> aggregate(const HostCsr& a, const std::vector<double>& d, double theta, index_t* count) {
  const index_t n = a.rows;
  std::vector<index_t> agg(static_cast<std::size_t>(n), -1);
  // Strong neighbours: |a_ij| > theta sqrt(a_ii a_jj), a_ij != 0.
  auto strong = [&](index_t i, index_t k) {
    const index_t j = a.col[k];
    return j != i && a.val[k] != 0.0 && std::abs(a.val[k]) > theta * std::sqrt(std::abs(d[i] * d[j]));
  };
  index_t next = 0;
  for (index_t i = 0; i < n; ++i) {  // pass 1
    if (agg[i] >= 0 || !(d[i] > 0)) continue;
    bool free = true, any = false;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1] && free; ++k)
      if (strong(i, k)) {
        any = true;
        free = agg[a.col[k]] < 0;
      }
    if (!free || !any) continue;
    agg[i] = next;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (strong(i, k)) agg[a.col[k]] = next;
    ++next;
  }
  std::vector<index_t> pass1 = agg;
  for (index_t i = 0; i < n; ++i) {  // pass 2: join the strongest aggregated neighbour
    if (agg[i] >= 0 || !(d[i] > 0)) continue;
    double best = 0;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (strong(i, k) && pass1[a.col[k]] >= 0 && std::abs(a.val[k]) > best) {
        best = std::abs(a.val[k]);
        agg[i] = pass1[a.col[k]];
      }
  }
  for (index_t i = 0; i < n; ++i) {  // pass 3: the rest, with their free strong neighbours
    if (agg[i] >= 0 || !(d[i] > 0)) continue;
    agg[i] = next;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (strong(i, k) && agg[a.col[k]] < 0) agg[a.col[k]] = next;
    ++next;
  }
  *count = next;
  return agg;
}

/// Dense Cholesky inverse of a small SPD matrix, returned as a dense CSR (rows with a zero
/// diagonal, and pivots below 1e-14 of the largest diagonal, get zero rows and columns).
HostCsr dense_inverse(const HostCsr& a) {
  const std::size_t n = static_cast<std::size_t>(a.rows);
  std::vector<double> m(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) m[i * n + a.col[k]] = a.val[k];
  double max_diag = 0;
  for (std::size_t i = 0; i < n; ++i) max_diag = std::max(max_diag, m[i * n + i]);
  std::vector<char> active(n, 1);
  // In-place Cholesky L L^T (lower triangle).
  for (std::size_t j = 0; j < n; ++j) {
    double s = m[j * n + j];
    for (std::size_t k = 0; k < j; ++k) s -= m[j * n + k] * m[j * n + k];
    if (!(s > 1e-14 * max_diag)) {
      active[j] = 0;
      for (std::size_t i = j; i < n; ++i) m[i * n + j] = 0.0;
      continue;
    }
    const double ljj = std::sqrt(s);
    m[j * n + j] = ljj;
    for (std::size_t i = j + 1; i < n; ++i) {
      double t = m[i * n + j];
      for (std::size_t k = 0; k < j; ++k) t -= m[i * n + k] * m[j * n + k];
      m[i * n + j] = t / ljj;
    }
  }
  // Inverse column by column: solve L y = e_c, L^T x = y.
  std::vector<double> inv(n * n, 0.0), y(n);
  for (std::size_t c = 0; c < n; ++c) {
    if (!active[c]) continue;
    for (std::size_t i = 0; i < n; ++i) {
      if (!active[i]) {
        y[i] = 0;
        continue;
      }
      double s = i == c ? 1.0 : 0.0;
      for (std::size_t k = 0; k < i; ++k) s -= m[i * n + k] * y[k];
      y[i] = s / m[i * n + i];
    }
    for (std::size_t i = n; i-- > 0;) {
      if (!active[i]) {
        y[i] = 0;
        continue;
      }
      double s = y[i];
      for (std::size_t k = i + 1; k < n; ++k) s -= m[k * n + i] * y[k];
      y[i] = s / m[i * n + i];
    }
    for (std::size_t i = 0; i < n; ++i) inv[i * n + c] = y[i];
  }
  HostCsr r;
  r.rows = r.cols = a.rows;
  r.row_ptr.resize(n + 1);
  r.col.resize(n * n);
  r.val = std::move(inv);
  for (std::size_t i = 0; i <= n; ++i) r.row_ptr[i] = static_cast<index_t>(i * n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) r.col[i * n + j] = static_cast<index_t>(j);
  return r;
}

}  // namespace

AmgHierarchy::AmgHierarchy(const KernelSet& k, const HostCsr& a_fine, const AmgOptions& options,
                           const AmgHierarchy* aggregates_from)
    : k_(&k), options_(options) {
  HostCsr a = a_fine;
  const double fine_nnz = std::max<double>(1.0, static_cast<double>(a.nnz()));
  double total_nnz = 0;
  for (int l = 0;; ++l) {
    Level level;
    level.n = a.rows;
    total_nnz += static_cast<double>(a.nnz());
    const std::vector<double> d = diagonal(a);
    const double rho = a.rows > 0 ? spectral_radius_dinv_a(a, d) : 1.0;
    // Damped Jacobi smoothing x += omega D^-1 (b - A x), omega = 4 / (3 rho(D^-1 A)) (the classical
    // choice for smoothed aggregation, Vanek et al. 1996 §4; Brezina et al.).
    const double omega = 4.0 / (3.0 * rho);
    std::vector<double> smoother(d.size());
    for (std::size_t i = 0; i < d.size(); ++i) smoother[i] = d[i] > 0 ? omega / d[i] : 0.0;
    level.smoother = DeviceArray<double>(k, smoother);
    level.x = DeviceArray<double>(k, static_cast<std::size_t>(a.rows));
    level.b = DeviceArray<double>(k, static_cast<std::size_t>(a.rows));
    level.t = DeviceArray<double>(k, static_cast<std::size_t>(a.rows));
    const bool reuse = aggregates_from && static_cast<std::size_t>(l) < aggregates_from->aggregates_.size() &&
                       aggregates_from->aggregates_[l].size() == static_cast<std::size_t>(a.rows);
    const bool last = a.rows <= options.max_coarse || l + 1 >= options.max_levels ||
                      (aggregates_from && !reuse);
    if (last) {
      if (a.rows > 4 * options.max_coarse)
        throw Error(ExitCode::runtime_error, "AMG: coarsening stalled at " + std::to_string(a.rows) +
                                                 " rows (too many for the dense coarsest solve)");
      coarse_inverse_ = DeviceCsr(k, dense_inverse(a));
      level.a = DeviceCsr(k, a);
      levels_.push_back(std::move(level));
      break;
    }
    index_t coarse = 0;
    std::vector<index_t> agg;
    double theta = options.strength_threshold * std::pow(0.5, l);
    if (reuse) {
      agg = aggregates_from->aggregates_[l];
      theta = aggregates_from->thetas_[l];
      for (index_t g : agg) coarse = std::max(coarse, g + 1);
    } else {
      // Galerkin operators get denser level by level (more, weaker connections per row): the
      // threshold halves per level, and a level that would barely coarsen takes every connection
      // as strong (pyamg's default theta = 0).
      theta = options.strength_threshold * std::pow(0.5, l);
      agg = aggregate(a, d, theta, &coarse);
      if (coarse > 0.8 * a.rows) {
        theta = 0.0;
        agg = aggregate(a, d, theta, &coarse);
      }
    }
    if (coarse == 0 || coarse >= a.rows) {  // no coarsening possible: make this the coarsest level
      if (a.rows > 4 * options.max_coarse)
        throw Error(ExitCode::runtime_error, "AMG: coarsening stalled at " + std::to_string(a.rows) + " rows");
      coarse_inverse_ = DeviceCsr(k, dense_inverse(a));
      level.a = DeviceCsr(k, a);
      levels_.push_back(std::move(level));
      break;
    }
    // Tentative prolongator T: piecewise constant on aggregates (the constant is the Laplacian's
    // near-null space); smoothed P = (I - omega D^-1 A) T (Vanek et al. 1996, eq. 3.4).
    HostCsr t;
    t.rows = a.rows;
    t.cols = coarse;
    t.row_ptr.assign(static_cast<std::size_t>(a.rows) + 1, 0);
    for (index_t i = 0; i < a.rows; ++i) {
      if (agg[i] >= 0) {
        t.col.push_back(agg[i]);
        t.val.push_back(1.0);
      }
      t.row_ptr[i + 1] = static_cast<index_t>(t.col.size());
    }
    // Prolongator smoothing with the filtered operator A_F (Vanek et al. 1996, §3: weak connections
    // dropped and lumped onto the diagonal, so row sums stay): P gets entries only along strong
    // connections, which keeps the Galerkin operators sparse on high-contrast networks.
    HostCsr af;
    af.rows = af.cols = a.rows;
    std::vector<double> df(d.size(), 0.0);
    for (index_t i = 0; i < a.rows; ++i) {
      double diag = 0;
      for (index_t k2 = a.row_ptr[i]; k2 < a.row_ptr[i + 1]; ++k2) {
        const index_t j = a.col[k2];
        if (j == i) {
          diag += a.val[k2];
        } else if (a.val[k2] != 0.0 &&
                   std::abs(a.val[k2]) > theta * std::sqrt(std::abs(d[i] * d[j]))) {
          af.col.push_back(j);
          af.val.push_back(a.val[k2]);
        } else {
          diag += a.val[k2];  // lumped
        }
      }
      af.col.push_back(i);
      af.val.push_back(diag);
      df[i] = diag;
      af.row_ptr.push_back(static_cast<index_t>(af.col.size()));
    }
    const double rho_f = spectral_radius_dinv_a(af, df);
    const double omega_p = 4.0 / (3.0 * rho_f);
    HostCsr at = sparse::multiply(af, t);
    HostCsr p;
    p.rows = a.rows;
    p.cols = coarse;
    p.row_ptr.assign(static_cast<std::size_t>(a.rows) + 1, 0);
    for (index_t i = 0; i < a.rows; ++i) {
      const double w = df[i] > 0 ? omega_p / df[i] : 0.0;
      // merge T's row (at most one entry) with -w (A T)'s row, columns ascending
      index_t kt = t.row_ptr[i];
      const index_t kt_end = t.row_ptr[i + 1];
      for (index_t ka = at.row_ptr[i]; ka < at.row_ptr[i + 1]; ++ka) {
        const index_t c = at.col[ka];
        double v = -w * at.val[ka];
        if (kt < kt_end && t.col[kt] < c) {
          p.col.push_back(t.col[kt]);
          p.val.push_back(t.val[kt]);
          ++kt;
        }
        if (kt < kt_end && t.col[kt] == c) v += t.val[kt++];
        if (v != 0.0) {
          p.col.push_back(c);
          p.val.push_back(v);
        }
      }
      for (; kt < kt_end; ++kt) {
        p.col.push_back(t.col[kt]);
        p.val.push_back(t.val[kt]);
      }
      p.row_ptr[i + 1] = static_cast<index_t>(p.col.size());
    }
    HostCsr r = sparse::transpose(p);
    HostCsr coarse_a = sparse::multiply(r, sparse::multiply(a, p));  // Galerkin A_c = P^T A P
    level.a = DeviceCsr(k, a);
    level.p = DeviceCsr(k, p);
    level.r = DeviceCsr(k, r);
    levels_.push_back(std::move(level));
    aggregates_.push_back(std::move(agg));
    thetas_.push_back(theta);
    a = std::move(coarse_a);
  }
  operator_complexity_ = total_nnz / fine_nnz;
}

std::vector<index_t> AmgHierarchy::level_rows() const {
  std::vector<index_t> rows;
  for (const auto& l : levels_) rows.push_back(l.n);
  return rows;
}

void AmgHierarchy::apply(const double* r, double* z) const {
  if (levels_.empty() || levels_[0].n == 0) return;
  cycle(0, r, z);
}

void AmgHierarchy::cycle(std::size_t l, const double* b, double* x) const {
  const KernelSet& k = *k_;
  const Level& lv = levels_[l];
  const std::size_t n = static_cast<std::size_t>(lv.n);
  if (l + 1 == levels_.size()) {  // coarsest: x = A^-1 b with the dense inverse
    k.spmv(coarse_inverse_.view(), b, x);
    return;
  }
  const kernels::CsrView a = lv.a.view();
  double* t = lv.t.data();
  // Pre-smoothing from x = 0: the first damped-Jacobi step is x = omega D^-1 b.
  k.multiply(n, lv.smoother.data(), b, x);
  const auto smooth = [&] {
    k.spmv(a, x, t);                          // t = A x
    k.xpby(n, b, -1.0, t);                    // t = b - A x
    k.multiply(n, lv.smoother.data(), t, t);  // t = omega D^-1 (b - A x)
    k.axpy(n, 1.0, t, x);
  };
  for (int s = 1; s < options_.smoothing_steps; ++s) smooth();
  // Coarse-grid correction: b_c = R (b - A x), x += P x_c; twice on the levels below the finest
  // for a W-cycle (gamma = 2), which stays symmetric (each correction is an A-orthogonal projection
  // step with the same SPD coarse operator).
  const Level& next = levels_[l + 1];
  const int corrections = (l > 0 && l + 2 < levels_.size()) ? options_.cycle_gamma : 1;
  for (int c = 0; c < corrections; ++c) {
    k.spmv(a, x, t);
    k.xpby(n, b, -1.0, t);
    k.spmv(lv.r.view(), t, next.b.data());
    cycle(l + 1, next.b.data(), next.x.data());
    k.csr_gather_update(lv.p.view(), nullptr, nullptr, next.x.data(), x);
  }
  for (int s = 0; s < options_.smoothing_steps; ++s) smooth();
}

}  // namespace hepaflow

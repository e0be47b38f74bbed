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

/// Strong connections of a (one flag per stored entry): i-j is strong when
///   -a_ij >= theta sqrt(m_i m_j),   m_i = max_{k != i} (-a_ik),
/// the classical row-based strength (Ruge & Stuben 1987, "Algebraic multigrid", in Multigrid
/// Methods, SIAM, eq. 4.1: -a_ij >= theta m_i) made symmetric by the geometric mean of the two rows'
/// largest couplings. Unlike Vanek et al.'s |a_ij| > theta sqrt(a_ii a_jj) it does not depend on
/// the degree (a 3-D lattice's uniform links are all strong; the diagonal test calls them weak for
/// theta > 1/6), and a link is judged against the strongest links at both ends: with conductances
/// spread over decades, aggregates grow along the high-conductance paths and stop at links much
/// weaker than those around them (the aggregates the pressure error is nearly constant on).
/// Measured iterations (bench, lobule 1e5 / peer grid 48^3 at sigma 0, 0.5, 1; unsmoothed
/// aggregation, K-cycle): 2 sweeps, theta 0.7: 17/14/14 and 16/17/16; theta 0.5: 17/16/16 and
/// 18/19/20. 1 sweep: theta 0.5: 21/22/16 and 22/24/22; 0.25: 22/30/36 and 23/30/42; Vanek's
/// diagonal test at 0.08: 15/27/27 and 23/43/54; the one-sided row test (strong for either row) at
/// 0.25: 20/66/145 and 24/77/400. theta 0.7 also gives the smaller counts on the peer grids of
/// pressure_preconditioner_test (1e3..1e5 segments, sigma 0: 10, 12, 13 against 10, 14, 14 at 0.5;
/// measured before flow_solver's tolerance margin, which adds about one iteration). Nodes without
/// any strong link stay singleton aggregates: attaching them to their largest neighbour's aggregate
/// coarsens 3x faster at sigma 1 but took 154 iterations instead of 14 (lobule 1e6); interpolating
/// them from their aggregated neighbours (classical direct interpolation, P^T A P by products)
/// gave operator complexity 7.4 and 452 iterations.
std::vector<char> strength(const HostCsr& a, double theta) {
  const index_t n = a.rows;
  std::vector<char> s(a.nnz(), 0);
  std::vector<double> row_max(static_cast<std::size_t>(n), 0.0);
  for (index_t i = 0; i < n; ++i)
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (a.col[k] != i) row_max[i] = std::max(row_max[i], -a.val[k]);
  for (index_t i = 0; i < n; ++i)
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) {
      const index_t j = a.col[k];
      const double c = -a.val[k];
      if (j != i && c > 0.0 && c >= theta * std::sqrt(row_max[i] * row_max[j])) s[k] = 1;
    }
  return s;
}

/// Galerkin product T^T A T for the piecewise-constant prolongator T of the aggregates (unsmoothed
/// aggregation): (A_c)_IJ = sum of a_ij over i in I, j in J. One pass over A's entries grouped by
/// the aggregate of their row, O(nnz) with a dense marker (rows in no aggregate are left out).
HostCsr galerkin_of_aggregates(const HostCsr& a, const std::vector<index_t>& agg, index_t coarse) {
  const index_t n = a.rows;
  std::vector<index_t> start(static_cast<std::size_t>(coarse) + 1, 0), members(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i)
    if (agg[i] >= 0) ++start[agg[i] + 1];
  for (index_t g = 0; g < coarse; ++g) start[g + 1] += start[g];
  {
    std::vector<index_t> fill(start.begin(), start.end() - 1);
    for (index_t i = 0; i < n; ++i)
      if (agg[i] >= 0) members[fill[agg[i]]++] = i;
  }
  HostCsr c;
  c.rows = c.cols = coarse;
  c.row_ptr.assign(static_cast<std::size_t>(coarse) + 1, 0);
  c.col.reserve(a.nnz() / 2);
  c.val.reserve(a.nnz() / 2);
  std::vector<index_t> marker(static_cast<std::size_t>(coarse), -1), touched;
  std::vector<double> acc(static_cast<std::size_t>(coarse), 0.0);
  for (index_t g = 0; g < coarse; ++g) {
    touched.clear();
    for (index_t m = start[g]; m < start[g + 1]; ++m) {
      const index_t i = members[m];
      for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k) {
        const index_t h = agg[a.col[k]];
        if (h < 0) continue;
        if (marker[h] != g) {
          marker[h] = g;
          acc[h] = 0.0;
          touched.push_back(h);
        }
        acc[h] += a.val[k];
      }
    }
    std::sort(touched.begin(), touched.end());
    for (index_t h : touched) {
      c.col.push_back(h);
      c.val.push_back(acc[h]);
    }
    c.row_ptr[g + 1] = static_cast<index_t>(c.col.size());
  }
  return c;
}

/// Standard aggregation on the strength graph (Vanek et al. 1996, §3; pyamg standard_aggregation):
/// pass 1 makes an aggregate of every node whose strong neighbours are all free, pass 2 attaches
/// the remaining nodes to the aggregate of a strong neighbour (the strongest), pass 3 groups what is left
/// with its free strong neighbours. Rows with a zero diagonal join no aggregate (-1).
std::vector<index_t> aggregate(const HostCsr& a, const std::vector<double>& d, const std::vector<char>& strong,
                               index_t* count) {
  const index_t n = a.rows;
  std::vector<index_t> agg(static_cast<std::size_t>(n), -1);
  index_t next = 0;
  for (index_t i = 0; i < n; ++i) {  // pass 1
    if (agg[i] >= 0 || !(d[i] > 0)) continue;
    bool free = true, any = false;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1] && free; ++k)
      if (strong[k]) {
        any = true;
        free = agg[a.col[k]] < 0;
      }
    if (!free || !any) continue;
    agg[i] = next;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (strong[k]) agg[a.col[k]] = next;
    ++next;
  }
  std::vector<index_t> pass1 = agg;
  for (index_t i = 0; i < n; ++i) {  // pass 2: join the strongest aggregated neighbour
    if (agg[i] >= 0 || !(d[i] > 0)) continue;
    double best = 0;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (strong[k] && pass1[a.col[k]] >= 0 && std::abs(a.val[k]) > best) {
        best = std::abs(a.val[k]);
        agg[i] = pass1[a.col[k]];
      }
  }
  for (index_t i = 0; i < n; ++i) {  // pass 3: the rest, with their free strong neighbours
    if (agg[i] >= 0 || !(d[i] > 0)) continue;
    agg[i] = next;
    for (index_t k = a.row_ptr[i]; k < a.row_ptr[i + 1]; ++k)
      if (strong[k] && agg[a.col[k]] < 0) agg[a.col[k]] = next;
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
    if (options.k_cycle && l > 0) {
      for (DeviceArray<double>* w : {&level.v1, &level.c2, &level.v2, &level.rt})
        *w = DeviceArray<double>(k, static_cast<std::size_t>(a.rows));
    }
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
    double theta = options.strength_threshold;
    if (reuse) {
      agg = aggregates_from->aggregates_[l];
      theta = aggregates_from->thetas_[l];
      for (index_t g : agg) coarse = std::max(coarse, g + 1);
    }
    std::vector<char> strong = strength(a, theta);
    if (!reuse) {
      agg = aggregate(a, d, strong, &coarse);
      if (coarse > 0.8 * a.rows) {  // barely coarsens: every connection strong (pyamg's default theta = 0)
        theta = 0.0;
        strong = strength(a, theta);
        agg = aggregate(a, d, strong, &coarse);
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
    // near-null space); smoothed P = (I - omega D^-1 A) T (Vanek et al. 1996, eq. 3.4) if asked.
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
    // Unsmoothed aggregation (P = T; Braess 1995; Notay 2010): A_c = T^T A T by summing entries, no
    // stencil growth, O(nnz) setup; its weaker coarse space is made up for by the K-cycle. With
    // options.smoothed_prolongation, smoothed aggregation (Vanek et al. 1996): denser P and A_c.
    HostCsr p, coarse_a;
    if (!options.smoothed_prolongation) {
      coarse_a = galerkin_of_aggregates(a, agg, coarse);
      p = std::move(t);
    } else {
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
          } else if (strong[k2]) {
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
      coarse_a = sparse::multiply(sparse::transpose(p), sparse::multiply(a, p));  // Galerkin A_c = P^T A P
    }
    HostCsr r = sparse::transpose(p);
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
  // step with the same SPD coarse operator). With the K-cycle, x_c comes from two flexible-CG steps
  // on the coarse system (k_correction) unless the next level is the coarsest (solved exactly).
  const Level& next = levels_[l + 1];
  const bool krylov = options_.k_cycle && l + 2 < levels_.size();
  const int corrections = (!krylov && l > 0 && l + 2 < levels_.size()) ? options_.cycle_gamma : 1;
  for (int c = 0; c < corrections; ++c) {
    k.spmv(a, x, t);
    k.xpby(n, b, -1.0, t);
    k.spmv(lv.r.view(), t, next.b.data());
    if (krylov)
      k_correction(l + 1, next.b.data(), next.x.data());
    else
      cycle(l + 1, next.b.data(), next.x.data());
    k.csr_gather_update(lv.p.view(), nullptr, nullptr, next.x.data(), x);
  }
  for (int s = 0; s < options_.smoothing_steps; ++s) smooth();
}

// K-cycle coarse correction (Notay 2010, ETNA 37:123, Alg. 3.2 with t = 0.25; Notay & Vassilevski
// 2008): x ~ A_l^-1 r by at most two steps of flexible CG from x = 0, preconditioned by the level-l
// cycle B_l:
//   c1 = B_l r, v1 = A c1, rho1 = c1.v1, alpha1 = c1.r, r~ = r - (alpha1/rho1) v1;
//   if ||r~|| <= t ||r||: x = (alpha1/rho1) c1, else
//   c2 = B_l r~, v2 = A c2, gamma = c2.v1, beta = c2.v2, alpha2 = c2.r~, rho2 = beta - gamma^2/rho1,
//   x = (alpha1/rho1 - gamma alpha2/(rho1 rho2)) c1 + (alpha2/rho2) c2.
// The second step's Krylov minimisation repairs what a poor coarse space (high-contrast
// coefficients, aggregates across weak links) loses, and keeps the iteration count flat with levels.
void AmgHierarchy::k_correction(std::size_t l, const double* r, double* x) const {
  const KernelSet& k = *k_;
  const Level& lv = levels_[l];
  const std::size_t n = static_cast<std::size_t>(lv.n);
  const kernels::CsrView a = lv.a.view();
  double* c1 = x;  // the result is built in place of c1
  double* v1 = lv.v1.data();
  double* rt = lv.rt.data();
  cycle(l, r, c1);
  k.spmv(a, c1, v1);
  const double rho1 = k.dot(n, c1, v1), alpha1 = k.dot(n, c1, r);
  if (!(rho1 > 0.0)) return;  // c1 = 0 (r = 0) or a breakdown: keep the plain cycle's result
  const double s1 = alpha1 / rho1;
  k.copy_on_device(rt, r, n * sizeof(double));
  k.axpy(n, -s1, v1, rt);  // r~ = r - s1 v1
  const double r_norm2 = k.dot(n, r, r), rt_norm2 = k.dot(n, rt, rt);
  const bool second = static_cast<double>(lv.n) >= options_.k_cycle_min_ratio * static_cast<double>(levels_[l + 1].n);
  if (!second || rt_norm2 <= 0.0625 * r_norm2) {  // ||r~|| <= 0.25 ||r||
    k.axpby(n, 0.0, c1, s1, c1);  // x = s1 c1
    return;
  }
  double* c2 = lv.c2.data();
  double* v2 = lv.v2.data();
  cycle(l, rt, c2);
  k.spmv(a, c2, v2);
  const double gamma = k.dot(n, c2, v1), beta = k.dot(n, c2, v2), alpha2 = k.dot(n, c2, rt);
  const double rho2 = beta - gamma * gamma / rho1;
  if (!(rho2 > 0.0)) {  // no second direction: the first step's result
    k.axpby(n, 0.0, c1, s1, c1);
    return;
  }
  // x = (s1 - gamma alpha2 / (rho1 rho2)) c1 + (alpha2 / rho2) c2
  const double w1 = s1 - gamma * alpha2 / (rho1 * rho2), w2 = alpha2 / rho2;
  k.axpby(n, w2, c2, w1, c1);
}

}  // namespace hepaflow

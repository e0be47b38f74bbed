#include "hepaflow/oxygen/tissue_grid.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <fstream>
#include <limits>
#include <sstream>

#include "hepaflow/error.hpp"
#include "hepaflow/linear/pcg.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {

std::array<double, 3> TissueGridGeometry::centre(std::size_t c) const {
  const std::size_t i = c % dims[0], j = (c / dims[0]) % dims[1], k = c / (std::size_t(dims[0]) * dims[1]);
  return {lower[0] + (i + 0.5) * spacing[0], lower[1] + (j + 0.5) * spacing[1], lower[2] + (k + 0.5) * spacing[2]};
}

bool TissueGridGeometry::in_region(std::size_t c) const {
  const int i = static_cast<int>(c % dims[0]), j = static_cast<int>((c / dims[0]) % dims[1]);
  const int k = static_cast<int>(c / (std::size_t(dims[0]) * dims[1]));
  return i >= region_begin[0] && i < region_end[0] && j >= region_begin[1] && j < region_end[1] &&
         k >= region_begin[2] && k < region_end[2];
}

TissueGridGeometry add_padding(const TissueGridGeometry& grid, double padding) {
  if (!(padding >= 0.0) || !std::isfinite(padding)) throw InputError("oxygen.grid_padding must be >= 0");
  TissueGridGeometry g = grid;
  double cells = 1.0;
  for (int a = 0; a < 3; ++a) {
    const int pad = static_cast<int>(std::ceil(padding / grid.spacing[a] - 1e-9));
    g.dims[a] = grid.dims[a] + 2 * pad;
    g.lower[a] = grid.lower[a] - pad * grid.spacing[a];
    g.region_begin[a] = grid.region_begin[a] + pad;
    g.region_end[a] = grid.region_end[a] + pad;
    cells *= g.dims[a];
  }
  if (cells > double(std::numeric_limits<index_t>::max()))
    throw InputError("the padded tissue grid would have more than 2^31 cells: raise oxygen.grid_spacing");
  return g;
}

TissueGridGeometry make_tissue_grid(const std::array<double, 3>& lower, const std::array<double, 3>& upper,
                                    double spacing) {
  if (!(spacing > 0.0) || !std::isfinite(spacing)) throw InputError("oxygen.grid_spacing must be positive");
  TissueGridGeometry g;
  g.lower = lower;
  double cells = 1.0;
  for (int a = 0; a < 3; ++a) {
    const double extent = upper[a] - lower[a];
    if (!(extent >= 0.0) || !std::isfinite(extent)) throw InputError("the tissue region is empty or not finite");
    const double n = std::max(1.0, std::ceil(extent / spacing - 1e-9));
    cells *= n;
    if (cells > double(std::numeric_limits<index_t>::max()))
      throw InputError("the tissue grid would have more than 2^31 cells: raise oxygen.grid_spacing");
    g.dims[a] = static_cast<int>(n);
    g.region_end[a] = g.dims[a];
    // A flat region (all vessels in one plane) gets one cell of the requested spacing.
    g.spacing[a] = extent > 0.0 ? extent / n : spacing;
    if (extent == 0.0) g.lower[a] -= 0.5 * spacing;
  }
  return g;
}

double IntravascularResistance::at(double d) const {
  if (diameter.empty()) return 0.0;
  if (d <= diameter.front()) return k.front();
  if (d >= diameter.back()) return k.back();
  const auto it = std::upper_bound(diameter.begin(), diameter.end(), d);
  const std::size_t i = static_cast<std::size_t>(it - diameter.begin());
  const double t = (d - diameter[i - 1]) / (diameter[i] - diameter[i - 1]);
  return k[i - 1] + t * (k[i] - k[i - 1]);
}

namespace {
// Secomb's unit mmHg um s / um^3 O2 in mmHg s m^-2.
constexpr double kResistanceUnit = 1e12;
}  // namespace

IntravascularResistance default_intravascular_resistance() {
  // GreensV4 IntravascRes.dat (T.W. Secomb, github.com/secomb/GreensV4), the theoretical
  // intravascular resistance of Hellums et al. 1996 (Microcirculation 3:347) / Eggleton et al. 2000.
  static const double table[][2] = {{4, 2.45},  {5, 2.00},  {6, 1.74},  {8, 1.44},   {10, 1.27}, {12, 1.16},
                                    {14, 1.08}, {16, 1.02}, {18, 0.974}, {20, 0.935}, {22, 0.895}, {24, 0.853},
                                    {28, 0.815}, {32, 0.779}, {40, 0.750}, {50, 0.730}};
  IntravascularResistance r;
  for (const auto& row : table) {
    r.diameter.push_back(row[0] * 1e-6);
    r.k.push_back(row[1] * kResistanceUnit);
  }
  return r;
}

IntravascularResistance read_intravascular_resistance(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot open intravascular resistance table " + path);
  const auto fail = [&](int line, const std::string& what) {
    throw InputError(path + ":" + std::to_string(line) + ": " + what);
  };
  std::string text;
  int line_no = 0;
  long rows = -1;
  IntravascularResistance r;
  while (std::getline(in, text)) {
    ++line_no;
    std::istringstream s(text);
    if (line_no == 1) {
      if (!(s >> rows) || rows < 2 || rows > 10000) fail(1, "expected the number of table rows (2 to 10000) first");
      continue;
    }
    if (line_no == 2) continue;  // column header
    if (static_cast<long>(r.diameter.size()) == rows) break;
    double d = 0, k = 0;
    if (!(s >> d >> k)) fail(line_no, "expected two numbers: diameter [um] and K [mmHg um s/um^3]");
    if (!(d > 0.0) || !std::isfinite(d)) fail(line_no, "diameter must be positive");
    if (!(k >= 0.0) || !std::isfinite(k)) fail(line_no, "K must be >= 0");
    if (!r.diameter.empty() && !(d * 1e-6 > r.diameter.back())) fail(line_no, "diameters must increase");
    r.diameter.push_back(d * 1e-6);
    r.k.push_back(k * kResistanceUnit);
  }
  if (static_cast<long>(r.diameter.size()) != rows)
    fail(line_no, "the table ends after " + std::to_string(r.diameter.size()) + " of " + std::to_string(rows) + " rows");
  return r;
}

namespace {
/// The 3-D kernel psi(u) = (1 + cos(pi u)) / 2 for u < 1 (Peskin-type cosine bump).
double kernel_psi(double u) { return u < 1.0 ? 0.5 * (1.0 + std::cos(units::pi * u)) : 0.0; }
}  // namespace

double line_kernel_constant() {
  // A straight line source of strength q' per length smeared with psi (R = 1): its 2-D profile is
  // phi(rho) = int psi(sqrt(rho^2 + z^2)) dz, normalised to int phi 2 pi rho drho = 1. The radial
  // field obeys dP/drho = -q' m(rho) / (2 pi D alpha rho), m = the source fraction within rho, so the
  // phi-weighted mean minus P(1) is q' / (2 pi D alpha) * int phi(rho) 2 pi rho I(rho) drho with
  // I(rho) = int_rho^1 m(t)/t dt. Midpoint quadrature, converged to < 1e-6.
  static const double c = [] {
    const int n = 4000, nz = 400;
    std::vector<double> phi(n), rho(n);
    const double dr = 1.0 / n;
    double norm = 0.0;
    for (int i = 0; i < n; ++i) {
      rho[i] = (i + 0.5) * dr;
      const double zmax = std::sqrt(1.0 - rho[i] * rho[i]), dz = zmax / nz;
      double sum = 0.0;
      for (int j = 0; j < nz; ++j) {
        const double z = (j + 0.5) * dz;
        sum += kernel_psi(std::sqrt(rho[i] * rho[i] + z * z));
      }
      phi[i] = 2.0 * sum * dz;
      norm += phi[i] * 2.0 * units::pi * rho[i] * dr;
    }
    std::vector<double> m(n);
    double cumulative = 0.0;
    for (int i = 0; i < n; ++i) {
      phi[i] /= norm;
      const double piece = phi[i] * 2.0 * units::pi * rho[i] * dr;
      m[i] = cumulative + 0.5 * piece;  // at the midpoint
      cumulative += piece;
    }
    // I(rho_i) = sum_{j > i} m_j / rho_j dr + half of cell i.
    std::vector<double> integral(n);
    double tail = 0.0;
    for (int i = n - 1; i >= 0; --i) {
      integral[i] = tail + 0.5 * m[i] / rho[i] * dr;
      tail += m[i] / rho[i] * dr;
    }
    double result = 0.0;
    for (int i = 0; i < n; ++i) result += phi[i] * 2.0 * units::pi * rho[i] * integral[i] * dr;
    return result;
  }();
  return c;
}

VesselSources build_vessel_sources(const Network& net, const TissueGridGeometry& g,
                                   const IntravascularResistance& table, double d_alpha, double max_length) {
  VesselSources v;
  const std::size_t m = net.num_segments();
  const double c = line_kernel_constant();
  const double h_max = std::max({g.spacing[0], g.spacing[1], g.spacing[2]});
  v.sub_ptr.assign(m + 1, 0);
  v.w_ptr.push_back(0);
  std::vector<std::pair<index_t, double>> row;
  for (std::size_t s = 0; s < m; ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    const double pa[3] = {net.x[a], net.y[a], net.z[a]}, pb[3] = {net.x[b], net.y[b], net.z[b]};
    const double geometric = std::sqrt((pb[0] - pa[0]) * (pb[0] - pa[0]) + (pb[1] - pa[1]) * (pb[1] - pa[1]) +
                                       (pb[2] - pa[2]) * (pb[2] - pa[2]));
    const int n = std::max(1, static_cast<int>(std::ceil(geometric / max_length - 1e-9)));
    const double r = net.radius[s];
    const double kernel = std::max(2.0 * h_max, r * std::exp(c));
    const double resistance = table.at(2.0 * r) + (std::log(kernel / r) - c) / (2.0 * units::pi * d_alpha);
    for (int i = 0; i < n; ++i) {
      const double t = (i + 0.5) / n;
      const double x[3] = {pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1]), pa[2] + t * (pb[2] - pa[2])};
      v.segment.push_back(static_cast<index_t>(s));
      v.length.push_back(net.length[s] / n);
      v.resistance.push_back(resistance);
      v.kernel_radius.push_back(kernel);
      // Cells whose centres lie within the kernel radius.
      row.clear();
      int lo[3], hi[3];
      for (int ax = 0; ax < 3; ++ax) {
        lo[ax] = std::max(0, static_cast<int>(std::floor((x[ax] - kernel - g.lower[ax]) / g.spacing[ax] - 0.5)));
        hi[ax] = std::min(g.dims[ax] - 1,
                          static_cast<int>(std::ceil((x[ax] + kernel - g.lower[ax]) / g.spacing[ax] - 0.5)));
      }
      double sum = 0.0;
      for (int kz = lo[2]; kz <= hi[2]; ++kz)
        for (int jy = lo[1]; jy <= hi[1]; ++jy)
          for (int ix = lo[0]; ix <= hi[0]; ++ix) {
            const double dx = g.lower[0] + (ix + 0.5) * g.spacing[0] - x[0];
            const double dy = g.lower[1] + (jy + 0.5) * g.spacing[1] - x[1];
            const double dz = g.lower[2] + (kz + 0.5) * g.spacing[2] - x[2];
            const double w = kernel_psi(std::sqrt(dx * dx + dy * dy + dz * dz) / kernel);
            if (w > 0.0) {
              row.emplace_back(static_cast<index_t>(ix + g.dims[0] * (jy + std::size_t(g.dims[1]) * kz)), w);
              sum += w;
            }
          }
      if (sum > 0.0) {
        for (const auto& [cell, w] : row) {
          v.w_cell.push_back(cell);
          v.w.push_back(w / sum);
        }
      } else {
        ++v.outside;
      }
      v.w_ptr.push_back(static_cast<index_t>(v.w.size()));
    }
    v.sub_ptr[s + 1] = static_cast<index_t>(v.segment.size());
  }
  if (v.w.size() > static_cast<std::size_t>(std::numeric_limits<index_t>::max()))
    throw InputError("too many vessel-tissue couplings for 32-bit indices: raise oxygen.grid_spacing");
  // Transpose (counting sort by cell).
  const std::size_t cells = g.cells();
  v.wt_ptr.assign(cells + 1, 0);
  for (index_t cell : v.w_cell) ++v.wt_ptr[cell + 1];
  for (std::size_t c = 0; c < cells; ++c) v.wt_ptr[c + 1] += v.wt_ptr[c];
  v.wt_sub.resize(v.w.size());
  v.wt.resize(v.w.size());
  std::vector<index_t> next(v.wt_ptr.begin(), v.wt_ptr.end() - 1);
  for (std::size_t k = 0; k < v.segment.size(); ++k)
    for (index_t e = v.w_ptr[k]; e < v.w_ptr[k + 1]; ++e) {
      const index_t slot = next[v.w_cell[e]]++;
      v.wt_sub[slot] = static_cast<index_t>(k);
      v.wt[slot] = v.w[e];
    }
  return v;
}

std::vector<index_t> nearest_subsegment(const TissueGridGeometry& g, const Network& net, const VesselSources& v) {
  std::vector<index_t> owner(g.cells(), -1);
  std::deque<std::size_t> queue;
  for (std::size_t k = 0; k < v.subsegments(); ++k) {
    const index_t s = v.segment[k];
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    const index_t n = v.sub_ptr[s + 1] - v.sub_ptr[s];
    const double t = (static_cast<double>(k - v.sub_ptr[s]) + 0.5) / n;
    const double x[3] = {net.x[a] + t * (net.x[b] - net.x[a]), net.y[a] + t * (net.y[b] - net.y[a]),
                         net.z[a] + t * (net.z[b] - net.z[a])};
    int idx[3];
    bool inside = true;
    for (int ax = 0; ax < 3; ++ax) {
      idx[ax] = static_cast<int>(std::floor((x[ax] - g.lower[ax]) / g.spacing[ax]));
      if (idx[ax] == g.dims[ax]) idx[ax] = g.dims[ax] - 1;  // on the upper face
      inside = inside && idx[ax] >= 0 && idx[ax] < g.dims[ax];
    }
    if (!inside) continue;
    const std::size_t cell = idx[0] + g.dims[0] * (idx[1] + std::size_t(g.dims[1]) * idx[2]);
    if (owner[cell] < 0) {
      owner[cell] = static_cast<index_t>(k);
      queue.push_back(cell);
    }
  }
  const std::size_t sy = g.dims[0], sz = std::size_t(g.dims[0]) * g.dims[1];
  while (!queue.empty()) {
    const std::size_t c = queue.front();
    queue.pop_front();
    const std::size_t i = c % g.dims[0], j = (c / sy) % g.dims[1], k = c / sz;
    const auto visit = [&](std::size_t n) {
      if (owner[n] < 0) {
        owner[n] = owner[c];
        queue.push_back(n);
      }
    };
    if (i > 0) visit(c - 1);
    if (i + 1 < std::size_t(g.dims[0])) visit(c + 1);
    if (j > 0) visit(c - sy);
    if (j + 1 < std::size_t(g.dims[1])) visit(c + sy);
    if (k > 0) visit(c - sz);
    if (k + 1 < std::size_t(g.dims[2])) visit(c + sz);
  }
  return owner;
}

// ---- the tissue solve ------------------------------------------------------------------------------

namespace {
constexpr double kJacobiWeight = 0.8;  // damped Jacobi smoother (< 1: smoothing; symmetric V-cycle)
constexpr int kSmoothingSteps = 2;     // pre- and post-smoothing sweeps per level
constexpr int kCoarsestSweeps = 40;    // Jacobi sweeps on the coarsest level
constexpr std::size_t kCoarsestCells = 64;
}  // namespace

TissueDiffusionSolver::TissueDiffusionSolver(const KernelSet& k, const TissueGridGeometry& grid,
                                             const VesselSources& v, const std::vector<double>& cell_m0,
                                             const std::vector<char>& exchanges, const TissueSolverOptions& options)
    : k_(&k), grid_(grid), options_(options), cells_(grid.cells()), subs_(v.subsegments()) {
  if (cell_m0.size() != cells_ || exchanges.size() != subs_)
    throw Error(ExitCode::runtime_error, "internal: tissue grid array sizes");
  w_ptr_ = DeviceArray<index_t>(k, v.w_ptr);
  w_cell_ = DeviceArray<index_t>(k, v.w_cell);
  w_ = DeviceArray<double>(k, v.w);
  wt_ptr_ = DeviceArray<index_t>(k, v.wt_ptr);
  wt_sub_ = DeviceArray<index_t>(k, v.wt_sub);
  wt_ = DeviceArray<double>(k, v.wt);
  std::vector<double> coupling(subs_);
  for (std::size_t i = 0; i < subs_; ++i) coupling[i] = exchanges[i] ? v.length[i] / v.resistance[i] : 0.0;
  coupling_ = DeviceArray<double>(k, coupling);
  m0_ = DeviceArray<double>(k, cell_m0);
  sub_work_ = DeviceArray<double>(k, subs_);
  sub_work2_ = DeviceArray<double>(k, subs_);
  absorption_ = DeviceArray<double>(k, cells_);
  source_ = DeviceArray<double>(k, cells_);
  rhs_ = DeviceArray<double>(k, cells_);
  // Lumped exchange W^T D 1 (= sum_k D_k w_kc, since each row of W sums to 1): the multigrid
  // levels carry the exchange as this absorption.
  lumped_exchange_ = DeviceArray<double>(k, cells_);
  const kernels::CsrView wt{static_cast<index_t>(cells_), wt_ptr_.data(), wt_sub_.data(), wt_.data()};
  k.spmv(wt, coupling_.data(), lumped_exchange_.data());

  // Multigrid hierarchy: halve every dimension down to ~kCoarsestCells cells; face conductances
  // rediscretised for the coarse spacing (g ~ D alpha area / spacing).
  kernels::GridView view;
  view.nx = grid.dims[0];
  view.ny = grid.dims[1];
  view.nz = grid.dims[2];
  const double da = options.d_alpha;
  view.gx = da * grid.spacing[1] * grid.spacing[2] / grid.spacing[0];
  view.gy = da * grid.spacing[0] * grid.spacing[2] / grid.spacing[1];
  view.gz = da * grid.spacing[0] * grid.spacing[1] / grid.spacing[2];
  while (true) {
    Level level;
    level.view = view;
    const std::size_t n = static_cast<std::size_t>(view.cells());
    level.absorption = DeviceArray<double>(k, n);
    level.inv_diag = DeviceArray<double>(k, n);
    level.b = DeviceArray<double>(k, n);
    level.x = DeviceArray<double>(k, n);
    level.r = DeviceArray<double>(k, n);
    levels_.push_back(std::move(level));
    if (n <= kCoarsestCells || (view.nx <= 2 && view.ny <= 2 && view.nz <= 2)) break;
    kernels::GridView coarse;
    coarse.nx = (view.nx + 1) / 2;
    coarse.ny = (view.ny + 1) / 2;
    coarse.nz = (view.nz + 1) / 2;
    const double rx = view.nx > 1 ? 2.0 : 1.0, ry = view.ny > 1 ? 2.0 : 1.0, rz = view.nz > 1 ? 2.0 : 1.0;
    coarse.gx = view.gx * ry * rz / rx;
    coarse.gy = view.gy * rx * rz / ry;
    coarse.gz = view.gz * rx * ry / rz;
    view = coarse;
  }
}

void TissueDiffusionSolver::apply(const double* x, double* y) const {
  const KernelSet& k = *k_;
  k.grid_apply(levels_[0].view, absorption_.data(), x, y);
  const kernels::CsrView w{static_cast<index_t>(subs_), w_ptr_.data(), w_cell_.data(), w_.data()};
  const kernels::CsrView wt{static_cast<index_t>(cells_), wt_ptr_.data(), wt_sub_.data(), wt_.data()};
  k.spmv(w, x, sub_work_.data());
  k.multiply(subs_, coupling_.data(), sub_work_.data(), sub_work2_.data());
  Level& l0 = levels_[0];
  k.spmv(wt, sub_work2_.data(), l0.r.data());
  k.axpy(cells_, 1.0, l0.r.data(), y);
}

void TissueDiffusionSolver::update_levels(const double* fine_absorption) const {
  const KernelSet& k = *k_;
  k.copy_on_device(levels_[0].absorption.data(), fine_absorption, cells_ * sizeof(double));
  k.axpy(cells_, 1.0, lumped_exchange_.data(), levels_[0].absorption.data());
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    if (l > 0) k.grid_restrict(levels_[l - 1].view, levels_[l].view, levels_[l - 1].absorption.data(),
                               levels_[l].absorption.data());
    k.grid_inverse_diagonal(levels_[l].view, levels_[l].absorption.data(), levels_[l].inv_diag.data());
  }
}

void TissueDiffusionSolver::v_cycle(std::size_t l, const double* b, double* x) const {
  // Symmetric V-cycle (same damped-Jacobi sweeps before and after; zero initial guess), so it is
  // a symmetric positive definite preconditioner for CG.
  const KernelSet& k = *k_;
  Level& L = levels_[l];
  const std::size_t n = static_cast<std::size_t>(L.view.cells());
  double* r = L.r.data();
  const auto smooth = [&](int sweeps) {
    for (int s = 0; s < sweeps; ++s) {
      k.grid_apply(L.view, L.absorption.data(), x, r);
      k.xpby(n, b, -1.0, r);                  // r = b - A x
      k.multiply(n, L.inv_diag.data(), r, r);  // D^-1 r
      k.axpy(n, kJacobiWeight, r, x);
    }
  };
  k.fill(n, 0.0, x);
  if (l + 1 == levels_.size()) {
    smooth(kCoarsestSweeps);
    return;
  }
  smooth(kSmoothingSteps);
  k.grid_apply(L.view, L.absorption.data(), x, r);
  k.xpby(n, b, -1.0, r);
  Level& C = levels_[l + 1];
  k.grid_restrict(L.view, C.view, r, C.b.data());
  v_cycle(l + 1, C.b.data(), C.x.data());
  k.grid_prolong_add(L.view, C.view, C.x.data(), x);
  smooth(kSmoothingSteps);
}

TissueSolveReport TissueDiffusionSolver::solve(const DeviceArray<double>& vessel_po2, DeviceArray<double>& po2) {
  const KernelSet& k = *k_;
  TissueSolveReport report;
  if (po2.size() != cells_) throw Error(ExitCode::runtime_error, "internal: tissue PO2 array size");
  // Exchange right-hand side W^T D P_v (fixed during the Newton iteration).
  DeviceArray<double> exchange_rhs(k, cells_), next(k, cells_), z(k, cells_);
  const kernels::CsrView wt{static_cast<index_t>(cells_), wt_ptr_.data(), wt_sub_.data(), wt_.data()};
  k.multiply(subs_, coupling_.data(), vessel_po2.data(), sub_work_.data());
  k.spmv(wt, sub_work_.data(), exchange_rhs.data());
  LinearOperator op;
  op.apply = [&](const double* x, double* y) { apply(x, y); };
  op.precondition = [&](const double* r, double* out) {
    // levels_[0].b is not used by the cycle at level 0 (b is r itself).
    v_cycle(0, r, out);
  };
  for (int it = 1; it <= options_.max_newton; ++it) {
    // Newton step: V M(P) ~ absorption P + source about the current P (MODEL.md §3).
    k.michaelis_menten_linearise(cells_, grid_.cell_volume(), m0_.data(), options_.km_mmHg, po2.data(),
                                 absorption_.data(), source_.data());
    k.copy_on_device(rhs_.data(), exchange_rhs.data(), cells_ * sizeof(double));
    k.axpy(cells_, -1.0, source_.data(), rhs_.data());
    update_levels(absorption_.data());
    k.copy_on_device(next.data(), po2.data(), cells_ * sizeof(double));
    double reached = 0.0;
    const int iterations = pcg(k, cells_, op, rhs_.data(), next.data(), options_.linear_tolerance,
                               options_.max_linear_iterations, &reached);
    report.linear_iterations += iterations < 0 ? -iterations : iterations;
    if (iterations < 0) {
      std::ostringstream msg;
      msg << "tissue O2 diffusion solve (multigrid-preconditioned CG) did not converge: relative residual "
          << reached << " after " << -iterations << " iterations (Newton step " << it << ")";
      throw ConvergenceError(msg.str());
    }
    report.newton_change = k.max_abs_difference(cells_, po2.data(), next.data());
    k.copy_on_device(po2.data(), next.data(), cells_ * sizeof(double));
    report.newton_iterations = it;
    if (!std::isfinite(report.newton_change)) throw ConvergenceError("tissue O2 solve produced NaN/Inf");
    if (report.newton_change <= options_.newton_tolerance) return report;
  }
  std::ostringstream msg;
  msg << "tissue O2 Newton iteration did not converge: max PO2 change " << report.newton_change << " mmHg after "
      << options_.max_newton << " steps";
  throw ConvergenceError(msg.str());
}

void TissueDiffusionSolver::tissue_po2_at_subsegments(const DeviceArray<double>& po2, DeviceArray<double>& out) const {
  const kernels::CsrView w{static_cast<index_t>(subs_), w_ptr_.data(), w_cell_.data(), w_.data()};
  if (out.size() != subs_) out = DeviceArray<double>(*k_, subs_);
  k_->spmv(w, po2.data(), out.data());
}

void TissueDiffusionSolver::consumption(const DeviceArray<double>& po2, DeviceArray<double>& out) const {
  if (out.size() != cells_) out = DeviceArray<double>(*k_, cells_);
  k_->michaelis_menten_field(cells_, m0_.data(), options_.km_mmHg, po2.data(), out.data());
}

double TissueDiffusionSolver::exchange_total(const DeviceArray<double>& vessel_po2,
                                             const DeviceArray<double>& po2) const {
  tissue_po2_at_subsegments(po2, sub_work2_);
  return k_->dot(subs_, coupling_.data(), vessel_po2.data()) - k_->dot(subs_, coupling_.data(), sub_work2_.data());
}

}  // namespace hepaflow

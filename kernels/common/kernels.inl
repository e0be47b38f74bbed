// The common kernels: one implementation for every backend. Included inside
// namespace hepaflow::kernels::<backend> by cpu/kernels_cpu.cpp and cuda/kernels_cuda.cu, after
// thrust_includes.hpp. Arrays are raw pointers into the backend's memory; thrust::device is the
// backend's execution policy (OpenMP on cpu/, CUDA on cuda/).

// ------------------------------------------------------------------ vector algebra
struct AxpyOp {
  double a;
  HF_HOST_DEVICE double operator()(double x, double y) const { return a * x + y; }
};
struct XpbyOp {
  double b;
  HF_HOST_DEVICE double operator()(double x, double y) const { return x + b * y; }
};
struct AxpbyOp {
  double a, b;
  HF_HOST_DEVICE double operator()(double x, double y) const { return a * x + b * y; }
};
struct MultiplyOp {
  HF_HOST_DEVICE double operator()(double x, double y) const { return x * y; }
};
struct AbsOp {
  HF_HOST_DEVICE double operator()(double x) const { return x < 0 ? -x : x; }
};
struct MaxOp {
  HF_HOST_DEVICE double operator()(double a, double b) const { return a < b ? b : a; }
};

inline void fill(std::size_t n, double value, double* x) { thrust::fill(thrust::device, x, x + n, value); }
inline double dot(std::size_t n, const double* x, const double* y) {
  return thrust::inner_product(thrust::device, x, x + n, y, 0.0);
}
inline void axpy(std::size_t n, double a, const double* x, double* y) {
  thrust::transform(thrust::device, x, x + n, y, y, AxpyOp{a});
}
inline void xpby(std::size_t n, const double* x, double b, double* y) {
  thrust::transform(thrust::device, x, x + n, y, y, XpbyOp{b});
}
inline void axpby(std::size_t n, double a, const double* x, double b, double* y) {
  thrust::transform(thrust::device, x, x + n, y, y, AxpbyOp{a, b});
}
inline void multiply(std::size_t n, const double* x, const double* y, double* z) {
  thrust::transform(thrust::device, x, x + n, y, z, MultiplyOp{});
}
inline double max_abs(std::size_t n, const double* x) {
  return thrust::transform_reduce(thrust::device, x, x + n, AbsOp{}, 0.0, MaxOp{});
}

// NaN and +-Inf are the values for which v - v is not 0 (NaN - NaN and Inf - Inf are NaN); this
// needs no isfinite() in device code and holds under IEEE 754 without -ffast-math.
struct NonFiniteEntry {
  const double* x;
  const double* mask;
  double mask_threshold;
  HF_HOST_DEVICE NonFiniteScan operator()(std::int64_t i) const {
    NonFiniteScan r;
    if (mask) {
      const double m = mask[i] < 0 ? -mask[i] : mask[i];
      if (!(m > mask_threshold)) return r;
    }
    const double v = x[i];
    if (!(v - v == 0.0)) {
      r.count = 1;
      r.first = i;
    }
    return r;
  }
};
struct CombineNonFinite {
  HF_HOST_DEVICE NonFiniteScan operator()(const NonFiniteScan& a, const NonFiniteScan& b) const {
    NonFiniteScan r;
    r.count = a.count + b.count;
    r.first = a.first < 0 ? b.first : (b.first < 0 ? a.first : (a.first < b.first ? a.first : b.first));
    return r;
  }
};
inline NonFiniteScan scan_non_finite(std::size_t n, const double* x, const double* mask, double mask_threshold) {
  if (n == 0) return NonFiniteScan{};
  return thrust::transform_reduce(thrust::device, thrust::counting_iterator<std::int64_t>(0),
                                  thrust::counting_iterator<std::int64_t>(static_cast<std::int64_t>(n)),
                                  NonFiniteEntry{x, mask, mask_threshold}, NonFiniteScan{}, CombineNonFinite{});
}

// ------------------------------------------------------------------ sparse
struct CsrRowProduct {
  CsrView a;
  const double* x;
  double* y;
  HF_HOST_DEVICE void operator()(index_t row) const {
    double sum = 0.0;
    for (index_t k = a.row_ptr[row]; k < a.row_ptr[row + 1]; ++k) sum += a.val[k] * x[a.col[k]];
    y[row] = sum;
  }
};
inline void spmv(const CsrView& a, const double* x, double* y) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(a.rows),
                   CsrRowProduct{a, x, y});
}
// r = b - A x with error-free transformations (Ogita, Rump & Oishi 2005, "Accurate sum and dot
// product", SIAM J Sci Comput 26:1955; TwoProduct via fma, TwoSum of Knuth): the residual is
// computed as if in twice the working precision, so iterative refinement can drive the TRUE
// residual below what plain double arithmetic resolves on high-contrast networks.
struct CompensatedResidualRow {
  CsrView a;
  const double* x;
  const double* b;
  double* r;
  HF_HOST_DEVICE void operator()(index_t row) const {
    double sum = b[row], err = 0.0;
    for (index_t k = a.row_ptr[row]; k < a.row_ptr[row + 1]; ++k) {
      const double p = -a.val[k] * x[a.col[k]];
      const double p_err = fma(-a.val[k], x[a.col[k]], -p);  // TwoProduct: p + p_err == -a*x exactly
      const double t = sum + p;                              // TwoSum(sum, p)
      const double z = t - sum;
      err += (sum - (t - z)) + (p - z) + p_err;
      sum = t;
    }
    r[row] = sum + err;
  }
};
inline void compensated_residual(const CsrView& a, const double* x, const double* b, double* r) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(a.rows),
                   CompensatedResidualRow{a, x, b, r});
}
// Componentwise (Oettli-Prager) backward error of an approximate solution x of A x = b with residual
// r = b - A x: omega = max_i |r_i| / (|A| |x| + |b|)_i (Oettli & Prager 1964, Numer. Math. 6:405;
// Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., Thm 7.3). x solves a system whose
// every entry differs from A's and b's by at most the relative amount omega; iterative refinement in
// working precision drives omega to O(eps) (Skeel 1980, Math. Comp. 35:817), where it stops helping.
// Rows whose denominator is 0 contribute 0 when r_i = 0 and +inf otherwise.
struct BackwardErrorRow {
  CsrView a;
  const double* x;
  const double* b;
  const double* r;
  HF_HOST_DEVICE double operator()(index_t row) const {
    double scale = fabs(b[row]);
    for (index_t k = a.row_ptr[row]; k < a.row_ptr[row + 1]; ++k) scale += fabs(a.val[k] * x[a.col[k]]);
    const double ri = fabs(r[row]);
    if (scale > 0.0) return ri / scale;
    return ri == 0.0 ? 0.0 : HUGE_VAL;
  }
};
inline double componentwise_backward_error(const CsrView& a, const double* x, const double* b, const double* r) {
  return thrust::transform_reduce(thrust::device, thrust::counting_iterator<index_t>(0),
                                  thrust::counting_iterator<index_t>(a.rows), BackwardErrorRow{a, x, b, r}, 0.0, MaxOp{});
}
struct InverseDiagonalOp {
  CsrView a;
  double* inv_diag;
  HF_HOST_DEVICE void operator()(index_t row) const {
    double d = 0.0;
    for (index_t k = a.row_ptr[row]; k < a.row_ptr[row + 1]; ++k)
      if (a.col[k] == row) d = a.val[k];
    inv_diag[row] = d != 0.0 ? 1.0 / d : 1.0;
  }
};
inline void inverse_diagonal(const CsrView& a, double* inv_diag) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(a.rows),
                   InverseDiagonalOp{a, inv_diag});
}

// Row-indexed sparse update (KernelSet::csr_gather_update): the levels of the low-degree elimination
// (forward condensation and back substitution) and the AMG prolongation x_fine += P x_coarse.
struct CsrGatherUpdateRow {
  CsrView a;
  const index_t* rows;
  const double* row_scale;
  const double* x;
  double* y;
  HF_HOST_DEVICE void operator()(index_t r) const {
    const index_t i = rows ? rows[r] : r;
    double sum = (row_scale ? row_scale[r] : 1.0) * y[i];
    for (index_t k = a.row_ptr[r]; k < a.row_ptr[r + 1]; ++k) sum += a.val[k] * x[a.col[k]];
    y[i] = sum;
  }
};
inline void csr_gather_update(const CsrView& a, const index_t* rows, const double* row_scale, const double* x,
                              double* y) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(a.rows),
                   CsrGatherUpdateRow{a, rows, row_scale, x, y});
}
// SELL-C-sigma (kernels.hpp SellView): row i is lane i % C of chunk i / C; its entries are C apart.
struct SellRowProduct {
  SellView a;
  const double* x;
  HF_HOST_DEVICE double operator()(index_t row) const {
    const index_t c = row / a.chunk_size, lane = row - c * a.chunk_size;
    const index_t begin = a.chunk_ptr[c] + lane, end = a.chunk_ptr[c + 1];
    double sum = a.diag[row] * x[row];
    for (index_t k = begin; k < end; k += a.chunk_size) sum += a.val[k] * x[a.col[k]];
    return sum;
  }
};
struct SellSpmvRow {
  SellRowProduct product;
  double* y;
  HF_HOST_DEVICE void operator()(index_t row) const { y[row] = product(row); }
};
inline void sell_spmv(const SellView& a, const double* x, double* y) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(a.rows),
                   SellSpmvRow{SellRowProduct{a, x}, y});
}
// Fused PCG kernel (a): q = A p, and (p, q) reduced in the same pass (p_row and q_row are in registers).
struct SellSpmvDotRow {
  SellRowProduct product;
  double* q;
  HF_HOST_DEVICE double operator()(index_t row) const {
    const double v = product(row);
    q[row] = v;
    return product.x[row] * v;
  }
};
inline double sell_spmv_dot(const SellView& a, const double* p, double* q) {
  return thrust::transform_reduce(thrust::device, thrust::counting_iterator<index_t>(0),
                                  thrust::counting_iterator<index_t>(a.rows), SellSpmvDotRow{SellRowProduct{a, p}, q},
                                  0.0, thrust::plus<double>());
}
// Fused PCG kernel (b): x += alpha p, r -= alpha q, z = D^-1 r, with (r, z) and (r, r) (Saad,
// Iterative Methods for Sparse Linear Systems, 2nd ed., Alg. 9.1, lines 3-5 and 7 in one pass).
struct PcgJacobiUpdateRow {
  double alpha;
  const double* p;
  const double* q;
  const double* inv_diag;
  double* x;
  double* r;
  double* z;
  HF_HOST_DEVICE DotPair operator()(std::int64_t i) const {
    x[i] += alpha * p[i];
    const double ri = r[i] - alpha * q[i];
    const double zi = inv_diag[i] * ri;
    r[i] = ri;
    z[i] = zi;
    DotPair d;
    d.rz = ri * zi;
    d.rr = ri * ri;
    return d;
  }
};
struct AddDotPair {
  HF_HOST_DEVICE DotPair operator()(const DotPair& a, const DotPair& b) const {
    DotPair d;
    d.rz = a.rz + b.rz;
    d.rr = a.rr + b.rr;
    return d;
  }
};
inline DotPair pcg_jacobi_update(std::size_t n, double alpha, const double* p, const double* q, const double* inv_diag,
                                 double* x, double* r, double* z) {
  return thrust::transform_reduce(thrust::device, thrust::counting_iterator<std::int64_t>(0),
                                  thrust::counting_iterator<std::int64_t>(static_cast<std::int64_t>(n)),
                                  PcgJacobiUpdateRow{alpha, p, q, inv_diag, x, r, z}, DotPair{}, AddDotPair{});
}
struct GatherOrZeroOp {
  const index_t* index;
  const double* src;
  double* dst;
  HF_HOST_DEVICE void operator()(index_t r) const { dst[r] = index[r] >= 0 ? src[index[r]] : 0.0; }
};
inline void gather_or_zero(std::size_t n, const index_t* index, const double* src, double* dst) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(n)), GatherOrZeroOp{index, src, dst});
}
struct ReciprocalOp {
  HF_HOST_DEVICE double operator()(double d) const { return d != 0.0 ? 1.0 / d : 1.0; }
};
inline void reciprocal(std::size_t n, const double* x, double* y) {
  thrust::transform(thrust::device, x, x + n, y, ReciprocalOp{});
}
struct GatherOp {
  const index_t* index;
  const double* src;
  double* dst;
  HF_HOST_DEVICE void operator()(index_t r) const { dst[r] = src[index[r]]; }
};
inline void gather(std::size_t n, const index_t* index, const double* src, double* dst) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(n)), GatherOp{index, src, dst});
}
struct ScatterOp {
  const index_t* index;
  const double* src;
  double* dst;
  HF_HOST_DEVICE void operator()(index_t r) const { dst[index[r]] = src[r]; }
};
inline void scatter(std::size_t n, const index_t* index, const double* src, double* dst) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(n)), ScatterOp{index, src, dst});
}

// ------------------------------------------------------------------ network physics
// Poiseuille's law (MODEL.md §2; Hagen 1839, Poiseuille 1840): G = pi r^4 / (8 mu L).
struct PoiseuilleConductanceOp {
  const double* radius;
  const double* length;
  const double* viscosity;
  double* conductance;
  HF_HOST_DEVICE void operator()(index_t s) const {
    const double pi = 3.14159265358979323846;
    const double r = radius[s];
    const double r2 = r * r;
    conductance[s] = pi * r2 * r2 / (8.0 * viscosity[s] * length[s]);
  }
};
inline void poiseuille_conductance(std::size_t segments, const double* radius, const double* length,
                                   const double* viscosity, double* conductance) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(segments)),
                   PoiseuilleConductanceOp{radius, length, viscosity, conductance});
}

// Mass conservation sum_e Q_e = 0 at an unknown node i with Q_e = G_e (p_i - p_j) gives row i of the
// weighted graph Laplacian: L_ii = sum_e G_e, L_ij = -sum of G_e over the segments joining i and j
// (parallel vessels between the same two nodes add their conductances) (MODEL.md §2).
struct AssembleLaplacianRow {
  LaplacianPattern p;
  const double* conductance;
  double* values;
  HF_HOST_DEVICE void operator()(index_t row) const {
    const index_t node = p.row_node[row];
    for (index_t k = p.row_ptr[row]; k < p.row_ptr[row + 1]; ++k) {
      const index_t column = p.col[k];
      double sum = 0.0;
      for (index_t j = p.adj_ptr[node]; j < p.adj_ptr[node + 1]; ++j)
        if (column == row || p.node_unknown[p.adj_other[j]] == column) sum += conductance[p.adj_segment[j]];
      values[k] = column == row ? sum : -sum;
    }
  }
};
inline void assemble_laplacian(const LaplacianPattern& p, const double* conductance, double* values) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(p.unknowns),
                   AssembleLaplacianRow{p, conductance, values});
}
struct AssembleRhsRow {
  LaplacianPattern p;
  const double* conductance;
  const double* node_pressure_bc;
  const double* node_inflow;
  double* rhs;
  HF_HOST_DEVICE void operator()(index_t row) const {
    const index_t node = p.row_node[row];
    double b = node_inflow[node];
    for (index_t j = p.adj_ptr[node]; j < p.adj_ptr[node + 1]; ++j) {
      const index_t other = p.adj_other[j];
      if (p.node_unknown[other] < 0) b += conductance[p.adj_segment[j]] * node_pressure_bc[other];
    }
    rhs[row] = b;
  }
};
inline void assemble_rhs(const LaplacianPattern& p, const double* conductance, const double* node_pressure_bc,
                         const double* node_inflow, double* rhs) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(p.unknowns),
                   AssembleRhsRow{p, conductance, node_pressure_bc, node_inflow, rhs});
}
struct ExpandPressureOp {
  const index_t* node_unknown;
  const double* x;
  const double* node_pressure_bc;
  double* node_pressure;
  HF_HOST_DEVICE void operator()(index_t node) const {
    const index_t row = node_unknown[node];
    node_pressure[node] = row >= 0 ? x[row] : node_pressure_bc[node];
  }
};
inline void expand_pressure(std::size_t nodes, const index_t* node_unknown, const double* x,
                            const double* node_pressure_bc, double* node_pressure) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(nodes)),
                   ExpandPressureOp{node_unknown, x, node_pressure_bc, node_pressure});
}
// Poiseuille flow Q = G (p_a - p_b), positive from node a to node b (MODEL.md §2).
struct SegmentFlowOp {
  const index_t* from;
  const index_t* to;
  const double* conductance;
  const double* node_pressure;
  double* flow;
  HF_HOST_DEVICE void operator()(index_t s) const {
    flow[s] = conductance[s] * (node_pressure[from[s]] - node_pressure[to[s]]);
  }
};
inline void segment_flow(std::size_t segments, const index_t* from, const index_t* to, const double* conductance,
                         const double* node_pressure, double* flow) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(segments)),
                   SegmentFlowOp{from, to, conductance, node_pressure, flow});
}
// Mean velocity v = Q / (pi r^2); wall shear stress of Poiseuille flow tau = 4 mu |Q| / (pi r^3)
// (MODEL.md §2 "Derived").
struct VelocityShearOp {
  const double* flow;
  const double* radius;
  const double* viscosity;
  double* velocity;
  double* wall_shear_stress;
  HF_HOST_DEVICE void operator()(index_t s) const {
    const double pi = 3.14159265358979323846;
    const double r = radius[s];
    const double q = flow[s];
    velocity[s] = q / (pi * r * r);
    wall_shear_stress[s] = 4.0 * viscosity[s] * (q < 0 ? -q : q) / (pi * r * r * r);
  }
};
inline void velocity_and_shear(std::size_t segments, const double* flow, const double* radius, const double* viscosity,
                               double* velocity, double* wall_shear_stress) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(segments)),
                   VelocityShearOp{flow, radius, viscosity, velocity, wall_shear_stress});
}
struct NodeNetOutflowOp {
  const index_t* adj_ptr;
  const index_t* adj_segment;
  const index_t* from;
  const double* flow;
  double* net;
  HF_HOST_DEVICE void operator()(index_t node) const {
    double sum = 0.0;
    for (index_t j = adj_ptr[node]; j < adj_ptr[node + 1]; ++j) {
      const index_t s = adj_segment[j];
      sum += from[s] == node ? flow[s] : -flow[s];
    }
    net[node] = sum;
  }
};
inline void node_net_outflow(std::size_t nodes, const index_t* adj_ptr, const index_t* adj_segment, const index_t* from,
                             const double* flow, double* net_outflow) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(nodes)),
                   NodeNetOutflowOp{adj_ptr, adj_segment, from, flow, net_outflow});
}

// ------------------------------------------------------------------ remodelling (MODEL.md §4-5)
struct RemodelSegmentOp {
  remodel::RemodelParameters p;
  remodel::RemodelFields f;
  HF_HOST_DEVICE void operator()(index_t s) const { remodel::remodel_segment(s, p, f); }
};

inline void remodel_segments(std::size_t segments, const remodel::RemodelParameters& p, const remodel::RemodelFields& f) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(segments)), RemodelSegmentOp{p, f});
}

// ------------------------------------------------------------------ rheology (MODEL.md §2)
// Apparent viscosity mu_e = mu_plasma * eta_rel(D, H_D) with D = 2 r in um; laws in
// hepaflow/kernels/rheology.hpp (Pries et al. 1994 in vivo; Pries et al. 1992 in vitro).
struct ApparentViscosityOp {
  ViscosityParameters p;
  const double* radius;
  const double* haematocrit;
  double* viscosity;
  HF_HOST_DEVICE void operator()(index_t s) const {
    const double diameter_um = 2.0 * radius[s] * 1e6;
    if (p.law == ViscosityLaw::pries1994_invivo) {
      rheology::InVivoParameters in_vivo;
      in_vivo.mcv_correction = p.mcv_correction;
      viscosity[s] = p.plasma_viscosity * rheology::relative_viscosity_pries1994_invivo(diameter_um, haematocrit[s], in_vivo);
    } else if (p.law == ViscosityLaw::pries1992_invitro) {
      viscosity[s] = p.plasma_viscosity * rheology::relative_viscosity_pries1992_invitro(diameter_um, haematocrit[s]);
    } else {
      viscosity[s] = p.constant_viscosity;
    }
  }
};
inline void apparent_viscosity(std::size_t segments, const ViscosityParameters& p, const double* radius,
                               const double* haematocrit, double* viscosity) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(segments)),
                   ApparentViscosityOp{p, radius, haematocrit, viscosity});
}

// Discharge haematocrit at one node, downstream of its inflows (Secomb's NetFlowV2
// dishem_generalized): RBC flux hq = sum_in H_D |Q| and blood flow sum_in |Q| mix at the node; one
// outflow takes hq / flow; k > 1 outflows are split as k - 1 sequential bifurcations by the
// Pries & Secomb 2005 phase-separation law (parent diameter: the widest inflow, then the remaining
// branch), the RBC flux conserved exactly.
struct HaematocritNodeOp {
  FlowGraphView g;
  const double* flow;
  const double* radius;
  double default_haematocrit;
  int phase_separation;
  double* hd;
  /// Chain k, node after node (each node's only inflow is its predecessor's only outflow).
  HF_HOST_DEVICE void operator()(index_t k) const {
    for (index_t j = g.chain_ptr[k]; j < g.chain_ptr[k + 1]; ++j) node_update(g.level_nodes[j]);
  }
  HF_HOST_DEVICE void node_update(index_t node) const {
    const index_t ob = g.out_ptr[node], oe = g.out_ptr[node + 1];
    if (oe == ob) return;
    const index_t ib = g.in_ptr[node], ie = g.in_ptr[node + 1];
    // Blood entering from outside (boundary inflow) mixes in with its own Hd.
    const double external = g.external_inflow[node];
    const double given = g.inflow_haematocrit[node];
    double flow_sum = external, rbc_flux = external * (given == given ? given : default_haematocrit);
    double parent_diameter_um = 0.0;
    for (index_t j = ib; j < ie; ++j) {
      const index_t s = g.in_segment[j];
      const double q = flow[s] < 0 ? -flow[s] : flow[s];
      flow_sum += q;
      rbc_flux += hd[s] * q;
      const double d = 2.0 * radius[s] * 1e6;
      if (d > parent_diameter_um) parent_diameter_um = d;
    }
    if (!(flow_sum > 0.0)) {  // no measurable inflow: a source without a boundary value
      for (index_t j = ob; j < oe; ++j) hd[g.out_segment[j]] = given == given ? given : default_haematocrit;
      return;
    }
    if (oe - ob == 1 || !phase_separation) {
      for (index_t j = ob; j < oe; ++j) hd[g.out_segment[j]] = rbc_flux / flow_sum;
      return;
    }
    if (ie == ib)  // fed from outside only: the widest outflow stands for the parent vessel
      for (index_t j = ob; j < oe; ++j) {
        const double d = 2.0 * radius[g.out_segment[j]] * 1e6;
        if (d > parent_diameter_um) parent_diameter_um = d;
      }
    const rheology::PhaseSeparationParameters params;
    for (index_t j = ob; j + 1 < oe; ++j) {
      const index_t s1 = g.out_segment[j], s2 = g.out_segment[j + 1];
      const double q1 = flow[s1] < 0 ? -flow[s1] : flow[s1];
      const double d1 = 2.0 * radius[s1] * 1e6, d2 = 2.0 * radius[s2] * 1e6;
      const double fraction = rheology::rbc_fraction_pries_secomb_2005(q1 / flow_sum, d1, d2, parent_diameter_um,
                                                                       rbc_flux / flow_sum, params);
      hd[s1] = fraction * rbc_flux / q1;
      if (j + 2 < oe) {
        flow_sum -= q1;
        rbc_flux *= 1.0 - fraction;
        parent_diameter_um = d2;
      } else {
        const double q2 = flow[s2] < 0 ? -flow[s2] : flow[s2];
        hd[s2] = (1.0 - fraction) * rbc_flux / q2;
      }
    }
  }
};
inline void haematocrit_level(const FlowGraphView& g, index_t begin, index_t end, const double* flow,
                              const double* radius, double default_haematocrit, int phase_separation,
                              double* haematocrit) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(begin), thrust::counting_iterator<index_t>(end),
                   HaematocritNodeOp{g, flow, radius, default_haematocrit, phase_separation, haematocrit});
}
// Oxygen at one node, downstream of its inflows (MODEL.md §3): the O2 flux sum_in |Q| C(P_out, H_D)
// and the red-cell flux sum_in |Q| H_D mix at the node; the node PO2 is the inverse of the mixed
// content at the mixed haematocrit. Every outflow starts at that PO2: since red-cell flux and blood
// flow are conserved at the node, the outflows' O2 flux equals the inflows' exactly. Each outflow is
// then integrated along its length (lumped Krogh consumption, adaptive RK4; kernels/oxygen.hpp).
struct OxygenNodeOp {
  FlowGraphView g;
  OxygenSweepParameters p;
  OxygenSweepFields f;
  /// Chain k, node after node (each node's only inflow is its predecessor's only outflow).
  HF_HOST_DEVICE void operator()(index_t k) const {
    for (index_t j = g.chain_ptr[k]; j < g.chain_ptr[k + 1]; ++j) node_update(g.level_nodes[j]);
  }
  HF_HOST_DEVICE void node_update(index_t node) const {
    const index_t ib = g.in_ptr[node], ie = g.in_ptr[node + 1];
    // Blood entering from outside mixes in with the boundary's PO2 and Hd. Only boundary nodes have
    // external inflow, and the flow graph gives every boundary node its Hd (NaN elsewhere: unused).
    const double external = g.external_inflow[node];
    const double given_po2 = g.inflow_po2[node];
    const double po2_bc = given_po2 == given_po2 ? given_po2 : p.default_inflow_po2_mmHg;
    const double hd_bc = external > 0.0 ? g.inflow_haematocrit[node] : 0.0;
    double flow_sum = external, rbc_flux = external * hd_bc;
    double o2_flux = external * oxygen::content(po2_bc, hd_bc, p.blood);
    for (index_t j = ib; j < ie; ++j) {
      const index_t s = g.in_segment[j];
      const double q = f.flow[s] < 0 ? -f.flow[s] : f.flow[s];
      flow_sum += q;
      rbc_flux += q * f.haematocrit[s];
      o2_flux += q * oxygen::content(f.po2_out[s], f.haematocrit[s], p.blood);
    }
    const double po2 =
        flow_sum > 0.0 ? oxygen::po2_from_content(o2_flux / flow_sum, rbc_flux / flow_sum, p.blood) : po2_bc;
    f.node_po2[node] = po2;
    for (index_t j = g.out_ptr[node]; j < g.out_ptr[node + 1]; ++j) {
      const index_t s = g.out_segment[j];
      const double q = f.flow[s] < 0 ? -f.flow[s] : f.flow[s];
      if (f.sub_ptr) {  // `grid`: exchange with the tissue field, sub-segment by sub-segment
        exchange_segment(s, po2, q);
        continue;
      }
      const oxygen::SegmentOxygenResult r =
          oxygen::integrate_segment(po2, q, f.haematocrit[s], f.length[s], f.tissue_volume[s], f.max_consumption[s],
                                    p.km_mmHg, p.blood, p.rel_tolerance, p.max_substeps);
      f.po2_in[s] = po2;
      f.po2_out[s] = r.po2_out_mmHg;
      f.po2_mean[s] = r.po2_mean_mmHg;
      f.o2_flux_to_tissue[s] = r.flux_out_of_blood;
    }
  }
  /// `grid` model: walk the sub-segments of s in the flow direction from the inflow PO2.
  HF_HOST_DEVICE void exchange_segment(index_t s, double po2, double q) const {
    const index_t b = f.sub_ptr[s], e = f.sub_ptr[s + 1];
    const bool forward = f.flow[s] > 0;
    const double hd = f.haematocrit[s];
    f.po2_in[s] = po2;
    double flux = 0.0, po2_length = 0.0, length = 0.0;
    for (index_t i = 0; i < e - b; ++i) {
      const index_t k = forward ? b + i : e - 1 - i;
      const oxygen::ExchangeResult r = oxygen::exchange_subsegment(po2, q, hd, f.sub_length[k], f.sub_tissue_po2[k],
                                                                   f.sub_resistance[k], p.blood);
      f.sub_vessel_po2[k] = r.po2_mean_mmHg;
      f.sub_flux[k] = r.flux_to_tissue;
      flux += r.flux_to_tissue;
      po2_length += r.po2_mean_mmHg * f.sub_length[k];
      length += f.sub_length[k];
      po2 = oxygen::po2_from_content(r.content_out, hd, p.blood);
    }
    f.po2_out[s] = po2;
    f.po2_mean[s] = length > 0.0 ? po2_length / length : po2;
    f.o2_flux_to_tissue[s] = flux;
  }
};
inline void oxygen_level(const FlowGraphView& g, index_t begin, index_t end, const OxygenSweepParameters& p,
                         const OxygenSweepFields& f) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(begin), thrust::counting_iterator<index_t>(end),
                   OxygenNodeOp{g, p, f});
}
struct LerpOp {
  double t;
  HF_HOST_DEVICE double operator()(double x, double y) const { return y + t * (x - y); }
};
inline void lerp(std::size_t n, double t, const double* x, double* y) {
  thrust::transform(thrust::device, x, x + n, y, y, LerpOp{t});
}
struct ClampOp {
  double lo, hi;
  HF_HOST_DEVICE double operator()(double x) const { return x < lo ? lo : (x > hi ? hi : x); }
};
inline void clamp(std::size_t n, double lo, double hi, double* x) {
  thrust::transform(thrust::device, x, x + n, x, ClampOp{lo, hi});
}
struct AbsDifferenceOp {
  HF_HOST_DEVICE double operator()(double x, double y) const { return x < y ? y - x : x - y; }
};
inline double max_abs_difference(std::size_t n, const double* x, const double* y) {
  return thrust::inner_product(thrust::device, x, x + n, y, 0.0, MaxOp{}, AbsDifferenceOp{});
}

// ------------------------------------------------------------------ tissue grid (MODEL.md §3 `grid`)
struct GridApplyOp {
  GridView g;
  const double* absorption;
  const double* x;
  double* y;
  HF_HOST_DEVICE void operator()(index_t c) const {
    const index_t i = c % g.nx, j = (c / g.nx) % g.ny, k = c / (g.nx * g.ny);
    const index_t sy = g.nx, sz = g.nx * g.ny;
    const double xc = x[c];
    double sum = absorption[c] * xc;
    if (i > 0) sum += g.gx * (xc - x[c - 1]);
    if (i + 1 < g.nx) sum += g.gx * (xc - x[c + 1]);
    if (j > 0) sum += g.gy * (xc - x[c - sy]);
    if (j + 1 < g.ny) sum += g.gy * (xc - x[c + sy]);
    if (k > 0) sum += g.gz * (xc - x[c - sz]);
    if (k + 1 < g.nz) sum += g.gz * (xc - x[c + sz]);
    y[c] = sum;
  }
};
inline void grid_apply(const GridView& g, const double* absorption, const double* x, double* y) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(g.cells()),
                   GridApplyOp{g, absorption, x, y});
}
struct GridInverseDiagonalOp {
  GridView g;
  const double* absorption;
  double* inv_diag;
  HF_HOST_DEVICE void operator()(index_t c) const {
    const index_t i = c % g.nx, j = (c / g.nx) % g.ny, k = c / (g.nx * g.ny);
    double d = absorption[c];
    d += g.gx * ((i > 0) + (i + 1 < g.nx));
    d += g.gy * ((j > 0) + (j + 1 < g.ny));
    d += g.gz * ((k > 0) + (k + 1 < g.nz));
    inv_diag[c] = d > 0.0 ? 1.0 / d : 0.0;  // an isolated cell without absorption: left alone
  }
};
inline void grid_inverse_diagonal(const GridView& g, const double* absorption, double* inv_diag) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(g.cells()),
                   GridInverseDiagonalOp{g, absorption, inv_diag});
}
struct GridRestrictOp {
  GridView fine, coarse;
  const double* fine_values;
  double* coarse_values;
  HF_HOST_DEVICE void operator()(index_t c) const {
    const index_t i = c % coarse.nx, j = (c / coarse.nx) % coarse.ny, k = c / (coarse.nx * coarse.ny);
    double sum = 0.0;
    for (index_t dk = 0; dk < 2; ++dk)
      for (index_t dj = 0; dj < 2; ++dj)
        for (index_t di = 0; di < 2; ++di) {
          const index_t fi = 2 * i + di, fj = 2 * j + dj, fk = 2 * k + dk;
          if (fi < fine.nx && fj < fine.ny && fk < fine.nz) sum += fine_values[fi + fine.nx * (fj + fine.ny * fk)];
        }
    coarse_values[c] = sum;
  }
};
inline void grid_restrict(const GridView& fine, const GridView& coarse, const double* fine_values,
                          double* coarse_values) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(coarse.cells()),
                   GridRestrictOp{fine, coarse, fine_values, coarse_values});
}
struct GridProlongOp {
  GridView fine, coarse;
  const double* coarse_values;
  double* fine_values;
  HF_HOST_DEVICE void operator()(index_t c) const {
    const index_t i = c % fine.nx, j = (c / fine.nx) % fine.ny, k = c / (fine.nx * fine.ny);
    fine_values[c] += coarse_values[i / 2 + coarse.nx * (j / 2 + coarse.ny * (k / 2))];
  }
};
inline void grid_prolong_add(const GridView& fine, const GridView& coarse, const double* coarse_values,
                             double* fine_values) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0), thrust::counting_iterator<index_t>(fine.cells()),
                   GridProlongOp{fine, coarse, coarse_values, fine_values});
}
struct MichaelisMentenLineariseOp {
  double cell_volume, km;
  const double* m0;
  const double* po2;
  double* absorption;
  double* source;
  HF_HOST_DEVICE void operator()(index_t c) const {
    // M = M0 P/(P+Km), M' = M0 Km/(P+Km)^2 for P > 0; M = 0 for P <= 0 (oxygen.hpp). Linearised
    // about max(P0, 0) with the right-hand derivative there (M0/Km at 0): an iterate that overshot
    // below zero then sees the full sink slope instead of none, which keeps Newton from oscillating
    // between "no consumption" and "consumption at saturation" when Km is small (Km = 1 mmHg liver).
    const double p0 = po2[c] > 0.0 ? po2[c] : 0.0;
    const double denom = p0 + km;
    const double m = denom > 0.0 ? m0[c] * p0 / denom : 0.0;
    const double dm = denom > 0.0 ? m0[c] * km / (denom * denom) : 0.0;
    absorption[c] = cell_volume * dm;
    source[c] = cell_volume * (m - dm * p0);
  }
};
inline void michaelis_menten_linearise(std::size_t cells, double cell_volume, const double* m0, double km_mmHg,
                                       const double* po2, double* absorption, double* source) {
  thrust::for_each(thrust::device, thrust::counting_iterator<index_t>(0),
                   thrust::counting_iterator<index_t>(static_cast<index_t>(cells)),
                   MichaelisMentenLineariseOp{cell_volume, km_mmHg, m0, po2, absorption, source});
}
struct MichaelisMentenFieldOp {
  double km;
  HF_HOST_DEVICE double operator()(double m0, double p) const { return oxygen::michaelis_menten(p, m0, km); }
};
inline void michaelis_menten_field(std::size_t cells, const double* m0, double km_mmHg, const double* po2,
                                   double* consumption) {
  thrust::transform(thrust::device, m0, m0 + cells, po2, consumption, MichaelisMentenFieldOp{km_mmHg});
}

/// The compute entries of this backend's KernelSet (memory entries are filled by the backend).
inline KernelSet common_kernel_set() {
  KernelSet k{};
  k.fill = &fill;
  k.dot = &dot;
  k.axpy = &axpy;
  k.xpby = &xpby;
  k.axpby = &axpby;
  k.multiply = &multiply;
  k.max_abs = &max_abs;
  k.scan_non_finite = &scan_non_finite;
  k.spmv = &spmv;
  k.compensated_residual = &compensated_residual;
  k.componentwise_backward_error = &componentwise_backward_error;
  k.inverse_diagonal = &inverse_diagonal;
  k.csr_gather_update = &csr_gather_update;
  k.gather = &gather;
  k.sell_spmv = &sell_spmv;
  k.sell_spmv_dot = &sell_spmv_dot;
  k.pcg_jacobi_update = &pcg_jacobi_update;
  k.gather_or_zero = &gather_or_zero;
  k.reciprocal = &reciprocal;
  k.scatter = &scatter;
  k.poiseuille_conductance = &poiseuille_conductance;
  k.assemble_laplacian = &assemble_laplacian;
  k.assemble_rhs = &assemble_rhs;
  k.expand_pressure = &expand_pressure;
  k.segment_flow = &segment_flow;
  k.velocity_and_shear = &velocity_and_shear;
  k.node_net_outflow = &node_net_outflow;
  k.remodel_segments = &remodel_segments;
  k.apparent_viscosity = &apparent_viscosity;
  k.haematocrit_level = &haematocrit_level;
  k.lerp = &lerp;
  k.clamp = &clamp;
  k.oxygen_level = &oxygen_level;
  k.max_abs_difference = &max_abs_difference;
  k.grid_apply = &grid_apply;
  k.grid_inverse_diagonal = &grid_inverse_diagonal;
  k.grid_restrict = &grid_restrict;
  k.grid_prolong_add = &grid_prolong_add;
  k.michaelis_menten_linearise = &michaelis_menten_linearise;
  k.michaelis_menten_field = &michaelis_menten_field;
  return k;
}

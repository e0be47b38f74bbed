#include "hepaflow/flow/rheology.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

#include "hepaflow/error.hpp"
#include "hepaflow/finite_check.hpp"
#include "hepaflow/units.hpp"
#include "hepaflow/parallel/mpi.hpp"
#include "petsc_solver.hpp"

namespace hepaflow {

FlowGraph::FlowGraph(const KernelSet& k, const Network& net, const std::vector<double>& flow,
                     double default_haematocrit, double default_po2_mmHg, bool collapse_chains) {
  const std::size_t n = net.num_nodes(), m = net.num_segments();
  double max_flow = 0;
  for (double q : flow) max_flow = std::max(max_flow, std::abs(q));
  // Segments carrying less than 1e-13 of the largest flow are stagnant at solver precision: they
  // join no transport path (NetFlowV2's flowtest excludes zero-flow segments likewise).
  const double zero = 1e-13 * max_flow;
  std::vector<index_t> in_count(n + 1, 0), out_count(n + 1, 0);
  std::vector<index_t> upstream(m, -1), downstream(m, -1);
  for (std::size_t s = 0; s < m; ++s) {
    if (!(std::abs(flow[s]) > zero)) {
      ++zero_flow_;
      continue;
    }
    const bool forward = flow[s] > 0;
    upstream[s] = forward ? net.segment_from[s] : net.segment_to[s];
    downstream[s] = forward ? net.segment_to[s] : net.segment_from[s];
    ++out_count[upstream[s] + 1];
    ++in_count[downstream[s] + 1];
  }
  std::vector<index_t> in_ptr(n + 1, 0), out_ptr(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    in_ptr[i + 1] = in_ptr[i] + in_count[i + 1];
    out_ptr[i + 1] = out_ptr[i] + out_count[i + 1];
  }
  std::vector<index_t> in_segment(in_ptr[n]), out_segment(out_ptr[n]);
  {
    std::vector<index_t> in_fill(in_ptr.begin(), in_ptr.end() - 1), out_fill(out_ptr.begin(), out_ptr.end() - 1);
    for (std::size_t s = 0; s < m; ++s) {  // ascending segment index within each node
      if (upstream[s] < 0) continue;
      out_segment[out_fill[upstream[s]]++] = static_cast<index_t>(s);
      in_segment[in_fill[downstream[s]]++] = static_cast<index_t>(s);
    }
  }
  const auto in_degree = [&](index_t i) { return in_ptr[i + 1] - in_ptr[i]; };
  const auto out_degree = [&](index_t i) { return out_ptr[i + 1] - out_ptr[i]; };
  // Chains (collapse_chains): a node whose only inflow is the only outflow of its upstream node needs
  // nothing but that node, so it joins that node's chain, walked by the same thread right after it.
  // Every other node with segments heads a chain. Each node belongs to one chain, every chain is a
  // path (the flow graph is acyclic), and only chain heads wait for other chains.
  const auto continues_chain = [&](index_t i) {
    return collapse_chains && in_degree(i) == 1 && out_degree(upstream[in_segment[in_ptr[i]]]) == 1;
  };
  std::vector<index_t> level_nodes, chain_ptr{0};
  level_nodes.reserve(n);
  std::vector<char> placed(n, 0);
  const auto push_chain = [&](index_t head) {
    index_t node = head;
    for (;;) {
      level_nodes.push_back(node);
      placed[node] = 1;
      if (out_degree(node) != 1) break;
      const index_t next = downstream[out_segment[out_ptr[node]]];
      if (!continues_chain(next)) break;
      node = next;
    }
    chain_ptr.push_back(static_cast<index_t>(level_nodes.size()));
  };
  // Kahn's algorithm on the chains, level by level: a chain's level is one more than the deepest
  // chain holding an upstream node of its head.
  std::vector<index_t> remaining(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto node = static_cast<index_t>(i);
    remaining[i] = in_degree(node);
    if (remaining[i] == 0 && out_degree(node) > 0) push_chain(node);
  }
  level_offsets_ = {0};
  std::size_t begin = 0;
  while (begin + 1 < chain_ptr.size()) {
    const std::size_t end = chain_ptr.size() - 1;
    level_offsets_.push_back(static_cast<index_t>(end));
    for (std::size_t c = begin; c < end; ++c)
      for (index_t j = chain_ptr[c]; j < chain_ptr[c + 1]; ++j) {
        const index_t node = level_nodes[j];
        for (index_t o = out_ptr[node]; o < out_ptr[node + 1]; ++o) {
          const index_t d = downstream[out_segment[o]];
          if (continues_chain(d)) continue;  // the next node of this chain
          if (--remaining[d] == 0) push_chain(d);
        }
      }
    begin = end;
  }
  std::size_t unreached = 0;
  for (std::size_t i = 0; i < n; ++i) unreached += !placed[i] && in_ptr[i + 1] > in_ptr[i];
  if (unreached)
    throw Error(ExitCode::runtime_error, "flow graph has a cycle through " + std::to_string(unreached) +
                                             " nodes (flows inconsistent with a pressure field)");
  std::vector<double> inflow_hd(n, std::numeric_limits<double>::quiet_NaN()), inflow_po2 = inflow_hd;
  std::vector<double> external_inflow(n, 0.0);
  for (const auto& bc : net.boundaries) {
    inflow_hd[bc.node] = std::isnan(bc.haematocrit) ? default_haematocrit : bc.haematocrit;
    inflow_po2[bc.node] = std::isnan(bc.po2_mmHg) ? default_po2_mmHg : bc.po2_mmHg;
  }
  // Blood entering from outside at boundary nodes: the node's segment outflow minus its inflow.
  for (const auto& bc : net.boundaries) {
    double net_out = 0;
    for (index_t o = out_ptr[bc.node]; o < out_ptr[bc.node + 1]; ++o) net_out += std::abs(flow[out_segment[o]]);
    for (index_t i = in_ptr[bc.node]; i < in_ptr[bc.node + 1]; ++i) net_out -= std::abs(flow[in_segment[i]]);
    external_inflow[bc.node] = std::max(0.0, net_out);
  }

  k_ = &k;
  level_nodes_host_ = level_nodes;
  chain_ptr_host_ = chain_ptr;
  out_ptr_host_ = out_ptr;
  out_segment_host_ = out_segment;
  level_nodes_ = DeviceArray<index_t>(k, level_nodes);
  chain_ptr_ = DeviceArray<index_t>(k, chain_ptr);
  in_ptr_ = DeviceArray<index_t>(k, in_ptr);
  in_segment_ = DeviceArray<index_t>(k, in_segment);
  out_ptr_ = DeviceArray<index_t>(k, out_ptr);
  out_segment_ = DeviceArray<index_t>(k, out_segment);
  inflow_haematocrit_ = DeviceArray<double>(k, inflow_hd);
  inflow_po2_ = DeviceArray<double>(k, inflow_po2);
  external_inflow_ = DeviceArray<double>(k, external_inflow);
  external_inflow_host_ = std::move(external_inflow);
}

kernels::FlowGraphView FlowGraph::view() const {
  kernels::FlowGraphView g;
  g.level_nodes = level_nodes_.data();
  g.chain_ptr = chain_ptr_.data();
  g.in_ptr = in_ptr_.data();
  g.in_segment = in_segment_.data();
  g.out_ptr = out_ptr_.data();
  g.out_segment = out_segment_.data();
  g.inflow_haematocrit = inflow_haematocrit_.data();
  g.inflow_po2 = inflow_po2_.data();
  g.external_inflow = external_inflow_.data();
  return g;
}

void FlowGraph::distribute(const Network& net) {
  const int ranks = parallel::size();
  if (ranks <= 1 || std::string(k_->backend_name) != "cpu") return;
  ranks_ = ranks;
  rank_ = parallel::rank();
  const std::size_t n = net.num_nodes();
  std::vector<double> position(3 * n);
  for (std::size_t i = 0; i < n; ++i) {
    position[3 * i] = net.x[i];
    position[3 * i + 1] = net.y[i];
    position[3 * i + 2] = net.z[i];
  }
  const std::vector<int> part = detail::coordinate_bisection(position, ranks);  // the same on every rank
  // Within each level, chains of rank 0 first, then rank 1, ...: a chain belongs to the rank of its
  // head node (one rank walks the whole chain), and a level's chains are independent, so the order
  // changes nothing but who sweeps which.
  const std::size_t chains = chain_ptr_host_.size() - 1;
  std::vector<index_t> order(chains);
  for (std::size_t c = 0; c < chains; ++c) order[c] = static_cast<index_t>(c);
  const auto head_part = [&](index_t c) { return part[level_nodes_host_[chain_ptr_host_[c]]]; };
  rank_offsets_.assign((level_offsets_.size() - 1) * static_cast<std::size_t>(ranks + 1), 0);
  for (std::size_t l = 0; l + 1 < level_offsets_.size(); ++l) {
    const auto begin = order.begin() + level_offsets_[l], end = order.begin() + level_offsets_[l + 1];
    std::stable_sort(begin, end, [&](index_t a, index_t b) { return head_part(a) < head_part(b); });
    index_t* offsets = &rank_offsets_[l * static_cast<std::size_t>(ranks + 1)];
    offsets[0] = level_offsets_[l];
    auto it = begin;
    for (int r = 0; r < ranks; ++r) {
      while (it != end && head_part(*it) == r) ++it;
      offsets[r + 1] = level_offsets_[l] + static_cast<index_t>(it - begin);
    }
  }
  std::vector<index_t> nodes, ptr{0};
  nodes.reserve(level_nodes_host_.size());
  ptr.reserve(chains + 1);
  for (index_t c : order) {
    nodes.insert(nodes.end(), level_nodes_host_.begin() + chain_ptr_host_[c],
                 level_nodes_host_.begin() + chain_ptr_host_[c + 1]);
    ptr.push_back(static_cast<index_t>(nodes.size()));
  }
  level_nodes_host_ = std::move(nodes);
  chain_ptr_host_ = std::move(ptr);
  level_nodes_ = DeviceArray<index_t>(*k_, level_nodes_host_);
  chain_ptr_ = DeviceArray<index_t>(*k_, chain_ptr_host_);
}

std::pair<index_t, index_t> FlowGraph::level_range(std::size_t l) const {
  if (ranks_ <= 1) return {level_offsets_[l], level_offsets_[l + 1]};
  const index_t* offsets = &rank_offsets_[l * static_cast<std::size_t>(ranks_ + 1)];
  return {offsets[rank_], offsets[rank_ + 1]};
}

void FlowGraph::exchange_level(std::size_t l, const std::vector<double*>& segment_arrays,
                               const std::vector<double*>& node_arrays) const {
  if (ranks_ <= 1) return;
  const index_t* offsets = &rank_offsets_[l * static_cast<std::size_t>(ranks_ + 1)];
  // What rank r wrote in level l: per node array the values of the nodes of its chains, per segment
  // array the values of their outflow segments (each segment has one upstream node, so one writer).
  // The nodes of rank r's chains of level l are level_nodes[first(r), first(r + 1)).
  const auto first = [&](int r) { return chain_ptr_host_[offsets[r]]; };
  auto count_of = [&](int r) {
    std::size_t segments = 0;
    for (index_t j = first(r); j < first(r + 1); ++j) {
      const index_t node = level_nodes_host_[j];
      segments += static_cast<std::size_t>(out_ptr_host_[node + 1] - out_ptr_host_[node]);
    }
    return static_cast<int>(node_arrays.size() * static_cast<std::size_t>(first(r + 1) - first(r)) +
                            segment_arrays.size() * segments);
  };
  auto visit = [&](int r, auto&& value) {  // value(double&) for every entry rank r wrote, in a fixed order
    for (double* a : node_arrays)
      for (index_t j = first(r); j < first(r + 1); ++j) value(a[level_nodes_host_[j]]);
    for (double* a : segment_arrays)
      for (index_t j = first(r); j < first(r + 1); ++j) {
        const index_t node = level_nodes_host_[j];
        for (index_t o = out_ptr_host_[node]; o < out_ptr_host_[node + 1]; ++o) value(a[out_segment_host_[o]]);
      }
  };
  std::vector<int> counts(static_cast<std::size_t>(ranks_));
  for (int r = 0; r < ranks_; ++r) counts[static_cast<std::size_t>(r)] = count_of(r);
  std::vector<double> mine;
  mine.reserve(static_cast<std::size_t>(counts[static_cast<std::size_t>(rank_)]));
  visit(rank_, [&](double& v) { mine.push_back(v); });
  const std::vector<double> all = parallel::allgather(mine, counts);
  std::size_t at = 0;
  for (int r = 0; r < ranks_; ++r) {
    if (r == rank_) {
      at += static_cast<std::size_t>(counts[static_cast<std::size_t>(r)]);
      continue;
    }
    visit(r, [&](double& v) { v = all[at++]; });
  }
}

void haematocrit_sweep(const KernelSet& k, const FlowGraph& graph, const DeviceArray<double>& flow,
                       const DeviceArray<double>& radius, double default_haematocrit, bool phase_separation,
                       DeviceArray<double>& haematocrit) {
  const auto g = graph.view();
  const auto& offsets = graph.level_offsets();
  // One launch per level: the chains of a level are independent; each segment is written by its
  // upstream node only, after every segment feeding that node (earlier levels, or the node before it
  // in its chain). Distributed: this rank's chains of the level, then the level's values are exchanged.
  for (std::size_t l = 0; l + 1 < offsets.size(); ++l) {
    const auto [begin, end] = graph.level_range(l);
    k.haematocrit_level(g, begin, end, flow.data(), radius.data(), default_haematocrit, phase_separation ? 1 : 0,
                        haematocrit.data());
    graph.exchange_level(l, {haematocrit.data()}, {});
  }
}

namespace {

/// Anderson acceleration of a fixed-point iteration x <- G(x) (Walker & Ni 2011, SIAM J Numer Anal
/// 49:1715, Algorithm AA with mixing parameter beta), on the backend. With f = G(x) - x and the
/// differences of the last m iterates and residuals, dX_i = x_{i+1} - x_i and dF_i = f_{i+1} - f_i,
///   gamma = argmin || f_k - dF gamma ||_2,    x_{k+1} = x_k + beta f_k - (dX + beta dF) gamma
/// (beta = 1: x_{k+1} = G(x_k) - dG gamma). The least-squares problem is solved by a modified
/// Gram-Schmidt QR of dF (Walker & Ni §4); while its condition estimate max|R_ii| / min|R_ii|
/// exceeds max_condition the oldest difference is dropped. Without differences the step is the
/// damped Picard step x_k + beta f_k.
class AndersonAccelerator {
 public:
  AndersonAccelerator(const KernelSet& k, std::size_t n, int depth, double beta)
      : k_(k), n_(n), depth_(std::max(1, depth)), beta_(beta), x_prev_(k, n), f_prev_(k, n), scratch_(k, n) {}

  /// Forget the differences (after a rejected step: the next iterate does not follow the last).
  void restart() {
    has_prev_ = false;
    dx_.clear();
    df_.clear();
  }

  /// Next iterate from x and its residual f into next (next may not alias x or f). Returns the number
  /// of differences used (0: a damped Picard step).
  int step(const DeviceArray<double>& x, const DeviceArray<double>& f, DeviceArray<double>& next) {
    if (has_prev_) {
      if (static_cast<int>(dx_.size()) == depth_) {  // the oldest pair's storage becomes the newest
        std::rotate(dx_.begin(), dx_.begin() + 1, dx_.end());
        std::rotate(df_.begin(), df_.begin() + 1, df_.end());
      } else {
        dx_.emplace_back(k_, n_);
        df_.emplace_back(k_, n_);
      }
      difference(x, x_prev_, dx_.back());
      difference(f, f_prev_, df_.back());
    }
    k_.copy_on_device(x_prev_.data(), x.data(), n_ * sizeof(double));
    k_.copy_on_device(f_prev_.data(), f.data(), n_ * sizeof(double));
    has_prev_ = true;
    std::vector<double> gamma;
    while (!dx_.empty() && !least_squares(f, gamma)) {
      dx_.erase(dx_.begin());  // ill-conditioned: drop the oldest difference
      df_.erase(df_.begin());
    }
    // next = x + beta f - sum_i gamma_i (dX_i + beta dF_i)
    k_.copy_on_device(next.data(), x.data(), n_ * sizeof(double));
    k_.axpy(n_, beta_, f.data(), next.data());
    for (std::size_t i = 0; i < gamma.size(); ++i) {
      k_.axpy(n_, -gamma[i], dx_[i].data(), next.data());
      k_.axpy(n_, -gamma[i] * beta_, df_[i].data(), next.data());
    }
    return static_cast<int>(gamma.size());
  }

  static constexpr double max_condition = 1e10;

 private:
  void difference(const DeviceArray<double>& a, const DeviceArray<double>& b, DeviceArray<double>& out) const {
    k_.copy_on_device(out.data(), a.data(), n_ * sizeof(double));
    k_.axpy(n_, -1.0, b.data(), out.data());
  }
  /// gamma = argmin ||f - dF gamma|| by modified Gram-Schmidt (dF = Q R, gamma = R^-1 Q^T f); false
  /// when R's condition estimate exceeds max_condition (or a column vanishes).
  bool least_squares(const DeviceArray<double>& f, std::vector<double>& gamma) {
    const std::size_t cols = df_.size();
    while (q_.size() < cols) q_.emplace_back(k_, n_);
    std::vector<double> r(cols * cols, 0.0), qtf(cols);
    double r_max = 0, r_min = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < cols; ++j) {
      k_.copy_on_device(q_[j].data(), df_[j].data(), n_ * sizeof(double));
      for (std::size_t i = 0; i < j; ++i) {
        r[i * cols + j] = k_.dot(n_, q_[i].data(), q_[j].data());
        k_.axpy(n_, -r[i * cols + j], q_[i].data(), q_[j].data());
      }
      const double norm = std::sqrt(k_.dot(n_, q_[j].data(), q_[j].data()));
      if (!(norm > 0) || !std::isfinite(norm)) return false;
      r[j * cols + j] = norm;
      r_max = std::max(r_max, norm);
      r_min = std::min(r_min, norm);
      k_.copy_on_device(scratch_.data(), q_[j].data(), n_ * sizeof(double));
      k_.fill(n_, 0.0, q_[j].data());
      k_.axpy(n_, 1.0 / norm, scratch_.data(), q_[j].data());
    }
    if (r_max > max_condition * r_min) return false;
    for (std::size_t j = 0; j < cols; ++j) qtf[j] = k_.dot(n_, q_[j].data(), f.data());
    gamma.assign(cols, 0.0);
    for (std::size_t j = cols; j-- > 0;) {  // back substitution R gamma = Q^T f
      double v = qtf[j];
      for (std::size_t i = j + 1; i < cols; ++i) v -= r[j * cols + i] * gamma[i];
      gamma[j] = v / r[j * cols + j];
    }
    return true;
  }

  const KernelSet& k_;
  std::size_t n_;
  int depth_;
  double beta_;
  bool has_prev_ = false;
  DeviceArray<double> x_prev_, f_prev_, scratch_;
  std::vector<DeviceArray<double>> dx_, df_, q_;  ///< oldest first
};

}  // namespace

RheologyReport solve_coupled_flow(const DeviceNetwork& device_net, const Network& net,
                                  const LinearSolverOptions& linear, const RheologyOptions& options,
                                  FlowFields& fields, DeviceArray<double>& haematocrit) {
  using clock = std::chrono::steady_clock;
  const KernelSet& k = device_net.kernels();
  const std::size_t m = device_net.segments();
  RheologyReport report;
  if (fields.viscosity.size() != m) fields.viscosity = DeviceArray<double>(k, m);
  FiniteCheckSite site;
  site.segment_ids = &device_net.segment_ids;
  site.node_ids = &device_net.node_ids;
  const auto value_at = [&](const DeviceArray<double>& a, std::size_t i) {
    double v = std::nan("");
    if (i < a.size()) k.copy_to_host(&v, a.data() + i, sizeof v);
    return v;
  };
  site.describe = [&](ElementKind kind, std::size_t s) {
    if (kind != ElementKind::segment) return std::string();
    std::ostringstream o;
    o << "radius " << value_at(device_net.radius, s) / units::um << " um, discharge haematocrit "
      << value_at(haematocrit, s);
    if (fields.flow.size() == m) o << ", flow " << value_at(fields.flow, s) << " m^3/s";
    return o.str();
  };
  int iteration = 0;
  const auto set_viscosity = [&] {
    k.apparent_viscosity(m, options.viscosity, device_net.radius.data(), haematocrit.data(), fields.viscosity.data());
    site.phase = "rheology iteration " + std::to_string(iteration) + " (apparent viscosity)";
    check_finite(k, site, "viscosity", ElementKind::segment, fields.viscosity.data(), m);
  };
  if (!options.phase_separation) {
    // H_D is the same in every segment: the viscosity depends on diameter only, one solve suffices.
    k.fill(m, options.default_haematocrit, haematocrit.data());
    iteration = 1;
    set_viscosity();
    report.last_solve = solve_flow(device_net, linear, fields);
    report.seconds_assemble = report.last_solve.seconds_assemble;
    report.seconds_solve = report.last_solve.seconds_solve;
    report.iterations = 1;
    std::vector<double> q = fields.flow.download();
    double max_flow = 0;
    for (double v : q) max_flow = std::max(max_flow, std::abs(v));
    for (double v : q) report.zero_flow_segments += !(std::abs(v) > 1e-13 * max_flow);
    return report;
  }
  report.acceleration = options.acceleration;
  const bool anderson = options.acceleration == "anderson";
  if (!anderson && options.acceleration != "picard")
    throw InputError("unknown solver.rheology_acceleration '" + options.acceleration + "'");
  DeviceArray<double> flow_old(k, m), hd_new(k, m);
  k.fill(m, 0.0, flow_old.data());
  // Anderson only: residual f = G(H) - H, the last accepted iterate and its residual, the candidate.
  DeviceArray<double> residual, accepted_x, accepted_f, candidate;
  const double max_discharge_haematocrit = 0.99;
  std::optional<AndersonAccelerator> accelerator;
  if (anderson) {
    for (auto* a : {&residual, &accepted_x, &accepted_f, &candidate}) *a = DeviceArray<double>(k, m);
    accelerator.emplace(k, m, options.anderson_depth, options.anderson_mixing);
  }
  double accepted_norm = std::numeric_limits<double>::infinity();
  bool extrapolated = false;  // the current iterate came from an Anderson step
  double relax = 1.0;
  for (int it = 1; it <= options.max_iterations; ++it) {
    iteration = it;
    if (!anderson && it % 5 == 0) relax *= 0.8;  // NetFlowV2 (flow.cpp): increasingly under-relaxed haematocrit
    set_viscosity();
    report.last_solve = solve_flow(device_net, linear, fields);
    report.seconds_assemble += report.last_solve.seconds_assemble;
    report.seconds_solve += report.last_solve.seconds_solve;
    const double max_flow = k.max_abs(m, fields.flow.data());
    report.max_flow_change = max_flow > 0 ? k.max_abs_difference(m, fields.flow.data(), flow_old.data()) / max_flow : 0;
    k.copy_on_device(flow_old.data(), fields.flow.data(), m * sizeof(double));
    const auto t0 = clock::now();
    FlowGraph graph(k, net, fields.flow.download(), options.default_haematocrit);
    if (linear.method == "petsc") graph.distribute(net);
    k.copy_on_device(hd_new.data(), haematocrit.data(), m * sizeof(double));
    haematocrit_sweep(k, graph, fields.flow, device_net.radius, options.default_haematocrit, true, hd_new);
    site.phase = "haematocrit transport (rheology iteration " + std::to_string(it) + ")";
    check_finite(k, site, "haematocrit", ElementKind::segment, hd_new.data(), m);
    report.seconds_sweep += std::chrono::duration<double>(clock::now() - t0).count();
    report.zero_flow_segments = graph.zero_flow_segments();
    report.max_haematocrit_change = k.max_abs_difference(m, hd_new.data(), haematocrit.data());
    report.residual_history.push_back(report.max_haematocrit_change);
    report.iterations = it;
    std::ostringstream line;
    line << "rheology iteration " << it << ": max |dQ|/max|Q| " << report.max_flow_change << ", max |dH_D| "
         << report.max_haematocrit_change;
    const bool done = it > 1 && report.max_flow_change < options.flow_tolerance &&
                      report.max_haematocrit_change < options.haematocrit_tolerance;
    if (!anderson) {
      k.lerp(m, relax, hd_new.data(), haematocrit.data());
      line << ", relaxation " << relax;
    } else if (!done) {
      // Safeguarded Anderson step (AndersonAccelerator; Walker & Ni 2011) on H with f = G(H) - H.
      if (extrapolated && report.max_haematocrit_change > accepted_norm) {
        // The extrapolated iterate raised the residual: back to the last accepted iterate, a damped
        // Picard step from there, differences forgotten.
        ++report.anderson_rejections;
        accelerator->restart();
        k.copy_on_device(haematocrit.data(), accepted_x.data(), m * sizeof(double));
        k.axpy(m, options.anderson_mixing, accepted_f.data(), haematocrit.data());
        extrapolated = false;
        line << ", Anderson step rejected (residual rose above " << accepted_norm << "): damped Picard "
             << options.anderson_mixing << " from the previous iterate";
      } else {
        k.copy_on_device(residual.data(), hd_new.data(), m * sizeof(double));
        k.axpy(m, -1.0, haematocrit.data(), residual.data());
        k.copy_on_device(accepted_x.data(), haematocrit.data(), m * sizeof(double));
        k.copy_on_device(accepted_f.data(), residual.data(), m * sizeof(double));
        accepted_norm = report.max_haematocrit_change;
        const int used = accelerator->step(haematocrit, residual, candidate);
        if (used > 0) {
          // H_D stays in [0, max_discharge_haematocrit] (the viscosity law needs H < 1): segments
          // skimmed to plasma sit at 0, and extrapolation would push them below (projected Anderson).
          k.clamp(m, 0.0, max_discharge_haematocrit, candidate.data());
          k.copy_on_device(haematocrit.data(), candidate.data(), m * sizeof(double));
          ++report.anderson_steps;
          extrapolated = true;
          line << ", Anderson step with " << used << " differences";
        } else {
          k.axpy(m, options.anderson_mixing, residual.data(), haematocrit.data());
          extrapolated = false;
          line << ", damped Picard " << options.anderson_mixing;
        }
      }
    }
    line << ", PCG iterations " << report.last_solve.iterations;
    report.log.push_back(line.str());
    if (done) {
      report.converged = true;
      break;
    }
    report.converged = false;
  }
  if (anderson) {
    // The haematocrit the final flows imply (the last sweep, unrelaxed), and the viscosity with it, as
    // the Picard branch does below.
    k.copy_on_device(haematocrit.data(), hd_new.data(), m * sizeof(double));
    set_viscosity();
  } else if (relax < 0.9999) {
    // Under-relaxed H_D is not the haematocrit the flows imply: recompute it once from the final
    // flows, unrelaxed (NetFlowV2 does the same), and the viscosity with it.
    FlowGraph graph(k, net, fields.flow.download(), options.default_haematocrit);
    if (linear.method == "petsc") graph.distribute(net);
    haematocrit_sweep(k, graph, fields.flow, device_net.radius, options.default_haematocrit, true, haematocrit);
    site.phase = "haematocrit transport (final, unrelaxed)";
    check_finite(k, site, "haematocrit", ElementKind::segment, haematocrit.data(), m);
    set_viscosity();
  }
  if (!report.converged) {
    std::ostringstream msg;
    msg << "rheology loop did not converge in " << report.iterations << " iterations: max |dQ|/max|Q| "
        << report.max_flow_change << " (tolerance " << options.flow_tolerance << "), max |dH_D| "
        << report.max_haematocrit_change << " (tolerance " << options.haematocrit_tolerance << "); ";
    if (anderson)
      msg << "Anderson acceleration (depth " << options.anderson_depth << ", mixing " << options.anderson_mixing
          << "): " << report.anderson_steps << " Anderson steps, " << report.anderson_rejections << " rejected";
    else
      msg << "damped Picard (final relaxation " << relax << ")";
    // The residual history (the last 20 iterations at most) shows stagnation, oscillation or divergence.
    const std::size_t shown = std::min<std::size_t>(20, report.residual_history.size());
    msg << "; max |dH_D| of iterations " << report.residual_history.size() - shown + 1 << ".."
        << report.residual_history.size() << ":";
    msg.precision(3);
    for (std::size_t i = report.residual_history.size() - shown; i < report.residual_history.size(); ++i)
      msg << " " << report.residual_history[i];
    msg << "; raise solver.rheology_max_iterations, try solver.rheology_acceleration, or set "
           "solver.allow_unconverged = true";
    if (!options.allow_unconverged) throw ConvergenceError(msg.str());
    report.log.push_back("WARNING: " + msg.str());
  }
  return report;
}

}  // namespace hepaflow

#include "hepaflow/flow/rheology.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
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
  DeviceArray<double> flow_old(k, m), hd_new(k, m);
  k.fill(m, 0.0, flow_old.data());
  double relax = 1.0;
  for (int it = 1; it <= options.max_iterations; ++it) {
    iteration = it;
    if (it % 5 == 0) relax *= 0.8;  // NetFlowV2 (flow.cpp): increasingly under-relaxed haematocrit
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
    k.lerp(m, relax, hd_new.data(), haematocrit.data());
    report.iterations = it;
    std::ostringstream line;
    line << "rheology iteration " << it << ": max |dQ|/max|Q| " << report.max_flow_change << ", max |dH_D| "
         << report.max_haematocrit_change << ", relaxation " << relax << ", PCG iterations "
         << report.last_solve.iterations;
    report.log.push_back(line.str());
    if (it > 1 && report.max_flow_change < options.flow_tolerance &&
        report.max_haematocrit_change < options.haematocrit_tolerance) {
      report.converged = true;
      break;
    }
    report.converged = false;
  }
  if (relax < 0.9999) {
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
        << report.max_haematocrit_change << " (tolerance " << options.haematocrit_tolerance
        << "); raise solver.rheology_max_iterations or set solver.allow_unconverged = true";
    if (!options.allow_unconverged) throw ConvergenceError(msg.str());
    report.log.push_back("WARNING: " + msg.str());
  }
  return report;
}

}  // namespace hepaflow

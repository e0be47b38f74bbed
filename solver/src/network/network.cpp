// Network model: construction helpers and the checks every network passes before a solve
// (MODEL.md §1: non-positive radius/length, dangling references, duplicates, NaN/Inf, components
// without a pressure boundary).
#include "hepaflow/network.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace hepaflow {

const char* to_string(SegmentKind kind) {
  switch (kind) {
    case SegmentKind::sinusoid: return "sinusoid";
    case SegmentKind::portal_venule: return "portal_venule";
    case SegmentKind::hepatic_arteriole: return "hepatic_arteriole";
    case SegmentKind::central_vein: return "central_vein";
    case SegmentKind::shunt: return "shunt";
    case SegmentKind::other: break;
  }
  return "other";
}

index_t Network::add_node(std::int64_t id, double x_m, double y_m, double z_m) {
  node_id.push_back(id);
  x.push_back(x_m);
  y.push_back(y_m);
  z.push_back(z_m);
  return static_cast<index_t>(node_id.size() - 1);
}

index_t Network::add_segment(std::int64_t id, index_t from, index_t to, double radius_m, double length_m,
                             SegmentKind segment_kind) {
  segment_id.push_back(id);
  segment_from.push_back(from);
  segment_to.push_back(to);
  radius.push_back(radius_m);
  const auto s = static_cast<index_t>(segment_id.size() - 1);
  const bool ends_valid = from >= 0 && to >= 0 && static_cast<std::size_t>(from) < num_nodes() &&
                          static_cast<std::size_t>(to) < num_nodes();
  length.push_back(length_m >= 0.0 ? length_m : (ends_valid ? euclidean_length(s) : std::nan("")));
  kind.push_back(segment_kind);
  zone.push_back(std::nan(""));
  tissue_volume.push_back(0.0);
  if (!haematocrit.empty()) haematocrit.push_back(std::nan(""));
  if (!file_flow.empty()) file_flow.push_back(std::nan(""));
  return s;
}

void Network::fill_defaults() {
  const std::size_t n = num_segments();
  if (length.size() < n) {
    const std::size_t old = length.size();
    length.resize(n);
    for (std::size_t s = old; s < n; ++s) length[s] = euclidean_length(static_cast<index_t>(s));
  }
  kind.resize(n, SegmentKind::other);
  zone.resize(n, std::nan(""));
  tissue_volume.resize(n, 0.0);
  if (!haematocrit.empty()) haematocrit.resize(n, std::nan(""));
  if (!file_flow.empty()) file_flow.resize(n, std::nan(""));
}

double Network::euclidean_length(index_t s) const {
  const index_t a = segment_from[s], b = segment_to[s];
  const double dx = x[a] - x[b], dy = y[a] - y[b], dz = z[a] - z[b];
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

namespace {

/// Collects offending ids of one problem class and renders "message: ids a, b, c (and N more)".
class ProblemList {
 public:
  ProblemList(std::string message, std::size_t max_listed) : message_(std::move(message)), max_(max_listed) {}
  void add(const std::string& item) {
    if (items_.size() < max_) items_.push_back(item);
    ++count_;
  }
  void flush(std::vector<std::string>& out) const {
    if (count_ == 0) return;
    std::ostringstream s;
    s << message_ << " (" << count_ << "): ";
    for (std::size_t i = 0; i < items_.size(); ++i) s << (i ? ", " : "") << items_[i];
    if (count_ > items_.size()) s << " and " << (count_ - items_.size()) << " more";
    out.push_back(s.str());
  }

 private:
  std::string message_;
  std::size_t max_;
  std::vector<std::string> items_;
  std::size_t count_ = 0;
};

struct UnionFind {
  std::vector<index_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  index_t find(index_t i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }
  void unite(index_t a, index_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

bool valid_node(const Network& net, index_t n) { return n >= 0 && static_cast<std::size_t>(n) < net.num_nodes(); }

}  // namespace

std::vector<index_t> connected_components(const Network& net, index_t* count) {
  UnionFind uf(net.num_nodes());
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    if (valid_node(net, a) && valid_node(net, b)) uf.unite(a, b);
  }
  std::vector<index_t> component(net.num_nodes(), -1);
  std::unordered_map<index_t, index_t> label;
  for (std::size_t i = 0; i < net.num_nodes(); ++i) {
    const index_t root = uf.find(static_cast<index_t>(i));
    auto it = label.emplace(root, static_cast<index_t>(label.size())).first;
    component[i] = it->second;
  }
  if (count) *count = static_cast<index_t>(label.size());
  return component;
}

ValidationReport validate(const Network& net, std::size_t max_listed) {
  ValidationReport report;
  const std::size_t n_nodes = net.num_nodes(), n_segs = net.num_segments();
  auto& errors = report.errors;

  if (n_segs == 0) errors.push_back("the network has no segments");
  const auto sizes_ok = [&](std::size_t want, std::size_t have, const char* what) {
    if (want != have) errors.push_back(std::string("internal: array '") + what + "' has " + std::to_string(have) +
                                       " entries, expected " + std::to_string(want));
  };
  sizes_ok(n_nodes, net.x.size(), "x");
  sizes_ok(n_nodes, net.y.size(), "y");
  sizes_ok(n_nodes, net.z.size(), "z");
  sizes_ok(n_segs, net.segment_from.size(), "segment_from");
  sizes_ok(n_segs, net.segment_to.size(), "segment_to");
  sizes_ok(n_segs, net.radius.size(), "radius");
  sizes_ok(n_segs, net.length.size(), "length");
  if (!errors.empty()) return report;

  ProblemList dup_node_ids("duplicate node ids", max_listed), dup_seg_ids("duplicate segment ids", max_listed);
  {
    std::unordered_set<std::int64_t> seen;
    for (auto id : net.node_id)
      if (!seen.insert(id).second) dup_node_ids.add(std::to_string(id));
    seen.clear();
    for (auto id : net.segment_id)
      if (!seen.insert(id).second) dup_seg_ids.add(std::to_string(id));
  }
  ProblemList bad_coords("nodes with NaN/Inf coordinates (node ids)", max_listed);
  for (std::size_t i = 0; i < n_nodes; ++i)
    if (!std::isfinite(net.x[i]) || !std::isfinite(net.y[i]) || !std::isfinite(net.z[i]))
      bad_coords.add(std::to_string(net.node_id[i]));

  ProblemList dangling("segments referring to nodes that do not exist (segment ids)", max_listed);
  ProblemList self_loop("segments joining a node to itself (segment ids)", max_listed);
  ProblemList bad_radius("segments with non-positive or non-finite radius (segment ids)", max_listed);
  ProblemList bad_length("segments with non-positive or non-finite length (segment ids)", max_listed);
  // Two segments joining the same two nodes are parallel vessels (real networks have them, e.g. the
  // rat mesentery's segments 573 and 707) unless they are exact copies (same radius and length).
  ProblemList duplicate("duplicate segments: same two nodes, radius and length (segment ids)", max_listed);
  ProblemList parallel("parallel segments joining the same two nodes, treated as parallel vessels (segment ids)",
                       max_listed);
  std::unordered_map<std::uint64_t, index_t> pair_seen;
  for (std::size_t s = 0; s < n_segs; ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    const std::string sid = std::to_string(net.segment_id[s]);
    if (!valid_node(net, a) || !valid_node(net, b)) {
      dangling.add(sid);
      continue;
    }
    if (a == b) self_loop.add(sid);
    if (!(net.radius[s] > 0.0) || !std::isfinite(net.radius[s])) bad_radius.add(sid);
    if (!(net.length[s] > 0.0) || !std::isfinite(net.length[s])) bad_length.add(sid);
    const auto lo = static_cast<std::uint64_t>(std::min(a, b)), hi = static_cast<std::uint64_t>(std::max(a, b));
    auto [it, inserted] = pair_seen.emplace((lo << 32) | hi, static_cast<index_t>(s));
    if (!inserted) {
      const index_t first = it->second;
      const std::string item = sid + " (same nodes as " + std::to_string(net.segment_id[first]) + ")";
      if (net.radius[first] == net.radius[s] && net.length[first] == net.length[s]) duplicate.add(item);
      else parallel.add(item);
    }
  }

  ProblemList bad_bc_node("boundary conditions on nodes that do not exist", max_listed);
  ProblemList bad_bc_value("boundary conditions with NaN/Inf values (node ids)", max_listed);
  ProblemList dup_bc("nodes with more than one boundary condition (node ids)", max_listed);
  std::vector<char> has_bc(n_nodes, 0);
  for (const auto& bc : net.boundaries) {
    if (!valid_node(net, bc.node)) {
      bad_bc_node.add("index " + std::to_string(bc.node));
      continue;
    }
    if (!std::isfinite(bc.value)) bad_bc_value.add(std::to_string(net.node_id[bc.node]));
    if (has_bc[bc.node]) dup_bc.add(std::to_string(net.node_id[bc.node]));
    has_bc[bc.node] = 1;
  }

  for (const auto* list : {&dup_node_ids, &dup_seg_ids, &bad_coords, &dangling, &self_loop, &bad_radius, &bad_length,
                           &duplicate, &bad_bc_node, &bad_bc_value, &dup_bc})
    list->flush(errors);
  parallel.flush(report.warnings);
  if (!errors.empty()) return report;

  // Every connected component needs a pressure boundary: otherwise pressure is determined only up to
  // a constant (the Laplacian is singular) and, unless flow BCs balance, there is no solution.
  index_t n_comp = 0;
  const auto component = connected_components(net, &n_comp);
  std::vector<char> comp_has_pressure(n_comp, 0);
  std::vector<double> comp_inflow(n_comp, 0.0);
  for (const auto& bc : net.boundaries) {
    if (bc.type == BoundaryType::pressure) comp_has_pressure[component[bc.node]] = 1;
    else comp_inflow[component[bc.node]] += bc.value;
  }
  std::vector<std::size_t> comp_size(n_comp, 0);
  std::vector<std::int64_t> comp_example(n_comp, 0);
  for (std::size_t i = 0; i < n_nodes; ++i) {
    if (comp_size[component[i]]++ == 0) comp_example[component[i]] = net.node_id[i];
  }
  ProblemList floating("connected components without a pressure boundary (component: node count, one node id)",
                       max_listed);
  for (index_t c = 0; c < n_comp; ++c) {
    if (comp_has_pressure[c]) continue;
    std::string item = std::to_string(comp_size[c]) + " nodes incl. node " + std::to_string(comp_example[c]);
    if (comp_inflow[c] != 0.0) item += ", flow boundaries do not balance";
    floating.add(item);
  }
  floating.flush(errors);
  return report;
}

Network subset_segments(const Network& net, const std::vector<char>& keep_segment) {
  Network out;
  out.tissue_box = net.tissue_box;
  std::vector<index_t> new_index(net.num_nodes(), -1);
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    if (!keep_segment[s]) continue;
    new_index[net.segment_from[s]] = 0;
    new_index[net.segment_to[s]] = 0;
  }
  for (std::size_t i = 0; i < net.num_nodes(); ++i)
    if (new_index[i] == 0) new_index[i] = out.add_node(net.node_id[i], net.x[i], net.y[i], net.z[i]);
  const bool has_hd = !net.haematocrit.empty(), has_flow = !net.file_flow.empty();
  if (has_hd) out.haematocrit.reserve(net.num_segments());
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    if (!keep_segment[s]) continue;
    out.segment_id.push_back(net.segment_id[s]);
    out.segment_from.push_back(new_index[net.segment_from[s]]);
    out.segment_to.push_back(new_index[net.segment_to[s]]);
    out.radius.push_back(net.radius[s]);
    out.length.push_back(net.length[s]);
    out.kind.push_back(net.kind[s]);
    out.zone.push_back(net.zone[s]);
    out.tissue_volume.push_back(net.tissue_volume[s]);
    if (has_hd) out.haematocrit.push_back(net.haematocrit[s]);
    if (has_flow) out.file_flow.push_back(net.file_flow[s]);
  }
  for (auto bc : net.boundaries) {
    if (bc.node < 0 || static_cast<std::size_t>(bc.node) >= net.num_nodes() || new_index[bc.node] < 0) continue;
    bc.node = new_index[bc.node];
    out.boundaries.push_back(bc);
  }
  return out;
}

std::size_t drop_components_without_pressure_boundary(Network& net, std::size_t* nodes_dropped) {
  index_t n_comp = 0;
  const auto component = connected_components(net, &n_comp);
  std::vector<char> keep_comp(n_comp, 0);
  for (const auto& bc : net.boundaries)
    if (bc.type == BoundaryType::pressure && valid_node(net, bc.node)) keep_comp[component[bc.node]] = 1;
  std::vector<char> keep(net.num_segments(), 0);
  std::size_t dropped = 0;
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    keep[s] = keep_comp[component[net.segment_from[s]]];
    if (!keep[s]) ++dropped;
  }
  const std::size_t nodes_before = net.num_nodes();
  net = subset_segments(net, keep);
  if (nodes_dropped) *nodes_dropped = nodes_before - net.num_nodes();
  return dropped;
}

}  // namespace hepaflow

#include "hepaflow/linear/low_degree_elimination.hpp"

#include <algorithm>
#include <utility>

namespace hepaflow {

namespace {
struct Edge {
  index_t other;
  double g;  ///< conductance (>= 0)
};
void add_edge(std::vector<Edge>& list, index_t other, double g) {
  for (auto& e : list)
    if (e.other == other) {
      e.g += g;  // parallel conductances add
      return;
    }
  list.push_back({other, g});
}
void remove_edge(std::vector<Edge>& list, index_t other) {
  for (std::size_t i = 0; i < list.size(); ++i)
    if (list[i].other == other) {
      list[i] = list.back();
      list.pop_back();
      return;
    }
}
HostCsr csr_from_rows(index_t cols, const std::vector<std::vector<std::pair<index_t, double>>>& rows) {
  HostCsr c;
  c.rows = static_cast<index_t>(rows.size());
  c.cols = cols;
  for (const auto& r : rows) {
    for (const auto& e : r) {
      c.col.push_back(e.first);
      c.val.push_back(e.second);
    }
    c.row_ptr.push_back(static_cast<index_t>(c.col.size()));
  }
  return c;
}
}  // namespace

LowDegreeElimination::LowDegreeElimination(const KernelSet& k, const HostCsr& a, const std::vector<double>& ground,
                                           int max_rounds, double min_fraction)
    : k_(&k) {
  const index_t n = a.rows;
  std::vector<std::vector<Edge>> adj(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i)
    for (index_t kk = a.row_ptr[i]; kk < a.row_ptr[i + 1]; ++kk)
      if (a.col[kk] != i) adj[i].push_back({a.col[kk], -a.val[kk]});
  std::vector<double> g0(ground);
  std::vector<char> alive(static_cast<std::size_t>(n), 1), blocked(static_cast<std::size_t>(n), 0);
  std::vector<index_t> selected, target_slot(static_cast<std::size_t>(n), -1), targets;
  const double min_count = std::max(1.0, min_fraction * n);
  for (int round = 0; round < max_rounds; ++round) {
    // A maximal independent set of the rows with at most two neighbours (greedy, row order).
    selected.clear();
    std::fill(blocked.begin(), blocked.end(), 0);
    for (index_t i = 0; i < n; ++i) {
      if (!alive[i] || blocked[i] || adj[i].size() > 2) continue;
      selected.push_back(i);
      blocked[i] = 1;
      for (const auto& e : adj[i]) blocked[e.other] = 1;
    }
    if (selected.empty() || (round > 0 && static_cast<double>(selected.size()) < min_count)) break;
    std::vector<std::vector<std::pair<index_t, double>>> backward(selected.size()), forward;
    std::vector<double> inverse_diagonal(selected.size());
    targets.clear();
    for (std::size_t s = 0; s < selected.size(); ++s) {
      const index_t i = selected[s];
      double d = g0[i];
      for (const auto& e : adj[i]) d += e.g;
      const double inv = d > 0 ? 1.0 / d : 0.0;
      inverse_diagonal[s] = inv;
      for (const auto& e : adj[i]) {
        const double w = e.g * inv;
        backward[s].push_back({e.other, w});
        if (target_slot[e.other] < 0) {
          target_slot[e.other] = static_cast<index_t>(targets.size());
          targets.push_back(e.other);
          forward.emplace_back();
        }
        forward[target_slot[e.other]].push_back({i, w});
      }
      std::sort(backward[s].begin(), backward[s].end());
      // Update the graph: i's edges become the series edge j-k and groundings of j and k.
      for (const auto& e : adj[i]) {
        remove_edge(adj[e.other], i);
        g0[e.other] += e.g * g0[i] * inv;
      }
      if (adj[i].size() == 2) {
        const Edge e1 = adj[i][0], e2 = adj[i][1];
        const double series = e1.g * e2.g * inv;
        add_edge(adj[e1.other], e2.other, series);
        add_edge(adj[e2.other], e1.other, series);
      }
      adj[i].clear();
      alive[i] = 0;
    }
    for (index_t t : targets) target_slot[t] = -1;
    for (auto& f : forward) std::sort(f.begin(), f.end());
    Round r;
    r.forward = DeviceCsr(k, csr_from_rows(n, forward));
    r.forward_rows = DeviceArray<index_t>(k, targets);
    r.backward = DeviceCsr(k, csr_from_rows(n, backward));
    r.backward_rows = DeviceArray<index_t>(k, selected);
    r.inverse_diagonal = DeviceArray<double>(k, inverse_diagonal);
    rounds_.push_back(std::move(r));
  }
  // The reduced system on the rows left: a grounded Laplacian, diagonal = ground + incident conductances.
  std::vector<index_t> kept, reduced_index(static_cast<std::size_t>(n), -1);
  for (index_t i = 0; i < n; ++i)
    if (alive[i]) {
      reduced_index[i] = static_cast<index_t>(kept.size());
      kept.push_back(i);
    }
  reduced_.rows = reduced_.cols = static_cast<index_t>(kept.size());
  std::vector<std::pair<index_t, double>> row;
  for (index_t i : kept) {
    double d = g0[i];
    row.clear();
    for (const auto& e : adj[i]) {
      d += e.g;
      row.push_back({reduced_index[e.other], -e.g});
    }
    row.push_back({reduced_index[i], d});
    std::sort(row.begin(), row.end());
    for (const auto& e : row) {
      reduced_.col.push_back(e.first);
      reduced_.val.push_back(e.second);
    }
    reduced_.row_ptr.push_back(static_cast<index_t>(reduced_.col.size()));
  }
  kept_rows_ = DeviceArray<index_t>(k, kept);
}

void LowDegreeElimination::condense(double* w, double* b_reduced) const {
  for (const Round& r : rounds_)  // b_j += sum_i (g_ij / d_i) b_i over the round's eliminated i
    k_->csr_gather_update(r.forward.view(), r.forward_rows.data(), nullptr, w, w);
  k_->gather(kept_rows_.size(), kept_rows_.data(), w, b_reduced);
}

void LowDegreeElimination::recover(const double* x_reduced, double* w) const {
  k_->scatter(kept_rows_.size(), kept_rows_.data(), x_reduced, w);
  for (auto r = rounds_.rbegin(); r != rounds_.rend(); ++r)  // p_i = b_i / d_i + sum_j (g_ij / d_i) p_j
    k_->csr_gather_update(r->backward.view(), r->backward_rows.data(), r->inverse_diagonal.data(), w, w);
}

}  // namespace hepaflow

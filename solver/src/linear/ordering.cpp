#include "hepaflow/linear/ordering.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace hepaflow {

namespace {
/// Breadth-first levels from `root` over the rows not yet numbered (visited == 0); returns the rows in
/// visiting order (neighbours in ascending degree) and sets *levels to the number of levels. Marks
/// visited rows with `mark`.
std::vector<index_t> bfs(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                         const std::vector<index_t>& degree, std::vector<int>& visited, int mark, index_t root,
                         int* levels, std::vector<index_t>* last_level) {
  std::vector<index_t> sequence{root};
  visited[root] = mark;
  std::size_t level_begin = 0;
  int count = 0;
  std::vector<index_t> neighbours;
  while (level_begin < sequence.size()) {
    const std::size_t level_end = sequence.size();
    if (last_level) last_level->assign(sequence.begin() + level_begin, sequence.begin() + level_end);
    for (std::size_t q = level_begin; q < level_end; ++q) {
      const index_t i = sequence[q];
      neighbours.clear();
      for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
        const index_t j = col[k];
        if (j != i && visited[j] != mark && visited[j] >= 0) {
          visited[j] = mark;
          neighbours.push_back(j);
        }
      }
      std::stable_sort(neighbours.begin(), neighbours.end(),
                       [&](index_t a, index_t b) { return degree[a] < degree[b]; });
      sequence.insert(sequence.end(), neighbours.begin(), neighbours.end());
    }
    level_begin = level_end;
    ++count;
  }
  *levels = count;
  return sequence;
}
}  // namespace

std::vector<index_t> reverse_cuthill_mckee(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col) {
  const index_t n = static_cast<index_t>(row_ptr.size()) - 1;
  std::vector<index_t> degree(static_cast<std::size_t>(n), 0);
  for (index_t i = 0; i < n; ++i)
    for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) degree[i] += col[k] != i;
  // visited: -1 numbered (in the final order), 0 free, > 0 the mark of a trial search.
  std::vector<int> visited(static_cast<std::size_t>(n), 0);
  std::vector<index_t> order;
  order.reserve(static_cast<std::size_t>(n));
  std::vector<index_t> by_degree(static_cast<std::size_t>(n));
  std::iota(by_degree.begin(), by_degree.end(), 0);
  std::stable_sort(by_degree.begin(), by_degree.end(), [&](index_t a, index_t b) { return degree[a] < degree[b]; });
  int mark = 0;
  for (index_t start : by_degree) {
    if (visited[start] < 0) continue;
    // Pseudo-peripheral root (George & Liu 1979): from a least-degree row, move to the least-degree
    // row of the last BFS level while that increases the number of levels (at most a few searches).
    index_t root = start;
    int levels = 0;
    std::vector<index_t> last;
    std::vector<index_t> component = bfs(row_ptr, col, degree, visited, ++mark, root, &levels, &last);
    for (int trial = 0; trial < 3; ++trial) {  // George & Liu: 2-3 searches usually settle it
      const index_t candidate =
          *std::min_element(last.begin(), last.end(), [&](index_t a, index_t b) { return degree[a] < degree[b]; });
      int candidate_levels = 0;
      std::vector<index_t> candidate_last;
      std::vector<index_t> s = bfs(row_ptr, col, degree, visited, ++mark, candidate, &candidate_levels, &candidate_last);
      if (candidate_levels <= levels) break;
      root = candidate;
      levels = candidate_levels;
      last.swap(candidate_last);
      component.swap(s);
    }
    // Cuthill-McKee sequence of the component from that root (the last search from `root`).
    if (component.front() != root) component = bfs(row_ptr, col, degree, visited, ++mark, root, &levels, nullptr);
    for (index_t i : component) visited[i] = -1;
    order.insert(order.end(), component.begin(), component.end());
  }
  std::reverse(order.begin(), order.end());
  return order;
}

PatternBandwidth pattern_bandwidth(const std::vector<index_t>& row_ptr, const std::vector<index_t>& col,
                                   const std::vector<index_t>& order) {
  const index_t n = static_cast<index_t>(row_ptr.size()) - 1;
  std::vector<index_t> position(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) position[order.empty() ? i : order[i]] = i;
  PatternBandwidth b;
  double sum = 0;
  std::size_t count = 0;
  for (index_t i = 0; i < n; ++i)
    for (index_t k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      if (col[k] == i) continue;
      const index_t d = std::abs(position[i] - position[col[k]]);
      b.max_distance = std::max(b.max_distance, d);
      sum += d;
      ++count;
    }
  b.mean_distance = count ? sum / static_cast<double>(count) : 0.0;
  return b;
}

}  // namespace hepaflow

#include <cstdio>
#include <ostream>

#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/io/network_output.hpp"

namespace hepaflow::io {

std::vector<double> node_mean_radius(const Network& net) {
  std::vector<double> sum(net.num_nodes(), 0.0);
  std::vector<int> count(net.num_nodes(), 0);
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    for (index_t node : {net.segment_from[s], net.segment_to[s]}) {
      sum[node] += net.radius[s];
      ++count[node];
    }
  }
  for (std::size_t i = 0; i < sum.size(); ++i)
    if (count[i]) sum[i] /= count[i];
  return sum;
}

void write_pvd(const std::string& path, const std::vector<PvdEntry>& entries) {
  write_file_atomically(path, [&](std::ostream& out) {
    out << "<?xml version=\"1.0\"?>\n"
        << "<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n  <Collection>\n";
    for (const auto& e : entries) {
      char time[64];
      std::snprintf(time, sizeof time, "%.10g", e.time);
      out << "    <DataSet timestep=\"" << time << "\" group=\"\" part=\"0\" file=\"" << e.file << "\"/>\n";
    }
    out << "  </Collection>\n</VTKFile>\n";
  });
}

}  // namespace hepaflow::io

#pragma once
// Writers for network results: VTK XML PolyData (.vtp) with named cell/point arrays, and ParaView
// collection files (.pvd). Segment quantities are cell data on line cells, node quantities point
// data; radius is also point data so ParaView's Tube filter works directly (DESIGN.md Conventions).
#include <string>
#include <utility>
#include <vector>

#include "hepaflow/network.hpp"

namespace hepaflow::io {

struct NamedArray {
  std::string name;            ///< with its unit, e.g. "flow_nl_per_min"
  std::vector<double> values;  ///< one per segment (cell data) or per node (point data)
};

struct NetworkFields {
  std::vector<NamedArray> cell_data;
  std::vector<NamedArray> point_data;
};

/// Geometry arrays every network output carries: cell segment_id, radius_um, length_um, kind;
/// point node_id, radius_um (mean radius of the node's segments).
/// Written by write_network_vtp in addition to `fields`.
bool vtk_output_available();

/// Write `net` with `fields` as a .vtp (atomically). IoError on failure; BackendUnavailable-like
/// Error when built without VTK.
void write_network_vtp(const std::string& path, const Network& net, const NetworkFields& fields);

/// A cell-centred 3-D grid written as VTK ImageData (.vti): dims cells of `spacing` from `origin`,
/// the arrays as cell data (one value per cell, x fastest). Lengths in um like the .vtp files.
struct ImageGridOutput {
  double origin_um[3] = {0, 0, 0};
  double spacing_um[3] = {1, 1, 1};
  int dims[3] = {0, 0, 0};
  std::vector<NamedArray> cell_data;
};
/// Write the grid as a .vti (atomically). IoError on failure; unavailable without VTK.
void write_image_vti(const std::string& path, const ImageGridOutput& grid);

struct PvdEntry {
  double time;        ///< simulated time (days for remodelling runs, 0 for steady runs)
  std::string file;   ///< path relative to the .pvd
};
/// Write a ParaView collection file (atomically).
void write_pvd(const std::string& path, const std::vector<PvdEntry>& entries);

/// Mean radius of the segments at each node [m].
std::vector<double> node_mean_radius(const Network& net);

}  // namespace hepaflow::io

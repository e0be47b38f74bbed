#pragma once
// The host-side network model: structure-of-arrays of nodes and segments plus boundary conditions,
// all in SI units (m, Pa, m^3/s). Readers and generators build it, Network::validate() checks it,
// the simulation uploads it to the backend (see flow/) and the writers read it back.
// MODEL.md §1.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace hepaflow {

using index_t = std::int32_t;  // 32-bit node/segment indices (DESIGN: up to ~2e9 entries)

/// What a segment is, anatomically. Stored as uint8 on the backend.
enum class SegmentKind : std::uint8_t {
  other = 0,
  sinusoid = 1,
  portal_venule = 2,
  hepatic_arteriole = 3,
  central_vein = 4,
  shunt = 5,
};
const char* to_string(SegmentKind kind);

enum class BoundaryType : std::uint8_t { pressure = 0, flow = 1 };

struct BoundaryCondition {
  index_t node = -1;                  ///< node index (not id)
  BoundaryType type = BoundaryType::pressure;
  double value = 0.0;                 ///< Pa for pressure; m^3/s for flow, positive INTO the network
  double haematocrit = std::numeric_limits<double>::quiet_NaN();  ///< inflow discharge Hd (optional)
  double po2_mmHg = std::numeric_limits<double>::quiet_NaN();     ///< inflow PO2 (optional)
};

struct Network {
  // ---- nodes -----------------------------------------------------------------------------------
  std::vector<std::int64_t> node_id;  ///< id from the input file (or generator), unique
  std::vector<double> x, y, z;        ///< position [m]
  // ---- segments --------------------------------------------------------------------------------
  std::vector<std::int64_t> segment_id;  ///< id from the input file (or generator), unique
  std::vector<index_t> segment_from;     ///< node index a
  std::vector<index_t> segment_to;       ///< node index b
  std::vector<double> radius;            ///< [m]
  std::vector<double> length;            ///< [m] (Euclidean distance unless given)
  std::vector<SegmentKind> kind;
  std::vector<double> zone;              ///< zonal coordinate zeta in [0,1] (0 portal, 1 central); NaN if unknown
  std::vector<double> tissue_volume;     ///< tissue volume supplied [m^3]; 0 if unknown
  std::vector<double> haematocrit;       ///< discharge Hd from the input file (may be empty)
  std::vector<double> file_flow;         ///< flow from the input file [m^3/s], + from->to (may be empty)
  // ---- tissue region -------------------------------------------------------------------------------
  /// The tissue region the file gives, {x0, y0, z0, x1, y1, z1} [m] (Network.dat's box); empty if none.
  std::vector<double> tissue_box;
  // ---- boundary ---------------------------------------------------------------------------------
  std::vector<BoundaryCondition> boundaries;

  std::size_t num_nodes() const { return node_id.size(); }
  std::size_t num_segments() const { return segment_id.size(); }

  /// Append a node; returns its index.
  index_t add_node(std::int64_t id, double x_m, double y_m, double z_m);
  /// Append a segment between node indices; length < 0 means "Euclidean distance".
  /// zone NaN, tissue volume 0, haematocrit NaN (only stored if the vector is in use).
  index_t add_segment(std::int64_t id, index_t from, index_t to, double radius_m, double length_m = -1.0,
                      SegmentKind kind = SegmentKind::other);
  /// Make every per-segment vector as long as segment_id (fills defaults). Readers call this last.
  void fill_defaults();
  /// Euclidean distance between the end nodes of segment s [m].
  double euclidean_length(index_t s) const;
};

/// Result of Network validation: each entry is one human-readable problem, naming ids.
struct ValidationReport {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};

/// Check a network before any solve (MODEL.md §1): non-positive/NaN radius or length, dangling node
/// references, self-loops, duplicate segments, duplicate ids, NaN/Inf coordinates, boundary
/// conditions on unknown nodes or with NaN values, and connected components without a pressure
/// boundary (or with only flow boundaries that do not balance — also an error). Lists at most
/// `max_listed` offending ids per class.
ValidationReport validate(const Network& net, std::size_t max_listed = 10);

/// Connected components (undirected): component index per node, and their count.
std::vector<index_t> connected_components(const Network& net, index_t* count = nullptr);

/// Remove the nodes and segments of components that hold no pressure boundary. Returns the number
/// of segments dropped. Node/segment ids are kept; indices are renumbered.
std::size_t drop_components_without_pressure_boundary(Network& net, std::size_t* nodes_dropped = nullptr);

/// Keep only the given segments (and the nodes they touch, plus boundary nodes on kept nodes).
Network subset_segments(const Network& net, const std::vector<char>& keep_segment);

}  // namespace hepaflow

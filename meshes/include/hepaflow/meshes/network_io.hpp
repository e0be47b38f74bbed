#pragma once
// Network files: readers and writers of the formats a microcirculation modeller brings (DESIGN.md
// "Who uses it"): T.W. Secomb's Network.dat (NetFlowV2 / GreensV4), a folder of CSV tables, and
// VTK XML PolyData (.vtp, read only here; .vtp output is solver/io's write_network_vtp).
//
// Everything returned is in SI units (m, Pa, m^3/s). Readers never validate the physics of what they
// read (non-positive radii, components without a pressure boundary ...: that is hepaflow::validate);
// they reject what they cannot read: unparsable numbers, NaN/Inf, wrong or impossible counts,
// truncated files, references to unknown nodes. Errors:
//   hepaflow::IoError     the file or folder cannot be opened/read (exit code 4)
//   hepaflow::InputError  its content is not a valid network file, as "path:line: message" for the
//                         text formats and "path: <array or cell>: message" for .vtp (exit code 3)
#include <limits>
#include <string>
#include <vector>

#include "hepaflow/network.hpp"

namespace hepaflow::meshes {

struct NetworkFileOptions {
  /// "auto" (by extension: .dat -> dat, .vtp -> vtp, .csv or a folder -> csv) | "dat" | "csv" | "vtp".
  std::string format = "auto";
  /// Metres per file unit for quantities whose unit the file does not name: .vtp coordinates and
  /// radii, CSV columns without a unit suffix (x, y, z, radius, length). .dat is always um; CSV
  /// columns named *_um are always um.
  double length_unit = 1e-6;
  /// .vtp: name of the radius (or diameter) array, point or cell data. "" = auto-detect,
  /// case-insensitive: exact radius / radius_um / r, then diameter / diameter_um / d (halved), then
  /// any name containing "radius", then any containing "diameter" (halved); at equal rank cell data
  /// (one value per polyline) wins over point data.
  std::string radius_array;
  /// .vtp: the named radius_array holds diameters (halved on import).
  bool radius_is_diameter = false;
  /// .vtp: radius [m] for every segment when the file has no radius array. NaN (default) makes a
  /// file without a radius array an InputError that lists the arrays it has.
  double default_radius = std::numeric_limits<double>::quiet_NaN();
  /// .vtp: points closer than this [m] become one node (hash grid; 0 merges identical points only).
  double merge_tolerance = 1e-9;
};

/// Read a network file of any supported format (options.format, or detected from the path).
Network read_network_file(const std::string& path, const NetworkFileOptions& options = {});

/// The format read_network_file would use for `path` with format "auto": "dat", "csv" or "vtp".
/// InputError when the extension says nothing (IoError when the path does not exist).
std::string detect_network_format(const std::string& path);

/// Secomb Network.dat. Lengths um, diameters um (radius = diameter / 2), flows nl/min, pressures
/// mmHg. Boundary types follow NetFlowV2: 0 = pressure [mmHg]; 1 or 2 = inflow [nl/min], positive
/// into the network (NetFlowV2 treats every non-zero type as a flow condition; its README documents
/// 2). Segments of a type other than 4 or 5 are skipped, as NetFlowV2 does (non-flowing segments).
/// The file's Hd column goes to net.haematocrit; boundary Hd and PO2 (5th column, when numeric) to
/// the boundary conditions. If `flow_column` is given it receives the file's flow column [m^3/s],
/// one per segment read (NetFlowV2's NetworkNew.dat holds its solution there).
Network read_secomb_dat(const std::string& path, std::vector<double>* flow_column = nullptr);

/// Folder (or any file inside it) holding
///   nodes.csv     id,x_um,y_um,z_um
///   segments.csv  id,from,to,radius_um[,length_um][,kind][,zone][,haematocrit]
///   boundary.csv  node,type,value,unit[,haematocrit][,po2_mmHg]      (optional file)
/// A header row is required; columns are found by name, in any order; unknown columns are errors.
/// Coordinate/radius/length columns named without the _um suffix (x, y, z, radius, length) are in
/// `length_unit` metres. type: pressure | flow; unit: mmHg | Pa | kPa for pressure, nl/min |
/// ul/min | m^3/s for flow (positive into the network). kind: other, sinusoid, portal_venule,
/// hepatic_arteriole, central_vein, shunt. Empty optional fields mean "not given".
/// Lines starting with # (after blanks) are comments; a # elsewhere starts a trailing comment.
Network read_csv_network(const std::string& path_or_folder, double length_unit = 1e-6);

#ifdef HEPAFLOW_WITH_VTK
/// VTK XML PolyData: each polyline of k points gives k-1 segments between consecutive points;
/// points closer than options.merge_tolerance are merged into one node (first point wins); segments
/// whose two ends merge are dropped. Node ids are the VTK point id of each node's first point (what
/// ParaView shows), segment ids a running index from 0 - unless the file carries hepaflow's own
/// arrays (point "node_id"; and, when every line cell has two points, cell "segment_id",
/// "length_um", "kind"), which are then used. Radius: see NetworkFileOptions::radius_array; point
/// data gives segment radius = mean of its two end points, cell data the polyline's value. No
/// boundary conditions (the case gives them). VTK's messages are captured into the InputError, not
/// printed: reads are serialized by a mutex, and while one runs VTK's global output window and
/// vtkLogger's stderr output are redirected/silenced for the whole process.
/// A hepaflow result's cell arrays "haematocrit" and "flow_nl_per_min" go to net.haematocrit and
/// (when given) `flow_column` [m^3/s], in segment order.
Network read_vtp_network(const std::string& path, const NetworkFileOptions& options = {},
                         std::vector<double>* flow_column = nullptr);
#endif

// ---- writers (atomic: temporary file + rename, see hepaflow/io/atomic_file.hpp) ----------------

/// Secomb Network.dat readable by NetFlowV2/GreensV4 and read_secomb_dat. `flow` [m^3/s] and
/// `haematocrit` (one per segment) fill the flow and Hd columns; without them flow is 0 and Hd the
/// network's haematocrit, else 0.45. Every segment is written with type 5. Boundary Hd missing (NaN)
/// is written as 0.45 (NetFlowV2 ignores Hd at outflow nodes); the PO2 column is written when any
/// boundary has one, missing values as 0. Given segment lengths and kinds are not representable.
void write_secomb_dat(const Network& net, const std::string& path, const std::vector<double>* flow = nullptr,
                      const std::vector<double>* haematocrit = nullptr);

/// nodes.csv, segments.csv (with length_um, kind, zone and, when the network has them, haematocrit)
/// and boundary.csv (pressure in mmHg, flow in nl/min) in `folder`, created if missing.
void write_csv_network(const Network& net, const std::string& folder);

/// Write by format ("auto": .dat -> dat; a folder, a path ending in '/', or a name without extension
/// -> csv). .vtp is written by hepaflow::io::write_network_vtp (solver/io), not here: InputError.
void write_network_file(const Network& net, const std::string& path, const std::string& format = "auto",
                        const std::vector<double>* flow = nullptr, const std::vector<double>* haematocrit = nullptr);

}  // namespace hepaflow::meshes

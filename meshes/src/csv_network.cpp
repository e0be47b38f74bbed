// CSV network folder reader and writer: hepaflow's own plain-table exchange format (the column
// layout is documented in hepaflow/meshes/network_io.hpp; ids and references as in Secomb's
// Network.dat, lengths in um by their column names).
//   nodes.csv     id,x_um,y_um,z_um
//   segments.csv  id,from,to,radius_um[,length_um][,kind][,zone][,haematocrit]
//   boundary.csv  node,type,value,unit[,haematocrit][,po2_mmHg]     (optional)
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <ostream>
#include <unordered_map>

#include "hepaflow/error.hpp"
#include "hepaflow/io/atomic_file.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/units.hpp"
#include "network_io_text.hpp"

namespace hepaflow::meshes {

namespace {

using detail::fail_at_line;
using detail::quote_token;

/// Segment kinds by their names in files (the enumerator names of SegmentKind).
constexpr std::pair<const char*, SegmentKind> kSegmentKindNames[] = {
    {"other", SegmentKind::other},
    {"sinusoid", SegmentKind::sinusoid},
    {"portal_venule", SegmentKind::portal_venule},
    {"hepatic_arteriole", SegmentKind::hepatic_arteriole},
    {"central_vein", SegmentKind::central_vein},
    {"shunt", SegmentKind::shunt},
};

const char* segment_kind_name(SegmentKind kind) {
  for (const auto& [name, value] : kSegmentKindNames)
    if (value == kind) return name;
  return "other";
}

/// One accepted header name of a column: the quantity it gives and the factor to SI.
struct ColumnName {
  const char* name;
  int quantity;
  double to_si;
};

/// A CSV file: its header resolved to quantities, rows handed out one by one with line numbers.
class CsvFile {
 public:
  CsvFile(std::string path, std::vector<ColumnName> accepted, std::vector<int> required_quantities,
          const char* quantity_names[])
      : path_(std::move(path)), content_(detail::read_whole_file(path_)), lines_(detail::split_lines(content_)) {
    std::size_t i = 0;
    while (i < lines_.size() && is_comment_or_blank(lines_[i].text)) ++i;
    if (i == lines_.size()) fail_at_line(path_, lines_.size() + 1, "no header row (empty file?)");
    header_line_ = i;
    const std::vector<std::string_view> header = split_fields(lines_[i].text);
    int max_quantity = 0;
    for (const ColumnName& c : accepted) max_quantity = std::max(max_quantity, c.quantity);
    column_of_quantity_.assign(static_cast<std::size_t>(max_quantity) + 1, -1);
    scale_of_quantity_.assign(static_cast<std::size_t>(max_quantity) + 1, 1.0);
    for (std::size_t col = 0; col < header.size(); ++col) {
      const std::string name = detail::to_lower(header[col]);
      const ColumnName* match = nullptr;
      for (const ColumnName& c : accepted)
        if (name == c.name) match = &c;
      if (!match) {
        std::string list;
        for (const ColumnName& c : accepted) list += (list.empty() ? "" : ", ") + std::string(c.name);
        fail_at_line(path_, lines_[i].number,
                     "unknown column " + quote_token(header[col]) + " (accepted: " + list + ")");
      }
      auto& slot = column_of_quantity_[static_cast<std::size_t>(match->quantity)];
      if (slot >= 0)
        fail_at_line(path_, lines_[i].number,
                     "column " + quote_token(header[col]) + " repeats " + quote_token(header[static_cast<std::size_t>(slot)]));
      slot = static_cast<int>(col);
      scale_of_quantity_[static_cast<std::size_t>(match->quantity)] = match->to_si;
    }
    for (int q : required_quantities)
      if (column_of_quantity_[static_cast<std::size_t>(q)] < 0)
        fail_at_line(path_, lines_[i].number, std::string("missing column '") + quantity_names[q] + "'");
    column_count_ = header.size();
    header_names_.assign(header.begin(), header.end());
  }

  const std::string& path() const { return path_; }
  bool has(int quantity) const { return column_of_quantity_[static_cast<std::size_t>(quantity)] >= 0; }
  double scale(int quantity) const { return scale_of_quantity_[static_cast<std::size_t>(quantity)]; }

  /// Calls row(fields, line) for every data row; fields are trimmed, one per header column.
  void for_each_row(const std::function<void(const std::vector<std::string_view>&, std::size_t)>& row) const {
    for (std::size_t i = header_line_ + 1; i < lines_.size(); ++i) {
      if (is_comment_or_blank(lines_[i].text)) continue;
      const std::vector<std::string_view> fields = split_fields(lines_[i].text);
      if (fields.size() != column_count_)
        fail_at_line(path_, lines_[i].number,
                     "row has " + std::to_string(fields.size()) + " fields, the header has " +
                         std::to_string(column_count_));
      row(fields, lines_[i].number);
    }
  }

  std::string_view field(const std::vector<std::string_view>& fields, int quantity) const {
    const int col = column_of_quantity_[static_cast<std::size_t>(quantity)];
    return col < 0 ? std::string_view() : fields[static_cast<std::size_t>(col)];
  }
  const std::string& column_name(int quantity) const {
    return header_names_[static_cast<std::size_t>(column_of_quantity_[static_cast<std::size_t>(quantity)])];
  }

  /// A required number (finite); `scaled` multiplies by the column's unit factor.
  double number(const std::vector<std::string_view>& fields, int quantity, std::size_t line, bool scaled = true) const {
    const std::string_view text = field(fields, quantity);
    if (text.empty()) fail_at_line(path_, line, "column '" + column_name(quantity) + "' is empty");
    const auto value = detail::parse_finite_double(text);
    if (!value)
      fail_at_line(path_, line, "column '" + column_name(quantity) + "' is not a finite number: " + quote_token(text));
    return scaled ? *value * scale(quantity) : *value;
  }
  /// An optional number: NaN when the column is absent or the field empty.
  double optional_number(const std::vector<std::string_view>& fields, int quantity, std::size_t line) const {
    if (!has(quantity) || field(fields, quantity).empty()) return std::nan("");
    return number(fields, quantity, line);
  }
  std::int64_t integer(const std::vector<std::string_view>& fields, int quantity, std::size_t line) const {
    const std::string_view text = field(fields, quantity);
    if (text.empty()) fail_at_line(path_, line, "column '" + column_name(quantity) + "' is empty");
    const auto value = detail::parse_int64(text);
    if (!value) fail_at_line(path_, line, "column '" + column_name(quantity) + "' is not an integer: " + quote_token(text));
    return *value;
  }

 private:
  static std::string_view without_comment(std::string_view text) {
    const std::size_t hash = text.find('#');
    return hash == std::string_view::npos ? text : text.substr(0, hash);
  }
  static bool is_comment_or_blank(std::string_view text) { return detail::is_blank(without_comment(text)); }
  static std::vector<std::string_view> split_fields(std::string_view text) {
    text = without_comment(text);
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text.find(',', start);
      fields.push_back(detail::trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return fields;
  }

  std::string path_;
  std::string content_;
  std::vector<detail::TextLine> lines_;
  std::size_t header_line_ = 0;
  std::size_t column_count_ = 0;
  std::vector<int> column_of_quantity_;
  std::vector<double> scale_of_quantity_;
  std::vector<std::string> header_names_;
};

std::string folder_of(const std::string& path_or_folder) {
  if (detail::is_directory(path_or_folder)) return path_or_folder;
  if (!detail::path_exists(path_or_folder))
    throw IoError("cannot read " + path_or_folder + ": " + std::strerror(ENOENT));
  const std::size_t slash = path_or_folder.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path_or_folder.substr(0, slash == 0 ? 1 : slash);
}

std::string join(const std::string& folder, const char* file) {
  return !folder.empty() && folder.back() == '/' ? folder + file : folder + "/" + file;
}

// Quantities of each table (index into column_of_quantity_).
enum NodeQuantity { node_id_q, node_x_q, node_y_q, node_z_q };
enum SegmentQuantity { seg_id_q, seg_from_q, seg_to_q, seg_radius_q, seg_length_q, seg_kind_q, seg_zone_q, seg_hd_q };
enum BoundaryQuantity { bc_node_q, bc_type_q, bc_value_q, bc_unit_q, bc_hd_q, bc_po2_q };

}  // namespace

Network read_csv_network(const std::string& path_or_folder, double length_unit) {
  if (!(length_unit > 0.0) || !std::isfinite(length_unit))
    throw InputError(path_or_folder + ": length unit must be a positive number of metres");
  const std::string folder = folder_of(path_or_folder);
  Network net;

  // ---- nodes ----------------------------------------------------------------------------------------
  std::unordered_map<std::int64_t, index_t> node_index_by_id;
  std::vector<std::size_t> node_line;
  {
    const char* names[] = {"id", "x_um", "y_um", "z_um"};
    const CsvFile nodes(join(folder, "nodes.csv"),
                        {{"id", node_id_q, 1.0},
                         {"x_um", node_x_q, units::um}, {"y_um", node_y_q, units::um}, {"z_um", node_z_q, units::um},
                         {"x", node_x_q, length_unit}, {"y", node_y_q, length_unit}, {"z", node_z_q, length_unit}},
                        {node_id_q, node_x_q, node_y_q, node_z_q}, names);
    nodes.for_each_row([&](const std::vector<std::string_view>& f, std::size_t line) {
      const std::int64_t id = nodes.integer(f, node_id_q, line);
      const double x = nodes.number(f, node_x_q, line), y = nodes.number(f, node_y_q, line),
                   z = nodes.number(f, node_z_q, line);
      if (net.num_nodes() >= static_cast<std::size_t>(std::numeric_limits<index_t>::max()))
        fail_at_line(nodes.path(), line, "too many nodes");
      const auto [it, inserted] = node_index_by_id.emplace(id, static_cast<index_t>(net.num_nodes()));
      if (!inserted)
        fail_at_line(nodes.path(), line,
                     "node " + std::to_string(id) + " is listed twice (first at line " +
                         std::to_string(node_line[static_cast<std::size_t>(it->second)]) + ")");
      net.add_node(id, x, y, z);
      node_line.push_back(line);
    });
  }

  // ---- segments -------------------------------------------------------------------------------------
  std::vector<double> haematocrit;
  bool has_haematocrit = false;
  {
    const char* names[] = {"id", "from", "to", "radius_um", "length_um", "kind", "zone", "haematocrit"};
    const CsvFile segments(join(folder, "segments.csv"),
                           {{"id", seg_id_q, 1.0}, {"from", seg_from_q, 1.0}, {"to", seg_to_q, 1.0},
                            {"radius_um", seg_radius_q, units::um}, {"radius", seg_radius_q, length_unit},
                            {"length_um", seg_length_q, units::um}, {"length", seg_length_q, length_unit},
                            {"kind", seg_kind_q, 1.0}, {"zone", seg_zone_q, 1.0}, {"haematocrit", seg_hd_q, 1.0}},
                           {seg_id_q, seg_from_q, seg_to_q, seg_radius_q}, names);
    has_haematocrit = segments.has(seg_hd_q);
    std::unordered_map<std::int64_t, std::size_t> segment_line_by_id;
    segments.for_each_row([&](const std::vector<std::string_view>& f, std::size_t line) {
      const std::int64_t id = segments.integer(f, seg_id_q, line);
      const auto [previous, inserted] = segment_line_by_id.emplace(id, line);
      if (!inserted)
        fail_at_line(segments.path(), line,
                     "segment " + std::to_string(id) + " is listed twice (first at line " +
                         std::to_string(previous->second) + ")");
      index_t ends[2];
      const int end_quantity[2] = {seg_from_q, seg_to_q};
      for (int e = 0; e < 2; ++e) {
        const std::int64_t node = segments.integer(f, end_quantity[e], line);
        const auto it = node_index_by_id.find(node);
        if (it == node_index_by_id.end())
          fail_at_line(segments.path(), line,
                       "segment " + std::to_string(id) + ": '" + (e == 0 ? "from" : "to") + "' node " +
                           std::to_string(node) + " is not in nodes.csv");
        ends[e] = it->second;
      }
      const double radius = segments.number(f, seg_radius_q, line);
      const double given_length = segments.optional_number(f, seg_length_q, line);
      SegmentKind kind = SegmentKind::other;
      if (segments.has(seg_kind_q) && !segments.field(f, seg_kind_q).empty()) {
        const std::string name = detail::to_lower(segments.field(f, seg_kind_q));
        bool known = false;
        for (const auto& [kind_name, value] : kSegmentKindNames)
          if (name == kind_name) kind = value, known = true;
        if (!known)
          fail_at_line(segments.path(), line,
                       "unknown segment kind " + quote_token(segments.field(f, seg_kind_q)) +
                           " (other, sinusoid, portal_venule, hepatic_arteriole, central_vein, shunt)");
      }
      if (net.num_segments() >= static_cast<std::size_t>(std::numeric_limits<index_t>::max()))
        fail_at_line(segments.path(), line, "too many segments");
      const index_t s = net.add_segment(id, ends[0], ends[1], radius, std::isnan(given_length) ? -1.0 : given_length, kind);
      net.zone[static_cast<std::size_t>(s)] = segments.optional_number(f, seg_zone_q, line);
      if (has_haematocrit) haematocrit.push_back(segments.optional_number(f, seg_hd_q, line));
    });
  }

  // ---- boundary conditions (optional file) --------------------------------------------------------
  const std::string boundary_path = join(folder, "boundary.csv");
  if (detail::path_exists(boundary_path)) {
    const char* names[] = {"node", "type", "value", "unit", "haematocrit", "po2_mmhg"};
    const CsvFile boundary(boundary_path,
                           {{"node", bc_node_q, 1.0}, {"type", bc_type_q, 1.0}, {"value", bc_value_q, 1.0},
                            {"unit", bc_unit_q, 1.0}, {"haematocrit", bc_hd_q, 1.0}, {"po2_mmhg", bc_po2_q, 1.0}},
                           {bc_node_q, bc_type_q, bc_value_q, bc_unit_q}, names);
    std::unordered_map<index_t, std::size_t> boundary_line_by_node;
    boundary.for_each_row([&](const std::vector<std::string_view>& f, std::size_t line) {
      const std::int64_t node_id = boundary.integer(f, bc_node_q, line);
      const auto node = node_index_by_id.find(node_id);
      if (node == node_index_by_id.end())
        fail_at_line(boundary.path(), line, "boundary node " + std::to_string(node_id) + " is not in nodes.csv");
      const auto [previous, inserted] = boundary_line_by_node.emplace(node->second, line);
      if (!inserted)
        fail_at_line(boundary.path(), line,
                     "node " + std::to_string(node_id) + " has a second boundary condition (first at line " +
                         std::to_string(previous->second) + ")");
      BoundaryCondition bc;
      bc.node = node->second;
      const std::string type = detail::to_lower(boundary.field(f, bc_type_q));
      const std::string_view unit = boundary.field(f, bc_unit_q);
      const double value = boundary.number(f, bc_value_q, line);
      double to_si = 0.0;
      if (type == "pressure") {
        bc.type = BoundaryType::pressure;
        if (unit == "mmHg") to_si = units::mmHg;
        else if (unit == "Pa") to_si = 1.0;
        else if (unit == "kPa") to_si = 1e3;
      } else if (type == "flow") {
        bc.type = BoundaryType::flow;
        if (unit == "nl/min") to_si = units::nl_per_min;
        else if (unit == "ul/min") to_si = 1e3 * units::nl_per_min;
        else if (unit == "m^3/s") to_si = 1.0;
      } else {
        fail_at_line(boundary.path(), line,
                     "boundary type " + quote_token(boundary.field(f, bc_type_q)) + " is neither pressure nor flow");
      }
      if (to_si == 0.0)
        fail_at_line(boundary.path(), line,
                     "unit " + quote_token(unit) + " does not fit a " + type +
                         (bc.type == BoundaryType::pressure ? " boundary (mmHg, Pa or kPa)"
                                                            : " boundary (nl/min, ul/min or m^3/s)"));
      bc.value = value * to_si;
      bc.haematocrit = boundary.optional_number(f, bc_hd_q, line);
      bc.po2_mmHg = boundary.optional_number(f, bc_po2_q, line);
      net.boundaries.push_back(bc);
    });
  }

  net.fill_defaults();
  if (has_haematocrit) net.haematocrit = std::move(haematocrit);
  return net;
}

// ---- writer -------------------------------------------------------------------------------------------

namespace {

/// Shortest round-trip text, or an empty field for NaN ("not given").
std::string field_or_empty(double value) { return std::isfinite(value) ? detail::format_double(value) : std::string(); }

void make_folder(const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error || !detail::is_directory(folder))
    throw IoError("cannot create folder " + folder + ": " + (error ? error.message() : std::string("not a folder")));
}

}  // namespace

void write_csv_network(const Network& net, const std::string& folder) {
  const std::size_t n_nodes = net.num_nodes(), n_segments = net.num_segments();
  for (std::size_t s = 0; s < n_segments; ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    if (a < 0 || b < 0 || static_cast<std::size_t>(a) >= n_nodes || static_cast<std::size_t>(b) >= n_nodes)
      throw InputError(folder + ": segment " + std::to_string(net.segment_id[s]) + " refers to a node index out of range");
  }
  for (const BoundaryCondition& bc : net.boundaries)
    if (bc.node < 0 || static_cast<std::size_t>(bc.node) >= n_nodes)
      throw InputError(folder + ": a boundary condition refers to node index " + std::to_string(bc.node) +
                       ", out of range");
  make_folder(folder);
  using detail::format_double;

  io::write_file_atomically(join(folder, "nodes.csv"), [&](std::ostream& out) {
    out << "id,x_um,y_um,z_um\n";
    for (std::size_t i = 0; i < n_nodes; ++i)
      out << net.node_id[i] << ',' << format_double(net.x[i] / units::um) << ',' << format_double(net.y[i] / units::um)
          << ',' << format_double(net.z[i] / units::um) << '\n';
  });

  const bool with_haematocrit = net.haematocrit.size() == n_segments && n_segments > 0;
  io::write_file_atomically(join(folder, "segments.csv"), [&](std::ostream& out) {
    out << "id,from,to,radius_um,length_um,kind,zone" << (with_haematocrit ? ",haematocrit\n" : "\n");
    for (std::size_t s = 0; s < n_segments; ++s) {
      const double length = s < net.length.size() ? net.length[s] : net.euclidean_length(static_cast<index_t>(s));
      out << net.segment_id[s] << ',' << net.node_id[static_cast<std::size_t>(net.segment_from[s])] << ','
          << net.node_id[static_cast<std::size_t>(net.segment_to[s])] << ',' << format_double(net.radius[s] / units::um)
          << ',' << field_or_empty(length / units::um) << ','
          << segment_kind_name(s < net.kind.size() ? net.kind[s] : SegmentKind::other) << ','
          << field_or_empty(s < net.zone.size() ? net.zone[s] : std::nan(""));
      if (with_haematocrit) out << ',' << field_or_empty(net.haematocrit[s]);
      out << '\n';
    }
  });

  io::write_file_atomically(join(folder, "boundary.csv"), [&](std::ostream& out) {
    out << "node,type,value,unit,haematocrit,po2_mmHg\n";
    for (const BoundaryCondition& bc : net.boundaries) {
      const bool is_pressure = bc.type == BoundaryType::pressure;
      out << net.node_id[static_cast<std::size_t>(bc.node)] << ',' << (is_pressure ? "pressure," : "flow,")
          << format_double(is_pressure ? bc.value / units::mmHg : bc.value / units::nl_per_min) << ','
          << (is_pressure ? "mmHg," : "nl/min,") << field_or_empty(bc.haematocrit) << ','
          << field_or_empty(bc.po2_mmHg) << '\n';
    }
  });
}

}  // namespace hepaflow::meshes

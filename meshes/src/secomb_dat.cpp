// Secomb Network.dat reader and writer.
//
// Format source: T.W. Secomb's NetFlowV2 (github.com/secomb/NetFlowV2, input.cpp, analyzenet.cpp,
// solve.cpp, README) and GreensV4 (github.com/secomb/GreensV4), which share this layout:
//   line 1        title (free text)
//   line 2        alx aly alz            box dimensions [um]
//   line 3        mxx myy mzz            tissue points in x, y, z
//   line 4        lb                     outer bound distance [um]
//   line 5        maxl                   maximum segment length [um]
//   line 6        nodsegm                maximum number of segments per node
//   line 7        nseg                   number of segments
//   line 8        column header
//   nseg lines    name type from to diam flow hd     diameter [um], flow [nl/min], discharge Hd
//   count line    nnod, then a column header, then nnod lines: name x y z [um]
//   count line    nnodbc, then a column header, then nnodbc lines: node bctyp value hd [po2 ...]
// Text after the numbers of a line is ignored (NetFlowV2 reads with fscanf "...%*[^\n]"), so are
// blank lines before numeric lines. Names are integers, not necessarily sequential; segment ends
// and boundary nodes refer to node names. NetFlowV2 computes flow only in segments of type 4 or 5
// (analyzenet.cpp) and treats bctyp 0 as a pressure [mmHg] and any other type as an inflow
// [nl/min], positive into the network (solve.cpp; the README documents 2 for inflow). Here 0 is a
// pressure, 1 and 2 are inflows, anything else is an error; segments of other types are skipped.
#include <algorithm>
#include <cmath>
#include <limits>
#include <ostream>
#include <tuple>
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
using detail::TextLine;

/// Walks the lines of one file, remembering the path for error messages.
class DatCursor {
 public:
  DatCursor(std::string path, std::vector<TextLine> lines) : path_(std::move(path)), lines_(std::move(lines)) {}

  const std::string& path() const { return path_; }
  std::size_t lines_left() const { return lines_.size() - next_; }

  /// The next line, whatever it holds; `what` names it in the end-of-file error.
  const TextLine& next_line(const char* what) {
    if (next_ >= lines_.size()) fail_end_of_file(what);
    return lines_[next_++];
  }
  /// The next line that is not blank.
  const TextLine& next_nonblank_line(const char* what) {
    while (next_ < lines_.size() && detail::is_blank(lines_[next_].text)) ++next_;
    return next_line(what);
  }
  bool at_end_ignoring_blank_lines() {
    while (next_ < lines_.size() && detail::is_blank(lines_[next_].text)) ++next_;
    return next_ >= lines_.size();
  }
  [[noreturn]] void fail_end_of_file(const char* what) const {
    fail_at_line(path_, lines_.size() + 1, std::string("unexpected end of file: expected ") + what +
                                              " (truncated file?)");
  }

 private:
  std::string path_;
  std::vector<TextLine> lines_;
  std::size_t next_ = 0;
};

/// The first `count` whitespace-separated tokens of a line; error when there are fewer.
std::vector<std::string_view> leading_tokens(const DatCursor& cursor, const TextLine& line, std::size_t count,
                                             const char* columns) {
  std::vector<std::string_view> tokens = detail::split_whitespace(line.text);
  if (tokens.size() < count)
    fail_at_line(cursor.path(), line.number,
                 "expected " + std::to_string(count) + " values (" + columns + "), found " +
                     std::to_string(tokens.size()));
  return tokens;
}

double number_at(const DatCursor& cursor, const TextLine& line, std::string_view token, const char* column) {
  const auto value = detail::parse_finite_double(token);
  if (!value)
    fail_at_line(cursor.path(), line.number,
                 std::string(column) + " is not a finite number: " + quote_token(token));
  return *value;
}

std::int64_t integer_at(const DatCursor& cursor, const TextLine& line, std::string_view token, const char* column) {
  const auto value = detail::parse_int64(token);
  if (!value) fail_at_line(cursor.path(), line.number, std::string(column) + " is not an integer: " + quote_token(token));
  return *value;
}

/// A count line ("1130 total number of segments"): a non-negative integer no larger than the
/// number of lines left (each record takes a line), so a corrupt header cannot make us allocate.
std::size_t read_count(DatCursor& cursor, const char* what) {
  const TextLine& line = cursor.next_nonblank_line(what);
  const auto tokens = leading_tokens(cursor, line, 1, what);
  const std::int64_t count = integer_at(cursor, line, tokens[0], what);
  if (count < 0) fail_at_line(cursor.path(), line.number, std::string(what) + " is negative: " + std::to_string(count));
  // The records follow after one column-header line.
  const std::size_t available = cursor.lines_left() > 0 ? cursor.lines_left() - 1 : 0;
  if (static_cast<std::uint64_t>(count) > available)
    fail_at_line(cursor.path(), line.number,
                 std::string(what) + " is " + std::to_string(count) + " but only " + std::to_string(available) +
                     " lines follow (truncated file or wrong count?)");
  if (count > std::numeric_limits<index_t>::max())
    fail_at_line(cursor.path(), line.number, std::string(what) + " is too large: " + std::to_string(count));
  return static_cast<std::size_t>(count);
}

struct SegmentRecord {
  std::int64_t name;
  std::int64_t from_name, to_name;
  double diameter_um, flow_nl_per_min, haematocrit;
  std::size_t line;
};

}  // namespace

Network read_secomb_dat(const std::string& path, std::vector<double>* flow_column) {
  const std::string content = detail::read_whole_file(path);
  DatCursor cursor(path, detail::split_lines(content));

  double box[3] = {0, 0, 0};
  // ---- header: title, box, tissue points, outer bound, max segment length, nodsegm ----------------
  cursor.next_line("the title line");
  {
    const TextLine& line = cursor.next_nonblank_line("the box dimensions line");
    const auto t = leading_tokens(cursor, line, 3, "box dimensions alx aly alz");
    // GreensV4's tissue region: the box [0, alx] x [0, aly] x [0, alz] um.
    for (int i = 0; i < 3; ++i) box[i] = number_at(cursor, line, t[i], "box dimension") * 1e-6;
  }
  {
    const TextLine& line = cursor.next_nonblank_line("the tissue points line");
    const auto t = leading_tokens(cursor, line, 3, "tissue points mxx myy mzz");
    for (int i = 0; i < 3; ++i) integer_at(cursor, line, t[i], "number of tissue points");
  }
  {
    const TextLine& line = cursor.next_nonblank_line("the outer bound distance line");
    number_at(cursor, line, leading_tokens(cursor, line, 1, "outer bound distance")[0], "outer bound distance");
  }
  {
    const TextLine& line = cursor.next_nonblank_line("the maximum segment length line");
    number_at(cursor, line, leading_tokens(cursor, line, 1, "maximum segment length")[0], "maximum segment length");
  }
  {
    const TextLine& line = cursor.next_nonblank_line("the maximum segments per node line");
    integer_at(cursor, line, leading_tokens(cursor, line, 1, "maximum segments per node")[0],
               "maximum segments per node");
  }

  // ---- segments -------------------------------------------------------------------------------------
  const std::size_t segment_count = read_count(cursor, "the number of segments");
  cursor.next_line("the segment column header");
  std::vector<SegmentRecord> segments;
  segments.reserve(segment_count);
  std::unordered_map<std::int64_t, std::size_t> segment_line_by_name;
  segment_line_by_name.reserve(segment_count);
  for (std::size_t i = 0; i < segment_count; ++i) {
    const TextLine& line = cursor.next_nonblank_line("a segment line");
    const auto t = leading_tokens(cursor, line, 7, "name type from to diameter flow hd");
    SegmentRecord record{};
    record.name = integer_at(cursor, line, t[0], "segment name");
    const std::int64_t type = integer_at(cursor, line, t[1], "segment type");
    record.from_name = integer_at(cursor, line, t[2], "'from' node");
    record.to_name = integer_at(cursor, line, t[3], "'to' node");
    record.diameter_um = number_at(cursor, line, t[4], "diameter");
    record.flow_nl_per_min = number_at(cursor, line, t[5], "flow");
    record.haematocrit = number_at(cursor, line, t[6], "haematocrit");
    record.line = line.number;
    const auto [it, inserted] = segment_line_by_name.emplace(record.name, line.number);
    if (!inserted)
      fail_at_line(path, line.number,
                   "segment " + std::to_string(record.name) + " is listed twice (first at line " +
                       std::to_string(it->second) + ")");
    if (type == 4 || type == 5) segments.push_back(record);  // NetFlowV2: other types carry no flow
  }

  // ---- nodes -----------------------------------------------------------------------------------------
  Network net;
  if (box[0] > 0 && box[1] > 0 && box[2] > 0) net.tissue_box = {0.0, 0.0, 0.0, box[0], box[1], box[2]};
  const std::size_t node_count = read_count(cursor, "the number of nodes");
  cursor.next_line("the node column header");
  net.node_id.reserve(node_count);
  net.x.reserve(node_count);
  net.y.reserve(node_count);
  net.z.reserve(node_count);
  std::unordered_map<std::int64_t, index_t> node_index_by_name;
  std::vector<std::size_t> node_line;
  node_index_by_name.reserve(node_count);
  node_line.reserve(node_count);
  for (std::size_t i = 0; i < node_count; ++i) {
    const TextLine& line = cursor.next_nonblank_line("a node line");
    const auto t = leading_tokens(cursor, line, 4, "name x y z");
    const std::int64_t name = integer_at(cursor, line, t[0], "node name");
    const double x_um = number_at(cursor, line, t[1], "x");
    const double y_um = number_at(cursor, line, t[2], "y");
    const double z_um = number_at(cursor, line, t[3], "z");
    const auto [it, inserted] = node_index_by_name.emplace(name, static_cast<index_t>(net.num_nodes()));
    if (!inserted)
      fail_at_line(path, line.number,
                   "node " + std::to_string(name) + " is listed twice (first at line " +
                       std::to_string(node_line[static_cast<std::size_t>(it->second)]) + ")");
    net.add_node(name, x_um * units::um, y_um * units::um, z_um * units::um);
    node_line.push_back(line.number);
  }

  // ---- boundary nodes ------------------------------------------------------------------------------
  const std::size_t boundary_count = read_count(cursor, "the number of boundary nodes");
  if (boundary_count > 0 || !cursor.at_end_ignoring_blank_lines()) cursor.next_line("the boundary column header");
  std::unordered_map<index_t, std::size_t> boundary_line_by_node;
  net.boundaries.reserve(boundary_count);
  for (std::size_t i = 0; i < boundary_count; ++i) {
    const TextLine& line = cursor.next_nonblank_line("a boundary node line");
    const auto t = leading_tokens(cursor, line, 4, "node bctyp value hd");
    const std::int64_t name = integer_at(cursor, line, t[0], "boundary node");
    const std::int64_t type = integer_at(cursor, line, t[1], "boundary type");
    const double value = number_at(cursor, line, t[2], "boundary pressure/flow");
    const double haematocrit = number_at(cursor, line, t[3], "boundary haematocrit");
    const auto node = node_index_by_name.find(name);
    if (node == node_index_by_name.end())
      fail_at_line(path, line.number, "boundary node " + std::to_string(name) + " is not in the node list");
    const auto [previous, inserted] = boundary_line_by_node.emplace(node->second, line.number);
    if (!inserted)
      fail_at_line(path, line.number,
                   "node " + std::to_string(name) + " has a second boundary condition (first at line " +
                       std::to_string(previous->second) + ")");
    BoundaryCondition bc;
    bc.node = node->second;
    if (type == 0) {
      bc.type = BoundaryType::pressure;
      bc.value = value * units::mmHg;
    } else if (type == 1 || type == 2) {
      bc.type = BoundaryType::flow;
      bc.value = value * units::nl_per_min;  // positive into the network (NetFlowV2 solve.cpp)
    } else {
      fail_at_line(path, line.number,
                   "boundary type " + std::to_string(type) +
                       " is not supported (0 = pressure in mmHg, 1 or 2 = inflow in nl/min)");
    }
    bc.haematocrit = haematocrit;
    if (t.size() > 4) {  // GreensV4: PO2 (and further solutes); NetFlowV2 files may end with text
      if (const auto po2 = detail::parse_finite_double(t[4])) bc.po2_mmHg = *po2;
    }
    net.boundaries.push_back(bc);
  }

  // ---- segments, now that node names are known ---------------------------------------------------
  const std::size_t kept = segments.size();
  net.segment_id.reserve(kept);
  net.segment_from.reserve(kept);
  net.segment_to.reserve(kept);
  net.radius.reserve(kept);
  net.length.reserve(kept);
  std::vector<double> haematocrit, file_flow;
  haematocrit.reserve(kept);
  file_flow.reserve(kept);
  if (flow_column) {
    flow_column->clear();
    flow_column->reserve(kept);
  }
  for (const SegmentRecord& s : segments) {
    const auto from = node_index_by_name.find(s.from_name);
    const auto to = node_index_by_name.find(s.to_name);
    for (const auto& [found, name, end] : {std::tuple(from != node_index_by_name.end(), s.from_name, "'from'"),
                                           std::tuple(to != node_index_by_name.end(), s.to_name, "'to'")})
      if (!found)
        fail_at_line(path, s.line,
                     "segment " + std::to_string(s.name) + ": " + end + " node " + std::to_string(name) +
                         " is not in the node list");
    net.add_segment(s.name, from->second, to->second, 0.5 * s.diameter_um * units::um);
    haematocrit.push_back(s.haematocrit);
    file_flow.push_back(s.flow_nl_per_min * units::nl_per_min);
    if (flow_column) flow_column->push_back(s.flow_nl_per_min * units::nl_per_min);
  }
  net.fill_defaults();
  net.haematocrit = std::move(haematocrit);
  net.file_flow = std::move(file_flow);
  return net;
}

// ---- writer -------------------------------------------------------------------------------------------

namespace {

double value_or(const std::vector<double>* values, std::size_t i, double fallback) {
  return values && i < values->size() ? (*values)[i] : fallback;
}

}  // namespace

void write_secomb_dat(const Network& net, const std::string& path, const std::vector<double>* flow,
                      const std::vector<double>* haematocrit) {
  const std::size_t n_segments = net.num_segments();
  const std::size_t n_nodes = net.num_nodes();
  if (flow && flow->size() != n_segments)
    throw InputError(path + ": flow has " + std::to_string(flow->size()) + " values for " +
                     std::to_string(n_segments) + " segments");
  if (haematocrit && haematocrit->size() != n_segments)
    throw InputError(path + ": haematocrit has " + std::to_string(haematocrit->size()) + " values for " +
                     std::to_string(n_segments) + " segments");
  for (std::size_t s = 0; s < n_segments; ++s) {
    const index_t a = net.segment_from[s], b = net.segment_to[s];
    if (a < 0 || b < 0 || static_cast<std::size_t>(a) >= n_nodes || static_cast<std::size_t>(b) >= n_nodes)
      throw InputError(path + ": segment " + std::to_string(net.segment_id[s]) + " refers to a node index out of range");
  }
  for (const BoundaryCondition& bc : net.boundaries)
    if (bc.node < 0 || static_cast<std::size_t>(bc.node) >= n_nodes)
      throw InputError(path + ": a boundary condition refers to node index " + std::to_string(bc.node) +
                       ", out of range");

  // NetFlowV2 sizes its per-node arrays by nodsegm: it must be at least the largest node degree.
  std::vector<int> degree(n_nodes, 0);
  for (std::size_t s = 0; s < n_segments; ++s) {
    ++degree[static_cast<std::size_t>(net.segment_from[s])];
    ++degree[static_cast<std::size_t>(net.segment_to[s])];
  }
  const int max_degree = std::max(4, n_nodes ? *std::max_element(degree.begin(), degree.end()) : 0);
  double extent_um[3] = {0.0, 0.0, 0.0};
  if (n_nodes > 0) {
    const std::vector<double>* axes[3] = {&net.x, &net.y, &net.z};
    for (int k = 0; k < 3; ++k) {
      const auto [lo, hi] = std::minmax_element(axes[k]->begin(), axes[k]->end());
      extent_um[k] = (*hi - *lo) / units::um;
    }
  }
  const bool any_po2 = std::any_of(net.boundaries.begin(), net.boundaries.end(),
                                   [](const BoundaryCondition& bc) { return std::isfinite(bc.po2_mmHg); });

  using detail::format_double;
  io::write_file_atomically(path, [&](std::ostream& out) {
    out << "Network written by hepaflow: " << n_segments << " segments, " << n_nodes << " nodes\n";
    out << format_double(extent_um[0]) << ' ' << format_double(extent_um[1]) << ' ' << format_double(extent_um[2])
        << "\tbox dimensions in microns (extent of the nodes)\n";
    out << "10 10 10\tnumber of tissue points in x,y,z directions\n";
    out << "100.\touter bound distance\n";
    out << "100.\tmax. segment length\n";
    out << max_degree << "\tmaximum number of segments per node\n";
    out << n_segments << "\ttotal number of segments\n";
    out << "name type from to diam[um] flow[nl/min] hd\n";
    for (std::size_t s = 0; s < n_segments; ++s) {
      const double segment_hd =
          value_or(haematocrit, s, s < net.haematocrit.size() && std::isfinite(net.haematocrit[s]) ? net.haematocrit[s] : 0.45);
      out << net.segment_id[s] << " 5 " << net.node_id[static_cast<std::size_t>(net.segment_from[s])] << ' '
          << net.node_id[static_cast<std::size_t>(net.segment_to[s])] << ' '
          << format_double(2.0 * net.radius[s] / units::um) << ' '
          << format_double(value_or(flow, s, 0.0) / units::nl_per_min) << ' ' << format_double(segment_hd) << '\n';
    }
    out << n_nodes << "\tnumber of nodes\n";
    out << "name x y z [um]\n";
    for (std::size_t i = 0; i < n_nodes; ++i)
      out << net.node_id[i] << ' ' << format_double(net.x[i] / units::um) << ' ' << format_double(net.y[i] / units::um)
          << ' ' << format_double(net.z[i] / units::um) << '\n';
    out << net.boundaries.size() << "\tnumber of boundary nodes\n";
    out << (any_po2 ? "node bctyp press[mmHg]/flow[nl/min] hd po2[mmHg]\n" : "node bctyp press[mmHg]/flow[nl/min] hd\n");
    for (const BoundaryCondition& bc : net.boundaries) {
      const bool is_pressure = bc.type == BoundaryType::pressure;
      out << net.node_id[static_cast<std::size_t>(bc.node)] << ' ' << (is_pressure ? 0 : 2) << ' '
          << format_double(is_pressure ? bc.value / units::mmHg : bc.value / units::nl_per_min) << ' '
          << format_double(std::isfinite(bc.haematocrit) ? bc.haematocrit : 0.45);
      if (any_po2) out << ' ' << format_double(std::isfinite(bc.po2_mmHg) ? bc.po2_mmHg : 0.0);
      out << '\n';
    }
  });
}

}  // namespace hepaflow::meshes

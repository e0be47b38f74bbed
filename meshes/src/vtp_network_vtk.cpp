// VTK XML PolyData (.vtp) network reader.
//
// Format source: "VTK File Formats" (VTK User's Guide, XML PolyData), read through VTK's own
// vtkXMLPolyDataReader. Vessel networks in this form (e.g. MicrovesselChaste's test data, the
// networks ParaView/VMTK users export, hepaflow's own write_network_vtp) are line cells: every
// polyline of k points is k-1 segments between consecutive points; vessels meet where polylines
// share a point, or two points coincide. The file carries no units and no boundary conditions.
//
// Robustness: VTK reports read problems through its error events and output window, not by
// exceptions; both are captured while reading and turned into InputError. Everything the reader
// returns (counts, offsets, connectivity, array lengths, values) is checked before use, so a corrupt
// file can never index out of bounds here.
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkCommand.h>
#include <vtkDataArray.h>
#include <vtkExecutive.h>
#include <vtkLogger.h>
#include <vtkNew.h>
#include <vtkObjectFactory.h>
#include <vtkOutputWindow.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>
#include <vtkXMLDataElement.h>
#include <vtkXMLDataParser.h>
#include <vtkXMLPolyDataReader.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "hepaflow/error.hpp"
#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/units.hpp"
#include "network_io_text.hpp"

namespace hepaflow::meshes {

namespace {

// ---- capturing VTK's complaints -----------------------------------------------------------------------

/// Collects the text of ErrorEvent (and WarningEvent) invocations of the objects it observes.
class VtkErrorCollector : public vtkCommand {
 public:
  static VtkErrorCollector* New() { return new VtkErrorCollector; }
  void Execute(vtkObject*, unsigned long event, void* call_data) override {
    const char* text = static_cast<const char*>(call_data);
    if (event == vtkCommand::ErrorEvent) errors.emplace_back(text ? text : "unknown VTK error");
  }
  std::vector<std::string> errors;
};

/// An output window that keeps VTK's error text instead of printing it.
class CapturingOutputWindow : public vtkOutputWindow {
 public:
  static CapturingOutputWindow* New();
  vtkTypeMacro(CapturingOutputWindow, vtkOutputWindow);
  void DisplayErrorText(const char* text) override { errors.emplace_back(text ? text : "unknown VTK error"); }
  void DisplayWarningText(const char*) override {}
  void DisplayGenericWarningText(const char*) override {}
  void DisplayDebugText(const char*) override {}
  void DisplayText(const char*) override {}
  std::vector<std::string> errors;
};
vtkStandardNewMacro(CapturingOutputWindow);

/// Installs a CapturingOutputWindow as VTK's global output window for its lifetime, and silences
/// vtkLogger's stderr output, which VTK 9 writes for every error raised by an object without an
/// ErrorEvent observer (e.g. the zlib decompressor the XML parser creates internally). Both are
/// process-global, so reads are serialized by a mutex. vtkLogger has no getter for the stderr
/// level: it is restored to the current verbosity cutoff, which equals it unless a program also
/// logs to files or callbacks at a higher level.
class OutputWindowCapture {
 public:
  OutputWindowCapture()
      : lock_(mutex()),
        previous_(vtkOutputWindow::GetInstance()),
        previous_stderr_verbosity_(vtkLogger::GetCurrentVerbosityCutoff()) {
    vtkOutputWindow::SetInstance(window_);
    vtkLogger::SetStderrVerbosity(vtkLogger::VERBOSITY_OFF);
  }
  ~OutputWindowCapture() {
    vtkLogger::SetStderrVerbosity(previous_stderr_verbosity_);
    vtkOutputWindow::SetInstance(previous_);
  }
  OutputWindowCapture(const OutputWindowCapture&) = delete;
  OutputWindowCapture& operator=(const OutputWindowCapture&) = delete;
  const std::vector<std::string>& errors() const { return window_->errors; }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> lock_;
  vtkSmartPointer<vtkOutputWindow> previous_;
  vtkLogger::Verbosity previous_stderr_verbosity_;
  vtkNew<CapturingOutputWindow> window_;
};

/// VTK messages look like "ERROR: In /path/vtkXMLReader.cxx, line 123\nvtkXMLPolyDataReader
/// (0x55...): Error reading ...": keep the part after the object address.
std::string readable_vtk_message(const std::string& raw) {
  std::string text = raw;
  const std::size_t address_end = text.find("): ");
  if (address_end != std::string::npos) text = text.substr(address_end + 3);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  constexpr std::size_t max_length = 300;
  if (text.size() > max_length) text = text.substr(0, max_length) + "...";
  return text;
}

// ---- header sanity: element counts against the file size -------------------------------------------

/// Sum of the integer attribute `name="N"` over all <Piece> elements before the appended data.
/// Returns -1 when an attribute cannot be parsed (VTK's reader will then report the problem).
double declared_count(const std::string& head, const std::string& name) {
  double total = 0.0;
  const std::string key = name + "=\"";
  for (std::size_t at = head.find(key); at != std::string::npos; at = head.find(key, at + key.size())) {
    const std::size_t begin = at + key.size();
    const std::size_t end = head.find('"', begin);
    if (end == std::string::npos) return -1.0;
    const auto value = detail::parse_finite_double(detail::trim(std::string_view(head).substr(begin, end - begin)));
    if (!value) return -1.0;
    total += *value;
  }
  return total;
}

/// Refuse headers that announce more points or cells than the file can hold even compressed, so
/// that a corrupt count cannot make VTK allocate gigabytes. zlib expands at most ~1032:1 and a
/// point takes at least 12 bytes (3 x Float32), a cell at least 4 (one Int32 offset).
void check_declared_counts(const std::string& path, const std::string& content) {
  const std::size_t appended = content.find("<AppendedData");
  const std::string head = content.substr(0, appended);
  const double bytes = static_cast<double>(content.size());
  const double max_points = bytes * 1032.0 / 12.0 + 1000.0, max_cells = bytes * 1032.0 / 4.0 + 1000.0;
  const double points = declared_count(head, "NumberOfPoints");
  if (points > max_points)
    throw InputError(path + ": header declares " + detail::format_double(points) + " points, more than a file of " +
                     std::to_string(content.size()) + " bytes can hold (corrupt header?)");
  for (const char* cells : {"NumberOfVerts", "NumberOfLines", "NumberOfStrips", "NumberOfPolys"}) {
    const double count = declared_count(head, cells);
    if (count > max_cells)
      throw InputError(path + ": header declares " + detail::format_double(count) + " " + std::string(cells).substr(8) +
                       ", more than a file of " + std::to_string(content.size()) + " bytes can hold (corrupt header?)");
  }
}

/// VTK 9.1's vtkXMLDataReader::ReadPieceData words its "Cannot read cell data array" error with the
/// piece's <PointData> element, a null pointer when the piece has none: any cell-data read failure
/// (too short, unparseable, corrupt binary) in such a piece crashes it. All three crashes of the 1e6
/// fuzz campaign were this one (regression inputs short_ascii_cell_array, declared_lines_exceed_offsets,
/// cell_array_unparseable_no_point_data; declared_verts_missing is refused earlier, by
/// check_piece_structure). The text VTK parses gets an
/// empty <PointData></PointData> in every piece without one: nothing else changes (appended-data
/// offsets count from the <AppendedData> section, which lies after every piece). Returns "" when no
/// piece lacks one.
std::string with_point_data_in_every_piece(const std::string& content) {
  const std::size_t head_end = std::min(content.find("<AppendedData"), content.size());
  std::string out;
  std::size_t copied = 0;
  for (std::size_t at = content.find("<Piece"); at < head_end; at = content.find("<Piece", at + 6)) {
    const std::size_t tag_end = content.find('>', at);
    if (tag_end == std::string::npos || tag_end >= head_end) break;
    if (content[tag_end - 1] == '/') continue;  // <Piece .../>: no data
    const std::size_t piece_end = content.find("</Piece", tag_end);
    const std::size_t point_data = content.find("<PointData", tag_end);
    if (point_data != std::string::npos && point_data < piece_end) continue;
    out.append(content, copied, tag_end + 1 - copied);
    out += "<PointData></PointData>";
    copied = tag_end + 1;
  }
  if (copied == 0) return "";
  out.append(content, copied, std::string::npos);
  return out;
}

/// VTK 9.1's vtkXMLPolyDataReader reads the cell arrays (and cell data) a piece's header declares
/// without checking that the piece holds them: a file declaring NumberOfVerts="5" with no <Verts>
/// element crashes it (SEGV in vtkXMLDataReader::ReadPieceData; found by fuzzing, regression input
/// tests/fuzz/regressions/vtp_network/declared_verts_missing; the crash itself was VTK's message bug
/// that with_point_data_in_every_piece defuses). With a <PointData> element VTK reads such a file
/// without complaint, ignoring the declared cells: check the parsed structure before any data are read.
void check_piece_structure(const std::string& path, vtkXMLDataParser* parser) {
  vtkXMLDataElement* root = parser ? parser->GetRootElement() : nullptr;
  vtkXMLDataElement* poly = root ? root->FindNestedElementWithName("PolyData") : nullptr;
  if (!poly) return;  // the reader has reported it
  const auto has_array = [](vtkXMLDataElement* e, const std::string& name) {
    for (int j = 0; e && j < e->GetNumberOfNestedElements(); ++j) {
      vtkXMLDataElement* a = e->GetNestedElement(j);
      const char* n = a->GetAttribute("Name");
      if (std::string(a->GetName()) == "DataArray" && (name.empty() || (n && name == n))) return true;
    }
    return false;
  };
  int piece_index = 0;
  for (int i = 0; i < poly->GetNumberOfNestedElements(); ++i) {
    vtkXMLDataElement* piece = poly->GetNestedElement(i);
    if (std::string(piece->GetName()) != "Piece") continue;
    const std::string where = path + ": <Piece> " + std::to_string(piece_index++) + " declares ";
    long long declared = 0;
    if (piece->GetScalarAttribute("NumberOfPoints", declared) && declared > 0 &&
        !has_array(piece->FindNestedElementWithName("Points"), ""))
      throw InputError(where + "NumberOfPoints=\"" + std::to_string(declared) +
                       "\" but holds no <Points> element with a DataArray (corrupt file)");
    for (const char* kind : {"Verts", "Lines", "Strips", "Polys"}) {
      declared = 0;
      if (!piece->GetScalarAttribute((std::string("NumberOf") + kind).c_str(), declared) || declared <= 0) continue;
      vtkXMLDataElement* cell_arrays = piece->FindNestedElementWithName(kind);
      if (!has_array(cell_arrays, "connectivity") || !has_array(cell_arrays, "offsets"))
        throw InputError(where + "NumberOf" + kind + "=\"" + std::to_string(declared) + "\" but holds no <" + kind +
                         "> element with \"connectivity\" and \"offsets\" arrays (corrupt file)");
    }
  }
}

// ---- appended-data size headers --------------------------------------------------------------------------

/// Value of attribute `name` in the first element that starts with `element` ("" if absent).
std::string attribute_of(std::string_view tag, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const std::size_t at = tag.find(key);
  if (at == std::string_view::npos) return "";
  const std::size_t begin = at + key.size();
  const std::size_t end = tag.find('"', begin);
  return end == std::string_view::npos ? "" : std::string(tag.substr(begin, end - begin));
}

/// Decodes base64 text (VTK's alphabet, '=' padding) into bytes; stops at the first non-digit.
std::vector<unsigned char> decode_base64(std::string_view text) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<unsigned char> bytes;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int d = digit(c);
    if (d < 0) break;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<unsigned char>((buffer >> bits) & 0xff));
    }
  }
  return bytes;
}

/// VTK writes each binary array (appended, or inline base64) as a size header (UInt32 or UInt64)
/// followed by the data; with a compressor the header is [number of blocks, block size, last
/// block size, compressed size of each block]. VTK's reader allocates what these headers say
/// before it can notice that they lie, so a flipped bit there could ask for terabytes. Check every
/// header against the file instead: compressed sizes must fit in the bytes that follow, and
/// uncompressed sizes must not exceed what zlib can expand those bytes to (about 1032:1).
void check_binary_size_headers(const std::string& path, const std::string& content) {
  const std::size_t file_tag_begin = content.find("<VTKFile");
  if (file_tag_begin == std::string::npos) return;  // VTK will reject the file itself
  const std::string_view text(content);
  const std::string_view file_tag = text.substr(file_tag_begin, text.find('>', file_tag_begin) - file_tag_begin);
  const bool header64 = attribute_of(file_tag, "header_type") == "UInt64";
  const bool big_endian = attribute_of(file_tag, "byte_order") == "BigEndian";
  const std::string compressor = attribute_of(file_tag, "compressor");
  const std::size_t header_size = header64 ? 8 : 4;
  const double expansion = compressor == "vtkZLibDataCompressor" ? 1032.0 : 1e4;

  const std::size_t appended_tag = content.find("<AppendedData");
  std::size_t appended_begin = std::string::npos;  // the byte after '_'
  bool appended_base64 = true;
  if (appended_tag != std::string::npos) {
    const std::size_t tag_end = content.find('>', appended_tag);
    if (tag_end != std::string::npos) {
      appended_base64 = attribute_of(text.substr(appended_tag, tag_end - appended_tag), "encoding") != "raw";
      const std::size_t underscore = content.find('_', tag_end);
      if (underscore != std::string::npos) appended_begin = underscore + 1;
    }
  }

  // Checks the header at `position`; data may extend up to `limit`. `strict`: a header that cannot
  // be decoded is an error (appended data) rather than left to VTK (inline text may be wrapped).
  auto check_array = [&](const std::string& name, std::size_t position, std::size_t limit, bool base64, bool strict) {
    auto fail = [&](const std::string& why) {
      throw InputError(path + ": binary data of array '" + name + "': " + why + " (corrupt file?)");
    };
    auto bytes_after = [&](std::size_t at) {
      const double raw = static_cast<double>(limit - std::min(at, limit));
      return base64 ? raw * 3.0 / 4.0 : raw;
    };
    std::vector<double> words;
    auto read_words = [&](std::size_t count) {
      const std::size_t needed = count * header_size;
      std::vector<unsigned char> bytes;
      if (base64) {
        const std::size_t chars = 4 * ((needed + 2) / 3);
        if (position + chars > limit) return false;
        bytes = decode_base64(text.substr(position, chars));
      } else {
        if (position + needed > limit) return false;
        bytes.assign(content.begin() + static_cast<std::ptrdiff_t>(position),
                     content.begin() + static_cast<std::ptrdiff_t>(position + needed));
      }
      if (bytes.size() < needed) return false;
      words.assign(count, 0.0);
      for (std::size_t w = 0; w < count; ++w) {
        std::uint64_t value = 0;
        for (std::size_t b = 0; b < header_size; ++b)
          value = (value << 8) | bytes[w * header_size + (big_endian ? b : header_size - 1 - b)];
        words[w] = static_cast<double>(value);
      }
      return true;
    };
    if (compressor.empty()) {
      if (!read_words(1)) return strict ? fail("size header cut off") : void();
      if (words[0] > bytes_after(position)) fail("size header larger than the file");
      return;
    }
    if (!read_words(3)) return strict ? fail("compression header cut off") : void();
    const double blocks = words[0], block_size = words[1], last_block_size = words[2];
    if (blocks * static_cast<double>(header_size) > bytes_after(position)) fail("block count larger than the file");
    if (!read_words(3 + static_cast<std::size_t>(blocks))) return strict ? fail("compression header cut off") : void();
    double compressed_total = 0.0, compressed_largest = 0.0;
    for (std::size_t b = 3; b < words.size(); ++b) {
      compressed_total += words[b];
      compressed_largest = std::max(compressed_largest, words[b]);
    }
    if (compressed_total > bytes_after(position)) fail("compressed sizes larger than the file");
    // Each block expands to block_size bytes, the last to last_block_size (0: a full block). The
    // nominal block size (32 KiB by default) may exceed what a single short block holds.
    if (blocks > 0 && (last_block_size > block_size ||
                       block_size > std::max(expansion * compressed_largest + 1024.0, double(1 << 20))))
      fail("block sizes inconsistent with the compressed data");
    for (std::size_t b = 3; b < words.size(); ++b) {
      const bool last = b + 1 == words.size();
      const double uncompressed = last && last_block_size > 0 ? last_block_size : block_size;
      if (uncompressed > expansion * words[b] + 1024.0) fail("block sizes inconsistent with the compressed data");
    }
  };

  const std::size_t head_end = appended_tag == std::string::npos ? content.size() : appended_tag;
  for (std::size_t at = content.find("<DataArray"); at < head_end; at = content.find("<DataArray", at + 10)) {
    const std::size_t tag_end = content.find('>', at);
    if (tag_end == std::string::npos) return;  // VTK's XML parser reports this
    const std::string_view tag = text.substr(at, tag_end - at);
    const std::string format = attribute_of(tag, "format");
    const std::string name = attribute_of(tag, "Name");
    if (format == "appended") {
      if (appended_begin == std::string::npos) continue;  // VTK reports the missing AppendedData
      const auto offset = detail::parse_int64(detail::trim(attribute_of(tag, "offset")));
      if (!offset || *offset < 0 || static_cast<std::uint64_t>(*offset) >= content.size() - appended_begin)
        throw InputError(path + ": binary data of array '" + name + "': offset outside the file (corrupt file?)");
      check_array(name, appended_begin + static_cast<std::size_t>(*offset), content.size(), appended_base64, true);
    } else if (format == "binary" && tag.back() != '/') {
      std::size_t position = tag_end + 1;
      while (position < content.size() && std::isspace(static_cast<unsigned char>(content[position]))) ++position;
      const std::size_t element_end = std::min(content.find("</DataArray", position), content.size());
      check_array(name, position, element_end, true, false);
    }
  }
}

// ---- arrays ---------------------------------------------------------------------------------------------

struct FoundArray {
  vtkDataArray* array = nullptr;
  bool is_cell_data = false;
  bool holds_diameter = false;
  std::string name;
};

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Metres per unit of a radius array: from its name's unit suffix (_um, _mm, _m), else the option.
double radius_unit_of(const std::string& name, double length_unit) {
  const std::string lower = detail::to_lower(name);
  if (ends_with(lower, "_um")) return units::um;
  if (ends_with(lower, "_mm")) return units::mm;
  if (ends_with(lower, "_m")) return 1.0;
  return length_unit;
}

std::string list_arrays(vtkPolyData* poly) {
  std::string list;
  for (auto [data, where] : {std::pair<vtkDataSetAttributes*, const char*>{poly->GetPointData(), "point"},
                             std::pair<vtkDataSetAttributes*, const char*>{poly->GetCellData(), "cell"}}) {
    for (int i = 0; i < data->GetNumberOfArrays(); ++i) {
      const char* name = data->GetArrayName(i);
      list += (list.empty() ? "" : ", ") + std::string(name ? name : "(unnamed)") + " (" + where + ")";
    }
  }
  return list.empty() ? "none" : list;
}

/// Rank of an array name as a radius source (lower is better), or -1 when it is none.
int radius_name_rank(const std::string& name, bool* holds_diameter) {
  const std::string lower = detail::to_lower(name);
  *holds_diameter = false;
  if (lower == "radius" || lower == "radius_um") return 0;
  if (lower == "diameter" || lower == "diameter_um") return *holds_diameter = true, 1;
  if (lower.find("radius") != std::string::npos) return 2;
  if (lower.find("diameter") != std::string::npos) return *holds_diameter = true, 3;
  return -1;
}

FoundArray find_radius_array(const std::string& path, vtkPolyData* poly, const NetworkFileOptions& options) {
  FoundArray best;
  // cell data first: at equal rank a per-polyline radius wins (hepaflow's own .vtp has the exact
  // segment radius as cell data and a node mean as point data).
  vtkDataSetAttributes* sources[2] = {poly->GetCellData(), poly->GetPointData()};
  if (!options.radius_array.empty()) {
    for (int pass = 0; pass < 2 && !best.array; ++pass) {  // exact case first, then any case
      for (int where = 0; where < 2 && !best.array; ++where) {
        for (int i = 0; i < sources[where]->GetNumberOfArrays() && !best.array; ++i) {
          const char* name = sources[where]->GetArrayName(i);
          if (!name) continue;
          const bool match = pass == 0 ? options.radius_array == name
                                       : detail::to_lower(options.radius_array) == detail::to_lower(name);
          if (match) best = {sources[where]->GetArray(i), where == 0, options.radius_is_diameter, name};
        }
      }
    }
    if (!best.array)
      throw InputError(path + ": no numeric array named '" + options.radius_array + "' (arrays: " + list_arrays(poly) + ")");
    return best;
  }
  int best_rank = std::numeric_limits<int>::max();
  for (int where = 0; where < 2; ++where) {
    for (int i = 0; i < sources[where]->GetNumberOfArrays(); ++i) {
      const char* name = sources[where]->GetArrayName(i);
      vtkDataArray* array = sources[where]->GetArray(i);
      if (!name || !array || array->GetNumberOfComponents() != 1) continue;
      bool holds_diameter = false;
      const int rank = radius_name_rank(name, &holds_diameter);
      if (rank >= 0 && rank < best_rank) {
        best_rank = rank;
        best = {array, where == 0, holds_diameter != options.radius_is_diameter, name};
      }
    }
  }
  return best;
}

/// Value i of a one-component array, checked for length and finiteness.
double checked_value(const std::string& path, vtkDataArray* array, const std::string& name, vtkIdType i,
                     const char* what) {
  if (i < 0 || i >= array->GetNumberOfTuples())
    throw InputError(path + ": array '" + name + "' has " + std::to_string(array->GetNumberOfTuples()) +
                     " values, too few for " + what + " " + std::to_string(i));
  const double value = array->GetComponent(i, 0);
  if (!std::isfinite(value))
    throw InputError(path + ": array '" + name + "' value " + std::to_string(i) + " (" + what + ") is not finite");
  return value;
}

/// A one-component numeric array of hepaflow's own output (node_id, segment_id, kind, length_um).
vtkDataArray* hepaflow_array(vtkDataSetAttributes* data, const char* name) {
  vtkDataArray* array = data->GetArray(name);
  return array && array->GetNumberOfComponents() == 1 ? array : nullptr;
}

// ---- merging coincident points -----------------------------------------------------------------------

/// Spatial hash of the nodes created so far: a point within `tolerance` of an existing node maps to
/// it. Cells of edge `tolerance`, 27-cell neighbourhood; tolerance 0 merges identical points only.
class NodeMerger {
 public:
  NodeMerger(const std::string& path, double tolerance) : path_(path), tolerance_(tolerance) {}

  /// Index of the node at p (file units) - an existing one within tolerance, or `new_index`.
  index_t find_or_add(const double p[3], index_t new_index, vtkIdType point_id) {
    Key key{};
    for (int k = 0; k < 3; ++k) {
      if (!std::isfinite(p[k]))
        throw InputError(path_ + ": point " + std::to_string(point_id) + " has a non-finite coordinate");
      const double cell = tolerance_ > 0.0 ? std::floor(p[k] / tolerance_) : 0.0;
      if (tolerance_ > 0.0 && std::fabs(cell) > 4.0e18)
        throw InputError(path_ + ": point " + std::to_string(point_id) +
                         " lies too far out for the merge tolerance (wrong length unit?)");
      key.cell[k] = tolerance_ > 0.0 ? static_cast<std::int64_t>(cell) : exact_bits(p[k]);
    }
    if (tolerance_ > 0.0) {
      const double tolerance2 = tolerance_ * tolerance_;
      for (int dx = -1; dx <= 1; ++dx)
        for (int dy = -1; dy <= 1; ++dy)
          for (int dz = -1; dz <= 1; ++dz) {
            const auto it = cells_.find(Key{{key.cell[0] + dx, key.cell[1] + dy, key.cell[2] + dz}});
            if (it == cells_.end()) continue;
            for (index_t n = it->second; n >= 0; n = next_in_cell_[static_cast<std::size_t>(n)]) {
              const double* q = &position_[3 * static_cast<std::size_t>(n)];
              const double d2 = (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) +
                                (p[2] - q[2]) * (p[2] - q[2]);
              if (d2 <= tolerance2) return n;
            }
          }
    } else if (const auto it = cells_.find(key); it != cells_.end()) {
      return it->second;
    }
    auto [slot, inserted] = cells_.emplace(key, new_index);
    next_in_cell_.push_back(inserted ? -1 : slot->second);
    slot->second = new_index;
    position_.insert(position_.end(), p, p + 3);
    return new_index;
  }

 private:
  struct Key {
    std::int64_t cell[3];
    bool operator==(const Key& o) const { return cell[0] == o.cell[0] && cell[1] == o.cell[1] && cell[2] == o.cell[2]; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      std::uint64_t h = 1469598103934665603ull;
      for (std::int64_t c : k.cell) h = (h ^ static_cast<std::uint64_t>(c)) * 1099511628211ull;
      return static_cast<std::size_t>(h ^ (h >> 29));
    }
  };
  static std::int64_t exact_bits(double v) {
    v += 0.0;  // -0 -> +0
    std::int64_t bits;
    static_assert(sizeof bits == sizeof v);
    std::memcpy(&bits, &v, sizeof v);
    return bits;
  }

  std::string path_;
  double tolerance_;
  std::unordered_map<Key, index_t, KeyHash> cells_;  ///< cell -> most recent node in it
  std::vector<index_t> next_in_cell_;                ///< per node: previous node in the same cell
  std::vector<double> position_;                     ///< per node: x, y, z (file units)
};

}  // namespace

Network read_vtp_network(const std::string& path, const NetworkFileOptions& options, std::vector<double>* flow_column) {
  if (!(options.length_unit > 0.0) || !std::isfinite(options.length_unit))
    throw InputError(path + ": length unit must be a positive number of metres");
  if (!(options.merge_tolerance >= 0.0) || !std::isfinite(options.merge_tolerance))
    throw InputError(path + ": merge tolerance must be a non-negative number of metres");
  // Missing/unreadable -> IoError; the content is also checked for impossible counts.
  const std::string content = detail::read_whole_file(path);
  check_declared_counts(path, content);
  check_binary_size_headers(path, content);

  vtkNew<vtkXMLPolyDataReader> reader;
  vtkNew<VtkErrorCollector> reader_errors;
  vtkSmartPointer<vtkPolyData> poly;
  {
    OutputWindowCapture capture;
    if (!reader->CanReadFile(path.c_str()))
      throw InputError(path + ": not a VTK XML PolyData file" +
                       (capture.errors().empty() ? "" : " (" + readable_vtk_message(capture.errors().front()) + ")"));
    reader->SetFileName(path.c_str());
    const std::string patched = with_point_data_in_every_piece(content);
    if (!patched.empty()) {
      reader->ReadFromInputStringOn();
      reader->SetInputString(patched);
    }
    reader->AddObserver(vtkCommand::ErrorEvent, reader_errors);
    reader->GetExecutive()->AddObserver(vtkCommand::ErrorEvent, reader_errors);
    reader->SetReaderErrorObserver(reader_errors);
    reader->SetParserErrorObserver(reader_errors);
    try {
      reader->UpdateInformation();  // parses the XML: its structure is checked before any data are read
      if (reader_errors->errors.empty() && capture.errors().empty()) check_piece_structure(path, reader->GetXMLParser());
      reader->Update();
    } catch (const InputError&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw InputError(path + ": corrupt file: its data sizes exhaust memory");
    } catch (const std::exception& e) {  // VTK itself reports by messages; the C++ library may throw
      throw InputError(path + ": cannot read VTK PolyData: " + e.what());
    }
    std::vector<std::string> errors = reader_errors->errors;
    errors.insert(errors.end(), capture.errors().begin(), capture.errors().end());
    if (!errors.empty())
      throw InputError(path + ": cannot read VTK PolyData: " + readable_vtk_message(errors.front()) +
                       (errors.size() > 1 ? " (and " + std::to_string(errors.size() - 1) + " more errors)" : ""));
    poly = reader->GetOutput();
  }

  // ---- geometry and topology, checked ----------------------------------------------------------------
  if (!poly) throw InputError(path + ": the reader produced no PolyData");
  vtkPoints* points = poly->GetPoints();
  const vtkIdType point_count = points ? points->GetNumberOfPoints() : 0;
  if (point_count <= 0) throw InputError(path + ": no points");
  vtkCellArray* lines = poly->GetLines();
  vtkDataArray* offsets = lines ? lines->GetOffsetsArray() : nullptr;
  vtkDataArray* connectivity = lines ? lines->GetConnectivityArray() : nullptr;
  const vtkIdType line_count = offsets && offsets->GetNumberOfTuples() > 0 ? offsets->GetNumberOfTuples() - 1 : 0;
  if (line_count <= 0 || !connectivity)
    throw InputError(path + ": no line cells (a vessel network is a set of polylines)");
  const vtkIdType connectivity_size = connectivity->GetNumberOfTuples();
  if (offsets->GetComponent(0, 0) != 0.0 || offsets->GetComponent(line_count, 0) != static_cast<double>(connectivity_size))
    throw InputError(path + ": line offsets do not span the connectivity array (corrupt cell data)");
  const vtkIdType vert_count = poly->GetNumberOfVerts();
  if (vert_count < 0) throw InputError(path + ": corrupt vertex cells");
  if (point_count > std::numeric_limits<index_t>::max() || connectivity_size > std::numeric_limits<index_t>::max())
    throw InputError(path + ": too many points for hepaflow's 32-bit indices");

  std::vector<vtkIdType> line_begin(static_cast<std::size_t>(line_count) + 1);
  bool all_lines_two_points = true;
  for (vtkIdType c = 0; c <= line_count; ++c) {
    const double offset = offsets->GetComponent(c, 0);
    if (!(offset >= 0.0) || offset > static_cast<double>(connectivity_size) ||
        (c > 0 && offset < static_cast<double>(line_begin[static_cast<std::size_t>(c - 1)])))
      throw InputError(path + ": line cell " + std::to_string(c) + ": offset " + detail::format_double(offset) +
                       " out of order or out of range (corrupt cell data)");
    line_begin[static_cast<std::size_t>(c)] = static_cast<vtkIdType>(offset);
    if (c > 0 && line_begin[static_cast<std::size_t>(c)] - line_begin[static_cast<std::size_t>(c - 1)] != 2)
      all_lines_two_points = false;
  }
  std::vector<vtkIdType> point_of(static_cast<std::size_t>(connectivity_size));
  for (vtkIdType i = 0; i < connectivity_size; ++i) {
    const double id = connectivity->GetComponent(i, 0);
    if (!(id >= 0.0) || id >= static_cast<double>(point_count))
      throw InputError(path + ": line connectivity entry " + std::to_string(i) + " refers to point " +
                       detail::format_double(id) + ", but there are " + std::to_string(point_count) + " points");
    point_of[static_cast<std::size_t>(i)] = static_cast<vtkIdType>(id);
  }

  // ---- radius source ----------------------------------------------------------------------------------
  const FoundArray radius_source = find_radius_array(path, poly, options);
  double radius_scale = 0.0;
  if (radius_source.array) {
    if (radius_source.array->GetNumberOfComponents() != 1)
      throw InputError(path + ": radius array '" + radius_source.name + "' has " +
                       std::to_string(radius_source.array->GetNumberOfComponents()) + " components, expected 1");
    radius_scale = radius_unit_of(radius_source.name, options.length_unit) * (radius_source.holds_diameter ? 0.5 : 1.0);
  } else if (!std::isfinite(options.default_radius)) {
    throw InputError(path + ": no radius array (point or cell data named like radius or diameter; arrays: " +
                     list_arrays(poly) + "); name one with radius_array or give a default radius");
  }

  // hepaflow's own arrays, when present: ids, kinds and given lengths survive a round trip.
  vtkDataArray* node_id_array = hepaflow_array(poly->GetPointData(), "node_id");
  vtkDataArray* segment_id_array = all_lines_two_points ? hepaflow_array(poly->GetCellData(), "segment_id") : nullptr;
  vtkDataArray* kind_array = all_lines_two_points ? hepaflow_array(poly->GetCellData(), "kind") : nullptr;
  vtkDataArray* length_array = all_lines_two_points ? hepaflow_array(poly->GetCellData(), "length_um") : nullptr;
  // Results of a hepaflow run (flow, discharge haematocrit), so `hepaflow convert out.vtp net.dat`
  // hands them on to Network.dat's flow and Hd columns.
  vtkDataArray* flow_array = all_lines_two_points ? hepaflow_array(poly->GetCellData(), "flow_nl_per_min") : nullptr;
  vtkDataArray* hd_array = all_lines_two_points ? hepaflow_array(poly->GetCellData(), "haematocrit") : nullptr;
  std::vector<double> segment_flow, segment_hd;

  // ---- build the network ------------------------------------------------------------------------------
  Network net;
  NodeMerger merger(path, options.merge_tolerance / options.length_unit);
  std::vector<index_t> node_of_point(static_cast<std::size_t>(point_count), -1);
  auto node_for = [&](vtkIdType point) {
    index_t& node = node_of_point[static_cast<std::size_t>(point)];
    if (node >= 0) return node;
    double p[3];
    points->GetPoint(point, p);
    node = merger.find_or_add(p, static_cast<index_t>(net.num_nodes()), point);
    if (static_cast<std::size_t>(node) == net.num_nodes()) {
      std::int64_t id = point;
      if (node_id_array) {
        const double value = checked_value(path, node_id_array, "node_id", point, "point");
        if (std::fabs(value) > 9.0e15 || value != std::floor(value))
          throw InputError(path + ": array 'node_id' value " + std::to_string(point) + " is not an integer id");
        id = static_cast<std::int64_t>(value);
      }
      net.add_node(id, p[0] * options.length_unit, p[1] * options.length_unit, p[2] * options.length_unit);
    }
    return node;
  };

  for (vtkIdType c = 0; c < line_count; ++c) {
    const vtkIdType cell_id = vert_count + c;  // vtkPolyData cell order: verts, lines, polys, strips
    double cell_radius = options.default_radius;
    if (radius_source.array && radius_source.is_cell_data)
      cell_radius = checked_value(path, radius_source.array, radius_source.name, cell_id, "cell") * radius_scale;
    for (vtkIdType k = line_begin[static_cast<std::size_t>(c)] + 1; k < line_begin[static_cast<std::size_t>(c) + 1]; ++k) {
      const vtkIdType a = point_of[static_cast<std::size_t>(k - 1)], b = point_of[static_cast<std::size_t>(k)];
      const index_t from = node_for(a), to = node_for(b);
      if (from == to) continue;  // repeated or coincident consecutive points: no vessel
      double radius = cell_radius;
      if (radius_source.array && !radius_source.is_cell_data)
        radius = 0.5 * (checked_value(path, radius_source.array, radius_source.name, a, "point") +
                        checked_value(path, radius_source.array, radius_source.name, b, "point")) *
                 radius_scale;
      std::int64_t id = static_cast<std::int64_t>(net.num_segments());
      double length = -1.0;
      SegmentKind kind = SegmentKind::other;
      if (segment_id_array) {
        const double value = checked_value(path, segment_id_array, "segment_id", cell_id, "cell");
        if (std::fabs(value) > 9.0e15 || value != std::floor(value))
          throw InputError(path + ": array 'segment_id' value " + std::to_string(cell_id) + " is not an integer id");
        id = static_cast<std::int64_t>(value);
      }
      if (kind_array) {
        const double value = checked_value(path, kind_array, "kind", cell_id, "cell");
        if (value < 0.0 || value > static_cast<double>(SegmentKind::shunt) || value != std::floor(value))
          throw InputError(path + ": array 'kind' value " + std::to_string(cell_id) + " is not a segment kind (0..5)");
        kind = static_cast<SegmentKind>(static_cast<int>(value));
      }
      if (length_array) length = checked_value(path, length_array, "length_um", cell_id, "cell") * units::um;
      if (net.num_segments() >= static_cast<std::size_t>(std::numeric_limits<index_t>::max()))
        throw InputError(path + ": too many segments");
      net.add_segment(id, from, to, radius, length, kind);
      if (flow_array) segment_flow.push_back(checked_value(path, flow_array, "flow_nl_per_min", cell_id, "cell") * units::nl_per_min);
      if (hd_array) segment_hd.push_back(checked_value(path, hd_array, "haematocrit", cell_id, "cell"));
    }
  }
  if (hd_array) net.haematocrit = segment_hd;
  if (flow_column) *flow_column = segment_flow;
  if (net.num_segments() == 0) throw InputError(path + ": the line cells hold no segment between distinct points");
  net.fill_defaults();
  return net;
}

}  // namespace hepaflow::meshes

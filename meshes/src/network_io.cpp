// Network file dispatch (by format or extension) and the text helpers the readers share.
#include "hepaflow/meshes/network_io.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "hepaflow/error.hpp"
#include "network_io_text.hpp"

namespace hepaflow::meshes {

namespace detail {

bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool path_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

std::string read_whole_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw IoError("cannot read " + path + ": " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw IoError("cannot read " + path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw IoError("cannot read " + path + ": read error");
  return content.str();
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string lower_extension(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  const std::size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  if (dot == 0 || (slash != std::string::npos && dot == slash + 1)) return "";  // ".hidden"
  return to_lower(std::string_view(path).substr(dot));
}

std::vector<TextLine> split_lines(std::string_view content) {
  std::vector<TextLine> lines;
  std::size_t start = 0, number = 1;
  while (start < content.size()) {
    std::size_t end = start;
    while (end < content.size() && content[end] != '\n' && content[end] != '\r') ++end;
    lines.push_back({content.substr(start, end - start), number++});
    if (end < content.size() && content[end] == '\r' && end + 1 < content.size() && content[end + 1] == '\n') ++end;
    start = end + 1;
  }
  return lines;
}

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
}  // namespace

std::vector<std::string_view> split_whitespace(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) tokens.push_back(text.substr(start, i - start));
  }
  return tokens;
}

std::string_view trim(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

bool is_blank(std::string_view text) { return trim(text).empty(); }

namespace {
/// Drop one leading '+' (from_chars does not take it); false if what follows is no digit or '.'.
bool strip_plus_sign(std::string_view& token) {
  if (token.empty() || token.front() != '+') return !token.empty();
  token.remove_prefix(1);
  return !token.empty() && (std::isdigit(static_cast<unsigned char>(token.front())) || token.front() == '.');
}
}  // namespace

std::optional<double> parse_finite_double(std::string_view token) {
  if (!strip_plus_sign(token)) return std::nullopt;
  double value = 0.0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_int64(std::string_view token) {
  if (!strip_plus_sign(token)) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

std::string format_double(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (error != std::errc()) return "nan";  // cannot happen with 64 bytes
  return std::string(buffer, end);
}

std::string quote_token(std::string_view token) {
  constexpr std::size_t max_shown = 40;
  std::string quoted = "'";
  for (std::size_t i = 0; i < token.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c >= 0x20 && c < 0x7f) {
      quoted += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      quoted += escaped;
    }
  }
  if (token.size() > max_shown) quoted += "...";
  return quoted + "'";
}

void fail_at_line(const std::string& path, std::size_t line, const std::string& message) {
  throw InputError(path + ":" + std::to_string(line) + ": " + message);
}

}  // namespace detail

std::string detect_network_format(const std::string& path) {
  if (!detail::path_exists(path)) throw IoError("cannot read " + path + ": " + std::strerror(ENOENT));
  if (detail::is_directory(path)) return "csv";
  const std::string extension = detail::lower_extension(path);
  if (extension == ".dat") return "dat";
  if (extension == ".vtp") return "vtp";
  if (extension == ".csv") return "csv";
  throw InputError(path + ": cannot tell the network format from the name (expected a .dat (Secomb), a .vtp, "
                   "or a folder of CSV files); give the format explicitly");
}

Network read_network_file(const std::string& path, const NetworkFileOptions& options) {
  const std::string format = options.format == "auto" ? detect_network_format(path) : options.format;
  if (format == "dat") return read_secomb_dat(path);
  if (format == "csv") return read_csv_network(path, options.length_unit);
  if (format == "vtp") {
#ifdef HEPAFLOW_WITH_VTK
    return read_vtp_network(path, options);
#else
    throw InputError(path + ": this hepaflow was built without VTK (HEPAFLOW_WITH_VTK=OFF) and cannot read .vtp "
                     "files; convert the network to Network.dat or CSV");
#endif
  }
  throw InputError(path + ": unknown network format '" + options.format + "' (expected auto, dat, csv or vtp)");
}

void write_network_file(const Network& net, const std::string& path, const std::string& format,
                        const std::vector<double>* flow, const std::vector<double>* haematocrit) {
  std::string chosen = format;
  if (format == "auto") {
    const std::string extension = detail::lower_extension(path);
    if (extension == ".dat") {
      chosen = "dat";
    } else if (extension == ".vtp") {
      chosen = "vtp";
    } else if (detail::is_directory(path) || (!path.empty() && path.back() == '/') || extension.empty()) {
      chosen = "csv";
    } else {
      throw InputError(path + ": cannot tell the network format from the name (expected .dat or a folder for CSV)");
    }
  }
  if (chosen == "dat") return write_secomb_dat(net, path, flow, haematocrit);
  if (chosen == "csv") return write_csv_network(net, path);
  if (chosen == "vtp")
    throw InputError(path + ": .vtp network output is written by hepaflow::io::write_network_vtp (solver/io), "
                     "not by meshes::write_network_file");
  throw InputError(path + ": unknown network format '" + format + "' (expected auto, dat or csv)");
}

}  // namespace hepaflow::meshes

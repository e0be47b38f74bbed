#pragma once
// Private helpers shared by the network file readers and writers (meshes/src/*network*.cpp):
// whole-file reading, line splitting with line numbers, strict number parsing, shortest
// round-trip number formatting, and "path:line: message" errors.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hepaflow::meshes::detail {

/// Whole content of a regular file. IoError when it is missing, a directory or unreadable.
std::string read_whole_file(const std::string& path);

/// True if `path` names an existing directory.
bool is_directory(const std::string& path);
/// True if something exists at `path`.
bool path_exists(const std::string& path);

/// Lower-cased extension including the dot (".dat"), or "" when there is none.
std::string lower_extension(const std::string& path);
std::string to_lower(std::string_view text);

struct TextLine {
  std::string_view text;    ///< without the line terminator ("\n", "\r\n" or "\r")
  std::size_t number = 0;   ///< 1-based
};
/// Split into lines (views into `content`, which must outlive them).
std::vector<TextLine> split_lines(std::string_view content);

/// Whitespace-separated tokens (space, tab, CR, VT, FF).
std::vector<std::string_view> split_whitespace(std::string_view text);
/// Trim blanks (space, tab, CR) at both ends.
std::string_view trim(std::string_view text);
bool is_blank(std::string_view text);

/// Strict parsers: the whole token must be the number; doubles must be finite. A leading '+' is
/// accepted. Return nullopt on failure.
std::optional<double> parse_finite_double(std::string_view token);
std::optional<std::int64_t> parse_int64(std::string_view token);

/// Shortest decimal text that reads back to exactly `value` (std::to_chars).
std::string format_double(double value);

/// Quote a token for an error message, shortened to a readable length and with control bytes
/// escaped (files may hold garbage).
std::string quote_token(std::string_view token);

/// Throws InputError("path:line: message").
[[noreturn]] void fail_at_line(const std::string& path, std::size_t line, const std::string& message);

}  // namespace hepaflow::meshes::detail

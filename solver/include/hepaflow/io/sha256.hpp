#pragma once
// SHA-256 (FIPS 180-4) of a file or string, as lowercase hex: identifies the case file in run_info.json.
#include <string>

namespace hepaflow::io {
std::string sha256_hex(const std::string& bytes);
/// IoError if the file cannot be read.
std::string sha256_file(const std::string& path);
}  // namespace hepaflow::io

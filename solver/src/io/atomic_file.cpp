#include <filesystem>
#include "hepaflow/io/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "hepaflow/error.hpp"

namespace hepaflow::io {

namespace {
bool writes_on = true;
}  // namespace

void set_writes_enabled(bool enabled) { writes_on = enabled; }
bool writes_enabled() { return writes_on; }

std::string temporary_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
}

void commit_temporary(const std::string& temporary, const std::string& path) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temporary.c_str());
    throw IoError("cannot write " + path + ": rename failed: " + reason);
  }
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  if (!writes_on) return;
  const std::string tmp = temporary_path_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError("cannot write " + path + ": " + std::strerror(errno));
    try {
      fill(out);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      throw IoError("cannot write " + path + ": write failed (disk full?)");
    }
  }
  commit_temporary(tmp, path);
}

void check_output_folder(const std::string& dir, bool overwrite) {
  if (!writes_on) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw IoError("output path " + dir + " exists and is not a folder");
    if (!overwrite && !fs::is_empty(dir, ec))
      throw IoError("output folder " + dir + " exists and is not empty (use --overwrite to write into it)");
  }
}

void create_output_folder(const std::string& dir) {
  if (!writes_on) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError("cannot create output folder " + dir + ": " + ec.message());
}

}  // namespace hepaflow::io

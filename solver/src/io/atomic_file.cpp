#include "hepaflow/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <streambuf>

#include "hepaflow/error.hpp"

namespace hepaflow::io {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw IoError(path + ": " + what + ": " + std::strerror(err));
}

/// An output stream buffer on a file descriptor that remembers the first failed write(2)'s errno
/// (std::ofstream loses it, and with it the difference between a full disk and a lost permission).
class FdOutputBuffer : public std::streambuf {
 public:
  explicit FdOutputBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n <= epptr() - pptr()) {
      std::memcpy(pptr(), s, static_cast<std::size_t>(n));
      pbump(static_cast<int>(n));
      return n;
    }
    if (!drain() || !write_all(s, static_cast<std::size_t>(n))) return 0;
    return n;
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const bool ok = write_all(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(buffer_, buffer_ + sizeof buffer_);
    return ok;
  }
  bool write_all(const char* p, std::size_t n) {
    if (error_) return false;
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};

std::string parent_folder(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

/// fsync a folder so that a rename in it survives a crash. Filesystems that cannot sync folders
/// (EINVAL, e.g. some FUSE mounts) are tolerated; other errors are I/O errors.
void sync_folder(const std::string& folder, const std::string& path) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open its folder to sync it", errno);
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    const int err = errno;
    ::close(fd);
    fail(path, "fsync of its folder failed", err);
  }
  ::close(fd);
}

bool writes_on = true;

}  // namespace

void set_writes_enabled(bool enabled) { writes_on = enabled; }
bool writes_enabled() { return writes_on; }

std::string temporary_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
}

bool is_temporary_name(const std::string& name) {
  const auto at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0 || at + 5 >= name.size()) return false;
  for (std::size_t i = at + 5; i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

std::size_t remove_stale_temporaries(const std::string& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && is_temporary_name(entry.path().filename().string()) &&
        std::filesystem::remove(entry.path(), ec))
      ++removed;
  return removed;
}

void commit_temporary(const std::string& temporary, const std::string& path) {
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::remove(temporary.c_str());
    fail(path, "cannot reopen the temporary " + temporary, err);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    std::remove(temporary.c_str());
    fail(path, "fsync failed", err);
  }
  ::close(fd);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temporary.c_str());
    fail(path, "rename of the temporary failed", err);
  }
  sync_folder(parent_folder(path), path);
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  if (!writes_on) return;
  const std::string tmp = temporary_path_for(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot create " + tmp, errno);
  const auto discard = [&] {
    ::close(fd);
    std::remove(tmp.c_str());
  };
  FdOutputBuffer buffer(fd);
  std::ostream out(&buffer);
  try {
    fill(out);
  } catch (...) {
    discard();
    throw;
  }
  out.flush();
  if (buffer.error() || !out) {
    const int err = buffer.error() ? buffer.error() : EIO;
    discard();
    fail(path, "write failed", err);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    discard();
    fail(path, "fsync failed", err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    fail(path, "close failed", err);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    fail(path, "rename of the temporary failed", err);
  }
  sync_folder(parent_folder(path), path);
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

// CPU backend: the common kernels compiled by g++ with Thrust's OpenMP device system.
#include "thrust_includes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>

#include <unistd.h>

#include <hepaflow/kernels/kernels.hpp>

namespace hepaflow::kernels::cpu {
using std::fma;

#include "kernels.inl"

namespace {
void* allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return p;
}
void release(void* p) { std::free(p); }
void copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
/// A number of bytes from a cgroup file ("max" or unreadable: none).
bool read_cgroup_bytes(const char* path, std::size_t* bytes) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return false;
  try {
    *bytes = static_cast<std::size_t>(std::stoull(text));
  } catch (...) {
    return false;
  }
  return true;
}
// Host memory a new allocation can get: MemAvailable of /proc/meminfo (the kernel's estimate of
// memory available without swapping, Linux >= 3.14, Documentation/filesystems/proc.rst), lowered by a
// cgroup v2 limit (memory.max - memory.current) where the process runs in one; sysconf's free
// physical pages elsewhere.
void memory_info(std::size_t* free_bytes, std::size_t* total_bytes) {
  std::size_t available = 0, total = 0;
  bool have_available = false;
  {
    std::ifstream in("/proc/meminfo");
    std::string key, unit;
    std::size_t kb = 0;
    while (in >> key >> kb) {
      std::getline(in, unit);
      if (key == "MemTotal:") total = kb * 1024;
      if (key == "MemAvailable:") {
        available = kb * 1024;
        have_available = true;
      }
    }
  }
  if (!have_available || total == 0) {
    const long page = sysconf(_SC_PAGESIZE);
    available = static_cast<std::size_t>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<std::size_t>(page);
    total = static_cast<std::size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<std::size_t>(page);
  }
  std::size_t limit = 0, used = 0;
  if (read_cgroup_bytes("/sys/fs/cgroup/memory.max", &limit)) {
    read_cgroup_bytes("/sys/fs/cgroup/memory.current", &used);
    const std::size_t left = limit > used ? limit - used : 0;
    available = std::min(available, left);
    total = std::min(total, limit);
  }
  *free_bytes = available;
  *total_bytes = total;
}
}  // namespace

const KernelSet& kernel_set() {
  static const KernelSet set = [] {
    KernelSet k = common_kernel_set();
    k.backend_name = "cpu";
    k.allocate = &allocate;
    k.release = &release;
    k.copy_to_device = &copy;
    k.copy_to_host = &copy;
    k.copy_on_device = &copy;
    k.memory_info = &memory_info;
    return k;
  }();
  return set;
}

}  // namespace hepaflow::kernels::cpu

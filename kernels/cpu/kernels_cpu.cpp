// CPU backend: the common kernels compiled by g++ with Thrust's OpenMP device system.
#include "thrust_includes.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

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
    return k;
  }();
  return set;
}

}  // namespace hepaflow::kernels::cpu

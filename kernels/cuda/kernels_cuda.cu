// CUDA backend: the common kernels compiled by nvcc with Thrust's CUDA device system.
#include "thrust_includes.hpp"

#include <cuda_runtime.h>

#include <new>
#include <stdexcept>
#include <string>

#include <hepaflow/kernels/kernels.hpp>

namespace hepaflow::kernels::cuda {

#include "kernels.inl"

namespace {
void check(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess) throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(rc));
}
void* allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) {
    cudaGetLastError();
    throw std::bad_alloc();
  }
  return p;
}
void release(void* p) {
  if (p) cudaFree(p);
}
void copy_to_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copy to device");
}
void copy_to_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copy to host");
}
void copy_on_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "device copy");
}
void memory_info(std::size_t* free_bytes, std::size_t* total_bytes) {
  std::size_t f = 0, t = 0;
  check(cudaMemGetInfo(&f, &t), "cudaMemGetInfo");
  *free_bytes = f;
  *total_bytes = t;
}
}  // namespace

const KernelSet* kernel_set(std::string* why) {
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess || count == 0) {
    if (why) *why = std::string("no usable CUDA device: ") + (rc != cudaSuccess ? cudaGetErrorString(rc) : "none found");
    cudaGetLastError();
    return nullptr;
  }
  static const KernelSet set = [] {
    KernelSet k = common_kernel_set();
    k.backend_name = "cuda";
    k.allocate = &allocate;
    k.release = &release;
    k.copy_to_device = &copy_to_device;
    k.copy_to_host = &copy_to_host;
    k.copy_on_device = &copy_on_device;
    k.memory_info = &memory_info;
    return k;
  }();
  return &set;
}

std::string device_name() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return {};
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return {};
  return prop.name;
}

double device_peak_bandwidth_gbs() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    return 0.0;
  }
  int clock_khz = 0, bus_bits = 0;
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, 0);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0);
  // DDR: two transfers per clock.
  return 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;
}

bool built_with_cuda() { return true; }

}  // namespace hepaflow::kernels::cuda

#pragma once
// DeviceArray<T>: an array owned by one backend (host memory for cpu, device memory for cuda),
// allocated through that backend's KernelSet. No Thrust type crosses backend interfaces (DESIGN.md).
#include <cstddef>
#include <utility>
#include <vector>

#include <hepaflow/kernels/kernels.hpp>

namespace hepaflow {

using kernels::KernelSet;

template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const KernelSet& k, std::size_t n) : k_(&k), n_(n) {
    data_ = static_cast<T*>(k.allocate(n * sizeof(T)));
  }
  DeviceArray(const KernelSet& k, const std::vector<T>& host) : DeviceArray(k, host.size()) { upload(host); }
  ~DeviceArray() { reset(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept { swap(o); }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      reset();
      swap(o);
    }
    return *this;
  }

  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  const KernelSet* kernel_set() const { return k_; }

  void upload(const std::vector<T>& host) {
    // Resize if needed, then copy host -> backend.
    if (host.size() != n_) *this = DeviceArray(*k_, host.size());
    k_->copy_to_device(data_, host.data(), n_ * sizeof(T));
  }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    if (n_) k_->copy_to_host(host.data(), data_, n_ * sizeof(T));
    return host;
  }
  void reset() {
    if (k_ && data_) k_->release(data_);
    data_ = nullptr;
    n_ = 0;
  }

 private:
  void swap(DeviceArray& o) noexcept {
    std::swap(k_, o.k_);
    std::swap(data_, o.data_);
    std::swap(n_, o.n_);
  }
  const KernelSet* k_ = nullptr;
  T* data_ = nullptr;
  std::size_t n_ = 0;
};

/// Pick a backend: "cpu", "cuda" or "auto" (cuda when built and a device is present, else cpu).
/// Asking for "cuda" when it is unavailable throws BackendUnavailableError (exit code 6).
const KernelSet& select_backend(const std::string& name);

}  // namespace hepaflow

#include <string>

#include "hepaflow/device_array.hpp"
#include "hepaflow/error.hpp"

namespace hepaflow {

const KernelSet& select_backend(const std::string& name) {
  if (name == "cpu") return kernels::cpu::kernel_set();
  if (name == "cuda" || name == "auto") {
    std::string why;
    const KernelSet* cuda = kernels::cuda::kernel_set(&why);
    if (cuda) return *cuda;
    if (name == "auto") return kernels::cpu::kernel_set();
    throw BackendUnavailableError("backend 'cuda' is not available: " + why);
  }
  throw UsageError("unknown backend '" + name + "' (expected auto, cpu or cuda)");
}

}  // namespace hepaflow

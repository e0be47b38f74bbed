// Built without CUDA: the cuda backend reports itself unavailable (DESIGN.md, Ginkgo's device hooks),
// so the core always links and gpu tests skip.
#include <hepaflow/kernels/kernels.hpp>

namespace hepaflow::kernels::cuda {
const KernelSet* kernel_set(std::string* why) {
  if (why) *why = "hepaflow was built without CUDA (configure with -DHEPAFLOW_ENABLE_CUDA=ON on a machine with nvcc)";
  return nullptr;
}
std::string device_name() { return {}; }
double device_peak_bandwidth_gbs() { return 0.0; }
bool built_with_cuda() { return false; }
}  // namespace hepaflow::kernels::cuda

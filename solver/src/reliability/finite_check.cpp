#include "hepaflow/finite_check.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "hepaflow/error.hpp"

namespace hepaflow {

namespace {

std::atomic<long long> check_nanoseconds{0};

const char* kind_name(ElementKind kind, bool plural) {
  switch (kind) {
    case ElementKind::segment: return plural ? "segments" : "segment";
    case ElementKind::node: return plural ? "nodes" : "node";
    case ElementKind::tissue_cell: return plural ? "tissue cells" : "tissue cell";
  }
  return "";
}

/// HEPAFLOW_INJECT_NAN="field@index": the index to poison in `field`, or -1.
long long injected_index(const char* field) {
  const char* spec = std::getenv("HEPAFLOW_INJECT_NAN");
  if (!spec) return -1;
  const std::string s(spec);
  const auto at = s.rfind('@');
  if (at == std::string::npos || s.compare(0, at, field) != 0 || at != std::string(field).size()) return -1;
  char* end = nullptr;
  const long long i = std::strtoll(s.c_str() + at + 1, &end, 10);
  return end && *end == '\0' && i >= 0 ? i : -1;
}

[[noreturn]] void fail(const FiniteCheckSite& site, const char* field, ElementKind kind, std::size_t n,
                       const kernels::NonFiniteScan& scan, double value) {
  const auto first = static_cast<std::size_t>(scan.first);
  std::ostringstream msg;
  msg << "NaN/Inf after the " << site.phase << ": " << field << " of " << element_name(site, kind, first) << " is "
      << value << " (" << scan.count << " of " << n << " " << kind_name(kind, true) << " affected)";
  if (site.describe) {
    const std::string inputs = site.describe(kind, first);
    if (!inputs.empty()) msg << "; " << element_name(site, kind, first) << ": " << inputs;
  }
  msg << ". The inputs passed validation, so this is a numerical failure (exit code 5; docs/reliability.md)";
  throw ConvergenceError(msg.str());
}

class Timer {
 public:
  Timer() : t0_(std::chrono::steady_clock::now()) {}
  ~Timer() {
    check_nanoseconds += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

std::string element_name(const FiniteCheckSite& site, ElementKind kind, std::size_t index) {
  const std::vector<std::int64_t>* ids =
      kind == ElementKind::segment ? site.segment_ids : (kind == ElementKind::node ? site.node_ids : nullptr);
  if (ids && index < ids->size()) return std::string(kind_name(kind, false)) + " " + std::to_string((*ids)[index]);
  return std::string(kind_name(kind, false)) + " index " + std::to_string(index);
}

void check_finite(const kernels::KernelSet& k, const FiniteCheckSite& site, const char* field, ElementKind kind,
                  double* x, std::size_t n, const double* mask, double mask_threshold) {
  const Timer timer;
  const long long poison = injected_index(field);
  if (poison >= 0 && static_cast<std::size_t>(poison) < n) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    k.copy_to_device(x + poison, &nan, sizeof nan);
  }
  const kernels::NonFiniteScan scan = k.scan_non_finite(n, x, mask, mask_threshold);
  if (scan.count == 0) return;
  double value = 0;
  k.copy_to_host(&value, x + scan.first, sizeof value);
  fail(site, field, kind, n, scan, value);
}

void check_finite(const FiniteCheckSite& site, const char* field, ElementKind kind, std::vector<double>& x,
                  const std::vector<char>* checked) {
  const Timer timer;
  const long long poison = injected_index(field);
  if (poison >= 0 && static_cast<std::size_t>(poison) < x.size()) x[poison] = std::numeric_limits<double>::quiet_NaN();
  kernels::NonFiniteScan scan;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (checked && !(*checked)[i]) continue;
    if (!std::isfinite(x[i])) {
      if (scan.count++ == 0) scan.first = static_cast<std::int64_t>(i);
    }
  }
  if (scan.count) fail(site, field, kind, x.size(), scan, x[scan.first]);
}

double finite_check_seconds() { return 1e-9 * static_cast<double>(check_nanoseconds.load()); }

}  // namespace hepaflow

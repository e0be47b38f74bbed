#pragma once
// NaN/Inf never propagate silently (issue 9): every phase of a run (pressure solve, rheology
// iteration, haematocrit transport, oxygen transport/tissue, remodelling step, therapy signal) hands
// its output arrays to check_finite(), which scans each in one pass on the backend
// (KernelSet::scan_non_finite, a reduction) and throws ConvergenceError (exit code 5) naming the
// phase, the field, the first offending segment/node/cell by its file id, how many are affected and,
// where the phase supplies it, that element's inputs.
//
// Exit code 5 because the inputs passed validation (NaN/Inf/non-positive radii, lengths, viscosities
// and boundary values are refused up front with exit code 3): a non-finite value mid-run is a
// numerical failure of the run, like a solve that does not converge. docs/reliability.md.
//
// Fault injection (tests only): HEPAFLOW_INJECT_NAN="FIELD@INDEX" writes NaN into entry INDEX of the
// field FIELD (e.g. "haematocrit@3", "po2_out@0") just before it is checked, so tests can reach every
// phase's check through the real run and the CLI.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hepaflow/kernels/kernels.hpp"

namespace hepaflow {

enum class ElementKind { segment, node, tissue_cell };

/// Where a check runs and how its findings are named.
struct FiniteCheckSite {
  std::string phase;                                       ///< "pressure solve", "rheology iteration 3", ...
  const std::vector<std::int64_t>* segment_ids = nullptr;  ///< file ids by index (nullptr: indices shown)
  const std::vector<std::int64_t>* node_ids = nullptr;
  /// Optional: the inputs of element `index` for the message ("radius 4 um, length 25 um, ...").
  std::function<std::string(ElementKind kind, std::size_t index)> describe;
};

/// Throw ConvergenceError when x[0, n) (backend memory of k) holds NaN/Inf; with a mask only the
/// entries with |mask_i| > mask_threshold are looked at (e.g. the flowing segments of the O2 sweep).
void check_finite(const kernels::KernelSet& k, const FiniteCheckSite& site, const char* field, ElementKind kind,
                  double* x, std::size_t n, const double* mask = nullptr, double mask_threshold = 0.0);

/// The same for a host array; `checked` (when given) selects the entries looked at.
void check_finite(const FiniteCheckSite& site, const char* field, ElementKind kind, std::vector<double>& x,
                  const std::vector<char>* checked = nullptr);

/// Seconds this process has spent in check_finite() (reported in run_info.json timings).
double finite_check_seconds();

/// "segment 17" (file id) or "segment index 16" where no ids are known.
std::string element_name(const FiniteCheckSite& site, ElementKind kind, std::size_t index);

}  // namespace hepaflow

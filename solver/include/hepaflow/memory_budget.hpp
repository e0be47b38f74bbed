#pragma once
// Resource limits (issue 9): a run that cannot fit is refused UP FRONT, before its arrays are
// allocated, with the memory it needs and the memory there is. One function estimates the bytes of
// a run from its node and segment counts and the enabled physics (estimate_run_memory); the
// backend reports what it can still allocate (KernelSet::memory_info: MemAvailable / cgroup on the
// host, cudaMemGetInfo on a GPU); solver.memory_limit and HEPAFLOW_MEMORY_LIMIT cap that figure, so
// the refusal can be tested on any machine. Refusal: Error(ExitCode::runtime_error) = exit code 1
// (the case is valid; this machine cannot run it). Bytes per segment: docs/reliability.md.
#include <cstddef>
#include <string>

#include "hepaflow/kernels/kernels.hpp"

namespace hepaflow {

/// What a run computes besides the pressure solve (each adds arrays).
struct PhysicsSelection {
  bool phase_separation = false;     ///< the viscosity <-> haematocrit loop with its flow graphs
  int anderson_depth = 0;            ///< its Anderson acceleration's depth (0: damped Picard)
  std::string tissue_model = "none"; ///< "none" | "krogh" | "grid"
  std::size_t tissue_cells = 0;      ///< grid: cells of the tissue grid
  std::size_t subsegments = 0;       ///< grid: vessel sub-segments (about vessel length / spacing)
  bool remodelling = false;          ///< disease state, therapy, open-network copies per step
  bool vtk_output = false;           ///< .vtp arrays built for the writer
};

struct MemoryEstimate {
  double host_bytes = 0;    ///< host memory at the run's peak, backend arrays excluded
  double device_bytes = 0;  ///< backend arrays at the peak (host memory too on the cpu backend)
  std::string what;         ///< "2.1e+06 segments, 1.0e+06 nodes: flow + rheology + oxygen krogh"
};

/// Peak memory of a run (hepaflow run) on a network of `nodes` and `segments`.
MemoryEstimate estimate_run_memory(std::size_t nodes, std::size_t segments, const PhysicsSelection& physics);
/// Peak memory of building (generating or reading) and writing a network, without solving it.
MemoryEstimate estimate_network_memory(std::size_t nodes, std::size_t segments);

/// HEPAFLOW_MEMORY_LIMIT ("8 GiB", "512 MB", bytes) in bytes; 0 when unset. InputError (exit 3) when
/// it cannot be read.
double memory_limit_from_environment();

/// Throw Error(ExitCode::runtime_error) when `need` exceeds the memory backend `k` reports available
/// (host and, for a GPU backend, device memory), each capped by `case_limit` (> 0) and
/// HEPAFLOW_MEMORY_LIMIT: "network needs X GiB (...), the host has Y GiB free (source)".
void require_memory(const MemoryEstimate& need, const kernels::KernelSet& k, double case_limit = 0);

/// "1.23 GiB"
std::string format_bytes(double bytes);

}  // namespace hepaflow

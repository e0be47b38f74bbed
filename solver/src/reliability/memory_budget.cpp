#include "hepaflow/memory_budget.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "hepaflow/config/quantity.hpp"
#include "hepaflow/error.hpp"

namespace hepaflow {

namespace {

/// Bytes per segment (s) and per node (n) of one group of arrays.
struct PerElement {
  double s = 0, n = 0;
  PerElement operator+(const PerElement& o) const { return {s + o.s, n + o.n}; }
  double bytes(double segments, double nodes) const { return s * segments + n * nodes; }
};

// The coefficients count the arrays each stage holds (fp64 values 8 B, int32 indices 4 B, file ids
// 8 B); "transient" groups live only inside one stage. Checked against the peak RSS of real runs
// (tests/verification/memory_budget_test.cpp; docs/reliability.md).
// Network (host, SoA): ids, end nodes, radius, length, kind, zone, tissue volume, Hd | ids, x, y, z.
constexpr PerElement network{65, 32};
// Checks and building of a network: duplicate-pair/id hash maps (~40 B an entry), components.
constexpr PerElement network_build_transient{88, 56};
// DeviceNetwork: from/to, radius/length, adjacency (2 x 2 int32 per segment), CSR pattern
// (nnz = nodes + 2 segments), node maps and boundary values, host ids for messages.
constexpr PerElement device_network{56, 44};
// ... and the host vectors it is built from (freed when it is built).
constexpr PerElement device_network_build_transient{24, 33};
// FlowFields (viscosity, conductance, flow, velocity, shear | pressure), haematocrit and its initial copy.
constexpr PerElement flow_fields{56, 8};
// One pressure solve: matrix values (nnz), rhs, x, residual, correction; PCG: r, z, p, q, 1/diag;
// and the fused Jacobi-PCG's layout (hepaflow/linear/sell.hpp, kept in FlowFields between solves):
// val + col + fill map per off-diagonal entry (~2 per segment, 16 B each), diagonal source, order,
// chunk pointers, diag (4 + 4 + 4 + 8 B per node), b and x renumbered (16 B per node).
constexpr PerElement pressure_solve_transient{16 + 32, 88 + 36};
// Host copies of the solution (SteadyFlowResult: flow, velocity, shear, viscosity, Hd | pressure).
constexpr PerElement flow_result{40, 8};
// Rheology loop: old flows, new Hd; one flow graph (host build + backend copy) and the downloaded flows.
constexpr PerElement rheology{16, 0};
// Anderson acceleration (solver.rheology_acceleration = "anderson"): residual, last accepted iterate
// and residual, candidate, previous iterate and residual, scratch (7), and per difference kept dX,
// dF and a Gram-Schmidt column (3 x depth), all fp64 per segment.
PerElement anderson(int depth) { return {8.0 * (7 + 3 * depth), 0}; }
// Flow graph: in/out CSR, levels, chain starts (4 B a node), boundary inflow values.
constexpr PerElement flow_graph_transient{40, 94};
// Oxygen (krogh): M0, tissue volumes, PO2 in/out/mean, O2 flux, flows | node PO2 (backend), and the
// host results: PO2 x3, flux, SO2, tissue PO2 and hypoxia, Hd, sorted metric copies | node PO2, mixing.
constexpr PerElement oxygen_backend{56, 8};
constexpr PerElement oxygen_result{88, 40};
// Remodelling: DiseaseState (21 per-segment doubles), the step's solution scattered to the full
// network (14 per segment | 2 per node), the open network of the step (a Network copy with its id
// hash maps and index maps), the ODE step's backend arrays (23 per segment), tissue bookkeeping.
constexpr PerElement remodel_state{168 + 112, 16};
constexpr PerElement open_network{65 + 56 + 4, 32 + 48 + 4};
constexpr PerElement remodel_step_transient{184, 0};
constexpr PerElement tissue_bookkeeping{48, 24};
// .vtp output: the named arrays handed to the writer (7 + 5 with oxygen + 13 remodelling) and
// VTK's own copy of them with points and line cells.
constexpr PerElement vtk_output{2 * 56 + 24, 2 * 8 + 24};
constexpr PerElement vtk_oxygen{2 * 40, 2 * 8};
constexpr PerElement vtk_remodelling{2 * 104, 0};
// Tissue grid (grid model): per cell the PO2, M0, consumption, absorption, source, Jacobi diagonal,
// CG vectors r, z, p, q, multigrid levels (8/7 of the fine level), host copies; per sub-segment its
// geometry, exchange resistance, PO2s, flux and interpolation weights.
constexpr double bytes_per_tissue_cell = 160;
constexpr double bytes_per_subsegment = 120;

std::string describe(std::size_t nodes, std::size_t segments, const PhysicsSelection* p) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%zu segments, %zu nodes", segments, nodes);
  std::string s = buf;
  if (!p) return s + ": network only";
  s += ": flow";
  if (p->phase_separation) s += " + rheology (phase separation)";
  if (p->tissue_model != "none") s += " + oxygen " + p->tissue_model;
  if (p->tissue_model == "grid") s += " (" + std::to_string(p->tissue_cells) + " tissue cells)";
  if (p->remodelling) s += " + remodelling";
  if (p->vtk_output) s += " + .vtp output";
  return s;
}

}  // namespace

std::string format_bytes(double bytes) {
  char buf[32];
  if (bytes >= 1073741824.0) std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / 1073741824.0);
  else if (bytes >= 1048576.0) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else std::snprintf(buf, sizeof buf, "%.0f KiB", bytes / 1024.0);
  return buf;
}

MemoryEstimate estimate_network_memory(std::size_t nodes, std::size_t segments) {
  const double m = static_cast<double>(segments), n = static_cast<double>(nodes);
  MemoryEstimate e;
  // Built (with its checks), then written: the writer's arrays and VTK's copy.
  e.host_bytes = std::max((network + network_build_transient).bytes(m, n), (network + vtk_output).bytes(m, n));
  e.what = describe(nodes, segments, nullptr);
  return e;
}

MemoryEstimate estimate_run_memory(std::size_t nodes, std::size_t segments, const PhysicsSelection& p) {
  const double m = static_cast<double>(segments), n = static_cast<double>(nodes);
  const bool oxygen = p.tissue_model != "none";
  const bool grid = p.tissue_model == "grid";
  // Host arrays held through the solve (the network, remodelling state) and the backend's.
  PerElement host_held = network;
  if (p.remodelling) host_held = host_held + remodel_state + open_network + tissue_bookkeeping;
  PerElement backend = device_network + flow_fields;
  if (p.phase_separation) backend = backend + rheology + anderson(p.anderson_depth);
  // Stage peaks: building the network; the pressure solve / rheology loop; oxygen; output.
  const double build = (network + network_build_transient).bytes(m, n);
  PerElement solve_host = host_held + device_network_build_transient;
  PerElement solve_backend = backend + pressure_solve_transient;
  if (p.phase_separation) solve_host = solve_host + flow_graph_transient;
  double oxygen_host = 0, oxygen_backend_bytes = 0;
  if (oxygen) {
    oxygen_host = (host_held + flow_graph_transient + oxygen_result).bytes(m, n);
    oxygen_backend_bytes = (backend + oxygen_backend).bytes(m, n);
    if (grid) oxygen_backend_bytes += bytes_per_tissue_cell * p.tissue_cells + bytes_per_subsegment * p.subsegments;
  }
  PerElement output = host_held + flow_result;
  if (oxygen) output = output + oxygen_result;
  if (p.vtk_output) {
    output = output + vtk_output;
    if (oxygen) output = output + vtk_oxygen;
    if (p.remodelling) output = output + vtk_remodelling;
  }
  if (p.remodelling) output = output + PerElement{remodel_step_transient.s, 0};
  double output_bytes = output.bytes(m, n);
  if (grid) output_bytes += 24.0 * p.tissue_cells;  // tissue PO2 and consumption, .vti copy
  MemoryEstimate e;
  e.device_bytes = std::max(solve_backend.bytes(m, n), oxygen_backend_bytes);
  e.host_bytes = std::max({build, solve_host.bytes(m, n), oxygen_host, output_bytes - 0.0});
  // At the output stage the backend arrays are gone: on the cpu backend the peak is the larger of
  // (host + backend during the solve) and the output stage; callers add host and device for cpu.
  e.host_bytes = std::max(e.host_bytes, output_bytes - e.device_bytes);
  e.what = describe(nodes, segments, &p);
  return e;
}

double memory_limit_from_environment() {
  const char* text = std::getenv("HEPAFLOW_MEMORY_LIMIT");
  if (!text || !*text) return 0;
  try {
    const double bytes = parse_quantity(text, Dimension::memory);
    if (!(bytes > 0)) throw QuantityError("must be positive");
    return bytes;
  } catch (const QuantityError& e) {
    throw InputError(std::string("HEPAFLOW_MEMORY_LIMIT='") + text + "': " + e.what() + " (e.g. \"8 GiB\")");
  }
}

void require_memory(const MemoryEstimate& need, const kernels::KernelSet& k, double case_limit) {
  const double env_limit = memory_limit_from_environment();
  const auto capped = [&](double available, std::string source, std::string* out_source) {
    if (case_limit > 0 && case_limit < available) {
      available = case_limit;
      source = "solver.memory_limit";
    }
    if (env_limit > 0 && env_limit < available) {
      available = env_limit;
      source = "HEPAFLOW_MEMORY_LIMIT";
    }
    *out_source = source;
    return available;
  };
  std::size_t host_free = 0, host_total = 0;
  kernels::cpu::kernel_set().memory_info(&host_free, &host_total);
  const bool separate_device = std::string(k.backend_name) != "cpu";
  const double host_need = need.host_bytes + (separate_device ? 0.0 : need.device_bytes);
  std::string source;
  const double host_available = capped(static_cast<double>(host_free), "MemAvailable", &source);
  const auto refuse = [&](double bytes, const std::string& where, double available, const std::string& from) {
    std::ostringstream msg;
    msg << "network needs " << format_bytes(bytes) << " (" << need.what << "), " << where << " has "
        << format_bytes(available) << " free (" << from << "): refused before allocating. Use a smaller "
        << "network or a machine with more memory" << (separate_device ? "" : "") << " (docs/reliability.md)";
    throw Error(ExitCode::runtime_error, msg.str());
  };
  if (host_need > host_available) refuse(host_need, "the host", host_available, source);
  if (separate_device) {
    std::size_t device_free = 0, device_total = 0;
    k.memory_info(&device_free, &device_total);
    const double device_available = capped(static_cast<double>(device_free), "cudaMemGetInfo", &source);
    if (need.device_bytes > device_available)
      refuse(need.device_bytes, std::string("the device (") + k.backend_name + ")", device_available, source);
  }
}

}  // namespace hepaflow

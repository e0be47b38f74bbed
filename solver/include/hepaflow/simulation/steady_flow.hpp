#pragma once
// One steady flow state of a network (DESIGN.md data flow: Network -> Haemodynamics -> Metrics).
// Viscosity law "constant" for now; the rheology loop plugs in here.
#include <string>
#include <vector>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/flow/rheology.hpp"
#include "hepaflow/oxygen/oxygen_transport.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow {

/// Apply the case's [[boundary.node]] entries to the network (replacing a boundary condition the
/// file gave for the same node) and default inflow haematocrit. Unknown node ids are an InputError
/// naming the case file and line.
void apply_case_boundaries(Network& net, const CaseConfig& config);

/// Validate the network (validate()); with drop_unconnected, first drop components without a pressure
/// boundary and report them in `warnings`. Throws InputError listing every problem (exit code 3).
void prepare_network(Network& net, bool drop_unconnected, const std::string& source,
                     std::vector<std::string>* warnings);

struct SteadyFlowResult {
  std::string backend;                 ///< "cpu" | "cuda"
  LinearSolveReport solve;
  FlowMetrics metrics;
  // Host copies (SI) for output.
  std::vector<double> node_pressure;      ///< [Pa]
  std::vector<double> flow;               ///< [m^3/s]
  std::vector<double> velocity;           ///< [m/s]
  std::vector<double> wall_shear_stress;  ///< [Pa]
  std::vector<double> viscosity;          ///< [Pa s]
  std::vector<double> haematocrit;        ///< discharge H_D
  RheologyReport rheology;
  bool has_oxygen = false;                ///< [oxygen] tissue_model != "none"
  OxygenResult oxygen;
  double seconds_oxygen = 0;
  double seconds_upload = 0, seconds_download = 0;
};

LinearSolverOptions linear_solver_options(const SolverConfig& solver);
/// The case's blood and solver settings as rheology options (InputError for an unknown law).
RheologyOptions rheology_options(const BloodConfig& blood, const SolverConfig& solver);

/// Solve the steady flow of `net` on backend `k` with the case's blood and solver settings, then (when
/// `oxygen` is given and its tissue model is not "none") the oxygen transport. With
/// `flows_from_file` the flows and haematocrits are net.file_flow and net.haematocrit (InputError when
/// the file gave none), velocities and shear follow from them, and pressures are NaN.
SteadyFlowResult solve_steady_flow(const Network& net, const BloodConfig& blood, const SolverConfig& solver,
                                   const KernelSet& k, const OxygenConfig* oxygen = nullptr,
                                   bool flows_from_file = false);

}  // namespace hepaflow

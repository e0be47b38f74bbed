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
  double inflow_scale = 1.0;              ///< s of hold_total_inflow (1 without)
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
///
/// How the total inflow is set: as the boundary values give it, held at a value, or fed by a pressure
/// source through an upstream resistance (Q = source_pressure_drop / (source_resistance + R), R the
/// network's resistance: the splanchnic bed in front of the liver).
struct InflowControl {
  double total_inflow = 0;          ///< > 0: hold this total inflow [m^3/s]
  double source_pressure_drop = 0;  ///< > 0 (with source_resistance): the source's pressure drop [Pa]
  double source_resistance = 0;     ///< [Pa s m^-3]
  bool active() const { return total_inflow > 0 || source_pressure_drop > 0; }
};

/// Where the solves start (a remodelling step: the previous step's solution). Entries that are NaN
/// (nodes and segments the previous solution did not have) take the cold-start value; empty vectors
/// mean a cold start. Used only with solver.warm_start (pcg).
struct SteadyFlowStart {
  std::vector<double> node_pressure;  ///< per node of `net` [Pa]
  std::vector<double> haematocrit;    ///< per segment of `net`: the rheology loop's first viscosity
  /// node_pressure is a solution scaled by an inflow control (SteadyFlowResult::inflow_scale): the
  /// solve undoes the scaling, p_ref + (p - p_ref) / pressure_scale, before starting from it.
  double pressure_scale = 1.0;
};

/// With an active `inflow` control the flow solution is scaled after the rheology loop so that the
/// total inflow equals its target: node pressures p -> p_ref + s (p - p_ref) with p_ref the lowest boundary pressure,
/// flows, velocities and shear stresses times s. This is the solution with every pressure boundary
/// value scaled the same way (and flow boundaries times s) — exact, because the equations are linear in
/// the pressures and no viscosity law depends on the flow's magnitude (phase separation depends on
/// flow ratios only). `oxygen_options` (when given) replaces the options built from `oxygen`.
SteadyFlowResult solve_steady_flow(const Network& net, const BloodConfig& blood, const SolverConfig& solver,
                                   const KernelSet& k, const OxygenConfig* oxygen = nullptr,
                                   bool flows_from_file = false, const InflowControl& inflow = {},
                                   const OxygenOptions* oxygen_options = nullptr,
                                   const SteadyFlowStart* start = nullptr);

}  // namespace hepaflow

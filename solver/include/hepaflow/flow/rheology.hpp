#pragma once
// Coupled haemodynamics (MODEL.md §2): apparent viscosity mu(D, H_D) -> pressure solve -> flows ->
// discharge haematocrit in flow order (RBC-flux mixing, Pries-Secomb 2005 phase separation) ->
// viscosity ..., a fixed-point iteration H <- G(H) on the segments' discharge haematocrit:
// - "picard": damped Picard following Secomb's NetFlowV2 (haematocrit under-relaxed, the relaxation
//   factor multiplied by 0.8 every 5 iterations);
// - "anderson": Anderson acceleration (Walker & Ni 2011, SIAM J Numer Anal 49:1715) of depth m with
//   mixing beta, safeguarded: the least-squares problem drops its oldest differences while it is
//   ill-conditioned (condition estimate > 1e10), and a damped Picard step x + beta f is taken
//   instead when no difference is left; the extrapolated haematocrit is clipped to [0, 0.99]
//   (plasma-skimmed segments sit at 0); an Anderson step that raised max |G(H) - H| is replaced by a
//   damped Picard step from the last accepted iterate, the differences forgotten.
#include <string>
#include <vector>

#include "hepaflow/flow/flow_solver.hpp"

namespace hepaflow {

struct RheologyOptions {
  kernels::ViscosityParameters viscosity;
  bool phase_separation = false;
  double default_haematocrit = 0.45;      ///< inflows without their own Hd; H_D everywhere without phase separation
  int max_iterations = 100;
  double flow_tolerance = 1e-6;           ///< max |dQ| / max |Q|
  double haematocrit_tolerance = 1e-4;    ///< max |dH_D|
  bool allow_unconverged = false;
  std::string acceleration = "anderson";  ///< "anderson" | "picard" (solver.rheology_acceleration)
  int anderson_depth = 5;                 ///< m: differences kept
  double anderson_mixing = 0.5;           ///< beta (also the damping of the fallback Picard step)
};

struct RheologyReport {
  int iterations = 0;
  bool converged = true;
  double max_flow_change = 0;          ///< last max |dQ| / max |Q|
  double max_haematocrit_change = 0;   ///< last max |dH_D| (unrelaxed)
  std::string acceleration;            ///< "picard" | "anderson" (phase separation on), "none" (one solve)
  int anderson_steps = 0;              ///< iterates extrapolated by Anderson
  int anderson_rejections = 0;         ///< Anderson steps that raised the residual (Picard from the last iterate)
  std::vector<double> residual_history;  ///< max |G(H) - H| per iteration
  std::size_t zero_flow_segments = 0;  ///< segments with |Q| <= 1e-13 max |Q|: excluded from transport
  std::vector<std::string> log;        ///< one line per iteration
  LinearSolveReport last_solve;
  double seconds_assemble = 0;         ///< all pressure solves together
  double seconds_solve = 0;
  double seconds_sweep = 0;            ///< haematocrit sweeps incl. building the flow graph
};

/// Flow-ordered graph of a solution, on the backend: the directed flow graph (segments oriented by
/// the sign of their flow; zero-flow segments left out) as chains by topological level. With
/// collapse_chains, unbranched runs of nodes (each fed only by its predecessor's only outflow) form
/// one chain, walked by one thread, so the levels (= launches per sweep) are those of the
/// bifurcations and confluences; without, every node is a chain of its own (one level per node
/// depth). Both give the same values: every node is updated by the same operations from the same
/// inputs, only the schedule differs.
class FlowGraph {
 public:
  /// Builds on the host from downloaded flows; InputError-free: a cycle is a runtime Error.
  FlowGraph(const KernelSet& k, const Network& net, const std::vector<double>& flow, double default_haematocrit,
            double default_po2_mmHg = 65.0, bool collapse_chains = true);
  kernels::FlowGraphView view() const;
  /// Level l holds the chains [level_offsets[l], level_offsets[l+1]).
  const std::vector<index_t>& level_offsets() const { return level_offsets_; }
  std::size_t levels() const { return level_offsets_.size() - 1; }
  std::size_t chains() const { return chain_ptr_host_.size() - 1; }
  /// Nodes swept (those with a flowing segment).
  std::size_t swept_nodes() const { return level_nodes_host_.size(); }
  std::size_t zero_flow_segments() const { return zero_flow_; }
  /// Blood entering from outside per node [m^3/s] (host copy).
  const std::vector<double>& external_inflow() const { return external_inflow_host_; }

  /// Spread the sweeps over the MPI ranks (issue 10): nodes split by recursive coordinate bisection
  /// of their positions, each level's nodes ordered by rank. Then every rank sweeps only its nodes of
  /// a level (level_range) and exchange_level() shares what they wrote before the next level, so
  /// values cross rank boundaries in flow order and every rank ends with the whole field. Only on
  /// the CPU backend (the exchange reads and writes the arrays on the host); otherwise, or on one
  /// rank, a no-op and the sweep runs whole on every rank.
  void distribute(const Network& net);
  bool distributed() const { return ranks_ > 1; }
  /// This rank's chains [begin, end) of level l (the whole level when not distributed); a chain is
  /// swept whole by the rank of its head node.
  std::pair<index_t, index_t> level_range(std::size_t l) const;
  /// After level l: every rank's values of the nodes of its level-l chains (node_arrays) and of their
  /// outflow segments (segment_arrays, per segment) to every rank.
  void exchange_level(std::size_t l, const std::vector<double*>& segment_arrays,
                      const std::vector<double*>& node_arrays) const;

 private:
  DeviceArray<index_t> level_nodes_, chain_ptr_, in_ptr_, in_segment_, out_ptr_, out_segment_;
  DeviceArray<double> inflow_haematocrit_, inflow_po2_, external_inflow_;
  std::vector<double> external_inflow_host_;
  std::vector<index_t> level_offsets_;
  std::size_t zero_flow_ = 0;
  const KernelSet* k_ = nullptr;
  int ranks_ = 1, rank_ = 0;
  std::vector<index_t> level_nodes_host_, chain_ptr_host_, out_ptr_host_, out_segment_host_;
  std::vector<index_t> rank_offsets_;  ///< level l, rank r: chains [rank_offsets_[l (ranks+1) + r], ...)
};

/// Discharge haematocrit of every flowing segment from `flow`, in flow order; segments without flow
/// keep their value in `haematocrit`.
void haematocrit_sweep(const KernelSet& k, const FlowGraph& graph, const DeviceArray<double>& flow,
                       const DeviceArray<double>& radius, double default_haematocrit, bool phase_separation,
                       DeviceArray<double>& haematocrit);

/// Solve the coupled problem; `haematocrit` holds the initial H_D per segment on entry and the
/// final one on return; `fields` the last flow solution (viscosity from the final H_D).
/// Non-convergence: ConvergenceError (exit code 5) unless options.allow_unconverged.
RheologyReport solve_coupled_flow(const DeviceNetwork& device_net, const Network& net,
                                  const LinearSolverOptions& linear, const RheologyOptions& options,
                                  FlowFields& fields, DeviceArray<double>& haematocrit);

}  // namespace hepaflow

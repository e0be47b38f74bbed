#pragma once
// A remodelling run (DESIGN.md data flow, MODEL.md §4-5): the fibrotic network of [disease], MSC
// therapy of [therapy], stepped over [time]. Each step: therapy signal -> per-segment ODEs on the
// backend (kernels/.../remodel.hpp) -> sprouting (the topology changes) -> steady flow and oxygen
// of the open network -> metrics. The app writes outputs between steps (physics writes no files).
#include <memory>
#include <string>
#include <vector>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/kernels/kernels.hpp"
#include "hepaflow/network.hpp"
#include "hepaflow/remodel/disease.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "hepaflow/therapy/msc_therapy.hpp"

namespace hepaflow::io {
class BinaryWriter;
class BinaryReader;
}  // namespace hepaflow::io

namespace hepaflow {

using kernels::KernelSet;

/// One row of history.csv (units in the names; fractions in [0, 1]).
struct HistoryRow {
  int step = 0;
  double time_d = 0;
  double pressure_drop_mmHg = 0, resistance_mmHg_min_per_nl = 0, total_flow_nl_per_min = 0;
  double perfused_fraction = 0, flow_cv = 0, shunt_flow_fraction = 0;
  double po2_periportal_mmHg = 0, po2_midzonal_mmHg = 0, po2_pericentral_mmHg = 0, po2_tissue_mean_mmHg = 0;
  double hypoxic_fraction = 0, function_index = 0;
  double cpa_mean = 0, cpa_periportal = 0, cpa_midzonal = 0, cpa_pericentral = 0;
  double hsc_activation_mean = 0, closed_fraction = 0;
  double msc_in_liver = 0, msc_signal_mean = 0;  ///< cells in the whole liver; mean cells per ml of tissue
  std::size_t segments = 0, sprouts = 0;
  double wall_time_s = 0;
};
/// The CSV header and one line (shortest round-trip numbers).
std::string history_csv_header();
std::string history_csv_line(const HistoryRow& row);
/// Exact record of a row (checkpoints), and back.
void save_history_row(io::BinaryWriter& out, const HistoryRow& row);
HistoryRow load_history_row(io::BinaryReader& in);

/// The solution of the current step on the full network (closed segments: flow 0, PO2 NaN).
struct RemodellingSolution {
  std::vector<double> flow, velocity, wall_shear_stress, viscosity, haematocrit;  ///< SI, per segment
  std::vector<double> po2_in, po2_out, po2_mean, so2, o2_flux, tissue_po2, tissue_hypoxic;
  std::vector<double> msc_signal;      ///< mean MSC concentration of the last step [cells m^-3]
  std::vector<double> node_pressure;   ///< [Pa] (NaN: node outside the open network)
  std::vector<double> node_po2;        ///< [mmHg]
  SteadyFlowResult steady;             ///< of the open network (metrics, solver, oxygen summary)
  std::size_t open_segments = 0;
};

class RemodellingRun {
 public:
  /// Set up the disease on `healthy` (which must be prepared/validated), solve the undiseased network
  /// once (portal/central nodes, the held inflow), and solve step 0.
  RemodellingRun(const CaseConfig& config, Network healthy, const KernelSet& backend);
  /// Continue a run from a save_state() record, made by a run of the same case (the caller checks
  /// that; InputError when the record's step count or sizes do not fit `config`). Advancing it gives
  /// bit for bit what the saved run would have given.
  RemodellingRun(const CaseConfig& config, const KernelSet& backend, io::BinaryReader& state);
  ~RemodellingRun();

  bool done() const;                 ///< time >= time.end (always after step 0 without [time])
  void advance();                    ///< one remodelling step and the solve at its end
  int step() const { return step_; }
  int total_steps() const { return total_steps_; }
  double time_s() const { return time_; }
  bool output_due() const;           ///< step 0, every output_interval, and the last step

  const Network& network() const { return net_; }     ///< full network with the effective radii
  const DiseaseState& disease() const { return state_; }
  const RemodellingSolution& solution() const { return solution_; }
  const HistoryRow& row() const { return row_; }
  const std::vector<std::string>& setup_log() const { return setup_log_; }
  std::string step_log() const;      ///< one line on the current step
  /// Every bit of state the next step reads (checkpoints): the network with its run-time segments
  /// (sprouts, shunts), the disease state, the started infusions' distributions, the solution fields,
  /// the step-0 hypoxia baseline, the inflow control, time and step, the current history row and the
  /// summary's solver figures. Not the case (the caller keeps it) and no random generator state:
  /// every random choice is a hash of seed, step and segment/node id (kernels remodel, sprout()).
  void save_state(io::BinaryWriter& out) const;

 private:
  void solve();
  /// One implicit-Euler step of length dt of every segment's ODEs on the backend (dt = 0: radii only).
  void remodel_on_backend(double dt, double time_after, std::uint64_t step, const std::vector<double>& vegf);
  void compute_metrics();
  std::vector<double> node_mean_hypoxia() const;  ///< per node, over its segments' tissue
  std::vector<double> node_vegf() const;

  CaseConfig config_;
  const KernelSet& backend_;
  Network net_;
  DiseaseState state_;
  MscTherapy therapy_;
  RemodellingSolution solution_;
  HistoryRow row_;
  std::vector<std::string> setup_log_;
  std::vector<double> baseline_node_hypoxia_;  ///< per node, at step 0 (VEGF counts hypoxia above it)
  InflowControl inflow_;
  double time_ = 0, dt_ = 0;
  int step_ = 0, total_steps_ = 0, output_every_ = 1;
  std::size_t sprouts_ = 0;
  double wall_start_ = 0;
};

}  // namespace hepaflow

#pragma once
// Oxygen transport along the flow (MODEL.md §3): blood O2 content with Hill saturation, convection
// along each segment with lumped Krogh consumption (each segment supplies its tissue volume,
// Michaelis-Menten at the vessel PO2, M0 linear in zone from periportal to pericentral), flux-weighted
// mixing at nodes, one sweep in topological order of the flow graph, level by level on the backend.
#include <string>
#include <vector>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/flow/rheology.hpp"
#include "hepaflow/oxygen/tissue_grid.hpp"

namespace hepaflow {

struct OxygenOptions {
  kernels::OxygenSweepParameters sweep;
  double m0_periportal = 0;      ///< [m^3 O2 (STP) m^-3 s^-1] at zone 0
  double m0_pericentral = 0;     ///< at zone 1 (zone NaN: the mean of the two)
  double hypoxia_threshold_mmHg = 10;
  double default_haematocrit = 0.45;  ///< inflows without their own Hd
  double tissue_d_alpha = 6.2e-14;    ///< D alpha of tissue [m^2 s^-1 mmHg^-1] (Krogh-Erlich profile, grid)
  std::string tissue_model = "krogh"; ///< "krogh" | "grid"
  // grid only
  double grid_spacing = 5e-6;         ///< [m]
  double grid_padding = 0.0;          ///< non-consuming tissue around the region [m]
  bool grid_from_file_box = true;     ///< use Network::tissue_box when the file gave one
  IntravascularResistance intravascular_resistance = default_intravascular_resistance();
  double coupling_tolerance_mmHg = 1e-4;
  int coupling_max_iterations = 200;
  double coupling_relaxation = 1.0;   ///< under-relaxation of the blood PO2 between iterations
  bool allow_unconverged = false;     ///< report instead of throwing when the coupling does not converge
  /// krogh: O2 conductance of each segment's wall per length, flux = k_w (P_blood - P_wall)
  /// [m^3 O2 (STP) s^-1 m^-1 mmHg^-1] (MODEL.md §4: capillarization lowers it); empty = no wall drop.
  std::vector<double> wall_conductance;
  /// krogh: sweep in flow order spread over the MPI ranks (FlowGraph::distribute; solver.method = "petsc").
  bool distribute_sweep = false;
  /// Unbranched chains walked by one thread each (FlowGraph; false: one level per node depth, the
  /// schedule before issue 8, same values -- for the equality test and the benchmark).
  bool collapse_chains = true;
};
/// From the case's [oxygen] table (mol m^-3 s^-1 -> ml O2/ml/s with 22.4 l/mol at STP); reads the
/// intravascular resistance table when the case names one.
OxygenOptions oxygen_options(const OxygenConfig& config, double default_haematocrit);

struct OxygenResult {
  // per segment (host copies, for output)
  std::vector<double> po2_in, po2_out, po2_mean;  ///< [mmHg]
  std::vector<double> so2_mean;                   ///< saturation at po2_mean
  std::vector<double> o2_flux_to_tissue;          ///< [m^3 O2 (STP)/s]
  std::vector<double> node_po2;                   ///< [mmHg]
  std::vector<double> tissue_po2_segment;         ///< krogh: mean PO2 of each segment's tissue [mmHg]; NaN: none
  std::vector<double> tissue_hypoxic_segment;     ///< krogh: hypoxic fraction of each segment's tissue; NaN: none
  // metrics (segments without flow excluded; "sinusoid zone" averages are length-weighted)
  double po2_vessel_mean = 0, po2_vessel_min = 0, po2_vessel_p10 = 0;
  double po2_periportal = 0, po2_midzonal = 0, po2_pericentral = 0;   ///< zone < 1/3, 1/3-2/3, > 2/3
  double po2_tissue_mean = 0;         ///< volume-weighted mean tissue PO2 of the Krogh cylinders [mmHg]
  double po2_tissue_min = 0;          ///< lowest tissue PO2 (at a Krogh radius) [mmHg]
  double po2_tissue_p10 = 0;          ///< 10th percentile of the cylinders' mean tissue PO2 [mmHg]
  double hypoxic_fraction = 0;        ///< tissue volume fraction below the hypoxia threshold
  double o2_delivered = 0;            ///< O2 flux in at the inflow boundaries [m^3/s]
  double o2_consumed = 0;             ///< into the tissue [m^3/s]
  double o2_outflow = 0;              ///< out at the outflow boundaries [m^3/s]
  double o2_extraction_fraction = 0;  ///< consumed / delivered
  double mass_balance_error = 0;      ///< |delivered - consumed - outflow| / delivered
  double venous_so2 = 0;              ///< flow-weighted saturation leaving the network
  double consumption_ratio = 0;       ///< consumption per tissue volume, periportal : pericentral
  // grid only
  double po2_tissue_max = 0, po2_tissue_sd = 0;  ///< over the grid cells [mmHg]
  TissueGridGeometry grid;
  std::vector<double> tissue_po2;          ///< per cell [mmHg]
  std::vector<double> tissue_consumption;  ///< per cell [m^3 O2 m^-3 s^-1]
  int coupling_iterations = 0;             ///< vessel-tissue iterations
  double coupling_change = 0;              ///< last max change of sub-segment blood PO2 [mmHg]
  bool coupling_converged = true;
  int tissue_linear_iterations = 0;        ///< CG iterations over all tissue solves
  std::size_t subsegments = 0;
  std::size_t subsegments_outside = 0;     ///< sub-segments outside the tissue region (no exchange)
  std::vector<std::string> log;            ///< one line per vessel-tissue iteration
};

/// Tissue around one segment (Krogh cylinder of the segment's tissue volume; Krogh-Erlich profile
/// with the consumption at the wall PO2, clamped at 0): mean PO2, minimum PO2 (at the Krogh radius),
/// and the volume fraction below `threshold`.
struct KroghTissue {
  double mean_po2 = 0, min_po2 = 0, hypoxic_fraction = 0;
};
KroghTissue krogh_tissue(double wall_po2, double consumption, double radius, double length, double tissue_volume,
                         double d_alpha, double threshold);

/// Oxygen transport over a flow solution: one sweep with the lumped `krogh` tissue, or the coupled
/// vessel-tissue fixed point of the `grid` model (ConvergenceError, exit code 5, when it does not
/// converge and allow_unconverged is false).
OxygenResult solve_oxygen(const DeviceNetwork& device_net, const Network& net, const FlowFields& fields,
                          const DeviceArray<double>& haematocrit, const OxygenOptions& options);

}  // namespace hepaflow

#pragma once
// MSC therapy (MODEL.md §5; PARAMETERS.md §5 and §7.3): infusions by route, the number of cells in
// the liver over time (delivery, IV lung trapping and redistribution, clearance), where in the
// network they sit (inflow-weighted trapping for portal and arterial routes, Gaussian around the
// site for intrahepatic injection, uniform for IV), and the paracrine signal each segment sees.
#include <array>
#include <vector>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow::io {
class BinaryWriter;
class BinaryReader;
}  // namespace hepaflow::io

namespace hepaflow {

/// Cells of one infusion in the liver t seconds after it (D = dose x body mass cells), MODEL.md §5:
///  portal_vein / hepatic_artery / intrahepatic: N = D f_route e^{-k_c t};
///  iv: lungs L(0) = f_L D release at k_r, a share s of the released cells reaching the liver:
///      N = D [f_0 e^{-k_c t} + s f_L k_r / (k_c - k_r) (e^{-k_r t} - e^{-k_c t})],
/// with k_c = ln 2 / clearance half-life, k_r = 1 / iv_lung_release_time.
double cells_in_liver(const TherapyConfig& t, const InfusionConfig& infusion, double since_s);
/// Time integral of cells_in_liver from a to b seconds after the infusion [cell s] (exact).
double cell_seconds_in_liver(const TherapyConfig& t, const InfusionConfig& infusion, double a_s, double b_s);
/// A radiolabel's fraction of the dose in the liver (no clearance of the label, as ¹¹¹In-oxine
/// imaging sees it): f_route, or for iv f_0 + s f_L (1 - e^{-k_r t}) (Gholamrezanezhad 2011: liver
/// 0-2.8 % at once, 13-17 % at day 10).
double label_fraction_in_liver(const TherapyConfig& t, const std::string& route, double since_s);

/// Where one infusion's cells sit: a density shape phi over the network (tissue-volume weighted mean
/// 1 over the network's tissue), smoothed with the paracrine kernel; any point can be asked (new
/// segments too). Cells per tissue volume at x: N_liver / V_liver * phi(x).
class MscDistribution {
 public:
  /// route iv: uniform. intrahepatic: Gaussian around the site (sigma^2 = site_spread^2 +
  /// signal_length^2, the kernel folded in). portal_vein / hepatic_artery: cells enter with the
  /// blood at the portal inflow nodes and arrest along each segment with probability
  /// 1 - exp(-L / trapping_length), passing nodes in proportion to the outflows (a sweep in order of
  /// decreasing pressure); the arrested cells are spread over a grid of cell size signal_length
  /// (cloud in cell) and read back by trilinear interpolation.
  MscDistribution(const TherapyConfig& t, const InfusionConfig& infusion, const Network& net,
                  const std::vector<double>& flow, const std::vector<double>& node_pressure,
                  const std::vector<double>& tissue_volume);
  /// phi at point x [m].
  double shape_at(const std::array<double, 3>& x) const;
  double trapped_fraction() const { return trapped_fraction_; }  ///< portal/arterial: arrested / entered
  /// Exact record of the distribution (checkpoints), and back.
  void save(io::BinaryWriter& out) const;
  static MscDistribution load(io::BinaryReader& in);

 private:
  MscDistribution() = default;
  enum class Kind { uniform, gaussian, grid } kind_ = Kind::uniform;
  std::array<double, 3> centre_{};
  double sigma_ = 1, scale_ = 1;
  std::array<double, 3> lower_{};
  std::array<int, 3> dims_{};
  double cell_ = 1;
  std::vector<double> density_;  ///< per grid point
  double trapped_fraction_ = 1;
  double raw_at(const std::array<double, 3>& x) const;
};

/// The whole therapy: every infusion with its distribution (made when the infusion happens, from the
/// network and flow of that moment).
class MscTherapy {
 public:
  explicit MscTherapy(const TherapyConfig& t) : config_(t) {}
  bool any() const { return !config_.infusions.empty(); }
  /// Make the distributions of the infusions with time <= t_s that have none yet.
  void start_due_infusions(double t_s, const Network& net, const std::vector<double>& flow,
                           const std::vector<double>& node_pressure, const std::vector<double>& tissue_volume);
  /// Cells in the whole liver at t.
  double cells_in_liver(double t_s) const;
  /// Mean MSC concentration [cells m^-3 of tissue] over [t0, t1] at each segment's midpoint.
  std::vector<double> mean_signal(const Network& net, double t0_s, double t1_s) const;
  /// The started infusions' distributions (checkpoints); load() refuses more than the case has.
  void save(io::BinaryWriter& out) const;
  void load(io::BinaryReader& in);

 private:
  TherapyConfig config_;
  std::vector<MscDistribution> started_;  ///< for config_.infusions[0 .. started_.size())
};

}  // namespace hepaflow

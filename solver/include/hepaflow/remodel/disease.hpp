#pragma once
// The fibrotic network (MODEL.md §4-5, PARAMETERS.md §4 and §7.2): per-segment disease state set
// from a stage preset with its zonal pattern, closed sinusoids, collagen septa bridging portal to
// central, PT->CV shunt vessels, and sprouting of new sinusoids. Host-side structure-of-arrays in the
// network's segment order; the per-segment ODEs run on the backend (kernels/.../remodel.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "hepaflow/config/case_config.hpp"
#include "hepaflow/network.hpp"

namespace hepaflow {

/// Portal (inflow) and central (outflow) boundary nodes of a network, from a solved flow.
struct PortalCentralNodes {
  std::vector<index_t> portal, central;
};
/// Boundary nodes where blood enters (portal) or leaves (central), given segment flows of `net`.
PortalCentralNodes portal_and_central_nodes(const Network& net, const std::vector<double>& flow);

/// Segments whose radius tone and capillarization change and which can close: sinusoids, and
/// segments of unknown kind (imported networks); never portal venules, arterioles, central veins or shunts.
bool is_sinusoid_like(SegmentKind kind);

/// Value of a zonal triple {periportal, midzonal, pericentral} at zone coordinate zeta, linear between
/// the thirds' centres 1/6, 1/2, 5/6 and constant beyond them; zeta NaN (unknown) -> the midzonal value.
double zonal_value(const std::array<double, 3>& triple, double zeta);

/// Per-segment disease state (MODEL.md §4); every vector has one entry per segment of the network.
struct DiseaseState {
  // state
  std::vector<double> activation, tone, capillarization, collagen, closed;  ///< closed: 0/1
  std::vector<double> exposure, effect, function;                           ///< MSC exposure [cells s m^-3], E, f
  std::vector<double> radius;                                               ///< effective radius [m]
  // fixed per segment
  std::vector<double> injury, tone_target, collagen_gain, collagen_basal, capillarization_gain,
      capillarization_basal, remodels, base_radius, mature_radius, birth_time;  ///< birth_time NaN: original
  std::vector<char> septal;      ///< inside a septum
  std::vector<double> tissue;    ///< tissue volume the segment supplied in the undiseased network [m^3]

  std::size_t size() const { return activation.size(); }
  /// Append a segment in the healthy state (all zero, open, function NaN).
  void append_healthy(double base_radius_m, double mature_radius_m, double birth_time_s, bool remodels_flag,
                      double tissue_m3);
};

/// What make_disease_state did, for the log.
struct DiseaseSetupReport {
  std::size_t closed = 0, septa = 0, septal_segments = 0, shunts = 0;
};

/// Set up the disease of `d` on `net` (MODEL.md §4): zonal preset values; the preset is made a
/// steady state of the ODEs (injury, deposition and capillarization gains balance the basal rates,
/// see remodel_segment); sinusoid-like segments closed with probability closed_fraction(zone) (seeded
/// hash of the segment id); septa from a septa_fraction of the portal nodes to their nearest central
/// node: segments whose midpoint lies within septum_radius of that line are closed and hold
/// septum_collagen; shunts from a shunt_fraction of the portal nodes to their nearest central node are
/// appended to `net` (kind shunt, zone NaN, no tissue). `rate_*` are the basal rates [1/s].
DiseaseState make_disease_state(Network& net, const DiseaseConfig& d, const PortalCentralNodes& nodes,
                                DiseaseSetupReport* report = nullptr);

/// New sinusoids (MODEL.md §5 angiogenesis): every node whose VEGF exceeds the threshold sprouts
/// with probability 1 - exp(-(VEGF - threshold) dt / sprouting_time) (seeded hash of node id and
/// step), joining the nearest node within sprout_max_length that it is not yet connected to. Appends
/// the segments to `net` and `state` (initial radius sprout_radius, maturing to the mean radius of the
/// open sinusoid-like segments at its ends). Returns the number added.
std::size_t sprout(Network& net, DiseaseState& state, const DiseaseConfig& d, const std::vector<double>& node_vegf,
                   double time_s, double dt_s, std::uint64_t step);

}  // namespace hepaflow

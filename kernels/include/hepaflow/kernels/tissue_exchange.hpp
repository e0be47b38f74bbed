#pragma once
// Blood-tissue O2 exchange along one sub-segment of a vessel for the `grid` tissue model
// (MODEL.md §3): the blood flows past tissue of a given PO2 and loses O2 through a resistance per
// length R' (intravascular + wall + near-field tissue, see solver/src/oxygen/tissue_grid.cpp):
//   |Q| dC/ds = -(P(C) - P_t) / R'
// (Secomb et al. 2004 Ann Biomed Eng 32:1519, the vessel side of the Green's function method, with
// the intravascular resistance K(d) of Hellums et al. 1996). Same unit conventions as oxygen.hpp.
#include "hepaflow/kernels/host_device.hpp"
#include "hepaflow/kernels/oxygen.hpp"

namespace hepaflow::kernels::oxygen {

/// Result of exchange_subsegment().
struct ExchangeResult {
  double content_out;     ///< C at the outflow end [-]
  double flux_to_tissue;  ///< |Q| (C_in - C_out) [m^3 O2 (STP)/s]; negative when the tissue gives O2
  double po2_mean_mmHg;   ///< length-mean blood PO2, exactly P_t + R' flux / l
  int substeps;           ///< RK4 steps used (0: relaxed to equilibrium, see below)
};

/// Substeps per relaxation length: the blood PO2 relaxes to P_t over lambda = R' |Q| dC/dP; RK4
/// steps of at most lambda / kExchangeStepsPerRelaxation keep it accurate (error ~ (h/lambda)^4:
/// < 1e-6 of the PO2 drop over one relaxation length, tests/verification/tissue_grid_test.cpp).
inline constexpr int kExchangeStepsPerRelaxation = 8;
/// Sub-segments longer than this many relaxation lengths are in equilibrium with the tissue: the
/// outflow PO2 is P_t + (P_in - P_t) exp(-l/lambda) (linearised content), below 1e-7 of the drop.
inline constexpr double kExchangeEquilibriumLengths = 16.0;

/// Integrate the exchange over a sub-segment of length `length` [m] with |flow| [m^3/s], discharge
/// haematocrit `hd`, tissue PO2 `p_tissue` [mmHg] and resistance per length `resistance`
/// [mmHg s m^-2]. The flux is |Q| (C_in - C_out), so O2 is conserved exactly whatever the step
/// count; the mean blood PO2 follows from the flux (flux = l (P_mean - P_t) / R').
HF_HOST_DEVICE inline ExchangeResult exchange_subsegment(double po2_in_mmHg, double flow_abs, double hd,
                                                         double length, double p_tissue, double resistance,
                                                         const BloodOxygenParameters& p) {
  ExchangeResult r;
  flow_abs = ::fabs(flow_abs);
  const double c_in = content(po2_in_mmHg, hd, p);
  if (flow_abs == 0.0 || !(length > 0.0)) {
    r.content_out = c_in;
    r.flux_to_tissue = 0.0;
    r.po2_mean_mmHg = po2_in_mmHg;
    r.substeps = 0;
    return r;
  }
  // Relaxation length at the inflow state (dC/dP > 0 always: alpha_b > 0).
  const double lambda = resistance * flow_abs * content_derivative(po2_in_mmHg > 0.0 ? po2_in_mmHg : 0.0, hd, p);
  const double ratio = length / lambda;
  double c_out;
  if (!(ratio < kExchangeEquilibriumLengths)) {
    // Equilibrated: linearised relaxation, with dC/dP at the tissue PO2 (the state it relaxes to).
    const double lambda_t = resistance * flow_abs * content_derivative(p_tissue > 0.0 ? p_tissue : 0.0, hd, p);
    const double p_out = p_tissue + (po2_in_mmHg - p_tissue) * ::exp(-length / lambda_t);
    c_out = content(p_out, hd, p);
    r.substeps = 0;
  } else {
    int n = static_cast<int>(::ceil(kExchangeStepsPerRelaxation * ratio));
    if (n < 1) n = 1;
    const double h = length / n;
    const double k_scale = 1.0 / (resistance * flow_abs);  // dC/ds = -(P - P_t) k_scale
    double c = c_in;
    for (int i = 0; i < n; ++i) {
      const double k1 = -(po2_from_content(c, hd, p) - p_tissue) * k_scale;
      const double k2 = -(po2_from_content(c + 0.5 * h * k1, hd, p) - p_tissue) * k_scale;
      const double k3 = -(po2_from_content(c + 0.5 * h * k2, hd, p) - p_tissue) * k_scale;
      const double k4 = -(po2_from_content(c + h * k3, hd, p) - p_tissue) * k_scale;
      c += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
      if (c < 0.0) c = 0.0;
    }
    c_out = c;
    r.substeps = n;
  }
  r.content_out = c_out;
  r.flux_to_tissue = flow_abs * (c_in - c_out);
  r.po2_mean_mmHg = p_tissue + resistance * r.flux_to_tissue / length;
  return r;
}

}  // namespace hepaflow::kernels::oxygen

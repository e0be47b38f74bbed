#include "hepaflow/oxygen/oxygen_transport.hpp"

#include <algorithm>
#include <cmath>

#include "hepaflow/units.hpp"

namespace hepaflow {

OxygenOptions oxygen_options(const OxygenConfig& c, double default_haematocrit) {
  OxygenOptions o;
  o.default_haematocrit = default_haematocrit;
  o.sweep.blood.p50_mmHg = c.p50_mmHg;
  o.sweep.blood.hill_n = c.hill_n;
  o.sweep.blood.binding_capacity = c.binding_capacity;
  o.sweep.blood.solubility = c.solubility;
  o.sweep.km_mmHg = c.km_mmHg;
  o.sweep.default_inflow_po2_mmHg = c.inflow_po2_mmHg;
  o.m0_periportal = kernels::oxygen::consumption_from_molar_rate(c.consumption_periportal);
  o.m0_pericentral = kernels::oxygen::consumption_from_molar_rate(c.consumption_pericentral);
  o.hypoxia_threshold_mmHg = c.hypoxia_threshold_mmHg;
  o.tissue_d_alpha = c.tissue_diffusivity * c.tissue_solubility;
  return o;
}

KroghTissue krogh_tissue(double wall_po2, double consumption, double radius, double length, double tissue_volume,
                         double d_alpha, double threshold) {
  // Krogh cylinder (Krogh 1919; MODEL.md §3): V = pi (R_t^2 - r^2) L  ->  R_t = sqrt(V / (pi L) + r^2);
  // the profile is the Krogh-Erlich solution at the consumption of the wall PO2 (lumped model).
  const double r = radius, rt = std::sqrt(tissue_volume / (units::pi * length) + r * r);
  const auto p_at = [&](double rho) {
    return std::max(0.0, kernels::oxygen::krogh_tissue_po2(rho, wall_po2, r, rt, consumption, d_alpha));
  };
  KroghTissue t;
  t.min_po2 = p_at(rt);
  // Mean over the annulus (Simpson, 32 intervals in rho, weight 2 pi rho).
  const int n = 32;
  double sum = 0;
  for (int i = 0; i <= n; ++i) {
    const double rho = r + (rt - r) * i / n;
    sum += (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2)) * p_at(rho) * rho;
  }
  t.mean_po2 = sum * (rt - r) / (3.0 * n) * 2.0 / (rt * rt - r * r);
  // P decreases with rho: the hypoxic shell is rho* < rho <= R_t with P(rho*) = threshold.
  if (wall_po2 < threshold) {
    t.hypoxic_fraction = 1.0;
  } else if (t.min_po2 < threshold) {
    double lo = r, hi = rt;
    for (int i = 0; i < 60; ++i) {
      const double mid = 0.5 * (lo + hi);
      (p_at(mid) < threshold ? hi : lo) = mid;
    }
    t.hypoxic_fraction = (rt * rt - hi * hi) / (rt * rt - r * r);
  }
  return t;
}

OxygenResult solve_oxygen(const DeviceNetwork& device_net, const Network& net, const FlowFields& fields,
                          const DeviceArray<double>& haematocrit, const OxygenOptions& o) {
  const KernelSet& k = device_net.kernels();
  const std::size_t m = net.num_segments(), n = net.num_nodes();
  // Zonal maximal consumption M0(zeta), linear periportal -> pericentral (MODEL.md §3).
  std::vector<double> m0(m);
  for (std::size_t s = 0; s < m; ++s) {
    const double zone = std::isfinite(net.zone[s]) ? net.zone[s] : 0.5;
    m0[s] = o.m0_periportal + (o.m0_pericentral - o.m0_periportal) * zone;
  }
  const std::vector<double> flow = fields.flow.download();
  const FlowGraph graph(k, net, flow, o.default_haematocrit, o.sweep.default_inflow_po2_mmHg);
  DeviceArray<double> tissue(k, net.tissue_volume), consumption(k, m0);
  DeviceArray<double> po2_in(k, m), po2_out(k, m), po2_mean(k, m), flux(k, m), node_po2(k, n);
  for (auto* a : {&po2_in, &po2_out, &po2_mean, &flux}) k.fill(m, std::nan(""), a->data());
  k.fill(n, std::nan(""), node_po2.data());
  kernels::OxygenSweepFields f;
  f.flow = fields.flow.data();
  f.haematocrit = haematocrit.data();
  f.length = device_net.length.data();
  f.tissue_volume = tissue.data();
  f.max_consumption = consumption.data();
  f.po2_in = po2_in.data();
  f.po2_out = po2_out.data();
  f.po2_mean = po2_mean.data();
  f.o2_flux_to_tissue = flux.data();
  f.node_po2 = node_po2.data();
  const auto g = graph.view();
  const auto& levels = graph.level_offsets();
  for (std::size_t l = 0; l + 1 < levels.size(); ++l) k.oxygen_level(g, levels[l], levels[l + 1], o.sweep, f);

  OxygenResult r;
  r.po2_in = po2_in.download();
  r.po2_out = po2_out.download();
  r.po2_mean = po2_mean.download();
  r.o2_flux_to_tissue = flux.download();
  r.node_po2 = node_po2.download();
  const std::vector<double> hd = haematocrit.download();
  r.so2_mean.resize(m);
  for (std::size_t s = 0; s < m; ++s)
    r.so2_mean[s] = std::isfinite(r.po2_mean[s]) ? kernels::oxygen::saturation(r.po2_mean[s], o.sweep.blood) : std::nan("");

  double venous_flow_total = 0, venous_sat_total = 0;
  // O2 entering and leaving the network: at boundary nodes, blood from outside (external inflow)
  // brings the boundary's content; blood leaving to outside takes the node's mixed content.
  std::vector<double> net_out(n, 0.0), mix_flow(n, 0.0), mix_rbc(n, 0.0);
  for (std::size_t s = 0; s < m; ++s) {
    if (!std::isfinite(r.po2_in[s])) continue;
    const double q = std::abs(flow[s]);
    const bool forward = flow[s] > 0;
    const index_t up = forward ? net.segment_from[s] : net.segment_to[s];
    const index_t down = forward ? net.segment_to[s] : net.segment_from[s];
    net_out[up] += q;
    net_out[down] -= q;
    mix_flow[down] += q;
    mix_rbc[down] += q * hd[s];
  }
  for (const auto& bc : net.boundaries) {
    const index_t i = bc.node;
    const double hd_bc = std::isnan(bc.haematocrit) ? o.default_haematocrit : bc.haematocrit;
    const double po2_bc = std::isnan(bc.po2_mmHg) ? o.sweep.default_inflow_po2_mmHg : bc.po2_mmHg;
    if (net_out[i] > 0) {
      r.o2_delivered += net_out[i] * kernels::oxygen::content(po2_bc, hd_bc, o.sweep.blood);
      mix_flow[i] += net_out[i];
      mix_rbc[i] += net_out[i] * hd_bc;
    } else if (net_out[i] < 0 && std::isfinite(r.node_po2[i]) && mix_flow[i] > 0) {
      const double leaving = -net_out[i], hd_mix = mix_rbc[i] / mix_flow[i];
      r.o2_outflow += leaving * kernels::oxygen::content(r.node_po2[i], hd_mix, o.sweep.blood);
      venous_flow_total += leaving;
      venous_sat_total += leaving * kernels::oxygen::saturation(r.node_po2[i], o.sweep.blood);
    }
  }
  // Metrics over flowing segments (the sweep leaves NaN on zero-flow segments).
  double length_sum = 0, po2_sum = 0, zone_len[3] = {0, 0, 0}, zone_po2[3] = {0, 0, 0};
  double zone_tissue[3] = {0, 0, 0}, zone_consumed[3] = {0, 0, 0}, tissue_total = 0, tissue_hypoxic = 0;
  std::vector<double> values, tissue_means;
  double tissue_po2_sum = 0;
  r.po2_vessel_min = 1e300;
  r.po2_tissue_min = 1e300;
  for (std::size_t s = 0; s < m; ++s) {
    if (!std::isfinite(r.po2_in[s])) continue;
    const double L = net.length[s];
    length_sum += L;
    po2_sum += L * r.po2_mean[s];
    values.push_back(r.po2_mean[s]);
    r.po2_vessel_min = std::min(r.po2_vessel_min, r.po2_out[s]);
    r.o2_consumed += r.o2_flux_to_tissue[s];
    const double V = net.tissue_volume[s];
    if (V > 0) {
      const double consumption = kernels::oxygen::michaelis_menten(r.po2_mean[s], m0[s], o.sweep.km_mmHg);
      const KroghTissue t = krogh_tissue(r.po2_mean[s], consumption, net.radius[s], L, V, o.tissue_d_alpha,
                                         o.hypoxia_threshold_mmHg);
      tissue_total += V;
      tissue_hypoxic += V * t.hypoxic_fraction;
      tissue_po2_sum += V * t.mean_po2;
      r.po2_tissue_min = std::min(r.po2_tissue_min, t.min_po2);
      tissue_means.push_back(t.mean_po2);
    }
    if (net.kind[s] == SegmentKind::sinusoid && std::isfinite(net.zone[s])) {
      const int z = net.zone[s] < 1.0 / 3 ? 0 : (net.zone[s] <= 2.0 / 3 ? 1 : 2);
      zone_len[z] += L;
      zone_po2[z] += L * r.po2_mean[s];
      zone_tissue[z] += V;
      zone_consumed[z] += r.o2_flux_to_tissue[s];
    }
  }
  if (values.empty()) return r;
  std::sort(values.begin(), values.end());
  r.po2_vessel_mean = po2_sum / length_sum;
  r.po2_vessel_p10 = values[values.size() / 10];
  const auto zone_mean = [&](int z) { return zone_len[z] > 0 ? zone_po2[z] / zone_len[z] : std::nan(""); };
  r.po2_periportal = zone_mean(0);
  r.po2_midzonal = zone_mean(1);
  r.po2_pericentral = zone_mean(2);
  r.hypoxic_fraction = tissue_total > 0 ? tissue_hypoxic / tissue_total : 0.0;
  if (tissue_total > 0) {
    r.po2_tissue_mean = tissue_po2_sum / tissue_total;
    std::sort(tissue_means.begin(), tissue_means.end());
    r.po2_tissue_p10 = tissue_means[tissue_means.size() / 10];
  } else {
    r.po2_tissue_mean = r.po2_tissue_min = r.po2_tissue_p10 = std::nan("");
  }
  r.o2_extraction_fraction = r.o2_delivered > 0 ? r.o2_consumed / r.o2_delivered : 0.0;
  r.mass_balance_error =
      r.o2_delivered > 0 ? std::abs(r.o2_delivered - r.o2_consumed - r.o2_outflow) / r.o2_delivered : 0.0;
  r.venous_so2 = venous_flow_total > 0 ? venous_sat_total / venous_flow_total : std::nan("");
  if (zone_tissue[0] > 0 && zone_tissue[2] > 0 && zone_consumed[2] > 0)
    r.consumption_ratio = (zone_consumed[0] / zone_tissue[0]) / (zone_consumed[2] / zone_tissue[2]);
  return r;
}

}  // namespace hepaflow

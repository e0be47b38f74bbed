#include "hepaflow/oxygen/oxygen_transport.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "hepaflow/error.hpp"
#include "hepaflow/finite_check.hpp"
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
  o.tissue_model = c.tissue_model;
  o.grid_spacing = c.grid_spacing;
  o.grid_padding = c.grid_padding;
  o.grid_from_file_box = c.grid_region == "auto";
  if (!c.intravascular_resistance.empty())
    o.intravascular_resistance = read_intravascular_resistance(c.intravascular_resistance);
  o.coupling_tolerance_mmHg = c.coupling_tolerance_mmHg;
  o.coupling_max_iterations = c.coupling_max_iterations;
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

namespace {

/// The tissue region of the `grid` model: the file's box, else the nodes' bounding box.
TissueGridGeometry tissue_grid_for(const Network& net, const OxygenOptions& o) {
  std::array<double, 3> lower, upper;
  if (o.grid_from_file_box && net.tissue_box.size() == 6) {
    lower = {net.tissue_box[0], net.tissue_box[1], net.tissue_box[2]};
    upper = {net.tissue_box[3], net.tissue_box[4], net.tissue_box[5]};
  } else {
    lower = {net.x.front(), net.y.front(), net.z.front()};
    upper = lower;
    for (std::size_t i = 0; i < net.num_nodes(); ++i) {
      const double p[3] = {net.x[i], net.y[i], net.z[i]};
      for (int a = 0; a < 3; ++a) {
        lower[a] = std::min(lower[a], p[a]);
        upper[a] = std::max(upper[a], p[a]);
      }
    }
  }
  return add_padding(make_tissue_grid(lower, upper, o.grid_spacing), o.grid_padding);
}

/// The coupled fixed point of the `grid` model (MODEL.md §3): given the tissue PO2, sweep the
/// vessels (sub-segment exchange); given the blood PO2 of every sub-segment, solve the tissue;
/// repeat until the blood PO2 changes by less than the tolerance. Fills the tissue fields of r.
void solve_tissue_grid(const KernelSet& k, const Network& net, const std::vector<double>& flow,
                       const OxygenOptions& o, const std::vector<double>& segment_m0, kernels::OxygenSweepFields& f,
                       const std::function<void()>& sweep, OxygenResult& r) {
  const TissueGridGeometry grid = tissue_grid_for(net, o);
  const double h_min = std::min({grid.spacing[0], grid.spacing[1], grid.spacing[2]});
  const VesselSources v = build_vessel_sources(net, grid, o.intravascular_resistance, o.tissue_d_alpha, h_min);
  const std::size_t cells = grid.cells(), subs = v.subsegments();
  // Zonal M0 of each cell: that of the nearest sub-segment's segment (mean M0 if none).
  const std::vector<index_t> owner = nearest_subsegment(grid, net, v);
  std::vector<double> cell_m0(cells, 0.0);
  for (std::size_t c = 0; c < cells; ++c)
    if (grid.in_region(c))
      cell_m0[c] = owner[c] >= 0 ? segment_m0[v.segment[owner[c]]] : 0.5 * (o.m0_periportal + o.m0_pericentral);
  std::vector<char> exchanges(subs);
  for (std::size_t i = 0; i < subs; ++i) exchanges[i] = flow[v.segment[i]] != 0.0 && v.w_ptr[i + 1] > v.w_ptr[i];
  TissueSolverOptions so;
  so.d_alpha = o.tissue_d_alpha;
  so.km_mmHg = o.sweep.km_mmHg;
  TissueDiffusionSolver solver(k, grid, v, cell_m0, exchanges, so);

  DeviceArray<index_t> sub_ptr(k, v.sub_ptr);
  DeviceArray<double> sub_length(k, v.length), sub_resistance(k, v.resistance);
  DeviceArray<double> sub_tissue(k, subs), sub_vessel(k, subs), sub_vessel_new(k, subs), sub_flux(k, subs);
  f.sub_ptr = sub_ptr.data();
  f.sub_length = sub_length.data();
  f.sub_resistance = sub_resistance.data();
  f.sub_tissue_po2 = sub_tissue.data();
  f.sub_vessel_po2 = sub_vessel_new.data();
  f.sub_flux = sub_flux.data();
  // Start: tissue at half the inflow PO2 everywhere.
  DeviceArray<double> po2(k, cells);
  k.fill(cells, 0.5 * o.sweep.default_inflow_po2_mmHg, po2.data());
  r.coupling_converged = false;
  for (int it = 1; it <= o.coupling_max_iterations; ++it) {
    solver.tissue_po2_at_subsegments(po2, sub_tissue);
    k.fill(subs, 0.0, sub_vessel_new.data());  // segments without flow keep 0 (no exchange)
    sweep();
    if (it == 1) {
      k.copy_on_device(sub_vessel.data(), sub_vessel_new.data(), subs * sizeof(double));
      r.coupling_change = std::nan("");
    } else {
      r.coupling_change = k.max_abs_difference(subs, sub_vessel.data(), sub_vessel_new.data());
      k.lerp(subs, o.coupling_relaxation, sub_vessel_new.data(), sub_vessel.data());
    }
    const TissueSolveReport t = solver.solve(sub_vessel, po2);
    FiniteCheckSite site;
    site.phase = "oxygen tissue solve (vessel-tissue iteration " + std::to_string(it) + ")";
    check_finite(k, site, "tissue_po2", ElementKind::tissue_cell, po2.data(), cells);
    r.tissue_linear_iterations += t.linear_iterations;
    r.coupling_iterations = it;
    std::ostringstream line;
    line << "oxygen iteration " << it << ": max blood PO2 change " << r.coupling_change << " mmHg; tissue: "
         << t.newton_iterations << " Newton steps, " << t.linear_iterations << " CG iterations";
    r.log.push_back(line.str());
    if (!std::isfinite(r.coupling_change) && it > 1)
      throw ConvergenceError("vessel-tissue O2 iteration produced NaN/Inf");
    if (it > 1 && r.coupling_change <= o.coupling_tolerance_mmHg) {
      r.coupling_converged = true;
      break;
    }
  }
  if (!r.coupling_converged && !o.allow_unconverged) {
    std::ostringstream msg;
    msg << "vessel-tissue O2 iteration did not converge: blood PO2 still changes by " << r.coupling_change
        << " mmHg after " << r.coupling_iterations << " iterations (tolerance " << o.coupling_tolerance_mmHg
        << " mmHg; raise oxygen.coupling_max_iterations or loosen oxygen.coupling_tolerance)";
    throw ConvergenceError(msg.str());
  }
  // Final sweep against the final tissue field, so the vessel output matches it.
  solver.tissue_po2_at_subsegments(po2, sub_tissue);
  k.fill(subs, 0.0, sub_vessel_new.data());
  sweep();
  f.sub_ptr = nullptr;
  DeviceArray<double> consumption;
  solver.consumption(po2, consumption);
  r.grid = grid;
  r.tissue_po2 = po2.download();
  r.tissue_consumption = consumption.download();
  r.subsegments = subs;
  r.subsegments_outside = v.outside;
}

/// Tissue metrics of the `grid` model over the cells of the tissue region (all of equal volume).
void grid_tissue_metrics(const OxygenOptions& o, OxygenResult& r) {
  if (r.tissue_po2.empty()) return;
  double sum = 0, sum2 = 0, consumed = 0, hypoxic = 0;
  std::vector<double> sorted;
  for (std::size_t c = 0; c < r.tissue_po2.size(); ++c) {
    consumed += r.tissue_consumption[c];  // 0 outside the region
    if (!r.grid.in_region(c)) continue;
    const double p = r.tissue_po2[c];
    sum += p;
    sum2 += p * p;
    hypoxic += p < o.hypoxia_threshold_mmHg;
    sorted.push_back(p);
  }
  const double n = static_cast<double>(sorted.size());
  std::sort(sorted.begin(), sorted.end());
  r.po2_tissue_mean = sum / n;
  r.po2_tissue_sd = std::sqrt(std::max(0.0, sum2 / n - r.po2_tissue_mean * r.po2_tissue_mean));
  r.po2_tissue_min = sorted.front();
  r.po2_tissue_max = sorted.back();
  r.po2_tissue_p10 = sorted[sorted.size() / 10];
  r.hypoxic_fraction = hypoxic / n;
  r.o2_consumed = consumed * r.grid.cell_volume();
}

}  // namespace

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
  FlowGraph graph(k, net, flow, o.default_haematocrit, o.sweep.default_inflow_po2_mmHg, o.collapse_chains);
  if (o.distribute_sweep && o.tissue_model == "krogh") graph.distribute(net);
  DeviceArray<double> tissue(k, net.tissue_volume), consumption(k, m0);
  DeviceArray<double> po2_in(k, m), po2_out(k, m), po2_mean(k, m), flux(k, m), node_po2(k, n);
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
  // The sweep leaves NaN on segments without flow (|Q| <= 1e-13 max |Q|, FlowGraph): only the
  // flowing ones are checked.
  double max_flow = 0;
  for (double q : flow) max_flow = std::max(max_flow, std::abs(q));
  FiniteCheckSite site;
  site.phase = "oxygen transport (convective sweep)";
  site.segment_ids = &device_net.segment_ids;
  site.node_ids = &device_net.node_ids;
  site.describe = [&](ElementKind kind, std::size_t s) {
    if (kind != ElementKind::segment) return std::string();
    std::ostringstream d;
    d << "flow " << flow[s] << " m^3/s, length " << net.length[s] << " m, tissue volume " << net.tissue_volume[s]
      << " m^3";
    return d.str();
  };
  const auto sweep = [&] {
    for (auto* a : {&po2_in, &po2_out, &po2_mean, &flux}) k.fill(m, std::nan(""), a->data());
    k.fill(n, std::nan(""), node_po2.data());
    for (std::size_t l = 0; l + 1 < levels.size(); ++l) {
      const auto [begin, end] = graph.level_range(l);  // distributed: this rank's nodes, then an exchange
      k.oxygen_level(g, begin, end, o.sweep, f);  // one launch per level: its chains in parallel
      graph.exchange_level(l, {po2_in.data(), po2_out.data(), po2_mean.data(), flux.data()}, {node_po2.data()});
    }
    for (auto [name, a] : {std::pair{"po2_in", &po2_in}, std::pair{"po2_out", &po2_out},
                           std::pair{"po2_mean", &po2_mean}, std::pair{"o2_flux", &flux}})
      check_finite(k, site, name, ElementKind::segment, a->data(), m, fields.flow.data(), 1e-13 * max_flow);
  };

  OxygenResult r;
  if (o.tissue_model == "grid") {
    solve_tissue_grid(k, net, flow, o, m0, f, sweep, r);
  } else {
    sweep();
  }
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
  r.tissue_po2_segment.assign(m, std::nan(""));
  r.tissue_hypoxic_segment.assign(m, std::nan(""));
  for (std::size_t s = 0; s < m; ++s) {
    if (!std::isfinite(r.po2_in[s])) continue;
    const double L = net.length[s];
    length_sum += L;
    po2_sum += L * r.po2_mean[s];
    values.push_back(r.po2_mean[s]);
    r.po2_vessel_min = std::min(r.po2_vessel_min, r.po2_out[s]);
    r.o2_consumed += r.o2_flux_to_tissue[s];
    const double V = net.tissue_volume[s];
    if (V > 0 && o.tissue_model != "grid") {
      const double consumption = kernels::oxygen::michaelis_menten(r.po2_mean[s], m0[s], o.sweep.km_mmHg);
      // Wall PO2: the flux per length consumption V / L crosses the wall's conductance (MODEL.md §4).
      const double wall_po2 = o.wall_conductance.empty()
                                  ? r.po2_mean[s]
                                  : std::max(0.0, r.po2_mean[s] - consumption * V / (L * o.wall_conductance[s]));
      const KroghTissue t = krogh_tissue(wall_po2, consumption, net.radius[s], L, V, o.tissue_d_alpha,
                                         o.hypoxia_threshold_mmHg);
      r.tissue_po2_segment[s] = t.mean_po2;
      r.tissue_hypoxic_segment[s] = t.hypoxic_fraction;
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
  if (o.tissue_model != "grid") {
    std::vector<char> supplied(m, 0);
    for (std::size_t s = 0; s < m; ++s) supplied[s] = std::isfinite(r.po2_in[s]) && net.tissue_volume[s] > 0;
    site.phase = "oxygen tissue (Krogh cylinders)";
    check_finite(site, "tissue_po2", ElementKind::segment, r.tissue_po2_segment, &supplied);
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
  if (o.tissue_model == "grid") {
    grid_tissue_metrics(o, r);
  } else if (tissue_total > 0) {
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

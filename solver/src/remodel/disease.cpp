#include "hepaflow/remodel/disease.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "hepaflow/kernels/remodel.hpp"

namespace hepaflow {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
// Streams of the counter-based RNG (kernels::remodel::hash_uniform): one per kind of random choice.
constexpr std::uint64_t stream_closed = 1, stream_septum = 3, stream_shunt = 4, stream_sprout = 5;

double distance(const Network& net, index_t a, index_t b) {
  return std::hypot(net.x[a] - net.x[b], net.y[a] - net.y[b], net.z[a] - net.z[b]);
}

/// Distance from point p to the line segment a-b.
double distance_to_segment(const double p[3], const double a[3], const double b[3]) {
  double ab[3], ap[3], ab2 = 0, t = 0;
  for (int i = 0; i < 3; ++i) {
    ab[i] = b[i] - a[i];
    ap[i] = p[i] - a[i];
    ab2 += ab[i] * ab[i];
    t += ab[i] * ap[i];
  }
  t = ab2 > 0 ? std::clamp(t / ab2, 0.0, 1.0) : 0.0;
  double d2 = 0;
  for (int i = 0; i < 3; ++i) d2 += (ap[i] - t * ab[i]) * (ap[i] - t * ab[i]);
  return std::sqrt(d2);
}

index_t nearest(const Network& net, index_t from, const std::vector<index_t>& candidates) {
  index_t best = -1;
  double best_d = std::numeric_limits<double>::infinity();
  for (index_t c : candidates) {
    const double d = distance(net, from, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::int64_t next_segment_id(const Network& net) {
  std::int64_t id = 0;
  for (std::int64_t s : net.segment_id) id = std::max(id, s);
  return id + 1;
}

}  // namespace

PortalCentralNodes portal_and_central_nodes(const Network& net, const std::vector<double>& flow) {
  std::vector<double> net_out(net.num_nodes(), 0.0);
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    net_out[net.segment_from[s]] += flow[s];
    net_out[net.segment_to[s]] -= flow[s];
  }
  PortalCentralNodes pc;
  for (const auto& bc : net.boundaries) {
    if (net_out[bc.node] > 0) pc.portal.push_back(bc.node);
    else if (net_out[bc.node] < 0) pc.central.push_back(bc.node);
  }
  return pc;
}

bool is_sinusoid_like(SegmentKind kind) { return kind == SegmentKind::sinusoid || kind == SegmentKind::other; }

double zonal_value(const std::array<double, 3>& v, double zeta) {
  if (!std::isfinite(zeta)) return v[1];
  // Linear interpolation between the centres of the zone thirds (1/6, 1/2, 5/6), constant outside.
  const double x = (zeta - 1.0 / 6.0) * 3.0;  // 0 at 1/6, 1 at 1/2, 2 at 5/6
  if (x <= 0) return v[0];
  if (x >= 2) return v[2];
  const int i = x < 1 ? 0 : 1;
  const double t = x - i;
  return v[i] + (v[i + 1] - v[i]) * t;
}

void DiseaseState::append_healthy(double base_radius_m, double mature_radius_m, double birth_time_s,
                                  bool remodels_flag, double tissue_m3) {
  for (auto* v : {&activation, &tone, &capillarization, &collagen, &closed, &exposure, &effect, &injury,
                  &tone_target, &collagen_gain, &collagen_basal, &capillarization_gain, &capillarization_basal})
    v->push_back(0.0);
  function.push_back(nan);
  radius.push_back(base_radius_m);
  remodels.push_back(remodels_flag ? 1.0 : 0.0);
  base_radius.push_back(base_radius_m);
  mature_radius.push_back(mature_radius_m);
  birth_time.push_back(birth_time_s);
  septal.push_back(0);
  tissue.push_back(tissue_m3);
}

DiseaseState make_disease_state(Network& net, const DiseaseConfig& d, const PortalCentralNodes& nodes,
                                DiseaseSetupReport* report) {
  namespace rm = kernels::remodel;
  const std::size_t m = net.num_segments();
  DiseaseState st;
  for (std::size_t s = 0; s < m; ++s)
    st.append_healthy(net.radius[s], net.radius[s], nan, is_sinusoid_like(net.kind[s]), net.tissue_volume[s]);
  DiseaseSetupReport rep;
  const double k_act = 1.0 / d.activation_time, k_deact = 1.0 / d.deactivation_time;
  const double k_deg = 1.0 / d.collagen_turnover_time, k_cap0 = 1.0 / d.capillarization_turnover_time;

  // Zonal preset values on the sinusoid-like segments; closed ones chosen by the seeded hash.
  for (std::size_t s = 0; s < m; ++s) {
    if (!st.remodels[s]) continue;
    const double z = net.zone[s];
    st.activation[s] = zonal_value(d.activation, z);
    st.tone[s] = st.tone_target[s] = zonal_value(d.tone, z);
    st.capillarization[s] = zonal_value(d.capillarization, z);
    st.collagen[s] = zonal_value(d.collagen, z);
    const auto id = static_cast<std::uint64_t>(net.segment_id[s]);
    if (rm::hash_uniform(d.seed, 0, id, stream_closed) < zonal_value(d.closed_fraction, z)) {
      st.closed[s] = 1.0;
      ++rep.closed;
    }
  }
  // Septa: portal node -> nearest central node, a capsule of radius septum_radius.
  if (d.septa_fraction > 0 && !nodes.central.empty()) {
    for (index_t p : nodes.portal) {
      if (rm::hash_uniform(d.seed, 0, static_cast<std::uint64_t>(net.node_id[p]), stream_septum) >= d.septa_fraction)
        continue;
      const index_t c = nearest(net, p, nodes.central);
      const double a[3] = {net.x[p], net.y[p], net.z[p]}, b[3] = {net.x[c], net.y[c], net.z[c]};
      ++rep.septa;
      for (std::size_t s = 0; s < m; ++s) {
        if (!st.remodels[s]) continue;
        const index_t i = net.segment_from[s], j = net.segment_to[s];
        const double mid[3] = {0.5 * (net.x[i] + net.x[j]), 0.5 * (net.y[i] + net.y[j]), 0.5 * (net.z[i] + net.z[j])};
        if (distance_to_segment(mid, a, b) > d.septum_radius) continue;
        if (!st.septal[s]) ++rep.septal_segments;
        if (!st.closed[s]) ++rep.closed;
        st.septal[s] = 1;
        st.closed[s] = 1.0;
        st.collagen[s] = std::max(st.collagen[s], d.septum_collagen);
        st.activation[s] = std::max(st.activation[s], d.activation[0]);  // septal HSC as active as periportal ones
      }
    }
  }
  // The preset is a steady state: balance every drive against its basal rate (remodel_segment).
  for (std::size_t s = 0; s < m; ++s) {
    const double a0 = st.activation[s];
    if (!(a0 > 0)) continue;  // no activation: nothing is deposited and nothing turns over
    st.injury[s] = a0 * k_deact / (k_act * (1.0 - a0));  // k_act I (1 - a0) = k_deact a0
    st.collagen_basal[s] = k_deg;
    st.collagen_gain[s] = k_deg * st.collagen[s] / a0;  // g a0 = k_deg CPA0
    if (st.capillarization[s] > 0) {
      const double c0 = st.capillarization[s];
      st.capillarization_basal[s] = k_cap0;
      st.capillarization_gain[s] = k_cap0 * c0 / (a0 * (1.0 - c0));  // g a0 (1 - c0) = b c0
    }
  }
  // Shunts: portal node -> nearest central node, a new vessel.
  if (d.shunt_fraction > 0 && !nodes.central.empty()) {
    std::int64_t id = next_segment_id(net);
    for (index_t p : nodes.portal) {
      if (rm::hash_uniform(d.seed, 0, static_cast<std::uint64_t>(net.node_id[p]), stream_shunt) >= d.shunt_fraction)
        continue;
      const index_t c = nearest(net, p, nodes.central);
      net.add_segment(id++, p, c, d.shunt_radius, -1.0, SegmentKind::shunt);
      net.fill_defaults();
      net.tissue_volume.back() = 0.0;
      net.zone.back() = nan;
      st.append_healthy(d.shunt_radius, d.shunt_radius, nan, false, 0.0);
      ++rep.shunts;
    }
  }
  if (report) *report = rep;
  return st;
}

std::size_t sprout(Network& net, DiseaseState& st, const DiseaseConfig& d, const std::vector<double>& node_vegf,
                   double time_s, double dt_s, std::uint64_t step) {
  if (!(d.sprouting_time > 0)) return 0;
  const std::size_t n = net.num_nodes();
  // Uniform bins of size sprout_max_length over the nodes (neighbour search in the 27 bins around).
  const double h = d.sprout_max_length;
  double lo[3] = {net.x[0], net.y[0], net.z[0]};
  for (std::size_t i = 0; i < n; ++i) {
    lo[0] = std::min(lo[0], net.x[i]);
    lo[1] = std::min(lo[1], net.y[i]);
    lo[2] = std::min(lo[2], net.z[i]);
  }
  const auto bin_of = [&](std::size_t i, int axis) {
    const double v = axis == 0 ? net.x[i] : axis == 1 ? net.y[i] : net.z[i];
    return static_cast<std::int64_t>(std::floor((v - lo[axis]) / h));
  };
  const auto key = [](std::int64_t a, std::int64_t b, std::int64_t c) {
    return (a * 73856093) ^ (b * 19349663) ^ (c * 83492791);
  };
  std::unordered_map<std::int64_t, std::vector<index_t>> bins;
  std::vector<std::unordered_set<index_t>> neighbours(n);
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    neighbours[net.segment_from[s]].insert(net.segment_to[s]);
    neighbours[net.segment_to[s]].insert(net.segment_from[s]);
  }
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) any = any || node_vegf[i] > d.sprout_threshold;
  if (!any) return 0;
  for (std::size_t i = 0; i < n; ++i) bins[key(bin_of(i, 0), bin_of(i, 1), bin_of(i, 2))].push_back(static_cast<index_t>(i));
  // Mean radius of the open sinusoid-like segments at each node (the sprout's mature radius).
  std::vector<double> radius_sum(n, 0.0), radius_count(n, 0.0);
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    if (!st.remodels[s] || st.closed[s] != 0.0) continue;
    for (index_t v : {net.segment_from[s], net.segment_to[s]}) {
      radius_sum[v] += st.base_radius[s];
      radius_count[v] += 1;
    }
  }
  // Zone of a sprout: the mean zone of the segments at its two ends.
  std::vector<double> zone_total(n, 0.0), zone_count(n, 0.0);
  for (std::size_t s = 0; s < net.num_segments(); ++s) {
    if (!std::isfinite(net.zone[s])) continue;
    for (index_t v : {net.segment_from[s], net.segment_to[s]}) {
      zone_total[v] += net.zone[s];
      zone_count[v] += 1;
    }
  }
  std::int64_t id = next_segment_id(net);
  std::size_t added = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double excess = node_vegf[i] - d.sprout_threshold;
    if (!(excess > 0)) continue;
    const double probability = 1.0 - std::exp(-excess * dt_s / d.sprouting_time);
    if (kernels::remodel::hash_uniform(d.seed, step, static_cast<std::uint64_t>(net.node_id[i]), stream_sprout) >=
        probability)
      continue;
    index_t best = -1;
    double best_d = h;
    const std::int64_t b0 = bin_of(i, 0), b1 = bin_of(i, 1), b2 = bin_of(i, 2);
    for (std::int64_t a = -1; a <= 1; ++a)
      for (std::int64_t b = -1; b <= 1; ++b)
        for (std::int64_t c = -1; c <= 1; ++c) {
          const auto it = bins.find(key(b0 + a, b1 + b, b2 + c));
          if (it == bins.end()) continue;
          for (index_t j : it->second) {
            if (j == static_cast<index_t>(i) || neighbours[i].count(j)) continue;
            const double dist = distance(net, static_cast<index_t>(i), j);
            if (dist <= best_d && (dist < best_d || j < best)) {
              best_d = dist;
              best = j;
            }
          }
        }
    if (best < 0) continue;
    const double count = radius_count[i] + radius_count[best];
    const double mature = count > 0 ? (radius_sum[i] + radius_sum[best]) / count : 2 * d.sprout_radius;
    const double zone_sum = zone_total[i] + zone_total[best], zone_n = zone_count[i] + zone_count[best];
    net.add_segment(id++, static_cast<index_t>(i), best, d.sprout_radius, -1.0, SegmentKind::sinusoid);
    net.fill_defaults();
    net.tissue_volume.back() = 0.0;
    net.zone.back() = zone_n > 0 ? zone_sum / zone_n : nan;
    st.append_healthy(d.sprout_radius, std::max(mature, d.sprout_radius), time_s, true, 0.0);
    neighbours[i].insert(best);
    neighbours[best].insert(static_cast<index_t>(i));
    ++added;
  }
  return added;
}

}  // namespace hepaflow

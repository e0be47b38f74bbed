#include "hepaflow/therapy/msc_therapy.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "hepaflow/error.hpp"
#include "hepaflow/io/binary_archive.hpp"

namespace hepaflow {

namespace {

struct Kinetics {
  double f0 = 0;        ///< fraction in the liver at once
  double lung = 0;      ///< iv: fraction in the lungs at once
  double share = 0;     ///< iv: share of the released cells reaching the liver
  double k_clear = 0;   ///< [1/s]
  double k_release = 0; ///< [1/s]
};

Kinetics kinetics(const TherapyConfig& t, const std::string& route) {
  Kinetics k;
  k.k_clear = std::log(2.0) / t.clearance_half_life;
  if (route == "iv") {
    k.f0 = t.iv_liver_fraction;
    k.lung = t.iv_lung_fraction;
    k.share = t.iv_release_to_liver;
    k.k_release = 1.0 / t.iv_lung_release_time;
  } else if (route == "portal_vein") {
    k.f0 = t.fraction_portal_vein;
  } else if (route == "hepatic_artery") {
    k.f0 = t.fraction_hepatic_artery;
  } else if (route == "intrahepatic") {
    k.f0 = t.fraction_intrahepatic;
  } else {
    throw InputError("unknown therapy route '" + route + "'");
  }
  return k;
}

/// Integral of e^{-k t} from a to b (k >= 0).
double exp_integral(double k, double a, double b) {
  if (k * (b - a) < 1e-12) return (b - a) * std::exp(-k * a);
  return (std::exp(-k * a) - std::exp(-k * b)) / k;
}

/// Integral of t e^{-k t} from a to b (used when k_clear == k_release).
double t_exp_integral(double k, double a, double b) {
  const auto F = [k](double t) { return -std::exp(-k * t) * (t / k + 1.0 / (k * k)); };
  return F(b) - F(a);
}

double cells(const Kinetics& k, double D, double t) {
  if (t < 0) return 0.0;
  double n = k.f0 * std::exp(-k.k_clear * t);
  if (k.lung > 0) {
    if (std::abs(k.k_clear - k.k_release) > 1e-12 * k.k_clear)
      n += k.share * k.lung * k.k_release / (k.k_clear - k.k_release) * (std::exp(-k.k_release * t) - std::exp(-k.k_clear * t));
    else
      n += k.share * k.lung * k.k_release * t * std::exp(-k.k_clear * t);
  }
  return D * n;
}

double cell_seconds(const Kinetics& k, double D, double a, double b) {
  a = std::max(a, 0.0);
  if (b <= a) return 0.0;
  double n = k.f0 * exp_integral(k.k_clear, a, b);
  if (k.lung > 0) {
    if (std::abs(k.k_clear - k.k_release) > 1e-12 * k.k_clear)
      n += k.share * k.lung * k.k_release / (k.k_clear - k.k_release) *
           (exp_integral(k.k_release, a, b) - exp_integral(k.k_clear, a, b));
    else
      n += k.share * k.lung * k.k_release * t_exp_integral(k.k_clear, a, b);
  }
  return D * n;
}

std::array<double, 3> midpoint(const Network& net, std::size_t s) {
  const index_t i = net.segment_from[s], j = net.segment_to[s];
  return {0.5 * (net.x[i] + net.x[j]), 0.5 * (net.y[i] + net.y[j]), 0.5 * (net.z[i] + net.z[j])};
}

}  // namespace

double cells_in_liver(const TherapyConfig& t, const InfusionConfig& infusion, double since_s) {
  return cells(kinetics(t, infusion.route), infusion.dose * t.body_mass, since_s);
}

double cell_seconds_in_liver(const TherapyConfig& t, const InfusionConfig& infusion, double a_s, double b_s) {
  return cell_seconds(kinetics(t, infusion.route), infusion.dose * t.body_mass, a_s, b_s);
}

double label_fraction_in_liver(const TherapyConfig& t, const std::string& route, double since_s) {
  const Kinetics k = kinetics(t, route);
  if (since_s < 0) return 0.0;
  return k.f0 + k.share * k.lung * (1.0 - std::exp(-k.k_release * since_s));
}

MscDistribution::MscDistribution(const TherapyConfig& t, const InfusionConfig& infusion, const Network& net,
                                 const std::vector<double>& flow, const std::vector<double>& node_pressure,
                                 const std::vector<double>& tissue_volume) {
  const std::size_t n = net.num_nodes(), m = net.num_segments();
  if (infusion.route == "iv" || m == 0) {
    kind_ = Kind::uniform;  // late, after lung passage and redistribution: uniform (MODEL.md §5)
    return;
  }
  if (infusion.route == "intrahepatic") {
    kind_ = Kind::gaussian;
    if (std::isfinite(infusion.site[0])) {
      centre_ = infusion.site;
    } else {  // centre of the nodes' bounding box
      const auto [x0, x1] = std::minmax_element(net.x.begin(), net.x.end());
      const auto [y0, y1] = std::minmax_element(net.y.begin(), net.y.end());
      const auto [z0, z1] = std::minmax_element(net.z.begin(), net.z.end());
      centre_ = {0.5 * (*x0 + *x1), 0.5 * (*y0 + *y1), 0.5 * (*z0 + *z1)};
    }
    sigma_ = std::sqrt(t.site_spread * t.site_spread + t.signal_length * t.signal_length);
  } else {
    // Portal / arterial: cells arrest along the flow from the portal inflow nodes.
    kind_ = Kind::grid;
    cell_ = t.signal_length;
    std::array<double, 3> hi{};
    lower_ = {net.x[0], net.y[0], net.z[0]};
    hi = lower_;
    for (std::size_t i = 0; i < n; ++i) {
      const double p[3] = {net.x[i], net.y[i], net.z[i]};
      for (int a = 0; a < 3; ++a) {
        lower_[a] = std::min(lower_[a], p[a]);
        hi[a] = std::max(hi[a], p[a]);
      }
    }
    for (int a = 0; a < 3; ++a) {
      lower_[a] -= cell_;
      dims_[a] = static_cast<int>(std::ceil((hi[a] - lower_[a]) / cell_)) + 2;
    }
    density_.assign(static_cast<std::size_t>(dims_[0]) * dims_[1] * dims_[2], 0.0);
    // Blood entering at each node from outside, and the outflow segments of each node.
    std::vector<double> net_out(n, 0.0), carried(n, 0.0), out_flow(n, 0.0);
    for (std::size_t s = 0; s < m; ++s) {
      net_out[net.segment_from[s]] += flow[s];
      net_out[net.segment_to[s]] -= flow[s];
    }
    double entered = 0;
    for (const auto& bc : net.boundaries)
      if (net_out[bc.node] > 0) {
        carried[bc.node] += net_out[bc.node];
        entered += net_out[bc.node];
      }
    std::vector<std::vector<index_t>> outflows(n);
    for (std::size_t s = 0; s < m; ++s) {
      if (flow[s] == 0.0) continue;
      const index_t up = flow[s] > 0 ? net.segment_from[s] : net.segment_to[s];
      outflows[up].push_back(static_cast<index_t>(s));
      out_flow[up] += std::abs(flow[s]);
    }
    std::vector<index_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](index_t a, index_t b) {
      const double pa = std::isfinite(node_pressure[a]) ? node_pressure[a] : -1e300;
      const double pb = std::isfinite(node_pressure[b]) ? node_pressure[b] : -1e300;
      return pa > pb;
    });
    double trapped_total = 0;
    for (index_t i : order) {
      if (carried[i] <= 0 || out_flow[i] <= 0) continue;
      for (index_t s : outflows[i]) {
        const double into = carried[i] * std::abs(flow[s]) / out_flow[i];
        const double passing = into * std::exp(-net.length[s] / t.trapping_length);
        const double trapped = into - passing;
        trapped_total += trapped;
        const index_t down = flow[s] > 0 ? net.segment_to[s] : net.segment_from[s];
        carried[down] += passing;
        // Cloud in cell: the arrested cells to the 8 grid points around the segment's midpoint.
        const auto x = midpoint(net, static_cast<std::size_t>(s));
        int base[3];
        double w[3];
        for (int a = 0; a < 3; ++a) {
          const double u = (x[a] - lower_[a]) / cell_;
          base[a] = std::clamp(static_cast<int>(std::floor(u)), 0, dims_[a] - 2);
          w[a] = std::clamp(u - base[a], 0.0, 1.0);
        }
        for (int c = 0; c < 8; ++c) {
          const int dx = c & 1, dy = (c >> 1) & 1, dz = (c >> 2) & 1;
          const double weight = (dx ? w[0] : 1 - w[0]) * (dy ? w[1] : 1 - w[1]) * (dz ? w[2] : 1 - w[2]);
          density_[(base[0] + dx) + static_cast<std::size_t>(dims_[0]) * ((base[1] + dy) + static_cast<std::size_t>(dims_[1]) * (base[2] + dz))] +=
              trapped * weight;
        }
      }
    }
    trapped_fraction_ = entered > 0 ? trapped_total / entered : 0.0;
  }
  // Normalise: tissue-volume weighted mean of phi over the segments = 1 (segment count if no tissue).
  double weighted = 0, weights = 0;
  for (std::size_t s = 0; s < m; ++s) {
    const double v = tissue_volume.empty() ? 0.0 : tissue_volume[s];
    weighted += v * raw_at(midpoint(net, s));
    weights += v;
  }
  if (!(weights > 0)) {
    weighted = 0;
    for (std::size_t s = 0; s < m; ++s) weighted += raw_at(midpoint(net, s));
    weights = static_cast<double>(m);
  }
  scale_ = weighted > 0 ? weights / weighted : 0.0;
}

double MscDistribution::raw_at(const std::array<double, 3>& x) const {
  switch (kind_) {
    case Kind::uniform: return 1.0;
    case Kind::gaussian: {
      double d2 = 0;
      for (int a = 0; a < 3; ++a) d2 += (x[a] - centre_[a]) * (x[a] - centre_[a]);
      return std::exp(-0.5 * d2 / (sigma_ * sigma_));
    }
    case Kind::grid: {
      int base[3];
      double w[3];
      for (int a = 0; a < 3; ++a) {
        const double u = (x[a] - lower_[a]) / cell_;
        if (u < 0 || u > dims_[a] - 1) return 0.0;
        base[a] = std::clamp(static_cast<int>(std::floor(u)), 0, dims_[a] - 2);
        w[a] = std::clamp(u - base[a], 0.0, 1.0);
      }
      double v = 0;
      for (int c = 0; c < 8; ++c) {
        const int dx = c & 1, dy = (c >> 1) & 1, dz = (c >> 2) & 1;
        const double weight = (dx ? w[0] : 1 - w[0]) * (dy ? w[1] : 1 - w[1]) * (dz ? w[2] : 1 - w[2]);
        v += weight * density_[(base[0] + dx) + static_cast<std::size_t>(dims_[0]) * ((base[1] + dy) + static_cast<std::size_t>(dims_[1]) * (base[2] + dz))];
      }
      return v;
    }
  }
  return 0.0;
}

double MscDistribution::shape_at(const std::array<double, 3>& x) const {
  return kind_ == Kind::uniform ? 1.0 : scale_ * raw_at(x);
}

void MscTherapy::start_due_infusions(double t_s, const Network& net, const std::vector<double>& flow,
                                     const std::vector<double>& node_pressure, const std::vector<double>& tissue_volume) {
  while (started_.size() < config_.infusions.size() && config_.infusions[started_.size()].time <= t_s)
    started_.emplace_back(config_, config_.infusions[started_.size()], net, flow, node_pressure, tissue_volume);
}

double MscTherapy::cells_in_liver(double t_s) const {
  double total = 0;
  for (std::size_t i = 0; i < started_.size(); ++i)
    total += hepaflow::cells_in_liver(config_, config_.infusions[i], t_s - config_.infusions[i].time);
  return total;
}

std::vector<double> MscTherapy::mean_signal(const Network& net, double t0_s, double t1_s) const {
  std::vector<double> signal(net.num_segments(), 0.0);
  const double liver_volume = config_.liver_mass / 1000.0;  // m^3 at 1 g/ml
  for (std::size_t i = 0; i < started_.size(); ++i) {
    const InfusionConfig& inf = config_.infusions[i];
    const double mean_cells = cell_seconds_in_liver(config_, inf, t0_s - inf.time, t1_s - inf.time) / (t1_s - t0_s);
    if (!(mean_cells > 0)) continue;
    const double concentration = mean_cells / liver_volume;
    for (std::size_t s = 0; s < signal.size(); ++s) signal[s] += concentration * started_[i].shape_at(midpoint(net, s));
  }
  return signal;
}

}  // namespace hepaflow

namespace hepaflow {

void MscDistribution::save(io::BinaryWriter& out) const {
  out.put(static_cast<std::uint8_t>(kind_));
  for (double c : centre_) out.put(c);
  out.put(sigma_);
  out.put(scale_);
  for (double l : lower_) out.put(l);
  for (int d : dims_) out.put(d);
  out.put(cell_);
  out.put_vector(density_);
  out.put(trapped_fraction_);
}

MscDistribution MscDistribution::load(io::BinaryReader& in) {
  MscDistribution d;
  const auto kind = in.get<std::uint8_t>();
  if (kind > static_cast<std::uint8_t>(Kind::grid)) in.corrupt("unknown MSC distribution kind");
  d.kind_ = static_cast<Kind>(kind);
  for (double& c : d.centre_) c = in.get<double>();
  d.sigma_ = in.get<double>();
  d.scale_ = in.get<double>();
  for (double& l : d.lower_) l = in.get<double>();
  for (int& n : d.dims_) n = in.get<int>();
  d.cell_ = in.get<double>();
  d.density_ = in.get_vector<double>();
  d.trapped_fraction_ = in.get<double>();
  if (d.kind_ == Kind::grid &&
      (d.dims_[0] < 0 || d.dims_[1] < 0 || d.dims_[2] < 0 ||
       d.density_.size() != std::size_t(d.dims_[0]) * std::size_t(d.dims_[1]) * std::size_t(d.dims_[2])))
    in.corrupt("MSC distribution grid of the wrong size");
  return d;
}

void MscTherapy::save(io::BinaryWriter& out) const {
  out.put<std::uint64_t>(started_.size());
  for (const auto& d : started_) d.save(out);
}

void MscTherapy::load(io::BinaryReader& in) {
  const auto n = in.get<std::uint64_t>();
  if (n > config_.infusions.size()) in.corrupt("more started infusions than the case has");
  started_.clear();
  for (std::uint64_t i = 0; i < n; ++i) started_.push_back(MscDistribution::load(in));
}

}  // namespace hepaflow

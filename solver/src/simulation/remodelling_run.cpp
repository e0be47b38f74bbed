#include "hepaflow/simulation/remodelling_run.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "hepaflow/device_array.hpp"
#include "hepaflow/error.hpp"
#include "hepaflow/finite_check.hpp"
#include "hepaflow/io/binary_archive.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string number(double x) {
  if (std::isnan(x)) return "nan";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

int zone_third(double zeta) { return zeta < 1.0 / 3 ? 0 : (zeta <= 2.0 / 3 ? 1 : 2); }

/// The open network of one step: the segments that are not closed, without the parts that lost
/// their connection to a pressure boundary; `full_of` maps its segments to the full network's.
struct OpenNetwork {
  Network net;
  std::vector<index_t> full_of;
  std::vector<index_t> full_node_of;
};

OpenNetwork open_network(const Network& full, const std::vector<double>& closed) {
  std::vector<char> keep(full.num_segments());
  for (std::size_t s = 0; s < keep.size(); ++s) keep[s] = closed[s] == 0.0;
  OpenNetwork o;
  o.net = subset_segments(full, keep);
  drop_components_without_pressure_boundary(o.net);
  std::unordered_map<std::int64_t, index_t> segment_index, node_index;
  segment_index.reserve(full.num_segments());
  for (std::size_t s = 0; s < full.num_segments(); ++s) segment_index.emplace(full.segment_id[s], static_cast<index_t>(s));
  for (std::size_t i = 0; i < full.num_nodes(); ++i) node_index.emplace(full.node_id[i], static_cast<index_t>(i));
  o.full_of.resize(o.net.num_segments());
  for (std::size_t s = 0; s < o.net.num_segments(); ++s) o.full_of[s] = segment_index.at(o.net.segment_id[s]);
  o.full_node_of.resize(o.net.num_nodes());
  for (std::size_t i = 0; i < o.net.num_nodes(); ++i) o.full_node_of[i] = node_index.at(o.net.node_id[i]);
  return o;
}

}  // namespace

std::string history_csv_header() {
  return "step,time_d,pressure_drop_mmHg,resistance_mmHg_min_per_nl,total_flow_nl_per_min,perfused_fraction,flow_cv,"
         "shunt_flow_fraction,po2_periportal_mmHg,po2_midzonal_mmHg,po2_pericentral_mmHg,po2_tissue_mean_mmHg,"
         "hypoxic_fraction,function_index,cpa_mean,cpa_periportal,cpa_midzonal,cpa_pericentral,hsc_activation_mean,"
         "closed_fraction,msc_in_liver,msc_signal_mean,segments,sprouts,wall_time_s";
}

std::string history_csv_line(const HistoryRow& r) {
  std::string s = std::to_string(r.step);
  for (double v : {r.time_d, r.pressure_drop_mmHg, r.resistance_mmHg_min_per_nl, r.total_flow_nl_per_min,
                   r.perfused_fraction, r.flow_cv, r.shunt_flow_fraction, r.po2_periportal_mmHg, r.po2_midzonal_mmHg,
                   r.po2_pericentral_mmHg, r.po2_tissue_mean_mmHg, r.hypoxic_fraction, r.function_index, r.cpa_mean,
                   r.cpa_periportal, r.cpa_midzonal, r.cpa_pericentral, r.hsc_activation_mean, r.closed_fraction,
                   r.msc_in_liver, r.msc_signal_mean})
    s += "," + number(v);
  s += "," + std::to_string(r.segments) + "," + std::to_string(r.sprouts) + "," + number(r.wall_time_s);
  return s;
}

RemodellingRun::RemodellingRun(const CaseConfig& config, Network healthy, const KernelSet& backend)
    : config_(config), backend_(backend), net_(std::move(healthy)), therapy_(config.therapy) {
  wall_start_ = now_s();
  if (config_.oxygen.tissue_model == "grid")
    throw InputError(config_.path + ": [disease]/[therapy]/[time] runs use oxygen.tissue_model = \"krogh\" or "
                     "\"none\" (the grid model gives no per-segment tissue PO2 for the function index)");
  if (config_.network.flows_from_file)
    throw InputError(config_.path + ": network.flows_from_file cannot be combined with [disease]/[time]: "
                     "remodelling changes the flows");
  // The undiseased network: its portal and central nodes, and the inflow held with hold = "inflow".
  const SteadyFlowResult healthy_flow = solve_steady_flow(net_, config_.blood, config_.solver, backend_);
  const PortalCentralNodes nodes = portal_and_central_nodes(net_, healthy_flow.flow);
  const BoundaryControlConfig& bc = config_.boundary_control;
  if (bc.hold == "inflow") inflow_.total_inflow = bc.total_inflow.value_or(healthy_flow.metrics.total_inflow);
  if (bc.hold == "source") {
    const double k = bc.source_resistance_ratio, r0 = healthy_flow.metrics.resistance;
    inflow_.source_resistance = k * r0;
    inflow_.source_pressure_drop = (1.0 + k) * r0 * healthy_flow.metrics.total_inflow;
  }
  DiseaseSetupReport report;
  state_ = make_disease_state(net_, config_.disease, nodes, &report);
  {
    std::ostringstream s;
    s << "disease: stage " << config_.disease.stage << ", " << report.closed << " sinusoids closed, " << report.septa
      << " septa (" << report.septal_segments << " segments), " << report.shunts << " PT->CV shunts; "
      << nodes.portal.size() << " portal and " << nodes.central.size() << " central boundary nodes";
    if (config_.disease.constriction > 0) s << "; uniform constriction " << config_.disease.constriction;
    setup_log_.push_back(s.str());
    s.str("");
    s << "undiseased network: total inflow " << healthy_flow.metrics.total_inflow / units::nl_per_min
      << " nl/min, resistance " << healthy_flow.metrics.resistance / units::mmHg_min_per_nl << " mmHg min/nl";
    if (inflow_.total_inflow > 0) s << "; inflow held at " << inflow_.total_inflow / units::nl_per_min << " nl/min";
    if (inflow_.source_pressure_drop > 0)
      s << "; fed by a source of " << inflow_.source_pressure_drop / units::mmHg << " mmHg through "
        << bc.source_resistance_ratio << " x that resistance";
    setup_log_.push_back(s.str());
  }
  // Effective radii of the initial state: a step of length 0 of the ODEs changes nothing but r.
  solution_.msc_signal.assign(state_.size(), 0.0);
  solution_.tissue_po2.assign(state_.size(), nan);
  solution_.tissue_hypoxic.assign(state_.size(), nan);
  remodel_on_backend(0.0, 0.0, 0, std::vector<double>(state_.size(), 0.0));
  if (config_.time.given) {
    dt_ = config_.time.step;
    total_steps_ = static_cast<int>(std::ceil(config_.time.end / dt_ - 1e-9));
    output_every_ = std::max(1, static_cast<int>(std::lround(config_.time.output_interval / dt_)));
  }
  solve();
  // Step 0 is the steady state of the disease: the function index starts at its target, and the
  // hypoxia seen now is the baseline that VEGF is measured against.
  for (std::size_t s = 0; s < state_.size(); ++s)
    if (state_.tissue[s] > 0)
      state_.function[s] = kernels::remodel::function_target(solution_.tissue_po2[s], config_.disease.function_half_po2_mmHg,
                                                             state_.injury[s], 0.0);
  baseline_node_hypoxia_ = node_mean_hypoxia();
  compute_metrics();
}

RemodellingRun::~RemodellingRun() = default;

namespace {
/// The doubles of a HistoryRow in one order (save and load share it).
template <class Row>
auto history_doubles(Row& r) {
  return std::array{&r.time_d, &r.pressure_drop_mmHg, &r.resistance_mmHg_min_per_nl, &r.total_flow_nl_per_min,
                    &r.perfused_fraction, &r.flow_cv, &r.shunt_flow_fraction, &r.po2_periportal_mmHg,
                    &r.po2_midzonal_mmHg, &r.po2_pericentral_mmHg, &r.po2_tissue_mean_mmHg, &r.hypoxic_fraction,
                    &r.function_index, &r.cpa_mean, &r.cpa_periportal, &r.cpa_midzonal, &r.cpa_pericentral,
                    &r.hsc_activation_mean, &r.closed_fraction, &r.msc_in_liver, &r.msc_signal_mean, &r.wall_time_s};
}

/// The per-segment vectors of the disease state and of the solution, and the per-node ones, in one
/// order (save and load share it).
template <class State, class Solution>
auto segment_vectors(State& st, Solution& sol) {
  return std::array{&st.activation, &st.tone, &st.capillarization, &st.collagen, &st.closed, &st.exposure,
                    &st.effect, &st.function, &st.radius, &st.injury, &st.tone_target, &st.collagen_gain,
                    &st.collagen_basal, &st.capillarization_gain, &st.capillarization_basal, &st.remodels,
                    &st.base_radius, &st.mature_radius, &st.birth_time, &st.tissue, &sol.flow, &sol.velocity,
                    &sol.wall_shear_stress, &sol.viscosity, &sol.haematocrit, &sol.po2_in, &sol.po2_out,
                    &sol.po2_mean, &sol.so2, &sol.o2_flux, &sol.tissue_po2, &sol.tissue_hypoxic, &sol.msc_signal};
}
template <class Solution>
auto node_vectors(Solution& sol) {
  return std::array{&sol.node_pressure, &sol.node_po2};
}
}  // namespace

void save_history_row(io::BinaryWriter& out, const HistoryRow& row) {
  out.put<std::int64_t>(row.step);
  for (const double* v : history_doubles(row)) out.put(*v);
  out.put<std::uint64_t>(row.segments);
  out.put<std::uint64_t>(row.sprouts);
}

HistoryRow load_history_row(io::BinaryReader& in) {
  HistoryRow row;
  row.step = static_cast<int>(in.get<std::int64_t>());
  for (double* v : history_doubles(row)) *v = in.get<double>();
  row.segments = in.get<std::uint64_t>();
  row.sprouts = in.get<std::uint64_t>();
  return row;
}

void RemodellingRun::save_state(io::BinaryWriter& out) const {
  out.put<std::int64_t>(step_);
  out.put<std::int64_t>(total_steps_);
  out.put<std::int64_t>(output_every_);
  out.put(time_);
  out.put(dt_);
  out.put<std::uint64_t>(sprouts_);
  out.put(now_s() - wall_start_);  // wall time so far: history's wall_time_s goes on from it
  out.put(inflow_.total_inflow);
  out.put(inflow_.source_pressure_drop);
  out.put(inflow_.source_resistance);
  io::save_network(out, net_);
  for (const std::vector<double>* v : segment_vectors(state_, solution_)) out.put_vector(*v);
  out.put_vector(state_.septal);
  for (const std::vector<double>* v : node_vectors(solution_)) out.put_vector(*v);
  out.put_vector(baseline_node_hypoxia_);
  therapy_.save(out);
  save_history_row(out, row_);
  // What summary.json reads of the last solve (the rest of `steady` is rebuilt by the next solve).
  const SteadyFlowResult& r = solution_.steady;
  out.put_string(r.backend);
  out.put_string(r.solve.method);
  out.put<std::int64_t>(r.solve.iterations);
  out.put(r.solve.relative_residual);
  for (double m : {r.metrics.total_inflow, r.metrics.inlet_pressure, r.metrics.outlet_pressure,
                   r.metrics.pressure_drop, r.metrics.resistance, r.metrics.max_mass_imbalance,
                   r.metrics.boundary_imbalance})
    out.put(m);
  out.put<std::uint8_t>(r.rheology.converged);
  out.put<std::int64_t>(r.rheology.iterations);
  out.put<std::uint8_t>(r.has_oxygen);
  out.put(r.oxygen.mass_balance_error);
  out.put(r.inflow_scale);  // the next step's warm start undoes it (solver.warm_start)
  out.put<std::uint64_t>(solution_.open_segments);
  out.put<std::uint64_t>(setup_log_.size());
  for (const std::string& line : setup_log_) out.put_string(line);
}

RemodellingRun::RemodellingRun(const CaseConfig& config, const KernelSet& backend, io::BinaryReader& in)
    : config_(config), backend_(backend), therapy_(config.therapy) {
  step_ = static_cast<int>(in.get<std::int64_t>());
  total_steps_ = static_cast<int>(in.get<std::int64_t>());
  output_every_ = static_cast<int>(in.get<std::int64_t>());
  time_ = in.get<double>();
  dt_ = in.get<double>();
  sprouts_ = in.get<std::uint64_t>();
  wall_start_ = now_s() - in.get<double>();
  inflow_.total_inflow = in.get<double>();
  inflow_.source_pressure_drop = in.get<double>();
  inflow_.source_resistance = in.get<double>();
  net_ = io::load_network(in);
  for (std::vector<double>* v : segment_vectors(state_, solution_)) {
    *v = in.get_vector<double>();
    if (v->size() != net_.num_segments()) in.corrupt("a per-segment array does not match the network");
  }
  state_.septal = in.get_vector<char>();
  if (state_.septal.size() != net_.num_segments()) in.corrupt("a per-segment array does not match the network");
  for (std::vector<double>* v : node_vectors(solution_)) {
    *v = in.get_vector<double>();
    if (v->size() != net_.num_nodes()) in.corrupt("a per-node array does not match the network");
  }
  baseline_node_hypoxia_ = in.get_vector<double>();
  if (baseline_node_hypoxia_.size() > net_.num_nodes()) in.corrupt("more baseline nodes than the network has");
  therapy_.load(in);
  row_ = load_history_row(in);
  SteadyFlowResult& r = solution_.steady;
  r.backend = in.get_string();
  r.solve.method = in.get_string();
  r.solve.iterations = static_cast<int>(in.get<std::int64_t>());
  r.solve.relative_residual = in.get<double>();
  for (double* m : {&r.metrics.total_inflow, &r.metrics.inlet_pressure, &r.metrics.outlet_pressure,
                    &r.metrics.pressure_drop, &r.metrics.resistance, &r.metrics.max_mass_imbalance,
                    &r.metrics.boundary_imbalance})
    *m = in.get<double>();
  r.rheology.converged = in.get<std::uint8_t>() != 0;
  r.rheology.iterations = static_cast<int>(in.get<std::int64_t>());
  r.has_oxygen = in.get<std::uint8_t>() != 0;
  r.oxygen.mass_balance_error = in.get<double>();
  r.inflow_scale = in.get<double>();
  solution_.open_segments = in.get<std::uint64_t>();
  // The setup lines of the disease (the log of a resumed run repeats them).
  const auto lines = in.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < lines; ++i) setup_log_.push_back(in.get_string());
  // The case must give the same step count: a checkpoint of another [time] is not this run.
  int expected_total = 0, expected_every = 1;
  if (config_.time.given) {
    expected_total = static_cast<int>(std::ceil(config_.time.end / config_.time.step - 1e-9));
    expected_every = std::max(1, static_cast<int>(std::lround(config_.time.output_interval / config_.time.step)));
  }
  if (expected_total != total_steps_ || expected_every != output_every_ || step_ < 0 || step_ > total_steps_ ||
      (config_.time.given && dt_ != config_.time.step))
    throw InputError(in.source() + ": the checkpoint's time stepping (" + std::to_string(total_steps_) +
                     " steps) does not fit the case (" + std::to_string(expected_total) + " steps)");
}

bool RemodellingRun::done() const { return step_ >= total_steps_; }

bool RemodellingRun::output_due() const { return step_ == 0 || step_ % output_every_ == 0 || done(); }

std::vector<double> RemodellingRun::node_mean_hypoxia() const {
  std::vector<double> h(net_.num_nodes(), 0.0), w(net_.num_nodes(), 0.0);
  for (std::size_t s = 0; s < state_.size(); ++s) {
    if (!std::isfinite(solution_.tissue_hypoxic[s])) continue;
    for (index_t v : {net_.segment_from[s], net_.segment_to[s]}) {
      h[v] += solution_.tissue_hypoxic[s];
      w[v] += 1;
    }
  }
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = w[i] > 0 ? h[i] / w[i] : 0.0;
  return h;
}

std::vector<double> RemodellingRun::node_vegf() const {
  // VEGF at a node (MODEL.md §5): w_h (tissue hypoxia above its step-0 level) + w_m E, both averaged
  // over the segments at the node.
  const std::vector<double> hypoxia = node_mean_hypoxia();
  std::vector<double> eff(net_.num_nodes(), 0.0), count(net_.num_nodes(), 0.0);
  for (std::size_t s = 0; s < state_.size(); ++s)
    for (index_t v : {net_.segment_from[s], net_.segment_to[s]}) {
      eff[v] += state_.effect[s];
      count[v] += 1;
    }
  std::vector<double> vegf(net_.num_nodes(), 0.0);
  for (std::size_t i = 0; i < vegf.size(); ++i)
    vegf[i] = config_.disease.vegf_hypoxia_weight * std::max(0.0, hypoxia[i] - baseline_node_hypoxia_[i]) +
              config_.disease.vegf_msc_weight * (count[i] > 0 ? eff[i] / count[i] : 0.0);
  return vegf;
}

void RemodellingRun::remodel_on_backend(double dt, double time_after, std::uint64_t step, const std::vector<double>& vegf) {
  const KernelSet& k = backend_;
  const DiseaseConfig& d = config_.disease;
  const TherapyConfig& t = config_.therapy;
  kernels::remodel::RemodelParameters p;
  p.dt = dt;
  p.seed = d.seed;
  p.step = step;
  p.k_tone = 1.0 / d.tone_time;
  p.k_relax = 1.0 / d.relaxation_time;
  p.k_act = 1.0 / d.activation_time;
  p.k_deact = 1.0 / d.deactivation_time;
  p.k_deg = 1.0 / d.collagen_turnover_time;
  p.k_refen = 1.0 / d.refenestration_time;
  p.k_reopen = 1.0 / d.reopening_time;
  p.k_function = 1.0 / d.function_time;
  p.waning_time = t.effect_waning_time;
  p.threshold = t.threshold;
  p.ec50 = t.ec50;
  p.emax = t.emax;
  p.hill = t.hill;
  p.vegf_half = d.vegf_half;
  p.function_half_po2 = d.function_half_po2_mmHg;
  p.tone_narrowing = d.tone_narrowing;
  p.capillarization_narrowing = d.capillarization_narrowing;
  p.constriction = d.constriction;
  p.maturation_time = d.maturation_time;
  p.time_after = time_after;
  DiseaseState& st = state_;
  DeviceArray<std::int64_t> id(k, net_.segment_id);
  std::vector<DeviceArray<double>> state_arrays;
  std::vector<std::vector<double>*> io = {&st.activation, &st.tone, &st.capillarization, &st.collagen, &st.closed,
                                          &st.exposure,   &st.effect, &st.function, &st.radius};
  for (auto* v : io) state_arrays.emplace_back(k, *v);
  std::vector<const std::vector<double>*> in = {&st.injury, &st.tone_target, &st.collagen_gain, &st.collagen_basal,
                                                &st.capillarization_gain, &st.capillarization_basal, &st.remodels,
                                                &st.base_radius, &st.mature_radius, &st.birth_time,
                                                &solution_.msc_signal, &vegf, &solution_.tissue_po2};
  std::vector<DeviceArray<double>> fixed;
  for (const auto* v : in) fixed.emplace_back(k, *v);
  kernels::remodel::RemodelFields f;
  f.segment_id = id.data();
  double** out[] = {&f.activation, &f.tone, &f.capillarization, &f.collagen, &f.closed,
                    &f.exposure,   &f.effect, &f.function, &f.radius};
  for (std::size_t i = 0; i < io.size(); ++i) *out[i] = state_arrays[i].data();
  const double** fin[] = {&f.injury, &f.tone_target, &f.collagen_gain, &f.collagen_basal, &f.capillarization_gain,
                          &f.capillarization_basal, &f.remodels, &f.base_radius, &f.mature_radius, &f.birth_time,
                          &f.signal, &f.vegf, &f.tissue_po2};
  for (std::size_t i = 0; i < in.size(); ++i) *fin[i] = fixed[i].data();
  k.remodel_segments(state_.size(), p, f);
  // Every state variable is finite after a step; the function index is NaN where the segment
  // supplies no tissue (DiseaseState::append_healthy) and until the step-0 solve sets it, so it is
  // checked where there is tissue, from step 1 on.
  FiniteCheckSite site;
  site.phase = "remodelling step " + std::to_string(step);
  site.segment_ids = &net_.segment_id;
  site.describe = [&](ElementKind, std::size_t s) {
    std::ostringstream d;
    d << "injury " << st.injury[s] << ", base radius " << st.base_radius[s] / units::um << " um, MSC signal "
      << solution_.msc_signal[s] << " cells/m^3, VEGF " << vegf[s] << ", tissue PO2 " << solution_.tissue_po2[s]
      << " mmHg";
    return d.str();
  };
  const char* names[] = {"hsc_activation", "hsc_tone", "capillarization", "collagen", "closed",
                         "msc_exposure",   "msc_effect", "function_index", "radius"};
  const DeviceArray<double> has_tissue(k, st.tissue);
  for (std::size_t i = 0; i < io.size(); ++i) {
    if (io[i] == &st.function && step == 0) continue;  // set from the step-0 solve afterwards
    check_finite(k, site, names[i], ElementKind::segment, state_arrays[i].data(), state_arrays[i].size(),
                 io[i] == &st.function ? has_tissue.data() : nullptr, 0.0);
  }
  for (std::size_t i = 0; i < io.size(); ++i) *io[i] = state_arrays[i].download();
}

void RemodellingRun::advance() {
  if (done()) return;
  const double t0 = time_, t1 = std::min(config_.time.end, time_ + dt_);
  const std::size_t m = state_.size();
  // 1. Therapy: infusions due in this step take their distribution from the current flow.
  therapy_.start_due_infusions(t1, net_, solution_.flow, solution_.node_pressure, state_.tissue);
  solution_.msc_signal = therapy_.mean_signal(net_, t0, t1);
  {
    FiniteCheckSite site;
    site.phase = "therapy signal (step " + std::to_string(step_ + 1) + ")";
    site.segment_ids = &net_.segment_id;
    check_finite(site, "msc_signal", ElementKind::segment, solution_.msc_signal);
  }
  // 2. VEGF per segment (mean of its nodes), then the per-segment ODEs on the backend.
  const std::vector<double> vegf_node = node_vegf();
  std::vector<double> vegf(m);
  for (std::size_t s = 0; s < m; ++s) vegf[s] = 0.5 * (vegf_node[net_.segment_from[s]] + vegf_node[net_.segment_to[s]]);
  remodel_on_backend(t1 - t0, t1, static_cast<std::uint64_t>(step_ + 1), vegf);
  // 3. Sprouting: the topology changes; every later solve, output and metric follows.
  const std::size_t added = sprout(net_, state_, config_.disease, node_vegf(), t1, t1 - t0,
                                   static_cast<std::uint64_t>(step_ + 1));
  sprouts_ += added;
  solution_.msc_signal.resize(state_.size(), 0.0);
  solution_.tissue_po2.resize(state_.size(), nan);
  solution_.tissue_hypoxic.resize(state_.size(), nan);
  time_ = t1;
  ++step_;
  solve();
  compute_metrics();
}

void RemodellingRun::solve() {
  const std::size_t m = net_.num_segments();
  for (std::size_t s = 0; s < m; ++s) net_.radius[s] = state_.radius[s];
  OpenNetwork open = open_network(net_, state_.closed);
  const std::size_t mo = open.net.num_segments();
  if (mo == 0) throw ConvergenceError("remodelling: every segment is closed or cut off from the pressure boundaries");
  // Tissue each open segment supplies: its own hepatocytes (tissue x (1 - CPA), collagen consumes no
  // O2, PARAMETERS.md §7.2) plus an equal share of those of closed sinusoid-like neighbours at its
  // end nodes; tissue of a closed segment without an open neighbour is unsupplied.
  std::vector<char> in_open(m, 0);
  for (std::size_t s = 0; s < mo; ++s) in_open[open.full_of[s]] = 1;
  std::vector<std::vector<index_t>> open_at_node(net_.num_nodes());
  for (std::size_t s = 0; s < m; ++s)
    if (in_open[s] && is_sinusoid_like(net_.kind[s]))
      for (index_t v : {net_.segment_from[s], net_.segment_to[s]}) open_at_node[v].push_back(static_cast<index_t>(s));
  std::vector<double> hepatocytes(m), supplied(m, 0.0);
  std::vector<std::vector<index_t>> recipients(m);
  for (std::size_t s = 0; s < m; ++s) {
    hepatocytes[s] = state_.tissue[s] * (1.0 - std::min(1.0, state_.collagen[s]));
    if (!(hepatocytes[s] > 0)) continue;
    if (in_open[s]) {
      supplied[s] += hepatocytes[s];
      continue;
    }
    for (index_t v : {net_.segment_from[s], net_.segment_to[s]})
      for (index_t r : open_at_node[v]) recipients[s].push_back(r);
    for (index_t r : recipients[s]) supplied[r] += hepatocytes[s] / recipients[s].size();
  }
  for (std::size_t s = 0; s < mo; ++s) open.net.tissue_volume[s] = supplied[open.full_of[s]];
  // Oxygen options: capillarization lowers the wall's O2 conductance (MODEL.md §4):
  // k_w = k_w0 (1 - kappa_ex c), k_w0 = 2 pi D alpha / ln(1 + w / r) for a space of Disse of width w.
  const bool oxygen = config_.oxygen.tissue_model != "none";
  OxygenOptions o2 = oxygen_options(config_.oxygen, config_.blood.haematocrit);
  o2.allow_unconverged = config_.solver.allow_unconverged;
  if (oxygen) {
    o2.wall_conductance.resize(mo);
    for (std::size_t s = 0; s < mo; ++s) {
      const index_t f = open.full_of[s];
      const double r = open.net.radius[s];
      const double k0 = 2 * units::pi * o2.tissue_d_alpha / std::log1p(config_.disease.disse_width / r);
      o2.wall_conductance[s] = k0 * (1.0 - config_.disease.capillarization_exchange * state_.capillarization[f]);
    }
  }
  RemodellingSolution& sol = solution_;
  // Warm start from the previous step's pressures and haematocrit (solver.warm_start; empty before
  // the first solve). Both are in the checkpoint, so a resumed run starts its next solve alike.
  // Sprouts append nodes and segments: those have no previous value (NaN: the cold-start value).
  SteadyFlowStart start;
  if (!sol.node_pressure.empty()) {
    const auto previous = [](const std::vector<double>& v, index_t i) {
      return static_cast<std::size_t>(i) < v.size() ? v[static_cast<std::size_t>(i)] : nan;
    };
    start.node_pressure.resize(open.net.num_nodes());
    for (std::size_t i = 0; i < open.net.num_nodes(); ++i) start.node_pressure[i] = previous(sol.node_pressure, open.full_node_of[i]);
    start.haematocrit.resize(mo);
    for (std::size_t s = 0; s < mo; ++s) start.haematocrit[s] = previous(sol.haematocrit, open.full_of[s]);
    start.pressure_scale = sol.steady.inflow_scale;
  }
  sol.steady = solve_steady_flow(open.net, config_.blood, config_.solver, backend_, oxygen ? &config_.oxygen : nullptr,
                                 false, inflow_, &o2, &start);
  sol.open_segments = mo;
  // Scatter to the full network.
  const SteadyFlowResult& r = sol.steady;
  for (auto* v : {&sol.flow, &sol.velocity, &sol.wall_shear_stress, &sol.o2_flux}) v->assign(m, 0.0);
  for (auto* v : {&sol.viscosity, &sol.haematocrit, &sol.po2_in, &sol.po2_out, &sol.po2_mean, &sol.so2,
                  &sol.tissue_po2, &sol.tissue_hypoxic})
    v->assign(m, nan);
  sol.node_pressure.assign(net_.num_nodes(), nan);
  sol.node_po2.assign(net_.num_nodes(), nan);
  for (std::size_t s = 0; s < mo; ++s) {
    const index_t f = open.full_of[s];
    sol.flow[f] = r.flow[s];
    sol.velocity[f] = r.velocity[s];
    sol.wall_shear_stress[f] = r.wall_shear_stress[s];
    sol.viscosity[f] = r.viscosity[s];
    sol.haematocrit[f] = r.haematocrit[s];
    if (r.has_oxygen) {
      sol.po2_in[f] = r.oxygen.po2_in[s];
      sol.po2_out[f] = r.oxygen.po2_out[s];
      sol.po2_mean[f] = r.oxygen.po2_mean[s];
      sol.so2[f] = r.oxygen.so2_mean[s];
      sol.o2_flux[f] = r.oxygen.o2_flux_to_tissue[s];
      sol.tissue_po2[f] = r.oxygen.tissue_po2_segment[s];
      sol.tissue_hypoxic[f] = r.oxygen.tissue_hypoxic_segment[s];
    }
  }
  for (std::size_t i = 0; i < open.net.num_nodes(); ++i) {
    sol.node_pressure[open.full_node_of[i]] = r.node_pressure[i];
    if (r.has_oxygen) sol.node_po2[open.full_node_of[i]] = r.oxygen.node_po2[i];
  }
  if (!r.has_oxygen) return;
  // Tissue of closed segments: that of the neighbours that took it over (0 and hypoxic if none); an
  // open segment that supplies tissue but carries no flow leaves it anoxic.
  for (std::size_t s = 0; s < m; ++s) {
    if (!(hepatocytes[s] > 0)) continue;
    if (in_open[s]) {
      if (!std::isfinite(sol.tissue_po2[s]) && supplied[s] > 0) {
        sol.tissue_po2[s] = 0.0;
        sol.tissue_hypoxic[s] = 1.0;
      }
      continue;
    }
    if (recipients[s].empty()) {
      sol.tissue_po2[s] = 0.0;
      sol.tissue_hypoxic[s] = 1.0;
      continue;
    }
    double p = 0, h = 0;
    for (index_t q : recipients[s]) {
      p += std::isfinite(sol.tissue_po2[q]) ? sol.tissue_po2[q] : 0.0;
      h += std::isfinite(sol.tissue_hypoxic[q]) ? sol.tissue_hypoxic[q] : 1.0;
    }
    sol.tissue_po2[s] = p / recipients[s].size();
    sol.tissue_hypoxic[s] = h / recipients[s].size();
  }
}

void RemodellingRun::compute_metrics() {
  const RemodellingSolution& sol = solution_;
  const SteadyFlowResult& r = sol.steady;
  const std::size_t m = state_.size();
  HistoryRow& h = row_;
  h.step = step_;
  h.time_d = time_ / units::day;
  h.pressure_drop_mmHg = r.metrics.pressure_drop / units::mmHg;
  h.resistance_mmHg_min_per_nl = r.metrics.resistance / units::mmHg_min_per_nl;
  h.total_flow_nl_per_min = r.metrics.total_inflow / units::nl_per_min;
  // Perfusion of the sinusoid-like segments (closed ones count with flow 0).
  double length = 0, perfused = 0, closed_length = 0, q_sum = 0, q2_sum = 0, count = 0, shunt = 0;
  for (std::size_t s = 0; s < m; ++s) {
    if (net_.kind[s] == SegmentKind::shunt) shunt += std::abs(sol.flow[s]);
    if (!is_sinusoid_like(net_.kind[s])) continue;
    const double L = net_.length[s], q = std::abs(sol.flow[s]);
    length += L;
    if (std::abs(sol.velocity[s]) >= config_.disease.perfused_velocity && q > 0) perfused += L;
    if (state_.closed[s] != 0.0) closed_length += L;
    q_sum += q;
    q2_sum += q * q;
    count += 1;
  }
  h.perfused_fraction = length > 0 ? perfused / length : nan;
  h.closed_fraction = length > 0 ? closed_length / length : nan;
  const double q_mean = count > 0 ? q_sum / count : 0;
  h.flow_cv = q_mean > 0 ? std::sqrt(std::max(0.0, q2_sum / count - q_mean * q_mean)) / q_mean : nan;
  h.shunt_flow_fraction = r.metrics.total_inflow > 0 ? shunt / r.metrics.total_inflow : nan;
  // Oxygen.
  if (r.has_oxygen) {
    h.po2_periportal_mmHg = r.oxygen.po2_periportal;
    h.po2_midzonal_mmHg = r.oxygen.po2_midzonal;
    h.po2_pericentral_mmHg = r.oxygen.po2_pericentral;
  } else {
    h.po2_periportal_mmHg = h.po2_midzonal_mmHg = h.po2_pericentral_mmHg = nan;
  }
  // Tissue (hepatocyte-volume weighted): PO2, hypoxia, function; collagen and activation by tissue.
  double hep = 0, po2 = 0, hyp = 0, fun = 0, tissue = 0, cpa = 0, act = 0, signal = 0;
  double zone_tissue[3] = {0, 0, 0}, zone_cpa[3] = {0, 0, 0};
  for (std::size_t s = 0; s < m; ++s) {
    const double V = state_.tissue[s];
    if (!(V > 0)) continue;
    const double c = std::min(1.0, state_.collagen[s]), Vh = V * (1.0 - c);
    tissue += V;
    cpa += V * c;
    act += V * state_.activation[s];
    signal += V * sol.msc_signal[s];
    if (std::isfinite(net_.zone[s])) {
      zone_tissue[zone_third(net_.zone[s])] += V;
      zone_cpa[zone_third(net_.zone[s])] += V * c;
    }
    if (r.has_oxygen && std::isfinite(sol.tissue_po2[s])) {
      hep += Vh;
      po2 += Vh * sol.tissue_po2[s];
      hyp += Vh * sol.tissue_hypoxic[s];
      fun += Vh * (std::isfinite(state_.function[s]) ? state_.function[s] : 0.0);
    }
  }
  h.po2_tissue_mean_mmHg = hep > 0 ? po2 / hep : nan;
  h.hypoxic_fraction = hep > 0 ? hyp / hep : nan;
  h.function_index = hep > 0 ? fun / hep : nan;
  h.cpa_mean = tissue > 0 ? cpa / tissue : nan;
  h.hsc_activation_mean = tissue > 0 ? act / tissue : nan;
  h.msc_signal_mean = tissue > 0 ? signal / tissue * 1e-6 : nan;  // cells per ml
  const auto zone_mean = [&](int z) { return zone_tissue[z] > 0 ? zone_cpa[z] / zone_tissue[z] : nan; };
  h.cpa_periportal = zone_mean(0);
  h.cpa_midzonal = zone_mean(1);
  h.cpa_pericentral = zone_mean(2);
  h.msc_in_liver = therapy_.cells_in_liver(time_);
  h.segments = m;
  h.sprouts = sprouts_;
  h.wall_time_s = now_s() - wall_start_;
}

std::string RemodellingRun::step_log() const {
  std::ostringstream s;
  const HistoryRow& h = row_;
  s << "step " << h.step << "/" << total_steps_ << " t = " << h.time_d << " d: resistance " << h.resistance_mmHg_min_per_nl
    << " mmHg min/nl, dP " << h.pressure_drop_mmHg << " mmHg, flow " << h.total_flow_nl_per_min
    << " nl/min, perfused " << h.perfused_fraction << ", PO2 pericentral " << h.po2_pericentral_mmHg
    << " mmHg, hypoxic " << h.hypoxic_fraction << ", CPA " << h.cpa_mean << ", function " << h.function_index
    << ", MSC in liver " << h.msc_in_liver << ", segments " << h.segments << "; pressure solve "
    << solution_.steady.solve.iterations << " it";
  return s.str();
}

}  // namespace hepaflow

#include "hepaflow/simulation/steady_flow.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "hepaflow/error.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {

void apply_case_boundaries(Network& net, const CaseConfig& config) {
  std::unordered_map<std::int64_t, index_t> index_of;
  index_of.reserve(net.num_nodes());
  for (std::size_t i = 0; i < net.num_nodes(); ++i) index_of.emplace(net.node_id[i], static_cast<index_t>(i));
  std::vector<std::string> errors;
  for (const auto& b : config.boundary_nodes) {
    const auto it = index_of.find(b.id);
    if (it == index_of.end()) {
      errors.push_back(config.path + ":" + std::to_string(b.line) + ": [[boundary.node]] id = " + std::to_string(b.id) +
                       ": the network has no node with this id");
      continue;
    }
    BoundaryCondition bc;
    bc.node = it->second;
    bc.type = b.pressure ? BoundaryType::pressure : BoundaryType::flow;
    bc.value = b.pressure ? *b.pressure : b.flow.value_or(0.0);
    bc.haematocrit = b.haematocrit.value_or(config.blood.haematocrit);
    bc.po2_mmHg = b.po2_mmHg.value_or(std::nan(""));
    bool replaced = false;
    for (auto& existing : net.boundaries)
      if (existing.node == bc.node) {
        existing = bc;
        replaced = true;
      }
    if (!replaced) net.boundaries.push_back(bc);
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    throw InputError(all);
  }
  for (auto& bc : net.boundaries)
    if (std::isnan(bc.haematocrit)) bc.haematocrit = config.blood.haematocrit;
}

void prepare_network(Network& net, bool drop_unconnected, const std::string& source,
                     std::vector<std::string>* warnings) {
  if (drop_unconnected) {
    std::size_t nodes_dropped = 0;
    const std::size_t dropped = drop_components_without_pressure_boundary(net, &nodes_dropped);
    if (dropped && warnings)
      warnings->push_back("dropped " + std::to_string(dropped) + " segments and " + std::to_string(nodes_dropped) +
                          " nodes in components without a pressure boundary (network.drop_unconnected = true)");
  }
  const ValidationReport report = validate(net);
  if (warnings) warnings->insert(warnings->end(), report.warnings.begin(), report.warnings.end());
  if (!report.ok()) {
    std::string all = source + ": invalid network:";
    for (const auto& e : report.errors) all += "\n  " + e;
    if (!drop_unconnected && all.find("without a pressure boundary") != std::string::npos)
      all += "\n  (set network.drop_unconnected = true to drop such components with a warning)";
    throw InputError(all);
  }
}

LinearSolverOptions linear_solver_options(const SolverConfig& solver) {
  LinearSolverOptions o;
  o.method = solver.method;
  o.preconditioner = solver.preconditioner;
  o.tolerance = solver.tolerance;
  o.max_iterations = solver.max_iterations;
  o.petsc_options = solver.petsc_options;
  o.warm_start = solver.warm_start;
  return o;
}

RheologyOptions rheology_options(const BloodConfig& blood, const SolverConfig& solver) {
  RheologyOptions o;
  auto& v = o.viscosity;
  if (blood.viscosity_law == "constant") v.law = kernels::ViscosityLaw::constant;
  else if (blood.viscosity_law == "pries1994_invivo") v.law = kernels::ViscosityLaw::pries1994_invivo;
  else if (blood.viscosity_law == "pries1992_invitro") v.law = kernels::ViscosityLaw::pries1992_invitro;
  else throw InputError("unknown blood.viscosity_law '" + blood.viscosity_law + "'");
  if (blood.phase_separation != "none" && blood.phase_separation != "pries_secomb_2005")
    throw InputError("unknown blood.phase_separation '" + blood.phase_separation + "'");
  v.constant_viscosity = blood.viscosity;
  v.plasma_viscosity = blood.plasma_viscosity;
  // Species correction of the in vivo law (Pries & Secomb 2005, NetFlowV2): D <- D (92 fl / MCV)^(1/3).
  v.mcv_correction = std::cbrt(92e-18 / blood.mcv);
  o.phase_separation = blood.phase_separation == "pries_secomb_2005";
  o.default_haematocrit = blood.haematocrit;
  o.max_iterations = solver.rheology_max_iterations;
  o.flow_tolerance = solver.rheology_flow_tolerance;
  o.haematocrit_tolerance = solver.rheology_haematocrit_tolerance;
  o.allow_unconverged = solver.allow_unconverged;
  o.acceleration = solver.rheology_acceleration;
  o.anderson_depth = solver.rheology_anderson_depth;
  o.anderson_mixing = solver.rheology_anderson_mixing;
  return o;
}

namespace {
/// The pressure the inflow control scales about (the lowest pressure boundary value; +inf if none).
double lowest_boundary_pressure(const Network& net) {
  double p_ref = std::numeric_limits<double>::infinity();
  for (const auto& bc : net.boundaries)
    if (bc.type == BoundaryType::pressure) p_ref = std::min(p_ref, bc.value);
  return p_ref;
}
}  // namespace

SteadyFlowResult solve_steady_flow(const Network& net, const BloodConfig& blood, const SolverConfig& solver,
                                   const KernelSet& k, const OxygenConfig* oxygen, bool flows_from_file,
                                   const InflowControl& inflow, const OxygenOptions* oxygen_options,
                                   const SteadyFlowStart* start) {
  using clock = std::chrono::steady_clock;
  const RheologyOptions options = rheology_options(blood, solver);
  SteadyFlowResult r;
  r.backend = k.backend_name;
  const auto t0 = clock::now();
  DeviceNetwork device_net(k, net);
  FlowFields fields;
  // Initial discharge haematocrit: the network file's (e.g. Network.dat's Hd column), else the default.
  std::vector<double> initial_hd(net.num_segments(), blood.haematocrit);
  if (net.haematocrit.size() == net.num_segments())
    for (std::size_t s = 0; s < initial_hd.size(); ++s)
      if (std::isfinite(net.haematocrit[s])) initial_hd[s] = net.haematocrit[s];
  const bool warm = start && solver.warm_start && !flows_from_file;
  if (warm && start->haematocrit.size() == initial_hd.size())
    for (std::size_t s = 0; s < initial_hd.size(); ++s)
      if (std::isfinite(start->haematocrit[s])) initial_hd[s] = start->haematocrit[s];
  if (warm && start->node_pressure.size() == net.num_nodes()) {
    // Nodes without a previous pressure start at the mean of the others (the solver scales the
    // whole start vector optimally and falls back to zero if it is no better).
    std::vector<double> p = start->node_pressure;
    double sum = 0;
    std::size_t known = 0;
    for (double v : p)
      if (std::isfinite(v)) sum += v, ++known;
    if (known > 0) {
      for (double& v : p)
        if (!std::isfinite(v)) v = sum / known;
      const double p_ref = lowest_boundary_pressure(net);
      if (start->pressure_scale > 0 && start->pressure_scale != 1.0 && std::isfinite(p_ref))
        for (double& v : p) v = p_ref + (v - p_ref) / start->pressure_scale;
      fields.node_pressure = DeviceArray<double>(k, p);
    }
  }
  DeviceArray<double> haematocrit(k, initial_hd);
  r.seconds_upload = std::chrono::duration<double>(clock::now() - t0).count();

  if (flows_from_file) {
    // The file's flows (GreensV4 convention: flows are data, not solved for).
    const std::size_t m = net.num_segments();
    const bool complete = net.file_flow.size() == m && net.haematocrit.size() == m &&
                          std::all_of(net.file_flow.begin(), net.file_flow.end(), [](double q) { return std::isfinite(q); }) &&
                          std::all_of(net.haematocrit.begin(), net.haematocrit.end(), [](double h) { return std::isfinite(h); });
    if (!complete)
      throw InputError("network.flows_from_file = true, but the network file gives no flow and haematocrit for "
                       "every segment (only Network.dat's flow and Hd columns are read)");
    fields.flow = DeviceArray<double>(k, net.file_flow);
    haematocrit.upload(net.haematocrit);
    fields.viscosity = DeviceArray<double>(k, m);
    k.apparent_viscosity(m, options.viscosity, device_net.radius.data(), haematocrit.data(), fields.viscosity.data());
    fields.velocity = DeviceArray<double>(k, m);
    fields.wall_shear_stress = DeviceArray<double>(k, m);
    k.velocity_and_shear(m, fields.flow.data(), device_net.radius.data(), fields.viscosity.data(),
                         fields.velocity.data(), fields.wall_shear_stress.data());
    fields.node_pressure = DeviceArray<double>(k, net.num_nodes());
    k.fill(net.num_nodes(), std::nan(""), fields.node_pressure.data());
    r.rheology.last_solve.method = "flows_from_file";
    const double q_max = std::abs(*std::max_element(net.file_flow.begin(), net.file_flow.end(),
                                                    [](double a, double b) { return std::abs(a) < std::abs(b); }));
    for (double q : net.file_flow) r.rheology.zero_flow_segments += std::abs(q) <= 1e-13 * q_max;
  } else {
    r.rheology = solve_coupled_flow(device_net, net, linear_solver_options(solver), options, fields, haematocrit);
  }
  r.solve = r.rheology.last_solve;
  r.metrics = flow_metrics(device_net, fields);
  if (inflow.active()) {
    if (!(r.metrics.total_inflow > 0))
      throw ConvergenceError("boundary.hold: the network takes no inflow at the given pressures, so it cannot be "
                             "scaled to the held or source-fed total inflow");
    const double target = inflow.total_inflow > 0
                              ? inflow.total_inflow
                              : inflow.source_pressure_drop / (inflow.source_resistance + r.metrics.resistance);
    const double scale = target / r.metrics.total_inflow;
    const double p_ref = lowest_boundary_pressure(net);
    std::vector<double> p = fields.node_pressure.download();
    for (double& x : p) x = p_ref + scale * (x - p_ref);
    fields.node_pressure.upload(p);
    for (DeviceArray<double>* a : {&fields.flow, &fields.velocity, &fields.wall_shear_stress}) {
      std::vector<double> v = a->download();
      for (double& x : v) x *= scale;
      a->upload(v);
    }
    r.inflow_scale = scale;
    r.metrics = flow_metrics(device_net, fields);
  }
  if (oxygen && oxygen->tissue_model != "none") {
    const auto t_o2 = clock::now();
    OxygenOptions o2 = oxygen_options ? *oxygen_options : hepaflow::oxygen_options(*oxygen, blood.haematocrit);
    o2.allow_unconverged = solver.allow_unconverged;
    o2.distribute_sweep = solver.method == "petsc";
    r.oxygen = solve_oxygen(device_net, net, fields, haematocrit, o2);
    r.has_oxygen = true;
    r.seconds_oxygen = std::chrono::duration<double>(clock::now() - t_o2).count();
  }

  const auto t1 = clock::now();
  r.node_pressure = fields.node_pressure.download();
  r.flow = fields.flow.download();
  r.velocity = fields.velocity.download();
  r.wall_shear_stress = fields.wall_shear_stress.download();
  r.viscosity = fields.viscosity.download();
  r.haematocrit = haematocrit.download();
  r.seconds_download = std::chrono::duration<double>(clock::now() - t1).count();
  return r;
}

}  // namespace hepaflow

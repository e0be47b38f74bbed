#include "hepaflow/simulation/steady_flow.hpp"

#include <chrono>
#include <cmath>
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
  o.tolerance = solver.tolerance;
  o.max_iterations = solver.max_iterations;
  return o;
}

SteadyFlowResult solve_steady_flow(const Network& net, const BloodConfig& blood, const SolverConfig& solver,
                                   const KernelSet& k) {
  if (blood.viscosity_law != "constant")
    throw InputError("blood.viscosity_law = \"" + blood.viscosity_law + "\" is not available in this version");
  using clock = std::chrono::steady_clock;
  SteadyFlowResult r;
  r.backend = k.backend_name;
  const auto t0 = clock::now();
  DeviceNetwork device_net(k, net);
  FlowFields fields;
  fields.viscosity = DeviceArray<double>(k, net.num_segments());
  // viscosity_law = "constant": mu_e = blood viscosity for every segment (MODEL.md §2).
  k.fill(net.num_segments(), blood.viscosity, fields.viscosity.data());
  r.seconds_upload = std::chrono::duration<double>(clock::now() - t0).count();

  r.solve = solve_flow(device_net, linear_solver_options(solver), fields);
  r.metrics = flow_metrics(device_net, fields);

  const auto t1 = clock::now();
  r.node_pressure = fields.node_pressure.download();
  r.flow = fields.flow.download();
  r.velocity = fields.velocity.download();
  r.wall_shear_stress = fields.wall_shear_stress.download();
  r.viscosity = fields.viscosity.download();
  r.seconds_download = std::chrono::duration<double>(clock::now() - t1).count();
  return r;
}

}  // namespace hepaflow

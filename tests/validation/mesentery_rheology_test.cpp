// Rat mesentery (Pries et al. 1990) with in vivo viscosity (Pries et al. 1994, rat MCV 55 fl,
// plasma 1.0466 cP) and Pries-Secomb 2005 phase separation, as in ../shared/validation/mesentery/
// RheolParams.dat: flows and haematocrits against NetFlowV2's NetworkNew.dat, and computed
// velocities/haematocrits against the measured table (Am J Physiol Heart supplement).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "hepaflow/meshes/network_io.hpp"
#include "hepaflow/simulation/steady_flow.hpp"
#include "hepaflow/units.hpp"

namespace hepaflow {
namespace {

const std::string dir = std::string(HEPAFLOW_SHARED_DIR) + "/validation/mesentery/";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

class Mesentery : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(dir + "network.dat")) return;
    network_ = new Network(meshes::read_secomb_dat(dir + "network.dat"));
    prepare_network(*network_, false, "mesentery", nullptr);
    BloodConfig blood;  // RheolParams.dat
    blood.viscosity_law = "pries1994_invivo";
    blood.plasma_viscosity = 1.0466 * units::cP;
    blood.mcv = 55e-18;
    blood.phase_separation = "pries_secomb_2005";
    blood.haematocrit = 0.4;  // consthd
    SolverConfig solver;
    solver.tolerance = 1e-12;
    solver.rheology_max_iterations = 100;
    solver.rheology_flow_tolerance = 1e-7;
    solver.rheology_haematocrit_tolerance = 1e-6;
    result_ = new SteadyFlowResult(solve_steady_flow(*network_, blood, solver, kernels::cpu::kernel_set()));
  }
  static void TearDownTestSuite() {
    delete network_;
    delete result_;
  }
  void SetUp() override {
    if (!network_) GTEST_SKIP() << "validation data absent: " << dir;
  }
  static Network* network_;
  static SteadyFlowResult* result_;
};
Network* Mesentery::network_ = nullptr;
SteadyFlowResult* Mesentery::result_ = nullptr;

TEST_F(Mesentery, FlowsAndHaematocritsMatchNetFlowV2) {
  std::vector<double> reference_flow;
  const Network reference = meshes::read_secomb_dat(dir + "reference/NetworkNew.dat", &reference_flow);
  ASSERT_EQ(reference.num_segments(), network_->num_segments());
  std::vector<double> flow_difference, hd_difference;
  double weighted_flow = 0, total_length = 0;
  for (std::size_t s = 0; s < network_->num_segments(); ++s) {
    ASSERT_EQ(reference.segment_id[s], network_->segment_id[s]);
    flow_difference.push_back(std::abs(result_->flow[s] - reference_flow[s]) / std::abs(reference_flow[s]));
    hd_difference.push_back(std::abs(result_->haematocrit[s] - reference.haematocrit[s]));
    weighted_flow += std::abs(result_->flow[s]) / units::nl_per_min * network_->length[s];
    total_length += network_->length[s];
  }
  const double mean_flow = weighted_flow / total_length;
  std::cout << "mesentery vs NetFlowV2: median relative flow difference " << median(flow_difference)
            << ", median |dHd| " << median(hd_difference) << ", length-weighted mean flow " << mean_flow
            << " nl/min (reference 32.816), rheology iterations " << result_->rheology.iterations
            << ", zero-flow segments " << result_->rheology.zero_flow_segments << "\n";
  EXPECT_LE(median(flow_difference), 1e-3);
  EXPECT_LE(median(hd_difference), 5e-3);
  EXPECT_NEAR(mean_flow / 32.816, 1.0, 0.005);
  EXPECT_TRUE(result_->rheology.converged);
  EXPECT_LT(result_->metrics.max_mass_imbalance, 1e-9);
}

TEST_F(Mesentery, VelocityAndHaematocritCorrelateWithMeasurements) {
  // Map each measured (original) segment to the first of its subsegments: walk from its FROM node
  // through the subdivision nodes (ids > 5000) along segments of the same diameter until TO.
  std::map<std::int64_t, index_t> index_of;
  for (std::size_t i = 0; i < network_->num_nodes(); ++i) index_of[network_->node_id[i]] = static_cast<index_t>(i);
  std::vector<std::vector<index_t>> adjacent(network_->num_nodes());
  for (std::size_t s = 0; s < network_->num_segments(); ++s) {
    adjacent[network_->segment_from[s]].push_back(static_cast<index_t>(s));
    adjacent[network_->segment_to[s]].push_back(static_cast<index_t>(s));
  }
  std::ifstream in(dir + "measured/apj_network_546_segments.txt");
  std::string line;
  std::vector<double> v_measured, v_computed, hd_measured, hd_computed;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    long long name, type, from, to;
    double diameter, length, hd_mes, vel_mes;
    if (!(row >> name >> type >> from >> to >> diameter >> length >> hd_mes >> vel_mes)) continue;
    if (!index_of.count(from) || !index_of.count(to)) continue;
    index_t node = index_of[from], previous = -1, first = -1;
    for (int step = 0; step < 64 && node != index_of[to]; ++step) {
      index_t next_segment = -1;
      for (index_t s : adjacent[node]) {
        const index_t other = network_->segment_from[s] == node ? network_->segment_to[s] : network_->segment_from[s];
        const bool onward = other == index_of[to] || network_->node_id[other] > 5000;
        if (s != previous && onward && std::abs(2e6 * network_->radius[s] - diameter) < 0.02) {
          next_segment = s;
          break;
        }
      }
      if (next_segment < 0) break;
      if (first < 0) first = next_segment;
      previous = next_segment;
      node = network_->segment_from[next_segment] == node ? network_->segment_to[next_segment]
                                                           : network_->segment_from[next_segment];
    }
    if (first < 0 || node != index_of[to]) continue;
    v_measured.push_back(vel_mes);
    v_computed.push_back(std::abs(result_->velocity[first]) / units::mm_per_s);
    hd_measured.push_back(hd_mes);
    hd_computed.push_back(result_->haematocrit[first]);
  }
  std::cout << "matched " << v_measured.size() << " of 546 measured segments; Pearson r velocity "
            << pearson(v_computed, v_measured) << ", haematocrit " << pearson(hd_computed, hd_measured) << "\n";
  EXPECT_GE(v_measured.size(), 540u);
  EXPECT_GE(pearson(v_computed, v_measured), 0.8);
  EXPECT_GE(pearson(hd_computed, hd_measured), 0.5);
}

}  // namespace
}  // namespace hepaflow

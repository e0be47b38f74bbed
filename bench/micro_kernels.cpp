// Micro-benchmarks of the flow kernels on a backend (cpu, or cuda where present), on the peer's 3-D
// grid network (peer_flow_bench.py rule). Bytes counted as the minimum each kernel must move;
// reported as bytes_per_second. And the O2 segment integrator (kernels/oxygen.hpp) alone, one
// thread, on segments from no visible drop to deep exhaustion (BM_IntegrateSegment: time per segment).
// Run: build/bin/bench_kernels [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cmath>

#include "hepaflow/device_array.hpp"
#include "hepaflow/flow/flow_solver.hpp"
#include "hepaflow/kernels/oxygen.hpp"
#include "hepaflow/meshes/generators.hpp"

namespace {

using namespace hepaflow;

const KernelSet& backend() { return select_backend("auto"); }

struct GridSystem {
  explicit GridSystem(int n) : net(meshes::generate_peer_grid(n, 1)), dev(backend(), net) {
    const KernelSet& k = backend();
    const std::size_t m = net.num_segments();
    mu = DeviceArray<double>(k, std::vector<double>(m, 3.5e-3));
    g = DeviceArray<double>(k, m);
    k.poiseuille_conductance(m, dev.radius.data(), dev.length.data(), mu.data(), g.data());
    const auto p = dev.pattern();
    values = DeviceArray<double>(k, p.nnz);
    k.assemble_laplacian(p, g.data(), values.data());
    x = DeviceArray<double>(k, std::vector<double>(dev.unknowns(), 1.0));
    y = DeviceArray<double>(k, dev.unknowns());
  }
  kernels::CsrView csr() const {
    const auto p = dev.pattern();
    return {p.unknowns, p.row_ptr, p.col, values.data()};
  }
  Network net;
  DeviceNetwork dev;
  DeviceArray<double> mu, g, values, x, y;
};

void BM_Spmv(benchmark::State& state) {
  GridSystem s(static_cast<int>(state.range(0)));
  const auto a = s.csr();
  for (auto _ : state) {
    backend().spmv(a, s.x.data(), s.y.data());
    benchmark::DoNotOptimize(backend().dot(1, s.y.data(), s.y.data()));  // synchronises
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * (12.0 * s.dev.pattern().nnz + 20.0 * a.rows)));
  state.counters["rows"] = a.rows;
}
BENCHMARK(BM_Spmv)->Arg(32)->Arg(64)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_Dot(benchmark::State& state) {
  GridSystem s(static_cast<int>(state.range(0)));
  const std::size_t n = s.dev.unknowns();
  for (auto _ : state) benchmark::DoNotOptimize(backend().dot(n, s.x.data(), s.y.data()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 16.0 * n));
}
BENCHMARK(BM_Dot)->Arg(64)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_AssembleLaplacian(benchmark::State& state) {
  GridSystem s(static_cast<int>(state.range(0)));
  const auto p = s.dev.pattern();
  for (auto _ : state) {
    backend().assemble_laplacian(p, s.g.data(), s.values.data());
    benchmark::DoNotOptimize(backend().dot(1, s.values.data(), s.values.data()));
  }
  state.counters["nnz"] = p.nnz;
}
BENCHMARK(BM_AssembleLaplacian)->Arg(64)->Unit(benchmark::kMillisecond);

// One segment of the lobule sweep's kind (human blood, Hd 0.3, Km 1 mmHg, inflow 60 mmHg, periportal
// M0, the sweep's tolerances 1e-6 / max 256 substeps), its consumption a = M0 V/|Q| a multiple of the
// inflow content C_in: 1e-3 (no visible drop: the median lobule segment), 0.3 (60 -> 33 mmHg),
// 1.5 (used up at x ~ 0.7, anoxic tail) and 1000 (a trickle segment, anoxic within 1e-3 of L).
// The counter substeps is the integrator's own count (RK4 substeps or quadrature panels).
void BM_IntegrateSegment(benchmark::State& state) {
  namespace o2 = kernels::oxygen;
  const o2::BloodOxygenParameters blood;
  const double fractions[] = {1e-3, 0.3, 1.5, 1000.0};
  const double fraction = fractions[state.range(0)];
  const double hd = 0.3, km = 1.0, po2_in = 60.0, m0 = o2::consumption_from_molar_rate(0.035), length = 250e-6;
  const double volume = 3.14159265358979 * (15e-6 * 15e-6 - 5e-6 * 5e-6) * length;
  const double flow = m0 * volume / (fraction * o2::content(po2_in, hd, blood));
  o2::SegmentOxygenResult r{};
  for (auto _ : state) {
    // A slightly different inflow each time, so that nothing is hoisted out of the loop.
    const double p = po2_in * (1.0 + 1e-9 * static_cast<double>(state.iterations() & 7));
    r = o2::integrate_segment(p, flow, hd, length, volume, m0, km, blood, 1e-6, 256);
    benchmark::DoNotOptimize(r);
  }
  state.counters["substeps"] = r.substeps;
  state.counters["po2_out"] = r.po2_out_mmHg;
  state.SetLabel("a/C_in " + std::to_string(fraction));
}
BENCHMARK(BM_IntegrateSegment)->DenseRange(0, 3)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();

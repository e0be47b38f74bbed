// Micro-benchmarks of the flow kernels on a backend (cpu, or cuda where present), on the peer's 3-D
// grid network (peer_flow_bench.py rule). Bytes counted as the minimum each kernel must move;
// reported as bytes_per_second. Run: build/bin/bench_kernels [--benchmark_filter=...]
#include <benchmark/benchmark.h>


#include "hepaflow/device_array.hpp"
#include "hepaflow/flow/flow_solver.hpp"
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

}  // namespace

BENCHMARK_MAIN();

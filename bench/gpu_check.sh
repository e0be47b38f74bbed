#!/usr/bin/env bash
# One call on a GPU machine (device tool): build the CUDA backend for sm_90 without VTK and CHOLMOD,
# run the gpu-labelled tests (and compute-sanitizer memcheck/racecheck over them), then the benchmark
# suite; everything lands in $OUT (or ./gpu_check_out). Header-only dependencies and GoogleTest's
# sources travel as Debian .deb files in .deps/gpu-debs (fetch them here first with bench/fetch_gpu_deps.sh)
# and are unpacked into a prefix on the GPU machine.
# Usage (device tool): bash bench/gpu_check.sh   with carry [".deps/gpu-debs"]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/gpu_check_out}"
mkdir -p "$out"
log="$out/gpu_check.log"
exec > >(tee "$log") 2>&1
cd "$root"
prefix="$root/.deps/prefix"
mkdir -p "$prefix"
for deb in .deps/gpu-debs/*.deb; do dpkg -x "$deb" "$prefix"; done
gtest_src="$prefix/usr/src/googletest"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
export PATH=/usr/local/cuda/bin:$PATH
cmake --preset gpu -DHEPAFLOW_DEPS_PREFIX="$prefix" -DHEPAFLOW_GTEST_SOURCE_DIR="$gtest_src" \
      -DHEPAFLOW_BUILD_BENCHMARKS=OFF > "$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }
cmake --build --preset gpu > "$out/build.log" 2>&1 || { grep -E "error" "$out/build.log" | head -40; exit 1; }
build/../build-gpu/bin/hepaflow info
echo "== gpu tests"
ctest --test-dir build-gpu -L gpu --output-on-failure 2>&1 | tee "$out/ctest_gpu.log" | tail -15
echo "== all CPU-side tests of this build (sanity)"
ctest --test-dir build-gpu -LE "gpu|cli" -j 16 2>&1 | tail -5
if command -v compute-sanitizer >/dev/null; then
  for t in build-gpu/tests/hf_gpu_*; do
    for tool in memcheck racecheck; do
      echo "== compute-sanitizer --tool $tool $t"
      compute-sanitizer --tool "$tool" --error-exitcode 9 "$t" > "$out/sanitizer_${tool}_$(basename "$t").log" 2>&1
      echo "exit $?"; tail -3 "$out/sanitizer_${tool}_$(basename "$t").log"
    done
  done
fi
echo "== benchmarks"
results="$out/bench_$(date -u +%Y-%m-%d)_gpu.md"
{
  echo "# hepaflow benchmark on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
  echo; echo "Date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"; echo
} > "$results"
./build-gpu/bin/hepaflow bench --backend cuda --sizes 1e4 1e5 1e6 1e7 --no-direct -o "$results"
./build-gpu/bin/hepaflow bench --backend cuda --peer-grid 48 100 --no-direct --tolerance 1e-10 -o "$results"
# Jacobi-PCG kernel variants and the per-phase roofline (fraction of the copy bandwidth; issue 8: >= 65 %)
./build-gpu/bin/hepaflow bench --backend cuda --peer-grid 100 --no-direct --tolerance 1e-10 --preconditioner jacobi \
  --jacobi-kernels unfused csr sell --ordering rcm --roofline -o "$results"
./build-gpu/bin/hepaflow bench --backend cuda --sizes 1e7 --no-direct --preconditioner jacobi \
  --jacobi-kernels unfused csr sell --ordering rcm --roofline -o "$results"
# iteration flatness across size and diameter spread (issue 8: +-30 % from 1e5 to 1e8, sigma 0..1)
./build-gpu/bin/hepaflow bench --backend cuda --sizes 1e5 1e6 1e7 --radius-sigma 0 0.5 1 --no-direct \
  --tolerance 1e-8 -o "$results"
# transport sweeps: levels, launches and sweep times (issue 8: < 5 ms on a 1e7-segment block)
./build-gpu/bin/hepaflow bench --backend cuda --transport --sizes 1e5 1e6 1e7 --repeat 3 -o "$results"
./build-gpu/bin/hepaflow bench --backend cpu --sizes 1e5 1e6 --no-direct -o "$results"
cat "$results"

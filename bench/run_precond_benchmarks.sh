#!/usr/bin/env bash
# Pressure-solve preconditioners (issue 8): Jacobi-PCG vs low-degree elimination + smoothed-aggregation
# AMG-PCG, iterations and times vs network size (lobule blocks 1e3..1e6 segments, the peer's 3-D grids
# 48^3 and 100^3) and vs lognormal diameter spread sigma (radii x exp(sigma Z)).
# Usage: bench/run_precond_benchmarks.sh [RESULTS.md]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/results/$(date -u +%Y-%m-%d)_precond-cpu-$(nproc)core.md}
hf=build/bin/hepaflow
{
  echo "# hepaflow pressure-solve preconditioners, CPU"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git rev-parse --short=12 HEAD); script: bench/run_precond_benchmarks.sh"
  echo
  echo "## Lobule blocks (human preset), tolerance 1e-8"
  echo
} > "$out"
"$hf" bench --backend cpu --sizes 1e3 1e4 1e5 --radius-sigma 0 0.5 1 --tolerance 1e-8 --repeat 1 --no-direct -o "$out"
"$hf" bench --backend cpu --sizes 1e6 --radius-sigma 0 --tolerance 1e-8 --repeat 1 --no-direct -o "$out"
"$hf" bench --backend cpu --sizes 1e6 --radius-sigma 0.5 1 --preconditioner amg --tolerance 1e-8 --repeat 1 --no-direct -o "$out"
{
  echo "## Peer grid networks (peer_flow_bench.py rule), tolerance 1e-10 like scipy's cg"
  echo
} >> "$out"
"$hf" bench --backend cpu --peer-grid 48 --radius-sigma 0 0.5 1 --tolerance 1e-10 --repeat 1 --no-direct -o "$out"
"$hf" bench --backend cpu --peer-grid 100 --radius-sigma 0 --tolerance 1e-10 --repeat 1 --no-direct -o "$out"
echo "wrote $out"

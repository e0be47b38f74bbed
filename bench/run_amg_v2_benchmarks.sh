#!/usr/bin/env bash
# AMG v2 (issue 8 item 1: unsmoothed aggregation + K-cycle) against the smoothed-aggregation
# V-cycle before it: iterations, setup and solve times on lobule blocks (1e4, 1e5, 1e6 segments)
# and the peer's 48^3 grid at lognormal diameter spreads sigma = 0, 0.5, 1, with Jacobi-PCG as the
# reference where it finishes in reasonable time.
# Usage: bench/run_amg_v2_benchmarks.sh [RESULTS.md] [BEFORE_HEPAFLOW]
#   BEFORE_HEPAFLOW: a hepaflow binary built from the commit before (e.g. 22f0c86); omitted: no
#   "before" rows.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/results/$(date -u +%Y-%m-%d)_amg-v2-cpu-$(nproc)core.md}
before=${2:-}
hf=build/bin/hepaflow
export OMP_WAIT_POLICY=PASSIVE
{
  echo "# hepaflow AMG v2 (unsmoothed aggregation + K-cycle) vs smoothed-aggregation V-cycle, CPU"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git rev-parse --short=12 HEAD); script: bench/run_amg_v2_benchmarks.sh"
  echo
  echo "## After (this commit)"
  echo
} > "$out"
"$hf" bench --backend cpu --sizes 1e4 1e5 --radius-sigma 0 0.5 1 --tolerance 1e-8 --repeat 3 --no-direct -o "$out"
"$hf" bench --backend cpu --sizes 1e6 --radius-sigma 0 --tolerance 1e-8 --repeat 3 --no-direct -o "$out"
"$hf" bench --backend cpu --sizes 1e6 --radius-sigma 0.5 1 --preconditioner amg --tolerance 1e-8 --repeat 3 --no-direct -o "$out"
"$hf" bench --backend cpu --peer-grid 48 --radius-sigma 0 --tolerance 1e-10 --repeat 3 --no-direct -o "$out"
"$hf" bench --backend cpu --peer-grid 48 --radius-sigma 0.5 1 --preconditioner amg --tolerance 1e-10 --repeat 3 --no-direct -o "$out"
if [ -n "$before" ]; then
  { echo "## Before ($before: smoothed aggregation, V(1,1))"; echo; } >> "$out"
  "$before" bench --backend cpu --sizes 1e4 1e5 1e6 --radius-sigma 0 0.5 1 --preconditioner amg --tolerance 1e-8 --repeat 3 --no-direct -o "$out"
  "$before" bench --backend cpu --peer-grid 48 --radius-sigma 0 0.5 1 --preconditioner amg --tolerance 1e-10 --repeat 3 --no-direct -o "$out"
fi
echo "wrote $out"

#!/usr/bin/env bash
# CPU benchmark suite (the numbers in bench/results/<date>_cpu-2core.md): hepaflow's flow solve on
# lobule blocks 1e3..1e6 segments with CHOLMOD as the peer, the peer grid networks of
# ../shared/tools/peer_flow_bench.py with scipy's CG+Jacobi on the same machine in the same run, and
# the oxygen sweep (lumped Krogh tissue) on lobule blocks 1e5..1.2e6 segments.
# Usage: bench/run_cpu_benchmarks.sh [RESULTS.md]
# The peer needs scipy < 1.14 from PyPI (peer_flow_bench.py passes cg(tol=...), removed in 1.14):
#   pip install "scipy<1.14"
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/results/$(date -u +%Y-%m-%d)_cpu-$(nproc)core.md}
hf=build/bin/hepaflow
{
  echo "# hepaflow CPU benchmark"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git rev-parse --short=12 HEAD); script: bench/run_cpu_benchmarks.sh"
  echo
  echo "## Lobule blocks (human preset), Jacobi-PCG to 1e-8, CHOLMOD peer"
  echo
} > "$out"
"$hf" bench --backend cpu --sizes 1e3 1e4 1e5 1e6 --tolerance 1e-8 --repeat 3 -o "$out"
{
  echo "## Peer grid networks (peer_flow_bench.py rule), tolerance 1e-10 like scipy's cg"
  echo
} >> "$out"
"$hf" bench --backend cpu --peer-grid 48 100 --tolerance 1e-10 --repeat 1 --no-direct -o "$out"
{
  echo "### scipy on the same machine (python3 ../shared/tools/peer_flow_bench.py N cg_jacobi)"
  echo
  echo '```'
  python3 -c "import scipy; print(\"scipy\", scipy.__version__)"
  for n in 48 100; do python3 ../shared/tools/peer_flow_bench.py "$n" cg_jacobi 2>/dev/null | grep segments; done
  echo '```'
} >> "$out"
{
  echo "## Oxygen sweep on lobule blocks (constant viscosity, lumped Krogh tissue)"
  echo
} >> "$out"
"$hf" bench --backend cpu --oxygen krogh --sizes 1e5 4e5 1.2e6 --tolerance 1e-8 --repeat 3 -o "$out"
echo "wrote $out"

#!/usr/bin/env bash
# Jacobi-PCG kernel variants on the CPU (issue 8 items 2 and 4): unfused pcg() on CSR against the
# fused three-kernel iteration on CSR (SELL-1-1) and SELL-32-1, each with the network's own unknown
# numbering and with reverse Cuthill-McKee; per-phase roofline (--roofline); scipy CG + Jacobi per
# iteration on the same peer grids (bench/peer_cg_per_iteration.py, scipy < 1.14); lobule blocks
# 1e5 and 1e6 segments as generated and with their nodes shuffled (a file in no useful order).
# Run with 1 and with 2 OpenMP threads (THREADS="1 2"); scipy runs single-threaded (OPENBLAS 1:
# OpenBLAS threads spinning on a shared 2-core machine made it 14x slower).
# Usage: bench/run_fused_pcg_benchmarks.sh OUT.md
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: $0 OUT.md}
hf=${HF:-build/bin/hepaflow}
variants="--preconditioner jacobi --jacobi-kernels unfused csr sell --ordering none rcm --no-direct"
for t in ${THREADS:-1 2}; do
  echo "### OMP_NUM_THREADS=$t: peer grids, tolerance 1e-10" >> "$out"; echo >> "$out"
  OMP_NUM_THREADS=$t OMP_WAIT_POLICY=PASSIVE "$hf" bench --backend cpu --peer-grid 48 100 --tolerance 1e-10 --repeat 1 \
    $variants --roofline -o "$out"
  echo "### OMP_NUM_THREADS=$t: lobule blocks, tolerance 1e-8" >> "$out"; echo >> "$out"
  OMP_NUM_THREADS=$t OMP_WAIT_POLICY=PASSIVE "$hf" bench --backend cpu --sizes 1e5 1e6 --tolerance 1e-8 --repeat 3 \
    $variants -o "$out"
  echo "### OMP_NUM_THREADS=$t: lobule blocks with shuffled node numbers, tolerance 1e-8" >> "$out"; echo >> "$out"
  OMP_NUM_THREADS=$t OMP_WAIT_POLICY=PASSIVE "$hf" bench --backend cpu --sizes 1e5 1e6 --tolerance 1e-8 --repeat 3 \
    $variants --shuffle-nodes -o "$out"
done
{
  echo "### scipy CG + Jacobi (bench/peer_cg_per_iteration.py N 3, single-threaded BLAS)"
  echo
  echo '```'
  for n in 48 100; do OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 -W ignore bench/peer_cg_per_iteration.py "$n" 3; done
  echo '```'
  echo
} >> "$out"
echo "wrote $out"

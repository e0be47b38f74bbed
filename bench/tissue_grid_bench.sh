#!/usr/bin/env bash
# Tissue-grid O2 benchmark (issue 5): GreensV4's Brain case with the `grid` tissue model at grid
# spacings from 10 um down to 0.69 um (1.03e7 cells), no padding, CPU backend. Prints a markdown table
# (cells, coupling iterations, CG iterations, O2 seconds, mean tissue PO2) from each run's summary.json.
# Usage: bench/tissue_grid_bench.sh [BUILD_DIR] [SPACINGS_UM...]   (needs ../shared/validation/o2_brain)
set -euo pipefail
build=${1:-build}
shift || true
spacings=("$@")
[ ${#spacings[@]} -gt 0 ] || spacings=(10 5 2.5 1.25 0.69)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| spacing [um] | cells | coupling its | CG its (total) | oxygen [s] | max RSS [MB] | mean tissue PO2 [mmHg] |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for h in "${spacings[@]}"; do
  /usr/bin/time -f "%M" -o "$out/rss" env OMP_WAIT_POLICY=PASSIVE "$build/bin/hepaflow" run cases/brain_o2_greens/case.toml \
    -o "$out/h$h" --overwrite -q --backend cpu --set "oxygen.grid_spacing=\"$h um\"" --set 'oxygen.grid_padding="0 um"' \
    --set output.vtk=false
  python3 - "$out/h$h" "$h" "$(cat "$out/rss")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/summary.json"))
t = json.load(open(sys.argv[1] + "/run_info.json"))["timings"]
print(f"| {sys.argv[2]} | {d['tissue_grid_cells']} | {d['o2_coupling_iterations']} | {d['tissue_cg_iterations']} | "
      f"{t['oxygen_s']:.2f} | {int(sys.argv[3]) / 1024:.0f} | {d['po2_tissue_mean_mmHg']:.3f} |")
PY
done

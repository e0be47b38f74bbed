#!/usr/bin/env bash
# Driver for the postproc render tests (registered in tests/cli/tests.cmake).
#
#   render_test.sh demo   HEPAFLOW SOURCE_DIR WORK_DIR  # run cases/healthy_lobule, render, check
#   render_test.sh sample SOURCE_DIR WORK_DIR           # synthetic network (no solver), log scale
#
# Exits 0 when every step passes, 77 (CTest SKIP_RETURN_CODE) when pvbatch, xvfb-run or ParaView's
# Python modules are not installed, and non-zero on the first failing step otherwise.
set -euo pipefail

PROG=render_test
WIDTH=1200
HEIGHT=900
source "$(dirname "$0")/postproc_common.sh"

mode=${1:-}
case "$mode" in
  demo)   [[ $# -eq 4 ]] || die "usage: $0 demo HEPAFLOW SOURCE_DIR WORK_DIR"
          hepaflow=$2; src=$3; work=$4 ;;
  sample) [[ $# -eq 3 ]] || die "usage: $0 sample SOURCE_DIR WORK_DIR"
          src=$2; work=$3 ;;
  *)      die "usage: $0 demo|sample ..." ;;
esac

rm -rf "$work"
mkdir -p "$work"
require_paraview

render="$src/postproc/render_network.py"
check="$src/tests/cli/check_png.py"

if [[ $mode == demo ]]; then
  result="$work/result"
  step "hepaflow run cases/healthy_lobule/case.toml"
  "$hepaflow" run "$src/cases/healthy_lobule/case.toml" --output "$result" --overwrite -q \
    || die "hepaflow run exited $?"
  [[ -f "$result/network.pvd" ]] || die "hepaflow wrote no $result/network.pvd"

  png="$work/flow.png"
  step "render $result -> $png"
  xvfb pvbatch "$render" "$result" --array flow_nl_per_min --output "$png" \
    --size $WIDTH $HEIGHT --state "$work/flow.pvsm" || die "render_network.py exited $?"
  [[ -s "$work/flow.pvsm" ]] || die "no ParaView state file $work/flow.pvsm"

  step "check $png"
  python3 "$check" "$png" --width $WIDTH --height $HEIGHT --min-colors 50 \
    --min-fraction 0.02 --max-fraction 0.9 --colorbar --colorbar-monotone \
    || die "check_png.py: $png is not a good rendering"
else
  result="$work/sample"
  step "make_sample_network.py $result"
  python3 "$src/tests/cli/make_sample_network.py" "$result" || die "make_sample_network.py failed"

  png="$work/sample_flow_log.png"
  step "render $result/network_000000.vtp --log -> $png"
  xvfb pvbatch "$render" "$result/network_000000.vtp" --array flow_nl_per_min --log \
    --output "$png" --size $WIDTH $HEIGHT || die "render_network.py exited $?"
  step "check $png"
  python3 "$check" "$png" --width $WIDTH --height $HEIGHT --min-colors 50 \
    --min-fraction 0.02 --max-fraction 0.9 --colorbar --colorbar-monotone \
    || die "check_png.py: $png is not a good rendering"

  png="$work/sample_pressure.png"
  step "render point array pressure_mmHg, top view -> $png"
  xvfb pvbatch "$render" "$result/network.pvd" --array pressure_mmHg --view top \
    --output "$png" --size 800 600 || die "render_network.py exited $?"
  python3 "$check" "$png" --width 800 --height 600 --min-colors 50 --colorbar \
    || die "check_png.py: $png is not a good rendering"

  step "missing input -> exit 4"
  rc=0
  xvfb pvbatch "$render" "$work/no_such_result" --output "$work/x.png" >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 4 ]] || die "missing input: expected exit 4, got $rc"
fi

step "unknown array -> exit 2 and a list of the arrays"
rc=0
xvfb pvbatch "$render" "$result" --array no_such_array --output "$work/x.png" \
  >"$work/unknown.out" 2>&1 || rc=$?
cat "$work/unknown.out"
[[ $rc -eq 2 ]] || die "unknown array: expected exit 2, got $rc"
grep -q "flow_nl_per_min" "$work/unknown.out" || die "unknown array: available arrays not listed"
[[ ! -e "$work/x.png" ]] || die "unknown array: a PNG was written anyway"

echo "render_test: all steps passed ($mode)"

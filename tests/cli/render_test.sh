#!/usr/bin/env bash
# Driver for the postproc render tests (registered in tests/cli/tests.cmake).
#
#   render_test.sh demo   HEPAFLOW SOURCE_DIR WORK_DIR  # run cases/healthy_lobule, render, check
#   render_test.sh sample SOURCE_DIR WORK_DIR           # synthetic network (no solver), log scale
#
# Exits 0 when every step passes, 77 (CTest SKIP_RETURN_CODE) when pvbatch, xvfb-run or ParaView's
# Python modules are not installed, and non-zero on the first failing step otherwise.
set -euo pipefail

SKIP=77
WIDTH=1200
HEIGHT=900

die() { echo "render_test: FAIL: $*" >&2; exit 1; }
step() { echo "render_test: --- $*"; }

mode=${1:-}
case "$mode" in
  demo)   [[ $# -eq 4 ]] || die "usage: $0 demo HEPAFLOW SOURCE_DIR WORK_DIR"
          hepaflow=$2; src=$3; work=$4 ;;
  sample) [[ $# -eq 3 ]] || die "usage: $0 sample SOURCE_DIR WORK_DIR"
          src=$2; work=$3 ;;
  *)      die "usage: $0 demo|sample ..." ;;
esac

for tool in pvbatch xvfb-run python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "render_test: SKIP: $tool is not installed (Debian: apt-get install paraview python3-paraview xvfb)"
    exit $SKIP
  fi
done

rm -rf "$work"
mkdir -p "$work"

# xvfb-run -a picks the first free display from --server-num on; two xvfb-runs starting at the
# same moment can pick the same one and one of them then fails with "bad X server connection".
# Start from a random display number and retry a render that failed for X reasons.
xvfb() {
  local attempt rc
  for attempt in 1 2 3; do
    rc=0
    xvfb-run -a -n $((100 + RANDOM % 800)) -s "-screen 0 1280x1024x24" "$@" \
      2>"$work/xvfb_stderr.txt" || rc=$?
    cat "$work/xvfb_stderr.txt" >&2
    if [[ $rc -eq 0 ]] || ! grep -qE "X server|GLX|Xvfb|cannot open display" "$work/xvfb_stderr.txt"; then
      return $rc
    fi
    echo "render_test: X server problem (exit $rc), retrying ($attempt/3)" >&2
    sleep 1
  done
  return $rc
}

render="$src/postproc/render_network.py"

# ParaView's Python modules: installed (python3-paraview) or unpacked where they are looked for
# (see render_network.py, PARAVIEW_PYTHON_DIRS / $HEPAFLOW_PARAVIEW_PYTHONPATH).
rc=0
xvfb pvbatch "$render" --check-paraview || rc=$?
if [[ $rc -ne 0 ]]; then
  echo "render_test: SKIP: pvbatch cannot load ParaView's Python modules (exit $rc)"
  exit $SKIP
fi
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

# Shared pieces of the postproc test drivers (render_test.sh, postproc_test.sh); source it after
# setting $work (the test's scratch folder) and $src (the source tree).
#
#   die MESSAGE            fail the test (exit 1)
#   step MESSAGE           log a step
#   skip MESSAGE           skip the test (exit 77, CTest SKIP_RETURN_CODE)
#   require_paraview       skip unless pvbatch, xvfb-run and ParaView's Python modules work
#   require_matplotlib     skip unless python3 or /usr/bin/python3 imports numpy + matplotlib
#   xvfb pvbatch ARGS...   postproc/pvbatch.sh ARGS (headless X at a random display, retried)
#   expect_exit CODE LOG COMMAND ...   run COMMAND, its output to LOG, fail unless it exits CODE
#   check_png PNG ARGS...  tests/cli/check_png.py PNG ARGS, fail with the picture's name
SKIP=77

die() { echo "${PROG:-postproc_test}: FAIL: $*" >&2; exit 1; }
step() { echo "${PROG:-postproc_test}: --- $*"; }
skip() { echo "${PROG:-postproc_test}: SKIP: $*"; exit $SKIP; }

# xvfb pvbatch ARGS...: postproc/pvbatch.sh (ParaView's modules on the path, a headless X server
# at a random display, retried on X server failures), never the caller's display.
xvfb() {
  [[ ${1:-} == pvbatch ]] || die "xvfb: only 'xvfb pvbatch ...' is supported"
  shift
  env -u DISPLAY bash "$src/postproc/pvbatch.sh" "$@"
}

require_paraview() {
  local tool rc=0
  for tool in pvbatch xvfb-run python3; do
    command -v "$tool" >/dev/null 2>&1 \
      || skip "$tool is not installed (Debian: apt-get install paraview python3-paraview xvfb)"
  done
  # ParaView's Python modules: installed (python3-paraview) or unpacked where they are looked for
  # (hepaflow_paraview.PARAVIEW_PYTHON_DIRS / $HEPAFLOW_PARAVIEW_PYTHONPATH).
  xvfb pvbatch "$src/postproc/render_network.py" --check-paraview || rc=$?
  [[ $rc -eq 0 ]] || skip "pvbatch cannot load ParaView's Python modules (exit $rc)"
}

require_matplotlib() {
  python3 -c 'import numpy, matplotlib' 2>/dev/null \
    || /usr/bin/python3 -c 'import numpy, matplotlib' 2>/dev/null \
    || skip "numpy/matplotlib are not importable (Debian: apt-get install python3-matplotlib)"
}

expect_exit() {
  local expected=$1 log=$2 rc=0
  shift 2
  "$@" >"$log" 2>&1 || rc=$?
  cat "$log"
  [[ $rc -eq $expected ]] || die "expected exit $expected, got $rc: $*"
}

check_png() {
  local png=$1
  shift
  python3 "$src/tests/cli/check_png.py" "$png" "$@" \
    || die "check_png.py: $png is not a good picture"
}

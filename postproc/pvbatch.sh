#!/usr/bin/env bash
# Run ParaView's pvbatch headless with its Python modules. Debian's python3-paraview conflicts with
# python3-vtk9 (needed by libvtk9-dev, which builds hepaflow), so cmake/install_dependencies.sh
# unpacks python3-paraview into .deps/paraview-python instead of installing it; this wrapper puts it
# on PYTHONPATH. Without a display it runs under xvfb-run. Usage: postproc/pvbatch.sh SCRIPT.py [args]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
private="$root/.deps/paraview-python/usr/lib/python3/dist-packages"
if [ -d "$private/paraview" ]; then
  export PYTHONPATH="$private${PYTHONPATH:+:$PYTHONPATH}"
fi
command -v pvbatch >/dev/null || { echo "pvbatch not found: apt-get install paraview (see cmake/install_dependencies.sh)" >&2; exit 77; }
if [ -n "${DISPLAY:-}" ]; then
  exec pvbatch "$@"
fi
command -v xvfb-run >/dev/null || { echo "no DISPLAY and no xvfb-run: apt-get install xvfb xauth" >&2; exit 77; }
# xvfb-run -a picks the first free display from --server-num on; two xvfb-runs starting at the same
# moment can pick the same one, and one of them then fails with "bad X server connection". Start
# from a random display number and run again (the scripts write their outputs atomically) when the
# failure was the X server's. The private server runs with access control off (-ac): the
# connection then does not depend on xvfb-run's xauth cookie, whose file locking can time out on
# a loaded machine (three attempts in a row failed with "bad X server connection" under CI load).
err=$(mktemp)
trap 'rm -f "$err"' EXIT
rc=0
attempts=5
for attempt in $(seq 1 $attempts); do
  rc=0
  xvfb-run -a -n $((100 + RANDOM % 800)) -s "-ac -screen 0 1280x1024x24" pvbatch "$@" 2>"$err" || rc=$?
  cat "$err" >&2
  if [ "$rc" -eq 0 ] || ! grep -qE "X server|GLX|Xvfb|cannot open display" "$err"; then
    exit "$rc"
  fi
  echo "pvbatch.sh: X server problem (exit $rc), retrying ($attempt/$attempts)" >&2
  sleep $((2 * attempt))
done
exit "$rc"

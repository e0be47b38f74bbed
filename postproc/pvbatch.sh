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
if [ -z "${DISPLAY:-}" ]; then
  command -v xvfb-run >/dev/null || { echo "no DISPLAY and no xvfb-run: apt-get install xvfb xauth" >&2; exit 77; }
  exec xvfb-run -a pvbatch "$@"
fi
exec pvbatch "$@"

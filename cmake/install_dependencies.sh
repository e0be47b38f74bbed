#!/usr/bin/env bash
# Installs what hepaflow needs on Debian 12 (as root): the packages in cmake/debian-packages.txt, and
# ParaView's Python modules unpacked into .deps/paraview-python. Debian's python3-paraview conflicts
# with python3-vtk9, which libvtk9-dev needs, so it cannot be installed beside it; pvbatch finds the
# unpacked copy through PYTHONPATH (postproc/pvbatch.sh). Safe to run again: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
while read -r pkg; do
  [ -z "$pkg" ] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < cmake/debian-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ! -d .deps/paraview-python/usr/lib/python3/dist-packages/paraview ]; then
  mkdir -p .deps/debs
  (cd .deps/debs && { apt-get download python3-paraview 2>/dev/null || { apt-get update -qq && apt-get download python3-paraview; }; })
  dpkg -x .deps/debs/python3-paraview_*.deb .deps/paraview-python
fi
echo "dependencies: ok"

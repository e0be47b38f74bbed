#!/usr/bin/env bash
# Fetch (here, from Debian) the .deb files that bench/gpu_check.sh unpacks on the GPU machine, which
# has no -dev packages: toml++, CLI11 (header-only) and GoogleTest's sources.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .deps/gpu-debs && cd .deps/gpu-debs
apt-get download libtomlplusplus-dev libcli11-dev googletest 2>/dev/null || { apt-get update -qq; apt-get download libtomlplusplus-dev libcli11-dev googletest; }
ls -la

#!/usr/bin/env bash
# Builds the readers' and the case parser's tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (a separate build tree) and runs them: corrupt, truncated and hostile .dat/.csv/.vtp/.toml input
# must give clear errors, never a crash, an out-of-bounds access or a leak.
# Usage: asan_readers.sh SOURCE_DIR BUILD_DIR WITH_VTK(ON|OFF)
set -euo pipefail
src=$1
build=$2
with_vtk=${3:-OFF}
targets="hf_unit_network_io_test hf_validation_network_import_test hf_unit_case_config_test hf_unit_quantity_test"
extra=(-DHEPAFLOW_WITH_VTK="$with_vtk")
if [ "$with_vtk" = "ON" ]; then
  targets="$targets hf_unit_vtp_reader_vtk_test hf_validation_network_import_vtk_test"
fi
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DHEPAFLOW_SANITIZE=ON -DHEPAFLOW_ENABLE_CUDA=OFF \
      -DHEPAFLOW_BUILD_BENCHMARKS=OFF "${extra[@]}" > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" --target $targets -j2 > "$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in $targets; do
  exe=$(find "$build/tests" -maxdepth 1 -name "$t" -type f | head -1)
  echo "== $t (ASan+UBSan)"
  (cd "$src" && "$exe" --gtest_brief=1)
done

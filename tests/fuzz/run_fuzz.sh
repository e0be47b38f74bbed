#!/usr/bin/env bash
# One bounded libFuzzer run of a hepaflow fuzz target (the fuzz.<target> tests; by hand for long runs).
#   run_fuzz.sh FUZZER TARGET SECONDS WORK_DIR [SHARED_DIR] [-- EXTRA libFuzzer FLAGS]
# Corpus: WORK_DIR/new (emptied first; new inputs land there), tests/fuzz/corpus/TARGET,
# tests/fuzz/regressions/TARGET and, when SHARED_DIR/validation exists, copies of its files of the
# target's format in WORK_DIR/shared-seeds (never into the repository: their licences forbid it).
# A crash, leak, timeout (>10 s for one input), or an input needing > 2 GB fails the run; the
# input is written to WORK_DIR/artifacts/. Keep it: copy it to tests/fuzz/regressions/TARGET/,
# add NAME.expected, fix the reader (docs/reliability.md).
set -euo pipefail
fuzzer=$1 target=$2 seconds=$3 work=$4 shared=${5:-}
shift $(( $# < 5 ? $# : 5 ))
[ "${1:-}" = "--" ] && shift
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work/new" "$work/shared-seeds"
mkdir -p "$work/new" "$work/artifacts" "$work/shared-seeds"
dirs=("$work/new" "$src/corpus/$target")
[ -d "$src/regressions/$target" ] && dirs+=("$src/regressions/$target")
if [ -n "$shared" ] && [ -d "$shared/validation" ]; then
  case $target in
    secomb_dat) pattern='network.dat' ;;
    vtp_network) pattern='tapmeier_network.vtp' ;;   # the smallest (24 kB); the others are 160-270 kB
    *) pattern='' ;;
  esac
  if [ -n "$pattern" ]; then
    i=0
    while IFS= read -r f; do cp "$f" "$work/shared-seeds/seed$((i++))"; done < <(find "$shared/validation" -name "$pattern" -type f | sort)
    dirs+=("$work/shared-seeds")
  fi
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# VTK has no frame pointers: LeakSanitizer needs the slow unwinder to see the VTK frame that
# tests/sanitizer/lsan.supp names.
[ "$target" = vtp_network ] && export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/../sanitizer/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=131072 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "${dirs[@]}" 2>&1 | tail -n 200
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo "fuzz.$target: FINDING (libFuzzer exit $rc); input(s) in $work/artifacts/:"
  ls -l "$work/artifacts/"
fi
exit "$rc"

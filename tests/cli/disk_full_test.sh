#!/usr/bin/env bash
# Disk-full tests of hepaflow run (issue 9, docs/reliability.md), with real faults:
#  A. RLIMIT_FSIZE (`ulimit -f`, 1 KiB blocks) between the sizes of the first and second .vtp: the
#     second .vtp's write fails with EFBIG (hepaflow ignores SIGXFSZ) -> exit 4, the message names
#     network_000001.vtp; history.csv parses, network.pvd lists only the .vtp that exists, no
#     temporary is left.
#  B. RLIMIT_FSIZE (prlimit, bytes) between the sizes of the last two checkpoints: the last
#     checkpoint's write fails -> exit 4 naming checkpoint_000030.hfck; the one before it is intact:
#     `--resume` (without the limit) finishes the run with the uninterrupted run's results.
#  C. A full filesystem: a 6 MiB tmpfs in a private mount namespace (unshare -rm; skipped where
#     the container refuses it) -> ENOSPC mid-run, exit 4 with "No space left on device"; the folder
#     is consistent; copied to a disk with room, `--resume` gives the uninterrupted run's results.
# Usage: disk_full_test.sh HEPAFLOW SOURCE_DIR WORK_DIR
set -u
hepaflow=$(realpath "$1")
source_dir=$(realpath "$2")
work=$3
checker="python3 $source_dir/tests/cli/kill_resume_test.py"
case_file=$source_dir/cases/msc_dose_response/case.toml
case_args=(--set network.layers=2 --set 'time.end="30 d"' --set 'time.output_interval="5 d"')
export OMP_WAIT_POLICY=PASSIVE
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if [ "${4:-}" = "tmpfs-inner" ]; then
  # Variant C, inside the private mount namespace: $work/tmpfs is a fresh 6 MiB tmpfs.
  out=$work/tmpfs/run
  "$hepaflow" run "$case_file" -o "$out" -q --checkpoint-every 1 "${case_args[@]}" > "$work/c.log" 2>&1
  echo $? > "$work/c.rc"
  rm -rf "$work/c_copy" && cp -r "$out" "$work/c_copy"   # to the real disk, before the namespace goes
  exit 0
fi

rm -rf "$work" && mkdir -p "$work"
ref=$work/ref
"$hepaflow" run "$case_file" -o "$ref" -q --checkpoint-every 1 "${case_args[@]}" || { echo "reference run failed"; exit 1; }

# ---- A: ulimit -f between the first and the second .vtp -------------------------------------------
size0=$(stat -c %s "$ref/network_000000.vtp")
size1=$(stat -c %s "$ref/network_000001.vtp")
blocks=$(( (size0 + size1) / 2 / 1024 ))
out=$work/a
(ulimit -f "$blocks"; exec "$hepaflow" run "$case_file" -o "$out" -q "${case_args[@]}") > "$work/a.log" 2>&1
rc=$?
[ "$rc" = 4 ] || fail "A: exit $rc, expected 4"
grep -q "error: $out/network_000001.vtp: VTK writer failed: File too large" "$work/a.log" ||
  fail "A: message: $(tail -1 "$work/a.log")"
$checker check "$out" || fail "A: folder inconsistent"
grep -c '<DataSet' "$out/network.pvd" | grep -qx 1 || fail "A: network.pvd should list network_000000.vtp only"
cmp -s "$out/network_000000.vtp" "$ref/network_000000.vtp" || fail "A: network_000000.vtp changed"
rows=$(($(wc -l < "$out/history.csv") - 1))
[ "$rows" = 6 ] || fail "A: history.csv has $rows rows, expected 6 (steps 0-5)"
ls "$out" | grep -q '\.tmp\.' && fail "A: temporary left: $(ls "$out" | grep '\.tmp\.')"
echo "A (ulimit -f $blocks KiB): exit $rc, $(tail -1 "$work/a.log"); history.csv $rows rows intact"

# ---- B: prlimit --fsize between the last two checkpoints -------------------------------------------
c29=$(stat -c %s "$ref/checkpoint_000029.hfck")
c30=$(stat -c %s "$ref/checkpoint_000030.hfck")
limit=$(( (c29 + c30) / 2 ))
out=$work/fsb   # as long a path as $ref: the checkpoints carry the log, which names the folder
prlimit --fsize="$limit" "$hepaflow" run "$case_file" -o "$out" -q --checkpoint-every 1 "${case_args[@]}" \
  > "$work/b.log" 2>&1
rc=$?
[ "$rc" = 4 ] || fail "B: exit $rc, expected 4"
grep -q "error: $out/checkpoint_000030.hfck: write failed: File too large" "$work/b.log" ||
  fail "B: message: $(tail -1 "$work/b.log")"
$checker check "$out" || fail "B: folder inconsistent"
[ -f "$out/checkpoint_000029.hfck" ] && [ ! -e "$out/checkpoint_000030.hfck" ] ||
  fail "B: expected checkpoint_000029.hfck and no checkpoint_000030.hfck: $(ls "$out" | grep checkpoint)"
ls "$out" | grep -q '\.tmp\.' && fail "B: temporary left"
"$hepaflow" run --resume "$out" -q > "$work/b_resume.log" 2>&1 || fail "B: resume failed: $(tail -2 "$work/b_resume.log")"
$checker compare "$out" "$ref" || fail "B: resumed results differ from the uninterrupted run"
echo "B (RLIMIT_FSIZE $limit bytes): exit $rc, $(tail -1 "$work/b.log"); resumed from checkpoint_000029.hfck, results identical"

# ---- C: a full tmpfs ----------------------------------------------------------------------------------
mkdir -p "$work/tmpfs"
if unshare -rm true 2> /dev/null &&
   unshare -rm sh -c "mount -t tmpfs -o size=6m tmpfs '$work/tmpfs'" 2> /dev/null; then
  unshare -rm sh -c "mount -t tmpfs -o size=6m tmpfs '$work/tmpfs' && bash '$0' '$1' '$2' '$work' tmpfs-inner"
  rc=$(cat "$work/c.rc" 2> /dev/null || echo none)
  [ "$rc" = 4 ] || fail "C: exit $rc, expected 4"
  grep -q "No space left on device" "$work/c.log" || fail "C: message: $(tail -1 "$work/c.log")"
  grep "hepaflow: error:" "$work/c.log" | grep -q "$work/tmpfs/run/" || fail "C: message names no file"
  $checker check "$work/c_copy" || fail "C: folder inconsistent"
  ls "$work/c_copy" | grep -q '\.tmp\.' && fail "C: temporary left"
  # Room again (the folder copied to the real disk): the run goes on from its last checkpoint.
  "$hepaflow" run --resume "$work/c_copy" -q > "$work/c_resume.log" 2>&1 ||
    fail "C: resume failed: $(tail -2 "$work/c_resume.log")"
  $checker compare "$work/c_copy" "$ref" || fail "C: resumed results differ from the uninterrupted run"
  echo "C (6 MiB tmpfs): exit $rc, $(grep 'hepaflow: error' "$work/c.log"); resumed elsewhere, results identical"
else
  echo "C (tmpfs): skipped, this machine refuses a tmpfs mount in a private namespace"
fi

[ "$failures" = 0 ] && echo OK || { echo "$failures failure(s)"; exit 1; }

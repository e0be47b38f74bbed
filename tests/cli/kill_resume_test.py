#!/usr/bin/env python3
"""Kill-and-resume tests of `hepaflow run --checkpoint-every` / `--resume` (issue 9, docs/reliability.md).

  kill_resume_test.py kill      HEPAFLOW SOURCE_DIR WORK_DIR [KILLS]
      An MSC-therapy run on a 2-layer slab of the F3 lobule (5.7e3 segments, 30 daily steps, sprouts,
      a checkpoint every step) is SIGKILLed KILLS times (default 20) at random moments (fixed seed)
      and resumed with --resume after each kill. After every kill history.csv must parse (every line
      complete, steps 0..n in order) and network.pvd must be valid XML whose .vtp files exist and are
      complete. A run killed before its first checkpoint must be refused by --resume (exit 4) and is
      started again. Every run that reaches its end must equal an uninterrupted run: history.csv
      byte for byte without the wall_time_s column, summary.json without wall_time_s, every .vtp
      and network.pvd byte for byte.
  kill_resume_test.py check DIR / compare DIR REFERENCE_DIR
      The folder checks alone (tests/cli/disk_full_test.sh uses them).
  kill_resume_test.py refusals  HEPAFLOW SOURCE_DIR WORK_DIR
      What --resume refuses, with its exit code and message: no checkpoint (4), every checkpoint
      corrupt (4), a changed case.resolved.toml (3), another checkpoint format version (3), a case
      file with --resume (2); a corrupt latest checkpoint falls back to the one before it and still
      gives the uninterrupted run's results.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

CASE_ARGS = ["--set", "network.layers=2", "--set", 'time.end="30 d"', "--set", 'time.output_interval="5 d"']
HISTORY_COLUMNS = 25
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, flush=True)
    return condition


def run(hepaflow, args, **kw):
    return subprocess.run([hepaflow] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def history_without_wall_time(path):
    with open(path) as f:
        lines = f.read().split("\n")
    header = lines[0].split(",")
    wall = header.index("wall_time_s")
    return "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != wall) if line else line
                     for line in lines)


def summary_without_wall_time(path):
    with open(path) as f:
        s = json.load(f)
    s.pop("wall_time_s", None)
    return s


def folder_is_consistent(folder, label):
    """history.csv and network.pvd as a reader sees them after a kill."""
    ok = True
    history = os.path.join(folder, "history.csv")
    if os.path.exists(history):
        with open(history) as f:
            text = f.read()
        ok &= check(text.endswith("\n"), f"{label}: history.csv does not end with a complete line")
        lines = text.rstrip("\n").split("\n")
        ok &= check(lines[0].startswith("step,time_d,") and len(lines[0].split(",")) == HISTORY_COLUMNS,
                    f"{label}: history.csv header")
        for n, line in enumerate(lines[1:]):
            cells = line.split(",")
            if not check(len(cells) == HISTORY_COLUMNS and int(cells[0]) == n,
                         f"{label}: history.csv row {n + 1} incomplete or out of order: {line[:60]}"):
                ok = False
                break
            try:
                [float(c) for c in cells]
            except ValueError:
                ok &= check(False, f"{label}: history.csv row {n + 1} does not parse")
    pvd = os.path.join(folder, "network.pvd")
    if os.path.exists(pvd):
        try:
            root = ET.parse(pvd).getroot()
            files = [d.get("file") for d in root.iter("DataSet")]
            ok &= check(len(files) > 0, f"{label}: network.pvd lists no data set")
            for name in files:
                vtp = os.path.join(folder, name)
                if not check(os.path.exists(vtp), f"{label}: network.pvd names {name}, which is missing"):
                    ok = False
                    continue
                with open(vtp, "rb") as f:
                    data = f.read()
                ok &= check(data.startswith(b"<?xml") or data.startswith(b"<VTKFile"), f"{label}: {name} header")
                ok &= check(data.rstrip().endswith(b"</VTKFile>"), f"{label}: {name} is truncated")
        except ET.ParseError as e:
            ok &= check(False, f"{label}: network.pvd is not valid XML: {e}")
    return ok


def same_results(folder, reference, label):
    ok = check(history_without_wall_time(os.path.join(folder, "history.csv")) ==
               history_without_wall_time(os.path.join(reference, "history.csv")),
               f"{label}: history.csv differs from the uninterrupted run")
    ok &= check(summary_without_wall_time(os.path.join(folder, "summary.json")) ==
                summary_without_wall_time(os.path.join(reference, "summary.json")),
                f"{label}: summary.json differs from the uninterrupted run")
    vtps = sorted(f for f in os.listdir(reference) if f.endswith(".vtp")) + ["network.pvd"]
    for name in vtps:
        with open(os.path.join(folder, name), "rb") as a, open(os.path.join(reference, name), "rb") as b:
            ok &= check(a.read() == b.read(), f"{label}: {name} differs from the uninterrupted run")
    ok &= check(sorted(f for f in os.listdir(folder) if f.endswith(".vtp")) == vtps[:-1],
                f"{label}: other .vtp files than the uninterrupted run's")
    return ok


def reference_run(hepaflow, case, work):
    reference = os.path.join(work, "reference")
    t0 = time.monotonic()
    r = run(hepaflow, ["run", case, "-o", reference, "--overwrite", "-q", "--checkpoint-every", "1"] + CASE_ARGS)
    seconds = time.monotonic() - t0
    if r.returncode != 0:
        print(r.stdout)
        sys.exit("the uninterrupted run failed")
    return reference, seconds


def kill_test(hepaflow, case, work, kills_wanted):
    reference, t_ref = reference_run(hepaflow, case, work)
    with open(os.path.join(reference, "history.csv")) as f:
        steps = len(f.read().strip().split("\n")) - 2  # header, step 0
    sprouts = summary_without_wall_time(os.path.join(reference, "summary.json"))["sprouts"]
    print(f"uninterrupted run: {steps} steps, {sprouts} sprouts, {t_ref:.2f} s", flush=True)
    rng = random.Random(20240909)
    kills = refused = resumes = chains = 0
    t0 = time.monotonic()
    # Kill delays: uniform over [0.02 s, t_ref / 6], so that ~20 kills land all over one run, during
    # the set-up, the steps, the writes and the resumes alike.
    max_delay = max(0.1, t_ref / 6)
    while kills < kills_wanted:
        chains += 1
        folder = os.path.join(work, f"chain_{chains}")
        shutil.rmtree(folder, ignore_errors=True)
        command = ["run", case, "-o", folder, "-q", "--checkpoint-every", "1"] + CASE_ARGS
        while True:
            p = subprocess.Popen([hepaflow] + command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            finished = False
            if kills < kills_wanted:
                try:
                    p.wait(timeout=rng.uniform(0.02, max_delay))
                    finished = True
                except subprocess.TimeoutExpired:
                    p.send_signal(signal.SIGKILL)
                    p.wait()
                    kills += 1
            else:
                p.wait()
                finished = True
            stderr = p.stderr.read()
            p.stderr.close()
            if finished:
                check(p.returncode == 0, f"chain {chains}: exit {p.returncode}: {stderr[-400:]}")
                if p.returncode == 0:
                    same_results(folder, reference, f"chain {chains}")
                break
            folder_is_consistent(folder, f"kill {kills}")
            # A complete checkpoint only: a kill during its atomic write leaves checkpoint_NNNNNN.hfck.tmp.PID,
            # which --resume ignores (and removes).
            has_checkpoint = (any(re.fullmatch(r"checkpoint_\d{6}\.hfck", f) for f in os.listdir(folder))
                              if os.path.isdir(folder) else False)
            if has_checkpoint:
                resumes += 1
                command = ["run", "--resume", folder, "-q"]
            else:
                # Killed before its first checkpoint: --resume refuses (exit 4), the run starts again.
                r = run(hepaflow, ["run", "--resume", folder, "-q"])
                check(r.returncode == 4 and ("no checkpoint" in r.stdout or "no such run folder" in r.stdout or
                                             "is not the output folder" in r.stdout),
                      f"kill {kills}: --resume without a checkpoint gave exit {r.returncode}: {r.stdout[-300:]}")
                refused += 1
                command = ["run", case, "-o", folder, "--overwrite", "-q", "--checkpoint-every", "1"] + CASE_ARGS
    seconds = time.monotonic() - t0
    checkpoint = os.path.join(reference, f"checkpoint_{steps:06d}.hfck")
    size = os.path.getsize(checkpoint)
    segments = summary_without_wall_time(os.path.join(reference, "summary.json"))["segments"]
    print(f"{kills} SIGKILLs over {chains} run(s) of {steps} steps: {resumes} resumed from a checkpoint, "
          f"{refused} killed before the first checkpoint (refused, restarted); {seconds:.1f} s "
          f"(uninterrupted run {t_ref:.2f} s); checkpoint {size} bytes = {size / segments:.0f} bytes per segment "
          f"({segments} segments)", flush=True)


def refusal_test(hepaflow, case, work):
    reference, _ = reference_run(hepaflow, case, work)
    steps = 30
    last, previous = f"checkpoint_{steps:06d}.hfck", f"checkpoint_{steps - 1:06d}.hfck"
    check(sorted(f for f in os.listdir(reference) if f.startswith("checkpoint_")) == [previous, last],
          "the finished run keeps its last two checkpoints")

    def copy(name):
        folder = os.path.join(work, name)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(reference, folder)
        return folder

    def expect(args, code, words, label):
        r = run(hepaflow, args)
        check(r.returncode == code and all(w in r.stdout for w in words),
              f"{label}: expected exit {code} and {words}, got exit {r.returncode}: {r.stdout[-400:]}")
        return r

    def flip_byte(path, offset):
        with open(path, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 0xFF]))

    # No checkpoint at all.
    folder = copy("none")
    for f in os.listdir(folder):
        if f.startswith("checkpoint_"):
            os.remove(os.path.join(folder, f))
    expect(["run", "--resume", folder], 4, ["no checkpoint"], "no checkpoint")
    expect(["run", "--resume", os.path.join(work, "nowhere")], 4, ["no such run folder"], "no folder")
    # The latest corrupt: skipped, the one before it is used; the results stay the uninterrupted run's.
    folder = copy("latest_corrupt")
    flip_byte(os.path.join(folder, last), 5000)
    r = expect(["run", "--resume", folder], 0, ["skipped", "checksum mismatch", previous], "latest corrupt")
    same_results(folder, reference, "resumed from the checkpoint before a corrupt one")
    # Every checkpoint corrupt (one truncated, one with a flipped byte).
    folder = copy("all_corrupt")
    flip_byte(os.path.join(folder, last), 100)
    with open(os.path.join(folder, previous), "r+b") as f:
        f.truncate(1000)
    expect(["run", "--resume", folder], 4, ["no valid checkpoint", "checksum mismatch", "corrupt"], "all corrupt")
    # Another case: case.resolved.toml edited after the run.
    folder = copy("other_case")
    with open(os.path.join(folder, "case.resolved.toml"), "a") as f:
        f.write("# edited\n")
    expect(["run", "--resume", folder], 3, ["different case"], "changed case")
    # Another checkpoint format version (header bytes 8-11).
    folder = copy("other_version")
    for name in (last, previous):
        with open(os.path.join(folder, name), "r+b") as f:
            f.seek(8)
            f.write((99).to_bytes(4, "little"))
    expect(["run", "--resume", folder], 3, ["format version 99"], "other format version")
    # Usage: --resume takes no case file.
    expect(["run", case, "--resume", folder], 2, ["takes no case file"], "case with --resume")
    print("refusals: no checkpoint / no folder -> 4, all corrupt -> 4, changed case -> 3, other format -> 3, "
          "case with --resume -> 2; corrupt latest -> previous checkpoint used, results identical", flush=True)


def main():
    if sys.argv[1] in ("check", "compare"):
        ok = folder_is_consistent(sys.argv[2], sys.argv[2]) if sys.argv[1] == "check" else \
            same_results(sys.argv[2], sys.argv[3], sys.argv[2])
        sys.exit(0 if ok else 1)
    mode, hepaflow, source, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    case = os.path.join(source, "cases", "msc_dose_response", "case.toml")
    if mode == "kill":
        kill_test(hepaflow, case, work, int(sys.argv[5]) if len(sys.argv) > 5 else 20)
    elif mode == "refusals":
        refusal_test(hepaflow, case, work)
    else:
        sys.exit("mode: kill | refusals")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()

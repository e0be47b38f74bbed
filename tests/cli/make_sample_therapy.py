#!/usr/bin/env python3
"""Write synthetic hepaflow therapy outputs (time series, history, sweep) without hepaflow.

The therapy runs' file formats follow the spec of the therapy outputs (network.pvd with time in
days, the therapy cell arrays, history.csv with its exact columns, sweep.csv); the numbers are
made up (smooth, plausible trends) so that the postproc scripts can be tested before the solver
writes such runs. Pure python3 standard library; the network is make_sample_network.py's lobule.

usage: make_sample_therapy.py OUTPUT_DIR
  OUTPUT_DIR/msc       F3 lobule, MSC therapy: network_00000N.vtp (days 0, 7, 14, 21, 28),
                       network.pvd, tissue_00000N.vti + tissue.pvd, history.csv (daily),
                       summary.json, run_info.json, case.resolved.toml, log.txt
  OUTPUT_DIR/control   the same lobule without therapy (history.csv, summary.json, ... and the
                       first and last network step)
  OUTPUT_DIR/sweep     sweep.csv (therapy.dose x therapy.route, one failed run) and run_NNN/
                       folders with history.csv, summary.json, case.resolved.toml
"""
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_sample_network import (SINUSOID, build_lobule, segment_arrays, write_atomic,  # noqa
                                 write_pvd, write_vtp, data_array)

HISTORY_COLUMNS = (
    "step,time_d,pressure_drop_mmHg,resistance_mmHg_min_per_nl,total_flow_nl_per_min,"
    "perfused_fraction,flow_cv,shunt_flow_fraction,po2_periportal_mmHg,po2_midzonal_mmHg,"
    "po2_pericentral_mmHg,po2_tissue_mean_mmHg,hypoxic_fraction,function_index,cpa_mean,"
    "cpa_periportal,cpa_midzonal,cpa_pericentral,hsc_activation_mean,closed_fraction,"
    "msc_in_liver,msc_signal_mean,segments,sprouts,wall_time_s").split(",")
SWEEP_METRICS = [c for c in HISTORY_COLUMNS
                 if c not in ("step", "time_d", "segments", "sprouts", "wall_time_s")]
OUTPUT_DAYS = (0.0, 7.0, 14.0, 21.0, 28.0)
END_DAY = 28


def history_rows(effect, segments=454):
    """Daily history rows of a 28-day run; effect 0 (no therapy) .. ~1 (strong)."""
    rows = []
    for day in range(END_DAY + 1):
        recovery = effect * (1.0 - math.exp(-day / 10.0))  # 0 -> effect
        msc = (effect > 0.0) * 3.5e7 * (0.5 ** (day / 1.5)
                                          + (day >= 14) * 0.5 ** ((day - 14) / 1.5))
        sprouts = int(round(12 * recovery))
        resistance = 0.0040 * (1.0 - 0.35 * recovery)
        flow = 5.0 / resistance / 1000.0 * 1000.0  # nl/min at 5 mmHg
        row = {
            "step": day, "time_d": float(day), "pressure_drop_mmHg": 5.0,
            "resistance_mmHg_min_per_nl": resistance, "total_flow_nl_per_min": flow,
            "perfused_fraction": 0.68 + 0.2 * recovery, "flow_cv": 1.4 - 0.4 * recovery,
            "shunt_flow_fraction": 0.22 - 0.08 * recovery,
            "po2_periportal_mmHg": 58.0 + 4.0 * recovery,
            "po2_midzonal_mmHg": 38.0 + 8.0 * recovery,
            "po2_pericentral_mmHg": 21.0 + 9.0 * recovery,
            "po2_tissue_mean_mmHg": 33.0 + 7.0 * recovery,
            "hypoxic_fraction": 0.12 * (1.0 - 0.7 * recovery),
            "function_index": 0.62 + 0.25 * recovery,
            "cpa_mean": 0.12 * (1.0 - 0.5 * recovery),
            "cpa_periportal": 0.18 * (1.0 - 0.45 * recovery),
            "cpa_midzonal": 0.11 * (1.0 - 0.5 * recovery),
            "cpa_pericentral": 0.07 * (1.0 - 0.55 * recovery),
            "hsc_activation_mean": 0.7 * (1.0 - 0.6 * recovery),
            "closed_fraction": 0.2 * (1.0 - 0.5 * recovery),
            "msc_in_liver": msc, "msc_signal_mean": msc / 3.5e7 * 4.0e4,
            "segments": segments + sprouts, "sprouts": sprouts, "wall_time_s": 0.8 * (day + 1),
        }
        rows.append(row)
    return rows


def write_history(folder, rows):
    lines = [",".join(HISTORY_COLUMNS)]
    for row in rows:
        lines.append(",".join(("%d" % row[c]) if c in ("step", "segments", "sprouts")
                              else "%.9g" % row[c] for c in HISTORY_COLUMNS))
    write_atomic(os.path.join(folder, "history.csv"), "\n".join(lines) + "\n")


def write_metadata(folder, name, dose, route, rows):
    final = rows[-1]
    summary = {"case": name, "segments": final["segments"], "nodes": 291,
               "backend": "cpu", "oxygen_tissue_model": "grid", "end_time_d": final["time_d"]}
    summary.update({k: v for k, v in final.items() if k not in ("step", "time_d")})
    summary.update({"initial_" + k: v for k, v in rows[0].items()
                    if k not in ("step", "time_d", "segments", "sprouts", "wall_time_s",
                                 "msc_in_liver", "msc_signal_mean")})
    write_atomic(os.path.join(folder, "summary.json"), json.dumps(summary, indent=2) + "\n")
    info = {"hepaflow_version": "0.1.0", "git_hash": "0123456789ab",
            "date_utc": "2026-11-24T12:00:00Z", "backend": "cpu", "device": "host CPU",
            "cuda_built": False, "case_path": "/cases/%s/case.toml" % name,
            "case_sha256": "0" * 64, "command_line": "hepaflow run case.toml -o %s" % name,
            "timings": {"case_s": 0.001, "total_s": final["wall_time_s"]}}
    write_atomic(os.path.join(folder, "run_info.json"), json.dumps(info, indent=2) + "\n")
    write_atomic(os.path.join(folder, "case.resolved.toml"),
                 'schema_version = 1\n\n[case]\nname = "%s"\n'
                 'description = "Synthetic F3 lobule for the postproc tests"\n\n'
                 '[disease]\nstage = "F3"\n\n[oxygen]\ntissue_model = "grid"\n'
                 'hypoxia_threshold = "10 mmHg"\n\n'
                 '[therapy]\ndose = "%s"\nroute = "%s"\ncount = 2\ninterval = "14 d"\n\n'
                 '[time]\nend = "28 d"\nstep = "1 d"\noutput_interval = "7 d"\n'
                 % (name, dose, route))
    write_atomic(os.path.join(folder, "log.txt"),
                 "hepaflow 0.1.0: synthetic run %s (make_sample_therapy.py)\n" % name)


def write_network_series(folder, effect, days, seed=3):
    """network_NNNNNN.vtp per output day with the therapy arrays, and network.pvd."""
    entries = []
    for index, day in enumerate(days):
        rng = random.Random(seed)  # same geometry and node order at every step
        points, node_radius, node_pressure, segments, circumradius = build_lobule(rng)
        recovery = effect * (1.0 - math.exp(-day / 10.0))
        zone_of = []
        for a, b, kind in segments:
            pa, pb = points[a], points[b]
            mid_r = math.hypot(0.5 * (pa[0] + pb[0]), 0.5 * (pa[1] + pb[1]))
            zone_of.append(max(0.0, min(1.0, 1.0 - mid_r / circumradius)))
        closed_draw = [random.Random(1000 + i).random() for i in range(len(segments))]
        activation = [(0.85 - 0.3 * z) * (1.0 - 0.6 * recovery) for z in zone_of]
        tone = [0.8 * (1.0 - 0.7 * recovery) for _ in zone_of]
        closed = [1 if (k == SINUSOID and closed_draw[i] < 0.25 * (1.0 - 0.6 * recovery)) else 0
                  for i, (_, _, k) in enumerate(segments)]
        radius_factor = [(1.0 - 0.3 * activation[i] * tone[i]) * (0.02 if closed[i] else 1.0)
                         if segments[i][2] == SINUSOID else 1.0 for i in range(len(segments))]
        conn, cell = segment_arrays(rng, points, node_radius, node_pressure, segments,
                                    circumradius, radius_factor)
        po2 = []
        for i, z in enumerate(zone_of):
            base = 62.0 - (40.0 - 9.0 * recovery) * z + 3.0 * (closed_draw[i] - 0.5)
            po2.append(base if segments[i][2] == SINUSOID else
                       (64.0 if segments[i][2] != 4 else 24.0 + 8.0 * recovery))
        cell["flow_nl_per_min"] = [0.0 if c else q for c, q in zip(closed, cell["flow_nl_per_min"])]
        cell["velocity_mm_per_s"] = [0.0 if c else v
                                     for c, v in zip(closed, cell["velocity_mm_per_s"])]
        cell["po2_in_mmHg"] = [p + 2.0 for p in po2]
        cell["po2_out_mmHg"] = [p - 2.0 for p in po2]
        cell["po2_mean_mmHg"] = [float("nan") if c else p for c, p in zip(closed, po2)]
        cell["so2"] = [p ** 2.7 / (p ** 2.7 + 26.8 ** 2.7) for p in po2]
        cell["hsc_activation"] = activation
        cell["hsc_tone"] = tone
        cell["capillarization"] = [0.5 * a for a in activation]
        cell["collagen"] = [(0.18 - 0.11 * z) * (1.0 - 0.5 * recovery) for z in zone_of]
        cell["closed"] = closed
        cell["msc_signal"] = [effect * 4e4 * math.exp(-day / 3.0) * (1.2 - z) for z in zone_of]
        cell["msc_effect"] = [effect * math.exp(-day / 12.0) for _ in zone_of]
        cell["segment_age_d"] = [day for _ in zone_of]
        cell["radius_factor"] = radius_factor
        name = "network_%06d.vtp" % index
        write_vtp(os.path.join(folder, name), points,
                  {"node_id": range(len(points)), "radius_um": node_radius,
                   "pressure_mmHg": node_pressure,
                   "po2_mmHg": [62.0 - 38.0 * (1.0 - math.hypot(p[0], p[1]) / circumradius)
                                for p in points]}, cell, conn)
        entries.append((day, name))
    write_pvd(os.path.join(folder, "network.pvd"), entries)


def write_tissue_series(folder, effect, days):
    """tissue_NNNNNN.vti (40 x 36 x 6 cells of 25 um over the lobule) and tissue.pvd."""
    nx, ny, nz, h = 40, 36, 6, 25.0
    origin = (-500.0, -450.0, 0.0)
    entries = []
    for index, day in enumerate(days):
        recovery = effect * (1.0 - math.exp(-day / 10.0))
        po2, consumption, hypoxic, region = [], [], [], []
        for k in range(nz):
            for j in range(ny):
                for i in range(nx):
                    x, y = origin[0] + (i + 0.5) * h, origin[1] + (j + 0.5) * h
                    zone = max(0.0, 1.0 - math.hypot(x, y) / 500.0)
                    p = 58.0 - (50.0 - 12.0 * recovery) * zone ** 1.5 + 2.0 * math.sin(x / 60.0)
                    po2.append(p)
                    consumption.append(0.9 * p / (p + 1.0) * (1.5 - 0.6 * zone))
                    hypoxic.append(1 if p < 10.0 else 0)
                    region.append(1 if abs(x) < 450.0 and abs(y) < 400.0 else 0)
        name = "tissue_%06d.vti" % index
        extent = "0 %d 0 %d 0 %d" % (nx, ny, nz)
        write_atomic(os.path.join(folder, name),
                     '<?xml version="1.0"?>\n'
                     '<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" '
                     'header_type="UInt64">\n'
                     '  <ImageData WholeExtent="%s" Origin="%r %r %r" Spacing="%r %r %r">\n'
                     '    <Piece Extent="%s">\n      <CellData Scalars="po2_mmHg">\n'
                     % ((extent,) + origin + (h, h, h) + (extent,))
                     + data_array("po2_mmHg", po2)
                     + data_array("consumption_ml_per_ml_per_min", consumption)
                     + data_array("hypoxic", hypoxic) + data_array("in_region", region)
                     + '      </CellData>\n    </Piece>\n  </ImageData>\n</VTKFile>\n')
        entries.append((day, name))
    write_pvd(os.path.join(folder, "tissue.pvd"), entries)


def dose_effect(dose, route):
    """Emax effect with a threshold and a plateau (MODEL.md 5), route-dependent delivery."""
    delivered = dose * {"iv": 0.25, "portal_vein": 1.0}[route]
    x = max(0.0, delivered - 1e5)
    return 1.0 * x ** 1.5 / (4e5 ** 1.5 + x ** 1.5)


def write_sweep(folder):
    doses = ["0 cells/kg", "1e5 cells/kg", "3e5 cells/kg", "1e6 cells/kg", "3e6 cells/kg",
             "1e7 cells/kg"]
    routes = ["portal_vein", "iv"]
    header = ["run", "folder", "therapy.dose", "therapy.route", "status"]
    for metric in SWEEP_METRICS:
        header += ["final_" + metric, "mean_" + metric, "change_" + metric]
    lines = [",".join(header)]
    run = 0
    for route in routes:
        for dose in doses:
            name = "run_%03d" % run
            run_dir = os.path.join(folder, name)
            os.makedirs(run_dir, exist_ok=True)
            failed = route == "iv" and dose.startswith("3e5")
            values = [str(run), name, dose, route, "failed: exit 5" if failed else "ok"]
            if failed:
                values += [""] * (3 * len(SWEEP_METRICS))
                write_atomic(os.path.join(run_dir, "log.txt"), "error: no convergence\n")
            else:
                rows = history_rows(dose_effect(float(dose.split()[0]), route))
                write_history(run_dir, rows)
                write_metadata(run_dir, "sweep_" + name, dose, route, rows)
                for metric in SWEEP_METRICS:
                    series = [r[metric] for r in rows]
                    values += ["%.9g" % series[-1], "%.9g" % (sum(series) / len(series)),
                               "%.9g" % (series[-1] - series[0])]
            lines.append(",".join(values))
            run += 1
    write_atomic(os.path.join(folder, "sweep.csv"), "\n".join(lines) + "\n")
    return run


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: make_sample_therapy.py OUTPUT_DIR\n")
        return 2
    out = argv[1]
    msc, control, sweep = (os.path.join(out, n) for n in ("msc", "control", "sweep"))
    for folder in (msc, control, sweep):
        os.makedirs(folder, exist_ok=True)
    write_network_series(msc, 1.0, OUTPUT_DAYS)
    write_tissue_series(msc, 1.0, OUTPUT_DAYS)
    rows = history_rows(1.0)
    write_history(msc, rows)
    write_metadata(msc, "sample_f3_msc", "1e6 cells/kg", "portal_vein", rows)
    write_network_series(control, 0.0, (OUTPUT_DAYS[0], OUTPUT_DAYS[-1]))
    rows = history_rows(0.0)
    write_history(control, rows)
    write_metadata(control, "sample_f3_control", "0 cells/kg", "portal_vein", rows)
    runs = write_sweep(sweep)
    print("wrote %s (therapy, %d steps), %s (control), %s (%d runs)"
          % (msc, len(OUTPUT_DAYS), control, sweep, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

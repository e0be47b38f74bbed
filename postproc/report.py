#!/usr/bin/env python3
"""Write OUTDIR/report.html: pictures, plots, case, summary metrics and provenance of a run.

    python3 postproc/report.py OUTDIR [--compare OTHER ...] [--labels NAME ...] [--no-render]
        [--arrays ARRAY ...] [--slab-thickness 30] [--size 1600 1200] [--self-contained]
        [--output OUTDIR/report.html]

OUTDIR is a hepaflow output folder (run) or sweep folder (sweep.csv). The pictures and plots go to
OUTDIR/report_files/:
  - renders (ParaView, through postproc/pvbatch.sh, headless under xvfb-run): the network coloured
    by flow (log scale), vessel PO2 and (therapy runs) collagen -- for dense 3-D networks (more
    than 5000 segments) a mid-height slab seen from above plus an oblique overview, else the
    whole network --, a time series of frames of
    the vessel PO2 (runs with several output steps) and a tissue PO2 slice (runs with a tissue
    grid); ParaView state files to open them in the GUI;
  - plots (matplotlib): time courses (history.csv), the zonation profile (PO2 portal -> central),
    histograms of flow, velocity, shear stress and PO2 (and their table, as the reference codes
    print it) and, for a sweep, the dose-response curves and a table of the runs.
The page also shows the summary metrics (summary.json; initial / final / change for therapy runs),
the resolved case (case.resolved.toml), the provenance (run_info.json) and the end of log.txt, and
links these files. --compare OTHER adds other runs to the time courses and the zonation profile and
a table of their final metrics (e.g. a therapy against its control). --no-render skips ParaView
(also skipped, with a note, when pvbatch or ParaView's Python modules are missing).
--self-contained embeds the pictures and texts in report.html (one file to send); by default the
page links the files in OUTDIR by relative paths, so keep OUTDIR together (zip it).

Exit codes: 0 report written, 1 report written but a picture or plot failed (listed in the report
and on stderr), 2 usage, 4 I/O (OUTDIR missing or not a hepaflow output folder, report not
written), 6 numpy/matplotlib missing (python3-matplotlib).
"""
import argparse
import base64
import datetime
import html
import json
import math
import os
import shutil
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import (DIRECTIONAL_ARRAYS, EXIT_IO, EXIT_USAGE,  # noqa: E402
                             PostprocError, case_name,
                             find_series, format_days, quantity_unit, read_case, run_main,
                             series_steps, write_text)
import hepaflow_plots as plots  # noqa: E402
import plot_dose_response  # noqa: E402
import plot_histograms  # noqa: E402
import plot_history  # noqa: E402
import plot_zonation  # noqa: E402

PROG = "report"
HERE = os.path.dirname(os.path.abspath(__file__))
FILES = "report_files"
NETWORK_ARRAYS = ("flow_nl_per_min", "po2_mean_mmHg", "collagen")
DENSE_SEGMENTS = 5000


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="report.py",
        description="Write OUTDIR/report.html with the pictures, plots, case, summary metrics and "
                    "provenance of a hepaflow run or sweep.")
    parser.add_argument("outdir", help="hepaflow output folder (or sweep folder)")
    parser.add_argument("--compare", nargs="+", default=[], metavar="OTHER",
                        help="other output folders to compare with (time courses, zonation, "
                             "final metrics)")
    parser.add_argument("--labels", nargs="+", default=None, metavar="NAME",
                        help="names of OUTDIR and the --compare runs (default: case names)")
    parser.add_argument("--no-render", action="store_true", help="no ParaView pictures")
    parser.add_argument("--arrays", nargs="+", default=None, metavar="ARRAY",
                        help="network arrays to render (default: flow_nl_per_min, "
                             "po2_mean_mmHg, collagen where present)")
    parser.add_argument("--slab-thickness", type=float, default=30.0, metavar="UM",
                        help="3-D networks: thickness of the mid-height slab drawn from above "
                             "(default 30 um)")
    parser.add_argument("--size", nargs=2, type=int, default=[1600, 1200], metavar=("W", "H"),
                        help="size of the rendered pictures in pixels (default: 1600 1200)")
    parser.add_argument("--self-contained", action="store_true",
                        help="embed pictures and texts in the HTML (one file to send)")
    parser.add_argument("--output", "-o", default=None,
                        help="HTML file to write (default: OUTDIR/report.html)")
    args = parser.parse_args(argv)
    if not (200 <= args.size[0] <= 8000 and 150 <= args.size[1] <= 8000):
        parser.error("--size must be between 200x150 and 8000x8000 pixels")
    if args.slab_thickness <= 0.0:
        parser.error("--slab-thickness must be positive")
    if args.labels is not None and len(args.labels) != 1 + len(args.compare):
        parser.error("--labels: give one name for OUTDIR and one per --compare run (%d)"
                     % (1 + len(args.compare)))
    return args


class Report:
    """Collects the report's parts; problems (failed parts) and notes (skipped parts)."""

    def __init__(self, folder, output, self_contained):
        self.folder, self.output, self.self_contained = folder, output, self_contained
        self.files = os.path.join(folder, FILES)
        self.problems, self.notes = [], []

    def file(self, name):
        return os.path.join(self.files, name)

    def attempt(self, what, function, *args, **kwargs):
        """Run one part; a PostprocError becomes a problem of the report (not the end of it)."""
        try:
            return function(*args, **kwargs)
        except PostprocError as e:
            self.fail(what, e)
            return None

    def fail(self, what, message):
        self.problems.append("%s: %s" % (what, message))
        sys.stderr.write("%s: warning: %s failed: %s\n" % (PROG, what, message))

    def link(self, path):
        """Relative URL of a file beside the report (it must exist)."""
        relative = os.path.relpath(path, os.path.dirname(self.output))
        return urllib.parse.quote(relative.replace(os.sep, "/"))

    def img(self, path, alt, width=None):
        if self.self_contained:
            with open(path, "rb") as f:
                source = "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")
        else:
            source = self.link(path)
        return '<img src="%s" alt="%s"%s>' % (source, html.escape(alt),
                                               ' width="%d"' % width if width else "")

    def figure(self, path, caption):
        if not path or not os.path.isfile(path):
            return ""
        image = self.img(path, caption)
        if not self.self_contained:
            image = '<a href="%s">%s</a>' % (self.link(path), image)
        return "<figure>%s<figcaption>%s</figcaption></figure>\n" % (image, html.escape(caption))

    def file_link(self, path, text=None):
        """A link to a file (only when it exists; none in a self-contained report)."""
        if self.self_contained or not os.path.isfile(path):
            return html.escape(text or os.path.basename(path))
        return '<a href="%s">%s</a>' % (self.link(path), html.escape(text or
                                                                     os.path.basename(path)))


# --- rendering through pvbatch ----------------------------------------------------------------

def pvbatch(report, what, script, arguments, timeout=3600):
    """Run a render script with postproc/pvbatch.sh; True when it worked."""
    command = ["bash", os.path.join(HERE, "pvbatch.sh"), os.path.join(HERE, script)] + arguments
    print("%s: %s" % (PROG, " ".join(command)))
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        report.fail(what, "%s did not finish in %d s" % (script, timeout))
        return False
    sys.stdout.write(done.stdout)
    if done.returncode == 0:
        return True
    tail = " ".join(line.strip() for line in done.stdout.strip().splitlines()[-3:])
    if done.returncode in (6, 77):  # ParaView (or its Python modules, or xvfb) missing
        report.notes.append("%s skipped: ParaView is not usable here (%s)" % (what, tail))
    else:
        report.fail(what, "%s exited %d: %s" % (script, done.returncode, tail))
    return False


def render_pictures(report, args, network, tissue):
    """The ParaView pictures: [(path, caption)] by section."""
    pictures = {"network": [], "frames": [], "tissue": []}
    if args.no_render:
        report.notes.append("ParaView pictures skipped (--no-render)")
        return pictures
    if not shutil.which("pvbatch"):
        report.notes.append("ParaView pictures skipped: pvbatch is not installed (Debian: "
                            "apt-get install paraview xvfb)")
        return pictures
    width, height = args.size
    size = ["--size", str(width), str(height)]
    if network:
        steps = series_steps(network)
        info = report.attempt("reading %s" % steps[-1][1], plots.read_data_info, steps[-1][1])
        if info:
            known = info["cell_arrays"] + info["point_arrays"]
            unknown = [a for a in args.arrays or [] if a not in known]
            if unknown:
                raise PostprocError("--arrays: unknown array(s) %s in %s\n  arrays: %s"
                                    % (", ".join(unknown), steps[-1][1], ", ".join(known)),
                                    EXIT_USAGE)
            arrays = args.arrays or [a for a in NETWORK_ARRAYS if a in known] or known[:1]
            bounds = info["bounds"]
            extent = [bounds[2 * i + 1] - bounds[2 * i] for i in range(3)]
            # Dense 3-D networks (a lobule) hide their inside: a mid-height slab from above, plus
            # an overview of the whole network. Small or flat ones: the whole network.
            three_d = extent[2] > 0.05 * max(extent) and info["cells"] > DENSE_SEGMENTS
            slab = ["--slab", "z", "0.5", "%g" % args.slab_thickness] if three_d else []
            # Flow, velocity, shear stress span decades: log colour scales. Robust colour
            # ranges (1st to 99th percentile): a few extreme segments do not wash out the map.
            log = [a for a in arrays if a in DIRECTIONAL_ARRAYS]
            colours = ["--range-percentile", "1"] + (["--log-arrays"] + log if log else [])
            when = " at t = %s" % format_days(steps[-1][0]) if len(steps) > 1 else ""
            if pvbatch(report, "network pictures", "render_network.py",
                       [network, "--array"] + arrays + slab + size + colours
                       + ["--output", report.file("network_{array}.png"),
                          "--state", report.file("network.pvsm")]):
                for array in arrays:
                    pictures["network"].append((report.file("network_%s.png" % array), "%s%s%s" % (
                        plots.axis_label(*quantity_unit(array)), when,
                        (": the vessels of a %g \u00b5m slab at mid-height, seen from above"
                         % args.slab_thickness) if three_d else "")))
            if three_d and pvbatch(report, "network overview", "render_network.py",
                                   [network, "--array", arrays[0], "--range-percentile", "1"]
                                   + (["--log"] if arrays[0] in log else []) + size
                                   + ["--output", report.file("network_overview.png")]):
                pictures["network"].append((report.file("network_overview.png"),
                                            "The whole network%s, coloured by %s" % (
                                                when, plots.axis_label(*quantity_unit(arrays[0])))))
            if len(steps) > 1:
                frame_array = "po2_mean_mmHg" if "po2_mean_mmHg" in info["cell_arrays"] \
                    else arrays[0]
                every = max(1, math.ceil((len(steps) - 1) / 8.0))
                frames_dir = report.file("frames")
                if pvbatch(report, "time-series frames", "render_animation.py",
                           [network, "--array", frame_array, "--every", str(every),
                            "--range-percentile", "1", "--size", str(width // 2),
                            str(height // 2), "--output-dir", frames_dir,
                            "--state", report.file("time_series.pvsm")]
                           + (["--log"] if frame_array in log else []) + slab):
                    index = os.path.join(frames_dir, "%s_frames.csv" % frame_array)
                    _, rows = plots.read_table(index)
                    for row in rows:
                        pictures["frames"].append((os.path.join(frames_dir, row[2]),
                                                   "t = %s" % format_days(float(row[1]))))
    if tissue:
        if pvbatch(report, "tissue slice", "render_tissue.py",
                   [tissue] + size + ["--output", report.file("tissue_po2_mmHg.png"),
                                      "--state", report.file("tissue.pvsm")]):
            pictures["tissue"].append((report.file("tissue_po2_mmHg.png"),
                                       "Tissue PO\u2082 in a slice through the middle of the "
                                       "tissue grid, with the vessels near it"))
    return pictures


# --- HTML pieces -------------------------------------------------------------------------------

def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_text(path, tail_lines=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    if tail_lines and len(lines) > tail_lines:
        lines = ["[... %d earlier lines ...]" % (len(lines) - tail_lines)] + lines[-tail_lines:]
    return "\n".join(lines)


def show_value(value, factor=1.0):
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "n/a"
        if isinstance(value, int) and factor == 1.0:
            return str(value)
        return plots.format_number(value * factor)
    return html.escape(str(value))


def metric_label(key):
    name, unit, factor = plots.metric_info(key)
    return plots.axis_label(name, unit), factor


def summary_table(summary):
    """The summary metrics; therapy runs (initial_X beside X): initial, final and change."""
    initial = {k[len("initial_"):] for k in summary if k.startswith("initial_")}
    rows = []
    if initial:
        rows.append("<tr><th>metric</th><th>initial</th><th>final</th><th>change</th></tr>")
        for key in [k for k in summary if k in initial]:
            label, factor = metric_label(key)
            first, last = summary.get("initial_" + key), summary.get(key)
            change = (last - first) if isinstance(first, (int, float)) and isinstance(
                last, (int, float)) and not isinstance(first, bool) else None
            rows.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                html.escape(label), show_value(first, factor), show_value(last, factor),
                show_value(change, factor)))
        rows.append('<tr><th colspan="4">other metrics</th></tr>')
    for key, value in summary.items():
        if key in initial or key.startswith("initial_"):
            continue
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        label, factor = metric_label(key)
        rows.append('<tr><td>%s</td><td colspan="%d">%s</td></tr>'
                    % (html.escape(label), 3 if initial else 1, show_value(value, factor)))
    return "<table>\n%s\n</table>\n" % "\n".join(rows)


def flatten(data, prefix=""):
    items = []
    for key, value in data.items():
        if isinstance(value, dict):
            items += flatten(value, prefix + key + ".")
        else:
            items.append((prefix + key, value))
    return items


def key_value_table(items):
    return "<table>\n%s\n</table>\n" % "\n".join(
        "<tr><td>%s</td><td>%s</td></tr>" % (html.escape(k), show_value(v)) for k, v in items)


def comparison_table(runs):
    """Final metrics of several runs side by side (keys of the first run's summary)."""
    summaries = [read_json(os.path.join(folder, "summary.json")) or {} for folder, _ in runs]
    header = "<tr><th>metric</th>%s</tr>" % "".join("<th>%s</th>" % html.escape(label)
                                                    for _, label in runs)
    rows = [header]
    for key, value in summaries[0].items():
        if (key.startswith("initial_") or isinstance(value, (bool, dict, list, str))
                or not all(key in s for s in summaries[1:])):
            continue
        label, factor = metric_label(key)
        rows.append("<tr><td>%s</td>%s</tr>" % (html.escape(label), "".join(
            "<td>%s</td>" % show_value(s.get(key), factor) for s in summaries)))
    return "<table>\n%s\n</table>\n" % "\n".join(rows)


def sweep_table(report, sweep, metrics):
    head = "".join("<th>%s</th>" % html.escape(h) for h in
                   ["run"] + sweep.params + ["status"] + [metric_label(m)[0] for m in metrics])
    rows = ["<tr>%s</tr>" % head]
    for run in sweep.runs:
        folder = os.path.join(sweep.folder, run["folder"])
        target = next((os.path.join(folder, n) for n in ("report.html", "summary.json")
                       if os.path.isfile(os.path.join(folder, n))), None)
        name = report.file_link(target, run["folder"]) if target else html.escape(run["folder"])
        cells = [name] + [html.escape(run["params"][p]) for p in sweep.params]
        cells.append(html.escape(run["status"]))
        cells += [show_value(run["metrics"].get(m), metric_label(m)[1]) for m in metrics]
        rows.append("<tr>%s</tr>" % "".join("<td>%s</td>" % c for c in cells))
    return "<table>\n%s\n</table>\n" % "\n".join(rows)


STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 1700px; margin: 1em auto;
       padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
.meta { color: #555; } .problem { color: #b00; } .note { color: #666; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.95em; }
.frames { display: flex; flex-wrap: wrap; gap: 0.5em; }
.frames figure { margin: 0; width: 32%; min-width: 260px; }
table { border-collapse: collapse; font-size: 0.92em; }
td, th { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
th { background: #f2f2f2; } td:not(:first-child) { font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; border: 1px solid #e4e4e4; padding: 0.6em; overflow-x: auto;
      font-size: 0.85em; }
"""


def make_report(args):
    folder = os.path.abspath(args.outdir)
    if not os.path.isdir(folder):
        raise PostprocError("%s: no such folder" % args.outdir, EXIT_IO)
    output = os.path.abspath(args.output or os.path.join(folder, "report.html"))
    if os.path.dirname(output) != folder:
        raise PostprocError("--output must be a file in OUTDIR (%s): the page links the files "
                            "there" % folder, EXIT_USAGE)
    present = {n: os.path.join(folder, n) for n in ("summary.json", "run_info.json",
                                                    "case.resolved.toml", "history.csv",
                                                    "sweep.csv", "log.txt", "sweep_log.txt")
               if os.path.isfile(os.path.join(folder, n))}
    network, _ = find_series(folder, "network", required=False)
    tissue, _ = find_series(folder, "tissue", required=False)
    if not (network or {"summary.json", "history.csv", "sweep.csv"} & set(present)):
        raise PostprocError("%s is not a hepaflow output folder (no summary.json, history.csv, "
                            "network.pvd or sweep.csv)" % args.outdir, EXIT_IO)
    for other in args.compare:
        if not os.path.isdir(other):
            raise PostprocError("--compare %s: no such folder" % other, EXIT_IO)
    numpy, _ = plots.import_plotting()
    report = Report(folder, output, args.self_contained)
    os.makedirs(report.files, exist_ok=True)
    labels = args.labels or [case_name(f) for f in [folder] + args.compare]
    if len(set(labels)) < len(labels):
        labels = ["%s (%s)" % (label, os.path.basename(os.path.normpath(f)))
                  for label, f in zip(labels, [folder] + args.compare)]
    name = labels[0] if args.labels else case_name(folder)

    pictures = render_pictures(report, args, network, tissue)
    plot_files = {}
    runs = [folder] + args.compare
    if "history.csv" in present:
        histories = [f for f in runs if os.path.isfile(os.path.join(f, "history.csv"))]
        plot_files["history"] = report.attempt(
            "time courses", plot_history.make_history_plot, histories,
            report.file("history.png"),
            labels=[labels[runs.index(f)] for f in histories] if len(histories) > 1 else None)
    zones = None
    if network:  # a zonation profile needs a lobule: segments with zone values
        zones = report.attempt("reading the network", plots.read_cell_arrays,
                               series_steps(network)[-1][1], {"zone"})
    if zones and "zone" in zones and plots.finite(numpy, zones["zone"]).size:
        steps = series_steps(network)
        with_network = [f for f in runs if find_series(f, "network", False)[0]]
        plot_files["zonation"] = report.attempt(
            "zonation profile", plot_zonation.make_zonation_plot, with_network,
            report.file("zonation.png"),
            labels=[labels[runs.index(f)] for f in with_network],
            times=[steps[0][0], steps[-1][0]] if len(steps) > 1 else None)
    if network:
        made = report.attempt("histograms", plot_histograms.make_histograms,
                              folder, report.file("histograms.png"),
                              report.file("histograms.txt"))
        plot_files["histograms"] = made[0] if made else None
    sweep = None
    if "sweep.csv" in present:
        plot_files["dose_response"] = report.attempt(
            "dose-response curves", plot_dose_response.make_dose_response_plot, folder,
            report.file("dose_response.png"))
        sweep = report.attempt("reading sweep.csv", plots.Sweep, folder)

    # --- the page ---
    case = read_case(folder)
    info = read_json(present.get("run_info.json", "")) or {}
    summary = read_json(present.get("summary.json", "")) or {}
    parts = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>hepaflow report: %s</title>\n<style>%s</style>\n</head>\n<body>\n"
             % (html.escape(name), STYLE)]
    parts.append("<h1>hepaflow report: %s</h1>\n" % html.escape(name))
    description = case.get("case", {}).get("description")
    if description:
        parts.append("<p>%s</p>\n" % html.escape(str(description)))
    meta = []
    if info:
        meta.append("hepaflow %s (git %s), %s on %s, run %s" % (
            info.get("hepaflow_version", "?"), info.get("git_hash", "?"),
            info.get("backend", "?"), info.get("device", "?"), info.get("date_utc", "?")))
    meta.append("output folder %s" % folder)
    if args.compare:
        meta.append("compared with " + ", ".join(
            "%s (%s)" % (label, os.path.abspath(f)) for label, f in zip(labels[1:],
                                                                         args.compare)))
    parts.append('<p class="meta">%s</p>\n' % "<br>".join(html.escape(m) for m in meta))
    if report.problems or report.notes:
        parts.append("<ul>\n%s%s</ul>\n" % (
            "".join('<li class="problem">failed: %s</li>\n' % html.escape(p)
                    for p in report.problems),
            "".join('<li class="note">%s</li>\n' % html.escape(n) for n in report.notes)))

    if summary:
        parts.append("<h2>Summary metrics</h2>\n<p>From %s.</p>\n" % report.file_link(
            present["summary.json"]) + summary_table(summary))
    if args.compare:
        parts.append("<h2>Comparison of the final metrics</h2>\n"
                     + comparison_table(list(zip([folder] + args.compare, labels))))
    if pictures["network"]:
        parts.append("<h2>Network</h2>\n<p>Vessels drawn as tubes of their true radius. "
                     "ParaView state: %s (File &gt; Load State).</p>\n"
                     % report.file_link(report.file("network.pvsm")))
        parts += [report.figure(p, c) for p, c in pictures["network"]]
    if pictures["tissue"]:
        parts.append("<h2>Tissue oxygen</h2>\n<p>ParaView state: %s.</p>\n"
                     % report.file_link(report.file("tissue.pvsm")))
        parts += [report.figure(p, c) for p, c in pictures["tissue"]]
    if plot_files.get("history") or pictures["frames"]:
        parts.append("<h2>Time course</h2>\n")
        parts.append(report.figure(plot_files.get("history"),
                                   "Time courses from history.csv" + (" (compared runs)"
                                                                      if args.compare else "")))
        if pictures["frames"]:
            parts.append("<p>Frames of the time series (same colour range and camera; "
                         "ParaView state of the series: %s).</p>\n<div class=\"frames\">\n"
                         % report.file_link(report.file("time_series.pvsm")))
            parts += [report.figure(p, c) for p, c in pictures["frames"]]
            parts.append("</div>\n")
        if "history.csv" in present:
            parts.append("<p>Data: %s.</p>\n" % report.file_link(present["history.csv"]))
    if plot_files.get("zonation"):
        parts.append("<h2>Zonation</h2>\n" + report.figure(
            plot_files["zonation"], "PO\u2082 along the sinusoids from the portal triad (0) to "
            "the central vein (1)"))
    if plot_files.get("histograms"):
        parts.append("<h2>Distributions</h2>\n" + report.figure(
            plot_files["histograms"], "Histograms of the segments (and of the tissue)"))
        table = report.file("histograms.txt")
        if os.path.isfile(table):
            parts.append("<p>Histogram table in the reference codes' format: %s.</p>\n"
                         % report.file_link(table))
    if plot_files.get("dose_response") or sweep:
        parts.append("<h2>Dose-response</h2>\n")
        parts.append(report.figure(plot_files.get("dose_response"),
                                   "Metrics of the sweep's runs against the swept dose"))
        if sweep:
            metrics = report.attempt("choosing sweep metrics", plot_dose_response.choose_metrics,
                                     sweep, None) or []
            parts.append("<p>From %s.</p>\n" % report.file_link(sweep.path)
                         + sweep_table(report, sweep, metrics))
    case_text = read_text(present.get("case.resolved.toml", ""))
    if case_text is not None:
        parts.append("<h2>Case</h2>\n<p>The resolved case (every value used): %s.</p>\n"
                     "<pre>%s</pre>\n" % (report.file_link(present["case.resolved.toml"]),
                                          html.escape(case_text)))
    if info:
        parts.append("<h2>Provenance</h2>\n<p>From %s.</p>\n" % report.file_link(
            present["run_info.json"]) + key_value_table(flatten(info)))
    for log in ("log.txt", "sweep_log.txt"):
        log_text = read_text(present.get(log, ""), tail_lines=40)
        if log_text is not None:
            parts.append("<h2>%s</h2>\n<p>The end of %s.</p>\n<pre>%s</pre>\n" % (
                "Log" if log == "log.txt" else "Sweep log",
                report.file_link(present[log]), html.escape(log_text)))
    parts.append('<p class="meta">Written by postproc/report.py on %s: %s</p>\n</body>\n</html>\n'
                 % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    html.escape(" ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]))))
    write_text(output, "".join(parts))
    print("wrote %s%s" % (output, " (%d parts failed)" % len(report.problems)
                          if report.problems else ""))
    return 1 if report.problems else 0


def main(argv):
    args = parse_args(argv)
    return make_report(args)


if __name__ == "__main__":
    sys.exit(run_main(PROG, main, sys.argv[1:]))

#!/usr/bin/env python3
"""Plot dose-response curves from a `hepaflow sweep` table (sweep.csv).

    python3 postproc/plot_dose_response.py SWEEP [--x PARAMETER] [--metric METRIC ...]
        [--xscale auto|log|linear] [--output dose_response.png] [--size 1600 1100]
        [--title TEXT]

SWEEP is a sweep output folder (its sweep.csv) or a sweep.csv. The x axis is the swept parameter
--x (default: the one whose name contains "dose", else the first numeric one); its values are read
as numbers with an optional unit ("1e6 cells/kg" or "1e6"), the unit labels the axis. With
--xscale auto a dose (or any positive parameter spanning more than a decade) gets a log axis; a
dose of 0 (no therapy) cannot sit on it and is drawn as a dashed horizontal line instead. Every
other swept parameter gives one curve per value (e.g. one per therapy.route). One panel per
metric column (default: change_resistance_mmHg_min_per_nl, change_perfused_fraction,
change_po2_pericentral_mmHg, change_cpa_mean; where a sweep has no change_ columns, e.g. of steady
runs, the final_ column of the same metric); fractions are plotted in % (changes in percentage
points). Failed runs are left out and listed under the plot.

Exit codes: 0 ok, 1 runtime error, 2 usage (bad option, unknown --x or --metric, no numeric
parameter), 4 I/O (missing or unreadable sweep.csv, PNG not written), 6 numpy/matplotlib missing.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import EXIT_IO, EXIT_USAGE, PostprocError, run_main  # noqa: E402
import hepaflow_plots as plots  # noqa: E402

PROG = "plot_dose_response"
DEFAULT_METRICS = ("change_resistance_mmHg_min_per_nl", "change_perfused_fraction",
                   "change_po2_pericentral_mmHg", "change_cpa_mean")
PARAMETER_NAMES = {"therapy.dose": "MSC dose per infusion"}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="plot_dose_response.py",
        description="Plot metrics of a hepaflow sweep against a swept parameter (dose-response).")
    parser.add_argument("sweep", help="sweep output folder or sweep.csv")
    parser.add_argument("--x", default=None, metavar="PARAMETER",
                        help="swept parameter on the x axis (default: the dose)")
    parser.add_argument("--metric", nargs="+", default=None, metavar="METRIC",
                        help="metric columns, one panel each (default: %s)"
                             % ", ".join(DEFAULT_METRICS))
    parser.add_argument("--xscale", choices=("auto", "log", "linear"), default="auto",
                        help="x axis scale (default auto: log for doses)")
    parser.add_argument("--output", "-o", default=None,
                        help="PNG to write (default: SWEEP folder/dose_response.png)")
    plots.add_size_argument(parser, (1600, 1100))
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args(argv)
    plots.check_size(parser, args.size)
    return args


def choose_x(sweep, requested):
    numeric = [p for p in sweep.params
               if all(math.isfinite(plots.parse_quantity(r["params"][p])[0]) for r in sweep.runs)]
    if requested is not None:
        if requested not in sweep.params:
            raise PostprocError("--x %s is not a swept parameter of %s (parameters: %s)"
                                % (requested, sweep.path, ", ".join(sweep.params) or "none"),
                                EXIT_USAGE)
        if requested not in numeric:
            raise PostprocError("--x %s: its values are not all numbers (%s)" % (
                requested, ", ".join(sorted({r["params"][requested] for r in sweep.runs}))),
                EXIT_USAGE)
        return requested
    doses = [p for p in numeric if "dose" in p.lower()]
    if doses or numeric:
        return (doses or numeric)[0]
    raise PostprocError("%s: no swept parameter with numeric values (parameters: %s); the "
                        "dose-response plot needs one" % (sweep.path, ", ".join(sweep.params)
                                                         or "none"), EXIT_USAGE)


def choose_metrics(sweep, requested):
    if requested:
        unknown = [m for m in requested if m not in sweep.metrics]
        if unknown:
            raise PostprocError("unknown metric(s) %s in %s\n  metrics: %s"
                                % (", ".join(unknown), sweep.path, ", ".join(sweep.metrics)),
                                EXIT_USAGE)
        return requested
    chosen = []
    for metric in DEFAULT_METRICS:
        final = "final_" + metric[len("change_"):]
        for candidate in (metric, final):
            if candidate in sweep.metrics:
                chosen.append(candidate)
                break
    if not chosen:
        raise PostprocError("%s has none of the default metrics %s; pick some with --metric "
                            "(metrics: %s)" % (sweep.path, ", ".join(DEFAULT_METRICS),
                                               ", ".join(sweep.metrics) or "none"), EXIT_USAGE)
    return chosen


def make_dose_response_plot(sweep_path, output, size=(1600, 1100), x=None, metrics=None,
                            xscale="auto", title=None):
    """Draw the dose-response panels of a sweep into output (a PNG)."""
    numpy, _ = plots.import_plotting()
    sweep = plots.Sweep(sweep_path)
    x = choose_x(sweep, x)
    metrics = choose_metrics(sweep, metrics)
    others = [p for p in sweep.params if p != x]
    ok_runs = sweep.ok_runs()
    if not ok_runs:
        raise PostprocError("%s: every run failed; nothing to plot" % sweep.path, EXIT_IO)
    x_values = [plots.parse_quantity(r["params"][x]) for r in sweep.runs]
    unit = next((u for _, u in x_values if u), "")
    positive = [v for v, _ in x_values if v > 0.0]
    log = xscale == "log" or (xscale == "auto" and len(positive) >= 2 and (
        "dose" in x.lower() or max(positive) / min(positive) > 10.0))
    if log and not positive:
        raise PostprocError("--xscale log: %s has no positive values" % x, EXIT_USAGE)

    groups = {}
    for run in ok_runs:
        key = tuple((p, run["params"][p]) for p in others)
        groups.setdefault(key, []).append(run)
    n = len(metrics)
    ncols = 1 if n == 1 else (2 if n <= 4 else 3)
    nrows = (n + ncols - 1) // ncols
    figure, axes = plots.new_figure(size, nrows, ncols)
    for index, metric in enumerate(metrics):
        ax = axes[index // ncols][index % ncols]
        name, metric_unit, factor = plots.metric_info(metric)
        for g, (key, runs) in enumerate(sorted(groups.items())):
            colour = plots.RUN_COLOURS[g % 8]
            label = ", ".join("%s = %s" % (p, v) for p, v in key) or None
            points = sorted((plots.parse_quantity(r["params"][x])[0],
                             r["metrics"].get(metric, float("nan")) * factor) for r in runs)
            points = [(a, b) for a, b in points if math.isfinite(b)]
            curve = [(a, b) for a, b in points if a > 0.0 or not log]
            controls = [b for a, b in points if a <= 0.0] if log else []
            if curve:
                ax.plot([a for a, _ in curve], [b for _, b in curve], "-o", color=colour,
                        linewidth=1.8, markersize=5, label=label)
            for value in controls:
                ax.axhline(value, color=colour, linestyle="--", linewidth=1.2,
                           label="%s (dose 0)" % label if label else "dose 0 (no therapy)")
        if metric.startswith("change_"):
            ax.axhline(0.0, color="0.3", linewidth=0.8)
        if log:
            ax.set_xscale("log")
            plots.plain_log_ticks(ax, "x")
            ticks = sorted({v for v in positive})
            if len(ticks) <= 12:  # ticks at the swept values
                from matplotlib.ticker import NullFormatter
                ax.set_xticks(ticks)
                ax.set_xticklabels([plots.plain_number(t) for t in ticks])
                ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(name)
        ax.set_xlabel(plots.axis_label(PARAMETER_NAMES.get(x, x), unit)
                      + (", log scale" if log else ""))
        ax.set_ylabel(plots.axis_label(name, metric_unit))
        if index == 0 and (len(groups) > 1 or any(
                plots.parse_quantity(r["params"][x])[0] <= 0.0 for r in ok_runs)):
            ax.legend(loc="best", frameon=False)  # the same curves in every panel
    for index in range(n, nrows * ncols):
        axes[index // ncols][index % ncols].set_visible(False)
    failed = [r for r in sweep.runs if r["status"] != "ok"]
    notes = ["%d runs of %s" % (len(sweep.runs), os.path.basename(sweep.folder) or sweep.path)]
    if failed:
        notes.append("not shown (failed): " + "; ".join(
            "%s (%s): %s" % (r["folder"], ", ".join("%s=%s" % kv for kv in r["params"].items()),
                             r["status"]) for r in failed[:6]) + (" ..." if len(failed) > 6
                                                                   else ""))
    figure.text(0.01, 0.005, "\n".join(notes), fontsize="small", color="0.3")
    figure.suptitle(title or "Dose-response: %s" % PARAMETER_NAMES.get(x, x), fontweight="bold")
    figure.tight_layout(rect=(0.0, 0.02 + 0.015 * len(notes), 1.0, 0.96))
    plots.save_figure(figure, output)
    return output


def main(argv):
    args = parse_args(argv)
    plots.import_plotting()
    output = args.output or os.path.join(os.path.dirname(plots.find_file(args.sweep,
                                                                         "sweep.csv")),
                                         "dose_response.png")
    make_dose_response_plot(args.sweep, os.path.abspath(output), args.size, args.x, args.metric,
                            args.xscale, args.title)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(PROG, main, sys.argv[1:]))

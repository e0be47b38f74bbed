#!/usr/bin/env python3
"""Histograms of flow, velocity, wall shear stress and PO2 of a hepaflow result (plot and table).

    python3 postproc/plot_histograms.py RESULT [--array ARRAY ...] [--time T]
        [--output histograms.png] [--text histograms.txt] [--size 1600 1000] [--title TEXT]

RESULT is a hepaflow output folder, a network.pvd or a network_NNNNNN.vtp. Default panels: |flow|,
|velocity|, |wall shear stress| (log10 bins of 0.2, as NetFlowV2's histogram-logflows.out etc.),
vessel PO2 (1 mmHg bins, as GreensV4's Histogram001.out) and the tissue PO2 (the tissue grid's
cells in the tissue region, tissue_NNNNNN.vti, where the run has one; else the segments'
tissue_po2_mmHg where present). Bars: % of segments (tissue: % of tissue cells) per bin. The
text file (default: beside the PNG, .txt) holds each histogram in the reference codes' format
("value  % cumul. %" rows, value = the bin's upper edge, then "Mean = .. deviation = .. min = ..
max = .."; for log histograms of log10 values as NetFlowV2 prints them). Zero values cannot be
binned on a log axis: they are counted and reported. --time T (days) picks a step of a .pvd
(default: the last).

Exit codes: 0 ok, 1 runtime error, 2 usage (bad option, unknown array, --time not a step),
4 I/O (missing or unreadable input, PNG/text not written), 6 numpy/matplotlib/vtk missing.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import (DIRECTIONAL_ARRAYS, EXIT_USAGE, PostprocError,  # noqa: E402
                             array_label, case_name, find_series, format_days, run_main,
                             series_steps, write_text)
import hepaflow_plots as plots  # noqa: E402

PROG = "plot_histograms"
DEFAULT_ARRAYS = ("flow_nl_per_min", "velocity_mm_per_s", "wall_shear_stress_Pa",
                  "po2_mean_mmHg")
LOG_ARRAYS = ("flow_nl_per_min", "velocity_mm_per_s", "wall_shear_stress_Pa",
              "o2_flux_nl_per_min")
TISSUE = "tissue PO2"  # the panel of the tissue grid's po2_mmHg


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="plot_histograms.py",
        description="Histograms (plot and reference-code style table) of segment arrays and "
                    "the tissue PO2 of a hepaflow result.")
    parser.add_argument("result", help="hepaflow output folder, network.pvd or network_NNNNNN.vtp")
    parser.add_argument("--array", nargs="+", default=None, metavar="ARRAY",
                        help="segment (cell) arrays, one panel each (default: flow, velocity, "
                             "wall shear stress, vessel PO2, and the tissue PO2)")
    parser.add_argument("--time", type=float, default=None,
                        help="time step in days (default: the last one)")
    parser.add_argument("--output", "-o", default=None,
                        help="PNG to write (default: RESULT folder/histograms.png)")
    parser.add_argument("--text", default=None,
                        help="histogram table to write (default: the PNG's name with .txt)")
    plots.add_size_argument(parser, (1600, 1000))
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args(argv)
    plots.check_size(parser, args.size)
    return args


def histogram(numpy, values, log):
    """(edges, percent, plotted values, zeros left out) of one array."""
    zeros = 0
    if log:
        positive = values > 0.0
        zeros = int(values.size - positive.sum())
        values = numpy.log10(values[positive])
        step = 0.2  # NetFlowV2's log10 bin width
    else:
        span = float(values.max() - values.min()) if values.size else 0.0
        step = 1.0 if span <= 150.0 else float("%.1g" % (span / 50.0))  # GreensV4: 1 mmHg bins
    if values.size == 0:
        return None, None, values, zeros
    lo = numpy.floor(values.min() / step) * step
    hi = max(numpy.ceil(values.max() / step) * step, lo + step)
    if hi <= values.max():
        hi += step
    edges = lo + step * numpy.arange(int(round((hi - lo) / step)) + 1)
    counts, _ = numpy.histogram(values, edges)
    return edges, 100.0 * counts / values.size, values, zeros


def table(title, edges, percent, stats):
    """One histogram in GreensV4 / NetFlowV2 format."""
    lines = ["Histogram data: %s" % title, "value  % cumul. %",
             "%-6.4g %7.2f %7.2f" % (edges[0], 0.0, 0.0)]
    cumulative = 0.0
    for edge, p in zip(edges[1:], percent):
        cumulative += p
        lines.append("%-6.4g %7.2f %7.2f" % (edge, p, cumulative))
    lines.append("Mean = %f deviation = %f min = %f max  = %f"
                 % (stats["mean"], stats["sd"], stats["min"], stats["max"]))
    return lines


def collect(numpy, result, arrays, time):
    """[(panel name, values, what is counted)] and (case name, time, several steps)."""
    path, folder = find_series(result, "network")
    step_time, file = plots.pick_step(path, time)
    several = len(series_steps(path)) > 1
    data = plots.read_cell_arrays(file)
    wanted = arrays or [a for a in DEFAULT_ARRAYS if a in data]
    missing = [a for a in wanted if a not in data]
    if missing:
        raise PostprocError("unknown segment array(s) %s in %s\n  segment arrays: %s"
                            % (", ".join(missing), file, ", ".join(sorted(data))), EXIT_USAGE)
    panels = [(a, data[a], "segments") for a in wanted]
    if arrays is None:
        tissue, _ = find_series(folder, "tissue", required=False)
        if tissue:
            tissue_time = min((t for t, _ in series_steps(tissue)),
                              key=lambda t: abs(t - step_time))
            tissue_data = plots.read_cell_arrays(plots.pick_step(tissue, tissue_time)[1])
            if "po2_mmHg" in tissue_data:
                values = tissue_data["po2_mmHg"]
                if "in_region" in tissue_data and numpy.any(tissue_data["in_region"] > 0.5):
                    values = values[tissue_data["in_region"] > 0.5]
                panels.append((TISSUE, values, "tissue cells"))
        elif "tissue_po2_mmHg" in data:
            panels.append(("tissue_po2_mmHg", data["tissue_po2_mmHg"], "segments"))
    if not panels:
        raise PostprocError("%s has none of the arrays %s; pick some with --array"
                            % (file, ", ".join(DEFAULT_ARRAYS)), EXIT_USAGE)
    return panels, case_name(folder), step_time, several


def make_histograms(result, output, text_output=None, size=(1600, 1000), arrays=None, time=None,
                    title=None):
    """Draw the histograms into output (PNG) and write their table to text_output."""
    numpy, _ = plots.import_plotting()
    panels, name, step_time, several = collect(numpy, result, arrays, time)
    n = len(panels)
    ncols = 3 if n > 4 else (2 if n > 1 else 1)
    nrows = (n + ncols - 1) // ncols
    figure, axes = plots.new_figure(size, nrows, ncols)
    when = " (t = %s)" % format_days(step_time) if several else ""
    text = ["# %s: histograms%s, written by postproc/plot_histograms.py" % (name, when)]
    for index, (array, raw, counted) in enumerate(panels):
        ax = axes[index // ncols][index % ncols]
        values = plots.finite(numpy, raw)
        nan_count = int(raw.size - values.size)
        magnitude = array in DIRECTIONAL_ARRAYS
        if magnitude:
            values = numpy.abs(values)
        log = array in LOG_ARRAYS
        label = array_label("po2_mmHg") if array == TISSUE else array_label(array)
        quantity = ("tissue PO\u2082" if array == TISSUE else label.split(" [")[0])
        if magnitude:
            quantity += " (magnitude)"
        unit = label.partition(" [")[2].rstrip("]")
        edges, percent, plotted, zeros = histogram(numpy, values, log)
        ax.set_title(quantity)
        ax.set_ylabel("%% of %s" % counted)
        ax.set_xlabel(("%s [%s]" % (quantity, unit) if unit else quantity)
                      + (", log scale" if log else ""))
        if edges is None:
            ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center")
            continue
        x_edges = 10.0 ** edges if log else edges
        ax.bar(x_edges[:-1], percent, width=numpy.diff(x_edges), align="edge",
               color=plots.RUN_COLOURS[index % 8], edgecolor="white", linewidth=0.5)
        if log:
            ax.set_xscale("log")
            plots.plain_log_ticks(ax, "x")
        stats = plots.describe(numpy, values if not log else values[values > 0])
        lines = ["n = %d %s" % (stats["n"], counted),
                 "mean %s, SD %s" % (plots.format_number(stats["mean"]),
                                     plots.format_number(stats["sd"])),
                 "median %s" % plots.format_number(stats["median"]),
                 "min %s, max %s" % (plots.format_number(stats["min"]),
                                     plots.format_number(stats["max"]))]
        if zeros:
            lines.append("%d zero values not shown" % zeros)
        if nan_count:
            lines.append("%d without a value" % nan_count)
        half = len(percent) // 2  # the statistics go where the bars are lower
        left = percent[:half].sum() < percent[len(percent) - half:].sum()
        ax.text(0.02 if left else 0.98, 0.97, "\n".join(lines), transform=ax.transAxes,
                ha="left" if left else "right", va="top",
                fontsize="small", bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "0.8"})
        table_stats = plots.describe(numpy, plotted)
        text += [""] + table("%s%s, %% of %d %s%s" % (
            ("log10 " if log else ""), "%s [%s]" % (quantity, unit) if unit else quantity,
            plotted.size, counted,
            "; %d zero values left out" % zeros if zeros else ""), edges, percent, table_stats)
        if log:
            text.append("(linear: mean = %f deviation = %f min = %f max = %f)"
                        % (stats["mean"], stats["sd"], stats["min"], stats["max"]))
    for index in range(n, nrows * ncols):
        axes[index // ncols][index % ncols].set_visible(False)
    figure.suptitle(title or "%s: distributions%s" % (name, when), fontweight="bold")
    figure.tight_layout(rect=(0.0, 0.0, 1.0, 0.96))
    text_output = text_output or os.path.splitext(output)[0] + ".txt"
    plots.save_figure(figure, output)
    write_text(text_output, "\n".join(text) + "\n")
    print("wrote %s" % text_output)
    return output, text_output


def main(argv):
    args = parse_args(argv)
    plots.import_plotting()
    output = args.output or os.path.join(find_series(args.result, "network")[1],
                                         "histograms.png")
    make_histograms(args.result, os.path.abspath(output),
                    os.path.abspath(args.text) if args.text else None, args.size, args.array,
                    args.time, args.title)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(PROG, main, sys.argv[1:]))

#!/usr/bin/env python3
"""Plot PO2 (or any segment array) along the portal -> central axis of the lobule (zonation).

    python3 postproc/plot_zonation.py RESULT [RESULT ...] [--labels NAME ...]
        [--array po2_mean_mmHg [ARRAY ...]] [--time T [T ...] | --all-times] [--bins 20]
        [--output zonation.png] [--size 1600 900] [--title TEXT]

RESULT is a hepaflow output folder, a network.pvd or a network_NNNNNN.vtp. The sinusoids
(kind = 1 where the network has a kind array) are grouped by their zone coordinate (0 = portal
triad .. 1 = central vein) into --bins bins; each curve is the median of the array in a bin, the
band its 25-75 % range (drawn for up to two curves). The zone thirds (periportal < 1/3 <
midzonal < 2/3 < pericentral) are shaded. Default arrays: vessel PO2 (po2_mean_mmHg) and, where
the network has it, the tissue PO2 around each segment (tissue_po2_mmHg); one panel per array.
Time: the last step of a .pvd, --time T (days; several: one curve each) or --all-times; several
RESULTs are overlaid (e.g. therapy and control). Segments without a value (NaN, e.g. no flow)
are left out.

Exit codes: 0 ok, 1 runtime error, 2 usage (bad option, unknown array, no zone array, --time not
a time step), 4 I/O (missing or unreadable input, PNG not written), 6 numpy/matplotlib/vtk missing.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import (EXIT_USAGE, PostprocError, array_label, case_name,  # noqa: E402
                             find_series, format_days, run_main, series_steps)
import hepaflow_plots as plots  # noqa: E402

PROG = "plot_zonation"
SINUSOID = 1  # hepaflow's SegmentKind::sinusoid
DEFAULT_ARRAYS = ("po2_mean_mmHg", "tissue_po2_mmHg")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="plot_zonation.py",
        description="Plot a segment array (default: PO2) along the portal -> central zone "
                    "coordinate of the sinusoids.")
    parser.add_argument("results", nargs="+", metavar="RESULT",
                        help="hepaflow output folder, network.pvd or network_NNNNNN.vtp")
    parser.add_argument("--labels", nargs="+", default=None, metavar="NAME",
                        help="names of the runs in the legend (default: case names)")
    parser.add_argument("--array", nargs="+", default=None, metavar="ARRAY",
                        help="segment (cell) arrays, one panel each (default: po2_mean_mmHg and "
                             "tissue_po2_mmHg where present)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--time", nargs="+", type=float, default=None, metavar="T",
                      help="time step(s) in days (default: the last one)")
    when.add_argument("--all-times", action="store_true", help="one curve per time step")
    parser.add_argument("--bins", type=int, default=20, help="zone bins (default 20)")
    parser.add_argument("--output", "-o", default=None,
                        help="PNG to write (default: first RESULT folder/zonation.png)")
    plots.add_size_argument(parser, (1600, 900))
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args(argv)
    plots.check_size(parser, args.size)
    if not 2 <= args.bins <= 200:
        parser.error("--bins must be between 2 and 200")
    if args.labels is not None and len(args.labels) != len(args.results):
        parser.error("--labels: give one name per RESULT (%d)" % len(args.results))
    return args


def zone_profile(numpy, zone, values, bins):
    """(bin centres, median, 25 %, 75 %, count) of values grouped by zone in [0, 1]."""
    edges = numpy.linspace(0.0, 1.0, bins + 1)
    which = numpy.clip(numpy.digitize(zone, edges) - 1, 0, bins - 1)
    centres, median, low, high, count = [], [], [], [], []
    for b in range(bins):
        v = values[which == b]
        if v.size < 3:
            continue
        centres.append(0.5 * (edges[b] + edges[b + 1]))
        q25, q50, q75 = numpy.percentile(v, [25, 50, 75])
        median.append(q50)
        low.append(q25)
        high.append(q75)
        count.append(v.size)
    return [numpy.array(x) for x in (centres, median, low, high, count)]


def make_zonation_plot(results, output, size=(1600, 900), labels=None, arrays=None, times=None,
                       all_times=False, bins=20, title=None):
    """Draw the zonation profile(s) into output (a PNG)."""
    numpy, _ = plots.import_plotting()
    curves = []  # (run index, label, time, {array: values}, zone)
    run_labels = []
    for r, result in enumerate(results):
        path, folder = find_series(result, "network")
        run_labels.append(labels[r] if labels else case_name(folder))
        available = series_steps(path)
        if all_times:
            steps = available
        elif times:
            steps = [plots.pick_step(path, t) for t in times]
        else:
            steps = [plots.pick_step(path, None)]
        for time, file in steps:
            data = plots.read_cell_arrays(file)
            if "zone" not in data:
                raise PostprocError("%s has no segment array 'zone' (0 portal .. 1 central): "
                                    "the zonation needs a lobule network" % file, EXIT_USAGE)
            wanted = arrays or [a for a in DEFAULT_ARRAYS if a in data]
            if not wanted:
                raise PostprocError("%s has none of the arrays %s; pick one with --array"
                                    % (file, ", ".join(DEFAULT_ARRAYS)), EXIT_USAGE)
            missing = [a for a in wanted if a not in data]
            if missing:
                raise PostprocError("unknown segment array(s) %s in %s\n  segment arrays: %s"
                                    % (", ".join(missing), file, ", ".join(sorted(data))),
                                    EXIT_USAGE)
            arrays = wanted
            keep = numpy.isfinite(data["zone"])
            if "kind" in data and numpy.any(data["kind"] == SINUSOID):
                keep &= data["kind"] == SINUSOID
            if not keep.any():
                raise PostprocError("%s: no sinusoid has a zone value (a network without "
                                    "lobular zones?)" % file, EXIT_USAGE)
            curves.append((r, time, len(available) > 1,
                           {a: data[a][keep] for a in arrays}, data["zone"][keep]))

    several_runs = len(results) > 1
    several_times = len({c[1] for c in curves}) > 1 or all_times
    figure, axes = plots.new_figure(size, 1, len(arrays))
    from matplotlib import cm
    time_values = sorted({c[1] for c in curves})
    time_map = cm.get_cmap("viridis")
    for p, array in enumerate(arrays):
        ax = axes[0][p]
        for third, name in ((0.0, "periportal"), (1.0 / 3.0, "midzonal"),
                            (2.0 / 3.0, "pericentral")):
            ax.axvspan(third, third + 1.0 / 3.0, color=plots.ZONE_COLOURS[name], alpha=0.06,
                       linewidth=0)
            ax.text(third + 1.0 / 6.0, 1.01, name, transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize="small", color=plots.ZONE_COLOURS[name])
        for r, time, _, values, zone in curves:
            v = values[array]
            ok = numpy.isfinite(v)
            centres, median, low, high, _ = zone_profile(numpy, zone[ok], v[ok], bins)
            if centres.size == 0:
                continue
            if several_runs:
                colour = plots.RUN_COLOURS[r % 8]
                style = ("-", "--", ":", "-.")[time_values.index(time) % 4] if several_times \
                    else "-"
            else:
                colour = (time_map(time_values.index(time) / max(1, len(time_values) - 1))
                          if several_times else plots.RUN_COLOURS[0])
                style = "-"
            label = run_labels[r] if several_runs else None
            if several_times:
                label = ("%s, t = %s" % (label, format_days(time)) if label
                         else "t = %s" % format_days(time))
            if len(curves) <= 2:  # more bands only hide each other
                ax.fill_between(centres, low, high, color=colour, alpha=0.15, linewidth=0)
            ax.plot(centres, median, style, color=colour, linewidth=2.0, marker="o",
                    markersize=3.5, label=label)
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel("lobular zone: 0 = portal triad \u2192 1 = central vein")
        ax.set_ylabel(array_label(array))
        ax.set_title(array_label(array).split(" [")[0] + " along the sinusoids", pad=22)
        if several_runs or several_times:
            ax.legend(loc="best", frameon=False)
    if title is None:
        when = (" (t = %s)" % format_days(curves[0][1])
                if curves[0][2] and not several_times else "")
        title = "%s: zonation profile%s" % (" vs ".join(run_labels), when)
    figure.suptitle(title, fontweight="bold")
    figure.text(0.01, 0.005, "line: median of the sinusoids in each zone bin (%d bins)%s"
                % (bins, "; band: 25\u201375 % range" if len(curves) <= 2 else ""),
                fontsize="small", color="0.3")
    figure.tight_layout(rect=(0.0, 0.025, 1.0, 0.95))
    plots.save_figure(figure, output)
    return output


def main(argv):
    args = parse_args(argv)
    plots.import_plotting()
    output = args.output or os.path.join(find_series(args.results[0], "network")[1],
                                         "zonation.png")
    make_zonation_plot(args.results, os.path.abspath(output), args.size, args.labels,
                       args.array, args.time, args.all_times, args.bins, args.title)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(PROG, main, sys.argv[1:]))

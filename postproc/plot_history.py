#!/usr/bin/env python3
"""Plot the time courses of a hepaflow run's history.csv (one or several runs compared).

    python3 postproc/plot_history.py RESULT [RESULT ...] [--labels NAME ...]
        [--output history.png] [--size 1800 1400] [--columns COLUMN ...] [--title TEXT]

RESULT is a hepaflow output folder (its history.csv) or a history.csv. Default panels: lobular
resistance, total flow, perfused / closed sinusoids and shunt flow (%), vessel PO2 by zone (and
tissue mean), hypoxic tissue (%), CPA by zone (%), hepatocyte function index, HSC activation and
MSC in the liver, against time in days; MSC infusions (from case.resolved.toml) are marked by
dotted vertical lines. --columns draws one panel per history column instead. Several RESULTs are
overlaid (colour = run, labelled by --labels or the case names; line style = series), e.g. a
therapy against its control.

Exit codes: 0 ok, 1 runtime error, 2 usage (bad option, unknown --columns), 4 I/O (missing or
unreadable history.csv, PNG not written), 6 numpy/matplotlib missing (python3-matplotlib).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import (EXIT_USAGE, PostprocError, case_name, infusion_times,  # noqa: E402
                             read_case, run_main)
import hepaflow_plots as plots  # noqa: E402

PROG = "plot_history"

# (panel title, [(column, series label)]); a panel is drawn when one of its columns exists. The y
# axis is labelled with the series' name and unit (one series) or the panel title and the unit.
DEFAULT_PANELS = (
    ("Lobular resistance", [("resistance_mmHg_min_per_nl", "resistance")]),
    ("Perfusion: total flow", [("total_flow_nl_per_min", "total flow")]),
    ("Sinusoids (% of sinusoids) and shunt flow (% of flow)",
                             [("perfused_fraction", "perfused sinusoids"),
                              ("closed_fraction", "closed sinusoids"),
                              ("shunt_flow_fraction", "PT\u2192CV shunt flow")]),
    ("PO\u2082 by zone", [("po2_periportal_mmHg", "periportal"),
                          ("po2_midzonal_mmHg", "midzonal"),
                          ("po2_pericentral_mmHg", "pericentral"),
                          ("po2_tissue_mean_mmHg", "tissue mean")]),
    ("Hypoxic tissue", [("hypoxic_fraction", "hypoxic tissue")]),
    ("Fibrosis: CPA by zone", [("cpa_periportal", "periportal"), ("cpa_midzonal", "midzonal"),
                               ("cpa_pericentral", "pericentral"), ("cpa_mean", "mean")]),
    ("Hepatocyte function", [("function_index", "function index")]),
    ("Stellate cells", [("hsc_activation_mean", "HSC activation (mean)")]),
    ("MSC in the liver", [("msc_in_liver", "MSC in the liver")]),
)
LINE_STYLES = ("-", "--", ":", "-.")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="plot_history.py",
        description="Plot time courses (resistance, perfusion, PO2 by zone, CPA, function index, "
                    "...) from hepaflow history.csv files.")
    parser.add_argument("results", nargs="+", metavar="RESULT",
                        help="hepaflow output folder or history.csv (several: compared)")
    parser.add_argument("--labels", nargs="+", default=None, metavar="NAME",
                        help="names of the runs in the legend (default: case names)")
    parser.add_argument("--output", "-o", default=None,
                        help="PNG to write (default: first RESULT folder/history.png)")
    plots.add_size_argument(parser, (1800, 1400))
    parser.add_argument("--columns", nargs="+", default=None, metavar="COLUMN",
                        help="history columns to plot, one panel each (default: the standard "
                             "panels)")
    parser.add_argument("--title", default=None, help="figure title")
    args = parser.parse_args(argv)
    plots.check_size(parser, args.size)
    if args.labels is not None and len(args.labels) != len(args.results):
        parser.error("--labels: give one name per RESULT (%d)" % len(args.results))
    return args


def run_label(path):
    folder = os.path.dirname(path)
    return case_name(folder)


def make_history_plot(results, output, size=(1800, 1400), labels=None, columns=None, title=None):
    """Draw the history panels of one or several runs into output (a PNG)."""
    numpy, _ = plots.import_plotting()
    runs = []
    for i, result in enumerate(results):
        path, data = plots.read_history(result)
        folder = os.path.dirname(path)
        label = labels[i] if labels else run_label(path)
        runs.append({"path": path, "data": data, "label": label,
                     "infusions": infusion_times(read_case(folder))})
    # Two runs of the same case: tell them apart by their folder names.
    names = [r["label"] for r in runs]
    if not labels and len(set(names)) < len(names):
        for r in runs:
            r["label"] = "%s (%s)" % (r["label"], os.path.basename(os.path.dirname(r["path"])))

    if columns:
        known = set().union(*(r["data"].keys() for r in runs))
        unknown = [c for c in columns if c not in known or c == "time_d"]
        if unknown:
            raise PostprocError("unknown history column(s) %s; the columns are: %s"
                                % (", ".join(unknown), ", ".join(sorted(known - {"time_d"}))),
                                EXIT_USAGE)
        panels = [(plots.metric_info(c)[0], [(c, plots.metric_info(c)[0])]) for c in columns]
    else:
        panels = [(t, [(c, l) for c, l in series if any(c in r["data"] for r in runs)])
                  for t, series in DEFAULT_PANELS]
        panels = [(t, s) for t, s in panels if s]
        if not panels:
            raise PostprocError("%s: none of the standard history columns; pick some with "
                                "--columns" % runs[0]["path"], EXIT_USAGE)

    n = len(panels)
    ncols = 3 if n > 4 else (2 if n > 1 else 1)
    nrows = (n + ncols - 1) // ncols
    figure, axes = plots.new_figure(size, nrows, ncols)
    several = len(runs) > 1
    for index, (panel_title, series) in enumerate(panels):
        ax = axes[index // ncols][index % ncols]
        units = []
        for s, (column, series_label) in enumerate(series):
            name, unit, factor = plots.metric_info(column)
            units.append(unit)
            for r, run in enumerate(runs):
                if column not in run["data"]:
                    continue
                time = run["data"]["time_d"]
                values = run["data"][column] * factor
                if several:
                    colour, style = plots.RUN_COLOURS[r % 8], LINE_STYLES[s % 4]
                else:
                    colour = plots.ZONE_COLOURS.get(series_label, plots.RUN_COLOURS[s % 8])
                    style = "--" if series_label in ("tissue mean", "mean") else "-"
                ax.plot(time, values, style, color=colour, linewidth=1.8,
                        label=series_label if (not several or r == 0) else None,
                        marker="o" if len(time) < 3 else None)
        for run_index, run in enumerate(runs):
            for t in run["infusions"]:
                ax.axvline(t, color=plots.RUN_COLOURS[run_index % 8] if several else "0.4",
                           linestyle=":", linewidth=1.2)
        units = ["%" if u.startswith("%") else u for u in units]
        unit = units[0] if len(set(units)) == 1 else None
        ax.set_title(panel_title)
        ax.set_xlabel("time [d]")
        if len(series) == 1:
            ax.set_ylabel(plots.axis_label(*plots.metric_info(series[0][0])[:2]))
        else:
            ax.set_ylabel(plots.axis_label(panel_title.split(":")[-1].split(" (")[0].strip(),
                                           unit))
        if unit == "%":
            ax.set_ylim(bottom=0.0)
        if len(series) > 1:
            handles, legend_labels = ax.get_legend_handles_labels()
            if several:  # line styles in black: the series; colours are the runs
                from matplotlib.lines import Line2D
                handles = [Line2D([], [], color="0.2", linestyle=LINE_STYLES[s % 4])
                           for s in range(len(series))]
                legend_labels = [label for _, label in series]
            ax.legend(handles, legend_labels, loc="best", frameon=False)
    for index in range(n, nrows * ncols):
        axes[index // ncols][index % ncols].set_visible(False)

    if title is None:
        title = ("%s: time course" % runs[0]["label"] if not several
                 else "Comparison: " + " vs ".join(r["label"] for r in runs))
    figure.suptitle(title, fontweight="bold")
    notes = []
    if any(r["infusions"] for r in runs):
        notes.append("dotted vertical lines: MSC infusions")
    if several:
        from matplotlib.lines import Line2D
        figure.legend([Line2D([], [], color=plots.RUN_COLOURS[i % 8], linewidth=2.5)
                       for i in range(len(runs))], [r["label"] for r in runs],
                      loc="upper right", ncol=min(4, len(runs)), frameon=False)
    if notes:
        figure.text(0.01, 0.005, "; ".join(notes), fontsize="small", color="0.3")
    figure.tight_layout(rect=(0.0, 0.02, 1.0, 0.95 if several else 0.96))
    plots.save_figure(figure, output)
    return output


def main(argv):
    args = parse_args(argv)
    plots.import_plotting()
    output = args.output or os.path.join(
        os.path.dirname(plots.find_file(args.results[0], "history.csv")), "history.png")
    make_history_plot(args.results, os.path.abspath(output), args.size, args.labels,
                      args.columns, args.title)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(PROG, main, sys.argv[1:]))

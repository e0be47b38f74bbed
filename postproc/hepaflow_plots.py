"""Shared matplotlib helpers of the postproc plot scripts (plot_*.py, report.py).

What lives here: importing numpy + matplotlib (Agg, no display needed) and vtk, reading
history.csv, sweep.csv and the cell arrays of a .vtp / .vti, parsing "1e6 cells/kg", the readable
names and units of the history metrics, a figure of an exact pixel size and saving it under a
temporary name that is renamed.

The scripts need numpy and matplotlib (Debian: python3-matplotlib) and, for network/tissue files,
vtk's Python modules (Debian: python3-vtk9, which libvtk9-dev pulls in). When the python3 that runs
a script lacks them (e.g. a pyenv or venv python) and /usr/bin/python3 has them, the script runs
itself again with /usr/bin/python3 (once; set HEPAFLOW_POSTPROC_NO_REEXEC=1 to prevent it).
"""
import csv
import math
import os
import re
import sys

from hepaflow_common import (EXIT_BACKEND, EXIT_IO, EXIT_USAGE, PostprocError, find_file,
                             series_steps)

SYSTEM_PYTHON = "/usr/bin/python3"
_REEXEC_MARK = "HEPAFLOW_POSTPROC_REEXEC"


def _run_again_with_system_python(missing):
    """Replace this process by the same script under /usr/bin/python3 when that has `missing`."""
    if (os.environ.get(_REEXEC_MARK) or os.environ.get("HEPAFLOW_POSTPROC_NO_REEXEC")
            or not os.access(SYSTEM_PYTHON, os.X_OK)
            or os.path.realpath(sys.executable) == os.path.realpath(SYSTEM_PYTHON)
            or not sys.argv or not os.path.isfile(sys.argv[0])):
        return
    os.environ[_REEXEC_MARK] = missing
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(sys.argv[0])] + sys.argv[1:])


def import_plotting():
    """(numpy, matplotlib.pyplot) with the Agg backend, or PostprocError (exit 6)."""
    try:
        import numpy
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
        return numpy, pyplot
    except ImportError as e:
        _run_again_with_system_python(e.name or "matplotlib")
        raise PostprocError("%s is not importable by %s (%s).\n  Debian/Ubuntu: apt-get install "
                            "python3-matplotlib (bash cmake/install_dependencies.sh)"
                            % (e.name, sys.executable, e), EXIT_BACKEND)


def import_vtk_readers():
    """(vtkXMLPolyDataReader, vtkXMLImageDataReader, vtk_to_numpy) or PostprocError (exit 6)."""
    try:
        from vtkmodules.vtkIOXML import vtkXMLImageDataReader, vtkXMLPolyDataReader
        from vtkmodules.util.numpy_support import vtk_to_numpy
        return vtkXMLPolyDataReader, vtkXMLImageDataReader, vtk_to_numpy
    except ImportError as e:
        _run_again_with_system_python("vtk")
        raise PostprocError("vtk's Python modules are not importable by %s (%s).\n  Debian/Ubuntu: "
                            "apt-get install python3-vtk9" % (sys.executable, e), EXIT_BACKEND)


# --- tables ------------------------------------------------------------------------------------

def read_table(path):
    """(header, rows) of a comma-separated file with a header line; rows are lists of strings."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [row for row in csv.reader(f) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise PostprocError("%s: cannot be read: %s" % (path, e), EXIT_IO)
    if not rows:
        raise PostprocError("%s: empty file" % path, EXIT_IO)
    header = [h.strip() for h in rows[0]]
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise PostprocError("%s: line %d has %d fields, the header %d"
                                % (path, i, len(row), len(header)), EXIT_IO)
    return header, rows[1:]


def to_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def read_history(result):
    """{column: numpy array} of RESULT/history.csv (RESULT a folder or the file)."""
    numpy, _ = import_plotting()
    path = find_file(result, "history.csv")
    header, rows = read_table(path)
    if "time_d" not in header:
        raise PostprocError("%s: no time_d column (columns: %s)" % (path, ", ".join(header)),
                            EXIT_IO)
    if not rows:
        raise PostprocError("%s: a header but no rows" % path, EXIT_IO)
    columns = {name: numpy.array([to_float(row[i]) for row in rows])
               for i, name in enumerate(header)}
    return path, columns


QUANTITY_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(text):
    """'1e6 cells/kg' -> (1e6, 'cells/kg'); '3e5' -> (3e5, ''); no number -> (nan, text)."""
    match = QUANTITY_RE.match(text or "")
    if not match:
        return float("nan"), (text or "").strip()
    return float(match.group(1)), match.group(2)


class Sweep:
    """sweep.csv of `hepaflow sweep`: run, folder, one column per --param, status, metrics."""

    def __init__(self, result):
        self.path = find_file(result, "sweep.csv")
        self.folder = os.path.dirname(self.path)
        header, rows = read_table(self.path)
        if header[:2] != ["run", "folder"] or "status" not in header:
            raise PostprocError("%s: not a hepaflow sweep table (expected the columns run, folder, "
                                "<parameters>, status, <metrics>)" % self.path, EXIT_IO)
        status = header.index("status")
        self.params = header[2:status]
        self.metrics = header[status + 1:]
        self.runs = []
        for row in rows:
            self.runs.append({
                "run": row[0], "folder": row[1], "status": row[status].strip(),
                "params": dict(zip(self.params, (v.strip() for v in row[2:status]))),
                "metrics": {m: to_float(v) for m, v in zip(self.metrics, row[status + 1:])}})
        if not self.runs:
            raise PostprocError("%s: no runs" % self.path, EXIT_IO)

    def ok_runs(self):
        return [r for r in self.runs if r["status"] == "ok"]


# --- names and units of the history metrics ------------------------------------------------------

# column -> (readable name, unit, factor to the plotted unit). Fractions are plotted in %.
HISTORY_METRICS = {
    "pressure_drop_mmHg": ("pressure drop", "mmHg", 1.0),
    "resistance_mmHg_min_per_nl": ("lobular resistance", "mmHg\u00b7min/nl", 1.0),
    "total_flow_nl_per_min": ("total flow", "nl/min", 1.0),
    "perfused_fraction": ("perfused sinusoids", "%", 100.0),
    "flow_cv": ("flow heterogeneity (CV)", "-", 1.0),
    "shunt_flow_fraction": ("PT\u2192CV shunt flow", "% of flow", 100.0),
    "po2_periportal_mmHg": ("PO\u2082 periportal", "mmHg", 1.0),
    "po2_midzonal_mmHg": ("PO\u2082 midzonal", "mmHg", 1.0),
    "po2_pericentral_mmHg": ("PO\u2082 pericentral", "mmHg", 1.0),
    "po2_tissue_mean_mmHg": ("tissue PO\u2082 (mean)", "mmHg", 1.0),
    "hypoxic_fraction": ("hypoxic tissue", "%", 100.0),
    "function_index": ("hepatocyte function index", "0\u20131", 1.0),
    "cpa_mean": ("CPA (mean)", "%", 100.0),
    "cpa_periportal": ("CPA periportal", "%", 100.0),
    "cpa_midzonal": ("CPA midzonal", "%", 100.0),
    "cpa_pericentral": ("CPA pericentral", "%", 100.0),
    "hsc_activation_mean": ("HSC activation (mean)", "0\u20131", 1.0),
    "closed_fraction": ("closed sinusoids", "%", 100.0),
    "msc_in_liver": ("MSC in the liver", "cells", 1.0),
    "msc_signal_mean": ("MSC paracrine signal (mean)", "cells/ml", 1.0),
    "segments": ("segments", "-", 1.0),
    "sprouts": ("new sprouts (cumulative)", "-", 1.0),
    "wall_time_s": ("wall time", "s", 1.0),
    "total_inflow_nl_per_min": ("total inflow", "nl/min", 1.0),
}


def metric_info(column):
    """(name, unit, factor) of a history column or a sweep column final_/mean_/change_<metric>.

    A change of a percentage is in percentage points."""
    prefix = ""
    for p in ("final_", "mean_", "change_", "initial_"):
        if column.startswith(p) and column[len(p):] in HISTORY_METRICS:
            prefix, column = p, column[len(p):]
            break
    if column in HISTORY_METRICS:
        name, unit, factor = HISTORY_METRICS[column]
    else:
        from hepaflow_common import quantity_unit
        name, unit = quantity_unit(column)
        unit, factor = unit or "-", 1.0
    if prefix == "change_":
        name = "\u0394 " + name
        if unit.startswith("%"):
            unit = "percentage points"
    elif prefix == "mean_":
        name += ", time average"
    elif prefix == "final_":
        name += ", final"
    elif prefix == "initial_":
        name += ", initial"
    return name, unit, factor


def axis_label(name, unit):
    return "%s [%s]" % (name, unit) if unit and unit != "-" else name


# --- network and tissue files ---------------------------------------------------------------------

def read_vtk_data(path):
    """The vtkPolyData (.vtp) or vtkImageData (.vti) of a file; PostprocError (exit 4) when it is
    missing, unreadable or has no cells."""
    poly_reader, image_reader, _ = import_vtk_readers()
    if not os.path.isfile(path):
        raise PostprocError("%s: no such file" % path, EXIT_IO)
    reader = image_reader() if path.endswith(".vti") else poly_reader()
    reader.SetFileName(path)
    reader.Update()
    data = reader.GetOutput()
    if data is None or data.GetNumberOfCells() == 0:
        raise PostprocError("%s: cannot be read or has no cells" % path, EXIT_IO)
    return data


def read_cell_arrays(path, names=None):
    """{name: numpy array} of the cell arrays of a .vtp or .vti (all, or those in names)."""
    _, _, vtk_to_numpy = import_vtk_readers()
    cells = read_vtk_data(path).GetCellData()
    arrays = {}
    for i in range(cells.GetNumberOfArrays()):
        name = cells.GetArrayName(i)
        if names is None or name in names:
            arrays[name] = vtk_to_numpy(cells.GetArray(i)).astype(float)
    return arrays


def read_data_info(path):
    """{'cell_arrays', 'point_arrays', 'bounds', 'cells'} of a .vtp or .vti."""
    data = read_vtk_data(path)
    cells, points = data.GetCellData(), data.GetPointData()
    return {"cell_arrays": [cells.GetArrayName(i) for i in range(cells.GetNumberOfArrays())],
            "point_arrays": [points.GetArrayName(i) for i in range(points.GetNumberOfArrays())],
            "bounds": data.GetBounds(), "cells": data.GetNumberOfCells()}


def pick_step(series_path, time):
    """(time, file) of a .pvd / single file: the step at time (days), the last one for None."""
    steps = series_steps(series_path)
    if time is None:
        return steps[-1]
    for step in steps:
        if abs(step[0] - time) <= 1e-9 * max(1.0, abs(time)):
            return step
    raise PostprocError("--time %g is not a time step of %s (steps: %s)"
                        % (time, series_path, ", ".join("%g" % t for t, _ in steps)), EXIT_USAGE)


# --- figures --------------------------------------------------------------------------------------

DPI = 100.0
# Colours of the three zones and of up to eight runs (colour-blind safe, Okabe-Ito).
ZONE_COLOURS = {"periportal": "#D55E00", "midzonal": "#009E73", "pericentral": "#0072B2"}
RUN_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
               "#F0E442")


def new_figure(size, rows=1, columns=1, **kwargs):
    """A figure of exactly size = (width, height) pixels with rows x columns axes."""
    _, pyplot = import_plotting()
    width, height = size
    scale = min(width / 1600.0, height / 1000.0)
    pyplot.rcParams.update({"font.size": max(7.0, 11.0 * scale),
                            "axes.titlesize": max(8.0, 12.0 * scale),
                            "axes.labelsize": max(7.0, 11.0 * scale),
                            "legend.fontsize": max(6.0, 9.5 * scale),
                            "axes.grid": True, "grid.alpha": 0.3,
                            "axes.spines.top": False, "axes.spines.right": False})
    figure, axes = pyplot.subplots(rows, columns, figsize=(width / DPI, height / DPI), dpi=DPI,
                                   squeeze=False, **kwargs)
    return figure, axes


def plain_number(v):
    """0.5, 20, 1e5, 3e-05 -> '0.5', '20', '1e5', '3e-5' (short labels for log axes)."""
    if v == 0.0 or 1e-3 <= abs(v) < 1e4:
        return "%g" % v
    mantissa, exponent = ("%.2e" % v).split("e")
    return "%se%d" % (("%g" % float(mantissa)), int(exponent))


def plain_log_ticks(ax, axis="x"):
    """Tick labels of a log axis as plain numbers (0.5, 1, 2, 1e+06) instead of 5 x 10^-1;
    the 2 and 5 minor ticks are labelled too when the axis spans less than two decades."""
    from matplotlib.ticker import FuncFormatter, NullFormatter
    target = ax.xaxis if axis == "x" else ax.yaxis
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    target.set_major_formatter(FuncFormatter(lambda v, _: plain_number(v)))
    if lo > 0.0 and math.log10(hi / lo) < 2.0:
        def minor(v, _):
            mantissa = v / 10.0 ** math.floor(math.log10(v) + 1e-9)
            return plain_number(v) if round(mantissa, 6) in (2.0, 5.0) else ""
        target.set_minor_formatter(FuncFormatter(minor))
    else:
        target.set_minor_formatter(NullFormatter())


def save_figure(figure, path):
    """Write the figure as a PNG of its exact pixel size (temporary name, then rename)."""
    from hepaflow_common import atomic_output
    _, pyplot = import_plotting()
    try:
        with atomic_output(path) as temporary:
            figure.savefig(temporary, dpi=DPI, format="png", facecolor="white")
    except OSError as e:
        raise PostprocError("%s: cannot write: %s" % (path, e), EXIT_IO)
    finally:
        pyplot.close(figure)
    print("wrote %s" % path)


def add_size_argument(parser, default):
    parser.add_argument("--size", nargs=2, type=int, default=list(default), metavar=("W", "H"),
                        help="image size in pixels (default: %d %d)" % tuple(default))


def check_size(parser, size):
    if not (200 <= size[0] <= 8000 and 150 <= size[1] <= 8000):
        parser.error("--size must be between 200x150 and 8000x8000 pixels")


def finite(numpy, values):
    values = numpy.asarray(values, dtype=float)
    return values[numpy.isfinite(values)]


def describe(numpy, values):
    """n, mean, SD, min, median, max of the finite values (GreensV4's summary line and more)."""
    values = finite(numpy, values)
    if values.size == 0:
        return {"n": 0}
    return {"n": int(values.size), "mean": float(values.mean()), "sd": float(values.std()),
            "min": float(values.min()), "median": float(numpy.median(values)),
            "max": float(values.max()), "p10": float(numpy.percentile(values, 10))}


def format_number(value):
    if value is None or not math.isfinite(value):
        return "n/a"
    return "%.4g" % value

"""Shared helpers of the postproc scripts (python3 standard library only, also imported by pvbatch).

What lives here: the exit codes, the error type the scripts raise, readable names and units of
hepaflow's output arrays and history columns, finding the files of an output folder (network,
tissue, history, sweep; .pvd time series), the case name, time formatting (days) and writing a
file under a temporary name that is renamed when complete (a killed script leaves no half-written
output).

Exit codes (as hepaflow's): 0 ok, 1 runtime error, 2 usage, 4 I/O (missing or unreadable input,
output not written), 6 a needed library (ParaView's Python, matplotlib, numpy, vtk) is missing.
"""
import contextlib
import math
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_IO, EXIT_BACKEND = 0, 1, 2, 4, 6


class PostprocError(Exception):
    """An error with the exit code the script should end with."""

    def __init__(self, message, code=EXIT_RUNTIME):
        super().__init__(message)
        self.code = code


def run_main(prog, main, argv):
    """Call main(argv); print a PostprocError as 'prog: error: ...' and return its code."""
    try:
        return main(argv)
    except PostprocError as e:
        sys.stderr.write("%s: error: %s\n" % (prog, e))
        return e.code


# --- names and units ------------------------------------------------------------------------

# Arrays whose sign only gives the direction relative to the segment's node order: shown as |x|.
DIRECTIONAL_ARRAYS = ("flow_nl_per_min", "velocity_mm_per_s", "wall_shear_stress_Pa",
                      "o2_flux_nl_per_min")

# Readable quantity names and units of hepaflow's arrays (named <quantity>_<unit>, DESIGN.md
# "Conventions"). None = dimensionless and not a fraction.
QUANTITIES = {
    "flow_nl_per_min": ("flow", "nl/min"),
    "velocity_mm_per_s": ("velocity", "mm/s"),
    "wall_shear_stress_Pa": ("wall shear stress", "Pa"),
    "viscosity_cP": ("apparent viscosity", "cP"),
    "relative_viscosity": ("relative viscosity", None),
    "radius_um": ("radius", "\u00b5m"),
    "length_um": ("length", "\u00b5m"),
    "pressure_mmHg": ("pressure", "mmHg"),
    "po2_mmHg": ("PO\u2082", "mmHg"),
    "po2_in_mmHg": ("PO\u2082 at inflow end", "mmHg"),
    "po2_out_mmHg": ("PO\u2082 at outflow end", "mmHg"),
    "po2_mean_mmHg": ("vessel PO\u2082", "mmHg"),
    "so2": ("O\u2082 saturation", "-"),
    "o2_flux_nl_per_min": ("O\u2082 flux to tissue", "nl/min"),
    "haematocrit": ("haematocrit", "-"),
    "zone": ("zone (0 portal \u2013 1 central)", None),
    "kind": ("vessel kind", None),
    "segment_id": ("segment id", None),
    "node_id": ("node id", None),
    "hsc_activation": ("HSC activation", "0\u20131"),
    "hsc_tone": ("HSC tone", "0\u20131"),
    "capillarization": ("capillarization", "0\u20131"),
    "collagen": ("collagen (CPA)", "fraction"),
    "closed": ("closed (1) / open (0)", None),
    "msc_signal": ("MSC paracrine signal", "cells d/ml"),
    "msc_effect": ("MSC effect E", None),
    "segment_age_d": ("segment age", "d"),
    "radius_factor": ("radius / healthy radius", None),
    "consumption_ml_per_ml_per_min": ("O\u2082 consumption", "ml O\u2082/ml/min"),
    "hypoxic": ("hypoxic (1) / not (0)", None),
    "in_region": ("inside the tissue region", None),
    "tissue_po2_mmHg": ("tissue PO\u2082", "mmHg"),
    "tissue_hypoxic_fraction": ("hypoxic tissue fraction", "0\u20131"),
    "septal": ("in a fibrous septum (1) / not (0)", None),
    "function_index": ("hepatocyte function index", "0\u20131"),
}
UNIT_SUFFIXES = (("_nl_per_min", "nl/min"), ("_mm_per_s", "mm/s"), ("_um_per_s", "\u00b5m/s"),
                 ("_ml_per_ml_per_min", "ml/ml/min"), ("_mmHg_min_per_nl", "mmHg\u00b7min/nl"),
                 ("_mmHg", "mmHg"), ("_Pa", "Pa"), ("_cP", "cP"), ("_um", "\u00b5m"),
                 ("_mm", "mm"), ("_per_s", "1/s"), ("_s", "s"), ("_d", "d"))


def quantity_unit(name):
    """('flow', 'nl/min') for 'flow_nl_per_min'; unknown names are split at a unit suffix."""
    if name in QUANTITIES:
        return QUANTITIES[name]
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)].replace("_", " "), unit
    return name.replace("_", " "), None


def array_label(name, unit_override=None):
    """'flow_nl_per_min' -> 'flow [nl/min]'. (No '|': VTK's text renderer reads it as a column
    separator.)"""
    quantity, unit = quantity_unit(name)
    unit = unit_override or unit
    return "%s [%s]" % (quantity, unit) if unit else quantity


# --- output folders ----------------------------------------------------------------------------

SERIES = {"network": ("network.pvd", r"network_\d+\.vtp$"),
          "tissue": ("tissue.pvd", r"tissue_\d+\.vti$")}


def read_pvd(path):
    """[(time, absolute file path)] of a ParaView .pvd collection, sorted by time."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as e:
        raise PostprocError("%s: cannot be read as a .pvd collection: %s" % (path, e), EXIT_IO)
    folder = os.path.dirname(os.path.abspath(path))
    steps = []
    for dataset in root.iter("DataSet"):
        try:
            time = float(dataset.get("timestep", "0"))
        except ValueError:
            time = 0.0
        steps.append((time, os.path.join(folder, dataset.get("file", ""))))
    if not steps:
        raise PostprocError("%s: the collection lists no data sets" % path, EXIT_IO)
    return sorted(steps, key=lambda s: s[0])


def find_series(result, kind="network", required=True):
    """Resolve RESULT (a folder, a .pvd or a single .vtp/.vti) to (path, folder).

    path is the .pvd (or the single data file) of the 'network' or 'tissue' series; folder is the
    output folder (for the case name and the other files). With required=False a folder without
    that series gives (None, folder)."""
    pvd_name, pattern = SERIES[kind]
    path = os.path.abspath(result)
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, pvd_name)):
            return os.path.join(path, pvd_name), path
        files = sorted(f for f in os.listdir(path) if re.match(pattern, f))
        if files:
            return os.path.join(path, files[-1]), path
        if not required:
            return None, path
        raise PostprocError("%s: no %s or %s files in this folder%s"
                            % (result, pvd_name, pattern.replace(r"\d+\.", "NNNNNN.")
                               .rstrip("$").replace("\\", ""),
                               " (is it a run with a tissue grid, oxygen.tissue_model = \"grid\"?)"
                               if kind == "tissue" else ""), EXIT_IO)
    if not os.path.exists(path):
        raise PostprocError("%s: no such file or folder" % result, EXIT_IO)
    extension = ".vtp" if kind == "network" else ".vti"
    if not path.endswith((".pvd", extension)):
        raise PostprocError("%s: expected a %s, a .pvd or a hepaflow output folder"
                            % (result, extension), EXIT_USAGE)
    if not os.access(path, os.R_OK):
        raise PostprocError("%s: not readable" % result, EXIT_IO)
    return path, os.path.dirname(path)


def series_steps(path):
    """[(time, file)] of a .pvd, or [(0.0, path)] for a single data file."""
    if path.endswith(".pvd"):
        steps = read_pvd(path)
        missing = [f for _, f in steps if not os.path.isfile(f)]
        if missing:
            raise PostprocError("%s lists %d missing file(s), first %s"
                                % (path, len(missing), missing[0]), EXIT_IO)
        return steps
    return [(0.0, path)]


def find_file(result, name):
    """RESULT/name when RESULT is a folder, RESULT itself when it is a file called like name."""
    path = os.path.abspath(result)
    if not os.path.exists(path):
        raise PostprocError("%s: no such file or folder" % result, EXIT_IO)
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, name)):
            raise PostprocError("%s: the folder has no %s" % (result, name), EXIT_IO)
        path = os.path.join(path, name)
    return path


def case_name(folder, fallback=None):
    """Case name from case.resolved.toml in folder, else the folder's name."""
    name = read_case(folder).get("case", {}).get("name")
    if name:
        return str(name)
    name = os.path.basename(os.path.normpath(folder))
    return name or fallback or "hepaflow"


# --- formatting ------------------------------------------------------------------------------

def format_days(days):
    """Time given in days (the unit of hepaflow's .pvd time steps and history.csv) as text."""
    if days == 0.0 or abs(days) >= 1.0:
        return "%g d" % float("%.4g" % days)
    if abs(days) * 24.0 >= 1.0:
        return "%.3g h" % (days * 24.0)
    return "%.3g min" % (days * 1440.0)


def format_length(um):
    return "%g mm" % float("%.3g" % (um / 1000.0)) if um >= 1000.0 else "%g \u00b5m" % float(
        "%.3g" % um)


def nice_length(target_um):
    """The largest 1, 2 or 5 x 10^k micrometres not above target_um (for a scale bar)."""
    if target_um <= 0.0:
        return 1.0
    exponent = math.floor(math.log10(target_um))
    for mantissa in (5.0, 2.0, 1.0):
        if mantissa * 10.0 ** exponent <= target_um:
            return mantissa * 10.0 ** exponent
    return 10.0 ** exponent


DAYS_PER_UNIT = {"s": 1.0 / 86400.0, "min": 1.0 / 1440.0, "h": 1.0 / 24.0, "d": 1.0, "day": 1.0,
                 "days": 1.0, "wk": 7.0, "week": 7.0, "weeks": 7.0}


def parse_days(text):
    """'8 wk' -> 56.0, '12 h' -> 0.5 (a case file's time); None when it is not a time."""
    match = re.match(r"^\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*([a-z]+)\s*$", str(text))
    if not match or match.group(2) not in DAYS_PER_UNIT:
        return None
    try:
        return float(match.group(1)) * DAYS_PER_UNIT[match.group(2)]
    except ValueError:
        return None


def read_case(folder):
    """case.resolved.toml of an output folder as a dict ({} when missing or unreadable)."""
    try:
        import tomllib
        with open(os.path.join(folder, "case.resolved.toml"), "rb") as f:
            return tomllib.load(f)
    except Exception:
        return {}


def infusion_times(case):
    """Times (days) of the MSC infusions of a resolved case: the regular schedule when its dose
    is not 0, and every [[therapy.infusion]]."""
    therapy = case.get("therapy", {}) if isinstance(case, dict) else {}
    times = []
    dose = str(therapy.get("dose", "0")).split()
    if dose and dose[0] not in ("0", "0.0", "0e0") and "dose" in therapy:
        start = parse_days(therapy.get("start", "0 d")) or 0.0
        interval = parse_days(therapy.get("interval", "28 d")) or 28.0
        times += [start + k * interval for k in range(int(therapy.get("count", 1)))]
    for infusion in therapy.get("infusion", []) or []:
        t = parse_days(infusion.get("time", ""))
        if t is not None:
            times.append(t)
    return sorted(set(times))


# --- writing -----------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary name beside path (same extension, so writers that pick the format from it
    work); rename it to path when the block ends without an exception, else remove it."""
    path = os.path.abspath(path)
    folder, name = os.path.split(path)
    if not os.path.isdir(folder):
        raise PostprocError("%s: output folder does not exist" % folder, EXIT_IO)
    stem, extension = os.path.splitext(name)
    temporary = os.path.join(folder, ".%s.partial-%d%s" % (stem, os.getpid(), extension))
    try:
        yield temporary
        if not os.path.isfile(temporary) or os.path.getsize(temporary) == 0:
            raise PostprocError("%s was not written" % path, EXIT_IO)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_text(path, text):
    """Write a text file atomically."""
    try:
        with atomic_output(path) as temporary:
            with open(temporary, "w", encoding="utf-8") as f:
                f.write(text)
    except OSError as e:
        raise PostprocError("%s: cannot write: %s" % (path, e), EXIT_IO)

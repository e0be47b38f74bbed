#!/usr/bin/env pvbatch
"""Render a hepaflow network result to a PNG with ParaView (run with pvbatch).

    xvfb-run -a pvbatch postproc/render_network.py RESULT [--array flow_nl_per_min]
        [--output network.png] [--size 1600 1200] [--log] [--title TEXT] [--state FILE.pvsm]

RESULT is a network_NNNNNN.vtp, a network.pvd (last time step) or a hepaflow output folder (its
network.pvd). Vessels are drawn as tubes with their true radius (Tube filter, "Vary Radius" = By
Absolute Scalar on the point array radius_um), coloured by one segment (cell) or node (point)
array. Signed arrays whose sign is only a direction (flow, velocity, wall shear stress) are drawn as
magnitudes |x|. Exit codes follow hepaflow's: 0 ok, 1 runtime error, 2 usage (unknown array,
bad option), 4 I/O (missing or unreadable input, PNG not written), 6 ParaView's Python modules
missing (see PARAVIEW_PYTHON_DIRS below).
"""
import argparse
import math
import os
import re
import sys

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_IO, EXIT_BACKEND = 0, 1, 2, 4, 6

# Debian's python3-paraview conflicts with python3-vtk9 (which libvtk9-dev, needed to build
# hepaflow, depends on), so on a build machine ParaView's Python modules are usually unpacked
# beside the system instead of installed (cmake/install_dependencies.sh does it into .deps/):
#   apt-get download python3-paraview && dpkg -x python3-paraview_*.deb .deps/paraview-python
# They are looked for in $HEPAFLOW_PARAVIEW_PYTHONPATH (':'-separated) and then in these folders.
_REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARAVIEW_PYTHON_DIRS = (os.path.join(_REPOSITORY, ".deps/paraview-python/usr/lib/python3/dist-packages"),
                        "/opt/paraview-python/usr/lib/python3/dist-packages",
                        "/opt/paraview-python")
PARAVIEW_INSTALL_HINT = (
    "ParaView's Python modules (paraview.simple) are not importable by pvbatch.\n"
    "  Debian/Ubuntu: apt-get install python3-paraview, or where it conflicts with python3-vtk9\n"
    "  (libvtk9-dev): bash cmake/install_dependencies.sh (unpacks it into .deps/paraview-python)\n"
    "  or set HEPAFLOW_PARAVIEW_PYTHONPATH to the folder that holds paraview/ and vtkmodules/.")


def import_paraview():
    """Import paraview.simple, adding the unpacked ParaView Python folders when needed.

    Must run before anything imports vtkmodules: ParaView's vtkmodules must shadow python3-vtk9's.
    Returns the module or None."""
    try:
        from paraview import simple
        return simple
    except ImportError:
        pass
    extra = [d for d in os.environ.get("HEPAFLOW_PARAVIEW_PYTHONPATH", "").split(os.pathsep) if d]
    for folder in extra + list(PARAVIEW_PYTHON_DIRS):
        if not os.path.isdir(os.path.join(folder, "paraview")):
            continue
        sys.path.insert(0, folder)
        for name in [m for m in sys.modules if m == "paraview" or m.startswith("paraview.")]:
            del sys.modules[name]
        try:
            from paraview import simple
            return simple
        except ImportError:
            sys.path.remove(folder)
    return None

# Arrays whose sign only says the direction relative to the segment's node order: drawn as |x|.
DIRECTIONAL_ARRAYS = ("flow_nl_per_min", "velocity_mm_per_s", "wall_shear_stress_Pa")

# Readable quantity names and units for the colour-bar title (hepaflow names arrays
# <quantity>_<unit>, see DESIGN.md "Conventions").
QUANTITIES = {
    "flow_nl_per_min": ("flow", "nl/min"),
    "velocity_mm_per_s": ("velocity", "mm/s"),
    "wall_shear_stress_Pa": ("wall shear stress", "Pa"),
    "viscosity_cP": ("apparent viscosity", "cP"),
    "radius_um": ("radius", "\u00b5m"),
    "length_um": ("length", "\u00b5m"),
    "pressure_mmHg": ("pressure", "mmHg"),
    "po2_mmHg": ("PO\u2082", "mmHg"),
    "haematocrit": ("haematocrit", "-"),
    "zone": ("zone (0 portal \u2013 1 central)", None),
    "kind": ("vessel kind", None),
    "segment_id": ("segment id", None),
    "node_id": ("node id", None),
}
UNIT_SUFFIXES = (("_nl_per_min", "nl/min"), ("_mm_per_s", "mm/s"), ("_um_per_s", "\u00b5m/s"),
                 ("_mmHg", "mmHg"), ("_Pa", "Pa"), ("_cP", "cP"), ("_um", "\u00b5m"),
                 ("_mm", "mm"), ("_per_s", "1/s"), ("_s", "s"))


class RenderError(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def array_label(name):
    """'flow_nl_per_min' -> 'flow [nl/min]'. (No '|': VTK's text renderer reads it as a column
    separator.)"""
    if name in QUANTITIES:
        quantity, unit = QUANTITIES[name]
    else:
        quantity, unit = name, None
        for suffix, suffix_unit in UNIT_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                quantity, unit = name[: -len(suffix)], suffix_unit
                break
        quantity = quantity.replace("_", " ")
    return "%s [%s]" % (quantity, unit) if unit else quantity


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="pvbatch render_network.py",
        description="Render a hepaflow network result (vessels as tubes of their true radius, "
                    "coloured by one array) to a PNG.")
    parser.add_argument("result", nargs="?",
                        help="network_NNNNNN.vtp, network.pvd or a hepaflow output folder")
    parser.add_argument("--array", default="flow_nl_per_min",
                        help="cell (segment) or point (node) array to colour by "
                             "(default: flow_nl_per_min)")
    parser.add_argument("--output", "-o", default=None,
                        help="PNG to write (default: RESULT folder/network_<array>.png)")
    parser.add_argument("--size", nargs=2, type=int, default=[1600, 1200], metavar=("W", "H"),
                        help="image size in pixels (default: 1600 1200)")
    parser.add_argument("--log", action="store_true", help="logarithmic colour scale")
    parser.add_argument("--range", nargs=2, type=float, default=None, metavar=("MIN", "MAX"),
                        help="colour range (default: data range of the drawn values)")
    parser.add_argument("--signed", action="store_true",
                        help="draw flow/velocity/shear stress with their sign instead of |x|")
    parser.add_argument("--title", default=None,
                        help="title text (default: '<case name>: <array label>')")
    parser.add_argument("--colormap", default=None,
                        help="ParaView colour-map preset (default: 'Viridis (matplotlib)', "
                             "'Cool to Warm' for signed data)")
    parser.add_argument("--radius-scale", type=float, default=1.0,
                        help="multiply the drawn tube radius (default 1 = true radius)")
    parser.add_argument("--view", choices=("auto", "oblique", "top"), default="auto",
                        help="camera: oblique for 3-D networks, top (down -z) for flat ones")
    parser.add_argument("--time", type=float, default=None,
                        help="time step to draw from a .pvd (default: the last one)")
    parser.add_argument("--state", default=None,
                        help="also write a ParaView state file (.pvsm) to open in the GUI")
    parser.add_argument("--check-paraview", action="store_true",
                        help="only check that ParaView's Python modules load (exit 0, else 6)")
    args = parser.parse_args(argv)
    if args.result is None and not args.check_paraview:
        parser.error("the following arguments are required: result")
    if args.size[0] < 16 or args.size[1] < 16 or args.size[0] > 16384 or args.size[1] > 16384:
        parser.error("--size must be between 16 and 16384 pixels")
    if args.radius_scale <= 0.0:
        parser.error("--radius-scale must be positive")
    if args.range is not None and not args.range[0] < args.range[1]:
        parser.error("--range MIN must be less than MAX")
    return args


def resolve_input(result):
    """Return (path to .pvd or .vtp, output folder used for names and case metadata)."""
    path = os.path.abspath(result)
    if os.path.isdir(path):
        pvd = os.path.join(path, "network.pvd")
        if os.path.isfile(pvd):
            return pvd, path
        vtps = sorted(f for f in os.listdir(path) if re.match(r"network_\d+\.vtp$", f))
        if vtps:
            return os.path.join(path, vtps[-1]), path
        raise RenderError("%s: no network.pvd or network_NNNNNN.vtp in this folder" % result,
                          EXIT_IO)
    if not os.path.exists(path):
        raise RenderError("%s: no such file or folder" % result, EXIT_IO)
    if not path.endswith((".pvd", ".vtp")):
        raise RenderError("%s: expected a .vtp, a .pvd or a hepaflow output folder" % result,
                          EXIT_USAGE)
    if not os.access(path, os.R_OK):
        raise RenderError("%s: not readable" % result, EXIT_IO)
    return path, os.path.dirname(path)


def case_name(folder, input_path):
    """Case name from case.resolved.toml next to the result, else the folder name."""
    resolved = os.path.join(folder, "case.resolved.toml")
    if os.path.isfile(resolved):
        try:
            import tomllib
            with open(resolved, "rb") as f:
                name = tomllib.load(f).get("case", {}).get("name")
            if name:
                return str(name)
        except Exception:  # an unparsable resolved case only loses the nice title
            pass
    name = os.path.basename(os.path.normpath(folder))
    return name or os.path.splitext(os.path.basename(input_path))[0]


def positive_minimum(source, association, name):
    """Smallest value > 0 of an array (for a log colour scale), or None."""
    from paraview import servermanager
    data = servermanager.Fetch(source)
    if data is None:
        return None
    if data.IsA("vtkMultiBlockDataSet") or data.IsA("vtkCompositeDataSet"):
        it = data.NewIterator()
        it.InitTraversal()
        blocks = []
        while not it.IsDoneWithTraversal():
            blocks.append(it.GetCurrentDataObject())
            it.GoToNextItem()
    else:
        blocks = [data]
    best = None
    for block in blocks:
        attributes = block.GetCellData() if association == "CELLS" else block.GetPointData()
        array = attributes.GetArray(name)
        if array is None:
            continue
        for i in range(array.GetNumberOfTuples()):
            v = array.GetComponent(i, 0)
            if v > 0.0 and math.isfinite(v) and (best is None or v < best):
                best = v
    return best


# ParaView's built-in "Arial" on Debian draws '[' like '(': use DejaVu Sans when it is installed.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF", "/usr/share/fonts/dejavu",
             "/Library/Fonts", "C:/Windows/Fonts")


def font_file(bold):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def set_font(proxy, bold, prefix=""):
    """Set a text or scalar-bar font (prefix 'Title'/'Label' for scalar bars)."""
    path = font_file(bold)
    if path:
        setattr(proxy, prefix + "FontFamily", "File")
        setattr(proxy, prefix + "FontFile", path)
    setattr(proxy, prefix + "Bold" if prefix else "Bold", 1 if bold else 0)


def format_time(seconds):
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if abs(seconds) >= size:
            return "%.4g %s" % (seconds / size, unit)
    return "%.4g s" % seconds


def format_length(um):
    return "%.3g mm" % (um / 1000.0) if um >= 10000.0 else "%.0f \u00b5m" % um


def render(args, views):
    input_path, folder = resolve_input(args.result)
    output = args.output or os.path.join(folder, "network_%s.png" % args.array)
    output = os.path.abspath(output)
    out_dir = os.path.dirname(output)
    if not os.path.isdir(out_dir):
        raise RenderError("%s: output folder does not exist" % out_dir, EXIT_IO)

    pv = import_paraview()
    if pv is None:
        raise RenderError(PARAVIEW_INSTALL_HINT, EXIT_BACKEND)

    if input_path.endswith(".pvd"):
        reader = pv.PVDReader(registrationName=os.path.basename(input_path), FileName=input_path)
    else:
        reader = pv.XMLPolyDataReader(registrationName=os.path.basename(input_path),
                                      FileName=[input_path])
    times = list(getattr(reader, "TimestepValues", None) or [])
    time = args.time if args.time is not None else (times[-1] if times else 0.0)
    if args.time is not None and times and not any(abs(t - time) <= 1e-9 * max(1.0, abs(t))
                                                   for t in times):
        raise RenderError("--time %g is not a time step of %s (steps: %s)"
                          % (time, args.result, ", ".join("%g" % t for t in times)), EXIT_USAGE)
    try:
        reader.UpdatePipeline(time)
    except Exception as e:
        raise RenderError("%s: cannot be read: %s" % (input_path, e), EXIT_IO)
    info = reader.GetDataInformation()
    if info.GetNumberOfPoints() == 0 or info.GetNumberOfCells() == 0:
        raise RenderError("%s: no vessels (0 points or 0 cells); is it a hepaflow network?"
                          % input_path, EXIT_IO)

    cell_arrays = list(reader.CellData.keys())
    point_arrays = list(reader.PointData.keys())
    if args.array in cell_arrays:
        association, attribute = "CELLS", reader.CellData[args.array]
    elif args.array in point_arrays:
        association, attribute = "POINTS", reader.PointData[args.array]
    else:
        raise RenderError(
            "unknown array '%s' in %s\n  segment (cell) arrays: %s\n  node (point) arrays: %s"
            % (args.array, input_path, ", ".join(cell_arrays) or "(none)",
               ", ".join(point_arrays) or "(none)"), EXIT_USAGE)
    if attribute.GetNumberOfComponents() != 1:
        raise RenderError("array '%s' has %d components; only scalar arrays can be drawn"
                          % (args.array, attribute.GetNumberOfComponents()), EXIT_USAGE)
    if "radius_um" not in point_arrays:
        raise RenderError("%s has no point array radius_um, needed for the tube radius "
                          "(point arrays: %s)" % (input_path, ", ".join(point_arrays) or "(none)"),
                          EXIT_USAGE)

    lo, hi = attribute.GetRange(0)
    magnitude = args.array in DIRECTIONAL_ARRAYS and not args.signed and lo < 0.0
    source, colour_array = reader, args.array
    if magnitude:
        colour_array = "abs_" + args.array
        source = pv.Calculator(registrationName=colour_array, Input=reader,
                               AttributeType="Cell Data" if association == "CELLS"
                               else "Point Data",
                               Function="abs(%s)" % args.array, ResultArrayName=colour_array,
                               ResultArrayType="Double")
    radius_array = "radius_um"
    if args.radius_scale != 1.0:
        radius_array = "drawn_radius_um"
        source = pv.Calculator(registrationName=radius_array, Input=source,
                               AttributeType="Point Data",
                               Function="%r*radius_um" % args.radius_scale,
                               ResultArrayName=radius_array, ResultArrayType="Double")
    # True vessel radius: the absolute point scalar radius_um is the tube radius (factor 1).
    tubes = pv.Tube(registrationName="vessels", Input=source, Scalars=["POINTS", radius_array],
                    VaryRadius="By Absolute Scalar", Radius=1.0, RadiusFactor=1.0,
                    NumberofSides=16, Capping=1)
    tubes.UpdatePipeline(time)

    width, height = args.size
    view = pv.CreateView("RenderView")
    views.append(view)
    view.ViewSize = [width, height]
    view.ViewTime = time
    view.UseColorPaletteForBackground = 0
    view.Background = [1.0, 1.0, 1.0]
    view.OrientationAxesVisibility = 1
    view.OrientationAxesLabelColor = [0.1, 0.1, 0.1]
    view.UseFXAA = 1
    pv.SetActiveView(view)

    display = pv.Show(tubes, view)
    display.Representation = "Surface"
    display.Specular = 0.25
    display.SpecularPower = 40.0
    display.Ambient = 0.15
    display.Diffuse = 0.85
    pv.ColorBy(display, (association, colour_array))

    lut = pv.GetColorTransferFunction(colour_array)
    pwf = pv.GetOpacityTransferFunction(colour_array)
    drawn_lo, drawn_hi = (abs(0.0 if lo < 0.0 < hi else min(abs(lo), abs(hi))), max(abs(lo), abs(hi))) \
        if magnitude else (lo, hi)
    if args.range is not None:
        drawn_lo, drawn_hi = args.range
    signed_data = drawn_lo < 0.0 < drawn_hi and not magnitude
    if signed_data and args.range is None and not args.log:
        # Diverging map centred on zero: white means no flow, red/blue the two directions.
        drawn_hi = max(-drawn_lo, drawn_hi)
        drawn_lo = -drawn_hi
    preset = args.colormap or ("Cool to Warm" if signed_data else "Viridis (matplotlib)")
    if not lut.ApplyPreset(preset, True):
        raise RenderError("unknown colour map preset '%s'" % preset, EXIT_USAGE)
    if args.log:
        if drawn_hi <= 0.0:
            raise RenderError("--log: array '%s' has no positive values (range %g .. %g)"
                              % (args.array, lo, hi), EXIT_USAGE)
        if drawn_lo <= 0.0:
            positive = positive_minimum(tubes, association, colour_array)
            drawn_lo = positive if positive is not None else drawn_hi * 1e-3
        if drawn_lo >= drawn_hi:
            drawn_lo = drawn_hi / 10.0
    elif drawn_lo == drawn_hi:
        pad = abs(drawn_lo) * 0.05 or 1.0
        drawn_lo, drawn_hi = drawn_lo - pad, drawn_hi + pad
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(drawn_lo, drawn_hi)
    pwf.RescaleTransferFunction(drawn_lo, drawn_hi)
    if args.log:
        lut.MapControlPointsToLogSpace()
        lut.UseLogScale = 1
    lut.NanColor = [0.6, 0.6, 0.6]  # e.g. zone of portal/central vessels (NaN): grey

    label = array_label(args.array)
    if args.log:
        label += " (log)"
    bar = pv.GetScalarBar(lut, view)
    bar.Title = label
    bar.ComponentTitle = ""
    bar.Orientation = "Vertical"
    bar.WindowLocation = "Any Location"
    bar.Position = [0.87, 0.12]
    bar.ScalarBarLength = 0.66
    bar.ScalarBarThickness = max(16, int(round(height / 50.0)))
    bar.TitleColor = [0.0, 0.0, 0.0]
    bar.LabelColor = [0.0, 0.0, 0.0]
    bar.TitleFontSize = max(12, int(round(height / 55.0)))
    bar.LabelFontSize = max(10, int(round(height / 65.0)))
    set_font(bar, True, "Title")
    set_font(bar, False, "Label")
    bar.HorizontalTitle = 1
    bar.TitleJustification = "Right"
    bar.TextPosition = "Ticks left/bottom, annotations right/top"
    bar.AutomaticLabelFormat = 0
    bar.LabelFormat = "%.4g"
    bar.RangeLabelFormat = "%.4g"
    bar.AddRangeLabels = 1
    bar.DrawTickMarks = 1
    bar.ScalarBarOutlineColor = [0.0, 0.0, 0.0]
    bar.DrawScalarBarOutline = 1
    if args.array == "zone":
        bar.DrawNanAnnotation = 1
        bar.NanAnnotation = "no zone"
    bar.Visibility = 1
    display.SetScalarBarVisibility(view, True)

    bounds = tubes.GetDataInformation().GetBounds()
    extent = [bounds[1] - bounds[0], bounds[3] - bounds[2], bounds[5] - bounds[4]]
    largest = max(extent) or 1.0
    three_d = extent[2] > 0.05 * largest and args.view != "top" or args.view == "oblique"

    name = case_name(folder, input_path)
    title = pv.Text(registrationName="title",
                    Text=args.title if args.title is not None else "%s: %s" % (name, label))
    title_display = pv.Show(title, view)
    title_display.WindowLocation = "Upper Center"
    title_display.Color = [0.0, 0.0, 0.0]
    title_display.FontSize = max(14, int(round(height / 40.0)))
    set_font(title_display, True)

    n_vessels = reader.GetDataInformation().GetNumberOfCells()
    n_nodes = reader.GetDataInformation().GetNumberOfPoints()
    # Size of the network itself (vessel centrelines), not of the (possibly scaled) tubes.
    centre_bounds = reader.GetDataInformation().GetBounds()
    centre_extent = [centre_bounds[2 * i + 1] - centre_bounds[2 * i] for i in range(3)]
    ext_text = " \u00d7 ".join(format_length(e)
                               for e in (centre_extent if three_d else centre_extent[:2]))
    note = "%d segments, %d nodes   extent %s" % (n_vessels, n_nodes, ext_text)
    note += "\ntubes: %s radius" % ("true" if args.radius_scale == 1.0
                                     else "%g \u00d7 true" % args.radius_scale)
    if times and len(times) > 1:
        note += "   t = %s" % format_time(time)
    if magnitude:
        note += "   colour: magnitude (the sign only gives the direction)"
    info_text = pv.Text(registrationName="info", Text=note)
    info_display = pv.Show(info_text, view)
    info_display.WindowLocation = "Lower Left Corner"
    info_display.Justification = "Left"
    info_display.Color = [0.15, 0.15, 0.15]
    info_display.FontSize = max(10, int(round(height / 70.0)))
    set_font(info_display, False)

    # Camera: fit the network bounds; oblique for 3-D networks, top view for flat ones.
    centre = [0.5 * (bounds[0] + bounds[1]), 0.5 * (bounds[2] + bounds[3]),
              0.5 * (bounds[4] + bounds[5])]
    if three_d:
        direction, up = (0.55, -0.75, 0.62), (0.0, 0.0, 1.0)
    else:
        direction, up = (0.0, 0.0, 1.0), (0.0, 1.0, 0.0)
    view.CameraFocalPoint = centre
    view.CameraPosition = [centre[i] + direction[i] * largest * 3.0 for i in range(3)]
    view.CameraViewUp = list(up)
    view.CameraParallelProjection = 0 if three_d else 1
    view.ResetCamera(bounds[0], bounds[1], bounds[2], bounds[3], bounds[4], bounds[5])
    # Leave room for the title (top), the note (bottom) and the colour bar (right): shift the
    # network a little to the left of the image centre and zoom out slightly.
    camera = view.GetActiveCamera()
    camera.SetWindowCenter(0.12, -0.02)
    camera.Zoom(0.95)
    view.CenterOfRotation = centre

    try:
        pv.SaveScreenshot(output, view, ImageResolution=[width, height],
                          TransparentBackground=0)
    except Exception as e:
        raise RenderError("%s: cannot write PNG: %s" % (output, e), EXIT_IO)
    if not os.path.isfile(output) or os.path.getsize(output) == 0:
        raise RenderError("%s: PNG was not written" % output, EXIT_IO)
    print("wrote %s (%dx%d, %s %s, range %.4g .. %.4g%s)"
          % (output, width, height, association.lower()[:-1], colour_array, drawn_lo, drawn_hi,
             ", log" if args.log else ""))
    if args.state:
        state = os.path.abspath(args.state)
        try:
            pv.SaveState(state)
        except Exception as e:
            raise RenderError("%s: cannot write state file: %s" % (state, e), EXIT_IO)
        print("wrote %s (open in ParaView: File > Load State)" % state)


def main(argv):
    args = parse_args(argv)
    if args.check_paraview:
        pv = import_paraview()
        if pv is None:
            sys.stderr.write("render_network: error: %s\n" % PARAVIEW_INSTALL_HINT)
            return EXIT_BACKEND
        print("render_network: ParaView %d.%d Python modules load (%s)"
              % (pv.GetParaViewVersion().major, pv.GetParaViewVersion().minor,
                 os.path.dirname(os.path.dirname(pv.__file__))))
        return EXIT_OK
    views = []
    try:
        render(args, views)
    except RenderError as e:
        sys.stderr.write("render_network: error: %s\n" % e)
        return e.code
    finally:
        # pvbatch 5.11 (X11/GLX) dies with GLXBadContext, exit status 1, when sys.exit() runs
        # while a render view is alive: delete the views first.
        if views:
            pv = import_paraview()
            for view in views:
                pv.Delete(view)
            del views[:]
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

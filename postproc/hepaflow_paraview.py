"""Shared ParaView (pvbatch) helpers of the postproc render scripts.

render_network.py, render_animation.py and render_tissue.py build their pictures from these
pieces: finding ParaView's Python modules, a white render view, vessels as tubes of their true
radius (NetworkScene), colour maps and a labelled colour bar, title / note / time texts, a camera
framed on the data's bounds (parallel projection) with a scale bar, and PNG / state files written
under a temporary name and renamed.

Import this module before anything imports vtkmodules: ParaView's vtkmodules must shadow
python3-vtk9's (import_paraview() puts the unpacked python3-paraview first on sys.path).
"""
import os
import sys

from hepaflow_common import (DIRECTIONAL_ARRAYS, EXIT_BACKEND, EXIT_IO, EXIT_OK, EXIT_USAGE,
                             PostprocError, array_label, atomic_output, format_length,
                             nice_length)

# Debian's python3-paraview conflicts with python3-vtk9 (which libvtk9-dev, needed to build
# hepaflow, depends on), so on a build machine ParaView's Python modules are usually unpacked
# beside the system instead of installed (cmake/install_dependencies.sh does it into .deps/):
#   apt-get download python3-paraview && dpkg -x python3-paraview_*.deb .deps/paraview-python
# They are looked for in $HEPAFLOW_PARAVIEW_PYTHONPATH (':'-separated) and then in these folders.
_REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARAVIEW_PYTHON_DIRS = (os.path.join(_REPOSITORY,
                                     ".deps/paraview-python/usr/lib/python3/dist-packages"),
                        "/opt/paraview-python/usr/lib/python3/dist-packages",
                        "/opt/paraview-python")
PARAVIEW_INSTALL_HINT = (
    "ParaView's Python modules (paraview.simple) are not importable by pvbatch.\n"
    "  Debian/Ubuntu: apt-get install python3-paraview, or where it conflicts with python3-vtk9\n"
    "  (libvtk9-dev): bash cmake/install_dependencies.sh (unpacks it into .deps/paraview-python)\n"
    "  or set HEPAFLOW_PARAVIEW_PYTHONPATH to the folder that holds paraview/ and vtkmodules/.")


def import_paraview():
    """Import paraview.simple, adding the unpacked ParaView Python folders when needed.

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


def require_paraview():
    pv = import_paraview()
    if pv is None:
        raise PostprocError(PARAVIEW_INSTALL_HINT, EXIT_BACKEND)
    return pv


def check_paraview(prog):
    """--check-paraview: report where ParaView's modules came from; exit code 0 or 6."""
    pv = import_paraview()
    if pv is None:
        sys.stderr.write("%s: error: %s\n" % (prog, PARAVIEW_INSTALL_HINT))
        return EXIT_BACKEND
    print("%s: ParaView %d.%d Python modules load (%s)"
          % (prog, pv.GetParaViewVersion().major, pv.GetParaViewVersion().minor,
             os.path.dirname(os.path.dirname(pv.__file__))))
    return EXIT_OK


def script_main(prog, args, render):
    """The render scripts' main: --check-paraview, else run_paraview_main."""
    if args.check_paraview:
        return check_paraview(prog)
    return run_paraview_main(prog, render, args)


def run_paraview_main(prog, render, args):
    """Call render(pv, args, views); errors become exit codes; the views are deleted first.

    pvbatch 5.11 (X11/GLX) dies with GLXBadContext, exit status 1, when sys.exit() runs while a
    render view is alive, hence the explicit deletion."""
    views = []
    try:
        render(require_paraview(), args, views)
    except PostprocError as e:
        sys.stderr.write("%s: error: %s\n" % (prog, e))
        return e.code
    finally:
        if views:
            pv = import_paraview()
            for view in views:
                pv.Delete(view)
            del views[:]
    return EXIT_OK


# --- readers and arrays ----------------------------------------------------------------------

def open_reader(pv, path):
    """Reader for a .pvd, .vtp or .vti; returns (reader, time steps)."""
    name = os.path.basename(path)
    if path.endswith(".pvd"):
        reader = pv.PVDReader(registrationName=name, FileName=path)
    elif path.endswith(".vti"):
        reader = pv.XMLImageDataReader(registrationName=name, FileName=[path])
    else:
        reader = pv.XMLPolyDataReader(registrationName=name, FileName=[path])
    times = [float(t) for t in (getattr(reader, "TimestepValues", None) or [])]
    return reader, times


def pick_time(times, requested, what):
    """The requested time (must be one of times) or the last one (0 without times)."""
    if requested is None:
        return times[-1] if times else 0.0
    if times and not any(abs(t - requested) <= 1e-9 * max(1.0, abs(t)) for t in times):
        raise PostprocError("--time %g is not a time step of %s (steps: %s)"
                            % (requested, what, ", ".join("%g" % t for t in times)), EXIT_USAGE)
    return requested


def update(source, time, path):
    try:
        source.UpdatePipeline(time)
    except Exception as e:
        raise PostprocError("%s: cannot be read: %s" % (path, e), EXIT_IO)


def find_array(source, name, path, labels=("cell arrays", "point arrays")):
    """('CELLS' | 'POINTS', scalar array info) of the array called name, cell arrays first."""
    cells, points = list(source.CellData.keys()), list(source.PointData.keys())
    if name in cells:
        association, attribute = "CELLS", source.CellData[name]
    elif name in points:
        association, attribute = "POINTS", source.PointData[name]
    else:
        raise PostprocError(
            "unknown array '%s' in %s\n  %s: %s\n  %s: %s"
            % (name, path, labels[0], ", ".join(cells) or "(none)", labels[1],
               ", ".join(points) or "(none)"), EXIT_USAGE)
    if attribute.GetNumberOfComponents() != 1:
        raise PostprocError("array '%s' has %d components; only scalar arrays can be drawn"
                            % (name, attribute.GetNumberOfComponents()), EXIT_USAGE)
    return association, attribute


def array_range(source, association, name):
    attributes = source.CellData if association == "CELLS" else source.PointData
    lo, hi = attributes[name].GetRange(0)
    return float(lo), float(hi)


def fetch_values(source, association, name):
    """All values of an array (a numpy array), e.g. for the smallest positive value of a log
    scale, percentiles, or to see whether it holds NaN (no value: drawn grey)."""
    import numpy
    from paraview import servermanager
    from vtkmodules.util.numpy_support import vtk_to_numpy
    data = servermanager.Fetch(source)
    blocks = [data]
    if data is not None and (data.IsA("vtkMultiBlockDataSet") or data.IsA("vtkCompositeDataSet")):
        blocks, it = [], data.NewIterator()
        it.InitTraversal()
        while not it.IsDoneWithTraversal():
            blocks.append(it.GetCurrentDataObject())
            it.GoToNextItem()
    values = [numpy.zeros(0)]
    for block in blocks:
        if block is None:
            continue
        attributes = block.GetCellData() if association == "CELLS" else block.GetPointData()
        array = attributes.GetArray(name)
        if array is not None:
            values.append(vtk_to_numpy(array).astype(float).ravel())
    return numpy.concatenate(values)


# --- view, texts, colour bar -------------------------------------------------------------------

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


def new_view(pv, views, width, height):
    """A white render view of width x height pixels (appended to views for deletion)."""
    view = pv.CreateView("RenderView")
    views.append(view)
    view.ViewSize = [width, height]
    view.UseColorPaletteForBackground = 0
    view.Background = [1.0, 1.0, 1.0]
    view.OrientationAxesVisibility = 1
    view.OrientationAxesLabelColor = [0.1, 0.1, 0.1]
    view.UseFXAA = 1
    pv.SetActiveView(view)
    return view


def add_text(pv, view, name, text, location, font_size, bold=False, colour=(0.0, 0.0, 0.0)):
    """A 2-D text in a corner ('Upper Center', 'Lower Left Corner', 'Upper Left Corner')."""
    source = pv.Text(registrationName=name, Text=text)
    display = pv.Show(source, view)
    display.WindowLocation = location
    display.Justification = "Left" if "Left" in location else "Center"
    display.Color = list(colour)
    display.FontSize = int(font_size)
    set_font(display, bold)
    return source


def add_time_text(pv, view, source, font_size):
    """'t = 14 d' at the upper left, following the view time (also in the GUI, from a state file);
    hepaflow's .pvd time steps are in days."""
    annotation = pv.AnnotateTimeFilter(registrationName="time", Input=source,
                                       Format="t = {time:g} d")
    display = pv.Show(annotation, view)
    display.WindowLocation = "Upper Left Corner"
    display.Color = [0.0, 0.0, 0.0]
    display.FontSize = int(font_size)
    set_font(display, True)
    return annotation


def colour_range(lo, hi, magnitude, user_range, log, values=None, percentile=None):
    """The drawn colour range (lo, hi, signed) of data with range lo..hi.

    magnitude: the data is drawn as |x|; user_range: (MIN, MAX) or None; log: the range must be
    positive; values: the data (numpy array; for the smallest positive value of a log scale and
    for percentile); percentile P: the range is the P-th to (100-P)-th percentile of the drawn
    values (positive ones for log), values beyond get the end colours."""
    import numpy
    drawn = None
    if values is not None:
        drawn = numpy.abs(values) if magnitude else values
        drawn = drawn[numpy.isfinite(drawn)]
        if log:
            drawn = drawn[drawn > 0.0]
    if magnitude:
        lo, hi = (0.0 if lo < 0.0 < hi else min(abs(lo), abs(hi))), max(abs(lo), abs(hi))
    if user_range is not None:
        lo, hi = user_range
    elif percentile and drawn is not None and drawn.size:
        lo, hi = (float(v) for v in numpy.percentile(drawn, [percentile, 100.0 - percentile]))
    signed = lo < 0.0 < hi and not magnitude
    if signed and user_range is None and not log:
        # Diverging map centred on zero: white means no flow, red/blue the two directions.
        hi = max(-lo, hi)
        lo = -hi
    if log:
        if hi <= 0.0:
            raise PostprocError("--log: the data has no positive values (range %g .. %g)"
                                % (lo, hi), EXIT_USAGE)
        if lo <= 0.0:
            lo = float(drawn.min()) if drawn is not None and drawn.size else hi * 1e-3
        if lo >= hi:
            lo = hi / 10.0
    elif lo == hi:
        pad = abs(lo) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi, signed


def colour_map(pv, array, lo, hi, log=False, preset=None, signed=False):
    """Colour and opacity transfer functions of array, fixed to lo..hi."""
    lut = pv.GetColorTransferFunction(array)
    pwf = pv.GetOpacityTransferFunction(array)
    preset = preset or ("Cool to Warm" if signed else "Viridis (matplotlib)")
    if not lut.ApplyPreset(preset, True):
        raise PostprocError("unknown colour map preset '%s'" % preset, EXIT_USAGE)
    lut.AutomaticRescaleRangeMode = "Never"
    lut.RescaleTransferFunction(lo, hi)
    pwf.RescaleTransferFunction(lo, hi)
    if log:
        lut.MapControlPointsToLogSpace()
        lut.UseLogScale = 1
    lut.NanColor = [0.6, 0.6, 0.6]  # e.g. zone of portal/central vessels (NaN): grey
    return lut


def colour_bar(pv, lut, view, title, height, nan_annotation=None):
    """The labelled vertical colour bar at the right of the picture."""
    bar = pv.GetScalarBar(lut, view)
    bar.Title = title
    bar.ComponentTitle = ""
    bar.Orientation = "Vertical"
    bar.WindowLocation = "Any Location"
    bar.Position = [0.87, 0.14]
    bar.ScalarBarLength = 0.64
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
    if nan_annotation:
        bar.DrawNanAnnotation = 1
        bar.NanAnnotation = nan_annotation
    bar.Visibility = 1
    return bar


def bar_title(array, log=False, magnitude=False):
    title = array_label(array)
    if magnitude:
        quantity, _, unit = title.partition(" [")
        title = "%s (magnitude)%s" % (quantity, " [" + unit if unit else "")
    return title + (" (log)" if log else "")


# --- camera and scale bar ----------------------------------------------------------------------

VIEW_DIRECTIONS = {  # camera direction from the focal point, view-up
    "oblique": ((0.55, -0.75, 0.62), (0.0, 0.0, 1.0)),
    "z": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
    "y": ((0.0, -1.0, 0.0), (0.0, 0.0, 1.0)),
    "x": ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
}


def choose_view(requested, bounds):
    """'oblique' for 3-D data, 'z' (top view) for flat data, unless requested says otherwise."""
    if requested in ("x", "y", "z", "oblique"):
        return requested
    if requested == "top":
        return "z"
    extent = [bounds[2 * i + 1] - bounds[2 * i] for i in range(3)]
    return "oblique" if extent[2] > 0.05 * (max(extent) or 1.0) else "z"


def frame_camera(view, bounds, direction_name):
    """Fit the camera to bounds (parallel projection, so that the scale bar holds), leaving room
    for the title (top), the notes (bottom) and the colour bar (right)."""
    direction, up = VIEW_DIRECTIONS[direction_name]
    centre = [0.5 * (bounds[2 * i] + bounds[2 * i + 1]) for i in range(3)]
    largest = max(bounds[2 * i + 1] - bounds[2 * i] for i in range(3)) or 1.0
    view.CameraFocalPoint = centre
    view.CameraPosition = [centre[i] + direction[i] * largest * 3.0 for i in range(3)]
    view.CameraViewUp = list(up)
    view.CameraParallelProjection = 1
    view.ResetCamera(*bounds)
    camera = view.GetActiveCamera()
    camera.SetWindowCenter(0.12, -0.02)
    camera.Zoom(0.92)
    view.CenterOfRotation = centre


def add_scale_bar(pv, view, width, height):
    """A black scale bar (1, 2 or 5 x 10^k um, about 1/6 of the picture wide) at the lower right,
    in the focal plane; with a parallel projection it measures lengths in the picture plane."""
    pv.Render(view)
    renderer = view.GetRenderer()
    camera = view.GetActiveCamera()
    um_per_pixel = 2.0 * camera.GetParallelScale() / float(height)
    renderer.SetWorldPoint(*(list(camera.GetFocalPoint()) + [1.0]))
    renderer.WorldToDisplay()
    depth = renderer.GetDisplayPoint()[2]

    def to_world(x, y):
        renderer.SetDisplayPoint(x, y, depth)
        renderer.DisplayToWorld()
        w = renderer.GetWorldPoint()
        return [w[i] / (w[3] or 1.0) for i in range(3)]

    length = nice_length(width * um_per_pixel / 6.0)
    pixels = length / um_per_pixel
    right, y = 0.955 * width, 0.055 * height
    line = pv.Line(registrationName="scale bar", Point1=to_world(right - pixels, y),
                   Point2=to_world(right, y))
    line_display = pv.Show(line, view)
    line_display.ColorArrayName = ["POINTS", ""]
    line_display.AmbientColor = line_display.DiffuseColor = [0.0, 0.0, 0.0]
    line_display.Ambient, line_display.Diffuse = 1.0, 0.0
    line_display.LineWidth = max(3.0, height / 250.0)
    label = pv.Text(registrationName="scale bar label", Text=format_length(length))
    label_display = pv.Show(label, view)
    label_display.WindowLocation = "Any Location"
    label_display.Position = [(right - pixels) / float(width), y / float(height) + 0.008]
    label_display.Color = [0.0, 0.0, 0.0]
    label_display.FontSize = max(10, int(round(height / 60.0)))
    set_font(label_display, True)
    return length


def save_png(pv, view, path, width, height):
    try:
        with atomic_output(path) as temporary:
            pv.SaveScreenshot(temporary, view, ImageResolution=[width, height],
                              TransparentBackground=0)
    except PostprocError:
        raise
    except Exception as e:
        raise PostprocError("%s: cannot write PNG: %s" % (path, e), EXIT_IO)


def save_state(pv, path):
    """A ParaView state file (open in the GUI with File > Load State)."""
    try:
        with atomic_output(path) as temporary:
            pv.SaveState(temporary)
    except PostprocError:
        raise
    except Exception as e:
        raise PostprocError("%s: cannot write state file: %s" % (path, e), EXIT_IO)
    print("wrote %s (open in ParaView: File > Load State)" % path)


# --- vessels as tubes --------------------------------------------------------------------------

def add_network_arguments(parser, default_array="flow_nl_per_min", several_arrays=True):
    """Options shared by render_network.py and render_animation.py."""
    if several_arrays:
        parser.add_argument("--array", nargs="+", default=[default_array], metavar="ARRAY",
                            help="cell (segment) or point (node) array(s) to colour by; one "
                                 "picture each (default: %s)" % default_array)
    else:
        parser.add_argument("--array", default=default_array,
                            help="cell (segment) or point (node) array to colour by "
                                 "(default: %s)" % default_array)
    parser.add_argument("--size", nargs=2, type=int, default=[1600, 1200], metavar=("W", "H"),
                        help="image size in pixels (default: 1600 1200)")
    parser.add_argument("--log", action="store_true", help="logarithmic colour scale")
    parser.add_argument("--log-arrays", nargs="+", default=None, metavar="ARRAY",
                        help="logarithmic colour scale for these arrays only")
    parser.add_argument("--range", nargs=2, type=float, default=None, metavar=("MIN", "MAX"),
                        help="colour range (default: data range of the drawn values)")
    parser.add_argument("--range-percentile", type=float, default=None, metavar="P",
                        help="colour range from the P-th to the (100-P)-th percentile of the "
                             "drawn values (robust to outliers; e.g. 2)")
    parser.add_argument("--signed", action="store_true",
                        help="draw flow/velocity/shear stress with their sign instead of |x|")
    parser.add_argument("--title", default=None,
                        help="title text (default: '<case name>: <array label>')")
    parser.add_argument("--colormap", default=None,
                        help="ParaView colour-map preset (default: 'Viridis (matplotlib)', "
                             "'Cool to Warm' for signed data)")
    parser.add_argument("--radius-scale", type=float, default=1.0,
                        help="multiply the drawn tube radius (default 1 = true radius)")
    parser.add_argument("--view", choices=("auto", "oblique", "top", "x", "y", "z"),
                        default="auto",
                        help="camera: oblique for 3-D networks, top (= z, looking down) for "
                             "flat ones or along the slab axis; x, y: looking along that axis")
    parser.add_argument("--slab", nargs=3, default=None, metavar=("AXIS", "POSITION", "THICKNESS"),
                        help="draw only the vessels in a slab across AXIS (x, y or z) at POSITION "
                             "(fraction 0..1 of the network's extent) THICKNESS um thick, seen "
                             "along AXIS: the inside of a dense 3-D network "
                             "(e.g. --slab z 0.5 40)")
    parser.add_argument("--state", default=None,
                        help="also write a ParaView state file (.pvsm) to open in the GUI")
    parser.add_argument("--check-paraview", action="store_true",
                        help="only check that ParaView's Python modules load (exit 0, else 6)")


def check_network_arguments(parser, args):
    """Usage checks of add_network_arguments' options (parser.error exits with code 2)."""
    if args.result is None and not args.check_paraview:
        parser.error("the following arguments are required: result")
    if not (16 <= args.size[0] <= 16384 and 16 <= args.size[1] <= 16384):
        parser.error("--size must be between 16 and 16384 pixels")
    if args.radius_scale <= 0.0:
        parser.error("--radius-scale must be positive")
    if args.range is not None and not args.range[0] < args.range[1]:
        parser.error("--range MIN must be less than MAX")
    if args.range_percentile is not None and not 0.0 <= args.range_percentile < 50.0:
        parser.error("--range-percentile P must be in [0, 50)")
    drawn = args.array if isinstance(args.array, list) else [args.array]
    if args.log_arrays and any(a not in drawn for a in args.log_arrays):
        parser.error("--log-arrays names an array that is not drawn (--array %s)"
                     % " ".join(drawn))
    if args.slab is not None:
        axis, position, thickness = args.slab
        try:
            args.slab = (axis, float(position), float(thickness))
        except ValueError:
            parser.error("--slab AXIS POSITION THICKNESS: POSITION and THICKNESS are numbers")
        if axis not in ("x", "y", "z") or not 0.0 <= args.slab[1] <= 1.0 or args.slab[2] <= 0.0:
            parser.error("--slab: AXIS is x, y or z, POSITION in [0, 1], THICKNESS > 0 (um)")


class NetworkScene:
    """A network result drawn as tubes of their true radius in a view.

    Build it, then colour_by() an array and save(); the texts (title, note, time) and the camera
    are set up once so that a time series or several arrays reuse the pipeline."""

    def __init__(self, pv, path, args, view, arrays, times_for_range=None, name="vessels",
                 slab_centre=None, allow_empty=False):
        self.pv, self.path, self.args, self.view = pv, path, args, view
        self.reader, self.times = open_reader(pv, path)
        self.time = pick_time(self.times, getattr(args, "time", None), path)
        update(self.reader, self.time, path)
        info = self.reader.GetDataInformation()
        if info.GetNumberOfPoints() == 0 or info.GetNumberOfCells() == 0:
            raise PostprocError("%s: no vessels (0 points or 0 cells); is it a hepaflow network?"
                                % path, EXIT_IO)
        if "radius_um" not in self.reader.PointData.keys():
            raise PostprocError("%s has no point array radius_um, needed for the tube radius "
                                "(point arrays: %s)"
                                % (path, ", ".join(self.reader.PointData.keys()) or "(none)"),
                                EXIT_USAGE)
        self.network_bounds = info.GetBounds()
        self.segments, self.nodes = info.GetNumberOfCells(), info.GetNumberOfPoints()

        # Each array's association and data range over the times drawn.
        self.arrays = {}
        for array in arrays:
            association, _ = find_array(self.reader, array, path,
                                        ("segment (cell) arrays", "node (point) arrays"))
            self.arrays[array] = [association, None, []]
        # entry: [association, (lo, hi), [values at each time]]
        for time in (times_for_range or [self.time]):
            update(self.reader, time, path)
            for array, entry in self.arrays.items():
                lo, hi = array_range(self.reader, entry[0], array)
                entry[1] = (lo, hi) if entry[1] is None else (min(lo, entry[1][0]),
                                                              max(hi, entry[1][1]))
                entry[2].append(fetch_values(self.reader, entry[0], array))
        update(self.reader, self.time, path)

        source = self.reader
        self.slab_text = None
        if getattr(args, "slab", None):
            source = self._slab(source, slab_centre)
        # Flow, velocity, shear stress: |x| (the sign only gives the direction).
        self.magnitude = {}
        for array, (association, (lo, hi), _) in self.arrays.items():
            self.magnitude[array] = (array in DIRECTIONAL_ARRAYS and not args.signed and lo < 0.0)
            if self.magnitude[array]:
                source = pv.Calculator(registrationName="abs_" + array, Input=source,
                                       AttributeType="Cell Data" if association == "CELLS"
                                       else "Point Data",
                                       Function="abs(%s)" % array, ResultArrayName="abs_" + array,
                                       ResultArrayType="Double")
        radius_array = "radius_um"
        if args.radius_scale != 1.0:
            radius_array = "drawn_radius_um"
            source = pv.Calculator(registrationName=radius_array, Input=source,
                                   AttributeType="Point Data",
                                   Function="%r*radius_um" % args.radius_scale,
                                   ResultArrayName=radius_array, ResultArrayType="Double")
        # True vessel radius: the absolute point scalar radius_um is the tube radius (factor 1).
        self.tubes = pv.Tube(registrationName=name, Input=source,
                             Scalars=["POINTS", radius_array], VaryRadius="By Absolute Scalar",
                             Radius=1.0, RadiusFactor=1.0,
                             NumberofSides=16 if self.segments < 100000 else 10, Capping=1)
        update(self.tubes, self.time, path)
        self.empty = self.tubes.GetDataInformation().GetNumberOfCells() == 0
        if self.empty and not allow_empty:
            raise PostprocError("no vessels to draw%s" % (
                " in the slab (%s)" % self.slab_text if self.slab_text else ""), EXIT_USAGE)
        view.ViewTime = self.time
        self.display = pv.Show(self.tubes, view)
        self.display.Representation = "Surface"
        self.display.Specular = 0.25
        self.display.SpecularPower = 40.0
        self.display.Ambient = 0.15
        self.display.Diffuse = 0.85
        self.bar = None

    def _slab(self, source, centre=None):
        """Only the vessels in args.slab = (axis, position as a fraction of the extent, thickness
        in um); centre: the slab's centre coordinate instead of the position."""
        axis, position, thickness = self.args.slab
        i = "xyz".index(axis)
        lo, hi = self.network_bounds[2 * i], self.network_bounds[2 * i + 1]
        if centre is None:
            centre = lo + position * (hi - lo)
        big = [self.network_bounds[2 * k + 1] - self.network_bounds[2 * k] for k in range(3)]
        box_position = [self.network_bounds[2 * k] - 0.01 * big[k] - 1.0 for k in range(3)]
        box_length = [1.02 * big[k] + 2.0 for k in range(3)]
        box_position[i], box_length[i] = centre - 0.5 * thickness, thickness
        extract = self.pv.ExtractCellsByRegion(registrationName="slab", Input=source,
                                               IntersectWith="Box")
        extract.IntersectWith.UseReferenceBounds = 0
        extract.IntersectWith.Position = box_position
        extract.IntersectWith.Length = box_length
        extract.IntersectWith.Rotation = [0.0, 0.0, 0.0]
        extract.Extractintersected = 1  # vessels crossing the slab's faces too
        self.slab_text = "slab %s = %s \u2013 %s (%s thick)" % (
            axis, format_length(max(lo, centre - 0.5 * thickness) - lo),
            format_length(min(hi, centre + 0.5 * thickness) - lo), format_length(thickness))
        return self.pv.ExtractSurface(registrationName="slab lines", Input=extract)

    def drawn_bounds(self):
        return self.tubes.GetDataInformation().GetBounds()

    def view_direction(self):
        if self.args.view == "auto" and getattr(self.args, "slab", None):
            return self.args.slab[0]
        return choose_view(self.args.view, self.drawn_bounds())

    def note(self, direction):
        extent = [self.network_bounds[2 * i + 1] - self.network_bounds[2 * i] for i in range(3)]
        flat = direction == "z" and extent[2] <= 0.05 * (max(extent) or 1.0)
        text = "%d segments, %d nodes   extent %s" % (
            self.segments, self.nodes,
            " \u00d7 ".join(format_length(e) for e in (extent[:2] if flat else extent)))
        text += "\ntubes: %s radius" % ("true" if self.args.radius_scale == 1.0
                                        else "%g \u00d7 true" % self.args.radius_scale)
        if self.slab_text:
            text += "   " + self.slab_text
        return text

    def colour_by(self, array):
        """Colour the tubes by array (fixed range over the times drawn); show its colour bar."""
        import numpy
        pv, args = self.pv, self.args
        association, (lo, hi), values = self.arrays[array]
        values = numpy.concatenate(values)
        magnitude = self.magnitude[array]
        log = self.log(array)
        drawn = "abs_" + array if magnitude else array
        has_nan = bool(numpy.isnan(values).any())
        lo, hi, signed = colour_range(lo, hi, magnitude, args.range, log, values,
                                      args.range_percentile)
        if self.bar is not None:
            self.bar.Visibility = 0
        pv.ColorBy(self.display, (association, drawn))
        lut = colour_map(pv, drawn, lo, hi, log, args.colormap, signed)
        self.bar = colour_bar(pv, lut, self.view, bar_title(array, log, magnitude),
                              args.size[1], "no value" if has_nan else None)
        self.display.SetScalarBarVisibility(self.view, True)
        return lo, hi, association, drawn

    def log(self, array):
        return bool(self.args.log or array in (getattr(self.args, "log_arrays", None) or []))

    def range_note(self, array):
        """A line for the picture's note when the colour range is not the data range."""
        p = getattr(self.args, "range_percentile", None)
        if p and self.args.range is None:
            return ("colour range: %g–%g %% percentiles of the values%s (beyond: the end "
                    "colours)" % (p, 100.0 - p, " > 0" if self.log(array) else ""))
        return ""

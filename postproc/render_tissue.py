#!/usr/bin/env pvbatch
"""Render a slice of a hepaflow tissue grid (tissue PO2 map) to a PNG (run with pvbatch).

    xvfb-run -a pvbatch postproc/render_tissue.py RESULT [--array po2_mmHg] [--axis z]
        [--position 0.5] [--time T] [--output tissue_po2_mmHg.png] [--size 1600 1200]
        [--range MIN MAX] [--log] [--colormap PRESET] [--contour VALUE ...]
        [--vessels slab|all|none] [--vessel-slab UM] [--region-only] [--title TEXT]
        [--state FILE.pvsm]

RESULT is a tissue_NNNNNN.vti, a tissue.pvd (last time step unless --time T, T in days) or a
hepaflow output folder of a run with a tissue grid (oxygen.tissue_model = "grid"). The grid's cell
array (default po2_mmHg; also consumption_ml_per_ml_per_min, hypoxic, in_region) is cut by a plane
across AXIS at POSITION (a fraction 0..1 of the grid's extent, moved to the nearest cell centre)
and drawn seen along AXIS, with a colour bar (name, unit), a scale bar, a title and a note. Over it:
the vessels of the same output folder that lie within --vessel-slab um of the plane (grey tubes of
their true radius; --vessels all / none), the outline of the tissue region the metrics use (black
frame, where the grid has in_region), and PO2 isolines (--contour; default for po2_mmHg: the
case's oxygen.hypoxia_threshold, white line).

Exit codes (as hepaflow's): 0 ok, 1 runtime error, 2 usage (unknown array, bad option),
4 I/O (missing or unreadable input, no tissue grid in the folder, PNG not written),
6 ParaView's Python modules missing.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import (case_name, find_series, format_days, format_length,  # noqa: E402
                             series_steps)
import hepaflow_paraview as hp  # noqa: E402

PROG = "render_tissue"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="pvbatch render_tissue.py",
        description="Render a slice of a hepaflow tissue grid (e.g. tissue PO2) with the nearby "
                    "vessels to a PNG.")
    parser.add_argument("result", nargs="?",
                        help="tissue_NNNNNN.vti, tissue.pvd or a hepaflow output folder")
    parser.add_argument("--array", default="po2_mmHg",
                        help="tissue cell array to colour by (default: po2_mmHg)")
    parser.add_argument("--axis", choices=("x", "y", "z"), default="z",
                        help="slice normal; the picture looks along it (default: z)")
    parser.add_argument("--position", type=float, default=0.5,
                        help="slice position, fraction 0..1 of the grid's extent along AXIS "
                             "(default 0.5)")
    parser.add_argument("--time", type=float, default=None,
                        help="time step (days) of a .pvd (default: the last one)")
    parser.add_argument("--output", "-o", default=None,
                        help="PNG to write (default: RESULT folder/tissue_<array>.png)")
    parser.add_argument("--size", nargs=2, type=int, default=[1600, 1200], metavar=("W", "H"),
                        help="image size in pixels (default: 1600 1200)")
    parser.add_argument("--range", nargs=2, type=float, default=None, metavar=("MIN", "MAX"),
                        help="colour range (default: the data range on the whole grid)")
    parser.add_argument("--log", action="store_true", help="logarithmic colour scale")
    parser.add_argument("--colormap", default=None,
                        help="ParaView colour-map preset (default: 'Viridis (matplotlib)')")
    parser.add_argument("--contour", nargs="*", type=float, default=None, metavar="VALUE",
                        help="isolines of the array at these values (default for po2_mmHg: the "
                             "case's hypoxia threshold; --contour alone: none)")
    parser.add_argument("--vessels", choices=("slab", "all", "none"), default="slab",
                        help="draw the vessels near the plane (slab, default), all or none")
    parser.add_argument("--vessel-slab", type=float, default=20.0, metavar="UM",
                        help="thickness of the vessel slab around the plane (default 20 um)")
    parser.add_argument("--region-only", action="store_true",
                        help="draw only the cells of the tissue region (in_region = 1)")
    parser.add_argument("--title", default=None,
                        help="title text (default: '<case name>: tissue <array label>')")
    parser.add_argument("--state", default=None,
                        help="also write a ParaView state file (.pvsm) to open in the GUI")
    parser.add_argument("--check-paraview", action="store_true",
                        help="only check that ParaView's Python modules load (exit 0, else 6)")
    args = parser.parse_args(argv)
    if args.result is None and not args.check_paraview:
        parser.error("the following arguments are required: result")
    if not (16 <= args.size[0] <= 16384 and 16 <= args.size[1] <= 16384):
        parser.error("--size must be between 16 and 16384 pixels")
    if not 0.0 <= args.position <= 1.0:
        parser.error("--position must be in [0, 1]")
    if args.range is not None and not args.range[0] < args.range[1]:
        parser.error("--range MIN must be less than MAX")
    if args.vessel_slab <= 0.0:
        parser.error("--vessel-slab must be positive")
    return args


def hypoxia_threshold(folder):
    """oxygen.hypoxia_threshold of case.resolved.toml in mmHg (10 mmHg if it cannot be read)."""
    try:
        import tomllib
        with open(os.path.join(folder, "case.resolved.toml"), "rb") as f:
            text = str(tomllib.load(f).get("oxygen", {}).get("hypoxia_threshold", "10 mmHg"))
        match = re.match(r"\s*([-+0-9.eE]+)\s*mmHg\s*$", text)
        return float(match.group(1)) if match else 10.0
    except Exception:
        return 10.0


def render(pv, args, views):
    path, folder = find_series(args.result, "tissue")
    output = os.path.abspath(args.output or os.path.join(folder, "tissue_%s.png" % args.array))
    if not os.path.isdir(os.path.dirname(output)):
        raise hp.PostprocError("%s: output folder does not exist" % os.path.dirname(output),
                               hp.EXIT_IO)
    reader, times = hp.open_reader(pv, path)
    time = hp.pick_time(times, args.time, path)
    hp.update(reader, time, path)
    association, _ = hp.find_array(reader, args.array, path)
    lo, hi = hp.array_range(reader, association, args.array)
    info = reader.GetDataInformation()
    bounds, extent = info.GetBounds(), info.GetExtent()
    if info.GetNumberOfCells() == 0:
        raise hp.PostprocError("%s: the tissue grid has no cells" % path, hp.EXIT_IO)
    i = "xyz".index(args.axis)
    cells = [max(1, extent[2 * k + 1] - extent[2 * k]) for k in range(3)]
    spacing = [(bounds[2 * k + 1] - bounds[2 * k]) / cells[k] for k in range(3)]
    # The plane through the centres of the cell layer nearest to --position (no ambiguity at a
    # cell face).
    layer = min(cells[i] - 1, int(args.position * cells[i]))
    plane = bounds[2 * i] + (layer + 0.5) * spacing[i]

    source = reader
    has_region = "in_region" in reader.CellData.keys()
    if args.region_only:
        if not has_region:
            raise hp.PostprocError("--region-only: %s has no cell array in_region" % path,
                                   hp.EXIT_USAGE)
        source = pv.Threshold(registrationName="tissue region", Input=reader,
                              Scalars=["CELLS", "in_region"], LowerThreshold=0.5,
                              UpperThreshold=1.5, ThresholdMethod="Between")
    normal = [0.0, 0.0, 0.0]
    normal[i] = 1.0
    origin = [0.5 * (bounds[2 * k] + bounds[2 * k + 1]) for k in range(3)]
    origin[i] = plane
    cut = pv.Slice(registrationName="slice", Input=source)
    cut.SliceType = "Plane"
    cut.SliceType.Origin = origin
    cut.SliceType.Normal = normal
    hp.update(cut, time, path)
    if cut.GetDataInformation().GetNumberOfCells() == 0:
        raise hp.PostprocError("the slice at %s = %s has no tissue cells"
                               % (args.axis, format_length(plane)), hp.EXIT_USAGE)

    width, height = args.size
    view = hp.new_view(pv, views, width, height)
    view.ViewTime = time
    display = pv.Show(cut, view)
    display.Representation = "Surface"
    display.Ambient, display.Diffuse = 1.0, 0.0  # flat colours: the value, not the lighting
    values = hp.fetch_values(reader, association, args.array)
    has_nan = bool((values != values).any())
    lo, hi, signed = hp.colour_range(lo, hi, False, args.range, args.log, values)
    pv.ColorBy(display, (association, args.array))
    lut = hp.colour_map(pv, args.array, lo, hi, args.log, args.colormap, signed)
    hp.colour_bar(pv, lut, view, hp.bar_title(args.array, args.log), height,
                  "no value" if has_nan else None)
    display.SetScalarBarVisibility(view, True)

    notes = ["slice %s = %s (cell layer %d of %d)   grid %s cells of %s" % (
        args.axis, format_length(plane - bounds[2 * i]), layer + 1, cells[i],
        " \u00d7 ".join(str(c) for c in cells), format_length(spacing[i]))]
    overlay = []
    levels = args.contour
    if levels is None:
        levels = [hypoxia_threshold(folder)] if args.array == "po2_mmHg" else []
    levels = [v for v in levels if lo < v < hi]
    if levels:
        points = pv.CellDatatoPointData(registrationName="slice (point data)", Input=cut)
        lines = pv.Contour(registrationName="isolines", Input=points,
                           ContourBy=["POINTS", args.array], Isosurfaces=levels)
        lines_display = pv.Show(lines, view)
        lines_display.ColorArrayName = ["POINTS", ""]
        lines_display.AmbientColor = lines_display.DiffuseColor = [1.0, 1.0, 1.0]
        lines_display.Ambient, lines_display.Diffuse = 1.0, 0.0
        lines_display.LineWidth = max(2.0, height / 400.0)
        hp.update(lines, time, path)
        quantity, _, unit = hp.array_label(args.array).partition(" [")
        overlay.append("white line: %s = %s%s%s" % (
            quantity, ", ".join("%g" % v for v in levels), " " + unit.rstrip("]") if unit else "",
            "" if lines.GetDataInformation().GetNumberOfCells() else " (none in this slice)"))
    if has_region and not args.region_only:
        region = pv.Threshold(registrationName="tissue region", Input=reader,
                              Scalars=["CELLS", "in_region"], LowerThreshold=0.5,
                              UpperThreshold=1.5, ThresholdMethod="Between")
        hp.update(region, time, path)
        if 0 < region.GetDataInformation().GetNumberOfCells() < info.GetNumberOfCells():
            # Its bounding box's edges: seen along the slice normal, a frame (the edges on the
            # viewer's side of the slice are in front of it).
            frame_display = pv.Show(pv.Outline(registrationName="region frame", Input=region),
                                    view)
            frame_display.ColorArrayName = ["POINTS", ""]
            frame_display.AmbientColor = frame_display.DiffuseColor = [0.0, 0.0, 0.0]
            frame_display.Ambient, frame_display.Diffuse = 1.0, 0.0
            frame_display.LineWidth = max(2.0, height / 450.0)
            overlay.append("black frame: tissue region of the metrics")

    network, _ = find_series(folder, "network", required=False)
    if network and args.vessels != "none":
        steps = [t for t, _ in series_steps(network)]
        vessel_args = argparse.Namespace(
            time=min(steps, key=lambda t: abs(t - time)) if network.endswith(".pvd") else None,
            slab=(args.axis, 0.5, args.vessel_slab) if args.vessels == "slab" else None,
            signed=False, radius_scale=1.0, view=args.axis, range=None, log=False,
            colormap=None, size=args.size)
        vessels = hp.NetworkScene(pv, network, vessel_args, view, [], slab_centre=plane,
                                  allow_empty=True)
        vessels.display.ColorArrayName = ["POINTS", ""]
        vessels.display.AmbientColor = vessels.display.DiffuseColor = [0.82, 0.82, 0.82]
        view.ViewTime = time
        near = (" within %s of the plane" % format_length(0.5 * args.vessel_slab)
                if args.vessels == "slab" else "")
        overlay.append("no vessels%s" % near if vessels.empty else
                       "grey tubes: vessels%s (true radius)" % near)
    if overlay:
        notes.append("   ".join(overlay))

    name = case_name(folder)
    hp.add_text(pv, view, "title", args.title if args.title is not None else
                "%s: tissue %s" % (name, hp.bar_title(args.array)), "Upper Center",
                max(14, round(height / 40.0)), bold=True)
    hp.add_text(pv, view, "note", "\n".join(notes), "Lower Left Corner",
                max(10, round(height / 70.0)), colour=(0.15, 0.15, 0.15))
    if len(times) > 1:
        hp.add_time_text(pv, view, reader, max(14, round(height / 36.0)))

    slice_bounds = cut.GetDataInformation().GetBounds()
    hp.frame_camera(view, slice_bounds, args.axis)
    view.OrientationAxesVisibility = 1
    scale = hp.add_scale_bar(pv, view, width, height)
    hp.save_png(pv, view, output, width, height)
    print("wrote %s (%dx%d, %s at %s = %g um, range %.4g .. %.4g%s, scale bar %g um%s)"
          % (output, width, height, args.array, args.axis, plane - bounds[2 * i], lo, hi,
             ", log" if args.log else "", scale,
             ", t = %s" % format_days(time) if len(times) > 1 else ""))
    if args.state:
        hp.save_state(pv, os.path.abspath(args.state))


def main(argv):
    return hp.script_main(PROG, parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

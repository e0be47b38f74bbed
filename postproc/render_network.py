#!/usr/bin/env pvbatch
"""Render a hepaflow network result to PNG(s) with ParaView (run with pvbatch).

    xvfb-run -a pvbatch postproc/render_network.py RESULT [--array flow_nl_per_min [ARRAY ...]]
        [--output network.png] [--size 1600 1200] [--log] [--log-arrays ARRAY ...]
        [--range MIN MAX | --range-percentile P] [--signed] [--colormap PRESET] [--title TEXT]
        [--view auto|oblique|top|x|y|z] [--slab AXIS POSITION THICKNESS] [--time T]
        [--state FILE.pvsm]

RESULT is a network_NNNNNN.vtp, a network.pvd (last time step unless --time T, T in days) or a
hepaflow output folder (its network.pvd). Vessels are drawn as tubes with their true radius (Tube
filter, "Vary Radius" = By Absolute Scalar on the point array radius_um), coloured by one segment
(cell) or node (point) array, with a colour bar (name and unit), a title, a scale bar (parallel
projection) and a note (segments, nodes, extent, time). Signed arrays whose sign is only a
direction (flow, velocity, wall shear stress) are drawn as magnitudes |x|. Several arrays give one
PNG each from one pipeline (faster than separate runs); --output then must contain '{array}'.
--slab z 0.5 40 draws only the vessels of a 40 um slab at mid-height, seen from above.

Exit codes (as hepaflow's): 0 ok, 1 runtime error, 2 usage (unknown array, bad option),
4 I/O (missing or unreadable input, PNG not written), 6 ParaView's Python modules missing
(see hepaflow_paraview.PARAVIEW_PYTHON_DIRS).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import case_name, find_series, format_days  # noqa: E402
import hepaflow_paraview as hp  # noqa: E402

PROG = "render_network"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="pvbatch render_network.py",
        description="Render a hepaflow network result (vessels as tubes of their true radius, "
                    "coloured by an array) to PNG.")
    parser.add_argument("result", nargs="?",
                        help="network_NNNNNN.vtp, network.pvd or a hepaflow output folder")
    hp.add_network_arguments(parser)
    parser.add_argument("--output", "-o", default=None,
                        help="PNG to write (default: RESULT folder/network_<array>.png); with "
                             "several arrays a name containing {array}")
    parser.add_argument("--time", type=float, default=None,
                        help="time step (days) to draw from a .pvd (default: the last one)")
    args = parser.parse_args(argv)
    hp.check_network_arguments(parser, args)
    if args.output and len(args.array) > 1 and "{array}" not in args.output:
        parser.error("--output must contain {array} when several arrays are drawn")
    if len(set(args.array)) != len(args.array):
        parser.error("--array names an array twice")
    return args


def render(pv, args, views):
    path, folder = find_series(args.result, "network")
    outputs = {}
    for array in args.array:
        output = (args.output.replace("{array}", array) if args.output
                  else os.path.join(folder, "network_%s.png" % array))
        outputs[array] = os.path.abspath(output)
        if not os.path.isdir(os.path.dirname(outputs[array])):
            raise hp.PostprocError("%s: output folder does not exist"
                                   % os.path.dirname(outputs[array]), hp.EXIT_IO)
    width, height = args.size
    view = hp.new_view(pv, views, width, height)
    scene = hp.NetworkScene(pv, path, args, view, args.array)
    direction = scene.view_direction()

    name = case_name(folder)
    title = hp.add_text(pv, view, "title", name, "Upper Center", max(14, round(height / 40.0)),
                        bold=True)
    note = scene.note(direction)
    if len(scene.times) > 1:
        note += "   t = %s (day %g of %g)" % (format_days(scene.time), scene.time,
                                               scene.times[-1])
    note_text = hp.add_text(pv, view, "note", note, "Lower Left Corner",
                            max(10, round(height / 70.0)), colour=(0.15, 0.15, 0.15))
    if len(scene.times) > 1:
        hp.add_time_text(pv, view, scene.reader, max(14, round(height / 36.0)))

    hp.frame_camera(view, scene.drawn_bounds(), direction)
    scale = hp.add_scale_bar(pv, view, width, height)
    for array in args.array:
        lo, hi, association, drawn = scene.colour_by(array)
        note_text.Text = note + ("\n" + scene.range_note(array) if scene.range_note(array)
                                 else "")
        title.Text = args.title if args.title is not None else "%s: %s" % (
            name, hp.bar_title(array, magnitude=scene.magnitude[array]))
        hp.save_png(pv, view, outputs[array], width, height)
        print("wrote %s (%dx%d, %s %s, range %.4g .. %.4g%s, scale bar %g um)"
              % (outputs[array], width, height, association.lower()[:-1], drawn, lo, hi,
                 ", log" if scene.log(array) else "", scale))
    if args.state:
        hp.save_state(pv, os.path.abspath(args.state))


def main(argv):
    return hp.script_main(PROG, parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env pvbatch
"""Render every time step of a hepaflow network series as PNG frames (run with pvbatch).

    xvfb-run -a pvbatch postproc/render_animation.py RESULT [--array flow_nl_per_min]
        [--output-dir DIR] [--size 1600 1200] [--log] [--range MIN MAX | --range-percentile P]
        [--every N]
        [--view auto|oblique|top|x|y|z] [--slab AXIS POSITION THICKNESS] [--state FILE.pvsm]

RESULT is a network.pvd or a hepaflow output folder (a therapy run: one network_NNNNNN.vtp per
output step, time steps in days). Writes DIR/<array>_NNNN.png, one frame per time step (every
N-th with --every N, the last one always), and DIR/<array>_frames.csv (frame, time_d, file). All
frames share one colour range (over all time steps, or --range) and one camera (framed on the
network's bounds), so that they can be compared and played as a movie; each frame shows the time
in days. Make a movie with e.g. `ffmpeg -framerate 4 -i DIR/<array>_%04d.png movie.mp4`. The
--state file holds the whole time series: play it in the ParaView GUI.

Exit codes (as hepaflow's): 0 ok, 1 runtime error, 2 usage (unknown array, bad option),
4 I/O (missing or unreadable input, PNG not written), 6 ParaView's Python modules missing.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hepaflow_common import (case_name, find_series, format_days, series_steps,  # noqa: E402
                             write_text)
import hepaflow_paraview as hp  # noqa: E402

PROG = "render_animation"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="pvbatch render_animation.py",
        description="Render each time step of a hepaflow network series (network.pvd) as a PNG "
                    "frame with a common colour range and camera.")
    parser.add_argument("result", nargs="?", help="network.pvd or a hepaflow output folder")
    hp.add_network_arguments(parser, several_arrays=False)
    parser.add_argument("--output-dir", "-o", default=None,
                        help="folder for the frames (default: RESULT folder/frames; created)")
    parser.add_argument("--every", type=int, default=1, metavar="N",
                        help="draw every N-th time step (and the last one; default 1)")
    args = parser.parse_args(argv)
    hp.check_network_arguments(parser, args)
    if args.every < 1:
        parser.error("--every must be at least 1")
    args.time = None
    return args


def render(pv, args, views):
    path, folder = find_series(args.result, "network")
    out_dir = os.path.abspath(args.output_dir or os.path.join(folder, "frames"))
    if not os.path.isdir(os.path.dirname(out_dir)):
        raise hp.PostprocError("%s: parent folder does not exist" % os.path.dirname(out_dir),
                               hp.EXIT_IO)
    times = [time for time, _ in series_steps(path)]
    drawn_times = times[::args.every]
    if drawn_times[-1] != times[-1]:
        drawn_times.append(times[-1])

    width, height = args.size
    view = hp.new_view(pv, views, width, height)
    args.time = drawn_times[0]
    scene = hp.NetworkScene(pv, path, args, view, [args.array], times_for_range=drawn_times)
    direction = scene.view_direction()
    name = case_name(folder)
    hp.add_text(pv, view, "title", args.title if args.title is not None else "%s: %s" % (
        name, hp.bar_title(args.array, magnitude=scene.magnitude[args.array])),
        "Upper Center", max(14, round(height / 40.0)), bold=True)
    note = hp.add_text(pv, view, "note", "", "Lower Left Corner", max(10, round(height / 70.0)),
                       colour=(0.15, 0.15, 0.15))
    hp.add_time_text(pv, view, scene.reader, max(14, round(height / 36.0)))

    # One camera for all frames: the union of the drawn bounds over the time steps.
    bounds = list(scene.drawn_bounds())
    for time in drawn_times[1:]:
        hp.update(scene.tubes, time, path)
        b = scene.drawn_bounds()
        bounds = [min(bounds[i], b[i]) if i % 2 == 0 else max(bounds[i], b[i]) for i in range(6)]
    hp.frame_camera(view, bounds, direction)
    hp.add_scale_bar(pv, view, width, height)
    lo, hi, _, _ = scene.colour_by(args.array)

    os.makedirs(out_dir, exist_ok=True)
    index = ["frame,time_d,file"]
    for frame, time in enumerate(drawn_times):
        view.ViewTime = time
        hp.update(scene.reader, time, path)
        info = scene.reader.GetDataInformation()
        scene.segments, scene.nodes = info.GetNumberOfCells(), info.GetNumberOfPoints()
        note.Text = "%s   day %g of %g (frame %d of %d)%s" % (
            scene.note(direction), time, times[-1], frame + 1, len(drawn_times),
            "\n" + scene.range_note(args.array) if scene.range_note(args.array) else "")
        png = os.path.join(out_dir, "%s_%04d.png" % (args.array, frame))
        hp.save_png(pv, view, png, width, height)
        index.append("%d,%.10g,%s" % (frame, time, os.path.basename(png)))
        print("wrote %s (t = %s)" % (png, format_days(time)))
    write_text(os.path.join(out_dir, "%s_frames.csv" % args.array), "\n".join(index) + "\n")
    print("wrote %d frames of %s, colour range %.4g .. %.4g, to %s"
          % (len(drawn_times), args.array, lo, hi, out_dir))
    if args.state:
        view.ViewTime = drawn_times[-1]
        pv.GetAnimationScene().UpdateAnimationUsingDataTimeSteps()
        hp.save_state(pv, os.path.abspath(args.state))


def main(argv):
    return hp.script_main(PROG, parse_args(argv), render)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Check that a rendered PNG is a plausible picture (python3 standard library only).

usage: check_png.py PNG [--width W] [--height H] [--min-colors N]
                        [--min-fraction F] [--max-fraction F] [--colorbar] [--colorbar-monotone]
                        [--content X0 Y0 X1 Y1 F ...] [--colour-present RRGGBB F ...]
                        [--differs-from OTHER.png F]

Checks, each reported on one line, exit 0 when all pass, 1 when one fails, 2 for bad usage or an
unreadable PNG:
  size        the image is W x H pixels.
  colours     at least N distinct RGB colours (a blank or flat image has a handful).
  coverage    the fraction of pixels that differ from the background (the most common colour)
              by more than 24 in some channel lies in [min-fraction, max-fraction].
  colour bar  (--colorbar) a colour-bar strip exists in the right or bottom 35 % of the image:
              a band at least 6 px thick and at least 20 % of the image height (width) long in
              which every row (column) is one uniform colour across the band, the colour changes
              smoothly along the band (98 % of the 1-px steps change no channel by more than 24),
              the band holds at least 24 distinct colours and its two ends differ by at least 120
              (sum of |dR|+|dG|+|dB|). Tubes, text and the orientation axes do not look like this:
              shading changes colour across a tube, text is not smooth, and a tube of one colour
              has no colour span.
              (--colorbar-monotone) also: the luminance along the band is monotone (within
              3/255), true for sequential maps such as Viridis (the default for magnitudes).
  content     (--content X0 Y0 X1 Y1 F, repeatable) in the box X0..X1, Y0..Y1 (fractions of the
              width and height from the top left) at least the fraction F of the pixels differ
              from the background: the picture's subject is where it should be.
  colour      (--colour-present RRGGBB F, repeatable) at least the fraction F of all pixels are
              within 40 (each channel) of the colour RRGGBB: e.g. a plot's data lines are drawn.
  differs     (--differs-from OTHER.png F) at least the fraction F of the pixels differ (by more
              than 24 in a channel) from those of OTHER.png (same size): e.g. animation frames.

The decoder handles non-interlaced PNGs with 8-bit samples (grey, grey+alpha, RGB, RGBA,
palette), which is what ParaView and VTK write.
"""
import argparse
import struct
import sys
import zlib

BACKGROUND_TOLERANCE = 24   # channel difference that makes a pixel "not background"
BAND_UNIFORM_TOLERANCE = 12  # channel difference allowed across the bar's thickness
STEP_TOLERANCE = 24          # channel difference allowed between neighbouring bar pixels


class PngError(Exception):
    pass


def decode_png(path):
    """Return (width, height, rows) with rows a list of bytes objects, 3 bytes (RGB) a pixel."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise PngError("not a PNG file (bad signature)")
    pos, idat, header, palette = 8, [], None, None
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise PngError("truncated chunk %r" % ctype)
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise PngError("CRC mismatch in chunk %r" % ctype)
        pos += 12 + length
        if ctype == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif ctype == b"PLTE":
            palette = body
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
    if header is None or not idat:
        raise PngError("missing IHDR or IDAT chunk")
    width, height, depth, colour_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour_type)
    if channels is None or depth != 8 or interlace != 0:
        raise PngError("unsupported PNG: bit depth %d, colour type %d, interlace %d "
                       "(only 8-bit non-interlaced is decoded)" % (depth, colour_type, interlace))
    if colour_type == 3 and palette is None:
        raise PngError("palette image without PLTE chunk")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) < height * (stride + 1):
        raise PngError("image data too short")
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filter_type = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if filter_type == 1:    # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif filter_type == 2:  # Up
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif filter_type == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif filter_type == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        elif filter_type != 0:
            raise PngError("bad filter type %d in row %d" % (filter_type, y))
        previous = line
        rows.append(to_rgb(bytes(line), colour_type, palette))
    return width, height, rows


def to_rgb(line, colour_type, palette):
    if colour_type == 2:
        return line
    out = bytearray()
    if colour_type == 6:    # RGBA: composite over white
        for i in range(0, len(line), 4):
            a = line[i + 3]
            out += bytes((line[i + k] * a + 255 * (255 - a)) // 255 for k in range(3))
    elif colour_type == 0:
        for v in line:
            out += bytes((v, v, v))
    elif colour_type == 4:
        for i in range(0, len(line), 2):
            v = (line[i] * line[i + 1] + 255 * (255 - line[i + 1])) // 255
            out += bytes((v, v, v))
    elif colour_type == 3:
        for v in line:
            out += palette[3 * v:3 * v + 3]
    return bytes(out)


def max_diff(p, q):
    return max(abs(p[0] - q[0]), abs(p[1] - q[1]), abs(p[2] - q[2]))


def luminance(p):
    return 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]


def pixel(rows, x, y):
    return rows[y][3 * x:3 * x + 3]


def find_colour_bar(width, height, rows, background, vertical, monotone):
    """Search for a colour bar; return a description dict of the best band or None.

    A vertical bar is searched in the right 35 % of the image; a horizontal one in the bottom 35 %
    (by transposing the problem: 'along' is the bar's long axis, 'across' its thickness)."""
    if vertical:
        along_n, across_lo, across_hi = height, int(width * 0.65), width

        def get(across, along):
            return pixel(rows, across, along)
    else:
        along_n, across_lo, across_hi = width, int(height * 0.65), height

        def get(across, along):
            return pixel(rows, along, across)
    min_len = max(20, int(0.2 * (height if vertical else width)))
    min_thickness, best = 6, None
    for across in range(across_lo, across_hi - min_thickness):
        # Runs of smooth, non-background pixels along this line.
        runs, run_start, prev = [], None, None
        for along in range(along_n + 1):
            p = get(across, along) if along < along_n else None
            ok = p is not None and max_diff(p, background) > BACKGROUND_TOLERANCE
            jump = ok and prev is not None and max_diff(p, prev) > 3 * STEP_TOLERANCE
            if run_start is not None and (not ok or jump):  # the run ends before this pixel
                if along - run_start >= min_len:
                    runs.append((run_start, along))
                run_start = None
            if ok and run_start is None:
                run_start = along
            prev = p if ok else None
        for start, end in runs:
            lo, hi = start + 2, end - 2  # skip anti-aliased ends
            # Thickness: neighbouring lines that repeat this line's colours.
            thickness = 1
            while across + thickness < across_hi and all(
                    max_diff(get(across + thickness, a), get(across, a)) <= BAND_UNIFORM_TOLERANCE
                    for a in range(lo, hi, 3)):
                thickness += 1
            if thickness < min_thickness:
                continue
            mid = across + thickness // 2
            colours = [get(mid, a) for a in range(lo, hi)]
            steps = [max_diff(colours[i], colours[i + 1]) for i in range(len(colours) - 1)]
            smooth = sum(1 for s in steps if s <= STEP_TOLERANCE) / float(max(1, len(steps)))
            distinct = len(set(colours))
            span = sum(abs(colours[0][k] - colours[-1][k]) for k in range(3))
            lum = [luminance(c) for c in colours]
            up = down = True  # monotone within 3/255 of the running extreme
            highest = lowest = lum[0]
            for value in lum[1:]:
                up = up and value >= highest - 3.0
                down = down and value <= lowest + 3.0
                highest, lowest = max(highest, value), min(lowest, value)
            candidate = {"orientation": "vertical" if vertical else "horizontal",
                         "across": (across, across + thickness), "along": (lo, hi),
                         "thickness": thickness, "length": hi - lo, "distinct": distinct,
                         "smooth": smooth, "span": span, "monotone": up or down,
                         "ends": (tuple(colours[0]), tuple(colours[-1]))}
            candidate["ok"] = (smooth >= 0.98 and distinct >= 24 and span >= 120
                               and (candidate["monotone"] or not monotone))
            key = (candidate["ok"], candidate["length"] * min(candidate["distinct"], 255))
            if best is None or key > best[0]:
                best = (key, candidate)
    return best[1] if best else None


def main(argv):
    parser = argparse.ArgumentParser(description="Check a rendered PNG (size, not blank, "
                                                 "colour bar).")
    parser.add_argument("png")
    parser.add_argument("--width", type=int)
    parser.add_argument("--height", type=int)
    parser.add_argument("--min-colors", type=int, default=50)
    parser.add_argument("--min-fraction", type=float, default=0.02,
                        help="least fraction of non-background pixels (default 0.02)")
    parser.add_argument("--max-fraction", type=float, default=0.90,
                        help="largest fraction of non-background pixels (default 0.90)")
    parser.add_argument("--colorbar", action="store_true", help="require a colour bar")
    parser.add_argument("--colorbar-monotone", action="store_true",
                        help="require the colour bar's luminance to be monotone")
    parser.add_argument("--content", nargs=5, type=float, action="append", default=[],
                        metavar=("X0", "Y0", "X1", "Y1", "F"),
                        help="box (fractions, from the top left) with at least F non-background")
    parser.add_argument("--colour-present", nargs=2, action="append", default=[],
                        metavar=("RRGGBB", "F"), help="at least F of the pixels near RRGGBB")
    parser.add_argument("--differs-from", nargs=2, default=None, metavar=("PNG", "F"),
                        help="at least F of the pixels differ from those of PNG")
    args = parser.parse_args(argv)

    try:
        width, height, rows = decode_png(args.png)
    except (OSError, PngError, zlib.error, struct.error) as e:
        print("check_png: %s: %s" % (args.png, e))
        return 2

    failures = []

    def report(name, ok, text):
        print("%-10s %s  %s" % (name, "ok  " if ok else "FAIL", text))
        if not ok:
            failures.append(name)

    size_ok = ((args.width is None or width == args.width)
               and (args.height is None or height == args.height))
    report("size", size_ok, "%dx%d (expected %sx%s)" % (width, height, args.width or "any",
                                                       args.height or "any"))

    counts = {}
    for row in rows:
        for i in range(0, len(row), 3):
            key = row[i:i + 3]
            counts[key] = counts.get(key, 0) + 1
    report("colours", len(counts) >= args.min_colors,
           "%d distinct colours (at least %d)" % (len(counts), args.min_colors))

    background = max(counts.items(), key=lambda kv: kv[1])[0]
    covered = sum(n for c, n in counts.items() if max_diff(c, background) > BACKGROUND_TOLERANCE)
    fraction = covered / float(width * height)
    report("coverage", args.min_fraction <= fraction <= args.max_fraction,
           "%.1f %% of pixels differ from the background rgb%s (allowed %.1f..%.1f %%)"
           % (100.0 * fraction, tuple(background), 100.0 * args.min_fraction,
              100.0 * args.max_fraction))

    for x0, y0, x1, y1, minimum in args.content:
        xs = range(int(x0 * width), max(int(x0 * width) + 1, int(x1 * width)))
        ys = range(int(y0 * height), max(int(y0 * height) + 1, int(y1 * height)))
        inside = sum(1 for y in ys for x in xs
                     if max_diff(pixel(rows, x, y), background) > BACKGROUND_TOLERANCE)
        share = inside / float(len(xs) * len(ys))
        report("content", share >= minimum,
               "%.1f %% of the box x %.2f..%.2f, y %.2f..%.2f differ from the background "
               "(at least %.1f %%)" % (100.0 * share, x0, x1, y0, y1, 100.0 * minimum))

    for hex_colour, minimum in args.colour_present:
        try:
            target = bytes.fromhex(hex_colour.lstrip("#"))
            minimum = float(minimum)
            if len(target) != 3:
                raise ValueError
        except ValueError:
            print("check_png: --colour-present RRGGBB F: bad colour %r or fraction %r"
                  % (hex_colour, minimum))
            return 2
        near = sum(n for c, n in counts.items() if max_diff(c, target) <= 40)
        share = near / float(width * height)
        report("colour", share >= minimum, "%.2f %% of the pixels are near #%s (at least %.2f %%)"
               % (100.0 * share, hex_colour.lstrip("#"), 100.0 * minimum))

    if args.differs_from:
        try:
            other_width, other_height, other_rows = decode_png(args.differs_from[0])
        except (OSError, PngError, zlib.error, struct.error) as e:
            print("check_png: %s: %s" % (args.differs_from[0], e))
            return 2
        minimum = float(args.differs_from[1])
        if (other_width, other_height) != (width, height):
            report("differs", False, "%s is %dx%d, not %dx%d" % (
                args.differs_from[0], other_width, other_height, width, height))
        else:
            changed = sum(1 for y in range(height) for x in range(width)
                          if max_diff(pixel(rows, x, y), pixel(other_rows, x, y))
                          > BACKGROUND_TOLERANCE)
            share = changed / float(width * height)
            report("differs", share >= minimum, "%.2f %% of the pixels differ from %s (at least "
                   "%.2f %%)" % (100.0 * share, args.differs_from[0], 100.0 * minimum))

    if args.colorbar or args.colorbar_monotone:
        bar = None
        for vertical in (True, False):
            found = find_colour_bar(width, height, rows, background, vertical,
                                    args.colorbar_monotone)
            if found and (bar is None or (found["ok"] and not bar["ok"])):
                bar = found
            if bar and bar["ok"]:
                break
        if bar is None:
            report("colourbar", False, "no smooth uniform band of at least 20 % of the image "
                                       "in the right or bottom 35 %")
        else:
            report("colourbar", bar["ok"],
                   "%s band at %s=%d..%d, %s=%d..%d: %d px long, %d px thick, %d distinct "
                   "colours, %.1f %% smooth steps, end-to-end difference %d, luminance %s; "
                   "ends rgb%s rgb%s"
                   % (bar["orientation"], "x" if bar["orientation"] == "vertical" else "y",
                      bar["across"][0], bar["across"][1] - 1,
                      "y" if bar["orientation"] == "vertical" else "x",
                      bar["along"][0], bar["along"][1] - 1, bar["length"], bar["thickness"],
                      bar["distinct"], 100.0 * bar["smooth"], bar["span"],
                      "monotone" if bar["monotone"] else "not monotone",
                      bar["ends"][0], bar["ends"][1]))
    if failures:
        print("check_png: %s: FAILED (%s)" % (args.png, ", ".join(failures)))
        return 1
    print("check_png: %s: all checks passed" % args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

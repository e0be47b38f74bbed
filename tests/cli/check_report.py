#!/usr/bin/env python3
"""Check a report.html of postproc/report.py (python3 standard library only).

usage: check_report.py REPORT.html [--min-images N] [--section TEXT ...] [--self-contained]
                                   [--list-images FILE]

Checks, each reported on one line, exit 0 when all pass, 1 when one fails, 2 for bad usage or an
unreadable file:
  references    every src= and href= that is not a web address, an anchor or a data: URI names a
                file that exists (relative to the report's folder); with --self-contained there
                are no such references at all and every image is a data:image/png URI.
  images        at least N <img> elements, each a PNG (signature, IHDR) of at least 100x100 px.
  sections      each --section TEXT occurs as an <h2> heading.
--list-images FILE writes the paths of the referenced local images, one a line (for check_png.py).
"""
import argparse
import base64
import html.parser
import os
import struct
import sys
import urllib.parse


class Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.references, self.images, self.headings = [], [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.references.append((tag, name, value))
                if tag == "img" and name == "src":
                    self.images.append(value)
        if tag == "h2":
            self._in_h2 = True
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.headings[-1] += data


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def main(argv):
    parser = argparse.ArgumentParser(description="Check a postproc report.html")
    parser.add_argument("report")
    parser.add_argument("--min-images", type=int, default=1)
    parser.add_argument("--section", nargs="*", default=[])
    parser.add_argument("--self-contained", action="store_true")
    parser.add_argument("--list-images", default=None)
    args = parser.parse_args(argv)
    try:
        with open(args.report, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print("check_report: %s: %s" % (args.report, e))
        return 2
    collector = Collector()
    collector.feed(text)
    folder = os.path.dirname(os.path.abspath(args.report))
    failures = []

    def report(name, ok, message):
        print("%-11s %s  %s" % (name, "ok  " if ok else "FAIL", message))
        if not ok:
            failures.append(name)

    missing, local, embedded = [], [], 0
    for tag, attribute, value in collector.references:
        parsed = urllib.parse.urlparse(value)
        if parsed.scheme in ("http", "https", "mailto") or value.startswith("#"):
            continue
        if parsed.scheme == "data":
            embedded += 1
            continue
        path = os.path.normpath(os.path.join(folder, urllib.parse.unquote(parsed.path)))
        local.append(path)
        if not os.path.isfile(path):
            missing.append("%s %s=%s" % (tag, attribute, value))
    report("references", not missing and (not args.self_contained or not local),
           "%d local file references, %d missing%s; %d data: URIs%s"
           % (len(local), len(missing), (" (" + "; ".join(missing[:5]) + ")") if missing else "",
              embedded, "; --self-contained: local references are not allowed"
              if args.self_contained and local else ""))

    bad, image_paths = [], []
    for source in collector.images:
        if source.startswith("data:"):
            header, _, payload = source.partition(",")
            if header != "data:image/png;base64":
                bad.append("%s... (not a base64 PNG)" % source[:30])
                continue
            data = base64.b64decode(payload)
            where = "embedded image"
        else:
            if args.self_contained:
                bad.append("%s (a file in a self-contained report)" % source)
                continue
            path = os.path.join(folder, urllib.parse.unquote(source))
            image_paths.append(os.path.abspath(path))
            try:
                with open(path, "rb") as f:
                    data = f.read(64)
            except OSError:
                bad.append("%s (missing)" % source)
                continue
            where = source
        size = png_size(data)
        if size is None or size[0] < 100 or size[1] < 100:
            bad.append("%s (%s)" % (where, "not a PNG" if size is None else "%dx%d" % size))
    report("images", len(collector.images) >= args.min_images and not bad,
           "%d images (at least %d)%s" % (len(collector.images), args.min_images,
                                          ", bad: " + "; ".join(bad[:5]) if bad else ""))
    headings = [h.strip() for h in collector.headings]
    absent = [s for s in args.section if not any(s in h for h in headings)]
    report("sections", not absent, "headings: %s%s" % (
        ", ".join(headings), "; missing: " + ", ".join(absent) if absent else ""))
    if args.list_images:
        with open(args.list_images, "w") as f:
            f.write("".join(p + "\n" for p in image_paths))
    if failures:
        print("check_report: %s: FAILED (%s)" % (args.report, ", ".join(failures)))
        return 1
    print("check_report: %s: all checks passed" % args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

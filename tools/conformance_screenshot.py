#!/usr/bin/env python3
"""Render a conformance HTML report in headless Chromium and save a PNG screenshot.

    python tools/conformance_screenshot.py report.html report.png [--height 2400]

Exit status 0 when the PNG was written and looks like a rendered page (a PNG of the requested
width with more than one colour), 1 otherwise, 3 when no Chromium is installed. Used by
tests/unit/test_conformance_html.py; needs `chromium` (Debian) or `chromium-browser`/`google-chrome`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def png_size_and_colours(path: str) -> tuple[int, int, int]:
    """(width, height, number of distinct colours in the first 200 rows) of an 8-bit RGB(A) PNG."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack("!I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, _depth, ctype = struct.unpack("!IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    channels = {2: 3, 6: 4}.get(ctype, 3)
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    colours = set()
    prev = bytearray(width * channels)
    for row in range(min(height, 200)):
        line = raw[row * stride:(row + 1) * stride]
        ftype, cur = line[0], bytearray(line[1:])
        for i in range(len(cur)):
            left = cur[i - channels] if i >= channels else 0
            up = prev[i]
            ul = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                cur[i] = (cur[i] + left) & 0xFF
            elif ftype == 2:
                cur[i] = (cur[i] + up) & 0xFF
            elif ftype == 3:
                cur[i] = (cur[i] + ((left + up) >> 1)) & 0xFF
            elif ftype == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                cur[i] = (cur[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 0xFF
        for x in range(0, len(cur), channels * 7):
            colours.add(bytes(cur[x:x + 3]))
        prev = cur
    return width, height, len(colours)


def screenshot(html_path: str, png_path: str, width: int = 1280, height: int = 2400) -> None:
    browser = find_browser()
    if browser is None:
        raise FileNotFoundError("no chromium")
    profile = tempfile.mkdtemp(prefix="swcc-chromium-")
    try:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={os.path.abspath(png_path)}", "file://" + os.path.abspath(html_path)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html")
    parser.add_argument("png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args(argv)
    try:
        screenshot(args.html, args.png, args.width, args.height)
    except FileNotFoundError:
        print("no Chromium found (tried: " + ", ".join(BROWSERS) + ")", file=sys.stderr)
        return 3
    width, height, colours = png_size_and_colours(args.png)
    print(f"{args.png}: {width}x{height}, {colours} colours sampled")
    return 0 if width == args.width and colours > 3 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The landing page as a browser shows it: headless Chromium at 1280 and 390 px (a phone).

The page must open with what is wrong now, put the troubled sockets first, and fit a 390-px
screen: document.documentElement.scrollWidth is measured by a script Chromium runs on a copy of
the page (`--dump-dom`), and screenshots at both widths are checked to be PNGs of that width.
Skipped, with the reason, when Chromium is not installed (`scripts/ensure-deps.sh docs`).
"""
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import zmq

from test_agent import exporter, held_port, render, wait_until, zmq_context

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (scripts/ensure-deps.sh docs installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-dev-shm-usage", "--user-data-dir={profile}"]


def chromium(workdir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    flags = [f.format(profile=workdir / "chromium-profile") for f in FLAGS]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=timeout)


def scroll_width(workdir: Path, html: str, width: int) -> int:
    """The page's layout width in a `width`-px viewport, as the browser computes it. Headless
    Chromium will not make a window narrower than 500 px, so the page is laid out in a
    same-origin iframe of that width and measured from the parent."""
    html = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", html)
    srcdoc = html.replace("&", "&amp;").replace('"', "&quot;")
    wrapper = workdir / f"measure-{width}.html"
    wrapper.write_text(
        f'<!DOCTYPE html><html><body style="margin:0"><iframe id="f" style="border:0;width:{width}px;height:1200px"'
        f' srcdoc="{srcdoc}"></iframe><script>document.getElementById("f").onload = function () {{'
        f' document.body.setAttribute("data-scroll-width", String(this.contentDocument.documentElement.scrollWidth)); }};'
        f'</script></body></html>')
    window = max(width, 500) + 100
    result = chromium(workdir, f"--window-size={window},1300", "--virtual-time-budget=3000", "--dump-dom", wrapper.as_uri())
    match = re.search(r'data-scroll-width="(\d+)"', result.stdout)
    assert match, f"no measurement from chromium: {result.stderr[-2000:]}"
    return int(match.group(1))


def png_pixels(path: Path) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB/RGBA PNG (stdlib only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8:at + 8 + length])
        at += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows, bpp


def content_beyond(path: Path, x: int) -> list[tuple[int, int]]:
    """Pixels right of column `x` that are not the magenta the test paints outside the page."""
    width, height, rows, bpp = png_pixels(path)
    return [(col, row) for row in range(0, height, 4) for col in range(x, width)
            if rows[row][col * bpp:col * bpp + 3] != b"\xff\x00\xff"][:5]


def test_landing_page_says_what_is_wrong_and_fits_a_phone(tmp_path):
    with zmq_context() as ctx, held_port() as taken:
        rep = ctx.socket(zmq.REP)
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        config = render("agent.yml", tmp_path, probe_endpoint=f"tcp://127.0.0.1:{port}",
                        taken_endpoint=f"tcp://127.0.0.1:{taken}")
        with exporter(config, tmp_path) as exp:
            # The REP never answers: the probe fails; `taken` cannot bind; broker has no worker.
            wait_until("the probe failing", lambda: "probe failing" in exp.request("/")[1], timeout=20)
            html = exp.request("/")[1]
            status = re.search(r'<p class="status bad">(.*?)</p>', html)
            assert status, html[:2000]
            for wrong in ("1 socket down", "below min_peers", "1 probe failing"):
                assert wrong in status.group(1), status.group(1)
            # Troubled sockets first: the down one, then the failing probe, before the healthy tap.
            order = re.findall(r'<section class="socket[^"]*"><h2>([\w-]+) ', html)
            assert order[0] == "taken" and order.index("echo") < order.index("jobs"), order
            assert "last message" in html or "no message yet" in html
            assert "<figcaption>messages/s in+out" in html

            for width in (1280, 390):
                measured = scroll_width(tmp_path, html, width)
                assert measured <= width, f"the page is {measured} px wide in a {width}-px viewport"
            # Screenshots: the page made `width` px wide on a magenta canvas (the window is at least
            # 500 px), so anything that does not fit shows as non-magenta pixels right of it.
            for width in (1280, 390):
                page = tmp_path / f"shot-{width}.html"
                page.write_text(html.replace("</style>", f"html{{width:{width}px;background:#f0f}}"
                                                          f"body{{background:#f6f7f9}}</style>"))
                shot = tmp_path / f"landing-{width}.png"
                window = max(width, 500)
                result = chromium(tmp_path, f"--window-size={window},1600", f"--screenshot={shot}", page.as_uri())
                assert shot.exists(), result.stderr[-2000:]
                assert png_pixels(shot)[:2] == (window, 1600)
                if window > width:
                    assert content_beyond(shot, width) == [], f"content beyond {width} px in {shot}"
            print(f"\nscreenshots: {tmp_path}/landing-1280.png, landing-390.png")

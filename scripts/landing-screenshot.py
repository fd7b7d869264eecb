#!/usr/bin/env python3
"""Regenerates docs/landing.png from the demo: starts `zmq-exporter demo` on free ports, waits
until its scheduled faults show on the landing page (a failing probe or handshake failures),
then takes a 1280-px screenshot with headless Chromium (scripts/ensure-deps.sh docs).

usage: scripts/landing-screenshot.py [--agent PATH] [--out docs/landing.png] [--height 1500]"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", default=str(REPO / ".build/debug/zmq-exporter"))
    parser.add_argument("--out", default=str(REPO / "docs/landing.png"))
    parser.add_argument("--height", type=int, default=1500)
    parser.add_argument("--deadline", type=float, default=120)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("chromium is not installed: scripts/ensure-deps.sh docs", file=sys.stderr)
        return 1
    demo = subprocess.Popen([args.agent, "demo", "--demo.port-base", "0", "--web.listen-address", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
    try:
        url = None
        started = time.monotonic()
        while url is None and time.monotonic() - started < 20:
            line = demo.stdout.readline()
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = match and match.group(1)
        if not url:
            print("the demo did not start", file=sys.stderr)
            return 1
        # Wait for the faults to show, so the picture has something to say.
        while time.monotonic() - started < args.deadline:
            page = urllib.request.urlopen(url + "/", timeout=5).read().decode()
            if "probe failing" in page and "handshake failure" in page:
                break
            time.sleep(1)
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--user-data-dir={profile}", f"--window-size=1280,{args.height}",
                            f"--screenshot={args.out}", url + "/"], check=True, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"wrote {args.out}")
        return 0
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=10)
        except subprocess.TimeoutExpired:
            demo.kill()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What the preload library costs: Benchmarks/c/zb_preload_cost.c with and without LD_PRELOAD,
alternating (A B A B ...) for --runs repetitions; prints the median ratio per workload with its
min and max, and the absolute medians for context. Run it by hand:

    make preload && python3 Benchmarks/preload_cost.py [--runs 7]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = [("pushpull", 2_000_000, "per_second", "TCP PUSH->PULL 64 B, msg/s"),
             ("reqrep", 20_000, "per_second", "TCP REQ/REP 64 B, round trips/s"),
             ("inproc", 2_000_000, "ns_per_message", "one thread inproc send+recv, ns/msg")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--library", default=str(REPO / ".build/preload/libzmq_exporter_preload.so"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every N")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="preload-cost-"))
    try:
        run(args, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def build(out: Path) -> Path:
    """Compiles Benchmarks/c/zb_preload_cost.c into `out`; returns the binary (also used by
    `make bench`, benchlib/b6_preload.py)."""
    binary = out / "zb_preload_cost"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(REPO / "Benchmarks/c/zb_preload_cost.c"), "-lzmq", "-lpthread"],
                   check=True)
    return binary


def measure(binary: Path, mode: str, n: int, library: str, statsdir: Path) -> dict:
    """One repetition of `mode`: the program without, then with the library (A then B, so each
    pair shares the machine's state of the moment). Returns {"without": result, "with": result},
    each the program's JSON line (per_second, ns_per_message, cpu_ns_per_message, ...)."""
    results = {}
    for variant in ("without", "with"):
        env = dict(os.environ, ZMQ_EXPORTER_DIR=str(statsdir))
        env.pop("LD_PRELOAD", None)
        if variant == "with":
            env["LD_PRELOAD"] = library
        r = subprocess.run([str(binary), mode, str(n)], env=env, capture_output=True, text=True,
                           timeout=600, check=True)
        results[variant] = json.loads(r.stdout)
    return results


def run(args, out: Path):
    binary = build(out)
    print(f"{'workload':42} {'without':>12} {'with':>12} {'ratio (min-max)':>22}  cpu ns/msg without/with")
    for mode, n, key, label in WORKLOADS:
        n = max(1, int(n * args.scale))
        ratios, plain, loaded, cpu_plain, cpu_loaded = [], [], [], [], []
        for _ in range(args.runs):
            results = measure(binary, mode, n, args.library, out / "stats")
            a, b = results["without"][key], results["with"][key]
            ratios.append(b / a if key == "per_second" else a / b)  # > 1 would mean faster with
            plain.append(a)
            loaded.append(b)
            cpu_plain.append(results["without"]["cpu_ns_per_message"])
            cpu_loaded.append(results["with"]["cpu_ns_per_message"])
        print(f"{label:42} {statistics.median(plain):12.1f} {statistics.median(loaded):12.1f} "
              f"{statistics.median(ratios):8.3f} ({min(ratios):.3f}-{max(ratios):.3f})  "
              f"{statistics.median(cpu_plain):.1f}/{statistics.median(cpu_loaded):.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

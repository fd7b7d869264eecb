#!/usr/bin/env python3
"""`make bench`: runs the benchmarks of issue 7 (1-5), the preload library's (issue 13, 6) and TLS's
(issue 15, 7) and scale (issue 16, 8) on this machine, each against its baseline in the same run, and prints a Markdown table of medians (min, max) and per-run ratios.

usage: bench.py [--smoke] [--runs N] [--only 1,3,7] [--agent PATH] [--json FILE]
--smoke: tiny sizes, one run each; checks that every program ran and reported its figures and that
the agent's counters equal what was sent; exits 1 on any problem. No timing is asserted.
The agent defaults to $ZMQ_EXPORTER_BIN, else .build/release/zmq-exporter. When it does not exist,
its rows read "agent: not available"; with --smoke that is a failure unless
BENCH_SMOKE_ALLOW_NO_AGENT=1 (for working on the harness alone).
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import b1_proxy, b2_tap, b3_monitor, b4_scrape, b5_footprint, b6_preload, b7_tls, b8_scale  # noqa: E402
from benchlib.context import Context  # noqa: E402
from benchlib.procs import BENCH_DIR, BenchError, build_c_programs  # noqa: E402
from benchlib.table import render, to_json  # noqa: E402

BENCHES = {"1": b1_proxy, "2": b2_tap, "3": b3_monitor, "4": b4_scrape, "5": b5_footprint, "6": b6_preload,
           "7": b7_tls, "8": b8_scale}


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    zmq = subprocess.run(["pkg-config", "--modversion", "libzmq"], capture_output=True, text=True).stdout.strip()
    return f"{platform.node()}: {os.cpu_count()} x {cpu}, Linux {platform.release()}, libzmq {zmq}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--agent", default=os.environ.get("ZMQ_EXPORTER_BIN")
                        or str(BENCH_DIR.parent / ".build" / "release" / "zmq-exporter"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in only if b not in BENCHES]
    if unknown or (args.runs is not None and args.runs < 1):
        parser.error(f"--only takes numbers {', '.join(BENCHES)} (got {unknown}); --runs must be >= 1")

    ctx = Context(os.path.abspath(args.agent), args.smoke, args.runs)
    head = subprocess.run(["git", "-C", str(BENCH_DIR.parent), "log", "-1", "--format=%h %cd", "--date=iso"],
                          capture_output=True, text=True).stdout.strip()
    started = time.monotonic()
    agent_present = os.path.isfile(ctx.agent_bin) and os.access(ctx.agent_bin, os.X_OK)
    if not agent_present:
        if args.smoke and os.environ.get("BENCH_SMOKE_ALLOW_NO_AGENT") != "1":
            ctx.problem(f"agent binary {ctx.agent_bin} does not exist (set ZMQ_EXPORTER_BIN)")
        else:
            ctx.log(f"agent binary {ctx.agent_bin} does not exist: agent rows will say so")
    try:
        build_c_programs(ctx.log)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2

    rows = []
    for number in only:
        ctx.log(BENCHES[number].__doc__.splitlines()[0])
        try:
            rows += BENCHES[number].run(ctx)
        except BenchError as error:
            ctx.problem(f"benchmark {number} could not run: {error}")

    if args.smoke:
        for row in rows:
            if row.unavailable:
                if row.unavailable.startswith("agent: not available") and agent_present:
                    ctx.problem(f"{row.bench} {row.name}: {row.unavailable}")
                continue
            good = [v for v in row.values if v is not None and (v > 0 or (row.zero_ok and v == 0))]
            if not row.values or len(good) != len(row.values):
                if row.name.startswith("Python"):
                    # The Python exporter is only a baseline: on a busy machine it can answer no
                    # request of wrk's smoke-sized run, which says nothing about the agent.
                    print(f"bench smoke: note: {row.bench} {row.name}: no figure ({row.values})", file=sys.stderr)
                    continue
                ctx.problem(f"{row.bench} {row.name}: no figure from every run ({row.values})")

    elapsed = time.monotonic() - started
    mode = "smoke (sizes too small for any conclusion)" if args.smoke else f"{ctx.runs} runs per figure"
    print(f"# make bench, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {machine()}")
    print(f"command: {' '.join(shlex.quote(a) for a in sys.argv)}  ({mode}, {elapsed:.0f} s)")
    print(f"agent: {ctx.agent_bin}{'' if agent_present else ' (not available)'}; tree at start: commit {head}")
    print()
    print(render(rows, ctx.runs))
    if ctx.checks:
        print("\nChecks (counts, not timings; one line per check, the last run's words):")
        groups = {}
        for ok, text in ctx.checks:
            groups.setdefault(text.split(":", 1)[0], []).append((ok, text))
        for tag, results in groups.items():
            passed = sum(ok for ok, _ in results)
            print(f"- {passed}/{len(results)} ok: {results[-1][1]}")
            for ok, text in results:
                if not ok:
                    print(f"  - FAILED: {text}")
    if ctx.problems:
        print("\nProblems:")
        for text in ctx.problems:
            print(f"- {text}")
    if args.json:
        args.json.write_text(json.dumps({"smoke": args.smoke, "runs": ctx.runs, "agent": ctx.agent_bin,
                                         "agent_present": agent_present, "seconds": elapsed,
                                         "rows": to_json(rows), "checks": ctx.checks,
                                         "problems": ctx.problems}, indent=1))
    return 1 if ctx.problems else 0


if __name__ == "__main__":
    sys.exit(main())

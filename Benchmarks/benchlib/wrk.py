"""Runs `wrk --latency` and reads requests per second and the p99 latency from its report."""
import re
import subprocess

from .procs import BenchError

RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
P99 = re.compile(r"^\s+99(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.M)
ERRORS = re.compile(r"^\s+(Non-2xx or 3xx responses|Socket errors):\s*(.+)$", re.M)
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse(report):
    """{"rps": float, "p99_ms": float, "errors": [text]} from wrk's report; BenchError when either
    figure is missing."""
    rps, p99 = RPS.search(report), P99.search(report)
    if not rps or not p99:
        raise BenchError(f"cannot read wrk's report:\n{report[-800:]}")
    return {"rps": float(rps.group(1)), "p99_ms": float(p99.group(1)) * TO_MS[p99.group(2)],
            "errors": [f"{name}: {value.strip()}" for name, value in ERRORS.findall(report)]}


def run(url, duration, gzip, threads=2, connections=16):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    if gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    try:
        done = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=120)
    except FileNotFoundError as error:
        raise BenchError("wrk is not installed (scripts/ensure-deps.sh bench)") from error
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk on {url} did not finish in 120 s") from error
    if done.returncode != 0:
        raise BenchError(f"wrk on {url} failed ({done.returncode}): {done.stderr.strip()}")
    result = parse(done.stdout)
    if result["errors"]:
        raise BenchError(f"wrk on {url}: {'; '.join(result['errors'])}")
    return result

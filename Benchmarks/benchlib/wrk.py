"""Runs `wrk --latency` and reads requests per second and the p99 latency from its report."""
import re
import subprocess

from .procs import BenchError

RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
P99 = re.compile(r"^\s+99(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.M)
NON_2XX = re.compile(r"^\s+Non-2xx or 3xx responses:\s*(\d+)", re.M)
SOCKET_ERRORS = re.compile(r"^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.M)
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse(report):
    """{"rps", "p99_ms", "timeouts", "errors": [text]} from wrk's report; BenchError when a figure
    is missing. Timeouts are a result (a server too slow for wrk's timeout), not an error."""
    rps, p99 = RPS.search(report), P99.search(report)
    if not rps or not p99:
        raise BenchError(f"cannot read wrk's report:\n{report[-800:]}")
    errors, timeouts = [], 0
    non_2xx = NON_2XX.search(report)
    if non_2xx:
        errors.append(f"{non_2xx.group(1)} non-2xx responses")
    sockets = SOCKET_ERRORS.search(report)
    if sockets:
        connect, read, write, timeouts = (int(g) for g in sockets.groups())
        if connect or read or write:
            errors.append(f"socket errors: connect {connect}, read {read}, write {write}")
    return {"rps": float(rps.group(1)), "p99_ms": float(p99.group(1)) * TO_MS[p99.group(2)],
            "timeouts": timeouts, "errors": errors}


def run(url, duration, gzip, threads=2, connections=16, timeout="10s", headers=()):
    """wrk's timeout is raised from 2 s to 10 s so a slow server's latency is measured, not lost.
    `headers`: more request headers, e.g. "Connection: close" for a new connection per request.
    An https URL is spoken with TLS (wrk does not verify the certificate)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", f"--timeout={timeout}", "--latency"]
    if gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    for header in headers:
        cmd += ["-H", header]
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

#!/usr/bin/env python3
"""Soak test (issue 8, `make soak MINUTES=N`): the demo, a wrk scrape load on /metrics and a peer
that keeps connecting to and disconnecting from a demo endpoint, for N minutes.

Every 10 s it samples the agent's RSS, descriptors, threads and a few counters into soak.csv and
plots them into soak.png (in --out). It fails (exit 1) if memory grows steadily (the last third's
median RSS is over 1.2 x the second third's and over it by 5 MiB), if a `_total` sample ever went
down between two samples, if the descriptor count drifts (the last third's median is more than
4 over the second third's), or if the demo dies. The demo and wrk are stopped by PID."""

import argparse
import csv
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

try:
    import zmq
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as error:
    sys.exit(f"soak: {error}; run scripts/ensure-deps.sh soak")

COLUMNS = ["seconds", "rss_mib", "fds", "threads", "http_200_total", "tasks_received_total",
           "events_backend_accepted_total", "churn_cycles", "scrape_ms"]


def scrape(url: str) -> tuple[dict, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    elapsed = time.monotonic() - started
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = (sample.value, sample.labels)
    return samples, elapsed


def value(samples: dict, name: str, **labels) -> float:
    entry = samples.get((name, tuple(sorted(labels.items()))))
    return entry[0] if entry else 0.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Demo:
    def __init__(self, binary: str, out: Path):
        self.log = open(out / "demo.log", "w")
        self.proc = subprocess.Popen([binary, "demo", "--demo.port-base", "0", "--web.listen-address", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL, text=True)
        self.url = None
        self.ready = threading.Event()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match and not self.url:
                self.url = match.group(1)
                self.ready.set()

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return self.proc.returncode


class Churn(threading.Thread):
    """SUB peers connecting to the events proxy's XPUB backend, each closed after ~200 ms."""

    def __init__(self, endpoint: str):
        super().__init__(daemon=True)
        self.endpoint = endpoint
        self.cycles = 0
        self.stopping = threading.Event()

    def run(self):
        ctx = zmq.Context()
        try:
            while not self.stopping.is_set():
                sub = ctx.socket(zmq.SUB)
                sub.setsockopt(zmq.LINGER, 0)
                sub.setsockopt(zmq.SUBSCRIBE, b"")
                sub.connect(self.endpoint)
                sub.poll(200)
                sub.close()
                self.cycles += 1
                self.stopping.wait(0.05)
        finally:
            ctx.term()


def bound_endpoint(samples: dict, socket_label: str) -> str | None:
    for (name, _), (_, labels) in samples.items():
        if name == "zmq_socket_endpoint_info" and labels.get("socket") == socket_label and labels.get("mode") == "bind":
            return labels["endpoint"]
    return None


def verdict(rows: list[dict], decreases: list[str], alive: bool) -> list[str]:
    failures = list(decreases[:5])
    if not alive:
        failures.append("the demo died during the soak")
    if len(rows) < 6:
        failures.append(f"only {len(rows)} samples: too short to judge")
        return failures
    third = len(rows) // 3
    second, last = rows[third:2 * third], rows[2 * third:]
    rss2, rss3 = statistics.median(r["rss_mib"] for r in second), statistics.median(r["rss_mib"] for r in last)
    if rss3 > 1.2 * rss2 and rss3 - rss2 > 5:
        failures.append(f"memory grows: median RSS {rss2:.1f} MiB in the second third, {rss3:.1f} MiB in the last")
    fds2, fds3 = statistics.median(r["fds"] for r in second), statistics.median(r["fds"] for r in last)
    if fds3 - fds2 > 4:
        failures.append(f"descriptors drift: median {fds2:.0f} in the second third, {fds3:.0f} in the last")
    return failures


def plot(rows: list[dict], path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [r["seconds"] / 60 for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    axes[0].plot(t, [r["rss_mib"] for r in rows], marker=".")
    axes[0].set_ylabel("RSS (MiB)")
    axes[1].plot(t, [r["fds"] for r in rows], marker=".", label="descriptors")
    axes[1].plot(t, [r["threads"] for r in rows], marker=".", label="threads")
    axes[1].legend()
    for column in ("http_200_total", "tasks_received_total", "events_backend_accepted_total", "churn_cycles"):
        axes[2].plot(t, [r[column] for r in rows], label=column)
    axes[2].set_yscale("symlog")
    axes[2].set_ylabel("count")
    axes[2].legend(fontsize="small")
    axes[2].set_xlabel("minutes")
    fig.suptitle("zmq-exporter soak: demo + wrk scrapes + peer churn")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--agent", default=os.environ.get("ZMQ_EXPORTER_BIN", ".build/release/zmq-exporter"))
    parser.add_argument("--out", type=Path, default=Path("soak-out"))
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args()
    if not os.access(args.agent, os.X_OK):
        sys.exit(f"soak: no agent binary at {args.agent}")
    args.out.mkdir(parents=True, exist_ok=True)
    seconds = args.minutes * 60

    demo = Demo(args.agent, args.out)
    wrk = churn = None
    rows, decreases = [], []
    try:
        if not demo.ready.wait(30):
            sys.exit(f"soak: the demo did not say where it listens (see {args.out / 'demo.log'})")
        deadline = time.monotonic() + 30
        while (endpoint := bound_endpoint(scrape(demo.url)[0], "events.backend")) is None:
            if time.monotonic() > deadline:
                sys.exit("soak: no events.backend endpoint in zmq_socket_endpoint_info")
            time.sleep(0.2)
        churn = Churn(endpoint)
        churn.start()
        wrk_log = open(args.out / "wrk.txt", "w")
        wrk = subprocess.Popen(["wrk", "-t1", "-c4", f"-d{int(seconds)}s", "--latency", demo.url + "/metrics"],
                               stdout=wrk_log, stderr=subprocess.STDOUT)
        print(f"soak: {args.minutes:g} min; demo at {demo.url}, churning {endpoint}; samples every {args.interval:g} s")
        started = time.monotonic()
        previous: dict = {}
        while True:
            elapsed = time.monotonic() - started
            samples, scrape_seconds = scrape(demo.url)
            for key, (current, _) in samples.items():
                if key[0].endswith("_total") and key in previous and current < previous[key][0]:
                    decreases.append(f"counter went down at {elapsed:.0f} s: {key} {previous[key][0]} -> {current}")
            previous = samples
            pid = demo.proc.pid
            rows.append({
                "seconds": round(elapsed, 1), "rss_mib": round(rss_mib(pid), 2),
                "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": len(os.listdir(f"/proc/{pid}/task")),
                "http_200_total": value(samples, "zmq_exporter_http_requests_total", code="200"),
                "tasks_received_total": value(samples, "zmq_socket_messages_received_total", socket="tasks.frontend"),
                "events_backend_accepted_total": value(samples, "zmq_socket_events_total", socket="events.backend", event="accepted"),
                "churn_cycles": churn.cycles, "scrape_ms": round(scrape_seconds * 1000, 1),
            })
            print("soak: " + ", ".join(f"{k} {v}" for k, v in rows[-1].items()), flush=True)
            if elapsed >= seconds or demo.proc.poll() is not None:
                break
            # Pacing between samples (the next one is due at a fixed time), not a wait for a condition.
            time.sleep(max(0.0, min(args.interval * len(rows), seconds) - (time.monotonic() - started)))
    finally:
        if churn:
            churn.stopping.set()
            churn.join(timeout=5)
        if wrk and wrk.poll() is None:
            try:
                wrk.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(wrk.pid, signal.SIGTERM)
                wrk.wait(timeout=5)
        alive = demo.proc.poll() is None
        code = demo.stop()

    with open(args.out / "soak.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, args.out / "soak.png")
    wrk_text = (args.out / "wrk.txt").read_text()
    summary = re.search(r"Requests/sec:\s+([\d.]+)", wrk_text)
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", wrk_text)
    failures = verdict(rows, decreases, alive)
    if code != 0:
        failures.append(f"the demo exited {code} on SIGTERM")
    third = len(rows) // 3
    print(f"soak: wrk {summary.group(1) if summary else '?'} requests/s, latency avg {latency.group(1) if latency else '?'}"
          f" max {latency.group(3) if latency else '?'}; {churn.cycles} churn cycles")
    for name in ("rss_mib", "fds", "threads"):
        values = [r[name] for r in rows]
        print(f"soak: {name}: first {values[0]}, median of thirds "
              f"{' / '.join(f'{statistics.median(v[name] for v in part):g}' for part in (rows[:third], rows[third:2 * third], rows[2 * third:]) if part)}, "
              f"last {values[-1]}, max {max(values)}")
    print(f"soak: wrote {args.out / 'soak.csv'} and {args.out / 'soak.png'}")
    for failure in failures:
        print(f"soak: FAIL: {failure}", file=sys.stderr)
    print("soak: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark 8: scale (issue 16). Threads, descriptors, resident memory, idle CPU, start-up and
SIGTERM time of the agent with 10, 100, 1,000 and 10,000 idle taps; beside the same figures of an
earlier agent when $ZMQ_EXPORTER_BASELINE_BIN names one (the "before" of BENCHMARKS.md).

Each size runs as its own agent: started, timed until /-/ready answers 200 (every tap bound and
monitored), scraped twice, left idle for a window while its CPU seconds are read from
/proc/PID/stat, then stopped with SIGTERM and timed until it exits. A size needs about four
descriptors per tap (the tap's and its monitor's two mailboxes, and its listener): one that does
not fit under this machine's RLIMIT_NOFILE hard limit is skipped, and says so."""
import os
import resource
import signal
import subprocess
import time

from .agent import Agent, scrape
from .b4_scrape import _render_ms, many_taps_config
from .procs import BenchError
from .table import Row

MIB = 1024.0
DESCRIPTORS_PER_TAP = 4
SPARE_DESCRIPTORS = 200
# The agent before issue 16 started one thread per tap and took 25 s for 1,000 taps (start-up
# was quadratic); larger sizes are measured for the current agent only.
BASELINE_MAX = int(os.environ.get("ZMQ_EXPORTER_BASELINE_MAX", "1000"))


def _status(pid, key):
    for line in open(f"/proc/{pid}/status").read().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise BenchError(f"no {key} in /proc/{pid}/status")


def _cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5), here 11 and 12 after the command.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fits(count):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    needed = count * DESCRIPTORS_PER_TAP + SPARE_DESCRIPTORS
    return hard == resource.RLIM_INFINITY or needed <= hard, needed, hard


def measure(binary, count, idle_seconds, tag):
    """One agent with `count` idle taps: a dict of its figures."""
    started = time.monotonic()
    agent = Agent(binary, many_taps_config(count), f"scale-{tag}-{count}", ready_timeout=120)
    figures = {"start": time.monotonic() - started}
    try:
        figures["series"] = scrape(agent.port, timeout=60).series_count()
        figures["render"] = _render_ms(agent, scrapes=10)
        pid = agent.proc.pid
        figures["threads"] = _status(pid, "Threads")
        figures["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
        figures["rss"] = _status(pid, "VmRSS") / MIB
        before, at = _cpu_seconds(pid), time.monotonic()
        time.sleep(idle_seconds)
        figures["cpu"] = 100.0 * (_cpu_seconds(pid) - before) / (time.monotonic() - at)
        stopping = time.monotonic()
        agent.proc.popen.send_signal(signal.SIGTERM)
        try:
            code = agent.proc.popen.wait(timeout=30)
        except subprocess.TimeoutExpired as error:
            raise BenchError(f"agent with {count} taps did not stop within 30 s of SIGTERM") from error
        figures["stop"] = time.monotonic() - stopping
        if code != 0:
            raise BenchError(f"agent with {count} taps exited with {code} on SIGTERM: {agent.proc.stderr_tail()}")
    finally:
        agent.stop()
    return figures


FIGURES = [
    # key, name, unit, target for 1,000 taps (issue 16)
    ("threads", "threads", "threads", ("value<=", 16)),
    ("fds", "descriptors", "fds", None),
    ("rss", "resident memory", "MiB", ("value<=", 30)),
    ("cpu", "idle CPU", "% of a core", ("value<=", 0.5)),
    ("start", "start-up to /-/ready", "s", ("value<=", 1)),
    ("stop", "SIGTERM to exit", "s", ("value<=", 1)),
    ("series", "series in /metrics", "series", None),
    ("render", "render of /metrics (median of 10 scrapes)", "ms", None),
]


def run(ctx):
    sizes = ctx.size["scale_sizes"]
    baseline_bin = os.environ.get("ZMQ_EXPORTER_BASELINE_BIN")
    agents = [("before", baseline_bin)] if baseline_bin else []
    agents.append(("agent", ctx.agent_bin))
    rows = {}
    for count in sizes:
        for tag, _ in agents:
            for key, name, unit, target in FIGURES:
                label = f"{'earlier agent' if tag == 'before' else 'agent'}, {count:,} idle taps: {name}"
                baseline = rows.get(("before", count, key)) if tag == "agent" else None
                rows[(tag, count, key)] = Row("8", label, unit, baseline=baseline,
                                              target=target if count == 1000 and tag == "agent" else None,
                                              higher_is_better=False)
                rows[(tag, count, key)].zero_ok = key == "cpu"
    for (tag, count, key), row in rows.items():
        if tag == "before" and count > BASELINE_MAX:
            row.unavailable = f"the earlier agent is measured up to {BASELINE_MAX:,} taps (one thread per tap)"
    for count in sizes:
        fits, needed, hard = _fits(count)
        if not fits:
            for (tag, size, key), row in rows.items():
                if size == count:
                    row.unavailable = (f"needs about {needed:,} descriptors ({DESCRIPTORS_PER_TAP} per tap) and "
                                       f"RLIMIT_NOFILE's hard limit here is {hard:,}")
            continue
        idle = ctx.size["scale_idle_seconds"] if count == 1000 else ctx.size["scale_idle_short"]
        for repetition in range(ctx.size["scale_runs"]):
            for tag, binary in agents:
                if tag == "before" and count > BASELINE_MAX:
                    continue
                try:
                    figures = measure(binary, count, idle, tag)
                    ctx.log(f"scale {tag} {count}: " + ", ".join(f"{k} {v:.3g}" for k, v in figures.items()))
                except BenchError as error:
                    ctx.problem(f"scale, {tag}, {count} taps: {error}")
                    figures = {}
                for key, *_ in FIGURES:
                    rows[(tag, count, key)].add(figures.get(key))
    return list(rows.values())

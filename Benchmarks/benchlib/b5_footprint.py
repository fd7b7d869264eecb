"""Benchmark 5: footprint. Resident memory (VmRSS) after start-up, readiness and two scrapes, of the
agent running examples/demo.yml and with 1,000 idle taps, beside prometheus-node-exporter and the
Python exporter of benchmark 4."""
import os
import re
import shutil
import subprocess
import time

from .agent import Agent, AgentUnavailable, http_get, scrape
from .b4_scrape import many_taps_config, start_py_exporter
from .procs import BENCH_DIR, OUT_DIR, BenchError, Proc, free_port, wait_until
from .table import Row

DEMO = BENCH_DIR.parent / "examples" / "demo.yml"
MIB = 1024.0
PLACEHOLDER = re.compile(r"tcp://127\.0\.0\.1:(1555[0-6])\b")


def _settle(port):
    """Two scrapes, then a short pause so allocations made while serving them are counted."""
    for _ in range(2):
        scrape(port, timeout=30)
    time.sleep(0.5)


def _agent_rss(ctx, config_text, tag, config_path=None):
    with Agent(ctx.agent_bin, config_text, tag, ready_timeout=60, config_path=config_path) as agent:
        _settle(agent.port)
        return agent.rss_kib() / MIB


def demo_config():
    """examples/demo.yml with each of its demo endpoints (the default ports 15550-15556, which
    `zmq-exporter demo` moves) on a free port: the agent as the demo configures it, without the
    demo system's traffic, and no fixed port."""
    ports = {}
    return PLACEHOLDER.sub(lambda m: f"tcp://127.0.0.1:{ports.setdefault(m.group(1), free_port())}", DEMO.read_text())


def demo_config_file(agent_bin, tag="demo"):
    """demo_config() written to .build-bench/out/TAG/demo.yml with fresh CURVE keys beside it in
    demo-keys/ (its `reports` tap reads them by relative path), made by the agent's curve-keygen as
    the file's comment says; returns the path. Each call makes new keys (keygen never overwrites)."""
    if not agent_bin or not os.access(agent_bin, os.X_OK):
        raise AgentUnavailable(f"no executable agent at {agent_bin!r}")
    directory = OUT_DIR / tag
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "demo-keys").mkdir(parents=True, mode=0o700)
    for name in ("agent", "reporter"):
        done = subprocess.run([agent_bin, "curve-keygen", "--out", str(directory / "demo-keys" / f"{name}.key")],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise BenchError(f"curve-keygen failed: {done.stderr.strip()}")
    path = directory / "demo.yml"
    path.write_text(demo_config())
    return path


def _node_exporter_rss():
    binary = shutil.which("prometheus-node-exporter")
    if binary is None:
        raise BenchError("prometheus-node-exporter is not installed (scripts/ensure-deps.sh bench)")
    port = free_port()
    proc = Proc([binary, f"--web.listen-address=127.0.0.1:{port}"], "node-exporter")
    try:
        wait_until(lambda: http_get(f"http://127.0.0.1:{port}/metrics", 5)[0] == 200, 30, 0.05,
                   "node exporter's /metrics")
        _settle(port)
        return proc.rss_kib() / MIB
    finally:
        proc.stop()


def _py_rss(sockets):
    proc, port = start_py_exporter(sockets)
    try:
        _settle(port)
        return proc.rss_kib() / MIB
    finally:
        proc.stop()


def run(ctx):
    idle = ctx.size["idle_sockets"]
    sockets = ctx.size["scrape_sockets"]
    demo = Row("5", "agent RSS, examples/demo.yml", "MiB", target=("value<=", 15.0), higher_is_better=False)
    many = Row("5", f"agent RSS, {idle} idle taps", "MiB", higher_is_better=False)
    node = Row("5", "prometheus-node-exporter RSS (defaults)", "MiB", higher_is_better=False)
    py = Row("5", f"Python exporter RSS, {sockets} sockets", "MiB", higher_is_better=False)
    variants = [(many, lambda: _agent_rss(ctx, many_taps_config(idle), "idle")),
                (node, _node_exporter_rss), (py, lambda: _py_rss(sockets))]
    if DEMO.exists():
        variants.insert(0, (demo, lambda: _agent_rss(ctx, None, "demo", demo_config_file(ctx.agent_bin))))
    else:
        demo.unavailable = f"skipped: {DEMO.relative_to(BENCH_DIR.parent)} does not exist yet"
    for run_index in range(ctx.runs):
        ctx.log(f"benchmark 5: run {run_index + 1}/{ctx.runs}")
        for row, fn in variants:
            ctx.measure(row, fn)
    return [demo, many, node, py]

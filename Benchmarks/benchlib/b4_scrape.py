"""Benchmark 4: scrape. The agent with 228 idle PULL taps (about 10,000 series) against the seed's
stack, Python prometheus_client serving the same families and label sets (Benchmarks/py_exporter.py).
`wrk -t2 -c16 --latency` on /metrics of both, plain and with Accept-Encoding: gzip. The agent's own
render time is read from zmq_exporter_scrape_render_seconds over 30 sequential scrapes after each
wrk pair (a gauge holds one render's time, so a reading under wrk's load would be one sample of a
contended CPU)."""
import statistics
import sys

from . import wrk
from .agent import LISTENING, Agent, AgentUnavailable, http_get, scrape
from .procs import BENCH_DIR, BenchError, Proc
from .table import Row

RENDER = "zmq_exporter_scrape_render_seconds"


def many_taps_config(count, kind="PULL"):
    lines = ["sockets:"]
    for i in range(count):
        lines += [f"  - name: tap{i:04d}", "    role: tap", f"    type: {kind}",
                  '    bind: ["tcp://127.0.0.1:*"]']
    return "\n".join(lines) + "\n"


def start_py_exporter(sockets):
    proc = Proc([sys.executable, BENCH_DIR / "py_exporter.py", "--sockets", sockets], "py-exporter")
    try:
        line = proc.wait_line(lambda l: LISTENING.match(l) is not None, 60)
    except BenchError:
        proc.stop()
        raise
    return proc, int(LISTENING.match(line).group(1))


def render_reading(metrics):
    """(sum, count) of the render histogram, or (gauge value, None); None when it is not exported."""
    gauge = metrics.value(RENDER)
    if gauge is not None:
        return gauge, None
    total, count = metrics.value(RENDER + "_sum"), metrics.value(RENDER + "_count")
    if total is None or count is None:
        return None
    return total, count


def _gzip_served(port):
    status, body, headers = http_get(f"http://127.0.0.1:{port}/metrics", 10, {"Accept-Encoding": "gzip"})
    return status == 200 and headers.get("Content-Encoding", "").lower() == "gzip" and body[:2] == b"\x1f\x8b"


def run(ctx):
    s = ctx.size
    sockets, duration = s["scrape_sockets"], s["wrk_duration"]
    rows = {}
    for gz in (False, True):
        enc = "gzip" if gz else "plain"
        py_rps = Row("4", f"Python prometheus_client, {sockets} sockets, {enc}", "req/s", short="Python")
        ag_rps = Row("4", f"agent, {sockets} taps, {enc}", "req/s", baseline=py_rps, target=("ratio>=", 10))
        py_p99 = Row("4", f"Python p99 latency, {enc}", "ms", higher_is_better=False, short="Python")
        ag_p99 = Row("4", f"agent p99 latency, {enc}", "ms", baseline=py_p99, higher_is_better=False)
        rows[gz] = (py_rps, ag_rps, py_p99, ag_p99)
    render = Row("4", f"agent server-side render of {sockets} taps, sequential scrapes (median of 30)", "ms",
                 target=("value<=", 2.0), higher_is_better=False)
    ordered = [r for gz in (False, True) for r in rows[gz]] + [render]

    py_proc, py_port = start_py_exporter(sockets)
    agent = None
    try:
        py_series = scrape(py_port).series_count()
        for gz in (False, True):
            rows[gz][0].name = f"Python prometheus_client, {py_series:,} series, {'gzip' if gz else 'plain'}"
        try:
            agent = Agent(ctx.agent_bin, many_taps_config(sockets), "scrape", ready_timeout=60)
            ag_series = agent.metrics().series_count()
            for gz in (False, True):
                rows[gz][1].name = f"agent, {sockets} taps, {ag_series:,} series, {'gzip' if gz else 'plain'}"
            ctx.check(_gzip_served(agent.port), "scrape-gzip-agent: the agent answers gzip when asked")
        except AgentUnavailable as error:
            for r in (rows[False][1], rows[False][3], rows[True][1], rows[True][3], render):
                r.unavailable = f"agent: not available ({error})"
        except BenchError as error:
            ctx.problem(f"4: the agent did not start: {error}")
            for r in (rows[False][1], rows[False][3], rows[True][1], rows[True][3], render):
                r.unavailable = f"agent failed to start ({error})"
        ctx.check(_gzip_served(py_port), "scrape-gzip-python: prometheus_client answers gzip when asked")

        for run_index in range(ctx.runs):
            ctx.log(f"benchmark 4: run {run_index + 1}/{ctx.runs}")
            for gz in (False, True):
                py_rps, ag_rps, py_p99, ag_p99 = rows[gz]
                got = {}
                ctx.measure(py_rps, lambda: got.setdefault("py", wrk.run(
                    f"http://127.0.0.1:{py_port}/metrics", duration, gz))["rps"])
                py_p99.add(got["py"]["p99_ms"] if "py" in got else None)
                _note_timeouts(py_rps, got.get("py"))
                if agent is None:
                    continue
                ctx.measure(ag_rps, lambda: got.setdefault("agent", wrk.run(
                    f"http://127.0.0.1:{agent.port}/metrics", duration, gz))["rps"])
                ag_p99.add(got["agent"]["p99_ms"] if "agent" in got else None)
                _note_timeouts(ag_rps, got.get("agent"))
            if agent is not None:
                ctx.measure(render, lambda: _render_ms(agent))
    finally:
        py_proc.stop()
        if agent is not None:
            agent.stop()
    return ordered


def _note_timeouts(row, result):
    if result and result["timeouts"]:
        row.note(f"wrk counted {result['timeouts']} requests over its 10 s timeout in a run")


def _render_ms(agent, scrapes=30):
    """Median render time over `scrapes` sequential scrapes with nothing else running: the agent's
    gauge holds one render's time (a histogram gives one per scrape by its sum and count deltas)."""
    samples, before = [], render_reading(agent.metrics())
    for _ in range(scrapes):
        now = render_reading(agent.metrics())
        if now is None:
            raise BenchError(f"the agent does not export {RENDER}")
        if now[1] is None:
            samples.append(now[0])
        elif before is not None and now[1] > before[1]:
            samples.append((now[0] - before[0]) / (now[1] - before[1]))
        before = now
    if not samples:
        raise BenchError(f"{RENDER} did not change over {scrapes} scrapes")
    return statistics.median(samples) * 1000

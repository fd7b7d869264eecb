"""Benchmark 6: the zero-code preload library (issue 13). Each workload runs the same C program
without and with LD_PRELOAD in one repetition (Benchmarks/preload_cost.py's workloads, imported):
TCP PUSH->PULL 64 B and REQ/REP round trips (target >= 0.97 of the program without the library),
one thread inproc send+receive (ns per message, stated, no target: the worst case, no I/O to hide
anything). Then 10,000 connect/send/close cycles under the library with every event counted in
its stats file (ROUTER accepted, handshake_succeeded and disconnected, DEALER connected, all equal
to the cycles). Last, the agent scraping 100 processes x 20 sockets: stats files written in the
library's layout (benchlib/statsfiles.py) and held locked, the agent on them with --preload.dir,
its zmq_exporter_scrape_render_seconds over 30 sequential scrapes (target <= 5 ms)."""
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .agent import Agent
from .b4_scrape import _render_ms
from .procs import BENCH_DIR, BenchError, Proc, c_program, wait_until
from .statsfiles import StatsFiles
from .table import Row

REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO / "Tests" / "system"))
import preload_cost  # noqa: E402  (the workloads and their runner, not a copy)
import preload_stats  # noqa: E402  (the independent reader of the stats files)

ZMQ_ROUTER, ZMQ_DEALER = 6, 5


def library():
    return os.environ.get("ZMQ_EXPORTER_PRELOAD") or str(REPO / ".build" / "preload" / "libzmq_exporter_preload.so")


def _churn(lib, n, statsdir, ctx):
    """cycles/s of zb_preload_churn without and with the library; checks the with-library file."""
    plain = Proc([c_program("zb_preload_churn"), n], "churn-plain").result(timeout=600)
    shutil.rmtree(statsdir, ignore_errors=True)
    env = dict(os.environ, LD_PRELOAD=lib, ZMQ_EXPORTER_DIR=str(statsdir))
    proc = Proc([c_program("zb_preload_churn"), n, "hold"], "churn-preload", env=env)
    try:
        loaded = json.loads(proc.wait_line(lambda l: l.startswith("{"), 600))

        def counts():
            files = preload_stats.files(str(statsdir))
            f = preload_stats.read(files[0]) if len(files) == 1 else None
            routers = [s for s in f.used() if s.socket_type == ZMQ_ROUTER] if f else []
            dealers = [s for s in f.used() if s.socket_type == ZMQ_DEALER] if f else []
            if not routers or not dealers:
                return (None,) * 9
            r = routers[0]
            return (r.events["accepted"], r.events["handshake_succeeded"], r.events["disconnected"], r.connections,
                    sum(d.events["connected"] for d in dealers), sum(d.messages_sent for d in dealers),
                    r.messages_received, len(f.used()), f.dropped_events)
        try:
            wait_until(lambda: counts()[2] == n, 60, 0.05, f"{n} disconnected events in the churn's stats file")
        except BenchError as error:
            ctx.log(f"6: {error}")
        got = counts()
        accepted, handshakes, disconnected, open_now, connected, sent, received, slots, dropped = got
        ctx.check((accepted, handshakes, disconnected, open_now, connected, sent, received) == (n, n, n, 0, n, n, n),
                  f"preload-churn: file counts accepted {accepted}, handshake_succeeded {handshakes}, "
                  f"disconnected {disconnected}, {open_now} open, DEALER connected {connected}, "
                  f"sent {sent}, received {received} after {n} cycles ({slots} slots used, {dropped} events dropped)")
    finally:
        proc.stop()
    return plain["per_second"], loaded["per_second"]


def _scrape(ctx, processes, sockets, statsdir):
    shutil.rmtree(statsdir, ignore_errors=True)
    with StatsFiles(str(statsdir), processes, sockets) as files:
        back = preload_stats.read(files.paths[-1])
        ctx.check(len(back.live()) == sockets and back.pid == 100_000 + processes - 1,
                  f"preload-files: the generated files read back ({len(back.live())} live sockets, pid {back.pid})")
        with Agent(ctx.agent_bin, "sockets: []\n", "preload-scrape", ready_timeout=60,
                   extra_args=("--preload.dir", str(statsdir), "--preload.grace", "1h")) as agent:
            m = agent.metrics()
            up = m.value("zmq_app_process_up")
            apps = sum(1 for n, l, _ in m.samples if n == "zmq_socket_info" and l.get("role") == "app"
                       and l.get("socket") != "_other")
            ctx.check(up == processes and apps == processes * sockets,
                      f"preload-scrape: the agent exports {up:.0f} live processes and {apps} app sockets "
                      f"({processes} x {sockets} written; {m.series_count():,} series)")
            return _render_ms(agent), m.series_count()


def run(ctx):
    s = ctx.size
    lib = library()
    rows = []
    pairs = []
    for mode, _, key, label in preload_cost.WORKLOADS:
        n = s[f"preload_{mode}_n"]
        if key == "per_second":
            unit = "msg/s" if mode == "pushpull" else "round trips/s"
            base = Row("6", f"{label.split(',')[0]}, {n:,}, without the library", unit, short="without")
            with_ = Row("6", f"{label.split(',')[0]}, with the library", unit, baseline=base, target=("ratio>=", 0.97))
        else:
            base = Row("6", f"one thread inproc send+recv 64 B, {n:,}, without the library", "ns/msg",
                       higher_is_better=False, short="without")
            with_ = Row("6", "one thread inproc send+recv 64 B, with the library (cost stated, no target)",
                        "ns/msg", baseline=base, higher_is_better=False)
        rows += [base, with_]
        pairs.append((mode, n, key, base, with_))
    cycles = s["preload_churn_n"]
    churn_base = Row("6", f"{cycles:,} DEALER connect/send/close cycles to a ROUTER, without the library",
                     "cycles/s", short="without")
    churn = Row("6", "same cycles with the library, every event counted in its file", "cycles/s",
                baseline=churn_base)
    processes, sockets = s["preload_processes"], s["preload_sockets"]
    render = Row("6", f"agent render of {processes} processes x {sockets} sockets from stats files "
                      f"(median of 30 sequential scrapes)", "ms", target=("value<=", 5.0), higher_is_better=False)
    rows += [churn_base, churn, render]

    if not os.path.isfile(lib):
        for row in rows:
            row.unavailable = f"skipped: preload library not built ({lib}; run `make preload`)"
        return rows
    out = Path(tempfile.mkdtemp(prefix="bench-preload-"))
    try:
        binary = preload_cost.build(out)
        for run_index in range(ctx.runs):
            ctx.log(f"benchmark 6: run {run_index + 1}/{ctx.runs}")
            for mode, n, key, base, with_ in pairs:
                got = {}
                ctx.measure(base, lambda: got.setdefault("r", _pair(binary, mode, n, lib, out))["without"][key])
                with_.add(got["r"]["with"][key] if "r" in got else None)
            got = {}
            ctx.measure(churn_base, lambda: got.setdefault("r", _churn(lib, cycles, out / "churn", ctx))[0])
            churn.add(got["r"][1] if "r" in got else None)
        got = {}
        ctx.measure(render, lambda: got.setdefault("r", _scrape(ctx, processes, sockets, out / "scrape"))[0])
        if "r" in got:
            render.note(f"{got['r'][1]:,} series per scrape")
        inproc = next(p for p in pairs if p[0] == "inproc")
        if inproc[3].stats() and inproc[4].stats():
            inproc[4].note(f"{inproc[4].stats()[0] - inproc[3].stats()[0]:+.0f} ns per send+receive (medians)")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return rows


def _pair(binary, mode, n, lib, out):
    try:
        return preload_cost.measure(binary, mode, n, lib, out / "stats")
    except Exception as error:  # CalledProcessError, TimeoutExpired, bad JSON
        raise BenchError(f"zb_preload_cost {mode} {n}: {error}") from error

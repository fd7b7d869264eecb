"""Benchmark 3: monitor overhead and connection churn.

Overhead: the same C PUSH source sends N x 64 B to a C PULL that owns no monitor (baseline) and to
the agent's PULL tap, which the agent owns, monitors and counts. Both figures are N divided by the
time from the source's first send to the moment the receiver holds all N: the C PULL stamps its
last receipt; for the agent the harness polls its counter every 5 ms once the source is done, so
the agent's figure carries up to ~6 ms of polling delay (a bias against the agent of ~0.5 %).

Churn: the same C program makes 10,000 full connections (connect, ZMTP handshake, close) to the
agent's bound ROUTER tap and to a pyzmq ROUTER monitored the seed's way. Figure: ACCEPTED plus
DISCONNECTED events per second, from the first connect until every event was counted."""
import sys

from .agent import Agent
from .procs import BENCH_DIR, BenchError, Proc, free_port, run_c, start_c, wait_until
from .table import Row

EP = "tcp://127.0.0.1:{}"


def _c_pull(n):
    port = free_port()
    sink, _ = start_c("zb_pull", [EP.format(port), "bind", n, 64, 0, 60000], "sink")
    try:
        sent = run_c("zb_push", [EP.format(port), "connect", n, 64], timeout=300, tag="source")
        got = sink.result(timeout=300)
    finally:
        sink.stop()
    return n / ((got["t_last_ns"] - sent["t_first_ns"]) / 1e9)


def tap_config(name, kind, port):
    return f"""sockets:
  - name: {name}
    role: tap
    type: {kind}
    bind: ["tcp://127.0.0.1:{port}"]
"""


def _agent_pull(ctx, n):
    port = free_port()
    with Agent(ctx.agent_bin, tap_config("sink", "PULL", port), "monitor-pull") as agent:
        sent = run_c("zb_push", [EP.format(port), "connect", n, 64], timeout=300, tag="source")
        try:
            _, t_end = wait_until(
                lambda: agent.counter("zmq_socket_messages_received_total", socket="sink") >= n,
                60, 0.005, f"the agent's tap to count {n} messages")
        finally:
            got = agent.counter("zmq_socket_messages_received_total", socket="sink")
            ctx.check(got == n, f"monitor-pull: agent counted {got:.0f} of {n} messages sent")
    return n / ((t_end - sent["t_first_ns"]) / 1e9)


def _py_churn(n):
    script = BENCH_DIR / "py_monitor_churn.py"
    monitor = Proc([sys.executable, script, "--expect", n, "--timeout", 120], "py-monitor")
    try:
        endpoint = monitor.wait_line(lambda l: l.startswith("bound "), 15).split(" ", 1)[1]
        churn = run_c("zb_churn", [endpoint, n], timeout=300, tag="churn")
        got = monitor.result(timeout=150)
    finally:
        monitor.stop()
    return (got["accepted"] + got["disconnected"]) / ((got["t_last_ns"] - churn["t_first_ns"]) / 1e9)


def _agent_churn(ctx, n):
    port = free_port()
    with Agent(ctx.agent_bin, tap_config("churn", "ROUTER", port), "churn") as agent:
        churn = run_c("zb_churn", [EP.format(port), n], timeout=300, tag="churn")

        def state():
            m = agent.metrics()
            return (m.value("zmq_socket_events_total", socket="churn", event="accepted") or 0,
                    m.value("zmq_socket_events_total", socket="churn", event="disconnected") or 0,
                    m.value("zmq_socket_connections", socket="churn"))
        try:
            _, t_end = wait_until(lambda: state() == (n, n, 0), 60, 0.02,
                                  f"accepted == disconnected == {n} and 0 connections")
        finally:
            accepted, disconnected, open_now = state()
            ctx.check((accepted, disconnected, open_now) == (n, n, 0),
                      f"churn: agent saw accepted {accepted:.0f}, disconnected {disconnected:.0f}, "
                      f"{open_now} open, after {n} cycles")
    return 2 * n / ((t_end - churn["t_first_ns"]) / 1e9)


def run(ctx):
    n, cycles = ctx.size["monitor_n"], ctx.size["churn_n"]
    base = Row("3", f"C PULL unmonitored, {n:,} x 64 B", "msg/s", short="C PULL")
    agent = Row("3", "agent PULL tap (monitored, counted)", "msg/s", baseline=base, target=("ratio>=", 0.98))
    py_churn = Row("3", f"pyzmq ROUTER + get_monitor_socket, {cycles:,} connect/close", "events/s", short="pyzmq")
    agent_churn = Row("3", "agent ROUTER tap, same churn", "events/s", baseline=py_churn)
    variants = [(base, lambda: _c_pull(n)), (agent, lambda: _agent_pull(ctx, n)),
                (py_churn, lambda: _py_churn(cycles)), (agent_churn, lambda: _agent_churn(ctx, cycles))]
    for run_index in range(ctx.runs):
        ctx.log(f"benchmark 3: run {run_index + 1}/{ctx.runs}")
        for row, fn in variants:
            ctx.measure(row, fn)
    return [base, agent, py_churn, agent_churn]

"""Benchmark 1: proxy throughput. PUSH -> proxy (PULL/PUSH) -> PULL over tcp on 127.0.0.1, the same
C source and sink for every variant: direct PUSH -> PULL, libzmq's zmq_proxy, the agent. Then
ROUTER/DEALER with a REQ/REP load: zmq_proxy versus the agent with request-duration tracking on."""
from .agent import Agent
from .procs import BenchError, free_port, run_c, start_c, wait_until
from .table import Row

EP = "tcp://127.0.0.1:{}"


def _sink_and_source(front_port, back_port, n, size):
    """Starts the sink on back_port (connect), runs the source against front_port, returns the
    sink's result. Both already verify the count and the sizes."""
    sink, _ = start_c("zb_pull", [EP.format(back_port), "connect", n, size, 200, 60000], "sink")
    try:
        run_c("zb_push", [EP.format(front_port), "connect", n, size], timeout=300, tag="source")
        return sink.result(timeout=300)
    finally:
        sink.stop()


def _direct(n, size):
    port = free_port()
    sink, _ = start_c("zb_pull", [EP.format(port), "bind", n, size, 200, 60000], "sink")
    try:
        run_c("zb_push", [EP.format(port), "connect", n, size], timeout=300, tag="source")
        return sink.result(timeout=300)["msgs_per_sec"]
    finally:
        sink.stop()


def _zmq_proxy(n, size):
    front, back = free_port(), free_port()
    proxy, _ = start_c("zb_proxy", ["pushpull", EP.format(front), EP.format(back)], "zmq_proxy")
    try:
        return _sink_and_source(front, back, n, size)["msgs_per_sec"]
    finally:
        proxy.stop()


def pushpull_config(front, back):
    return f"""sockets:
  - name: bench
    role: proxy
    frontend: {{type: PULL, bind: ["tcp://127.0.0.1:{front}"]}}
    backend: {{type: PUSH, bind: ["tcp://127.0.0.1:{back}"], sndhwm: 1000}}
"""


def _agent(ctx, n, size, tag):
    front, back = free_port(), free_port()
    with Agent(ctx.agent_bin, pushpull_config(front, back), tag) as agent:
        result = _sink_and_source(front, back, n, size)
        # The agent counts every message and byte on both sides; wait for its counters to catch up.
        want = {("zmq_socket_messages_received_total", "bench.frontend"): n,
                ("zmq_socket_received_bytes_total", "bench.frontend"): n * size,
                ("zmq_socket_messages_sent_total", "bench.backend"): n,
                ("zmq_socket_sent_bytes_total", "bench.backend"): n * size}

        def counted():
            metrics = agent.metrics()
            got = {key: metrics.value(key[0], socket=key[1]) for key in want}
            return got if got == want else None
        try:
            wait_until(counted, 10, 0.1, "the agent's proxy counters to equal what was sent")
            ctx.check(True, f"{tag}: agent counted {n} messages / {n * size} bytes on both sides")
        except BenchError:
            metrics = agent.metrics()
            got = {f"{k[0]}{{socket={k[1]}}}": metrics.value(k[0], socket=k[1]) for k in want}
            ctx.check(False, f"{tag}: agent counters {got} != sent {n} messages of {size} bytes")
        return result["msgs_per_sec"]


def routerdealer_config(front, back):
    return f"""sockets:
  - name: rr
    role: proxy
    frontend: {{type: ROUTER, bind: ["tcp://127.0.0.1:{front}"]}}
    backend: {{type: DEALER, bind: ["tcp://127.0.0.1:{back}"]}}
    request_timeout: 10s
"""


def _reqrep(ctx, front, back):
    s = ctx.size
    workers, _ = start_c("zb_rep", [EP.format(back), s["reqrep_workers"]], "rep")
    try:
        result = run_c("zb_req", [EP.format(front), s["reqrep_n"], 64, s["reqrep_clients"]], timeout=300,
                       tag="req")
        return result["msgs_per_sec"]
    finally:
        workers.stop()


def _reqrep_zmq_proxy(ctx):
    front, back = free_port(), free_port()
    proxy, _ = start_c("zb_proxy", ["routerdealer", EP.format(front), EP.format(back)], "zmq_proxy_rr")
    try:
        return _reqrep(ctx, front, back)
    finally:
        proxy.stop()


def _reqrep_agent(ctx):
    front, back = free_port(), free_port()
    n = ctx.size["reqrep_n"]
    with Agent(ctx.agent_bin, routerdealer_config(front, back), "proxy-rr") as agent:
        rate = _reqrep(ctx, front, back)

        def tracked():
            count = agent.metrics().value("zmq_proxy_request_duration_seconds_count", socket="rr")
            return count if count == n else None
        try:
            wait_until(tracked, 10, 0.1, "request durations")
            ctx.check(True, f"proxy-rr: agent timed all {n} requests")
        except BenchError:
            got = agent.metrics().value("zmq_proxy_request_duration_seconds_count", socket="rr")
            ctx.check(False, f"proxy-rr: zmq_proxy_request_duration_seconds_count is {got}, sent {n} requests")
        return rate


def run(ctx):
    s = ctx.size
    rows = []
    variants = []
    for size, n in ((64, s["pushpull_n"]), (1024, s["pushpull_kib_n"])):
        label = "64 B" if size == 64 else "1 KiB"
        direct = Row("1", f"PUSH->PULL direct, {n:,} x {label}", "msg/s", short="direct")
        zproxy = Row("1", f"zmq_proxy PULL/PUSH, {label}", "msg/s", baseline=direct,
                     short="zmq_proxy")
        agent = Row("1", f"agent proxy PULL/PUSH, {label}", "msg/s", baseline=zproxy,
                    target=("ratio>=", 0.95))
        rows += [direct, zproxy, agent]
        variants += [(direct, lambda n=n, size=size: _direct(n, size)),
                     (zproxy, lambda n=n, size=size: _zmq_proxy(n, size)),
                     (agent, lambda n=n, size=size: _agent(ctx, n, size, f"proxy-{size}"))]
    rr_base = Row("1", f"zmq_proxy ROUTER/DEALER, REQ/REP {s['reqrep_n']:,} x 64 B, "
                       f"{s['reqrep_clients']} REQ, {s['reqrep_workers']} REP", "req/s", short="zmq_proxy")
    rr_agent = Row("1", "agent proxy ROUTER/DEALER, request tracking on", "req/s", baseline=rr_base,
                   target=("ratio>=", 0.9))
    rows += [rr_base, rr_agent]
    variants += [(rr_base, lambda: _reqrep_zmq_proxy(ctx)), (rr_agent, lambda: _reqrep_agent(ctx))]
    # Variants alternate inside each repetition, so each ratio compares neighbours in time.
    for run_index in range(ctx.runs):
        ctx.log(f"benchmark 1: run {run_index + 1}/{ctx.runs}")
        for row, fn in variants:
            ctx.measure(row, fn)
    return rows

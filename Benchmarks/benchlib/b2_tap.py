"""Benchmark 2: tap ingest. A C publisher sends small JSON events as fast as it can for a fixed
time to a C SUB that only receives (baseline), to the agent's SUB tap counting, and to the agent's
tap decoding JSON and extracting a label. The publisher sets ZMQ_XPUB_NODROP, so it goes exactly
as fast as the subscriber takes messages and loses none (a dropping PUB on 2 cores mostly measures
how the scheduler splits CPU between publisher and subscriber). Figure: messages received divided
by the time from the first send to the last receipt (C SUB: its own stamp; agent: the first 5 ms
poll of its counter that shows them all, a bias of a few ms against the agent)."""
from .agent import Agent
from .procs import Proc, c_program, start_c, wait_until
from .table import Row


def tap_config(endpoint, decode):
    extra = ""
    if decode:
        extra = """    decode: json
    labels: {event: event}
    max_label_values: 100
    timestamp: {field: time, unit: ms}
"""
    return f"""sockets:
  - name: feed
    role: tap
    type: SUB
    connect: ["{endpoint}"]
    subscribe: [""]
{extra}"""


def _publisher(seconds):
    pub, line = start_c("zb_pub", ["tcp://127.0.0.1:*", seconds], "pub", ready_prefix="bound ")
    return pub, line.split(" ", 1)[1]


def _c_sub(ctx, seconds):
    pub, endpoint = _publisher(seconds)
    try:
        sub = Proc([c_program("zb_sub"), endpoint, 500], "sub")
        sent = pub.result(timeout=seconds + 30)
        got = sub.result(timeout=30)
    finally:
        pub.stop()
    ctx.check(got["received"] == sent["sent"], f"tap-c-sub: received {got['received']} of {sent['sent']} sent")
    return got["received"] / ((got["t_last_ns"] - sent["t_first_ns"]) / 1e9)


def _agent(ctx, seconds, decode):
    pub, endpoint = _publisher(seconds)
    tag = "tap-json" if decode else "tap-plain"
    try:
        with Agent(ctx.agent_bin, tap_config(endpoint, decode), tag) as agent:
            sent = pub.result(timeout=seconds + 30)
            n = sent["sent"]
            try:
                _, t_end = wait_until(lambda: agent.counter("zmq_socket_messages_received_total", socket="feed") >= n,
                                      30, 0.005, f"the agent's tap to count {n} messages")
            finally:
                received = agent.counter("zmq_socket_messages_received_total", socket="feed")
                ctx.check(received == n, f"{tag}: agent counted {received:.0f} of {n} sent")
            if decode:
                metrics = agent.metrics()
                labelled = metrics.value("zmq_tap_messages_total", socket="feed") or 0
                errors = metrics.value("zmq_tap_decode_errors_total", socket="feed") or 0
                kinds = {l.get("event") for n_, l, _ in metrics.samples
                         if n_ == "zmq_tap_messages_total" and l.get("socket") == "feed"}
                ctx.check(labelled == n and errors == 0 and len(kinds) == 10,
                          f"{tag}-labels: zmq_tap_messages_total {labelled:.0f} over {len(kinds)} event values, "
                          f"{errors:.0f} decode errors, for {n} sent (want equal, 10, 0)")
    finally:
        pub.stop()
    return n / ((t_end - sent["t_first_ns"]) / 1e9)


def run(ctx):
    seconds = ctx.size["tap_seconds"]
    base = Row("2", f"C SUB receive only, PUB (no-drop) sending {seconds:g} s", "msg/s", short="C SUB")
    plain = Row("2", "agent SUB tap, counting only", "msg/s", baseline=base, target=("ratio>=", 0.95))
    decoded = Row("2", "agent SUB tap, JSON decode + label", "msg/s", baseline=base, target=("ratio>=", 0.5))
    variants = [(base, lambda: _c_sub(ctx, seconds)), (plain, lambda: _agent(ctx, seconds, False)),
                (decoded, lambda: _agent(ctx, seconds, True))]
    for run_index in range(ctx.runs):
        ctx.log(f"benchmark 2: run {run_index + 1}/{ctx.runs}")
        for row, fn in variants:
            ctx.measure(row, fn)
    return [base, plain, decoded]

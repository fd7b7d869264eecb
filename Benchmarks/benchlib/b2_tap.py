"""Benchmark 2: tap ingest. A C publisher floods small JSON events for a fixed time; the subscriber
is a C SUB that only receives (baseline), the agent's SUB tap counting, and the agent's tap decoding
JSON and extracting a label. The figure is messages received divided by the publishing time; the
same formula and the same HWMs for every subscriber (whatever it cannot take, the PUB drops)."""
from .agent import Agent, wait_settled
from .procs import BenchError, Proc, c_program, run_c, start_c
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


def _c_sub(seconds):
    pub, endpoint = _publisher(seconds)
    try:
        sub = Proc([c_program("zb_sub"), endpoint, 500], "sub")
        sent = pub.result(timeout=seconds + 30)
        got = sub.result(timeout=30)
    finally:
        pub.stop()
    return got["received"] / sent["seconds"]


def _agent(ctx, seconds, decode):
    pub, endpoint = _publisher(seconds)
    tag = "tap-json" if decode else "tap-plain"
    try:
        with Agent(ctx.agent_bin, tap_config(endpoint, decode), tag) as agent:
            sent = pub.result(timeout=seconds + 30)
            received = wait_settled(lambda: agent.counter("zmq_socket_messages_received_total", socket="feed"),
                                    timeout=30)
            if received <= 0:
                raise BenchError(f"{tag}: the agent received nothing ({sent['sent']} published)")
            if decode:
                metrics = agent.metrics()
                labelled = metrics.value("zmq_tap_messages_total", socket="feed") or 0
                errors = metrics.value("zmq_tap_decode_errors_total", socket="feed") or 0
                kinds = {l.get("event") for n, l, _ in metrics.samples
                         if n == "zmq_tap_messages_total" and l.get("socket") == "feed"}
                ctx.check(labelled == received and errors == 0 and len(kinds) == 10,
                          f"{tag}: zmq_tap_messages_total {labelled:.0f} over {len(kinds)} event values, "
                          f"{errors:.0f} decode errors, for {received:.0f} received (want equal, 10, 0)")
    finally:
        pub.stop()
    return received / sent["seconds"]


def run(ctx):
    seconds = ctx.size["tap_seconds"]
    base = Row("2", f"C SUB receive only, PUB flooding {seconds:g} s", "msg/s", short="C SUB")
    plain = Row("2", "agent SUB tap, counting only", "msg/s", baseline=base, target=("ratio>=", 0.95))
    decoded = Row("2", "agent SUB tap, JSON decode + label", "msg/s", baseline=base, target=("ratio>=", 0.5))
    variants = [(base, lambda: _c_sub(seconds)), (plain, lambda: _agent(ctx, seconds, False)),
                (decoded, lambda: _agent(ctx, seconds, True))]
    for run_index in range(ctx.runs):
        ctx.log(f"benchmark 2: run {run_index + 1}/{ctx.runs}")
        for row, fn in variants:
            ctx.measure(row, fn)
    return [base, plain, decoded]

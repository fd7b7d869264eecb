#!/usr/bin/env python3
"""The seed's stack for benchmark 4 and 5: Python prometheus_client serving the same metric families
and label sets zmq-exporter serves for N idle tap sockets (44 series per socket, so 228 sockets
give about 10,000 series).

usage: py_exporter.py --sockets N [--listen 127.0.0.1:0]
Prints `listening on http://HOST:PORT` (the agent's own start-up line) and serves /metrics until
SIGTERM. prometheus_client answers gzip when the request asks for it, as the agent does.
"""
import argparse
import signal
import sys
import threading

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Info,
                               disable_created_metrics, start_http_server)

# Families, labels and buckets are the ones zmq-exporter serves for an idle bound PULL tap (44
# series per socket): every monitor event kind, every send-failure reason, one histogram.
EVENTS = ("connected", "connect_delayed", "connect_retried", "listening", "bind_failed", "accepted",
          "accept_failed", "closed", "close_failed", "disconnected", "monitor_stopped",
          "handshake_failed_no_detail", "handshake_succeeded", "handshake_failed_protocol",
          "handshake_failed_auth")
SEND_FAILURES = ("would_block", "unroutable", "error")
DURATION_BUCKETS = (0.001, 0.01, 0.1, 1.0, 10.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0)


def build_registry(sockets):
    r = CollectorRegistry()
    info = Info("zmq_socket", "A configured ZeroMQ socket, its role and type.", ["socket"], registry=r)
    endpoint = Info("zmq_socket_endpoint", "An endpoint a socket binds or connects to.", ["socket"], registry=r)
    received = Counter("zmq_socket_messages_received", "Messages received.", ["socket"], registry=r)
    sent = Counter("zmq_socket_messages_sent", "Messages sent.", ["socket"], registry=r)
    received_bytes = Counter("zmq_socket_received_bytes", "Bytes received.", ["socket"], registry=r)
    sent_bytes = Counter("zmq_socket_sent_bytes", "Bytes sent.", ["socket"], registry=r)
    events = Counter("zmq_socket_events", "Socket monitor events by kind.", ["socket", "event"], registry=r)
    send_failures = Counter("zmq_socket_send_failures", "Sends that failed or had to wait.", ["socket", "reason"],
                            registry=r)
    handshakes = Counter("zmq_socket_handshake_failures", "ZMTP handshakes that failed.", ["socket", "reason"],
                         registry=r)
    connections = Gauge("zmq_socket_connections", "Peer connections open now.", ["socket"], registry=r)
    durations = Histogram("zmq_socket_connection_duration_seconds", "Lifetime of each closed connection.",
                          ["socket"], buckets=DURATION_BUCKETS, registry=r)
    tap_messages = Counter("zmq_tap_messages", "Messages seen by a tap.", ["socket"], registry=r)
    decode_errors = Counter("zmq_tap_decode_errors", "Tap messages that were not valid JSON.", ["socket"], registry=r)
    dropped = Counter("zmq_tap_label_values_dropped", "Tap messages counted as __overflow__.", ["socket"], registry=r)
    last_message = Gauge("zmq_tap_last_message_timestamp_seconds", "Unix time of the last message.", ["socket"],
                         registry=r)
    for i in range(sockets):
        name = f"tap{i:04d}"
        info.labels(name).info({"role": "tap", "type": "PULL"})
        endpoint.labels(name).info({"endpoint": f"tcp://127.0.0.1:{20000 + i}", "mode": "bind"})
        for family in (received, sent, received_bytes, sent_bytes, tap_messages, decode_errors, dropped):
            family.labels(name)
        for event in EVENTS:
            events.labels(name, event).inc(1 if event == "listening" else 0)
        for reason in SEND_FAILURES:
            send_failures.labels(name, reason)
        handshakes.labels(name, "closed_before_handshake")
        connections.labels(name).set(0)
        durations.labels(name)
        last_message.labels(name).set(0)
    return r


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=228)
    parser.add_argument("--listen", default="127.0.0.1:0")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    # The agent serves no *_created series; without this the Python side would serve 45 % more.
    disable_created_metrics()
    registry = build_registry(args.sockets)
    server, _ = start_http_server(int(port), addr=host, registry=registry)
    print(f"listening on http://{host}:{server.server_port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

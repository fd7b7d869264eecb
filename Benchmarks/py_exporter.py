#!/usr/bin/env python3
"""The seed's stack for benchmark 4 and 5: Python prometheus_client serving the same metric families
and label sets zmq-exporter serves for N idle tap sockets (about 20 series per socket, so 500
sockets give about 10,000 series).

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

# Labels and buckets follow the agent's catalog (see README of the agent): one series per family
# per socket, the monitor events a bound idle socket has seen, one histogram of connection lengths.
EVENTS = ("listening", "accepted", "disconnected")
DURATION_BUCKETS = (0.1, 1.0, 10.0, 60.0, 600.0, 3600.0)


def build_registry(sockets):
    registry = CollectorRegistry()
    info = Info("zmq_socket", "Static facts about a configured socket.", ["socket"], registry=registry)
    endpoint = Info("zmq_socket_endpoint", "One series per configured endpoint.",
                    ["socket", "endpoint", "direction"], registry=registry)
    received = Counter("zmq_socket_messages_received", "Messages received.", ["socket"], registry=registry)
    sent = Counter("zmq_socket_messages_sent", "Messages sent.", ["socket"], registry=registry)
    received_bytes = Counter("zmq_socket_received_bytes", "Bytes received.", ["socket"], registry=registry)
    sent_bytes = Counter("zmq_socket_sent_bytes", "Bytes sent.", ["socket"], registry=registry)
    events = Counter("zmq_socket_events", "Monitor events.", ["socket", "event"], registry=registry)
    connections = Gauge("zmq_socket_connections", "Open connections.", ["socket"], registry=registry)
    decode_errors = Counter("zmq_tap_decode_errors", "Messages the tap could not decode.", ["socket"],
                            registry=registry)
    durations = Histogram("zmq_socket_connection_duration_seconds", "How long connections lasted.",
                          ["socket"], buckets=DURATION_BUCKETS, registry=registry)
    for i in range(sockets):
        name = f"tap{i:04d}"
        port = 20000 + i
        info.labels(name).info({"type": "PULL", "role": "tap"})
        endpoint.labels(name, f"tcp://127.0.0.1:{port}", "bind").info({})
        received.labels(name).inc(i)
        sent.labels(name)
        received_bytes.labels(name).inc(64 * i)
        sent_bytes.labels(name)
        for event in EVENTS:
            events.labels(name, event).inc(1 if event == "listening" else 0)
        connections.labels(name).set(0)
        decode_errors.labels(name)
        durations.labels(name)
    return registry


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500)
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

#!/usr/bin/env python3
"""The seed's monitoring approach under connection churn (benchmark 3): a ROUTER bound on
127.0.0.1, its monitor read with `socket.get_monitor_socket()` and
`zmq.utils.monitor.recv_monitor_message`, counting ACCEPTED and DISCONNECTED events.

usage: py_monitor_churn.py --expect N [--timeout S]
Prints `bound tcp://127.0.0.1:PORT`, then, once N of each event arrived (or the timeout passed),
one JSON line {"accepted":A,"disconnected":D,"events":E,"t_last_ns":T} (CLOCK_MONOTONIC).
Exits 1 when fewer than N of either event arrived.
"""
import argparse
import json
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    monitor = router.get_monitor_socket()
    router.bind("tcp://127.0.0.1:*")
    print(f"bound {router.getsockopt_string(zmq.LAST_ENDPOINT)}", flush=True)
    accepted = disconnected = events = 0
    t_last = 0
    deadline = time.monotonic() + args.timeout
    while accepted < args.expect or disconnected < args.expect:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0 or not monitor.poll(left_ms):
            break
        event = recv_monitor_message(monitor)
        events += 1
        if event["event"] == zmq.EVENT_ACCEPTED:
            accepted += 1
        elif event["event"] == zmq.EVENT_DISCONNECTED:
            disconnected += 1
        t_last = time.monotonic_ns()
    print(json.dumps({"accepted": accepted, "disconnected": disconnected, "events": events,
                      "t_last_ns": t_last}), flush=True)
    router.disable_monitor()
    monitor.close(0)
    router.close(0)
    ctx.term()
    return 0 if accepted >= args.expect and disconnected >= args.expect else 1


if __name__ == "__main__":
    sys.exit(main())

"""/probe?module=NAME&target=ENDPOINT, as blackbox_exporter's: real pyzmq peers, the real binary.

An echoing REP is a success; a REP that never answers is a failure within the module's timeout
(or Prometheus's scrape timeout minus 0.5 s); a closed port fails at once; a bad module or a
missing target is 400.
"""
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import zmq
from prometheus_client.parser import text_string_to_metric_families

from test_agent import FIXTURES, exporter, wait_until, zmq_context


def probe(exp, module=None, target=None, headers=None):
    params = {k: v for k, v in (("module", module), ("target", target)) if v is not None}
    url = f"{exp.url}/probe?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers=headers or {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.monotonic() - started


def samples(text):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text, name, **labels):
    return samples(text).get((name, tuple(sorted(labels.items()))))


class Echo(threading.Thread):
    """A REP (or ROUTER-served) peer that echoes until stopped."""
    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.stopping = sock, threading.Event()

    def run(self):
        while not self.stopping.is_set():
            if self.sock.poll(20):
                self.sock.send_multipart(self.sock.recv_multipart())

    def stop(self):
        self.stopping.set()
        self.join(5)


@pytest.fixture
def agent(tmp_path):
    with exporter(FIXTURES / "probe-modules.yml", tmp_path) as exp:
        wait_until("/-/ready 200", lambda: exp.request("/-/ready")[0] == 200)
        yield exp


def test_an_echoing_rep_is_a_success_with_its_monitor_events(agent):
    with zmq_context() as ctx:
        rep = ctx.socket(zmq.REP)
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        echo = Echo(rep)
        echo.start()
        try:
            for module in ("echo", "echo_dealer"):
                status, body, _ = probe(agent, module, f"tcp://127.0.0.1:{port}")
                assert status == 200, body
                assert value(body, "zmq_probe_success", socket=module) == 1, body
                assert value(body, "zmq_probe_target_result", socket=module, result="success") == 1
                assert value(body, "zmq_probe_target_events", socket=module, event="handshake_succeeded") == 1
                assert 0 < value(body, "zmq_probe_target_connect_seconds", socket=module) \
                    <= value(body, "zmq_probe_target_duration_seconds", socket=module) < 5
                # Only this probe's series: nothing of the agent's own /metrics.
                assert "zmq_exporter_build_info" not in body and "process_" not in body
        finally:
            echo.stop()


def test_a_silent_rep_fails_within_the_timeout(agent):
    with zmq_context() as ctx:
        rep = ctx.socket(zmq.REP)
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        target = f"tcp://127.0.0.1:{port}"
        status, body, took = probe(agent, "quick", target)
        assert status == 200 and value(body, "zmq_probe_success", socket="quick") == 0, body
        assert value(body, "zmq_probe_target_result", socket="quick", result="timeout") == 1, body
        assert 0.6 < took < 3, took
        # Prometheus's scrape timeout, less 0.5 s, cuts the module's 5 s timeout.
        status, body, took = probe(agent, "echo", target, {"X-Prometheus-Scrape-Timeout-Seconds": "1.5"})
        assert value(body, "zmq_probe_success", socket="echo") == 0, body
        assert 0.9 < took < 3, took


def test_a_closed_port_fails_at_once(agent):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    holder.close()  # bound, never listening: connections are refused
    status, body, took = probe(agent, "echo", f"tcp://127.0.0.1:{port}")
    assert status == 200 and value(body, "zmq_probe_success", socket="echo") == 0, body
    assert value(body, "zmq_probe_target_result", socket="echo", result="connect_failed") == 1, body
    assert took < 2.5, f"a refused connection took {took:.2f}s (the module's timeout is 5s)"


@pytest.mark.parametrize("module, target, status, says", [
    ("nope", "tcp://127.0.0.1:1", 400, "Unknown module 'nope'"),
    (None, "tcp://127.0.0.1:1", 400, "'module' parameter is missing"),
    ("echo", None, 400, "'target' parameter is missing"),
    ("echo", "inproc://agent", 400, "Invalid target"),
    ("echo", "tcp://127.0.0.1:*", 400, "Invalid target"),
])
def test_bad_requests_get_400_with_the_reason(agent, module, target, status, says):
    got, body, _ = probe(agent, module, target)
    assert got == status and says in body, (got, body)

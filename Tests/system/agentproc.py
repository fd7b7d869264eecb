"""Helpers shared by the fault and HTTP-attack tests: a running agent's descriptors and threads
read from /proc, counters that must never go down between scrapes, and raw HTTP over a socket.

Starting and stopping the agent is test_agent.py's `exporter` (imported, not copied)."""

import os
import resource
import socket
import ssl
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from test_agent import exporter, render, wait_until  # noqa: F401  (re-exported for the tests)


def raise_fd_limit(wanted: int) -> None:
    """Raises this process's RLIMIT_NOFILE soft limit (children, such as the agent, inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is below the {wanted} descriptors this test needs")


# --- descriptors and threads -----------------------------------------------------------------

# The HTTP worker pool starts threads on demand, up to --web.max-requests (default 40), and keeps them.
HTTP_WORKER_MAX = 40


@dataclass(frozen=True)
class Resources:
    fds: int
    threads: int
    http_workers: int

    @staticmethod
    def of(pid: int) -> "Resources":
        names = []
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                names.append(Path(f"/proc/{pid}/task/{task}/comm").read_text().strip())
            except OSError:
                pass  # the thread just exited
        return Resources(len(os.listdir(f"/proc/{pid}/fd")), len(names), names.count("http-worker"))

    def within(self, baseline: "Resources") -> bool:
        """No more descriptors, and no more threads apart from pool workers (bounded) than `baseline`."""
        return (self.fds <= baseline.fds and self.http_workers <= HTTP_WORKER_MAX
                and self.threads - self.http_workers <= baseline.threads - baseline.http_workers)


def fd_targets(pid: int) -> list[str]:
    """What each open descriptor points at (for a failure message)."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return sorted(targets)


def wait_settled(pid: int, baseline: Resources, timeout: float = 15.0) -> Resources:
    """Waits until the agent holds no more descriptors and threads than `baseline` (HTTP workers
    may have grown up to their bound); fails with the count and descriptor list if never (a leak)."""
    deadline = time.monotonic() + timeout
    while True:
        now = Resources.of(pid)
        if now.within(baseline):
            return now
        if time.monotonic() > deadline:
            pytest.fail(f"leak: {now} after {timeout}s, baseline {baseline}; fds: {fd_targets(pid)}")
        time.sleep(0.05)


# --- counters --------------------------------------------------------------------------------

class CounterWatch:
    """Scrapes /metrics and checks that no `_total` sample present in two consecutive scrapes went down."""

    def __init__(self, url: str):
        self.url = url
        self.previous: dict = {}
        self.scrapes = 0

    def scrape(self) -> dict:
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as response:
            assert response.status == 200
            text = response.read().decode()
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        for key, value in samples.items():
            if key[0].endswith("_total") and key in self.previous:
                assert value >= self.previous[key], f"counter went down: {key} {self.previous[key]} -> {value}"
        self.previous = samples
        self.scrapes += 1
        return samples

    def value(self, name: str, **labels) -> float | None:
        """The sample from the last scrape (None if absent)."""
        return self.previous.get((name, tuple(sorted(labels.items()))))

    def wait(self, what: str, condition, timeout: float = 15.0):
        """Scrapes (checking counters each time) until `condition(self)` is true; a failure shows
        the last scrape's zmq_socket_* samples."""
        deadline = time.monotonic() + timeout
        while True:
            self.scrape()
            if condition(self):
                return
            if time.monotonic() > deadline:
                shown = {f"{name}{dict(labels)}": value for (name, labels), value in self.previous.items()
                         if name.startswith(("zmq_socket_", "zmq_probe_", "zmq_tap_")) and not name.endswith("_info")
                         and "_bucket" not in name}
                pytest.fail(f"timed out after {timeout}s waiting for {what}; last scrape: {shown}")
            time.sleep(0.05)


@contextmanager
def running_agent(fixture: str, workdir: Path, flags: tuple[str, ...] = (), **values):
    """The agent on a rendered fixture, ready, with a counter watch and its settled resources."""
    config = render(fixture, workdir, **values)
    with exporter(config, workdir, *flags) as exp:
        wait_until("/-/ready 200", lambda: exp.request("/-/ready")[0] == 200, timeout=20)
        watch = CounterWatch(exp.url)
        watch.scrape()
        yield exp, watch, config


# --- raw HTTP --------------------------------------------------------------------------------

def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def exchange(address: tuple[str, int], data: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Sends `data`, reads until the server closes or `timeout`; returns (reply, closed)."""
    with socket.create_connection(address, timeout=timeout) as conn:
        return send_and_read(conn, data, timeout)


def send_and_read(conn, data: bytes, timeout: float) -> tuple[bytes, bool]:
    """Sends `data` on a connected socket (plain or TLS), reads until the server closes or
    `timeout`; returns (reply, closed)."""
    try:
        conn.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before it has read everything
    reply = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            return reply, False
        except (ConnectionResetError, ssl.SSLEOFError):
            return reply, True
        if not chunk:
            return reply, True
        reply += chunk
    return reply, False


def status_of(reply: bytes) -> int | None:
    line = reply.split(b"\r\n", 1)[0].split(b" ")
    return int(line[1]) if len(line) >= 2 and line[0].startswith(b"HTTP/1.") and line[1].isdigit() else None

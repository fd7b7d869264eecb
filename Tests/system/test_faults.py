"""Fault tests of the agent (issue 8): the real binary ($ZMQ_EXPORTER_BIN) meets peers that die
mid-message, freeze, flood it or never answer, endpoints that cannot work, and reloads under load.

After each fault the agent must still serve /metrics, no `_total` sample may have gone down
between consecutive scrapes (every scrape is checked), zmq_socket_connections must equal the
peers really connected, and the agent's descriptors and threads (/proc/PID/fd, /proc/PID/task)
must come back to what they were before. Peer processes are stopped by PID; every wait has a deadline."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import zmq

from agentproc import Resources, render, running_agent, wait_settled, wait_until
from test_agent import zmq_context

# A pyzmq PUSH peer: whole messages, then frames with SNDMORE and no last frame; it waits to be killed.
PYZMQ_PARTIAL_PEER = """
import sys, zmq
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.connect(sys.argv[1])
for i in range(3):
    push.send_multipart([b"whole", b"%d" % i])
push.send(b"part-1", zmq.SNDMORE)
push.send(b"part-2", zmq.SNDMORE)
print("sent", flush=True)
sys.stdin.read()
"""

# libzmq only hands a multipart message to its I/O thread once the last frame is sent, so the peer
# above never puts a partial message on the wire. This one speaks ZMTP 3.0 (NULL mechanism) over a
# plain socket and is killed with a MORE frame sent and the next frame cut in half.
RAW_PARTIAL_PEER = """
import socket, struct, sys
conn = socket.create_connection((sys.argv[1], int(sys.argv[2])))
conn.sendall(b"\\xff" + bytes(8) + b"\\x7f" + b"\\x03\\x00" + b"NULL".ljust(20, b"\\x00") + bytes(32))
def read(n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            sys.exit("agent closed the connection")
        data += chunk
    return data
read(64)
ready = b"\\x05READY" + b"\\x0bSocket-Type" + struct.pack(">I", 4) + b"PUSH"
conn.sendall(bytes([0x04, len(ready)]) + ready)
flags, size = read(2)
read(size)
def frame(body, more):
    return bytes([0x01 if more else 0x00, len(body)]) + body
for i in range(3):
    conn.sendall(frame(b"whole", True) + frame(b"%d" % i, False))
conn.sendall(frame(b"part-1", True) + bytes([0x00, 200]) + b"x" * 100)
print("sent", flush=True)
sys.stdin.read()
"""

# A peer sending a small message every 20 ms until killed.
TICKING_PEER = """
import sys, time, zmq
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.connect(sys.argv[1])
print("started", flush=True)
while True:
    push.send(b"tick")
    time.sleep(0.02)
"""


class Peer:
    """A Python peer process; its first stdout line says it is ready."""

    def __init__(self, script: str, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_line(self, expected: str, timeout: float = 15.0):
        result = {}
        reader = threading.Thread(target=lambda: result.setdefault("line", self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        line = result.get("line", b"").decode().strip()
        assert line == expected, f"peer said {line!r}, exit {self.proc.poll()}: {self.stderr()}"

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode()

    def signal(self, sig: int):
        os.kill(self.proc.pid, sig)

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connections(watch, name: str):
    return watch.value("zmq_socket_connections", socket=name)


def test_peer_killed_in_the_middle_of_a_multipart_message(tmp_path):
    with running_agent("faults-peers.yml", tmp_path) as (exp, watch, _):
        baseline = Resources.of(exp.proc.pid)
        endpoint = exp.bound_endpoint("sink")
        host, port = endpoint.removeprefix("tcp://").rsplit(":", 1)
        for number, args in enumerate([(PYZMQ_PARTIAL_PEER, endpoint), (RAW_PARTIAL_PEER, host, port)], 1):
            peer = Peer(*args)
            try:
                peer.wait_line("sent")
                watch.wait("the peer's 3 whole messages",
                           lambda w: w.value("zmq_socket_messages_received_total", socket="sink") == 3 * number
                           and connections(w, "sink") == 1)
                peer.signal(signal.SIGKILL)
                peer.proc.wait(timeout=10)
                watch.wait("the killed peer's disconnection",
                           lambda w: w.value("zmq_socket_events_total", socket="sink", event="disconnected") == number
                           and connections(w, "sink") == 0)
            finally:
                peer.kill()
        # The half-sent message never counts, and the socket still takes whole ones.
        with zmq_context() as ctx:
            push = ctx.socket(zmq.PUSH)
            push.connect(endpoint)
            push.send_multipart([b"after", b"the kills"])
            watch.wait("a message after the kills",
                       lambda w: w.value("zmq_socket_messages_received_total", socket="sink") == 7)
            push.close()
        watch.wait("no connection left", lambda w: connections(w, "sink") == 0)
        assert watch.value("zmq_socket_received_bytes_total", socket="sink") == 6 * len(b"whole0") + len(b"afterthe kills")
        print(f"\nkill mid-message: resources before {baseline}, after {wait_settled(exp.proc.pid, baseline)}")


def test_frozen_peer_is_declared_dead_by_heartbeats_and_comes_back(tmp_path):
    with running_agent("faults-peers.yml", tmp_path) as (exp, watch, _):
        baseline = Resources.of(exp.proc.pid)
        peer = Peer(TICKING_PEER, exp.bound_endpoint("beating"))
        try:
            peer.wait_line("started")
            watch.wait("the ticking peer", lambda w: connections(w, "beating") == 1
                       and (w.value("zmq_socket_messages_received_total", socket="beating") or 0) > 0)
            peer.signal(signal.SIGSTOP)
            frozen = time.monotonic()
            # heartbeat_ivl 200ms, heartbeat_timeout 600ms: declared dead well within 10 s.
            watch.wait("the frozen peer's disconnection",
                       lambda w: w.value("zmq_socket_events_total", socket="beating", event="disconnected") == 1
                       and connections(w, "beating") == 0, timeout=10)
            detected = time.monotonic() - frozen
            received = watch.value("zmq_socket_messages_received_total", socket="beating")
            peer.signal(signal.SIGCONT)
            watch.wait("the resumed peer's reconnection", lambda w: connections(w, "beating") == 1
                       and w.value("zmq_socket_messages_received_total", socket="beating") > received
                       and w.value("zmq_socket_events_total", socket="beating", event="accepted") == 2)
            print(f"\nfrozen peer declared dead {detected:.2f} s after SIGSTOP")
        finally:
            peer.kill()
        watch.wait("the killed peer's disconnection", lambda w: connections(w, "beating") == 0)
        print(f"frozen peer: resources before {baseline}, after {wait_settled(exp.proc.pid, baseline)}")


def test_endpoints_that_cannot_work_leave_the_rest_serving(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    missing = tmp_path / "no" / "such" / "dir"
    try:
        with running_agent("faults-endpoints.yml", tmp_path, flags=("--web.ready-regardless", "--web.enable-lifecycle"), taken_endpoint=f"tcp://127.0.0.1:{holder.getsockname()[1]}",
                           missing_dir=str(missing)) as (exp, watch, _):
            # Failed binds are retried (1 s, then doubling), each counted.
            watch.wait("both failed binds", lambda w:
                       w.value("zmq_socket_events_total", socket="taken", event="bind_failed") >= 1
                       and w.value("zmq_socket_events_total", socket="ipc-bind", event="bind_failed") >= 1)
            assert watch.value("zmq_socket_up", socket="taken") == 0 and watch.value("zmq_socket_up", socket="ok") == 1
            assert watch.value("zmq_socket_setup_errors_total", socket="ipc-bind", reason="no_such_directory") >= 1
            baseline = Resources.of(exp.proc.pid)
            # Reloads of the same config and SIGHUPs must neither leak nor stop the healthy tap.
            for round in range(4):
                if round % 2:
                    os.kill(exp.proc.pid, signal.SIGHUP)
                else:
                    status, body = exp.request("/-/reload", "POST")
                    assert status == 200, body
                with zmq_context() as ctx:
                    push = ctx.socket(zmq.PUSH)
                    push.connect(exp.bound_endpoint("ok"))
                    push.send(b"still here")
                    watch.wait("a message through the healthy tap", lambda w:
                               w.value("zmq_socket_messages_received_total", socket="ok") == round + 1)
                    push.close()
            watch.wait("no connections", lambda w: all(connections(w, name) == 0
                                                       for name in ("taken", "ipc-bind", "ipc-connect", "ok")))
            assert watch.value("zmq_exporter_config_last_reload_successful") == 1
            assert not missing.exists(), "the agent created a directory it was not asked to"
            print(f"\nbad endpoints: resources before {baseline}, after {wait_settled(exp.proc.pid, baseline)}")
    finally:
        holder.close()


def test_tap_flooded_with_one_mib_garbage_messages(tmp_path):
    count, size = 60, 1 << 20
    with running_agent("faults-flood.yml", tmp_path) as (exp, watch, _):
        baseline = Resources.of(exp.proc.pid)
        garbage = os.urandom(size - 1)
        with zmq_context() as ctx:
            push = ctx.socket(zmq.PUSH)
            push.connect(exp.bound_endpoint("flooded"))
            for i in range(count):
                # Every third one starts like a JSON object, so the decoder gets past the first byte.
                push.send(bytes([0x7B if i % 3 == 0 else i]) + garbage)
            watch.wait("every garbage message", lambda w:
                       w.value("zmq_socket_messages_received_total", socket="flooded") == count, timeout=90)
            assert watch.value("zmq_socket_received_bytes_total", socket="flooded") == count * size
            assert watch.value("zmq_tap_decode_errors_total", socket="flooded") == count
            assert connections(watch, "flooded") == 1
            push.close()
        watch.wait("the flooder's disconnection", lambda w: connections(w, "flooded") == 0)
        rss_kib = next(int(line.split()[1]) for line in Path(f"/proc/{exp.proc.pid}/status").read_text().splitlines()
                       if line.startswith("VmRSS:"))
        print(f"\nflood: agent RSS {rss_kib / 1024:.1f} MiB after {count} MiB of garbage")
        print(f"flood: resources before {baseline}, after {wait_settled(exp.proc.pid, baseline)}")


class SilentTarget(threading.Thread):
    """Accepts TCP connections and never writes a byte; counts the connections still open."""

    def __init__(self):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.05)
        self.open: list[socket.socket] = []
        self.accepted = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def open_count(self) -> int:
        with self.lock:
            return len(self.open)

    def run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
                conn.setblocking(False)
                with self.lock:
                    self.open.append(conn)
                    self.accepted += 1
            except TimeoutError:
                pass
            with self.lock:
                for conn in list(self.open):
                    try:
                        if conn.recv(4096) == b"":
                            self.open.remove(conn)
                            conn.close()
                    except BlockingIOError:
                        pass
                    except OSError:
                        self.open.remove(conn)
                        conn.close()

    def stop(self):
        self.stopping.set()
        self.join(timeout=5)
        with self.lock:
            for conn in self.open:
                conn.close()
            self.open.clear()
        self.listener.close()


def test_probe_target_that_accepts_and_never_answers(tmp_path):
    target = SilentTarget()
    target.start()
    try:
        with running_agent("faults-silent-probe.yml", tmp_path, target=f"tcp://127.0.0.1:{target.port}") as (exp, watch, _):
            baseline = Resources.of(exp.proc.pid)
            watch.wait("4 timed-out probes", lambda w:
                       (w.value("zmq_probe_attempts_total", socket="silent", result="timeout") or 0) >= 4)
            early = Resources.of(exp.proc.pid)
            watch.wait("8 more timed-out probes", lambda w:
                       w.value("zmq_probe_attempts_total", socket="silent", result="timeout") >= 12, timeout=30)
            late = Resources.of(exp.proc.pid)
            assert watch.value("zmq_probe_success", socket="silent") == 0
            assert (watch.value("zmq_probe_attempts_total", socket="silent", result="success") or 0) == 0
            # Every abandoned attempt's connection is closed: the target sees at most the current one.
            assert target.accepted >= 6
            wait_until("the agent's connection count to equal the target's", lambda:
                       watch.scrape() and connections(watch, "silent") == target.open_count() == 1)
            assert late.fds <= early.fds + 2, f"descriptors grew with each attempt: {early} -> {late}"
            target.stop()
            print(f"\nsilent probe target: {target.accepted} connections accepted; resources at start {baseline}, "
                  f"after 4 attempts {early}, after 12 {late}, settled {wait_settled(exp.proc.pid, baseline)}")
            watch.scrape()
    finally:
        target.stop()


class Traffic:
    """A PUSH thread sending 1 KiB messages as fast as it can and a PULL thread receiving them."""

    def __init__(self, ctx: zmq.Context, frontend: str, backend: str):
        self.push = ctx.socket(zmq.PUSH)
        self.pull = ctx.socket(zmq.PULL)
        self.push.connect(frontend)
        self.pull.connect(backend)
        self.sent = self.received = 0
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.send_loop, daemon=True),
                        threading.Thread(target=self.receive_loop, daemon=True)]
        for thread in self.threads:
            thread.start()

    def send_loop(self):
        payload = b"x" * 1024
        while not self.stopping.is_set():
            if self.push.poll(20, zmq.POLLOUT):
                self.push.send(payload, zmq.NOBLOCK)
                self.sent += 1

    def receive_loop(self):
        while not self.stopping.is_set():
            while self.pull.poll(20):
                self.pull.recv(zmq.NOBLOCK)
                self.received += 1

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)
            assert not thread.is_alive()
        self.push.close()
        self.pull.close()


def test_reload_during_heavy_proxy_traffic(tmp_path):
    ports = {"frontend": str(free_port()), "backend": str(free_port())}
    with running_agent("faults-reload-a.yml", tmp_path, flags=("--web.enable-lifecycle",), **ports) as (exp, watch, config):
        baseline = Resources.of(exp.proc.pid)
        with zmq_context() as ctx:
            traffic = Traffic(ctx, f"tcp://127.0.0.1:{ports['frontend']}", f"tcp://127.0.0.1:{ports['backend']}")
            try:
                watch.wait("traffic through the proxy", lambda w:
                           (w.value("zmq_socket_messages_sent_total", socket="pipe.backend") or 0) > 1000)
                for round in range(6):
                    fixture = "faults-reload-b.yml" if round % 2 == 0 else "faults-reload-a.yml"
                    render(fixture, tmp_path, **ports)
                    status, body = exp.request("/-/reload", "POST")
                    assert status == 200, body
                    tap = "side-b" if round % 2 == 0 else "side-a"
                    before = traffic.received
                    watch.wait(f"reload {round + 1}: the new tap and traffic flowing again", lambda w:
                               w.value("zmq_socket_info", socket=tap, role="tap", type="PULL") == 1
                               and traffic.received > before + 100
                               and connections(w, "pipe.frontend") == 1 and connections(w, "pipe.backend") == 1,
                               timeout=30)
                assert watch.value("zmq_exporter_config_last_reload_successful") == 1
            finally:
                traffic.stop()
        watch.wait("the peers' disconnection", lambda w:
                   connections(w, "pipe.frontend") == 0 and connections(w, "pipe.backend") == 0)
        forwarded = watch.value("zmq_socket_messages_sent_total", socket="pipe.backend")
        print(f"\nreload under load: {traffic.sent} sent, {traffic.received} received, {forwarded:.0f} forwarded "
              f"by the proxy (counter kept across re-creation); resources before {baseline}, "
              f"after {wait_settled(exp.proc.pid, baseline)}")

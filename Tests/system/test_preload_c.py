"""The preload library under C programs linked with the system libzmq: exact counts for every
send and receive API, send failures, proxies, handshake failures, fork, context termination,
the application's own monitor, socket churn, SIGKILL and an unwritable directory."""

import os
import signal
import time

import pytest

import preload_stats as stats
from preload_helpers import Program, compile_c, library, preload_env, run_to_end, wait_until

ZMQ_PUSH, ZMQ_PULL, ZMQ_REQ, ZMQ_REP, ZMQ_ROUTER = 8, 7, 3, 4, 6
F_MONITORED, F_MONITOR_LOST = 1, 2


@pytest.fixture(scope="module")
def lib():
    return library()


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return compile_c("zmqprog.c", tmp_path_factory.mktemp("preload-c"))


@pytest.fixture
def statsdir(tmp_path):
    return tmp_path / "stats"


def start(prog, lib, statsdir, *args, **env):
    return Program([prog, *args], preload_env(lib, statsdir, **env))


def by_type(file, socket_type):
    found = [s for s in file.used() if s.socket_type == socket_type]
    assert len(found) == 1, f"type {socket_type}: {found}"
    return found[0]


def test_every_send_and_receive_api_is_counted_exactly(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "apis")
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    push, pull = by_type(f, ZMQ_PUSH), by_type(f, ZMQ_PULL)
    # zmq_send, zmq_send_const, zmq_msg_send, zmq_sendmsg, zmq_sendiov twice (one 2-frame
    # message, then two messages), one 3-frame message: 8 messages, 128 bytes.
    assert (push.messages_sent, push.bytes_sent, push.messages_received, push.bytes_received) == (8, 128, 0, 0)
    assert (pull.messages_received, pull.bytes_received, pull.messages_sent, pull.bytes_sent) == (8, 128, 0, 0)
    assert push.name == "tcp://127.0.0.1:*" and push.endpoints[0][0] == "bind"
    assert push.endpoints[0][1] == p.expect("push ").split()[1]
    assert p.finish() == 0
    assert f.pid == p.pid and f.name == "zmqprog" and f.zmq_version[0] == 4
    assert f.bounds == [0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 21600, 86400]
    assert len(f.boot_id) == 36 and f.start_time > 0


@pytest.mark.parametrize("n", [1, 1000])
def test_push_pull_counts_exactly(prog, lib, statsdir, n):
    p = start(prog, lib, statsdir, "pushpull", n)
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    assert (by_type(f, ZMQ_PUSH).messages_sent, by_type(f, ZMQ_PUSH).bytes_sent) == (n, 64 * n)
    assert (by_type(f, ZMQ_PULL).messages_received, by_type(f, ZMQ_PULL).bytes_received) == (n, 64 * n)
    # The monitor sees the connection on both sides.
    wait_until("connections", lambda: all(s.connections == 1 for s in stats.for_pid(statsdir, p.pid).live()))
    assert p.finish() == 0


def test_req_rep_counts_exactly(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "reqrep", 50)
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    req, rep = by_type(f, ZMQ_REQ), by_type(f, ZMQ_REP)
    assert (req.messages_sent, req.bytes_sent, req.messages_received, req.bytes_received) == (50, 250, 50, 300)
    assert (rep.messages_sent, rep.bytes_sent, rep.messages_received, rep.bytes_received) == (50, 300, 50, 250)
    wait_until("handshakes", lambda: all(s.events["handshake_succeeded"] == 1
                                         for s in stats.for_pid(statsdir, p.pid).live()))
    assert p.finish() == 0


def test_send_failures_are_counted_by_reason_and_errno_passes_through(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "failures")
    p.expect("errno-ok")  # the program checked rc -1 with EAGAIN and EHOSTUNREACH itself
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    push, router = by_type(f, ZMQ_PUSH), by_type(f, ZMQ_ROUTER)
    assert (push.would_block, push.unroutable, push.send_error, push.messages_sent) == (3, 0, 0, 0)
    assert (router.would_block, router.unroutable, router.send_error, router.messages_sent) == (0, 2, 0, 0)
    assert p.finish() == 0


def test_zmq_proxy_is_counted_on_both_sides_and_ends_with_eterm(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "proxy", 20)
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    pulls = sorted((s for s in f.used() if s.socket_type == ZMQ_PULL), key=lambda s: s.endpoints[0][0])
    pushes = sorted((s for s in f.used() if s.socket_type == ZMQ_PUSH), key=lambda s: s.endpoints[0][0])
    front, consumer = pulls[0], pulls[1]        # bind sorts before connect
    back, producer = pushes[0], pushes[1]
    assert (front.messages_received, front.bytes_received) == (20, 200)
    assert (back.messages_sent, back.bytes_sent) == (20, 200)
    assert (producer.messages_sent, consumer.messages_received) == (20, 20)
    assert front.messages_sent == back.messages_received == 0
    assert p.finish() == 0
    assert "proxy-rc -1 ETERM" in p.lines


def test_steerable_proxy_answers_statistics_and_terminate(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "steerable", 4)
    # 4 messages of 2 frames (3 + 7 bytes): libzmq counts frames in STATISTICS.
    assert p.expect("stats ") == "stats 8 40 0 0 0 0 8 40"
    assert p.expect("proxy-rc") == "proxy-rc 0"
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    capture = [s for s in f.used() if s.socket_type == ZMQ_PUSH and s.endpoints[0][0] == "connect"
               and s.messages_sent == 4]
    assert capture, "the capture socket counted 4 messages"
    assert p.finish() == 0


def test_pub_connecting_to_pub_is_closed_before_handshake_on_both_sides(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "pubpub")
    p.expect("ready")
    f = wait_until("both sides closed before handshake", lambda: (
        lambda f: f if len(f.live()) == 2 and all(s.closed_before_handshake >= 1 for s in f.live()) else None)(
            stats.for_pid(statsdir, p.pid)))
    for s in f.live():
        assert s.events["handshake_succeeded"] == 0
        assert s.lifetime_count >= 1 and sum(s.buckets) == s.lifetime_count
    assert p.finish() == 0


def test_a_forked_child_gets_its_own_file_and_the_parents_counts_stay(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "fork")
    child = int(p.expect("child ").split()[1])
    p.expect("ready")
    parent = stats.for_pid(statsdir, p.pid)
    kid = stats.for_pid(statsdir, child)
    assert by_type(parent, ZMQ_PUSH).messages_sent == 5 and by_type(parent, ZMQ_PULL).messages_received == 5
    assert by_type(kid, ZMQ_PUSH).messages_sent == 5 and by_type(kid, ZMQ_PULL).messages_received == 5
    assert parent.sockets_created == 2 and kid.sockets_created == 2
    assert not stats.writer_alive(kid.path), "the child exited: its lock is free"
    assert stats.writer_alive(parent.path)
    assert p.finish() == 0


def test_ctx_term_with_lingering_sockets_is_as_fast_as_without_the_library(prog, lib, statsdir):
    def term_ms(with_lib):
        r = run_to_end([prog, "linger"], preload_env(lib if with_lib else None, statsdir), timeout=15)
        assert r.returncode == 0, r.stderr
        return float(next(l for l in r.stdout.splitlines() if l.startswith("term-ms")).split()[1])
    without, with_library = term_ms(False), term_ms(True)
    # LINGER 200 ms bounds both; the library must not add a wait of its own.
    assert without < 2000 and with_library < without + 500, (without, with_library)


def test_the_applications_own_monitor_still_receives_events(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "appmonitor")
    p.expect("app-events ok")
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    rep = by_type(f, ZMQ_REP)
    assert rep.flags & F_MONITOR_LOST and not rep.flags & F_MONITORED
    assert f.monitors_lost == 1
    assert rep.messages_sent == 0  # still counted: only the monitor went to the application
    assert p.finish() == 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_two_thousand_sockets_opened_and_closed_leak_no_descriptor_or_slot(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "churn", 2000)
    p.expect("phase before")
    before = stats.for_pid(statsdir, p.pid)
    # Wait for the kept socket's monitor thread and reaper to settle, then take the baseline.
    time.sleep(0)
    fds_before = fd_count(p.pid)
    p.send("go")
    p.expect("phase after", timeout=60)
    wait_until("descriptors back to the baseline", lambda: fd_count(p.pid) <= fds_before, timeout=15)
    f = stats.for_pid(statsdir, p.pid)
    assert f.sockets_created == 2001 and f.sockets_closed == 2000
    assert len(f.live()) == 1 and len(before.live()) == 1
    # The 1000 bound sockets share one name and so one closed slot; the unnamed ones were
    # folded into slot 0 when the table filled.
    bound = [s for s in f.slots if s.state == "closed" and s.name == "tcp://127.0.0.1:*"]
    assert len(bound) == 1 and bound[0].events["listening"] == 1000
    assert f.evicted_slots > 0 and f.overflow_sockets == 0
    assert len(f.used()) < len(f.slots)
    assert p.finish() == 0


def test_sockets_beyond_the_slots_go_to_slot_0_and_beyond_the_budget_go_unmonitored(prog, lib, statsdir):
    # 8 slots: slot 0 and 7 for sockets; 3 monitors allowed.
    p = start(prog, lib, statsdir, "many", 10, ZMQ_EXPORTER_SLOTS=8, ZMQ_EXPORTER_MAX_MONITORS=3)
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    live = f.live()
    assert len(live) == 7 and all(s.would_block == 1 for s in live)
    assert sum(1 for s in live if s.flags & F_MONITORED) == 3 and f.unmonitored_sockets == 4
    aggregate = f.slots[0]
    assert aggregate.state == "aggregate" and aggregate.name == "_other"
    assert f.overflow_sockets == 3 and aggregate.would_block == 3
    assert p.finish() == 0
    assert stats.read(f.path).sockets_closed == 10


def test_sigkill_leaves_the_file_and_frees_the_lock(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "pushpull", 3)
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    assert stats.writer_alive(f.path)
    os.kill(p.pid, signal.SIGKILL)
    p.proc.wait(5)
    assert os.path.exists(f.path)
    assert not stats.writer_alive(f.path)
    assert by_type(stats.read(f.path), ZMQ_PUSH).messages_sent == 3


def test_an_unwritable_directory_leaves_the_program_working_with_one_line(prog, lib, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    r = run_to_end([prog, "reqrep", 5], preload_env(lib, blocker / "stats"))
    assert r.returncode == 0
    assert len(r.stderr.splitlines()) == 1 and "not monitored" in r.stderr, r.stderr


def test_return_values_and_errno_are_the_same_as_without_the_library(prog, lib, statsdir):
    without = run_to_end([prog, "badcalls"], preload_env(None, statsdir))
    with_library = run_to_end([prog, "badcalls"], preload_env(lib, statsdir))
    assert without.returncode == with_library.returncode == 0
    assert with_library.stdout == without.stdout
    assert "ctx-set 0 max 500" in with_library.stdout
    # The program asked for 500 sockets; the library gave the context three times that.
    f = stats.read(stats.files(statsdir)[0])
    assert (f.max_sockets_requested, f.max_sockets_effective) == (500, 1500)


def test_a_context_never_set_reports_the_default_and_gets_room_for_monitors(prog, lib, statsdir):
    p = start(prog, lib, statsdir, "pushpull", 1)
    p.expect("ready")
    f = stats.for_pid(statsdir, p.pid)
    assert (f.max_sockets_requested, f.max_sockets_effective) == (-1, 3 * 1023)
    assert p.finish() == 0


def test_no_temporary_file_is_left_behind(prog, lib, statsdir):
    run_to_end([prog, "pushpull", 2], preload_env(lib, statsdir))
    names = os.listdir(statsdir)
    assert len(names) == 1 and names[0].endswith(".zmqstats")


def test_the_committed_fixture_reads_the_same_as_in_the_swift_reader_test():
    # Tests/ZMQExporterTests/PreloadFileTests.swift asserts the same values on this file.
    f = stats.read(os.path.join(os.path.dirname(__file__), "fixtures/preload-apis.zmqstats"))
    assert f.name == "apis-fixture" and f.zmq_version == (4, 3, 4) and (f.sockets_created, f.sockets_closed) == (2, 2)
    push, pull = by_type(f, ZMQ_PUSH), by_type(f, ZMQ_PULL)
    assert push.name == "tasks" and (push.messages_sent, push.bytes_sent) == (8, 128)
    assert (pull.messages_received, pull.bytes_received) == (8, 128) and pull.name == push.endpoints[0][1]

"""The agent's side of the zero-code mode: a C program run under the preload library shows up
in the agent's /metrics, in the same zmq_socket_* families as the agent's own sockets with
process and pid labels, with exact counts; an exited process keeps its last counts for the
grace period, then its series and its file go; the stats directory's bad files are refused."""

import os

import pytest

from agentproc import CounterWatch, exporter, wait_until
from preload_helpers import Program, compile_c, library, preload_env

ZMQ_PUSH = 8


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return compile_c("zmqprog.c", tmp_path_factory.mktemp("preload-agent"))


def empty_config(tmp_path):
    path = tmp_path / "zmq-exporter.yml"
    path.write_text("sockets: []\n")
    return path


def test_a_watched_program_shows_in_the_agents_metrics_then_goes_after_its_grace(prog, tmp_path):
    lib = library()
    statsdir = tmp_path / "stats"
    n = 250
    program = Program([prog, "pushpull", n], preload_env(lib, statsdir, ZMQ_EXPORTER_SOCKET_NAMES="tcp://127.0.0.1:*=tasks",
                                                         ZMQ_EXPORTER_PROCESS_NAME="producer"))
    try:
        program.expect("ready")
        pid = str(program.pid)
        with exporter(empty_config(tmp_path), tmp_path, "--preload.dir", str(statsdir), "--preload.grace", "2s") as exp:
            watch = CounterWatch(exp.url)
            app = {"process": "producer", "pid": pid}
            watch.wait("the program's sockets", lambda w: w.value("zmq_socket_messages_sent_total", socket="tasks", **app) == n)
            assert watch.value("zmq_socket_sent_bytes_total", socket="tasks", **app) == 64 * n
            pulls = [labels for (name, labels), value in watch.previous.items()
                     if name == "zmq_socket_messages_received_total" and dict(labels).get("pid") == pid and value == n]
            assert len(pulls) == 1, watch.previous
            pull = dict(pulls[0])["socket"]
            assert pull.startswith("PULL tcp://127.0.0.1:"), pull
            assert watch.value("zmq_socket_info", socket="tasks", role="app", type="PUSH", **app) == 1
            watch.wait("both connections", lambda w: w.value("zmq_socket_connections", socket="tasks", **app) == 1
                       and w.value("zmq_socket_connections", socket=pull, **app) == 1)
            assert watch.value("zmq_socket_events_total", socket="tasks", event="accepted", **app) == 1
            assert watch.value("zmq_app_process_up", **app) == 1
            assert watch.value("zmq_exporter_preload_files", state="live") == 1

            # The landing page lists the program and its sockets beside the configured ones.
            status, page = exp.request("/")
            assert status == 200
            assert "Programs under the preload library" in page and "producer" in page and f"pid {pid}" in page
            assert "<code>tasks</code>" in page and pull in page

            # One # TYPE line per family, whoever supplies the samples.
            text = exp.metrics()
            assert text.count("# TYPE zmq_socket_messages_sent_total ") == 1

            assert program.finish() == 0
            watch.wait("the exited process", lambda w: w.value("zmq_app_process_up", **app) == 0)
            assert watch.value("zmq_socket_messages_sent_total", socket="tasks", **app) == n
            files = list(statsdir.iterdir())
            assert len(files) == 1
            watch.wait("the grace period to end", lambda w: w.value("zmq_app_process_up", **app) is None, timeout=20)
            assert watch.value("zmq_socket_messages_sent_total", socket="tasks", **app) is None
            wait_until("the file to be removed", lambda: not any(statsdir.iterdir()))
    finally:
        program.kill()


def test_files_that_are_not_stats_files_are_refused_not_fatal(tmp_path):
    statsdir = tmp_path / "stats"
    statsdir.mkdir()
    (statsdir / "garbage.zmqstats").write_bytes(os.urandom(4096))
    (statsdir / "empty.zmqstats").write_bytes(b"")
    (statsdir / "ZMQXSTAT.zmqstats").write_bytes(b"ZMQXSTAT" + b"\xff" * 200)
    with exporter(empty_config(tmp_path), tmp_path, "--preload.dir", str(statsdir)) as exp:
        watch = CounterWatch(exp.url)
        watch.wait("the refused files", lambda w: w.value("zmq_exporter_preload_files", state="invalid") == 3)
        assert watch.value("zmq_exporter_preload_files", state="live") == 0
        assert exp.request("/metrics")[0] == 200

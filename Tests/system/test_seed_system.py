"""The seed's task system, rebuilt as our own C programs (Tests/system/seed_c/), every process run
under `zmq-exporter watch` and exported by the agent's --preload.dir with no line of code changed:
a producer (PUSH tasks, PUB events, both bound), three workers (PULL tasks, PUSH results, and a
PUB that connects to the producer's PUB, the seed's mistake kept on purpose), a collector (PULL
bound) and a monitor (SUB). From the agent's /metrics alone: every process and socket with its
`process` and `pid` labels, exact message counts end to end, the PUB-to-PUB mistake as
closed_before_handshake on both sides, connection gauges equal to the real connections; a worker
killed with SIGKILL keeps its last counts with zmq_app_process_up 0 for the grace period and then
goes, while the others go on. A real Prometheus scrapes the agent meanwhile: every query of the
dashboard's process row returns data, and ZeroMQHandshakeNeverCompleted's expression names each
worker whose PUB never connected, by process and pid.

Endpoints are bound on tcp://127.0.0.1:* and read from the programs' output; every wait is on a
condition with a deadline; every process is stopped by its PID."""

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import promstack
from agentproc import CounterWatch, exporter, wait_until
from preload_helpers import Program, library, preload_env

BIN = os.environ.get("ZMQ_EXPORTER_BIN", "")
SEED_C = Path(__file__).resolve().parent / "seed_c"
PROGRAMS = ("producer", "worker", "collector", "monitor")
WORKERS = 3
FIRST_BATCH, SECOND_BATCH = 300, 200
GRACE = "3s"
PROCESS_ROW = promstack.PROCESS_ROW

# Socket labels: the workers' sockets are named through ZMQ_EXPORTER_SOCKET_NAMES; the others
# keep the default, the type and the endpoint as the program wrote it.
PRODUCER_TASKS, PRODUCER_EVENTS = "PUSH tcp://127.0.0.1:*", "PUB tcp://127.0.0.1:*"
COLLECTOR_RESULTS = "PULL tcp://127.0.0.1:*"


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    assert BIN and os.access(BIN, os.X_OK), "set ZMQ_EXPORTER_BIN to the built zmq-exporter binary"
    out = tmp_path_factory.mktemp("seed-c")
    built = {}
    for name in PROGRAMS:
        built[name] = out / name
        subprocess.run(["cc", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-o", str(built[name]),
                        str(SEED_C / f"{name}.c"), "-lzmq"], check=True, timeout=120)
    return built


def last_number(program: Program, prefix: str) -> int:
    """The number on the program's latest `PREFIX N` line (0 before the first)."""
    for line in reversed(program.lines):
        if line.startswith(prefix + " "):
            return int(line.split()[1])
    return 0


def wait_line_count(program: Program, prefix: str, expected: int, timeout: float = 20.0):
    wait_until(f"'{prefix} {expected}' from {program.proc.args[-1]}",
               lambda: last_number(program, prefix) == expected, timeout)


class System:
    """The six watched processes, each started as `zmq-exporter watch ... -- PROGRAM` (exec: the
    program keeps the pid it was started with)."""

    def __init__(self, programs, statsdir: Path):
        self.programs, self.statsdir, self.lib = programs, statsdir, library()
        self.running: list[Program] = []

    def start(self, process: str, program: str, *args, **env) -> Program:
        argv = [BIN, "watch", "--preload.dir", self.statsdir, "--preload.library", self.lib, "--",
                self.programs[program], *args]
        started = Program(argv, preload_env(None, self.statsdir, ZMQ_EXPORTER_PROCESS_NAME=process, **env))
        self.running.append(started)
        started.expect("ready")
        return started

    def kill_all(self):
        for program in self.running:
            program.kill()


def labels(process: str, program: Program) -> dict:
    return {"process": process, "pid": str(program.pid)}


def test_seed_task_system_under_the_library_exact_counts_pub_to_pub_failures_and_a_killed_worker(programs, tmp_path):
    started_at = time.monotonic()
    statsdir = tmp_path / "stats"
    config = tmp_path / "zmq-exporter.yml"
    config.write_text("sockets: []\n")
    system = System(programs, statsdir)
    try:
        producer = system.start("producer", "producer")
        tasks_ep = producer.expect("tasks ").split()[1]
        events_ep = producer.expect("events ").split()[1]
        collector = system.start("collector", "collector")
        results_ep = collector.expect("results ").split()[1]
        monitor = system.start("monitor", "monitor", events_ep)
        names = f"{tasks_ep}=tasks,{results_ep}=results,{events_ep}=events"
        workers = [system.start(f"worker-{i}", "worker", i, tasks_ep, results_ep, events_ep,
                                ZMQ_EXPORTER_SOCKET_NAMES=names) for i in range(1, WORKERS + 1)]
        worker_labels = [labels(f"worker-{i}", w) for i, w in enumerate(workers, 1)]
        prod, coll, mon = labels("producer", producer), labels("collector", collector), labels("monitor", monitor)
        monitor_sub = f"SUB {events_ep}"

        with exporter(config, tmp_path, "--preload.dir", str(statsdir), "--preload.grace", GRACE) as exp, \
                promstack.Prometheus.start(target=exp.url.removeprefix("http://"), interval="1s") as prom:
            watch = CounterWatch(exp.url)

            def v(name, **lab):
                return watch.value(name, **lab) or 0

            # Every process and socket, with the labels the docs promise.
            watch.wait("six live processes", lambda w: v("zmq_exporter_preload_files", state="live") == 6)
            for app in [prod, coll, mon, *worker_labels]:
                assert watch.value("zmq_app_process_up", **app) == 1, app
            for socket, kind, app in [(PRODUCER_TASKS, "PUSH", prod), (PRODUCER_EVENTS, "PUB", prod),
                                      (COLLECTOR_RESULTS, "PULL", coll), (monitor_sub, "SUB", mon),
                                      *[(s, k, w) for w in worker_labels
                                        for s, k in (("tasks", "PULL"), ("results", "PUSH"), ("events", "PUB"))]]:
                assert watch.value("zmq_socket_info", socket=socket, role="app", type=kind, **app) == 1, (socket, app)

            # Connection gauges equal the real connections before anything is sent: the producer's
            # PUSH and the collector's PULL have the three workers, the producer's PUB has the
            # monitor only (each worker's PUB reached it once and was dropped in the greeting).
            def connected(w):
                return (v("zmq_socket_connections", socket=PRODUCER_TASKS, **prod) == WORKERS
                        and v("zmq_socket_connections", socket=COLLECTOR_RESULTS, **coll) == WORKERS
                        and v("zmq_socket_connections", socket=monitor_sub, **mon) == 1
                        and v("zmq_socket_connections", socket=PRODUCER_EVENTS, **prod) == 1
                        and v("zmq_socket_events_total", socket=PRODUCER_EVENTS, event="handshake_succeeded", **prod) >= 1
                        and all(v("zmq_socket_connections", socket=s, **wl) == 1
                                for wl in worker_labels for s in ("tasks", "results")))
            watch.wait("every real connection", connected, timeout=20)

            # The seed's mistake, seen from both ends. Each attempt is one failure on each end: the
            # end that rejects the peer's socket type counts closed_before_handshake, an end whose
            # peer hung up first counts no_detail (libzmq's HANDSHAKE_FAILED_NO_DETAIL); which end
            # is first varies. libzmq 4.3 retries while the producer's end rejects first and gives
            # up for good once the worker's end does, so each worker's last attempt is a
            # closed_before_handshake on its PUB, and then it has no connection.
            def failures(socket, app, reasons=("closed_before_handshake", "no_detail")):
                return sum(v("zmq_socket_handshake_failures_total", socket=socket, reason=r, **app) for r in reasons)

            def pub_to_pub(w):
                workers_side = [failures("events", wl) for wl in worker_labels]
                return (all(failures("events", wl, ("closed_before_handshake",)) >= 1 for wl in worker_labels)
                        and failures(PRODUCER_EVENTS, prod) == sum(workers_side)
                        and all(v("zmq_socket_connections", socket="events", **wl) == 0 for wl in worker_labels))
            watch.wait("the PUB-to-PUB failures counted on both ends", pub_to_pub)
            attempts = [v("zmq_socket_events_total", socket="events", event="connected", **wl) for wl in worker_labels]
            assert sum(attempts) == failures(PRODUCER_EVENTS, prod) >= WORKERS, attempts
            assert v("zmq_socket_events_total", socket=PRODUCER_EVENTS, event="accepted", **prod) == sum(attempts) + 1
            for wl in worker_labels:
                assert v("zmq_socket_events_total", socket="events", event="handshake_succeeded", **wl) == 0
            assert v("zmq_socket_events_total", socket=PRODUCER_EVENTS, event="handshake_succeeded", **prod) == 1

            # The first batch. The monitor's subscription reached the producer's PUB with the
            # handshake seen above, so no event is lost to the slow joiner.
            producer.send(f"send {FIRST_BATCH}")
            wait_line_count(producer, "sent", FIRST_BATCH)
            wait_line_count(collector, "collected", FIRST_BATCH)
            wait_line_count(monitor, "received", FIRST_BATCH)

            def settled(total):
                def check(w):
                    return (v("zmq_socket_messages_received_total", socket=COLLECTOR_RESULTS, **coll) == total
                            and v("zmq_socket_messages_received_total", socket=monitor_sub, **mon) == total)
                return check
            watch.wait(f"the collector's and monitor's {FIRST_BATCH}", settled(FIRST_BATCH))
            tasks_by_worker = [v("zmq_socket_messages_received_total", socket="tasks", **wl) for wl in worker_labels]
            assert v("zmq_socket_messages_sent_total", socket=PRODUCER_TASKS, **prod) == FIRST_BATCH == sum(tasks_by_worker)
            assert all(n > 0 for n in tasks_by_worker), tasks_by_worker  # round robin over three peers
            assert (v("zmq_socket_sent_bytes_total", socket=PRODUCER_TASKS, **prod)
                    == sum(v("zmq_socket_received_bytes_total", socket="tasks", **wl) for wl in worker_labels))
            for wl, n in zip(worker_labels, tasks_by_worker):
                assert v("zmq_socket_messages_sent_total", socket="results", **wl) == n, wl
                # Published into the void (no subscriber ever completes a handshake), yet counted:
                # libzmq's send succeeds.
                assert v("zmq_socket_messages_sent_total", socket="events", **wl) == n, wl
                assert v("zmq_socket_send_failures_total", socket="events", reason="error", **wl) == 0
            assert v("zmq_socket_messages_sent_total", socket=PRODUCER_EVENTS, **prod) == FIRST_BATCH
            assert (v("zmq_socket_sent_bytes_total", socket=PRODUCER_EVENTS, **prod)
                    == v("zmq_socket_received_bytes_total", socket=monitor_sub, **mon))

            # Prometheus saw the same: every query of the dashboard's process row has data, and the
            # condition of ZeroMQHandshakeNeverCompleted (without its `for`) names each worker's PUB
            # by process and pid, and not the producer's, which binds and serves its subscriber.
            queries = promstack.dashboard_queries(job="zeromq", instance=".+", socket=".+", process=".+",
                                                  rate_interval="30s", only_rows={PROCESS_ROW})
            assert len(queries) >= 4, queries
            pending = dict(((title, ref), expr) for title, ref, expr in queries)

            def panels_fed():
                for key, expr in list(pending.items()):
                    if prom.query(expr):
                        del pending[key]
                return not pending
            try:
                prom.wait_for(panels_fed, deadline=30, what="data for every query of the process row")
            except promstack.PrometheusError as error:
                pytest.fail(f"{error}: no data for {pending}; targets {prom.targets()}")
            never = promstack.alert_expressions()["ZeroMQHandshakeNeverCompleted"]
            wanted = {(wl["process"], wl["pid"], "events") for wl in worker_labels}
            found: set = set()

            def alerting():
                found.clear()
                found.update((r["metric"].get("process"), r["metric"].get("pid"), r["metric"]["socket"])
                             for r in prom.query(never))
                return found == wanted
            try:
                prom.wait_for(alerting, deadline=20, what="ZeroMQHandshakeNeverCompleted's condition")
            except promstack.PrometheusError as error:
                pytest.fail(f"{error}: wanted {wanted}, found {found}")

            # SIGKILL one worker between batches (a kill inside a batch would lose the tasks queued
            # to it, which no counter can attribute). Its last counts stay, marked exited.
            victim, victim_labels = workers[1], worker_labels[1]
            before = {s: v("zmq_socket_messages_received_total", socket="tasks", **victim_labels) if s == "tasks"
                      else v("zmq_socket_messages_sent_total", socket=s, **victim_labels) for s in ("tasks", "results")}
            victim.kill()
            killed_at = time.monotonic()
            watch.wait("the killed worker marked exited", lambda w: w.value("zmq_app_process_up", **victim_labels) == 0)
            assert v("zmq_socket_messages_received_total", socket="tasks", **victim_labels) == before["tasks"]
            assert v("zmq_socket_messages_sent_total", socket="results", **victim_labels) == before["results"]
            watch.wait("the producer and the collector down to two workers", lambda w:
                       v("zmq_socket_connections", socket=PRODUCER_TASKS, **prod) == WORKERS - 1
                       and v("zmq_socket_connections", socket=COLLECTOR_RESULTS, **coll) == WORKERS - 1)

            # The others go on: a second batch reaches the two remaining workers only.
            total = FIRST_BATCH + SECOND_BATCH
            producer.send(f"send {SECOND_BATCH}")
            wait_line_count(producer, "sent", total)
            wait_line_count(collector, "collected", total)
            wait_line_count(monitor, "received", total)
            watch.wait(f"the collector's and monitor's {total}", settled(total))
            survivors = [wl for wl in worker_labels if wl is not victim_labels]
            after = {wl["process"]: v("zmq_socket_messages_received_total", socket="tasks", **wl) for wl in survivors}
            assert v("zmq_socket_messages_sent_total", socket=PRODUCER_TASKS, **prod) == total
            assert before["tasks"] + sum(after.values()) == total
            for wl, n_before in zip(worker_labels, tasks_by_worker):
                if wl is not victim_labels:
                    assert after[wl["process"]] > n_before, (wl, n_before, after)
                    assert v("zmq_socket_messages_sent_total", socket="results", **wl) == after[wl["process"]]
            assert v("zmq_socket_messages_sent_total", socket=PRODUCER_EVENTS, **prod) == total

            # After the grace period the killed worker's series and file go; nobody else's.
            watch.wait("the killed worker's series to go", lambda w: w.value("zmq_app_process_up", **victim_labels) is None,
                       timeout=20)
            assert time.monotonic() - killed_at >= 2.5  # not before its grace (3 s, minus scrape timing)
            assert watch.value("zmq_socket_messages_received_total", socket="tasks", **victim_labels) is None
            assert v("zmq_exporter_preload_files", state="live") == 5
            wait_until("the killed worker's file to be removed",
                       lambda: not any(p.name.startswith(f"zmq-{victim.pid}-") for p in statsdir.iterdir()))
            for app in [prod, coll, mon, *survivors]:
                assert watch.value("zmq_app_process_up", **app) == 1, app

        # Clean exits, each reporting what the agent counted.
        for program in [producer, *[w for w in workers if w is not victim], collector, monitor]:
            assert program.finish() == 0, (program.proc.args, program.stderr)
        assert f"bye sent {total}" in producer.lines
        assert f"bye collected {total}" in collector.lines
        assert f"bye received {total}" in monitor.lines
    finally:
        system.kill_all()
    assert time.monotonic() - started_at < 60

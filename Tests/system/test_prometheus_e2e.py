"""End to end (issue 6): the demo on free ports, scraped every second by a real Prometheus whose
config is rendered from the shipped prometheus.yml (via promstack: 127.0.0.1 only, a temporary
storage directory, the shipped alerts/*.yml as rule files).

Once `up{job="zeromq"} == 1`, every query of every dashboard panel, with the Grafana variables
filled in, must return data through Prometheus' HTTP API; every rule must load and evaluate with
health `ok`; and once the demo's faults have run (a silent service, a crashed pipeline worker),
the probe-failing and a connection alert expression must have been true.

Rate windows: the dashboard's $__rate_interval becomes RATE_WINDOW, which with 1 s scrapes holds
enough samples after a few seconds and, being close to the demo's 36 s fault cycle, sees the
fault-only panels (handshake failures, send failures) at least once per cycle. Each query is
polled until it has data or the deadline passes; nothing sleeps blindly. The demo and Prometheus
are stopped by their PIDs (SIGTERM, then SIGKILL after a bounded wait) in `finally` blocks.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import promstack

BIN = os.environ.get("ZMQ_EXPORTER_BIN", "")
REPO = promstack.REPO
JOB = "zeromq"
RATE_WINDOW = "30s"
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")

# Deadlines in seconds, each bounded; together well under the 3 minutes the whole test may take.
DEMO_LISTENING_DEADLINE = 20.0
TARGET_UP_DEADLINE = 30.0
RULES_DEADLINE = 20.0
# A query that needs the demo's faults may have to wait for the second 36 s cycle if Prometheus
# started too late to see the first one.
PANELS_DEADLINE = 80.0
ALERTS_DEADLINE = 80.0
STOP_GRACE = 8.0

# Alert expressions the demo must make true; a group passes when any one of its alerts was true
# (a crashed worker leaves 2 of 3 peers, BelowExpected; a peer set dropping to 0 is NoConnections).
REQUIRED_ALERT_GROUPS = {
    "probe failing": ("ZeroMQProbeFailing",),
    "connection loss": ("ZeroMQConnectionsBelowExpected", "ZeroMQNoConnections"),
    # The demo's client with an unlisted CURVE key, refused by ZAP every 5 s (issue 15).
    "CURVE authentication": ("ZeroMQHandshakeAuthFailures",),
}


@pytest.fixture(scope="module", autouse=True)
def binary():
    assert BIN and os.access(BIN, os.X_OK), "set ZMQ_EXPORTER_BIN to the built zmq-exporter binary"


def stop_by_pid(process: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """SIGTERM to the process' PID, SIGKILL if it is still running after `grace` seconds."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def wait_for_listening(process: subprocess.Popen, log: Path, deadline: float) -> int:
    """The HTTP port the demo printed; fails if it exits or says nothing in time."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        text = log.read_text(errors="replace")
        if match := LISTENING.search(text):
            return int(match.group(1))
        if process.poll() is not None:
            pytest.fail(f"the demo exited with {process.returncode}:\n{text[-3000:]}")
        time.sleep(0.05)
    pytest.fail(f"the demo did not print 'listening on' within {deadline} s:\n{log.read_text(errors='replace')[-3000:]}")


def has_data(result: list[dict]) -> bool:
    """At least one series with a real number (a histogram_quantile over no traffic is NaN)."""
    return any(math.isfinite(float(series["value"][1])) for series in result)


def poll_queries(prom: promstack.Prometheus, queries: dict[str, str], deadline: float) -> dict[str, str]:
    """Evaluates every query until each has returned data once; returns those that never did
    ({name: expr}). A query Prometheus rejects fails the test at once."""
    pending = dict(queries)
    end = time.monotonic() + deadline
    while pending and time.monotonic() < end:
        if prom.process.poll() is not None:
            pytest.fail(f"prometheus exited:\n{prom.log_tail()}")
        for name, expr in list(pending.items()):
            try:
                result = prom.query(expr)
            except promstack.PrometheusError as error:
                pytest.fail(f"{name}: {error}")
            if has_data(result):
                del pending[name]
        if pending:
            time.sleep(0.5)
    return pending


def grafana_regex(value: str) -> str:
    """A single variable value as Grafana puts it into a `=~"..."` matcher: regex-escaped, and the
    backslashes doubled because the matcher is a PromQL string literal."""
    return re.escape(value).replace("\\", "\\\\")


def panel_queries(instance: str) -> dict[str, str]:
    # The demo runs no program under the preload library: the process row is fed (and checked
    # against a real Prometheus) by test_seed_system.py.
    queries = promstack.dashboard_queries(job=grafana_regex(JOB), instance=grafana_regex(instance), socket=".+",
                                          rate_interval=RATE_WINDOW, interval="1s", range_="5m",
                                          skip_rows={promstack.PROCESS_ROW})
    assert queries, "the dashboard has no queries"
    named = {f"panel {title!r} target {ref}": expr for title, ref, expr in queries}
    assert len(named) == len(queries), "two targets of one panel share a refId"
    return named


def rule_problems(groups: list[dict]) -> list[str]:
    return [f"{group['name']}/{rule['name']}: health {rule['health']} {rule.get('lastError', '')}"
            for group in groups for rule in group["rules"] if rule["health"] != "ok"]


def test_demo_under_prometheus_feeds_every_panel_and_makes_the_alerts_true(tmp_path):
    started = time.monotonic()
    demo_log = tmp_path / "demo.log"
    with open(demo_log, "wb") as log:
        demo = subprocess.Popen([BIN, "demo", "--demo.port-base", "0", "--web.listen-address", "127.0.0.1:0"],
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        port = wait_for_listening(demo, demo_log, DEMO_LISTENING_DEADLINE)
        instance = f"127.0.0.1:{port}"
        prom = promstack.Prometheus.start(target=instance, job=JOB, interval="1s", ready_deadline=30)
        try:
            # The only target is the demo, healthy.
            target = prom.wait_for_target_up(JOB, deadline=TARGET_UP_DEADLINE)
            assert target["labels"]["instance"] == instance
            assert target["scrapeUrl"] == f"http://{instance}/metrics"
            prom.wait_for(lambda: prom.query_value(f'up{{job="{JOB}"}}') == 1, deadline=TARGET_UP_DEADLINE,
                          what=f'up{{job="{JOB}"}} == 1')

            # Every shipped rule loaded and evaluated without error against real exporter data.
            groups = prom.wait_for_rule_evaluations(deadline=RULES_DEADLINE)
            loaded = {rule["name"] for group in groups for rule in group["rules"]}
            expressions = promstack.alert_expressions()
            assert set(expressions) <= loaded, f"alerts not loaded: {set(expressions) - loaded}"
            assert rule_problems(groups) == []

            # Controls, so the checks below cannot pass vacuously: a series the demo does not have
            # is "no data", and an alert the demo never causes (no reload happens) is never true.
            assert poll_queries(prom, {"control": 'zmq_socket_info{socket="no-such-socket"}'}, 1.0)
            assert prom.query(f"max_over_time(({expressions['ZeroMQConfigReloadFailed']})[5m:1s])") == []

            # Every panel query returns data with the variables filled in.
            silent = poll_queries(prom, panel_queries(instance), PANELS_DEADLINE)
            assert silent == {}, "dashboard queries without data after the deadline:\n" + \
                "\n".join(f"  {name}: {expr}" for name, expr in silent.items())
            print(f"every panel query had data {time.monotonic() - started:.1f} s after the demo started")

            # The handshake failures panel shows the CURVE tap's ZAP refusals under their own reason.
            handshake = [expr for name, expr in panel_queries(instance).items() if name.startswith("panel 'Handshake failures'")]
            assert len(handshake) == 1, handshake
            prom.wait_for(lambda: any(series["metric"].get("socket") == "reports" and series["metric"].get("reason") == "zap_400"
                                      for series in prom.query(handshake[0])),
                          deadline=PANELS_DEADLINE, what="zap_400 on reports in the handshake failures panel")

            # After the faults: each required alert expression was true at some second of the run,
            # and Prometheus' own rule evaluation saw it (the alert became at least pending).
            conditions = {}
            for alert, expr in expressions.items():
                conditions[f"expr {alert}"] = f"max_over_time(({expr})[5m:1s])"
                conditions[f"ALERTS {alert}"] = f'max_over_time(ALERTS{{alertname="{alert}"}}[5m])'
            wanted = {name for names in REQUIRED_ALERT_GROUPS.values() for alert in names
                      for name in (f"expr {alert}", f"ALERTS {alert}")}

            end = time.monotonic() + ALERTS_DEADLINE
            seen: set[str] = set()
            def groups_met() -> bool:
                seen.update(name for name, expr in conditions.items()
                            if name in wanted and name not in seen and prom.query(expr))
                return all(any({f"expr {a}", f"ALERTS {a}"} <= seen for a in names)
                           for names in REQUIRED_ALERT_GROUPS.values())
            while not groups_met() and time.monotonic() < end:
                time.sleep(0.5)
            missing = [group for group, names in REQUIRED_ALERT_GROUPS.items()
                       if not any({f"expr {a}", f"ALERTS {a}"} <= seen for a in names)]
            assert missing == [], (f"after {ALERTS_DEADLINE:.0f} s these alerts were never true: {missing}; "
                                   f"true: {sorted(seen)}")

            # Informational: every alert expression the demo made true, and the rules still healthy.
            true_now = sorted(name[5:] for name, expr in conditions.items()
                              if name.startswith("expr ") and prom.query(expr))
            print(f"alert expressions true during the run: {true_now}")
            assert rule_problems(prom.rules()) == []
        finally:
            prom.stop(grace=STOP_GRACE)
            assert prom.process.poll() is not None
    finally:
        stop_by_pid(demo)
    assert demo.returncode == 0, f"the demo exited with {demo.returncode}:\n{demo_log.read_text(errors='replace')[-3000:]}"
    print(f"end-to-end run took {time.monotonic() - started:.1f} s")

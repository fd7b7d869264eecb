"""The whole alert path (issue 14, point 9): the demo, the real Prometheus with this repository's
rules, the real Alertmanager with this repository's alertmanager.yml (its receivers pointed at a
webhook server in this test), and the demo's scheduled probe failure arriving as a firing
ZeroMQProbeFailing with its labels, summary and a runbook link that answers, then as resolved.

The rendered copies differ from the shipped files only in timing: 1 s scrapes and evaluations,
ZeroMQProbeFailing's `for` cut from 2m to 1s (the demo's service is silent for about 7 s of each
36 s cycle), and 1 s group_wait/group_interval. Ports: the webhook binds port 0; Prometheus and
Alertmanager take ports that were free a moment ago (promstack.free_port). Every process is
stopped by its PID; every wait has a deadline.
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

import promstack
from test_agent import wait_until
from test_prometheus_e2e import BIN, REPO, stop_by_pid, wait_for_listening

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
DEADLINE = 150.0


class Webhook:
    """Collects the notifications Alertmanager posts."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def alerts(self, name: str, status: str) -> list[dict]:
        return [alert for _, message in list(self.received) for alert in message["alerts"]
                if alert["labels"].get("alertname") == name and alert["status"] == status]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def rendered_rules(workdir: Path) -> Path:
    rules = yaml.safe_load((REPO / "alerts" / "zeromq.rules.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "ZeroMQProbeFailing":
                rule["for"] = "1s"
    path = workdir / "zeromq.rules.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    return path


def rendered_alertmanager(workdir: Path, webhook: str) -> Path:
    config = yaml.safe_load((REPO / "alertmanager.yml").read_text())
    config["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook + "/" + receiver["name"]
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.mark.skipif(not ALERTMANAGER, reason="prometheus-alertmanager is not installed (scripts/ensure-deps.sh test)")
def test_the_demos_probe_failure_reaches_a_webhook_firing_then_resolved(tmp_path):
    started = time.monotonic()
    webhook = Webhook()
    am_port = promstack.free_port()
    am_dir = Path(tempfile.mkdtemp(prefix="alertmanager-", dir=tmp_path))
    with open(tmp_path / "alertmanager.log", "wb") as log:
        alertmanager = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={rendered_alertmanager(tmp_path, webhook.url)}",
             f"--storage.path={am_dir}", f"--web.listen-address=127.0.0.1:{am_port}",
             "--cluster.listen-address=", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    demo_log = tmp_path / "demo.log"
    with open(demo_log, "wb") as log:
        demo = subprocess.Popen([BIN, "demo", "--demo.port-base", "0", "--web.listen-address", "127.0.0.1:0"],
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    prom = None
    try:
        def am_ready():
            assert alertmanager.poll() is None, (tmp_path / "alertmanager.log").read_text()
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{am_port}/-/ready", timeout=2).status == 200
            except OSError:
                return False
        wait_until("alertmanager ready", am_ready, timeout=30, interval=0.2)
        instance = f"127.0.0.1:{wait_for_listening(demo, demo_log, 20)}"
        config = promstack.render_config(instance, interval="1s", rule_files=[str(rendered_rules(tmp_path))],
                                         alertmanager=f"127.0.0.1:{am_port}")
        prom = promstack.Prometheus.start(config=config, ready_deadline=30)

        firing = wait_until("a firing ZeroMQProbeFailing at the webhook",
                            lambda: webhook.alerts("ZeroMQProbeFailing", "firing"), timeout=DEADLINE, interval=0.2)[0]
        labels, annotations = firing["labels"], firing["annotations"]
        assert labels["socket"] == "service-probe" and labels["severity"] == "critical", labels
        assert labels["instance"] == instance and labels["job"] == "zeromq", labels
        assert annotations["summary"] == "A ZeroMQ service does not answer its probe.", annotations
        assert annotations["runbook_url"] == f"http://{instance}/runbooks#zeromqprobefailing", annotations
        with urllib.request.urlopen(annotations["runbook_url"], timeout=10) as response:
            assert response.status == 200 and 'id="zeromqprobefailing"' in response.read().decode()
        # Routed by severity: critical goes to the pager receiver.
        assert any(path == "/pager" for path, message in webhook.received
                   if any(a["labels"].get("alertname") == "ZeroMQProbeFailing" for a in message["alerts"]))

        resolved = wait_until("the same alert resolved at the webhook", lambda: webhook.alerts("ZeroMQProbeFailing", "resolved"),
                              timeout=DEADLINE - (time.monotonic() - started), interval=0.2)[0]
        assert resolved["labels"] == labels
        print(f"\nfiring then resolved at the webhook {time.monotonic() - started:.1f} s after the start")
    finally:
        if prom is not None:
            prom.stop(grace=8)
        stop_by_pid(demo)
        stop_by_pid(alertmanager)
        webhook.stop()

"""A real Prometheus for system tests: config from the shipped prometheus.yml, start/stop by PID,
HTTP API queries, and the dashboard's panel queries with Grafana variables substituted.

Typical end-to-end use (the exporter already listening on 127.0.0.1:EXPORTER_PORT):

    with promstack.Prometheus.start(target=f"127.0.0.1:{EXPORTER_PORT}") as prom:
        prom.wait_for_target_up("zeromq", deadline=20)
        prom.wait_for(lambda: prom.query('zmq_probe_success == 0'), deadline=90)
        for panel, ref, expr in promstack.dashboard_queries(job="zeromq", instance=".+"):
            prom.query(expr)  # raises PrometheusError on a bad query

Every wait has a deadline; the process is stopped by its PID (SIGTERM, then SIGKILL) and its
temporary storage removed, also when a test fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_YML = REPO / "prometheus.yml"
ALERTS_DIR = REPO / "alerts"
DASHBOARD = REPO / "dashboards" / "zeromq-overview.json"

# The metric families the exporter promises (the contract in its MetricCatalog); rules and
# dashboards may use nothing else besides `up`, `ALERTS` and the recording rules they define.
CONTRACT_METRICS = {
    "zmq_socket_info": "gauge",
    "zmq_socket_endpoint_info": "gauge",
    "zmq_socket_expected_peers": "gauge",
    "zmq_socket_up": "gauge",
    "zmq_socket_setup_errors_total": "counter",
    "zmq_socket_events_total": "counter",
    "zmq_socket_connections": "gauge",
    "zmq_socket_connection_duration_seconds": "histogram",
    "zmq_socket_handshake_failures_total": "counter",
    "zmq_socket_messages_received_total": "counter",
    "zmq_socket_messages_sent_total": "counter",
    "zmq_socket_received_bytes_total": "counter",
    "zmq_socket_sent_bytes_total": "counter",
    "zmq_socket_send_failures_total": "counter",
    "zmq_tap_messages_total": "counter",
    "zmq_tap_decode_errors_total": "counter",
    "zmq_tap_label_values_dropped_total": "counter",
    "zmq_tap_message_age_seconds": "histogram",
    "zmq_tap_last_message_timestamp_seconds": "gauge",
    "zmq_probe_success": "gauge",
    "zmq_probe_duration_seconds": "histogram",
    "zmq_probe_attempts_total": "counter",
    "zmq_probe_last_success_timestamp_seconds": "gauge",
    # Served by /probe only (one probe of a target).
    "zmq_probe_target_duration_seconds": "gauge",
    "zmq_probe_target_connect_seconds": "gauge",
    "zmq_probe_target_result": "gauge",
    "zmq_probe_target_events": "gauge",
    "zmq_probe_target_handshake_failures": "gauge",
    "zmq_proxy_request_duration_seconds": "histogram",
    "zmq_proxy_requests_in_flight": "gauge",
    "zmq_proxy_requests_unanswered_total": "counter",
    "zmq_proxy_subscriptions": "gauge",
    "zmq_exporter_build_info": "gauge",
    "zmq_exporter_config_last_reload_successful": "gauge",
    "zmq_exporter_config_last_reload_success_timestamp_seconds": "gauge",
    "zmq_exporter_http_requests_total": "counter",
    "zmq_exporter_http_requests_in_flight": "gauge",
    "zmq_exporter_scrape_render_seconds": "gauge",
    # Only with --web.config.file (docs/security.md).
    "zmq_exporter_http_auth_failures_total": "counter",
    "zmq_exporter_tls_handshake_failures_total": "counter",
    "zmq_exporter_http_rate_limited_total": "counter",
    "zmq_exporter_tls_certificate_expiry_timestamp_seconds": "gauge",
    "zmq_exporter_web_config_last_reload_successful": "gauge",
    # Only with a CURVE server socket (docs/curve.md).
    "zmq_exporter_zap_requests_total": "counter",
    "zmq_app_process_up": "gauge",
    "zmq_app_monitor_events_dropped_total": "counter",
    "zmq_app_sockets_unmonitored": "gauge",
    "zmq_exporter_preload_files": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_virtual_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_max_fds": "gauge",
    "process_start_time_seconds": "gauge",
}


def contract_series_names() -> set[str]:
    """Every series name the contract exposes: a histogram only as its _bucket, _sum and _count
    series (its bare name selects nothing, the mistake of comparing a histogram to a number)."""
    names = set()
    for name, kind in CONTRACT_METRICS.items():
        if kind == "histogram":
            names.update({name + "_bucket", name + "_sum", name + "_count"})
        else:
            names.add(name)
    return names


class PrometheusError(RuntimeError):
    """Prometheus did not start, answered with an error, or a wait ran out of time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_config(target: str, *, job: str = "zeromq", interval: str = "1s",
                  rule_files: Optional[list[str]] = None, alertmanager: Optional[str] = None,
                  source: Path = PROMETHEUS_YML) -> dict[str, Any]:
    """The shipped prometheus.yml for a test: `job` scrapes only `target` ("host:port"), scrape and
    rule evaluation every `interval`, rule_files as absolute paths (default: the shipped
    alerts/*.yml), and the alerting block dropped unless `alertmanager` ("host:port") is given.

    Raises PrometheusError when the shipped file has no scrape job named `job`.
    """
    config = yaml.safe_load(source.read_text())
    config.setdefault("global", {})
    config["global"]["scrape_interval"] = interval
    config["global"]["evaluation_interval"] = interval
    config["global"]["scrape_timeout"] = interval
    jobs = [c for c in config.get("scrape_configs", []) if c.get("job_name") == job]
    if not jobs:
        raise PrometheusError(f"{source}: no scrape job named {job!r}")
    for scrape in jobs:
        scrape["scrape_interval"] = interval
        scrape["scrape_timeout"] = interval
        scrape["static_configs"] = [{"targets": [target]}]
    config["scrape_configs"] = jobs
    config["rule_files"] = rule_files if rule_files is not None else [str(ALERTS_DIR / "*.yml")]
    if alertmanager is None:
        config.pop("alerting", None)
    else:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    return config


class Prometheus:
    """One prometheus process on 127.0.0.1 with its own port, config file and storage directory."""

    def __init__(self, process: subprocess.Popen, port: int, workdir: Path):
        self.process = process
        self.port = port
        self.workdir = workdir
        self.base_url = f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def address(self) -> str:
        """host:port of this Prometheus (e.g. to make it scrape itself)."""
        return f"127.0.0.1:{self.port}"

    @classmethod
    def start(cls, target: Optional[str] = None, *, config: Optional[dict[str, Any]] = None,
              port: Optional[int] = None, ready_deadline: float = 30.0, binary: str = "prometheus",
              **render_args: Any) -> "Prometheus":
        """Starts prometheus and waits until /-/ready answers 200.

        Pass `target` to render the shipped config for it (see render_config, whose keyword
        arguments are accepted), or a ready `config` dict; with neither, Prometheus scrapes itself.
        Raises PrometheusError (with the end of its log) if it exits or is not ready in time.
        """
        if shutil.which(binary) is None:
            raise PrometheusError(f"{binary} not found on PATH (scripts/ensure-deps.sh installs it)")
        port = port or free_port()
        if config is None:
            config = render_config(target or f"127.0.0.1:{port}", **render_args)
        workdir = Path(tempfile.mkdtemp(prefix="promstack-"))
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        log = open(workdir / "prometheus.log", "wb")
        try:
            process = subprocess.Popen(
                [binary, f"--config.file={config_path}", f"--web.listen-address=127.0.0.1:{port}",
                 f"--storage.tsdb.path={workdir / 'data'}", "--web.enable-lifecycle",
                 "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
        finally:
            log.close()
        prom = cls(process, port, workdir)
        try:
            prom.wait_ready(ready_deadline)
        except BaseException:
            prom.stop()
            raise
        return prom

    def log_tail(self, limit: int = 4000) -> str:
        try:
            return (self.workdir / "prometheus.log").read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def wait_ready(self, deadline: float = 30.0) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise PrometheusError(f"prometheus exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise PrometheusError(f"prometheus not ready after {deadline} s:\n{self.log_tail()}")

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to our PID, SIGKILL after `grace` seconds; removes the storage directory."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=grace)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Prometheus":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # HTTP API

    def api(self, path: str, params: Optional[dict[str, Any]] = None, timeout: float = 10.0) -> Any:
        """GET /api/v1/<path>; returns `data`, raises PrometheusError on an error status."""
        url = f"{self.base_url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            try:
                body = json.load(error)
            except ValueError:
                raise PrometheusError(f"{url}: HTTP {error.code}") from None
        if body.get("status") != "success":
            raise PrometheusError(f"{url}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: Optional[float] = None) -> list[dict[str, Any]]:
        """Instant query; the result vector (a scalar comes back as one sample without labels)."""
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = at
        data = self.api("query", params)
        if data["resultType"] == "vector":
            return data["result"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        raise PrometheusError(f"{expr!r}: unexpected result type {data['resultType']}")

    def query_value(self, expr: str) -> Optional[float]:
        """The single sample's value, or None for an empty result."""
        result = self.query(expr)
        if not result:
            return None
        if len(result) > 1:
            raise PrometheusError(f"{expr!r}: {len(result)} series, expected one")
        return float(result[0]["value"][1])

    def rules(self) -> list[dict[str, Any]]:
        """/api/v1/rules groups (each with its rules, health, lastError, lastEvaluation)."""
        return self.api("rules")["groups"]

    def alerts(self) -> list[dict[str, Any]]:
        return self.api("alerts")["alerts"]

    def targets(self) -> list[dict[str, Any]]:
        """/api/v1/targets active targets (labels, health, lastError)."""
        return self.api("targets")["activeTargets"]

    def wait_for(self, condition: Callable[[], Any], deadline: float, poll: float = 0.25,
                 what: str = "condition") -> Any:
        """Calls `condition` until it returns something truthy, which is returned; PrometheusError
        after `deadline` seconds (or if prometheus died)."""
        end = time.monotonic() + deadline
        last_error: Optional[Exception] = None
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise PrometheusError(f"prometheus exited while waiting for {what}:\n{self.log_tail()}")
            try:
                value = condition()
                if value:
                    return value
            except PrometheusError as error:
                last_error = error
            time.sleep(poll)
        raise PrometheusError(f"timed out after {deadline} s waiting for {what}"
                              + (f" (last error: {last_error})" if last_error else ""))

    def wait_for_target_up(self, job: str = "zeromq", deadline: float = 30.0) -> dict[str, Any]:
        def up() -> Any:
            for target in self.targets():
                if target["labels"].get("job") == job and target["health"] == "up":
                    return target
            return None
        return self.wait_for(up, deadline, what=f"a healthy target of job {job}")

    def wait_for_rule_evaluations(self, deadline: float = 30.0) -> list[dict[str, Any]]:
        """Waits until every rule group has been evaluated at least once; returns the groups."""
        def evaluated() -> Any:
            groups = self.rules()
            done = groups and all(not r["lastEvaluation"].startswith("0001-")
                                  for g in groups for r in g["rules"])
            return groups if done else None
        return self.wait_for(evaluated, deadline, what="every rule to be evaluated once")


def alert_expressions(path: Path = ALERTS_DIR / "zeromq.rules.yml") -> dict[str, str]:
    """{alert name: PromQL expression} from the shipped rules, to evaluate an alert's condition
    directly (without waiting out its `for:`), e.g. `prom.query(alert_expressions()["ZeroMQProbeFailing"])`."""
    groups = yaml.safe_load(Path(path).read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"] if "alert" in rule}


# Dashboard queries

GRAFANA_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")


def substitute(expr: str, values: dict[str, str]) -> str:
    """Replaces $var, ${var}, ${var:fmt} and [[var]] from `values`; raises KeyError naming an
    unknown variable so a new one cannot slip through untested."""
    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in values:
            raise KeyError(f"no value for Grafana variable ${name} in {expr!r}")
        return values[name]
    return GRAFANA_VARIABLE.sub(replace, expr)


# The dashboard row of programs run under the preload library (zero-code mode). The demo runs
# none, so the end-to-end demo test leaves this row out and test_seed_system.py feeds it.
PROCESS_ROW = "Processes (zero-code)"


def dashboard_panels(path: Path = DASHBOARD) -> Iterator[dict[str, Any]]:
    """Every panel, rows' nested panels included."""
    for panel in json.loads(Path(path).read_text())["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_panel_rows(path: Path = DASHBOARD) -> Iterator[tuple[str, dict[str, Any]]]:
    """(title of the row a panel sits under, panel) for every panel that is not a row: the panels
    nested in a collapsed row, or those after an open row in the top-level order ("" before any)."""
    row = ""
    for panel in json.loads(Path(path).read_text())["panels"]:
        if panel.get("type") == "row":
            row = panel.get("title", "")
            for nested in panel.get("panels", []):
                yield row, nested
            continue
        yield row, panel


def dashboard_queries(path: Path = DASHBOARD, *, job: str = ".+", instance: str = ".+",
                      socket: str = ".+", process: str = ".+", datasource: str = "prometheus",
                      rate_interval: str = "1m", interval: str = "15s", range_: str = "1h",
                      only_rows: Optional[set[str]] = None,
                      skip_rows: Optional[set[str]] = None) -> list[tuple[str, str, str]]:
    """(panel title, refId, PromQL) for every panel target, variables substituted; with
    `only_rows`/`skip_rows`, only the panels under (or not under) those row titles.

    Values go in verbatim, inside `=~` matchers: pass a regex (`.+` for all, or `re.escape(name)`).
    $__rate_interval, $__interval and $__range become `rate_interval`, `interval` and `range_`.
    """
    values = {"job": job, "instance": instance, "socket": socket, "process": process, "datasource": datasource,
              "__rate_interval": rate_interval, "__interval": interval, "__range": range_,
              "__interval_ms": str(_duration_ms(interval)), "__range_s": str(_duration_ms(range_) // 1000)}
    queries = []
    for row, panel in dashboard_panel_rows(path):
        if (only_rows is not None and row not in only_rows) or (skip_rows is not None and row in skip_rows):
            continue
        for target in panel.get("targets", []):
            if target.get("expr"):
                queries.append((panel["title"], target["refId"], substitute(target["expr"], values)))
    return queries


def _duration_ms(text: str) -> int:
    units = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * units[match.group(2)]

"""Checks over dashboards/zeromq-overview.json: importable into Grafana, a sound layout, every query
through the `datasource` variable and filtered by $job/$instance, only metrics the exporter
exports. Each check is also run on a broken copy to prove it can fail."""

import copy
import json
import re

import promstack

DATASOURCE = "${datasource}"
ROW_TITLES = ["Overview", "Connections", "Traffic", "Latency", "Exporter", promstack.PROCESS_ROW]
STAT_TITLES = ["Sockets", "Connections", "Messages in /s", "Messages out /s", "Probe success", "Alerts firing"]


def load():
    return json.loads(promstack.DASHBOARD.read_text())


def all_panels(dashboard):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def targets(dashboard):
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            yield panel, target


def duplicate_ids(dashboard):
    seen, problems = set(), []
    for panel in all_panels(dashboard):
        if panel.get("id") in seen:
            problems.append(f"panel id {panel.get('id')} ({panel.get('title')!r}) is used twice")
        seen.add(panel.get("id"))
    return problems


def layout_problems(dashboard):
    problems = []
    boxes = []
    for panel in all_panels(dashboard):
        g = panel.get("gridPos")
        if not g or any(not isinstance(g.get(k), int) for k in "xywh"):
            problems.append(f"{panel.get('title')!r}: gridPos must have integer x, y, w, h")
            continue
        if g["x"] < 0 or g["y"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > 24:
            problems.append(f"{panel.get('title')!r}: gridPos {g} is outside the 24-column grid")
        for title, other in boxes:
            if (g["x"] < other["x"] + other["w"] and other["x"] < g["x"] + g["w"]
                    and g["y"] < other["y"] + other["h"] and other["y"] < g["y"] + g["h"]):
                problems.append(f"{panel.get('title')!r} {g} overlaps {title!r} {other}")
        boxes.append((panel.get("title"), g))
    return problems


def datasource_problems(dashboard):
    problems = []
    for panel in all_panels(dashboard):
        if panel["type"] == "row":
            continue
        if (panel.get("datasource") or {}).get("uid") != DATASOURCE:
            problems.append(f"panel {panel.get('title')!r} does not use the datasource variable")
        for target in panel.get("targets", []):
            if (target.get("datasource") or {}).get("uid") != DATASOURCE:
                problems.append(f"panel {panel.get('title')!r} target {target.get('refId')} does not use the datasource variable")
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query" and (var.get("datasource") or {}).get("uid") != DATASOURCE:
            problems.append(f"variable {var['name']} does not use the datasource variable")
    return problems


SELECTOR = re.compile(r"\{([^{}]*)\}")
METRIC = re.compile(r"(?<![\w:$.])([a-zA-Z_:][\w:]*)\s*(\{|\[|\)|$|\s)")
FUNCTIONS_AND_KEYWORDS = {
    "sum", "count", "avg", "min", "max", "rate", "irate", "increase", "histogram_quantile", "time",
    "vector", "by", "without", "on", "ignoring", "group_left", "group_right", "or", "and", "unless",
    "le", "socket", "event", "reason", "code", "instance", "job", "label_values", "process", "pid",
}


def selector_problems(dashboard):
    """No hard-coded job or instance: every selector filters by the $job and $instance variables."""
    problems = []
    for panel, target in targets(dashboard):
        expr = target["expr"]
        where = f"{panel['title']!r} {target['refId']}"
        for body in SELECTOR.findall(expr):
            if 'job=~"$job"' not in body or 'instance=~"$instance"' not in body:
                problems.append(f"{where}: selector {{{body}}} does not filter by job=~\"$job\" and instance=~\"$instance\"")
            for label in ("job", "instance"):
                for m in re.finditer(rf'\b{label}\s*(=~|!=|!~|=)\s*"([^"]*)"', body):
                    if m.group(2) != f"${label}":
                        problems.append(f"{where}: hard-coded {m.group(0)}")
        # A metric with no selector at all escapes the filters.
        for name, after in METRIC.findall(expr):
            if name in FUNCTIONS_AND_KEYWORDS:
                continue
            if after != "{":
                problems.append(f"{where}: {name} is selected without the $job/$instance filters")
    return problems


def rate_window_problems(dashboard):
    problems = []
    for panel, target in targets(dashboard):
        for window in re.findall(r"\[([^\]]*)\]", target["expr"]):
            if window != "$__rate_interval":
                problems.append(f"{panel['title']!r} {target['refId']}: range [{window}] instead of [$__rate_interval]")
    return problems


def recorded_names():
    import yaml
    rules = yaml.safe_load((promstack.ALERTS_DIR / "zeromq.rules.yml").read_text())
    return {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}


def unknown_metric_problems(dashboard):
    allowed = promstack.contract_series_names() | recorded_names() | {"ALERTS"}
    problems = []
    for panel, target in targets(dashboard):
        for name, after in METRIC.findall(target["expr"]):
            if after == "{" and name not in allowed:
                problems.append(f"{panel['title']!r} {target['refId']}: {name} is not exported by zmq-exporter")
    return problems


ALL_CHECKS = [duplicate_ids, layout_problems, datasource_problems, selector_problems,
              rate_window_problems, unknown_metric_problems]


def test_dashboard_passes_every_check():
    dashboard = load()
    problems = [p for check in ALL_CHECKS for p in check(dashboard)]
    assert problems == []


def test_importable_with_a_prometheus_input_and_fixed_uid():
    dashboard = load()
    assert dashboard["uid"] == "zmq-exporter-overview"
    inputs = dashboard["__inputs"]
    assert any(i["type"] == "datasource" and i["pluginId"] == "prometheus" for i in inputs)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("job", "instance", "socket"):
        assert variables[name]["type"] == "query"
        assert variables[name]["allValue"] == ".+"
    # Each variable narrows by the ones before it.
    assert "$job" in variables["instance"]["query"]
    assert "$job" in variables["socket"]["query"] and "$instance" in variables["socket"]["query"]


def test_has_the_rows_and_panels_the_issue_lists():
    dashboard = load()
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == ROW_TITLES
    stats = [p["title"] for p in dashboard["panels"] if p["type"] == "stat"]
    assert stats == STAT_TITLES
    exprs = {p["title"]: " ".join(t["expr"] for t in p.get("targets", [])) for p in all_panels(dashboard)}
    assert 'ALERTS{alertstate="firing"' in exprs["Alerts firing"]
    assert "zmq_socket_expected_peers" in exprs["Connections vs expected"]
    for title, metric in [("Proxy request duration", "zmq_proxy_request_duration_seconds_bucket"),
                          ("Probe round trip", "zmq_probe_duration_seconds_bucket"),
                          ("Tap message age", "zmq_tap_message_age_seconds_bucket")]:
        for q in ("0.5", "0.95", "0.99"):
            assert f"histogram_quantile({q}, sum by (socket, le) (rate({metric}" in exprs[title]
    heatmaps = [p for p in all_panels(dashboard) if p["type"] == "heatmap"]
    assert heatmaps and all(t["format"] == "heatmap" and "_bucket" in t["expr"]
                            for p in heatmaps for t in p["targets"])
    for title, metric in [("Scrape requests by code", "zmq_exporter_http_requests_total"),
                          ("CPU", "process_cpu_seconds_total"), ("Memory", "process_resident_memory_bytes"),
                          ("Open file descriptors", "process_open_fds")]:
        assert metric in exprs[title]


def test_the_process_row_shows_watched_programs_by_process_pid_and_socket():
    """Programs run under the preload library: rates, connections, handshake failures and up, each
    by process and pid (two instances of one program stay apart), filtered by $process. Its
    queries are run against a real agent and Prometheus in test_seed_system.py."""
    dashboard = load()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    process = variables["process"]
    assert process["type"] == "query" and process["multi"] and process["includeAll"] and process["allValue"] == ".+"
    assert process["query"].startswith("label_values(zmq_app_process_up{") and process["query"].endswith(", process)")
    assert '$job' in process["query"] and '$instance' in process["query"]
    rows = [title for title, _ in promstack.dashboard_panel_rows()]
    row = [panel for title, panel in promstack.dashboard_panel_rows() if title == promstack.PROCESS_ROW]
    assert rows[-len(row):] == [promstack.PROCESS_ROW] * len(row)
    exprs = {p["title"]: " ".join(t["expr"] for t in p["targets"]) for p in row}
    assert set(exprs) == {"Messages per process and socket", "Connections per process and socket",
                          "Handshake failures per process and socket", "Processes up"}
    for title, expr in exprs.items():
        assert 'process=~"$process"' in expr, title
        assert "by (process, pid" in expr, title
    assert "zmq_socket_messages_received_total" in exprs["Messages per process and socket"]
    assert "zmq_socket_messages_sent_total" in exprs["Messages per process and socket"]
    assert "zmq_socket_connections" in exprs["Connections per process and socket"]
    assert "zmq_socket_handshake_failures_total" in exprs["Handshake failures per process and socket"]
    assert "zmq_app_process_up" in exprs["Processes up"]
    # The rows above do not filter by $process: the agent's own sockets have no process label.
    others = [p for title, p in promstack.dashboard_panel_rows() if title != promstack.PROCESS_ROW]
    assert not any("$process" in t["expr"] for p in others for t in p.get("targets", []))


def test_panel_queries_substitute_to_plain_promql():
    queries = promstack.dashboard_queries(job="zeromq", instance=".+", socket="work\\.backend")
    assert len(queries) == sum(1 for _ in targets(load()))
    for title, ref, expr in queries:
        assert "$" not in expr, (title, ref, expr)
    assert any('socket=~"work\\.backend"' in expr and "[1m]" in expr for _, _, expr in queries)


def test_substitute_refuses_unknown_variables():
    try:
        promstack.substitute('up{cluster=~"$cluster"}', {"job": "x"})
    except KeyError as error:
        assert "$cluster" in str(error)
    else:
        raise AssertionError("an unknown variable was left in the query")


def test_checks_catch_a_broken_dashboard():
    broken = copy.deepcopy(load())
    panels = [p for p in broken["panels"] if p["type"] != "row"]
    first, second = panels[0], panels[1]
    second["id"] = first["id"]
    second["gridPos"] = dict(first["gridPos"])
    first["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    first["targets"][0]["expr"] = 'sum(rate(zmq_socket_connections{job="zeromq", instance=~"$instance"}[5m])) + zmq_socket_latency'
    assert duplicate_ids(broken)
    assert layout_problems(broken)
    assert datasource_problems(broken)
    problems = selector_problems(broken)
    assert any('hard-coded job="zeromq"' in p for p in problems)
    assert any("zmq_socket_latency is selected without" in p for p in problems)
    assert rate_window_problems(broken)
    first["targets"][0]["expr"] = 'zmq_proxy_request_duration_seconds{job=~"$job", instance=~"$instance"} > 1'
    assert unknown_metric_problems(broken)

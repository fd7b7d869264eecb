"""deploy/compose/compose.yaml and what it mounts, checked without a Docker engine.

Proves: the file is valid against the Compose Specification's JSON Schema (the copy vendored in
check-jsonschema, `--builtin-schema vendor.compose-spec`), and the validator rejects a broken
copy; every bind-mounted host path and the build context exist; published host ports are unique;
Grafana's provisioning files parse and carry the keys Grafana needs, pointing at the Prometheus
service and at the folder where the dashboard is mounted; the Prometheus config, laid out as the
container sees it (mount targets rebuilt in a temp root), passes `promtool check config` with the
shipped rules, and differs from the repository's prometheus.yml only in its targets; the
Alertmanager config passes amtool. Cannot prove here: that the images pull and the stack comes up
(no Docker engine), or that Grafana accepts the files (its own parser is not installed)."""

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploykit import DEPLOY, REPO

COMPOSE_DIR = DEPLOY / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def bind_mounts(service: dict) -> list[tuple[Path, str]]:
    """(host path, container path) of each bind mount (short syntax: a host path starts with . or /)."""
    mounts = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append(((COMPOSE_DIR / source).resolve(), target))
    return mounts


def check_jsonschema(path: Path):
    tool = shutil.which("check-jsonschema")
    if not tool:
        pytest.skip("check-jsonschema is not installed (scripts/ensure-deps.sh test installs it)")
    return subprocess.run([tool, "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_compose_file_matches_the_compose_specification():
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_file(tmp_path):
    broken = compose()
    broken["services"]["demo"]["portz"] = broken["services"]["demo"].pop("ports")
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = check_jsonschema(path)
    assert result.returncode != 0 and "portz" in result.stdout + result.stderr


def test_services_are_the_demo_and_its_monitoring_stack():
    services = compose()["services"]
    assert set(services) == {"demo", "prometheus", "alertmanager", "grafana"}
    demo = services["demo"]
    assert demo["command"][0] == "demo"
    assert (COMPOSE_DIR / demo["build"]["context"] / demo["build"]["dockerfile"]).resolve() == \
        DEPLOY / "docker" / "Dockerfile"


def test_every_mounted_file_exists():
    mounts = [m for service in compose()["services"].values() for m in bind_mounts(service)]
    assert len(mounts) >= 6
    for host, target in mounts:
        assert host.exists(), f"{host} (mounted at {target}) does not exist"


def test_published_ports_are_unique():
    published = [str(p).split(":")[0] for s in compose()["services"].values() for p in s.get("ports", [])]
    assert published and len(published) == len(set(published)), published


def test_shipped_files_are_mounted_unchanged():
    mounted = {host: target for s in compose()["services"].values() for host, target in bind_mounts(s)}
    assert mounted[REPO / "alerts"] == "/etc/prometheus/alerts"
    assert mounted[REPO / "alertmanager.yml"] == "/etc/alertmanager/alertmanager.yml"
    assert mounted[REPO / "dashboards" / "zeromq-overview.json"].startswith("/var/lib/grafana/dashboards/")


def provisioning(kind: str) -> tuple[dict, str]:
    mounts = bind_mounts(compose()["services"]["grafana"])
    host, target = next((h, t) for h, t in mounts if t.startswith(f"/etc/grafana/provisioning/{kind}/"))
    return yaml.safe_load(host.read_text()), target


def test_grafana_datasource_provisioning_points_at_prometheus():
    config, _ = provisioning("datasources")
    assert config["apiVersion"] == 1
    (source,) = config["datasources"]
    for key in ("name", "type", "access", "url"):
        assert source[key], key
    assert source["type"] == "prometheus" and source["isDefault"] is True
    service = compose()["services"]["prometheus"]
    assert source["url"] == "http://prometheus:9090" and "9090:9090" in service["ports"]


def test_grafana_dashboard_provisioning_loads_the_mounted_dashboard():
    config, _ = provisioning("dashboards")
    assert config["apiVersion"] == 1
    (provider,) = config["providers"]
    for key in ("name", "type", "options"):
        assert provider[key], key
    assert provider["type"] == "file"
    mounts = dict((t, h) for h, t in bind_mounts(compose()["services"]["grafana"]))
    dashboard = mounts[provider["options"]["path"] + "/zeromq-overview.json"]
    assert dashboard == REPO / "dashboards" / "zeromq-overview.json"


def container_root(service: str, root: Path) -> Path:
    """The service's bind mounts copied to their container paths under `root`."""
    for host, target in bind_mounts(compose()["services"][service]):
        destination = root / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if host.is_dir() else shutil.copy)(host, destination)
    return root


def test_prometheus_config_passes_promtool_as_mounted(tmp_path):
    assert shutil.which("promtool"), "promtool is not installed (scripts/ensure-deps.sh test installs it)"
    root = container_root("prometheus", tmp_path)
    config = root / "etc/prometheus/prometheus.yml"
    result = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout, result.stdout


def test_prometheus_config_is_the_shipped_one_with_service_names():
    shipped = yaml.safe_load((REPO / "prometheus.yml").read_text())
    ours = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text())
    services = compose()["services"]
    assert ours["scrape_configs"][0]["static_configs"] == [{"targets": ["demo:10027"]}]
    assert "10027:10027" in services["demo"]["ports"]
    assert ours["alerting"]["alertmanagers"][0]["static_configs"] == [{"targets": ["alertmanager:9093"]}]
    assert "9093:9093" in services["alertmanager"]["ports"]
    expected = copy.deepcopy(shipped)
    expected["scrape_configs"][0]["static_configs"] = ours["scrape_configs"][0]["static_configs"]
    expected["alerting"] = ours["alerting"]
    assert ours == expected


def test_alertmanager_config_passes_amtool(tmp_path):
    assert shutil.which("amtool"), "amtool is not installed (scripts/ensure-deps.sh test installs it)"
    root = container_root("alertmanager", tmp_path)
    result = subprocess.run(["amtool", "check-config", str(root / "etc/alertmanager/alertmanager.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr

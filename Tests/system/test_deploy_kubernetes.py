"""deploy/kubernetes/, checked without a cluster.

Proves: every built-in manifest, and the whole `kubectl kustomize` output, passes
kubernetes-validate's strict schemas (unknown fields rejected) for Kubernetes 1.30 and the newest
version it knows, and a misspelt field is rejected; the PodMonitor and PrometheusRule validate
against the Prometheus Operator's schemas (vendored in fixtures/prometheus-operator/, generated
from a PyPI package of the operator's CRD types; unknown fields rejected there too); the
PrometheusRule is exactly what gen-prometheusrule.py makes of alerts/zeromq.rules.yml; every pod
runs non-root with a read-only root, no capabilities and RuntimeDefault seccomp (the one
documented exception: the DaemonSet's init container is root, still with no capability); agents
have /-/healthy and /-/ready probes and memory requests and limits at least BENCHMARKS.md's
footprints; the preload folder is one path throughout; the config-reloader's own script, run by
busybox as its image would, makes a real agent reload when the file changes. Cannot prove here:
scheduling, image pulls, the kubelet's ConfigMap propagation, hostPath permissions on a node, or
the operator picking up the resources (no cluster)."""

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from deploykit import BIN, DEPLOY, REPO, agent, http_status
from test_agent import stop_process, wait_until

K8S = DEPLOY / "kubernetes"
FIXTURES = Path(__file__).parent / "fixtures" / "prometheus-operator"
OPERATOR_KINDS = {"PodMonitor", "PrometheusRule"}
AGENT_IMAGE = "zmq-exporter"


def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def documents() -> list[tuple[str, dict]]:
    """(file name, resource) for every resource the kustomization lists."""
    found = []
    for name in kustomization()["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            if doc:
                found.append((name, doc))
    return found


def workloads() -> list[dict]:
    return [doc for _, doc in documents() if doc["kind"] in ("Deployment", "DaemonSet")]


def kubernetes_validate():
    try:
        import kubernetes_validate as kv
    except ImportError:
        pytest.skip("kubernetes-validate is not installed (scripts/ensure-deps.sh test installs it)")
    return kv


def versions(kv) -> list[str]:
    return ["1.30.0", kv.latest_version()]


# --- schemas ---------------------------------------------------------------------------------

def test_kustomization_resources_exist_and_parse():
    names = kustomization()["resources"]
    assert sorted(names) == sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert len(documents()) == len(names)


def test_kubectl_kustomize_builds_it():
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed (not in Debian 12); the resources were checked to exist and parse")
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert len(built) == len(documents())
    assert all(d["metadata"].get("namespace") == "zeromq" for d in built if d["kind"] != "Namespace")
    kv = kubernetes_validate()
    for doc in built:
        if doc["kind"] not in OPERATOR_KINDS:
            kv.validate(doc, kv.latest_version(), strict=True)


def test_builtin_resources_pass_strict_kubernetes_schemas():
    kv = kubernetes_validate()
    checked = 0
    for name, doc in documents():
        if doc["kind"] in OPERATOR_KINDS:
            continue
        for version in versions(kv):
            try:
                kv.validate(doc, version, strict=True)
            except kv.ValidationError as error:
                pytest.fail(f"{name} ({doc['kind']}) against {version}: {error}")
        checked += 1
    assert checked == len(documents()) - len(OPERATOR_KINDS)


def test_strict_schema_rejects_a_misspelt_field():
    kv = kubernetes_validate()
    (daemonset,) = [d for d in workloads() if d["kind"] == "DaemonSet"]
    broken = json.loads(json.dumps(daemonset))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesytem"] = True
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, kv.latest_version(), strict=True)


def operator_schema(kind: str) -> dict:
    """The vendored schema with unknown fields refused at every object level (the operator's API
    server prunes unknown fields silently; a typo should fail here instead)."""
    schema = json.loads((FIXTURES / f"{kind.lower()}.schema.json").read_text())

    def strict(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            # Go's regexp takes a flag group after ^; Python's re wants global flags first.
            if isinstance(node.get("pattern"), str) and node["pattern"].startswith("^(?i)"):
                node["pattern"] = "(?i)^" + node["pattern"][5:]
            for value in node.values():
                strict(value)
        elif isinstance(node, list):
            for value in node:
                strict(value)
    strict(schema)
    return schema


@pytest.mark.parametrize("kind", sorted(OPERATOR_KINDS))
def test_operator_resources_match_the_operator_schemas(kind):
    import jsonschema
    (doc,) = [d for _, d in documents() if d["kind"] == kind]
    assert doc["apiVersion"] == "monitoring.coreos.com/v1"
    jsonschema.validate(doc, operator_schema(kind))


def test_operator_schema_rejects_a_wrong_podmonitor():
    import jsonschema
    (doc,) = [d for _, d in documents() if d["kind"] == "PodMonitor"]
    for mutate in (lambda d: d["spec"]["podMetricsEndpoints"][0].update(prot="metrics"),
                   lambda d: d["spec"]["podMetricsEndpoints"][0].update(interval="15 seconds")):
        broken = json.loads(json.dumps(doc))
        mutate(broken)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, operator_schema("PodMonitor"))


def test_prometheusrule_is_generated_from_the_shipped_rules():
    result = subprocess.run([sys.executable, K8S / "gen-prometheusrule.py", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rule = yaml.safe_load((K8S / "prometheusrule.yaml").read_text())
    assert rule["spec"]["groups"] == yaml.safe_load((REPO / "alerts" / "zeromq.rules.yml").read_text())["groups"]


def test_podmonitor_scrapes_the_agents_as_job_zeromq():
    (monitor,) = [d for _, d in documents() if d["kind"] == "PodMonitor"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    endpoint = monitor["spec"]["podMetricsEndpoints"][0]
    assert {"targetLabel": "job", "replacement": "zeromq", "action": "replace"} in endpoint["relabelings"]
    for workload in workloads():
        pod = workload["spec"]["template"]
        ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
        scraped = selector.items() <= pod["metadata"]["labels"].items()
        assert scraped == (endpoint["port"] in ports), workload["metadata"]["name"]


# --- pods ------------------------------------------------------------------------------------

# Root, with every capability dropped: the kubelet creates the hostPath folder as root, and only
# its owner may chmod it without CAP_FOWNER (daemonset.yaml says why).
ROOT_EXCEPTIONS = {("zmq-exporter-node", "prepare-preload-dir")}


def containers(workload: dict) -> list[dict]:
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def test_every_container_is_locked_down():
    for workload in workloads():
        name = workload["metadata"]["name"]
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in containers(workload):
            context = container["securityContext"]
            where = f"{name}/{container['name']}"
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            if (name, container["name"]) in ROOT_EXCEPTIONS:
                assert context["runAsUser"] == 0 and context["runAsNonRoot"] is False
            else:
                assert context.get("runAsNonRoot", True) is True and context["runAsUser"] > 0, where


def benchmark_mib(row: str) -> float:
    """A median in MiB from BENCHMARKS.md's latest table."""
    text = (REPO / "BENCHMARKS.md").read_text()
    match = re.search(r"\| 5 \| " + re.escape(row) + r" \| ([\d.]+) \|", text)
    assert match, f"BENCHMARKS.md has no row {row!r}"
    return float(match.group(1))


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
    return int(number) * (1024 if unit == "Gi" else 1)


def agent_containers():
    for workload in workloads():
        for container in workload["spec"]["template"]["spec"]["containers"]:
            if container["image"].split(":")[0] == AGENT_IMAGE:
                yield workload, container


def test_agents_have_probes_and_resources_from_the_benchmarks():
    found = list(agent_containers())
    assert {w["kind"] for w, _ in found} == {"Deployment", "DaemonSet"}
    for workload, container in found:
        assert container["livenessProbe"]["httpGet"] == {"path": "/-/healthy", "port": "metrics"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/-/ready", "port": "metrics"}
        resources = container["resources"]
        assert mebibytes(resources["requests"]["memory"]) >= 2 * benchmark_mib("agent RSS, examples/demo.yml")
        assert mebibytes(resources["limits"]["memory"]) >= 1.25 * benchmark_mib("agent RSS, 1000 idle taps")
        assert "cpu" not in resources["limits"], "a CPU limit throttles taps and delays scrapes"
        assert "--config.file=/etc/zmq-exporter/config.yml" in container["args"]


def test_preload_folder_is_one_path():
    (preload,) = [d for _, d in documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "zmq-exporter-preload"]
    folder = preload["data"]["ZMQ_EXPORTER_DIR"]
    assert preload["data"]["LD_PRELOAD"].startswith(folder + "/")
    uses = 0
    for workload in workloads():
        pod = workload["spec"]["template"]["spec"]
        hostpaths = {v["name"]: v["hostPath"]["path"] for v in pod.get("volumes", []) if "hostPath" in v}
        for volume, path in hostpaths.items():
            assert path == folder, workload["metadata"]["name"]
            for container in containers(workload):
                for mount in container.get("volumeMounts", []):
                    if mount["name"] == volume:
                        assert mount["mountPath"] == folder
                        assert {"configMapRef": {"name": "zmq-exporter-preload"}} in container["envFrom"]
                        uses += 1
    assert uses == 3  # the init container, the node agent, the application
    (daemonset,) = [d for d in workloads() if d["kind"] == "DaemonSet"]
    assert "--preload.dir=$(ZMQ_EXPORTER_DIR)" in daemonset["spec"]["template"]["spec"]["containers"][0]["args"]
    # The node agent and its init container take the folder from the ConfigMap but must not run
    # under the preload library themselves: `env` overrides `envFrom`.
    for container in containers(daemonset):
        assert {"name": "LD_PRELOAD", "value": ""} in container["env"], container["name"]


def test_image_tag_is_the_version():
    version = subprocess.run([DEPLOY / "version.sh"], capture_output=True, text=True, check=True).stdout.strip()
    (image,) = kustomization()["images"]
    assert image["newTag"] == version
    for workload, container in agent_containers():
        assert container["image"] == f"{AGENT_IMAGE}:{version}", workload["metadata"]["name"]


def test_sidecar_shares_the_pod_with_a_broker():
    (sidecar,) = [d for d in workloads() if d["metadata"]["name"] == "orders-broker"]
    names = [c["name"] for c in sidecar["spec"]["template"]["spec"]["containers"]]
    assert names == ["broker", "zmq-exporter", "config-reloader"]
    broker = sidecar["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "BROKER_URL", "value": "tcp://0.0.0.0:5555"} in broker["env"]
    (config,) = [d for _, d in documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "zmq-exporter-sidecar"]
    assert "tcp://127.0.0.1:5555" in config["data"]["config.yml"]


# --- the config-reloader's script, for real ----------------------------------------------------

def test_config_reloader_script_reloads_a_real_agent(tmp_path):
    busybox = shutil.which("busybox")
    if not busybox:
        pytest.skip("busybox is not installed (scripts/ensure-deps.sh test installs it)")
    assert BIN, "set ZMQ_EXPORTER_BIN to the built zmq-exporter binary"
    (sidecar,) = [d for d in workloads() if d["metadata"]["name"] == "orders-broker"]
    reloader = next(c for c in sidecar["spec"]["template"]["spec"]["containers"] if c["name"] == "config-reloader")
    assert reloader["command"][:2] == ["sh", "-c"]
    script = reloader["command"][2]
    (config_map,) = [d for _, d in documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "zmq-exporter-sidecar"]
    config = tmp_path / "config.yml"
    config.write_text(config_map["data"]["config.yml"])
    applets = tmp_path / "bin"
    applets.mkdir()
    subprocess.run([busybox, "--install", "-s", str(applets)], check=True)
    # The agent as the sidecar manifest runs it: /-/reload needs --web.enable-lifecycle.
    sidecar_args = next(c["args"] for w, c in agent_containers() if w["kind"] == "Deployment")
    assert "--web.enable-lifecycle" in sidecar_args
    with agent(BIN, config, tmp_path, extra=("--web.enable-lifecycle",)) as url:
        wait_until("/-/ready", lambda: http_status(url + "/-/ready") == 200)
        env = {"PATH": str(applets), "CONFIG_FILE": str(config), "RELOAD_URL": url + "/-/reload", "INTERVAL": "0.05"}
        log = tmp_path / "reloader.out"
        with open(log, "w") as out:
            proc = subprocess.Popen([str(applets / "sh"), "-c", script], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            def reloads():
                with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
                    text = response.read().decode()
                return 'zmq_socket_info{socket="second"' in text
            # The script has read the file's first checksum; nothing changed yet.
            wait_until("the reloader's start line", lambda: "config-reloader: watching" in log.read_text())
            assert not reloads()
            # Replaced in one rename, as the kubelet swaps a ConfigMap volume's files.
            changed = tmp_path / "config.yml.new"
            changed.write_text(config.read_text() + "\n" + "\n".join([
                "  - name: second", "    role: probe", "    type: REQ", "    connect: [tcp://127.0.0.1:5556]",
                "    interval: 15s", '    request: "ping"', ""]))
            os.replace(changed, config)
            wait_until("the reloaded config's second socket", reloads, timeout=15)
            wait_until("the reloader's log line", lambda: "config-reloader: reloaded" in log.read_text())
            assert proc.poll() is None, log.read_text()
        finally:
            stop_process(proc)

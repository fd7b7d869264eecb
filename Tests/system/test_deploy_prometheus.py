"""deploy/prometheus/ (sharding and federation) and docs/scaling.md, checked with promtool.

Proves: both configs pass `promtool check config` (the sharded one with the shipped rules);
Prometheus' own relabelling (`promtool check service-discovery`) puts each of 40 targets in
exactly one of the two shards, and neither shard is empty; the remote-write filter keeps the
recording rules and drops raw series; the agent figures docs/scaling.md quotes are those of
BENCHMARKS.md. Cannot prove here: the Prometheus capacity figures docs/scaling.md marks as
assumptions, remote write reaching a store, or federation across real servers."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploykit import DEPLOY, REPO

SHARDING = DEPLOY / "prometheus" / "sharding.yml"
FEDERATION = DEPLOY / "prometheus" / "federation.yml"


def promtool(*args, cwd=None):
    assert shutil.which("promtool"), "promtool is not installed (scripts/ensure-deps.sh test installs it)"
    return subprocess.run(["promtool", *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_sharding_config_passes_promtool_with_the_shipped_rules():
    result = promtool("check", "config", SHARDING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_federation_config_passes_promtool():
    result = promtool("check", "config", FEDERATION)
    assert result.returncode == 0, result.stdout + result.stderr


def shard_config(shard: int, root: Path) -> Path:
    """sharding.yml for `shard`, as its header says to make it, in `root` (rules left out)."""
    config = yaml.safe_load(SHARDING.read_text())
    config.pop("rule_files")
    config["global"]["external_labels"]["shard"] = str(shard)
    keep = config["scrape_configs"][0]["relabel_configs"][1]
    assert keep["action"] == "keep" and keep["regex"] == "0"
    keep["regex"] = str(shard)
    path = root / f"shard-{shard}.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def kept_targets(config: Path) -> set[str]:
    # File discovery answers at once; promtool waits out its --timeout (30 s by default) anyway.
    result = promtool("check", "service-discovery", "--timeout=3s", config.name, "zeromq", cwd=config.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads(result.stdout[result.stdout.index("["):])
    return {t["discoveredLabels"]["__address__"] for t in found if t["labels"]}


def test_hashmod_puts_every_target_in_exactly_one_shard(tmp_path):
    config = yaml.safe_load(SHARDING.read_text())
    hashmod = config["scrape_configs"][0]["relabel_configs"][0]
    assert hashmod["action"] == "hashmod" and hashmod["source_labels"] == ["__address__"]
    modulus = hashmod["modulus"]
    targets = [f"zmq-host-{i:02d}.example:10027" for i in range(40)]
    (tmp_path / "targets").mkdir()
    (tmp_path / "targets" / "zeromq-fleet.json").write_text(json.dumps([{"targets": targets}]))
    shards = [kept_targets(shard_config(n, tmp_path)) for n in range(modulus)]
    assert all(shards), [len(s) for s in shards]
    assert sorted(t for s in shards for t in s) == sorted(targets)


def test_remote_write_keeps_recording_rules_and_drops_raw_series():
    (write,) = yaml.safe_load(SHARDING.read_text())["remote_write"]
    (keep,) = write["write_relabel_configs"]
    assert keep["action"] == "keep" and keep["source_labels"] == ["__name__"]
    pattern = re.compile(f"^(?:{keep['regex']})$")  # Prometheus anchors relabel regexes
    rules = yaml.safe_load((REPO / "alerts" / "zeromq.rules.yml").read_text())
    recorded = [r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r]
    assert recorded and all(pattern.match(name) for name in recorded)
    for raw in ("zmq_socket_events_total", "zmq_proxy_request_duration_seconds_bucket", "process_cpu_seconds_total"):
        assert not pattern.match(raw), raw


@pytest.mark.parametrize("figure", ["10,044", "1,210", "512", "29.6", "76.3", "1.91", "14.0", "53.4", "41.5", "18.8"])
def test_scaling_doc_quotes_benchmark_figures(figure):
    assert figure in (REPO / "docs" / "scaling.md").read_text()
    assert re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d,]|\.\d)", (REPO / "BENCHMARKS.md").read_text()), figure

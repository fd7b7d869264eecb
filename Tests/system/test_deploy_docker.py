"""deploy/docker/Dockerfile read as Docker reads it (instructions, line continuations, ARG
defaults), and its health-check script run against a real agent.

Proves: the builder stage is a Swift bookworm image running deploy/build-release.sh (the recipe
make release uses); the runtime stage is debian:bookworm-slim installing exactly README.md's
package list; every COPY source from the build context exists and is not excluded by
.dockerignore; USER is not root; port, config path and HEALTHCHECK agree; the health-check script
says healthy for a live agent and unhealthy for a closed port and for a non-200 answer (bash's
/dev/tcp, as in the image). Cannot prove here: that the image builds or runs (no Docker engine on
this machine: the docker CLI alone), or that the swift:6.3-bookworm tag is published."""

import fnmatch
import http.server
import re
import shlex
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from deploykit import BIN, DEPLOY, REPO, agent, documented_packages

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped and continuation lines joined."""
    result, pending = [], ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def stages() -> list[dict]:
    """Each FROM starts a stage: its image (ARG defaults substituted), name and instructions."""
    args, found = {}, []
    for word, rest in instructions():
        if word == "ARG" and not found:
            name, _, default = rest.partition("=")
            args[name] = default
        elif word == "FROM":
            parts = rest.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], parts[0])
            found.append({"image": image, "name": parts[2] if len(parts) > 2 else None, "steps": []})
        else:
            found[-1]["steps"].append((word, rest))
    return found


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str) -> bool:
    parts = relative.split("/")
    for pattern in dockerignore_patterns():
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/")):
                return True
    return False


def test_builder_stage_is_swift_bookworm_and_runs_the_shared_build_script():
    builder, runtime = stages()
    assert re.fullmatch(r"swift:6\.\d+-bookworm", builder["image"]), builder["image"]
    runs = " ".join(rest for word, rest in builder["steps"] if word == "RUN")
    assert "deploy/build-release.sh" in runs
    assert "swift build" not in runs, "the build commands belong in deploy/build-release.sh alone"
    assert runtime["image"] == "debian:bookworm-slim"


def test_runtime_packages_are_exactly_the_documented_ones():
    runtime = stages()[-1]
    installed = []
    for word, rest in runtime["steps"]:
        if word == "RUN":
            for command in rest.split("&&"):
                tokens = shlex.split(command)
                if tokens[:2] == ["apt-get", "install"]:
                    installed += [t for t in tokens[2:] if not t.startswith("-")]
    assert sorted(installed) == sorted(documented_packages())


def test_every_copy_source_exists_and_is_in_the_build_context():
    copies = [(stage["name"], rest) for stage in stages() for word, rest in stage["steps"] if word == "COPY"]
    assert copies
    checked = 0
    for _, rest in copies:
        tokens = shlex.split(rest)
        if any(t.startswith("--from=") for t in tokens):
            continue
        sources = [t for t in tokens if not t.startswith("--")][:-1]
        for source in sources:
            if source == ".":
                continue
            assert (REPO / source).exists(), f"COPY source {source} does not exist"
            assert not ignored(source), f"COPY source {source} is excluded by .dockerignore"
            checked += 1
    assert checked >= 3


def test_dockerignore_keeps_the_sources_and_drops_build_output():
    for kept in ("Package.swift", "Sources/ZMQExporter", "deploy/build-release.sh", "LICENSE", "Makefile"):
        assert not ignored(kept), kept
    for dropped in (".build", ".build/release/zmq-exporter", ".git", "dist/x.tar.gz"):
        assert ignored(dropped), dropped


def test_runs_as_a_non_root_user_with_port_config_and_healthcheck():
    runtime = stages()[-1]["steps"]
    users = [rest for word, rest in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "10027") in runtime
    copied = {shlex.split(rest)[-1]: shlex.split(rest)[0] for word, rest in runtime
              if word == "COPY" and "--from" not in rest}
    assert copied.get("/etc/zmq-exporter/config.yml") == "deploy/zmq-exporter.yml"
    cmd = next(rest for word, rest in runtime if word == "CMD")
    assert "--config.file=/etc/zmq-exporter/config.yml" in cmd and "--web.listen-address=:10027" in cmd
    health = next(rest for word, rest in runtime if word == "HEALTHCHECK")
    script = re.search(r'CMD \["([^"]+)"\]', health).group(1)
    assert copied.get(script) == "deploy/docker/healthcheck.sh"


# The health-check script, as the image runs it

HEALTHCHECK = DEPLOY / "docker" / "healthcheck.sh"


def run_healthcheck(address: str) -> int:
    return subprocess.run(["bash", HEALTHCHECK], env={"ZMQ_EXPORTER_HEALTH_ADDRESS": address, "PATH": "/usr/bin:/bin"},
                          capture_output=True, timeout=15).returncode


def test_healthcheck_passes_on_a_live_agent(tmp_path):
    if not BIN:
        pytest.fail("set ZMQ_EXPORTER_BIN to the built zmq-exporter binary")
    config = tmp_path / "config.yml"
    config.write_text((REPO / "deploy" / "zmq-exporter.yml").read_text())
    with agent(BIN, config, tmp_path) as url:
        assert run_healthcheck(url.removeprefix("http://")) == 0


def test_healthcheck_fails_on_a_closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        # Bound but not listening: nothing can connect, and nothing else gets the port meanwhile.
        assert run_healthcheck(f"127.0.0.1:{port}") == 1


def test_healthcheck_fails_on_a_non_200_answer():
    class Unhealthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unhealthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert run_healthcheck(f"127.0.0.1:{server.server_address[1]}") == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""Helpers for the deploy tests (test_deploy_*.py): the repository's paths, what README.md's
"Deploy" section says the binary needs at run time, and an agent started from any binary
(the unpacked archive's, or $ZMQ_EXPORTER_BIN) on an ephemeral port, stopped by its PID."""

import os
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

from test_agent import stop_process, wait_until

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BIN = os.environ.get("ZMQ_EXPORTER_BIN", "")


def readme_deploy_section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("\n## Deploy\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def _documented(prefix: str) -> list[str]:
    for line in readme_deploy_section().splitlines():
        if line.startswith(prefix):
            return re.findall(r"`([^`]+)`", line.split(":", 1)[1])
    raise AssertionError(f"README.md's Deploy section has no line starting {prefix!r}")


def documented_libraries() -> list[str]:
    """The shared libraries README.md says the release binary needs (readelf -d NEEDED)."""
    return _documented("- Shared libraries")


def documented_packages() -> list[str]:
    """The Debian packages README.md says the binary needs at run time."""
    return _documented("- Debian/Ubuntu packages")


@contextmanager
def agent(binary: str, config: Path, workdir: Path, extra: tuple = (), env: dict | None = None, prefix: tuple = ()):
    """Starts `binary` on `config` listening on 127.0.0.1:0 and yields its URL once the
    'listening on' line names the port; stops it by PID (SIGTERM, then SIGKILL) on the way out.
    `prefix` is a command that execs the agent in place (same PID), such as unshare --root."""
    out, err = workdir / "agent.out", workdir / "agent.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen([*prefix, binary, f"--config.file={config}", "--web.listen-address=127.0.0.1:0", *extra],
                                stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, cwd=workdir, env=env)
    try:
        def listening():
            assert proc.poll() is None, f"agent exited {proc.returncode}: {err.read_text()}"
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", out.read_text())
            return match and match.group(1)
        yield wait_until("the agent's 'listening on' line", listening, timeout=20)
    finally:
        stop_process(proc)


def http_status(url: str) -> int:
    """The status of a GET, or 0 if nothing answered."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0

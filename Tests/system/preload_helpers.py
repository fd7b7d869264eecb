"""Shared pieces of the preload tests: where the library is, the C test programs compiled with
cc against the system libzmq, and a running program that reports lines on stdout and waits
for its stdin to close. Every process is bounded in time and stopped by its own PID."""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from test_agent import wait_until  # noqa: F401  (re-exported for the preload tests)

REPO = Path(__file__).resolve().parents[2]
C_DIR = Path(__file__).resolve().parent / "preload_c"


def library() -> str:
    path = os.environ.get("ZMQ_EXPORTER_PRELOAD") or str(REPO / ".build/preload/libzmq_exporter_preload.so")
    if not os.path.exists(path):
        pytest.skip(f"preload library not built ({path}); run `make preload` or set ZMQ_EXPORTER_PRELOAD")
    return path


def compile_c(source: str, out_dir: Path, *flags: str) -> Path:
    out = out_dir / Path(source).stem
    subprocess.run(["cc", "-O1", "-g", "-Wall", "-o", str(out), str(C_DIR / source), *flags, "-lzmq", "-lpthread"],
                   check=True, timeout=120)
    return out


def preload_env(lib: str | None, directory: Path, **extra) -> dict:
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if lib:
        env["LD_PRELOAD"] = lib
    env["ZMQ_EXPORTER_DIR"] = str(directory)
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Program:
    """A program under test: its stdout lines are collected by a thread; `expect` waits for a
    line with a deadline; `finish` closes stdin and waits for the exit (killing it, by PID,
    past the deadline)."""

    def __init__(self, argv: list, env: dict):
        self.proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, text=True)
        self.lines: list[str] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._errors = threading.Thread(target=self._read_errors, daemon=True)
        self._errors.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def _read_errors(self):
        self.stderr = self.proc.stderr.read()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def expect(self, prefix: str, timeout: float = 10.0) -> str:
        def found():
            if self.proc.poll() is not None and not any(l.startswith(prefix) for l in self.lines):
                self._reader.join(1)
                if not any(l.startswith(prefix) for l in self.lines):
                    pytest.fail(f"exited {self.proc.returncode} before '{prefix}': {self.lines} {self.stderr}")
            return next((l for l in self.lines if l.startswith(prefix)), None)
        return wait_until(f"'{prefix}' from {self.proc.args}", found, timeout)

    def send(self, line: str):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 10.0) -> int:
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            pytest.fail(f"{self.proc.args} did not exit within {timeout}s")
        self._reader.join(2)
        self._errors.join(2)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def run_to_end(argv: list, env: dict, timeout: float = 20.0) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], env=env, input="", capture_output=True, text=True, timeout=timeout)

"""Processes the benchmarks start: the C baselines, Python helpers, wrk. Every process is bounded in
time and stopped by its PID; every wait is on a condition with a deadline."""
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
BUILD_DIR = BENCH_DIR / ".build-bench"
OUT_DIR = BUILD_DIR / "out"
C_DIR = BENCH_DIR / "c"
C_PROGRAMS = ("zb_push", "zb_pull", "zb_proxy", "zb_req", "zb_rep", "zb_pub", "zb_sub", "zb_churn",
              "zb_preload_churn")


class BenchError(Exception):
    """A measurement that could not be made; the message says which program and why."""


def build_c_programs(log=print):
    """Compiles each Benchmarks/c/zb_*.c with `cc -O2` against pkg-config's libzmq when its binary
    is older than its source or the shared header. Raises BenchError with the compiler's output."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libzmq"], capture_output=True, text=True)
    if flags.returncode != 0:
        raise BenchError(f"pkg-config libzmq failed: {flags.stderr.strip()} (run scripts/ensure-deps.sh bench)")
    header_mtime = (C_DIR / "zb_common.h").stat().st_mtime
    for name in C_PROGRAMS:
        src, binary = C_DIR / f"{name}.c", BUILD_DIR / name
        if binary.exists() and binary.stat().st_mtime >= max(src.stat().st_mtime, header_mtime):
            continue
        cmd = ["cc", "-O2", "-Wall", "-Wextra", "-o", str(binary), str(src)] + flags.stdout.split()
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"compiling {src.name} failed:\n{done.stderr}")
        log(f"built {binary.relative_to(BENCH_DIR.parent)}")


def c_program(name):
    return str(BUILD_DIR / name)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (for sockets whose port must be known
    before a config file is written)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A started process whose stdout lines are collected by a thread (so its pipe never fills)
    and whose stderr goes to a log file under .build-bench/out/."""

    _serial = 0

    def __init__(self, argv, tag, env=None):
        Proc._serial += 1
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.argv = [str(a) for a in argv]
        self.tag = tag
        self.log_path = OUT_DIR / f"{Proc._serial:04d}-{tag}.stderr"
        self._log = open(self.log_path, "wb")
        try:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=self._log, env=env)
        except OSError as error:
            self._log.close()
            raise BenchError(f"{tag}: cannot start {self.argv[0]}: {error}") from error
        self.lines = []
        self._queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.popen.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    @property
    def pid(self):
        return self.popen.pid

    def stderr_tail(self, chars=300):
        """The end of the process's stderr on one line (the whole log stays in .build-bench/out/)."""
        try:
            tail = self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""
        return " | ".join(l.strip() for l in tail.splitlines() if l.strip()) + f" (log: {self.log_path.name})"

    def wait_line(self, predicate, timeout):
        """Returns the first stdout line satisfying predicate; BenchError on exit or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"{self.tag}: no expected output within {timeout:.0f} s; "
                                 f"stdout {self.lines[-3:]}, stderr: {self.stderr_tail()}")
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.popen.wait()
                raise BenchError(f"{self.tag}: exited with {self.popen.returncode} before the expected "
                                 f"output; stdout {self.lines[-3:]}, stderr: {self.stderr_tail()}")
            if predicate(line):
                return line

    def result(self, timeout, ok_codes=(0,)):
        """Waits for exit and returns the JSON object on the last stdout line."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise BenchError(f"{self.tag}: did not finish within {timeout:.0f} s; stderr: {self.stderr_tail()}")
        self._reader.join(timeout=5)
        self._log.close()
        found = None
        for line in reversed(self.lines):
            if line.startswith("{"):
                try:
                    found = json.loads(line)
                except json.JSONDecodeError:
                    pass
                break
        if self.popen.returncode not in ok_codes or found is None:
            raise BenchError(f"{self.tag}: exit {self.popen.returncode}, result {found}; "
                             f"stderr: {self.stderr_tail()}")
        return found

    def stop(self, grace=5.0):
        """SIGTERM by PID, SIGKILL after grace seconds; returns the exit code."""
        if self.popen.poll() is None:
            try:
                self.popen.send_signal(signal.SIGTERM)
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                print(f"warning: {self.tag} (pid {self.pid}) ignored SIGTERM for {grace:.0f} s; killing it",
                      file=sys.stderr)
                self.popen.kill()
                self.popen.wait(timeout=grace)
        self._reader.join(timeout=5)
        if not self._log.closed:
            self._log.close()
        return self.popen.returncode

    def rss_kib(self):
        """VmRSS of the process in KiB, from /proc."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError as error:
            raise BenchError(f"{self.tag}: cannot read RSS: {error}") from error
        raise BenchError(f"{self.tag}: no VmRSS in /proc/{self.pid}/status")


def run_c(name, args, timeout, tag=None, ok_codes=(0,)):
    """Runs a C baseline to completion and returns its JSON result."""
    return Proc([c_program(name)] + list(args), tag or name).result(timeout, ok_codes)


def start_c(name, args, tag=None, ready_prefix="ready", timeout=10.0):
    """Starts a C baseline and waits for its start-up line; returns (proc, that line)."""
    proc = Proc([c_program(name)] + list(args), tag or name)
    try:
        line = proc.wait_line(lambda l: l.startswith(ready_prefix), timeout)
    except BenchError:
        proc.stop()
        raise
    return proc, line


def wait_until(condition, timeout, interval, what):
    """Calls condition() every interval seconds until it returns a truthy value; returns
    (value, monotonic ns when it was seen). BenchError names `what` after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = condition()
        if last:
            return last, time.monotonic_ns()
        if time.monotonic() >= deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)

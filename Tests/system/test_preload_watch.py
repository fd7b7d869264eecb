"""`zmq-exporter watch -- PROGRAM`: runs the program with the preload library, passes its exit
status through, and fails like a shell when the program cannot be run."""

import os
import subprocess

import pytest

import preload_stats as stats
from preload_helpers import Program, compile_c, library


@pytest.fixture(scope="module")
def agent():
    path = os.environ.get("ZMQ_EXPORTER_BIN")
    if not path or not os.path.exists(path):
        pytest.skip("ZMQ_EXPORTER_BIN is not set (make test-system sets it)")
    return path


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return compile_c("zmqprog.c", tmp_path_factory.mktemp("preload-watch"))


def watch(agent, *args, env=None, timeout=20):
    return subprocess.run([agent, "watch", *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=env or dict(os.environ), input="")


def test_watch_runs_the_program_counted_into_the_given_directory(agent, prog, tmp_path):
    lib = library()
    statsdir = tmp_path / "stats"
    p = Program([agent, "watch", "--preload.dir", statsdir, "--preload.library", lib, "--", prog, "pushpull", 7],
                dict(os.environ))
    p.expect("ready")
    # exec: the program has the agent's pid, and its own file.
    f = stats.for_pid(statsdir, p.pid)
    assert next(s for s in f.used() if s.socket_type == 8).messages_sent == 7
    assert p.finish() == 0


def test_watch_prepends_the_library_to_ld_preload_and_passes_the_exit_status(agent, tmp_path):
    lib = library()
    env = dict(os.environ, LD_PRELOAD="/nonexistent-before.so")
    r = watch(agent, "--preload.library", lib, "--preload.dir", tmp_path, "--",
              "sh", "-c", 'echo "$LD_PRELOAD|$ZMQ_EXPORTER_DIR"; exit 7', env=env)
    assert r.returncode == 7
    assert r.stdout.strip() == f"{os.path.realpath(lib)}:/nonexistent-before.so|{tmp_path}"


def test_watch_fails_like_a_shell(agent, tmp_path):
    lib = library()
    not_executable = tmp_path / "script"
    not_executable.write_text("#!/bin/sh\nexit 0\n")
    not_executable.chmod(0o644)
    assert watch(agent, "--preload.library", lib, "--", "no-such-program-anywhere").returncode == 127
    denied = watch(agent, "--preload.library", lib, "--", not_executable)
    assert denied.returncode == 126 and "Permission denied" in denied.stderr
    assert watch(agent, "--preload.library", lib).returncode == 2
    assert watch(agent, "--preload.library", lib, "--").returncode == 2
    assert watch(agent, "--preload.bogus", "x", "--", "true").returncode == 2
    missing = watch(agent, "--preload.library", tmp_path / "missing.so", "--", "true")
    assert missing.returncode == 2 and "no readable file" in missing.stderr

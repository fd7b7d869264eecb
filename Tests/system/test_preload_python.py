"""The preload library under Python: pyzmq's PyPI wheel (its own libzmq, loaded RTLD_LOCAL,
found by walking the loaded objects) and Debian's python3-zmq (the system libzmq); names from
the environment; programs without ZeroMQ leave nothing behind."""

import os
import shutil
import subprocess
import sys

import pytest

import preload_stats as stats
from preload_helpers import Program, library, preload_env, run_to_end, wait_until

WORKLOAD = r"""
import sys, zmq
n = int(sys.argv[1])
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.bind("tcp://127.0.0.1:*")
pull = ctx.socket(zmq.PULL)
pull.connect(push.getsockopt(zmq.LAST_ENDPOINT).decode())
for _ in range(n):
    push.send(b"x" * 10)
for _ in range(n):
    assert pull.recv() == b"x" * 10
push.send_multipart([b"a", b"bc", b"def"])
assert pull.recv_multipart() == [b"a", b"bc", b"def"]
push.send(b"y" * 5, copy=False)
assert pull.recv(copy=False).bytes == b"y" * 5
print("version", zmq.zmq_version(), flush=True)
print("ready", flush=True)
sys.stdin.read()
push.close()
pull.close()
ctx.term()
"""


@pytest.fixture(scope="module")
def lib():
    return library()


def pythons():
    found = [pytest.param(sys.executable, id="pypi-wheel")]
    found.append(pytest.param("/usr/bin/python3", id="debian-python3-zmq"))
    return found


def can_import_zmq(python):
    return os.path.exists(python) and subprocess.run([python, "-c", "import zmq"], capture_output=True,
                                                     timeout=30).returncode == 0


@pytest.mark.parametrize("python", pythons())
def test_pyzmq_is_counted_exactly(lib, tmp_path, python):
    if not can_import_zmq(python):
        pytest.skip(f"{python} has no zmq module")
    statsdir = tmp_path / "stats"
    n = 200
    p = Program([python, "-c", WORKLOAD, n], preload_env(
        lib, statsdir, ZMQ_EXPORTER_SOCKET_NAMES="tcp://127.0.0.1:*=tasks", ZMQ_EXPORTER_PROCESS_NAME="pyworker"))
    version = p.expect("version ").split()[1]
    p.expect("ready", timeout=30)
    f = stats.for_pid(statsdir, p.pid)
    assert f.name == "pyworker"
    assert ".".join(map(str, f.zmq_version)) == version
    if python == sys.executable:
        # The wheel's own libzmq (not the system's) is the one in use and the one counted.
        maps = open(f"/proc/{p.pid}/maps").read()
        assert "pyzmq.libs/libzmq" in maps, "expected the wheel's bundled libzmq"
    push = f.named("tasks")[0]
    pull = next(s for s in f.used() if s.socket_type == 7)
    assert push.socket_type == 8 and push.flags & 4  # ZXP_F_NAMED
    assert (push.messages_sent, push.bytes_sent) == (n + 2, 10 * n + 6 + 5)
    assert (pull.messages_received, pull.bytes_received) == (n + 2, 10 * n + 6 + 5)
    wait_until("handshake seen", lambda: stats.for_pid(statsdir, p.pid).named("tasks")[0].events["accepted"] == 1)
    assert p.finish(timeout=20) == 0


@pytest.mark.parametrize("argv", [["/bin/true"], [sys.executable, "-c", "pass"],
                                  [sys.executable, "-c", "import zmq; zmq.Context().term()"]],
                         ids=["true", "python-pass", "context-without-sockets"])
def test_a_program_without_sockets_leaves_no_file(lib, tmp_path, argv):
    statsdir = tmp_path / "stats"
    r = run_to_end(argv, preload_env(lib, statsdir), timeout=30)
    assert r.returncode == 0 and r.stderr == ""
    assert not statsdir.exists() or os.listdir(statsdir) == []


def test_the_library_loads_into_a_program_without_libzmq_and_stays_inert(lib, tmp_path):
    # ldd-free check that nothing pulls libzmq in: the library itself needs only libc.
    out = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True, timeout=10).stdout
    needed = [l.split("[")[1].rstrip("]") for l in out.splitlines() if "(NEEDED)" in l]
    assert needed == ["libc.so.6"], needed
    shell = shutil.which("sh")
    r = run_to_end([shell, "-c", "echo ok"], preload_env(lib, tmp_path / "stats"))
    assert r.stdout == "ok\n" and r.stderr == ""

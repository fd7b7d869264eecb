"""The release archive as a user gets it: `make dist` (which runs `make release` through
deploy/build-release.sh: incremental when .build/release is warm, about 10-30 s; a cold release
build takes about 8 minutes on 2 cores), unpacked into an empty folder.

Proves: the Prometheus exporter layout and name, the checksums, that the binary's NEEDED entries
are exactly README.md's list (so zlib really is linked in), and that the unpacked binary prints
its version and starts, serves /metrics and stops from that folder on its own example config,
with no library path set. When scripts/make-test-rootfs.sh has built a minimal Debian 12 root
(debootstrap minbase plus README.md's packages only, 2.5 minutes, so not part of every run), the
unpacked binary also resolves every library, prints its version and starts, serves and stops
inside that root. Cannot prove here: other distributions, an older glibc, or arm64."""

import hashlib
import os
import shutil
import platform
import re
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

import pytest

from deploykit import REPO, agent, documented_libraries, http_status
from test_agent import wait_until

GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
PRELOAD = REPO / ".build" / "preload" / "libzmq_exporter_preload.so"


def version() -> str:
    return subprocess.run([REPO / "deploy" / "version.sh"], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def archive():
    started = time.monotonic()
    result = subprocess.run(["make", "--no-print-directory", "dist"], cwd=REPO, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"make dist took {time.monotonic() - started:.1f} s")
    name = f"zmq-exporter-{version()}.linux-{GO_ARCH[platform.machine()]}"
    path = REPO / "dist" / f"{name}.tar.gz"
    assert path.is_file(), result.stdout
    return name, path


@pytest.fixture(scope="module")
def unpacked(archive, tmp_path_factory):
    name, path = archive
    root = tmp_path_factory.mktemp("unpacked")
    assert list(root.iterdir()) == []
    with tarfile.open(path) as tar:
        tar.extractall(root, filter="data")
    return root / name


def test_version_has_one_source_and_the_binary_reports_it(unpacked):
    out = subprocess.run([unpacked / "zmq-exporter", "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    # As Prometheus exporters print it: version, branch and revision, then build date, Swift and
    # libzmq versions, one per line.
    assert re.match(rf"zmq-exporter, version {re.escape(version())} \(branch: \S+, revision: \S+\)\n", out.stdout), out.stdout
    assert re.search(r"^\s+libzmq version:\s+\d+\.\d+\.\d+$", out.stdout, re.MULTILINE), out.stdout


def test_archive_has_the_exporter_layout(archive):
    name, path = archive
    with tarfile.open(path) as tar:
        members = {m.name: m for m in tar.getmembers()}
    expected = {name, *(f"{name}/{f}" for f in ("zmq-exporter", "LICENSE", "README.md", "zmq-exporter.yml"))}
    if PRELOAD.exists():
        expected.add(f"{name}/{PRELOAD.name}")
    assert set(members) == expected
    assert members[f"{name}/zmq-exporter"].mode & 0o111
    assert all(m.uid == 0 and m.gid == 0 for m in members.values())


def test_sha256sums_match(archive):
    _, path = archive
    lines = (path.parent / "sha256sums.txt").read_text().splitlines()
    entry = next(line for line in lines if line.endswith("  " + path.name))
    assert entry.split()[0] == hashlib.sha256(path.read_bytes()).hexdigest()
    check = subprocess.run(["sha256sum", "-c", "sha256sums.txt"], cwd=path.parent, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_needed_libraries_are_exactly_the_documented_ones(unpacked):
    if platform.machine() != "x86_64":
        pytest.skip("README.md lists the amd64 loader name; this machine is " + platform.machine())
    dynamic = subprocess.run(["readelf", "-d", unpacked / "zmq-exporter"], capture_output=True, text=True, check=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic.stdout)
    assert sorted(needed) == sorted(documented_libraries())
    assert "libz.so.1" not in needed
    # And each resolves here, from the system's library folders alone.
    ldd = subprocess.run(["ldd", unpacked / "zmq-exporter"], capture_output=True, text=True, check=True,
                         env={"PATH": os.environ["PATH"]})
    assert "not found" not in ldd.stdout, ldd.stdout


def test_unpacked_binary_starts_scrapes_and_stops_in_its_folder(unpacked, tmp_path):
    env = {"PATH": "/usr/bin:/bin"}  # no LD_LIBRARY_PATH, no Swift toolchain on the path
    with agent(str(unpacked / "zmq-exporter"), unpacked / "zmq-exporter.yml", unpacked, env=env) as url:
        wait_until("/-/ready 200", lambda: http_status(url + "/-/ready") == 200)
        with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
            text = response.read().decode()
        assert 'zmq_socket_info{socket="service"' in text
        assert re.search(r'zmq_exporter_build_info\{[^}]*version="' + re.escape(version()), text), \
            [line for line in text.splitlines() if "build_info" in line]


ROOTFS = REPO / ".build" / "test-rootfs" / "bookworm"


def test_runs_in_a_minimal_debian_root_with_only_the_documented_packages(unpacked, tmp_path):
    if not (ROOTFS / "usr" / "bin" / "ldd").exists():
        pytest.skip(f"no minimal Debian root at {ROOTFS}: scripts/make-test-rootfs.sh builds one "
                    "(debootstrap, about 2.5 minutes, needs the Debian mirror)")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("entering the minimal root needs root and unshare")
    inside = Path("/opt") / f"test-{os.getpid()}"
    shutil.copytree(unpacked, ROOTFS / inside.relative_to("/"), ignore=shutil.ignore_patterns("agent.*"))
    # The Swift runtime reads its arguments from /proc/self/cmdline: the root gets its own /proc,
    # mounted in a private mount namespace that goes away with the process.
    enter = ("unshare", "--mount", "--mount-proc", f"--root={ROOTFS}")
    binary = str(inside / "zmq-exporter")
    try:
        ldd = subprocess.run([*enter, "/usr/bin/ldd", binary], capture_output=True, text=True, timeout=30)
        assert ldd.returncode == 0 and "not found" not in ldd.stdout, ldd.stdout + ldd.stderr
        out = subprocess.run([*enter, binary, "--version"], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and out.stdout.startswith(f"zmq-exporter {version()} "), out.stdout + out.stderr
        with agent(binary, inside / "zmq-exporter.yml", tmp_path, prefix=enter, env={"PATH": "/usr/bin:/bin"}) as url:
            wait_until("/-/ready 200", lambda: http_status(url + "/-/ready") == 200)
            with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
                assert 'zmq_probe_success{socket="service"}' in response.read().decode()
    finally:
        shutil.rmtree(ROOTFS / inside.relative_to("/"))

"""Issue 18: the preload library and a multi-threaded C workload (threads, a proxy, fork,
ctx_term with a blocked receiver and a lingering socket) under ThreadSanitizer and under
AddressSanitizer + UBSan, with zero reports (`make test-preload-sanitizers`, about 20 s)."""

import subprocess

from preload_helpers import REPO


def test_sanitizer_builds_run_clean():
    r = subprocess.run([str(REPO / "Tests/system/preload_c/sanitizers.sh")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("0 reports") == 2, r.stdout

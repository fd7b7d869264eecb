"""What every benchmark is given: the agent binary, the sizes for this mode (full or smoke), the
number of repetitions, and one place to record a measurement or the reason it failed."""
import sys
import time

from .agent import AgentUnavailable
from .procs import BenchError

# Full sizes follow issue 7; smoke sizes only prove that every program runs and reports.
# scrape_sockets: the agent serves 44 series per idle tap, so 228 taps are ~10,000 series.
FULL = {
    "runs": 5,
    "pushpull_n": 2_000_000, "pushpull_kib_n": 2_000_000,
    "reqrep_n": 100_000, "reqrep_clients": 16, "reqrep_workers": 4,
    "tap_seconds": 2.0,
    "monitor_n": 2_000_000, "churn_n": 10_000,
    "scrape_sockets": 228, "wrk_duration": "10s",
    "idle_sockets": 1000,
    "preload_pushpull_n": 2_000_000, "preload_reqrep_n": 20_000, "preload_inproc_n": 2_000_000,
    "preload_churn_n": 10_000, "preload_processes": 100, "preload_sockets": 20,
    "scale_sizes": [10, 100, 1000, 2300, 4000, 10000], "scale_runs": 2,
    "scale_idle_seconds": 60.0, "scale_idle_short": 10.0,
}
SMOKE = {
    "runs": 1,
    "pushpull_n": 20_000, "pushpull_kib_n": 5_000,
    "reqrep_n": 2_000, "reqrep_clients": 4, "reqrep_workers": 2,
    "tap_seconds": 0.3,
    "monitor_n": 20_000, "churn_n": 200,
    "scrape_sockets": 228, "wrk_duration": "3s",
    "idle_sockets": 100,
    "preload_pushpull_n": 20_000, "preload_reqrep_n": 500, "preload_inproc_n": 20_000,
    "preload_churn_n": 200, "preload_processes": 2, "preload_sockets": 20,
    "scale_sizes": [10, 100], "scale_runs": 1,
    "scale_idle_seconds": 1.0, "scale_idle_short": 1.0,
}


class Context:
    def __init__(self, agent_bin, smoke, runs=None):
        self.agent_bin = agent_bin
        self.smoke = smoke
        self.size = dict(SMOKE if smoke else FULL)
        if runs is not None:
            self.size["runs"] = runs
        self.runs = self.size["runs"]
        self.problems = []
        self.checks = []

    def log(self, text):
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def problem(self, text):
        """A failed measurement or a broken check: `make bench-smoke` fails on any."""
        self.problems.append(text)
        self.log(f"PROBLEM: {text}")

    def check(self, ok, text):
        """Records a correctness check (counts, not timings); a failed one is a problem."""
        self.checks.append((bool(ok), text))
        if not ok:
            self.problem(f"check failed: {text}")

    def measure(self, row, fn):
        """Runs fn() (which returns the value of one run) and adds the value to row; an error adds
        None and a note; a missing agent marks the row unavailable and skips its later runs."""
        if row.unavailable:
            return None
        if row.values and row.values[-1] is None:
            # A failure repeats (a start-up timeout would cost a minute a run): one is reported.
            row.add(None)
            return None
        try:
            value = fn()
        except AgentUnavailable as error:
            row.unavailable = f"agent: not available ({error})"
            self.log(f"{row.bench} {row.name}: agent: not available")
            return None
        except BenchError as error:
            row.add(None)
            row.note(f"error: {error}")
            self.problem(f"{row.bench} {row.name}: {error}")
            return None
        row.add(value)
        return value

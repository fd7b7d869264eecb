"""The agent under test (zmq-exporter), started from a config text, plus HTTP and exposition helpers
shared with the other exporters (the Python exporter and node exporter)."""
import os
import re
import ssl
import time
import urllib.error
import urllib.request

from .procs import OUT_DIR, BenchError, Proc, wait_until

LISTENING = re.compile(r"^listening on https?://127\.0\.0\.1:(\d+)$")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class AgentUnavailable(Exception):
    """The agent binary is missing or not executable: agent rows say "agent: not available"."""


def http_get(url, timeout=10.0, headers=None, tls=None):
    """(status, body bytes, headers) of a GET; status 0 when the connection failed. `tls`: the
    ssl.SSLContext for an https URL (one that trusts the bench's own CA)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=tls) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)
    except (urllib.error.URLError, OSError):
        return 0, b"", {}


def parse_exposition(text):
    """[(name, {label: value}, float)] for every sample line of a text exposition."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if not match:
            raise BenchError(f"unparsable exposition line: {line[:120]!r}")
        name, labels, value = match.groups()
        samples.append((name, dict(LABEL.findall(labels or "")), float(value)))
    return samples


class Metrics:
    """One scrape, queried by family name and a subset of labels."""

    def __init__(self, text):
        self.text = text
        self.samples = parse_exposition(text)

    def series_count(self):
        return len(self.samples)

    def value(self, name, **labels):
        """Sum of the samples named `name` whose labels include `labels`; None when there is none."""
        found = [v for n, l, v in self.samples if n == name and all(l.get(k) == w for k, w in labels.items())]
        return sum(found) if found else None


def scrape(port, timeout=10.0, tls=None):
    """/metrics on 127.0.0.1:port, over https when `tls` (an ssl.SSLContext) is given."""
    scheme = "https" if tls else "http"
    status, body, _ = http_get(f"{scheme}://127.0.0.1:{port}/metrics", timeout, tls=tls)
    if status != 200:
        raise BenchError(f"GET /metrics on port {port} answered {status or 'no connection'}")
    return Metrics(body.decode("utf-8", "replace"))


class Agent:
    """zmq-exporter running one config: started, waited on until /-/ready is 200, stopped by PID."""

    def __init__(self, binary, config_text, tag, ready_timeout=30.0, config_path=None, extra_args=(), tls_ca=None):
        """Writes config_text to .build-bench/out/TAG.yml, or uses config_path as it is;
        extra_args are further command-line flags (e.g. --preload.dir DIR). With `tls_ca` (a CA
        file; the web config in extra_args serves TLS) every request of this class goes over
        https, trusting that CA."""
        self.tls = ssl.create_default_context(cafile=str(tls_ca)) if tls_ca else None
        self.scheme = "https" if tls_ca else "http"
        if not binary or not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            raise AgentUnavailable(f"no executable agent at {binary!r}")
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        if config_path is None:
            config_path = OUT_DIR / f"{tag}.yml"
            config_path.write_text(config_text)
        self.config_path = config_path
        self.proc = Proc([binary, "--config.file", self.config_path, "--web.listen-address", "127.0.0.1:0",
                          "--log.level", "info", *extra_args], f"agent-{tag}")
        try:
            line = self.proc.wait_line(lambda l: LISTENING.match(l) is not None, ready_timeout)
            self.port = int(LISTENING.match(line).group(1))
            wait_until(lambda: http_get(f"{self.url}/-/ready", 2.0, tls=self.tls)[0] == 200,
                       ready_timeout, 0.02, f"agent {tag} /-/ready")
        except BenchError as error:
            self.proc.stop()
            raise BenchError(f"{error}; first agent error: {self._first_error()}") from error

    def _first_error(self):
        try:
            lines = self.proc.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        errors = [l for l in lines if "level=error" in l or "error" in l.lower()]
        return (errors or lines or ["(empty log)"])[0][:300] + f" (log: {self.proc.log_path.name})"

    @property
    def url(self):
        """http(s)://127.0.0.1:PORT, without a path."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def metrics(self, timeout=10.0):
        return scrape(self.port, timeout, tls=self.tls)

    def counter(self, name, **labels):
        value = self.metrics().value(name, **labels)
        return 0.0 if value is None else value

    def rss_kib(self):
        return self.proc.rss_kib()

    def stop(self):
        code = self.proc.stop()
        if code not in (0, -15):
            print(f"warning: agent exited with {code} on SIGTERM; stderr: {self.proc.stderr_tail(300)}")

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()


def wait_settled(read, timeout, quiet=0.5, interval=0.1):
    """Polls read() until it returns the same number for `quiet` seconds; returns that number."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(interval)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return last
    raise BenchError(f"counter still moving after {timeout:.0f} s (last {last})")

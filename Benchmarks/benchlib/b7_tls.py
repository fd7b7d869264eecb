"""Benchmark 7: TLS (issue 15). What serving /metrics over TLS costs: the agent of benchmark 4 (228
idle PULL taps, about 10,000 series) started twice from the same binary and config, once plain and
once with `--web.config.file` serving TLS, scraped by `wrk -t2 -c16` in turn (keep-alive plain text,
keep-alive gzip, and a new connection per request, so a full handshake each); and the resident
memory of the agent on examples/demo.yml with and without TLS configured, after start-up, readiness
and two scrapes (over HTTPS for the TLS one). The certificate is made at bench time with the openssl
CLI (a P-256 CA and a server certificate for IP 127.0.0.1), never kept."""
import shutil
import subprocess
import time

from . import wrk
from .agent import Agent, AgentUnavailable
from .b4_scrape import many_taps_config
from .b5_footprint import DEMO, MIB, demo_config_file
from .procs import OUT_DIR, BenchError
from .table import Row

TLS_DIR = OUT_DIR / "tls"

# (label, gzip, extra wrk headers): keep-alive is how Prometheus scrapes; a new connection per
# request puts a whole TLS handshake (ECDHE P-256 or X25519, ECDSA P-256) in front of every scrape.
MODES = [
    ("keep-alive", False, ()),
    ("keep-alive, gzip", True, ()),
    ("new connection per request", False, ("Connection: close",)),
]


def _openssl(*args):
    try:
        done = subprocess.run(["openssl", *args], cwd=TLS_DIR, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as error:
        raise BenchError("the openssl CLI is not installed") from error
    if done.returncode != 0:
        raise BenchError(f"openssl {args[0]} failed: {done.stderr.strip()[-500:]}")


def make_certificates():
    """A throw-away CA and a server certificate for 127.0.0.1 in .build-bench/out/tls/; returns
    (web config path, CA path). Made again at every bench run, so nothing private is kept."""
    shutil.rmtree(TLS_DIR, ignore_errors=True)
    TLS_DIR.mkdir(parents=True, mode=0o700)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=zmq-exporter bench CA")
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (TLS_DIR / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", "server.crt", "-extfile", "server.ext")
    web = TLS_DIR / "web.yml"
    web.write_text(f"tls_server_config:\n  cert_file: {TLS_DIR / 'server.crt'}\n  key_file: {TLS_DIR / 'server.key'}\n")
    return web, TLS_DIR / "ca.crt"


def _demo_rss(ctx, tag, web=None, ca=None):
    """VmRSS in MiB of the agent on examples/demo.yml, measured as benchmark 5 measures it: after
    /-/ready, two scrapes and half a second for what serving them allocated."""
    extra = ("--web.config.file", str(web)) if web else ()
    with Agent(ctx.agent_bin, None, tag, ready_timeout=60, config_path=demo_config_file(ctx.agent_bin, tag),
               extra_args=extra, tls_ca=ca) as agent:
        for _ in range(2):
            agent.metrics(timeout=30)
        time.sleep(0.5)
        return agent.rss_kib() / MIB


def _taps_up(agent):
    return agent.metrics().value("zmq_socket_up") or 0


def run(ctx):
    sockets, duration = ctx.size["scrape_sockets"], ctx.size["wrk_duration"]
    pairs = []
    for label, gzip, headers in MODES:
        plain = Row("7", f"agent, {sockets} taps, plain HTTP, {label}", "req/s", short="plain")
        tls = Row("7", f"agent, {sockets} taps, TLS, {label}", "req/s", baseline=plain)
        pairs.append((label, gzip, headers, plain, tls))
    plain_p99 = Row("7", "agent p99 latency, plain HTTP, keep-alive", "ms", higher_is_better=False, short="plain")
    tls_p99 = Row("7", "agent p99 latency, TLS, keep-alive", "ms", baseline=plain_p99, higher_is_better=False)
    rss_plain = Row("7", "agent RSS, examples/demo.yml, plain HTTP", "MiB", higher_is_better=False, short="plain")
    rss_tls = Row("7", "agent RSS, examples/demo.yml, TLS configured, after 2 HTTPS scrapes", "MiB",
                  baseline=rss_plain, higher_is_better=False)
    ordered = [r for *_, plain, tls in pairs for r in (plain, tls)] + [plain_p99, tls_p99, rss_plain, rss_tls]

    web, ca = make_certificates()
    agents = {}
    try:
        try:
            agents["plain"] = Agent(ctx.agent_bin, many_taps_config(sockets), "tls-bench-plain", ready_timeout=60)
            agents["tls"] = Agent(ctx.agent_bin, many_taps_config(sockets), "tls-bench-tls", ready_timeout=60,
                                  extra_args=("--web.config.file", str(web)), tls_ca=ca)
        except AgentUnavailable as error:
            for row in ordered:
                row.unavailable = f"agent: not available ({error})"
            return ordered
        plain_agent, tls_agent = agents["plain"], agents["tls"]
        ctx.check(tls_agent.url.startswith("https://") and _taps_up(tls_agent) == _taps_up(plain_agent) == sockets,
                  f"tls-scrape: both agents serve all {sockets} taps, one over https with the bench's own CA")
        if not DEMO.exists():
            for row in (rss_plain, rss_tls):
                row.unavailable = f"skipped: {DEMO.name} does not exist"

        for run_index in range(ctx.runs):
            ctx.log(f"benchmark 7: run {run_index + 1}/{ctx.runs}")
            for label, gzip, headers, plain, tls in pairs:
                got = {}
                for row, agent in ((plain, plain_agent), (tls, tls_agent)):
                    ctx.measure(row, lambda agent=agent: got.setdefault(agent.scheme, wrk.run(
                        f"{agent.url}/metrics", duration, gzip, headers=headers))["rps"])
                if label == "keep-alive":
                    plain_p99.add(got["http"]["p99_ms"] if "http" in got else None)
                    tls_p99.add(got["https"]["p99_ms"] if "https" in got else None)
            ctx.measure(rss_plain, lambda: _demo_rss(ctx, "tls-demo-plain"))
            ctx.measure(rss_tls, lambda: _demo_rss(ctx, "tls-demo-tls", web, ca))
        # Every TLS scrape above was answered: wrk fails a run on any error or non-2xx answer.
        # Handshakes wrk leaves unfinished when its time is up are counted too (as eof, say).
        failed = {labels.get("reason", "?"): value for name, labels, value in tls_agent.metrics().samples
                  if name == "zmq_exporter_tls_handshake_failures_total" and value > 0}
        ctx.log(f"benchmark 7: TLS handshake failures counted by the agent: {failed or 'none'}")
    finally:
        for agent in agents.values():
            agent.stop()
    return ordered

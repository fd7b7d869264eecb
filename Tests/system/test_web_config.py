"""The web config's basic auth, headers, rate limit, fail-closed reload and start-up checks
(issue 15), against the real binary with real clients (urllib, curl, raw sockets), and the
hostile-HTTP battery of test_http_attack.py replayed over TLS."""

import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from agentproc import exchange, status_of
from test_agent import BIN, wait_until
from test_http_attack import HOSTILE
from tlsfixtures import PKI, basic, client_context, get, hash_password, metric, secure_agent, tls_request

PASSWORD = "s3cret:with:colons"


def http(url: str, path: str = "/metrics", auth: str | None = None, method: str = "GET") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url + path, method=method, data=b"" if method != "GET" else None)
    if auth is not None:
        request.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def auth_agent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth")
    web = folder / "web.yml"
    # "a" + "b:c" and "ab" + "c" join to the same text: a cache key without lengths confuses them.
    web.write_text(f"""basic_auth_users:
  alice: {hash_password(PASSWORD)}
  a: {hash_password("b:c")}
  ab: {hash_password("c")}
  slow: {hash_password("x", cost=10)}
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
""")
    with secure_agent(folder, web, "--web.health-without-auth") as agent:
        yield agent


def auth_failures(agent, reason: str) -> float:
    status, _, body = http(agent.url, auth=basic("alice", PASSWORD))
    assert status == 200
    for line in body.decode().splitlines():
        if line.startswith(f'zmq_exporter_http_auth_failures_total{{reason="{reason}"}} '):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


CREDENTIALS = [
    ("missing", None, 401, "missing"),
    ("wrong password", basic("alice", "nope"), 401, "wrong_password"),
    ("unknown user", basic("mallory", PASSWORD), 401, "unknown_user"),
    ("malformed base64", "Basic !!!notbase64", 401, "malformed"),
    ("no colon", "Basic " + "YWxpY2U=", 401, "malformed"),
    ("other scheme", "Bearer abc", 401, "malformed"),
    ("right password", basic("alice", PASSWORD), 200, None),
]


@pytest.mark.parametrize("name,header,status,reason", CREDENTIALS, ids=[c[0] for c in CREDENTIALS])
def test_credentials(auth_agent, name, header, status, reason):
    before = auth_failures(auth_agent, reason) if reason else None
    got, headers, _ = http(auth_agent.url, "/metrics", header)
    assert got == status, name
    assert headers.get("X-Frame-Options") == "deny" and headers.get("X-Content-Type-Options") == "nosniff"
    if status == 401:
        assert headers.get("WWW-Authenticate") == 'Basic realm="zmq-exporter"'
        assert auth_failures(auth_agent, reason) == before + 1


def test_metrics_with_auth_pass_promtool(auth_agent):
    status, _, body = http(auth_agent.url, auth=basic("alice", PASSWORD))
    assert status == 200
    assert b"zmq_exporter_web_config_last_reload_successful 1" in body
    lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_head_gets_401_without_a_body_and_the_connection_stays_usable(auth_agent):
    address = ("127.0.0.1", int(auth_agent.url.rsplit(":", 1)[1]))
    with socket.create_connection(address, timeout=5) as conn:
        conn.sendall(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    first, second = reply.split(b"HTTP/1.1 ")[1:3]
    assert first.startswith(b"401") and first.endswith(b"\r\n\r\n"), reply
    assert second.startswith(b"200"), reply


def test_every_path_but_health_asks_for_credentials(auth_agent):
    for path, method in [("/metrics", "GET"), ("/", "GET"), ("/-/reload", "POST"), ("/nowhere", "GET"),
                         ("/metrics/", "GET"), ("/-/healthy/", "GET")]:
        assert http(auth_agent.url, path, method=method)[0] == 401, path
    assert http(auth_agent.url, "/-/healthy")[0] == 200
    assert http(auth_agent.url, "/-/ready")[0] == 200


def test_cache_key_keeps_user_and_password_apart(auth_agent):
    """CVE-2022-46146's shape: after "a":"b:c" and "ab":"c" succeed (and are cached), "a":"bc" and
    "ab":":c"... must still be refused."""
    assert http(auth_agent.url, auth=basic("a", "b:c"))[0] == 200
    assert http(auth_agent.url, auth=basic("ab", "c"))[0] == 200
    assert http(auth_agent.url, auth=basic("a", "bc"))[0] == 401
    assert http(auth_agent.url, auth=basic("a", "b:c" + "\u0000"))[0] == 401
    assert http(auth_agent.url, auth=basic("ab", "b:c"))[0] == 401
    assert http(auth_agent.url, auth=basic("a", "c"))[0] == 401


def test_unknown_users_cost_as_much_as_known_ones(auth_agent):
    """The dummy hash has the highest configured cost (10, user 'slow'), so an unknown user takes
    as long as 'slow' with a wrong password: no user enumeration by timing."""
    def timed(user):
        started = time.monotonic()
        assert http(auth_agent.url, auth=basic(user, "wrong"))[0] == 401
        return time.monotonic() - started
    known = min(timed("slow") for _ in range(3))
    unknown = min(timed("nobody") for _ in range(3))
    assert unknown > 0.5 * known, f"unknown user {unknown * 1000:.0f} ms, known {known * 1000:.0f} ms"


def test_wrong_password_flood_does_not_stall_a_cached_login(auth_agent):
    import threading
    assert http(auth_agent.url, auth=basic("alice", PASSWORD))[0] == 200  # cached now
    stop = threading.Event()

    def flood():
        while not stop.is_set():
            http(auth_agent.url, auth=basic("slow", "wrong"))

    threads = [threading.Thread(target=flood, daemon=True) for _ in range(16)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)  # let the flood fill the password-check queue (pacing, not a wait for a condition)
        worst = 0.0
        for _ in range(10):
            started = time.monotonic()
            assert http(auth_agent.url, auth=basic("alice", PASSWORD))[0] == 200
            worst = max(worst, time.monotonic() - started)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    print(f"\ncached login during a 16-thread wrong-password flood: worst {worst * 1000:.0f} ms")
    assert worst < 0.5


def test_rate_limit_answers_429(tmp_path):
    web = tmp_path / "web.yml"
    web.write_text("rate_limit:\n  interval: 10s\n  burst: 3\n")
    with secure_agent(tmp_path, web) as agent:
        statuses = [http(agent.url, "/-/healthy")[0] for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]


def test_broken_web_config_at_run_time_fails_closed_then_recovers(tmp_path):
    web = tmp_path / "web.yml"
    good = f"basic_auth_users:\n  alice: {hash_password(PASSWORD)}\n"
    web.write_text(good)
    with secure_agent(tmp_path, web) as agent:
        assert http(agent.url, auth=basic("alice", PASSWORD))[0] == 200
        # A keep-alive connection opened before the breakage is refused too.
        keep = socket.create_connection(("127.0.0.1", int(agent.url.rsplit(":", 1)[1])), timeout=5)
        keep.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nAuthorization: " + basic("alice", PASSWORD).encode() + b"\r\n\r\n")
        assert keep.recv(65536).startswith(b"HTTP/1.1 200")
        web.write_text(good + "unknown_key: 1\n")
        wait_until("500 for every request", lambda: http(agent.url, "/-/healthy")[0] == 500)
        keep.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert keep.recv(65536).startswith(b"HTTP/1.1 500")
        keep.close()
        status, _, body = http(agent.url, auth=basic("alice", PASSWORD))
        assert status == 500 and b"unknown key 'unknown_key'" in body
        web.write_text(good)
        wait_until("the fixed config", lambda: http(agent.url, auth=basic("alice", PASSWORD))[0] == 200)
        status, _, body = http(agent.url, auth=basic("alice", PASSWORD))
        assert b"zmq_exporter_web_config_last_reload_successful 1" in body
        assert agent.proc.poll() is None


BAD_CONFIGS = [
    ("unknown top-level key", "tls_config: {{}}\n", "1:1: unknown key 'tls_config' in the web config (known: basic_auth_users, http_server_config, rate_limit, tls_server_config)"),
    ("misplaced key", "basic_auth_users: {{}}\ntls_server_config:\n  headers: {{}}\n",
     "3:3: unknown key 'headers' in tls_server_config (known: cert, cert_file, cipher_suites, client_allowed_sans, client_auth_type, client_ca, client_ca_file, curve_preferences, key, key_file, max_version, min_version, prefer_server_cipher_suites)"),
    ("cert without key", "tls_server_config:\n  cert_file: {cert}\n", "2:3: tls_server_config needs key_file or key"),
    ("missing cert file", "tls_server_config:\n  cert_file: nowhere.pem\n  key_file: {key}\n", "2:14: cannot read {dir}/nowhere.pem: No such file or directory"),
    ("key of another certificate", "tls_server_config:\n  cert_file: {cert}\n  key_file: {other_key}\n", "3:13: the private key does not match the certificate: key values mismatch"),
    ("bad client_auth_type", "tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  client_auth_type: Maybe\n",
     "4:21: client_auth_type 'Maybe' is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert (or RequireClientCert)"),
    ("CA without client auth", "tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  client_ca_file: {cert}\n",
     "4:19: a client CA is set but client_auth_type is NoClientCert: set client_auth_type (e.g. RequireAndVerifyClientCert) or remove the CA"),
    ("bad min_version", "tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  min_version: TLS99\n", "4:16: min_version 'TLS99' is not one of TLS10, TLS11, TLS12, TLS13"),
    ("unknown cipher", "tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  cipher_suites: [TLS_RSA_WITH_RC4_128_MD5X]\n",
     "4:19: unknown cipher suite 'TLS_RSA_WITH_RC4_128_MD5X' (use Go/IANA names such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)"),
    ("unknown curve", "tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  curve_preferences: [P256]\n", "4:23: unknown curve 'P256' (use CurveP256, CurveP384, CurveP521 or X25519)"),
    ("header not allowed", "http_server_config:\n  headers:\n    Server: zmq\n",
     "3:5: HTTP header 'Server' cannot be configured (allowed: Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection)"),
    ("header value not allowed", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "3:22: invalid value 'allow' for X-Frame-Options: expected one of deny, sameorigin"),
    ("MD5 hash", "basic_auth_users:\n  bob: $1$abc$def\n",
     "2:8: the hash of user 'bob' is an MD5 or SHA-crypt hash; only bcrypt ($2a$, $2b$, $2y$) is accepted (htpasswd -nBC 10 USER)"),
    ("plaintext password", "basic_auth_users:\n  bob: hunter2\n", "2:8: the hash of user 'bob' is not a bcrypt hash; only bcrypt ($2a$, $2b$, $2y$) is accepted (htpasswd -nBC 10 USER)"),
    ("bcrypt cost 3", "basic_auth_users:\n  bob: $2y$03$" + "a" * 53 + "\n", "2:8: the hash of user 'bob' has bcrypt cost 3; bcrypt costs are 04 to 31"),
    ("rate limit without burst", "rate_limit:\n  interval: 1s\n", "2:3: rate_limit needs both interval and burst"),
    ("not YAML", "tls_server_config: [\n", "invalid YAML"),
]


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    folder = tmp_path_factory.mktemp("material")
    pki = PKI(folder)
    return folder, pki.issue("server"), pki.issue("other")


@pytest.mark.parametrize("name,text,message", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_web_config_is_refused_with_its_place_and_reason(material, tmp_path, name, text, message):
    folder, server, other = material
    values = {"cert": server.cert, "key": server.key, "other_key": other.key, "dir": tmp_path}
    web = tmp_path / "web.yml"
    web.write_text(text.format(**values))
    expected = message.format(**values)
    check = subprocess.run([BIN, "check-web-config", str(web)], capture_output=True, text=True, timeout=20)
    assert check.returncode == 1
    assert expected in check.stderr and check.stderr.startswith(f"{web}:"), check.stderr
    if name in ("unknown top-level key", "key of another certificate"):
        # The agent itself refuses to start with the same message.
        config = tmp_path / "agent.yml"
        config.write_text("sockets: []\n")
        run = subprocess.run([BIN, "--config.file", str(config), "--web.listen-address", "127.0.0.1:0",
                              "--web.config.file", str(web)], capture_output=True, text=True, timeout=20)
        assert run.returncode == 1 and expected in run.stderr, run.stderr
        check = subprocess.run([BIN, "check-config", "--web.config.file", str(web)], capture_output=True, text=True, timeout=20)
        assert check.returncode == 1 and expected in check.stderr


def test_unreadable_web_config_is_refused(tmp_path):
    check = subprocess.run([BIN, "check-web-config", str(tmp_path / "absent.yml")], capture_output=True, text=True, timeout=20)
    assert check.returncode == 1
    assert check.stderr.strip() == f"cannot open {tmp_path / 'absent.yml'}: No such file or directory"


# --- the hostile-HTTP battery over TLS -------------------------------------------------------

@pytest.fixture(scope="module")
def tls_battery_agent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls-battery")
    pki = PKI(folder)
    server = pki.issue("server")
    web = folder / "web.yml"
    web.write_text(f"tls_server_config:\n  cert_file: {server.cert}\n  key_file: {server.key}\n")
    with secure_agent(folder, web) as agent:
        yield agent, client_context(pki.server_ca_file)


@pytest.mark.parametrize("name,request_bytes,expected", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_request_over_tls_gets_its_status(tls_battery_agent, name, request_bytes, expected):
    agent, context = tls_battery_agent
    reply, closed = tls_request(agent.address, context, request_bytes, timeout=4.0)
    assert status_of(reply) == expected, f"{name}: got {reply[:200]!r}"
    assert b"connection: close" in reply.split(b"\r\n\r\n", 1)[0].lower()
    assert closed, f"{name}: connection left open"
    assert get(agent.address, context)[0] == 200
    assert agent.proc.poll() is None

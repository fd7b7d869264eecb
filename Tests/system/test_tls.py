"""TLS on the agent's web port (issue 15) with real clients: Python's ssl, curl and
`openssl s_client`. Client certificates under each client_auth_type, allowed SANs, protocol
versions, plain HTTP on the TLS port, a stalled handshake, certificate rotation without a
restart, and sslyze's check against Mozilla's intermediate profile."""

import socket
import ssl
import subprocess
import time

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID

from agentproc import exchange
from test_agent import wait_until
from tlsfixtures import PKI, client_context, get, metric, replace_file, secure_agent, tls_request

CLIENT_AUTH_TYPES = ["NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven",
                     "RequireAndVerifyClientCert"]
CLIENT_CERTS = ["none", "good", "wrong_ca", "expired", "self_signed", "wrong_eku"]

# Whether a request succeeds, for each client_auth_type and client certificate (Go's semantics:
# Request and RequireAny take any certificate unverified; the Verify modes check it).
EXPECTED = {
    "NoClientCert": dict.fromkeys(CLIENT_CERTS, True),
    "RequestClientCert": dict.fromkeys(CLIENT_CERTS, True),
    "RequireAnyClientCert": {**dict.fromkeys(CLIENT_CERTS, True), "none": False},
    "VerifyClientCertIfGiven": {"none": True, "good": True, "wrong_ca": False, "expired": False, "self_signed": False,
                                "wrong_eku": False},
    "RequireAndVerifyClientCert": {"none": False, "good": True, "wrong_ca": False, "expired": False,
                                   "self_signed": False, "wrong_eku": False},
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    pki = PKI(folder)
    pki.server = pki.issue("server")
    pki.clients = {
        "none": None,
        "good": pki.issue("client-good", sans=("scraper.example",), ips=(), server=False, ca="client"),
        "wrong_ca": pki.issue("client-rogue", sans=("scraper.example",), ips=(), server=False, ca="rogue"),
        "expired": pki.issue("client-expired", sans=("scraper.example",), ips=(), server=False, ca="client", days=(-30, -1)),
        "self_signed": pki.issue("client-self", sans=("scraper.example",), ips=(), server=False, self_signed=True),
        "wrong_eku": pki.issue("client-eku", sans=("scraper.example",), ips=(), server=False, ca="client",
                               eku=[ExtendedKeyUsageOID.SERVER_AUTH]),
    }
    pki.other_client = pki.issue("client-other", sans=("other.example",), ips=(), server=False, ca="client")
    return pki


def write_web_config(folder, pki, **tls):
    lines = ["tls_server_config:", f"  cert_file: {pki.server.cert}", f"  key_file: {pki.server.key}"]
    for key, value in tls.items():
        lines.append(f"  {key}: {value}")
    path = folder / "web.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def succeeds(agent, context) -> bool:
    """A whole request over TLS: the handshake, then a 200. In TLS 1.3 the server judges the client
    certificate after the client thinks the handshake is done, so a refusal can show at the read."""
    try:
        status, _ = get(agent.address, context)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return False
    return status == 200


@pytest.fixture(scope="module", params=CLIENT_AUTH_TYPES)
def auth_agent(request, pki, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    extra = {"client_auth_type": request.param}
    if request.param != "NoClientCert":
        extra["client_ca_file"] = str(pki.client_ca_file)
    with secure_agent(folder, write_web_config(folder, pki, **extra)) as agent:
        yield request.param, agent


@pytest.mark.parametrize("client", CLIENT_CERTS)
def test_client_certificate_under_each_client_auth_type(auth_agent, pki, client):
    auth_type, agent = auth_agent
    context = client_context(pki.server_ca_file, pki.clients[client])
    assert succeeds(agent, context) == EXPECTED[auth_type][client], f"{auth_type} with client cert {client}"
    assert agent.proc.poll() is None
    # The agent still serves a good client after each refusal.
    assert succeeds(agent, client_context(pki.server_ca_file, pki.clients["good"]))


def test_allowed_san_hit_and_miss(pki, tmp_path):
    web = write_web_config(tmp_path, pki, client_auth_type="RequireAndVerifyClientCert",
                           client_ca_file=str(pki.client_ca_file), client_allowed_sans='["scraper.example"]')
    with secure_agent(tmp_path, web) as agent:
        good = client_context(pki.server_ca_file, pki.clients["good"])
        assert succeeds(agent, good)
        assert not succeeds(agent, client_context(pki.server_ca_file, pki.other_client))
        assert metric(agent, good, "zmq_exporter_tls_handshake_failures_total", '{reason="client_san_not_allowed"}') == 1


@pytest.fixture(scope="module")
def plain_tls_agent(pki, tmp_path_factory):
    folder = tmp_path_factory.mktemp("plain-tls")
    with secure_agent(folder, write_web_config(folder, pki), "--web.tls-handshake-timeout", "1s") as agent:
        yield agent


def test_curl_verifies_the_certificate_and_scrapes(plain_tls_agent, pki):
    result = subprocess.run(["curl", "-sS", "--fail", "--cacert", str(pki.server_ca_file),
                             f"https://localhost:{plain_tls_agent.port}/metrics"], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "zmq_exporter_tls_certificate_expiry_timestamp_seconds" in result.stdout
    expiry = pki.server.certificate.not_valid_after_utc.timestamp()
    assert f"zmq_exporter_tls_certificate_expiry_timestamp_seconds {int(expiry)}" in result.stdout


def test_curl_with_an_untrusted_ca_fails(plain_tls_agent, pki):
    result = subprocess.run(["curl", "-sS", "--cacert", str(pki.client_ca_file),
                             f"https://localhost:{plain_tls_agent.port}/-/healthy"], capture_output=True, text=True, timeout=20)
    assert result.returncode == 60, result.stderr  # CURLE_PEER_FAILED_VERIFICATION


def s_client(port, *args) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost", *args],
                          input=b"", capture_output=True, timeout=20)


def test_tls11_client_is_refused_by_the_tls12_minimum(plain_tls_agent):
    result = s_client(plain_tls_agent.port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert result.returncode != 0 and b"Cipher is (NONE)" in result.stdout, result.stdout[-500:]
    assert b"alert protocol version" in result.stderr, result.stderr[-500:]
    assert s_client(plain_tls_agent.port, "-tls1_2").returncode == 0


def test_tls12_client_is_refused_by_a_tls13_minimum(pki, tmp_path):
    with secure_agent(tmp_path, write_web_config(tmp_path, pki, min_version="TLS13")) as agent:
        result = s_client(agent.port, "-tls1_2")
        assert result.returncode != 0, result.stdout[-500:]
        curl = subprocess.run(["curl", "-sS", "--cacert", str(pki.server_ca_file), "--tls-max", "1.2",
                               f"https://localhost:{agent.port}/-/healthy"], capture_output=True, text=True, timeout=20)
        assert curl.returncode != 0
        assert s_client(agent.port, "-tls1_3").returncode == 0
        context = client_context(pki.server_ca_file)
        assert metric(agent, context, "zmq_exporter_tls_handshake_failures_total", '{reason="protocol_version"}') >= 2


def test_plain_http_on_the_tls_port_gets_gos_exact_answer(plain_tls_agent, pki):
    reply, closed = exchange(plain_tls_agent.address, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply == b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    assert closed
    # Not an HTTP method Go knows: just closed, no answer.
    reply, closed = exchange(plain_tls_agent.address, b"BREW /pot HTTP/1.1\r\n\r\n")
    assert reply == b"" and closed
    context = client_context(pki.server_ca_file)
    assert metric(plain_tls_agent, context, "zmq_exporter_tls_handshake_failures_total", '{reason="http_request"}') >= 1


def test_a_stalled_handshake_is_closed_at_the_deadline(plain_tls_agent, pki):
    """Slowloris of the handshake: half a ClientHello, then nothing (deadline 1 s by flag)."""
    conn = socket.create_connection(plain_tls_agent.address, timeout=10)
    try:
        opened = time.monotonic()
        conn.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        assert conn.recv(1024) == b""  # blocks until the server closes
        elapsed = time.monotonic() - opened
    except ConnectionResetError:
        elapsed = time.monotonic() - opened
    finally:
        conn.close()
    assert 0.9 <= elapsed < 3.0, f"closed after {elapsed:.2f} s"
    context = client_context(pki.server_ca_file)
    assert metric(plain_tls_agent, context, "zmq_exporter_tls_handshake_failures_total", '{reason="timeout"}') >= 1


def served_serial(agent, ca) -> int:
    context = client_context(ca)
    with socket.create_connection(agent.address, timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            from cryptography import x509
            return x509.load_der_x509_certificate(conn.getpeercert(binary_form=True)).serial_number


def test_renewed_certificate_is_served_without_restart_and_a_half_written_one_keeps_the_old(pki, tmp_path):
    first = pki.issue("rotating")
    web = tmp_path / "web.yml"
    web.write_text(f"tls_server_config:\n  cert_file: {first.cert}\n  key_file: {first.key}\n")
    with secure_agent(tmp_path, web) as agent:
        assert served_serial(agent, pki.server_ca_file) == first.certificate.serial_number
        # A new certificate written before its key: the pair does not match, the old one stays.
        renewed = pki.issue("renewed", days=(-1, 200))
        replace_file(first.cert, renewed.cert.read_bytes())
        context = client_context(pki.server_ca_file)
        wait_until("the reload to fail", lambda: metric(agent, context, "zmq_exporter_web_config_last_reload_successful") == 0)
        assert served_serial(agent, pki.server_ca_file) == first.certificate.serial_number
        assert get(agent.address, context)[0] == 200
        # The key arrives: the renewed pair is served, without a restart.
        replace_file(first.key, renewed.key.read_bytes())
        wait_until("the renewed certificate", lambda: served_serial(agent, pki.server_ca_file) == renewed.certificate.serial_number)
        assert metric(agent, context, "zmq_exporter_web_config_last_reload_successful") == 1
        assert metric(agent, context, "zmq_exporter_tls_certificate_expiry_timestamp_seconds") == int(
            renewed.certificate.not_valid_after_utc.timestamp())
        assert agent.proc.poll() is None


def test_sslyze_finds_the_default_settings_compliant_with_mozilla_intermediate(plain_tls_agent, pki):
    from pathlib import Path
    from sslyze import (CertificateInfoExtraArgument, Scanner, ScanCommandsExtraArguments, ServerNetworkLocation,
                        ServerScanRequest, ServerScanStatusEnum)
    from sslyze.mozilla_tls_profile.tls_config_checker import (MozillaTlsConfiguration, TlsConfigurationEnum,
                                                               check_server_against_tls_configuration)
    location = ServerNetworkLocation("localhost", plain_tls_agent.port, ip_address="127.0.0.1")
    extra = ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(pki.server_ca_file)))
    scanner = Scanner()
    scanner.queue_scans([ServerScanRequest(server_location=location, scan_commands_extra_arguments=extra)])
    results = list(scanner.get_results())
    assert results and results[0].scan_status == ServerScanStatusEnum.COMPLETED
    # Raises ServerNotCompliantWithTlsConfiguration listing every issue when not compliant.
    check_server_against_tls_configuration(results[0], MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE))
    assert plain_tls_agent.proc.poll() is None


def test_first_request_on_a_new_tls_connection_is_not_held_by_delayed_acks(plain_tls_agent, pki):
    """After a TLS 1.3 handshake the server sends nothing, so without an immediate ACK a client
    with Nagle on (Python, wrk) holds its request for the kernel's 40 ms delayed-ACK timer."""
    import statistics
    context = client_context(pki.server_ca_file)
    latencies = []
    for _ in range(7):
        with socket.create_connection(plain_tls_agent.address, timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as conn:
                started = time.monotonic()
                conn.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
                assert conn.recv(65536).startswith(b"HTTP/1.1 200")
                latencies.append(time.monotonic() - started)
    assert statistics.median(latencies) < 0.030, [f"{x * 1000:.1f} ms" for x in latencies]


def test_handshake_is_not_held_by_delayed_acks_either(plain_tls_agent, pki):
    """Python's ssl sends its TLS 1.3 ChangeCipherSpec and Finished as two segments with Nagle
    on: without quick ACKs from the server the second waits for the 40 ms delayed-ACK timer."""
    import statistics
    context = client_context(pki.server_ca_file)
    durations = []
    for _ in range(9):
        with socket.create_connection(plain_tls_agent.address, timeout=5) as raw:
            started = time.monotonic()
            with context.wrap_socket(raw, server_hostname="localhost") as conn:
                durations.append(time.monotonic() - started)
                conn.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
                assert conn.recv(65536).startswith(b"HTTP/1.1 200")
    assert statistics.median(durations) < 0.030, [f"{x * 1000:.1f} ms" for x in durations]

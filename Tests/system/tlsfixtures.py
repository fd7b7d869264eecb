"""Certificates, web configs and a TLS-serving agent for the web-config system tests.

Every certificate and key is made here, in the test's temporary folder, with `cryptography`
(nothing private is committed). The agent is the real binary ($ZMQ_EXPORTER_BIN) started with
--web.config.file on an ephemeral port read from its "listening on" line, stopped by PID."""

import base64
import datetime
import os
import re
import socket
import ssl
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass

from agentproc import send_and_read
from pathlib import Path

import bcrypt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from test_agent import BIN, FIXTURES, stop_process, wait_until

NOW = datetime.datetime.now(datetime.timezone.utc)


@dataclass
class Issued:
    cert: Path
    key: Path
    certificate: x509.Certificate


class PKI:
    """A server CA, a client CA and another CA no one trusts, writing PEM files into `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.server_ca = self._ca("server CA")
        self.client_ca = self._ca("client CA")
        self.rogue_ca = self._ca("rogue CA")
        self.server_ca_file = self._write_cert("server-ca.pem", self.server_ca[1])
        self.client_ca_file = self._write_cert("client-ca.pem", self.client_ca[1])

    @staticmethod
    def _name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def _ca(self, common: str):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(self._name(common)).issuer_name(self._name(common))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return key, cert

    def _write_cert(self, name: str, cert: x509.Certificate) -> Path:
        path = self.folder / name
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path

    def issue(self, name: str, *, sans=("localhost",), ips=("127.0.0.1",), server=True, ca="server",
              days=(-1, 90), eku=None, self_signed=False) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        if self_signed:
            issuer_key, issuer_name = key, self._name(name)
        else:
            issuer_key, issuer_cert = {"server": self.server_ca, "client": self.client_ca, "rogue": self.rogue_ca}[ca]
            issuer_name = issuer_cert.subject
        usage = eku if eku is not None else [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
        names = [x509.DNSName(s) for s in sans if "@" not in s] + [x509.RFC822Name(s) for s in sans if "@" in s]
        import ipaddress
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        builder = (x509.CertificateBuilder().subject_name(self._name(name)).issuer_name(issuer_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(NOW + datetime.timedelta(days=days[0]))
                   .not_valid_after(NOW + datetime.timedelta(days=days[1]))
                   .add_extension(x509.ExtendedKeyUsage(usage), critical=False)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                                content_commitment=False, key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(issuer_key, hashes.SHA256())
        cert_path = self._write_cert(f"{name}.crt", cert)
        key_path = self.folder / f"{name}.key"
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return Issued(cert_path, key_path, cert)


def replace_file(path: Path, data: bytes) -> None:
    """Writes `data` to `path` atomically (a new inode), as a certificate manager does."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def hash_password(password: str, cost: int = 4) -> str:
    """bcrypt at the lowest cost: these tests check logic, not hashing strength."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost)).decode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Agent:
    def __init__(self, proc, url: str, err: Path):
        self.proc = proc
        self.url = url
        self.err = err
        self.port = int(url.rsplit(":", 1)[1])
        self.address = ("127.0.0.1", self.port)


@contextmanager
def secure_agent(workdir: Path, web_config: Path | None, *extra: str):
    """The agent on fixtures/faults-peers.yml with `web_config`, ready to take connections."""
    config = workdir / "zmq-exporter.yml"
    config.write_text((FIXTURES / "faults-peers.yml").read_text())
    args = [BIN, "--config.file", str(config), "--web.listen-address", "127.0.0.1:0", *extra]
    if web_config is not None:
        args += ["--web.config.file", str(web_config)]
    out, err = workdir / "agent.out", workdir / "agent.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(args, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    try:
        def listening():
            assert proc.poll() is None, f"exited {proc.returncode}: {err.read_text()}"
            match = re.search(r"listening on (https?://127\.0\.0\.1:\d+)", out.read_text())
            return match and match.group(1)
        yield Agent(proc, wait_until("the 'listening on' line", listening), err)
    finally:
        stop_process(proc)


def client_context(ca: Path | None, cert: Issued | None = None, *, minimum=None, maximum=None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    if ca is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(str(cert.cert), str(cert.key))
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    return context


def tls_request(address, context: ssl.SSLContext, request: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Sends `request` over TLS and reads until the server closes or `timeout`: (reply, closed).
    A handshake or read failure raises ssl.SSLError / OSError."""
    with socket.create_connection(address, timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            return send_and_read(conn, request, timeout)


def get(address, context, path="/-/healthy", headers: dict | None = None) -> tuple[int | None, bytes]:
    """One GET over TLS with Connection: close; (status, whole reply)."""
    lines = [f"GET {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    reply, _ = tls_request(address, context, ("\r\n".join(lines) + "\r\n\r\n").encode())
    first = reply.split(b"\r\n", 1)[0].split(b" ")
    status = int(first[1]) if len(first) > 1 and first[1].isdigit() else None
    return status, reply


def metric(agent: Agent, context, name: str, labels: str = "", auth: str | None = None) -> float | None:
    status, reply = get(agent.address, context, "/metrics", {"Authorization": auth} if auth else None)
    assert status == 200, reply[:300]
    body = reply.split(b"\r\n\r\n", 1)[1].decode()
    for line in body.splitlines():
        if line.startswith(name + labels + " "):
            return float(line.rsplit(" ", 1)[1])
    return None

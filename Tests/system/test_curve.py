"""CURVE from the outside (issue 15): `curve-keygen` writes files pyzmq's `zmq.auth` reads back,
and the real binary, configured with them, lets a listed pyzmq client in and refuses an unknown
one (ZAP 400), counting both. Every wait has a deadline."""

import os
import stat
import subprocess
from pathlib import Path

import pytest
import zmq
import zmq.auth

from test_agent import BIN, exporter, wait_until

pytestmark = pytest.mark.skipif(not zmq.has("curve"), reason="pyzmq's libzmq has no CURVE")


def keygen(prefix: Path) -> subprocess.CompletedProcess:
    return subprocess.run([BIN, "curve-keygen", "--out", str(prefix)], capture_output=True, text=True, timeout=30)


def test_keygen_files_load_with_pyzmq(tmp_path):
    done = keygen(tmp_path / "server.key")
    assert done.returncode == 0, done.stderr
    public, secret = tmp_path / "server.key", tmp_path / "server.key_secret"
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    public_key, none = zmq.auth.load_certificate(public)
    assert none is None and len(public_key) == 40
    both = zmq.auth.load_certificate(secret)
    assert both[0] == public_key and len(both[1]) == 40
    assert zmq.curve_public(both[1]) == public_key
    assert f"public key: {public_key.decode()}" in done.stdout
    # Never overwrite a key in use.
    again = keygen(tmp_path / "server.key")
    assert again.returncode == 1 and "File exists" in again.stderr
    assert zmq.auth.load_certificate(secret) == both


def test_agent_lets_listed_pyzmq_client_in_and_refuses_others(tmp_path):
    assert keygen(tmp_path / "server.key").returncode == 0
    # A client certificate made by pyzmq, named the same way.
    client_public, client_secret = zmq.auth.create_certificates(tmp_path, "client")
    config = tmp_path / "zmq-exporter.yml"
    config.write_text(
        "sockets:\n"
        "  - name: secure\n"
        "    role: tap\n"
        "    type: PULL\n"
        '    bind: ["tcp://127.0.0.1:*"]\n'
        "    curve:\n"
        "      server: true\n"
        "      secret_key_file: server.key_secret\n"
        f"      allowed_clients: [{Path(client_public).name}]\n")
    server_public, _ = zmq.auth.load_certificate(tmp_path / "server.key")
    client_pub, client_sec = zmq.auth.load_certificate(client_secret)
    stranger_pub, stranger_sec = zmq.curve_keypair()
    context = zmq.Context()
    try:
        with exporter(config, tmp_path) as agent:
            endpoint = agent.bound_endpoint("secure")
            pushes = []  # kept: a pyzmq socket that is garbage-collected closes
            for public, secret in ((client_pub, client_sec), (stranger_pub, stranger_sec)):
                push = context.socket(zmq.PUSH)
                push.linger = 0
                push.reconnect_ivl = 60_000  # one attempt each
                push.curve_serverkey, push.curve_publickey, push.curve_secretkey = server_public, public, secret
                push.connect(endpoint)
                pushes.append(push)
                if public == client_pub:
                    push.send(b"sealed", flags=0)
            agent.wait_value("zmq_socket_messages_received_total", {"socket": "secure"}, 1)
            agent.wait_value("zmq_exporter_zap_requests_total", {"status": "200"}, 1)
            agent.wait_value("zmq_exporter_zap_requests_total", {"status": "400"}, 1)
            agent.wait_value("zmq_socket_handshake_failures_total", {"socket": "secure", "reason": "zap_400"}, 1)
    finally:
        context.destroy(linger=0)


def test_world_readable_secret_is_refused_by_check_config(tmp_path):
    assert keygen(tmp_path / "server.key").returncode == 0
    secret = tmp_path / "server.key_secret"
    os.chmod(secret, 0o644)
    config = tmp_path / "zmq-exporter.yml"
    config.write_text(
        "sockets:\n"
        "  - name: secure\n"
        "    role: tap\n"
        "    type: PULL\n"
        '    bind: ["tcp://127.0.0.1:*"]\n'
        "    curve: {server: true, secret_key_file: server.key_secret, allowed_clients: []}\n")
    done = subprocess.run([BIN, "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"{config}:6:44: tap 'secure': secret_key_file 'server.key_secret' is readable or writable by group or "
        "others (mode 0644); run chmod 600 on it")

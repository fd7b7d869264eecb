#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh Debian 12 machine with the Swift
# toolchain. Idempotent: it only installs what is missing. As a non-root user it says what to run.
set -euo pipefail
want="${1:-test}"

apt_pkgs=()
pkg-config --exists libzmq 2>/dev/null || apt_pkgs+=(libzmq3-dev)
pkg-config --exists zlib 2>/dev/null || apt_pkgs+=(zlib1g-dev)
pkg-config --exists yaml-0.1 2>/dev/null || apt_pkgs+=(libyaml-dev)
# TLS and basic auth for --web.config.file: OpenSSL 3 and libxcrypt's bcrypt.
# Headers only at build time (the agent loads libssl.so.3 and libcrypt.so.1 when it needs them).
[ -f /usr/include/openssl/ssl.h ] || apt_pkgs+=(libssl-dev)
[ -f /usr/include/crypt.h ] || apt_pkgs+=(libcrypt-dev)
command -v pkg-config >/dev/null || apt_pkgs+=(pkg-config)
if [ "$want" = test ] || [ "$want" = bench ]; then
  command -v curl >/dev/null || apt_pkgs+=(curl)
  command -v prometheus >/dev/null || apt_pkgs+=(prometheus)
  command -v promtool >/dev/null || apt_pkgs+=(prometheus)
  command -v amtool >/dev/null || apt_pkgs+=(prometheus-alertmanager)
  command -v wrk >/dev/null || apt_pkgs+=(wrk)
fi
# Tests/system/test_deploy_*.py: systemd-analyze verifies the unit, busybox runs the Kubernetes
# config-reloader's script as its image would.
if [ "$want" = test ]; then
  command -v systemd-analyze >/dev/null || apt_pkgs+=(systemd)
  command -v busybox >/dev/null || apt_pkgs+=(busybox)
fi
if [ "$want" = bench ]; then
  command -v prometheus-node-exporter >/dev/null || apt_pkgs+=(prometheus-node-exporter)
  command -v valgrind >/dev/null || apt_pkgs+=(valgrind)
fi

# docs/landing.png is a headless Chromium screenshot of the demo's landing page.
if [ "$want" = docs ]; then
  command -v chromium >/dev/null || apt_pkgs+=(chromium)
fi

# `make soak` loads the agent with wrk and plots its samples with matplotlib (pip, below).
if [ "$want" = soak ]; then
  command -v wrk >/dev/null || apt_pkgs+=(wrk)
fi

if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure-deps: installing ${apt_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # The prometheus packages try to start services; there is no init system to start them here.
    apt-get install -y -q --no-install-recommends "${apt_pkgs[@]}" >/dev/null
  else
    echo "ensure-deps: missing packages: ${apt_pkgs[*]}" >&2
    echo "ensure-deps: run: sudo apt-get install -y ${apt_pkgs[*]}" >&2
    exit 1
  fi
fi

if [ "$want" = test ] || [ "$want" = bench ]; then
  py_missing=()
  python3 -c 'import zmq' 2>/dev/null || py_missing+=(pyzmq)
  python3 -c 'import prometheus_client' 2>/dev/null || py_missing+=(prometheus_client)
  python3 -c 'import pytest' 2>/dev/null || py_missing+=(pytest)
  python3 -c 'import yaml' 2>/dev/null || py_missing+=(pyyaml)
  # The TLS and web-config system tests: bcrypt hashes, certificates, and the Mozilla profile check.
  python3 -c 'import bcrypt' 2>/dev/null || py_missing+=(bcrypt)
  python3 -c 'import cryptography' 2>/dev/null || py_missing+=(cryptography)
  python3 -c 'import sslyze' 2>/dev/null || py_missing+=(sslyze)
fi
# The deploy tests: Kubernetes schemas and the Compose specification's schema (vendored by
# check-jsonschema).
if [ "$want" = test ]; then
  python3 -c 'import kubernetes_validate' 2>/dev/null || py_missing+=(kubernetes-validate)
  python3 -c 'import check_jsonschema' 2>/dev/null || py_missing+=(check-jsonschema)
fi
if [ "$want" = test ] || [ "$want" = bench ]; then
  if [ ${#py_missing[@]} -gt 0 ]; then
    echo "ensure-deps: pip installing ${py_missing[*]}"
    python3 -m pip install -q --disable-pip-version-check "${py_missing[@]}"
  fi
fi

if [ "$want" = soak ]; then
  soak_missing=()
  python3 -c 'import zmq' 2>/dev/null || soak_missing+=(pyzmq)
  python3 -c 'import prometheus_client' 2>/dev/null || soak_missing+=(prometheus_client)
  python3 -c 'import matplotlib' 2>/dev/null || soak_missing+=(matplotlib)
  if [ ${#soak_missing[@]} -gt 0 ]; then
    echo "ensure-deps: pip installing ${soak_missing[*]}"
    python3 -m pip install -q --disable-pip-version-check "${soak_missing[@]}"
  fi
fi

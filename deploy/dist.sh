#!/usr/bin/env bash
# Packs the release binary as Prometheus exporters ship theirs:
#   dist/zmq-exporter-VERSION.linux-ARCH.tar.gz  with one top folder zmq-exporter-VERSION.linux-ARCH/
#   dist/sha256sums.txt                          (`sha256sum -c` format)
# VERSION comes from deploy/version.sh, ARCH is Go's name for the machine (amd64, arm64).
# Run by `make dist` after `make release`. The preload library goes in when it is built: by
# `make preload` if the Makefile has that target, else if .build/preload/ already holds it.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/release/zmq-exporter
preload=.build/preload/libzmq_exporter_preload.so
[ -x "$binary" ] || { echo "dist.sh: $binary is missing: run make release" >&2; exit 1; }

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "dist.sh: no Go architecture name for $(uname -m)" >&2; exit 1 ;;
esac
version="$(deploy/version.sh)"
name="zmq-exporter-$version.linux-$arch"

if grep -qE '^preload:' Makefile; then
  make --no-print-directory preload
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
install -m 0755 "$binary" "$stage/$name/zmq-exporter"
install -m 0644 LICENSE README.md "$stage/$name/"
install -m 0644 deploy/zmq-exporter.yml "$stage/$name/zmq-exporter.yml"
if [ -f "$preload" ]; then
  install -m 0644 "$preload" "$stage/$name/"
fi

mkdir -p dist
# Same bytes for the same inputs: fixed owner, order and times (the binary's own time is kept).
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-$(stat -c %Y "$binary")}" \
  -C "$stage" -cf - "$name" | gzip -n -9 > "dist/$name.tar.gz"
(cd dist && sha256sum -- *.tar.gz > sha256sums.txt)
echo "dist/$name.tar.gz"

#!/usr/bin/env sh
# Prints the agent's version. The one place it is written is the Swift source
# (`public static let version = "X.Y.Z"` in the agent core), so the archive name, the image label
# and `zmq-exporter --version` cannot disagree. Searched by pattern, not by file path, because the
# Swift sources are being moved around.
set -eu
cd "$(dirname "$0")/.."
version=$(grep -rhoE 'public static let version = "[^"]+"' Sources | head -n 1 | sed -E 's/.*"([^"]+)"/\1/')
[ -n "$version" ] || { echo "version.sh: no 'public static let version' in Sources/" >&2; exit 1; }
echo "$version"

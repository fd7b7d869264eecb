#!/usr/bin/env bash
# Builds the shipped agent, .build/release/zmq-exporter. The one build recipe: `make release`
# and the container image's builder stage both run this script, so they cannot drift apart.
#
# - The Swift runtime is linked in (--static-swift-stdlib), as a Go exporter carries its runtime.
# - zlib is linked in too. SwiftPM asks pkg-config for zlib's flags and the CZlib module map
#   autolinks `-lz`; GNU ld takes, for `-lz`, the first libz on its search path, .so before .a.
#   A pkg-config file for zlib whose library folder holds only zlib1g-dev's libz.a puts that
#   folder first on the path, so the linker takes the static one and the binary does not need
#   libz.so.1 at run time.
# What is left to load at run time is listed in README.md ("Deploy") and checked by
# Tests/system/test_deploy_dist.py against `readelf -d`.
#
# Extra `swift build` arguments may follow (e.g. --product zmq-exporter); SWIFT overrides the
# swift command, SWIFTFLAGS adds flags as the Makefile's variable does.
set -euo pipefail
cd "$(dirname "$0")/.."
swift_cmd="${SWIFT:-swift}"

zlib_dir="$(pkg-config --variable=libdir zlib 2>/dev/null || true)"
if [ -z "$zlib_dir" ] || [ ! -f "$zlib_dir/libz.a" ]; then
  echo "build-release.sh: zlib1g-dev's libz.a not found (scripts/ensure-deps.sh demo installs it)" >&2
  exit 1
fi
static_dir="$PWD/.build/static-zlib"
mkdir -p "$static_dir/pkgconfig"
ln -sf "$zlib_dir/libz.a" "$static_dir/libz.a"
cat > "$static_dir/pkgconfig/zlib.pc" <<PC
libdir=$static_dir
includedir=$(pkg-config --variable=includedir zlib)
Name: zlib
Description: zlib, linked statically into the zmq-exporter release binary
Version: $(pkg-config --modversion zlib)
Libs: -L\${libdir} -lz
Cflags: -I\${includedir}
PC
export PKG_CONFIG_PATH="$static_dir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# shellcheck disable=SC2086  # SWIFTFLAGS is a list of words, as in the Makefile
"$swift_cmd" build -c release --static-swift-stdlib \
  ${SWIFTFLAGS:-} "$@"

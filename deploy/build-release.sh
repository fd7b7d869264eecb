#!/usr/bin/env bash
# Builds the shipped agent, .build/release/zmq-exporter. The one build recipe: `make release`
# and the container image's builder stage both run this script, so they cannot drift apart.
#
# - The Swift runtime is linked in (--static-swift-stdlib), as a Go exporter carries its runtime.
# - zlib is linked in too. SwiftPM asks pkg-config for its flags and the CZlib module map
#   autolinks `-lz`; GNU ld takes, for `-lz`, the first libz on its search path, .so before .a.
#   A pkg-config file whose library folder holds only zlib1g-dev's libz.a puts that folder first
#   on the path, so the linker takes the static one and the binary does not need libz.so.1.
#   libyaml is static through CYAML's module map (`link ":libyaml.a"`).
# What is left to load at run time is listed in README.md ("Deploy") and checked by
# Tests/system/test_deploy_dist.py against `readelf -d`.
#
# Extra `swift build` arguments may follow (e.g. --product zmq-exporter); SWIFT overrides the
# swift command, SWIFTFLAGS adds flags as the Makefile's variable does.
set -euo pipefail
cd "$(dirname "$0")/.."
swift_cmd="${SWIFT:-swift}"

# One folder holding only the static archives, with a pkg-config file per library that points
# there (zlib for CZlib; CYAML names libyaml.a in its module map itself).
static_dir="$PWD/.build/static-libs"
mkdir -p "$static_dir/pkgconfig"
static_pc() {  # static_pc PKG ARCHIVE LINKNAME
  local pkg="$1" archive="$2" name="$3" dir
  dir="$(pkg-config --variable=libdir "$pkg" 2>/dev/null || true)"
  if [ -z "$dir" ] || [ ! -f "$dir/$archive" ]; then
    echo "build-release.sh: $archive of $pkg not found (scripts/ensure-deps.sh demo installs it)" >&2
    exit 1
  fi
  ln -sf "$dir/$archive" "$static_dir/$archive"
  cat > "$static_dir/pkgconfig/$pkg.pc" <<PC
libdir=$static_dir
includedir=$(pkg-config --variable=includedir "$pkg")
Name: $pkg
Description: $pkg, linked statically into the zmq-exporter release binary
Version: $(pkg-config --modversion "$pkg")
Libs: -L\${libdir} -l$name
Cflags: -I\${includedir}
PC
}
static_pc zlib libz.a z
export PKG_CONFIG_PATH="$static_dir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# shellcheck disable=SC2086  # SWIFTFLAGS is a list of words, as in the Makefile
"$swift_cmd" build -c release --static-swift-stdlib \
  ${SWIFTFLAGS:-} "$@"

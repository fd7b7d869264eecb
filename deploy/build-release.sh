#!/usr/bin/env bash
# Builds the shipped agent, .build/release/zmq-exporter. The one build recipe: `make release`
# and the container image's builder stage both run this script, so they cannot drift apart.
#
# - The Swift runtime is linked in (--static-swift-stdlib), as a Go exporter carries its runtime.
# - zlib and libyaml are linked in too: their module maps name the static archives
#   (`link ":libz.a"`, `link ":libyaml.a"`), so the binary needs neither libz.so.1 nor
#   libyaml-0.so.2 at run time.
# What is left to load at run time is listed in README.md ("Deploy") and checked by
# Tests/system/test_deploy_dist.py against `readelf -d`.
#
# Extra `swift build` arguments may follow (e.g. --product zmq-exporter); SWIFT overrides the
# swift command, SWIFTFLAGS adds flags as the Makefile's variable does.
set -euo pipefail
cd "$(dirname "$0")/.."
swift_cmd="${SWIFT:-swift}"

# shellcheck disable=SC2086  # SWIFTFLAGS is a list of words, as in the Makefile
"$swift_cmd" build -c release --static-swift-stdlib \
  ${SWIFTFLAGS:-} "$@"

#!/usr/bin/env bash
# Builds each libFuzzer target from the sources it exercises and runs it for FUZZ_SECONDS.
# Usage: Fuzz/run.sh [target...]   (targets: YAML TapJSON MonitorEvent ConfigLoader PreloadFile; HTTPParser has its own make target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
out=.build-fuzz
mkdir -p "$out"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(YAML TapJSON MonitorEvent ConfigLoader PreloadFile)
for target in "${targets[@]}"; do
  case "$target" in
    # The reader imports CYAML: -I finds its module map, which links libyaml.a.
    YAML) sources=(Sources/ZMQExporter/Config/YAMLNode.swift Sources/ZMQExporter/Config/YAMLParser.swift
                   Sources/ZMQExporter/Config/YAMLParser+Errors.swift -I Sources/CYAML) ;;
    TapJSON) sources=(Sources/ZMQExporter/Decoding/JSONFieldScanner.swift Sources/ZMQExporter/Decoding/JSONCursor.swift) ;;
    MonitorEvent) sources=(Sources/ZeroMQ/MonitorEvent.swift Sources/ZeroMQ/ProtocolError.swift) ;;
    PreloadFile) sources=(Sources/ZMQExporter/Preload/PreloadFile.swift Sources/ZMQExporter/Preload/PreloadFile+Signature.swift
                          Sources/ZMQExporter/Preload/PreloadFileError.swift Sources/ZMQExporter/Preload/PreloadProcess.swift) ;;
    ConfigLoader) sources=() ;;
    *) echo "unknown fuzz target $target" >&2; exit 2 ;;
  esac
  if [ "$target" = ConfigLoader ]; then
    # The loader needs the whole ZMQExporter module: build it in Fuzz/ConfigLoader's own package.
    (cd Fuzz/ConfigLoader && swift build -c release --scratch-path "../../$out/config" -Xswiftc -sanitize=fuzzer,address)
    cp "$out/config/release/ConfigFuzz" "$out/fuzz-$target"
  else
    swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "Fuzz$target" \
      "${sources[@]}" "Fuzz/$target/main.swift" -o "$out/fuzz-$target"
  fi
  mkdir -p "$out/corpus-$target"
  echo "== fuzz $target for ${seconds}s"
  max_len=4096
  [ "$target" = PreloadFile ] && max_len=8192 # a whole stats file with a few slots
  "$out/fuzz-$target" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
    "$out/corpus-$target" "Fuzz/$target/corpus" 2>&1 | grep -E 'stat::number_of_executed_units|Done|ERROR|crash' || true
  if ls crash-* >/dev/null 2>&1; then echo "crash found in $target" >&2; exit 1; fi
done

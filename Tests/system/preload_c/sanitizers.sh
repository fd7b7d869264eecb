#!/usr/bin/env bash
# Issue 18: the preload library and a multi-threaded C workload built with ThreadSanitizer, then
# with AddressSanitizer + UndefinedBehaviorSanitizer, each run once; any report fails the run.
# The workload links the library ahead of libzmq, which interposes exactly as LD_PRELOAD does
# (a sanitizer runtime must be the first object loaded, so LD_PRELOAD of our .so cannot be used).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=.build/preload-sanitizers
mkdir -p "$out"
stats=$(mktemp -d)
trap 'rm -rf "$stats"' EXIT
status=0
for kind in thread address; do
  case "$kind" in
    thread) flags=(-fsanitize=thread -Wno-tsan)
            export TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$PWD/Tests/system/preload_c/tsan.supp"
            export STRESS_NO_FORK=1 expected_files=1 ;; # TSan cannot follow a threaded fork
    address) flags=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
             export ASAN_OPTIONS="detect_leaks=1 exitcode=66" UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1"
             unset STRESS_NO_FORK; expected_files=2 ;;
  esac
  dir="$out/$kind"
  mkdir -p "$dir"
  cc -std=gnu11 -O1 -g "${flags[@]}" -fPIC -shared -fvisibility=hidden -o "$dir/libzmq_exporter_preload.so" \
    Sources/ZMQPreload/*.c -pthread -ldl
  cc -std=gnu11 -O1 -g "${flags[@]}" -o "$dir/stress" Tests/system/preload_c/stress.c \
    -L"$dir" -Wl,-rpath,"$PWD/$dir" -Wl,--no-as-needed -lzmq_exporter_preload -lzmq -lpthread
  echo "== $kind sanitizer"
  if ! ZMQ_EXPORTER_DIR="$stats/$kind" timeout 120 "$dir/stress" >"$dir/stdout" 2>"$dir/stderr"; then
    echo "stress under -fsanitize=$kind failed:" >&2; cat "$dir/stderr" >&2; status=1; continue
  fi
  if grep -qE 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$dir/stderr"; then
    echo "sanitizer report under -fsanitize=$kind:" >&2; cat "$dir/stderr" >&2; status=1; continue
  fi
  files=$(ls "$stats/$kind" | wc -l)
  [ "$files" = "$expected_files" ] || { echo "expected $expected_files stats file(s), found $files" >&2; status=1; }
  echo "$(cat "$dir/stdout"), 0 reports, $files stats files"
done
exit $status

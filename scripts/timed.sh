#!/usr/bin/env bash
# timed.sh LABEL COMMAND...: runs COMMAND and prints how long it took, so `make test` says what
# each part costs. The command's exit status is kept.
label="$1"; shift
start=$(date +%s)
"$@"
status=$?
echo "[time] $label: $(( $(date +%s) - start )) s (exit $status)"
exit $status

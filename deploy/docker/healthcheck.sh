#!/bin/bash
# The image's HEALTHCHECK: GET /-/healthy, healthy on "HTTP/1.x 200". debian:bookworm-slim has no
# curl or wget, and installing one only for this would add a package (and its CVEs) to the image;
# bash's /dev/tcp is already there. ZMQ_EXPORTER_HEALTH_ADDRESS is HOST:PORT (default
# 127.0.0.1:10027, the agent's default listen port). Exit 0 healthy, 1 not.
address="${ZMQ_EXPORTER_HEALTH_ADDRESS:-127.0.0.1:10027}"
host="${address%:*}"
port="${address##*:}"
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /-/healthy HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$address" >&3
IFS= read -r -t 5 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac

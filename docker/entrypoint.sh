#!/usr/bin/env bash
# The container's entrypoint (and what the tests run directly): starts npm-gateway as PID 1's replacement, so
# SIGTERM from the container runtime reaches the JVM, which closes its store and exits 0.
#
#   entrypoint.sh [gateway flags...]   start the gateway (flags are appended to the defaults below)
#   entrypoint.sh healthcheck          exit 0 when /-/health answers 200 (the image's HEALTHCHECK)
#
# Environment: NPM_GATEWAY_JAR (default /app/npm-gateway.jar), JAVA_OPTS (default -Xmx256m),
# NPM_GATEWAY_PORT (4873), NPM_GATEWAY_BIND (0.0.0.0), NPM_GATEWAY_DATA_DIR (/data); every other setting
# through NPM_GATEWAY_CONFIG (a YAML file), NPM_GATEWAY_UPSTREAM, NPM_GATEWAY_PUBLIC_URL or flags.
set -euo pipefail

port="${NPM_GATEWAY_PORT:-4873}"

if [ "${1:-}" = "healthcheck" ]; then
  # No curl in a slim JRE image: speak HTTP/1.0 over bash's /dev/tcp.
  exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
  printf 'GET /-/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  IFS= read -r -t 5 status <&3 || exit 1
  case "$status" in
    "HTTP/1."?" 200"*) exit 0 ;;
    *) exit 1 ;;
  esac
fi

args=(--port "$port" --bind "${NPM_GATEWAY_BIND:-0.0.0.0}" --data-dir "${NPM_GATEWAY_DATA_DIR:-/data}")
[ -n "${NPM_GATEWAY_CONFIG:-}" ] && args+=(--config "$NPM_GATEWAY_CONFIG")
if [ -n "${NPM_GATEWAY_UPSTREAM:-}" ]; then
  IFS=',' read -r -a upstreams <<< "$NPM_GATEWAY_UPSTREAM"
  for u in "${upstreams[@]}"; do args+=(--upstream "$u"); done
fi
[ -n "${NPM_GATEWAY_PUBLIC_URL:-}" ] && args+=(--public-url "$NPM_GATEWAY_PUBLIC_URL")

# shellcheck disable=SC2086 # JAVA_OPTS is a list of options on purpose
exec java ${JAVA_OPTS:--Xmx256m} -jar "${NPM_GATEWAY_JAR:-/app/npm-gateway.jar}" "${args[@]}" "$@"

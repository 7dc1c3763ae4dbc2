#!/usr/bin/env bash
# Builds npm-gateway (when the sources are newer than the jar) and starts it on its embedded store.
# Arguments are passed to the gateway: ./gateway.sh --port 4873 --data-dir ./data --upstream URL
# With no --upstream and no --config, the gateway proxies the registry npm is configured with.
set -euo pipefail
cd "$(dirname "$0")"
jar=proxy/target/npm-gateway.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml config storage metrics proxy -newer "$jar" \
      \( -name '*.java' -o -name 'pom.xml' -o -name '*.xml' -o -name '*.yaml' \) -not -path '*/target/*' -print -quit)" ]; then
  echo "building npm-gateway..." >&2
  mvn -B -q -DskipTests -pl proxy -am package
fi
exec java ${NPM_GATEWAY_JAVA_OPTS:--Xmx256m} -jar "$jar" "$@"

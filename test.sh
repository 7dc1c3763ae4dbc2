#!/usr/bin/env bash
# Runs every test of npm-gateway. Installs what the tests drive for real (Verdaccio, pnpm, Yarn, npm versions)
# into ./.tools from the npm registry npm is configured with, then runs the Maven build with all tests.
set -euo pipefail
cd "$(dirname "$0")"
bash tools/install-test-deps.sh
mvn -B verify "$@"

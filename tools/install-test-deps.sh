#!/usr/bin/env bash
# Installs the real parts the tests drive (Verdaccio and the package-manager clients) into <repo>/.tools/.
#
# Everything comes from the npm registry this machine's npm is configured with; the tests themselves
# never talk to it. Each tool lives in its own prefix, .tools/<dir>/, with a stamp file written only
# after a complete install, so a second run only compares stamps and is fast, and an interrupted run
# is redone rather than trusted.
#
# Pinned versions: tools/test-deps/package.json (Verdaccio, with the npm overrides it needs) and
# tools/test-deps/clients.txt (pnpm, Yarn, npm). Change a pin there and rerun.
#
# Usage: tools/install-test-deps.sh            (NPMGATEWAY_TOOLS_DIR overrides the target directory)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps_dir="$repo_root/tools/test-deps"
tools_dir="${NPMGATEWAY_TOOLS_DIR:-$repo_root/.tools}"
stamp_name=".installed"

die() { echo "install-test-deps: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not on PATH (Node 20 or newer is needed)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node $(node -v) is too old: Verdaccio 6 needs Node 20 or newer"

mkdir -p "$tools_dir"

# promtool (Debian's prometheus package) checks the gateway's /metrics output in the metrics tests.
if [ -z "${PROMTOOL:-}" ] && ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: installing promtool (Debian package prometheus)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null \
      || die "apt-get install prometheus failed"
  else
    die "promtool is missing: install Debian's prometheus package (sudo apt-get install prometheus) or set PROMTOOL"
  fi
fi


# Two builds starting at once (parallel CI jobs on one checkout) must not install into the same prefix.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$tools_dir/.lock"
  flock 9
fi

# Flags for every install: no lockfile (it would hold registry URLs and is useless for a pinned tool),
# no audit or funding chatter, and no install scripts (none of these tools needs one).
npm_flags=(--no-package-lock --no-audit --no-fund --ignore-scripts --no-update-notifier --loglevel=warn)

# is_current <dir> <expected stamp text>: true when <dir> holds a finished install of exactly that spec.
is_current() {
  local stamp="$1/$stamp_name"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$2" ]
}

# install_verdaccio: .tools/verdaccio/ from tools/test-deps/package.json (it carries the overrides entry
# without which Verdaccio 6 does not install at all).
install_verdaccio() {
  local dir="$tools_dir/verdaccio"
  local spec
  spec="$(cat "$deps_dir/package.json")"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$deps_dir/package.json" "$dir/package.json"
  (cd "$dir" && npm install "${npm_flags[@]}")
  [ -x "$dir/node_modules/.bin/verdaccio" ] || die "verdaccio bin missing after install"
  printf '%s' "$spec" >"$dir/$stamp_name"
}

# install_client <dir> <package> <version> <bin>: one client in its own prefix.
install_client() {
  local dir="$tools_dir/$1" package="$2" version="$3" bin="$4"
  rm -rf "$dir"
  mkdir -p "$dir"
  # A package.json of our own keeps npm from walking up to the repository and from saving anything.
  printf '{ "name": "npm-gateway-test-%s", "version": "0.0.0", "private": true, "dependencies": { "%s": "%s" } }\n' \
    "$1" "$package" "$version" >"$dir/package.json"
  (cd "$dir" && npm install "${npm_flags[@]}")
  [ -e "$dir/node_modules/.bin/$bin" ] || die "$bin missing after installing $package@$version"
  printf '%s' "$package@$version" >"$dir/$stamp_name"
}

# installed_version <dir> <package>: what actually landed, read from the installed package.json.
installed_version() {
  node -p 'require(process.argv[1]).version' "$tools_dir/$1/node_modules/$2/package.json"
}

# Fresh installs run in parallel (npm's cache is safe to share between processes); each writes its
# own log, shown only when it fails.
pids=()
names=()
start_install() {
  local name="$1"
  shift
  local log="$tools_dir/$name.install.log"
  ("$@" >"$log" 2>&1) &
  pids+=("$!")
  names+=("$name")
}

declare -a rows=()
if is_current "$tools_dir/verdaccio" "$(cat "$deps_dir/package.json")"; then
  rows+=("verdaccio verdaccio already")
else
  start_install verdaccio install_verdaccio
  rows+=("verdaccio verdaccio installed")
fi

while read -r dir package version bin; do
  case "$dir" in '' | '#'*) continue ;; esac
  if is_current "$tools_dir/$dir" "$package@$version"; then
    rows+=("$dir $package already")
  else
    start_install "$dir" install_client "$dir" "$package" "$version" "$bin"
    rows+=("$dir $package installed")
  fi
done <"$deps_dir/clients.txt"

failed=0
# Guarded: bash 3.2 (macOS) treats expanding an empty array under `set -u` as an error.
[ "${#pids[@]}" -eq 0 ] || for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    failed=1
    echo "install-test-deps: installing ${names[$i]} failed; last lines of $tools_dir/${names[$i]}.install.log:" >&2
    tail -n 30 "$tools_dir/${names[$i]}.install.log" >&2
  else
    rm -f "$tools_dir/${names[$i]}.install.log"
  fi
done
[ "$failed" -eq 0 ] || exit 1

for row in "${rows[@]}"; do
  read -r dir package how <<<"$row"
  if [ "$how" = already ]; then how="already installed"; fi
  printf '%-10s %-18s %-9s %s\n' "$dir" "$package" "$(installed_version "$dir" "$package")" "($how)"
done

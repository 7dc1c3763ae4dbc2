#!/usr/bin/env python3
"""Side-by-side comparison of npm-gateway, Verdaccio 6 and nginx on this machine, in one run, on the same objects.

Everything listens on 127.0.0.1. The servers under test are pinned to one core (--server-core) and every load
generator (wrk, npm, the cold-path client) to another (--load-core), so the servers compete for the same CPU budget.

  warm   wrk at 1, 64 and 256 connections against each warm server, for a tiny, a ~300 KB and a multi-MB tarball
         and a mid-size and a 10 MB+ packument (full and abbreviated, plain and gzip): req/s, MB/s, p50/p99/max,
         errors; and each server's peak RSS.
  npm ci `npm ci --ignore-scripts` of a ~500 and a ~2,000 package project with a fresh client cache, median of
         --npm-ci-runs, through each warm server; the lockfile has no resolved URLs (npm asks for every packument
         and every tarball), and npm runs on a tmpfs when there is one.
  cold   a local origin (nginx serving real packuments and tarballs from disk, with an access log) behind fresh
         instances: 256 concurrent requests for one uncached tarball (how many reached the origin), and
         time-to-first-byte of a cold 10 MB+ packument.

The warm objects come from the upstream registry npm is configured with (`npm config get registry`) unless
--upstream says otherwise. Run from the repository root after `mvn -B -q -Dmaven.test.skip=true -pl proxy -am
package` and `bash tools/install-test-deps.sh`:

  python3 bench/compare/compare.py                       # all of it (about 30 minutes)
  python3 bench/compare/compare.py --parts warm --duration 3 --connections 64

It writes bench/results/compare-<date>.md and prints the same Markdown.
"""

import argparse
import concurrent.futures
import datetime
import gzip
import hashlib
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import resource
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GATEWAY_JAR = ROOT / "proxy" / "target" / "npm-gateway.jar"
VERDACCIO = ROOT / ".tools" / "verdaccio" / "node_modules" / "verdaccio" / "bin" / "verdaccio"

CORGI = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
FULL = "application/json"

# The objects every server is loaded with. Tarball versions are fixed so every run reads the same bytes.
TARBALLS = [
    ("tiny tarball", "is-number", "7.0.0"),
    ("~300 KB tarball", "lodash", "4.17.21"),
    ("multi-MB tarball", "typescript", "5.6.3"),
]
PACKUMENTS = [
    ("mid packument", "lodash"),
    ("10 MB+ packument", "typescript"),
]

PORTS = {"gateway": 15001, "verdaccio": 15002, "nginx-proxy": 15003, "nginx-static": 15004}
COLD_PORTS = {"origin": 15010, "gateway": 15011, "verdaccio": 15012, "nginx-proxy": 15013}
PEERS = ["gateway", "verdaccio", "nginx-proxy", "nginx-static"]


def log(message):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Servers


class Server:
    """A process listening on 127.0.0.1:port, pinned to one core, whose peak RSS can be read."""

    def __init__(self, name, port, command, work, env=None):
        self.name, self.port, self.work = name, port, work
        self.out = open(work / f"{name}.out", "w")
        self.process = subprocess.Popen(command, stdout=self.out, stderr=subprocess.STDOUT, cwd=work,
                                        env=env, start_new_session=True)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}/"

    def wait_ready(self, path="-/ping", timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.out.name}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as r:
                    r.read()
                    return self
            except urllib.error.HTTPError:
                return self  # it answers: that is all readiness means here
            except OSError:
                time.sleep(0.2)  # polling a port that is not open yet: nothing to wait on but time
        raise RuntimeError(f"{self.name} did not answer on {self.base} within {timeout} s; see {self.out.name}")

    def pids(self):
        """The process and its descendants (nginx workers)."""
        found, frontier = [self.process.pid], [self.process.pid]
        children = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                pass
        while frontier:
            nxt = []
            for pid in frontier:
                nxt.extend(children.get(pid, []))
            found.extend(nxt)
            frontier = nxt
        return found

    def peak_rss_mb(self):
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.out.close()


def wait_quiet(servers, limit=120):
    """Waits until no server is still busy with an earlier load (Verdaccio can take minutes to finish the responses
    of a cancelled wrk run), so that one server's backlog never takes the core from the next measurement."""
    def cpu_ticks():
        total = 0
        for server in servers.values():
            for pid in server.pids():
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += int(fields[11]) + int(fields[12])
                except (OSError, IndexError, ValueError):
                    pass
        return total
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_ticks()
        time.sleep(0.5)  # a CPU-time sample needs an interval; nothing to wait on
        if cpu_ticks() - before <= 5:  # at most 10% of a core over the half second
            return
    log(f"servers still busy after {limit} s; measuring anyway")


def pinned(core, command):
    return ["taskset", "-c", str(core)] + command


def start_gateway(args, name, port, upstream, work):
    config = work / f"{name}.yaml"
    config.write_text(
        (HERE / "gateway.yaml").read_text()
        .replace("@PORT@", str(port)).replace("@DATA@", str(work / f"{name}-data")).replace("@UPSTREAM@", upstream))
    command = ["java", "-Xmx256m", "-jar", str(GATEWAY_JAR), "--config", str(config)]
    return Server(name, port, pinned(args.server_core, command), work).wait_ready()


def start_verdaccio(args, name, port, upstream, work):
    storage = work / f"{name}-storage"
    config = work / f"{name}.yaml"
    config.write_text(
        (HERE / "verdaccio.yaml").read_text()
        .replace("@STORAGE@", str(storage)).replace("@UPSTREAM@", upstream))
    command = ["node", str(VERDACCIO), "--config", str(config), "--listen", f"127.0.0.1:{port}"]
    return Server(name, port, pinned(args.server_core, command), work).wait_ready()


def nginx_server(args, name, port, config_text, work, core=None):
    conf = work / f"{name}.conf"
    conf.write_text(config_text.replace("@WORK@", str(work)).replace("@NAME@", name).replace("@PORT@", str(port)))
    command = ["nginx", "-c", str(conf), "-p", str(work), "-e", str(work / f"{name}.error.log")]
    return Server(name, port, pinned(args.server_core if core is None else core, command), work)


def start_nginx_proxy(args, name, port, upstream, work):
    parsed = urllib.parse.urlsplit(upstream)
    origin = f"{parsed.scheme}://{parsed.netloc}"
    text = ((HERE / "nginx-proxy.conf").read_text()
            .replace("@ORIGIN@", origin).replace("@UPSTREAM_HOST@", parsed.hostname)
            .replace("@UPSTREAM_PREFIX@", upstream.rstrip("/") + "/"))
    return nginx_server(args, name, port, text, work).wait_ready("")


def start_nginx_static(args, name, port, locations, work):
    text = (HERE / "nginx-static.conf").read_text().replace("@LOCATIONS@", locations)
    return nginx_server(args, name, port, text, work).wait_ready("")


# ----------------------------------------------------------------------------------------------------------------
# HTTP helpers


def fetch(url, headers=None, timeout=300):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


def tarball_path(name, version):
    return f"{name}/-/{name.split('/')[-1]}-{version}.tgz"


class Target:
    """One object as a wrk target: a path and the request headers a client sends for it."""

    def __init__(self, label, path, accept=None, gzip_=False, kind="tarball"):
        self.label, self.path, self.accept, self.gzip, self.kind = label, path, accept, gzip_, kind

    def headers(self):
        h = {}
        if self.accept:
            h["Accept"] = self.accept
        if self.gzip:
            h["Accept-Encoding"] = "gzip"
        return h

    @property
    def key(self):
        return re.sub(r"[^a-z0-9]+", "-", (self.label + ("-gz" if self.gzip else "")).lower()).strip("-")


def targets():
    result = [Target(label, tarball_path(name, version)) for label, name, version in TARBALLS]
    for label, name in PACKUMENTS:
        for form, accept in (("full", FULL), ("abbreviated", CORGI)):
            for gz in (False, True):
                result.append(Target(f"{label} {form}{' gzip' if gz else ''}", name, accept, gz, "packument"))
    return result


# ----------------------------------------------------------------------------------------------------------------
# wrk

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"bytes\\": %d, \\"duration_us\\": %d, \\"p50\\": %d, \\"p99\\": %d, \\"max\\": %d, \\"connect\\": %d, \\"read\\": %d, \\"write\\": %d, \\"timeout\\": %d, \\"status\\": %d}\\n",
    summary.requests, summary.bytes, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
"""


def wrk(args, work, url, target, connections):
    script = work / "report.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{args.duration}s", "--timeout", f"{args.wrk_timeout}s",
               "-s", str(script)]
    for k, v in target.headers().items():
        command += ["-H", f"{k}: {v}"]
    command.append(url)
    out = subprocess.run(pinned(args.load_core, command), capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("JSON "))
    r = json.loads(line[5:])
    seconds = r["duration_us"] / 1e6
    return {
        "rps": r["requests"] / seconds,
        "mbps": r["bytes"] / seconds / 1e6,
        "p50": r["p50"] / 1000, "p99": r["p99"] / 1000, "max": r["max"] / 1000,
        "errors": r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"],
        "requests": r["requests"],
    }


# ----------------------------------------------------------------------------------------------------------------
# Parts


def warm_part(args, work, report):
    upstream = args.upstream
    servers = {}
    try:
        log("starting the gateway, Verdaccio and nginx proxy_cache against the upstream")
        servers["gateway"] = start_gateway(args, "gateway", PORTS["gateway"], upstream, work)
        servers["verdaccio"] = start_verdaccio(args, "verdaccio", PORTS["verdaccio"], upstream, work)
        servers["nginx-proxy"] = start_nginx_proxy(args, "nginx-proxy", PORTS["nginx-proxy"], upstream, work)

        all_targets = [t for t in targets() if not args.only or re.search(args.only, t.label)]
        sizes = {}
        log("warming every server with every object (twice each)")
        for t in all_targets:
            for name in ("gateway", "verdaccio", "nginx-proxy"):
                for _ in range(2):
                    status, headers, body = fetch(servers[name].base + t.path, t.headers())
                    if status != 200:
                        raise RuntimeError(f"{name} answered {status} for {t.path}")
                if name == "gateway":
                    sizes[t.key] = len(body)
                    # nginx static serves exactly the gateway's response bytes for this request.
                    static_dir = work / "static"
                    static_dir.mkdir(exist_ok=True)
                    (static_dir / t.key).write_bytes(body)
                    t.content_type = headers.get("Content-Type", "application/octet-stream")
        locations = []
        for t in all_targets:
            extra = "add_header Content-Encoding gzip;" if t.gzip else ""
            locations.append(f"location = /{t.key} {{ alias @WORK@/static/{t.key}; default_type \"{t.content_type}\"; "
                             f"{extra} }}")
        servers["nginx-static"] = start_nginx_static(args, "nginx-static", PORTS["nginx-static"],
                                                     "\n    ".join(locations), work)

        # JIT compilers and caches settle before anything is recorded, the same for every server: a JVM given one
        # core needs tens of seconds of load before its compilers are done.
        for round_ in range(args.warmup_rounds):
            for t in all_targets:
                for name in args.servers:
                    if name in servers and args.warmup > 0:
                        log(f"warm-up {round_ + 1}/{args.warmup_rounds}: {name} {t.label}")
                        warm = argparse.Namespace(**vars(args))
                        warm.duration = args.warmup
                        wait_quiet(servers)
                        wrk(warm, work, servers[name].base + (t.key if name == "nginx-static" else t.path), t, 64)
        rows = []
        for t in all_targets:
            for connections in args.connections:
                for name in args.servers:
                    if name not in servers:
                        continue
                    path = t.key if name == "nginx-static" else t.path
                    wait_quiet(servers)
                    log(f"wrk {name} {t.label} c={connections}")
                    result = wrk(args, work, servers[name].base + path, t, connections)
                    result.update(server=name, target=t.label, connections=connections, size=sizes[t.key])
                    rows.append(result)
        report["warm"] = rows
        report["rss"] = {name: s.peak_rss_mb() for name, s in servers.items()}
        report["sizes"] = {t.label: sizes[t.key] for t in all_targets}

        if "npmci" in args.parts:
            report["npmci"] = npm_ci_part(args, work, servers)
            report["rss"] = {name: s.peak_rss_mb() for name, s in servers.items()}
    finally:
        for s in servers.values():
            s.stop()


def npm_ci_dir(work):
    """Where npm ci runs and keeps its cache: a tmpfs when there is one.

    On ext4, creating the ~100,000 files of node_modules seconds after the previous run's tree was deleted costs npm
    ~30 s of extra kernel time (ext4 skips recently deleted inodes when it allocates new ones, and checks each one
    in the buffer cache): that swamped the differences between servers, and depended on how long ago the last
    deletion was. On a tmpfs npm's time is its own work and the server's answers.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="npm-gateway-ci-", dir=shm))
    return work


def npm_ci_part(args, work, servers):
    results = {}
    ci_dir = npm_ci_dir(work)
    try:
        for project in args.projects:
            results[project] = npm_ci_project(args, work, ci_dir, servers, project)
    finally:
        if ci_dir != work:
            shutil.rmtree(ci_dir, ignore_errors=True)
    return results


def npm_ci_project(args, work, ci_dir, servers, project):
    source = HERE / "projects" / project
    lock_dir = work / f"lock-{project}"
    shutil.copytree(source, lock_dir, dirs_exist_ok=True)
    log(f"resolving {project} through the gateway (package-lock.json)")
    npm(args, lock_dir, servers["gateway"].base, ["install", "--package-lock-only", "--legacy-peer-deps"])
    lock = json.loads((lock_dir / "package-lock.json").read_text())
    count = len(lock["packages"]) - 1
    result = {"packages": count}
    for name in ("gateway", "verdaccio", "nginx-proxy"):
        if name not in args.servers:
            continue
        times = []
        for run in range(args.npm_ci_runs + 1):  # the first run warms the server with this project
            project_dir = ci_dir / f"ci-{project}-{name}-{run}"
            shutil.copytree(lock_dir, project_dir)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            npm(args, project_dir, servers[name].base,
                ["ci", "--replace-registry-host=always", "--legacy-peer-deps"])
            elapsed = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            shutil.rmtree(project_dir)
            log(f"npm ci {project} via {name} run {run}: {elapsed:.1f} s (npm user "
                f"{after.ru_utime - before.ru_utime:.1f} s, sys {after.ru_stime - before.ru_stime:.1f} s)")
            if run > 0:
                times.append(elapsed)
        result[name] = statistics.median(times)
    return result


def npm(args, cwd, registry, npm_args):
    cache = Path(tempfile.mkdtemp(prefix="npm-cache-", dir=cwd.parent))
    # Lockfiles without resolved URLs, whatever the user's npm configuration says: npm ci then asks each server for
    # the (abbreviated) packument of every package and for every tarball, so both paths are measured.
    command = ["npm", *npm_args, "--registry", registry, "--cache", str(cache), "--ignore-scripts", "--no-audit",
               "--no-fund", "--loglevel", "error", "--omit-lockfile-registry-resolved=true"]
    env = dict(os.environ, npm_config_update_notifier="false")
    try:
        subprocess.run(pinned(args.load_core, command), cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def cold_part(args, work, report):
    """A local origin stands in for the upstream so that upstream requests can be counted and timed."""
    origin_dir = work / "origin"
    (origin_dir / "docs").mkdir(parents=True, exist_ok=True)
    origin_url = f"http://127.0.0.1:{COLD_PORTS['origin']}/"
    upstream_prefix = args.upstream.rstrip("/") + "/"
    cold_tarball = TARBALLS[1]
    log("copying the cold objects to the local origin")
    for name in {cold_tarball[1], PACKUMENTS[1][1]}:
        _, _, body = fetch(args.upstream.rstrip("/") + "/" + name, {"Accept": FULL})
        (origin_dir / "docs" / f"{name}.json").write_bytes(body.replace(upstream_prefix.encode(), origin_url.encode()))
    tgz_path = tarball_path(cold_tarball[1], cold_tarball[2])
    _, _, tgz = fetch(upstream_prefix + tgz_path)
    (origin_dir / "tarballs" / Path(tgz_path).parent).mkdir(parents=True, exist_ok=True)
    (origin_dir / "tarballs" / tgz_path).write_bytes(tgz)
    expected_sha1 = hashlib.sha1(tgz).hexdigest()

    origin = nginx_server(args, "origin", COLD_PORTS["origin"], (HERE / "nginx-origin.conf").read_text(), work,
                          core=args.load_core).wait_ready("lodash")
    starters = {"gateway": start_gateway, "verdaccio": start_verdaccio, "nginx-proxy": start_nginx_proxy}
    rows = {}
    try:
        for name in ("gateway", "verdaccio", "nginx-proxy"):
            if name not in args.servers:
                continue
            cold_work = work / f"cold-{name}"
            cold_work.mkdir()
            server = starters[name](args, f"cold-{name}", COLD_PORTS[name], origin_url, cold_work)
            try:
                before = origin_requests(work, tgz_path)
                log(f"cold: 256 concurrent requests for one uncached tarball via {name}")
                statuses, good = concurrent_get(server.base + tgz_path, 256, expected_sha1)
                tarball_requests = origin_requests(work, tgz_path) - before
                log(f"cold: first byte of the cold {PACKUMENTS[1][1]} packument via {name}")
                ttfb_full, total_full = first_byte(server.base + PACKUMENTS[1][1], FULL)
                rows[name] = {"statuses": statuses, "good": good, "upstream_tarball_requests": tarball_requests,
                              "ttfb_ms": ttfb_full * 1000, "total_ms": total_full * 1000}
            finally:
                server.stop()
    finally:
        origin.stop()
    report["cold"] = rows


def origin_requests(work, path):
    log_file = work / "origin.access.log"
    if not log_file.exists():
        return 0
    return sum(1 for line in log_file.read_text().splitlines() if f"GET /{path} " in line)


def concurrent_get(url, count, expected_sha1):
    parsed = urllib.parse.urlsplit(url)
    barrier = threading.Barrier(count)

    def one():
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        connection.connect()
        barrier.wait()
        connection.request("GET", parsed.path, headers={"Accept": "*/*"})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, hashlib.sha1(body).hexdigest() == expected_sha1

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        results = list(pool.map(lambda _: one(), range(count)))
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return statuses, sum(1 for status, ok in results if status == 200 and ok)


def first_byte(url, accept):
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=300)
    started = time.monotonic()
    connection.request("GET", parsed.path, headers={"Accept": accept})
    response = connection.getresponse()
    response.read(1)
    ttfb = time.monotonic() - started
    response.read()
    total = time.monotonic() - started
    connection.close()
    return ttfb, total


# ----------------------------------------------------------------------------------------------------------------
# Report


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def markdown(args, report):
    out = [f"# npm-gateway against Verdaccio 6 and nginx — {datetime.date.today()}", ""]
    out.append(f"Command: `python3 bench/compare/compare.py {' '.join(sys.argv[1:])}`".rstrip())
    out.append("")
    out.append(f"Machine: {cpu_model()}, {os.cpu_count()} cores; servers pinned to core {args.server_core}, load "
               f"generators to core {args.load_core}. wrk {args.duration} s per cell, one thread. Versions: "
               f"{versions()}. The gateway runs with `-Xmx256m`. MB = 10^6 bytes; latencies in ms.")
    out.append("")
    if "warm" in report:
        out += warm_tables(args, report)
    if "npmci" in report:
        out += ["## npm ci through each warm server (median of %d, fresh client cache, --ignore-scripts)" %
                args.npm_ci_runs, "",
                "The lockfile has no resolved URLs, so npm asks for every abbreviated packument and every tarball. "
                "npm runs on a tmpfs (on ext4 it paid ~30 s of kernel time per run for the previous run's deleted "
                "tree), pinned to the load core, where it is CPU-bound: its user and system time are in the log.", "",
                "| project | packages | gateway s | Verdaccio s | nginx proxy_cache s | gateway/nginx | gateway/Verdaccio |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for project, r in report["npmci"].items():
            g, v, n = r.get("gateway"), r.get("verdaccio"), r.get("nginx-proxy")
            out.append(f"| {project} | {r['packages']} | {fmt(g)} | {fmt(v)} | {fmt(n)} | "
                       f"{ratio(g, n) if g and n else 'n/a'} | {ratio(g, v) if g and v else 'n/a'} |")
        out += ["", "Ratios here are times: below 1.00x the gateway is faster.", ""]
    if "cold" in report:
        out += ["## Cold path (local origin on 127.0.0.1 standing in for the upstream)", "",
                "| server | 256 concurrent requests for one uncached tarball | whole and correct | requests that reached the origin | TTFB of the cold 10 MB+ packument, ms | whole packument, ms |",
                "|---|---|---:|---:|---:|---:|"]
        for name, r in report["cold"].items():
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
            out.append(f"| {name} | {statuses} | {r['good']} | {r['upstream_tarball_requests']} | "
                       f"{r['ttfb_ms']:.0f} | {r['total_ms']:.0f} |")
        out.append("")
    if "rss" in report:
        out += ["## Peak RSS over the run (VmHWM; nginx: master + worker)", "", "| server | MB |", "|---|---:|"]
        for name, mb in report["rss"].items():
            out.append(f"| {name} | {mb:.0f} |")
        out.append("")
    return "\n".join(out) + "\n"


def fmt(value, digits=1):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def warm_tables(args, report):
    rows = report["warm"]
    index = {(r["target"], r["connections"], r["server"]): r for r in rows}
    out = ["## Warm: wrk against each server", "",
           "| object | bytes | conns | server | req/s | MB/s | p50 | p99 | max | errors |",
           "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['target']} | {r['size']:,} | {r['connections']} | {r['server']} | {r['rps']:,.0f} | "
                   f"{r['mbps']:,.1f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.1f} | {r['errors']} |")
    out += ["", "## Ratios: gateway req/s over each peer's", "",
            "| object | conns | / nginx proxy_cache | / nginx static | / Verdaccio | gateway p99 ms |",
            "|---|---:|---:|---:|---:|---:|"]
    seen = []
    for r in rows:
        key = (r["target"], r["connections"])
        if key in seen:
            continue
        seen.append(key)
        g = index.get(key + ("gateway",))
        if not g:
            continue
        cells = []
        for peer in ("nginx-proxy", "nginx-static", "verdaccio"):
            p = index.get(key + (peer,))
            cells.append(ratio(g["rps"], p["rps"]) if p and p["rps"] else "n/a")
        out.append(f"| {key[0]} | {key[1]} | {' | '.join(cells)} | {g['p99']:.2f} |")
    out.append("")
    return out


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def versions():
    def first_line(command):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30)
            text = (done.stdout or done.stderr).strip().splitlines()
            return text[0] if text else "?"
        except OSError:
            return "?"
    verdaccio = json.loads((VERDACCIO.parent.parent / "package.json").read_text())["version"]
    return (f"Verdaccio {verdaccio}, {first_line(['nginx', '-v'])}, {first_line(['wrk', '-v'])}, "
            f"java {first_line(['java', '-version'])}, npm {first_line(['npm', '--version'])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="warm,npmci,cold", help="comma-separated: warm, npmci, cold")
    parser.add_argument("--servers", default=",".join(PEERS), help="comma-separated subset of " + ",".join(PEERS))
    parser.add_argument("--connections", default="1,64,256")
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per cell")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded wrk per object and server")
    parser.add_argument("--warmup-rounds", type=int, default=2, help="times every object is warmed on every server")
    parser.add_argument("--wrk-timeout", type=int, default=30, help="seconds before wrk counts a request as timed out")
    parser.add_argument("--only", help="regular expression: load only the objects whose label matches")
    parser.add_argument("--projects", default="mid,large", help="projects under bench/compare/projects")
    parser.add_argument("--npm-ci-runs", type=int, default=3)
    parser.add_argument("--upstream", help="registry URL (default: npm config get registry)")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--load-core", type=int, default=1)
    parser.add_argument("--out", help="Markdown file (default bench/results/compare-<date>.md)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    args.parts = args.parts.split(",")
    args.servers = args.servers.split(",")
    args.connections = [int(c) for c in args.connections.split(",")]
    args.projects = args.projects.split(",")
    if not args.upstream:
        args.upstream = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True,
                                       check=True).stdout.strip()
    for tool, hint in (("wrk", "apt-get install -y wrk"), ("nginx", "apt-get install -y nginx-light"),
                       ("taskset", "apt-get install -y util-linux")):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: {hint}")
    if not GATEWAY_JAR.exists():
        sys.exit(f"{GATEWAY_JAR} is missing: mvn -B -q -Dmaven.test.skip=true -pl proxy -am package")
    if not VERDACCIO.exists():
        sys.exit(f"{VERDACCIO} is missing: bash tools/install-test-deps.sh")

    work = Path(tempfile.mkdtemp(prefix="npm-gateway-compare-"))
    log(f"work directory {work}")
    report = {}
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"compare-{datetime.date.today()}.md"
    try:
        if "npmci" in args.parts and "warm" not in args.parts:
            args.parts.append("warm")
        if "warm" in args.parts:
            warm_part(args, work, report)
        if "cold" in args.parts:
            cold_part(args, work, report)
    finally:
        # Whatever was measured is written, also when a later part fails.
        text = markdown(args, report)
        out.write_text(text)
        print(text)
        log(f"written to {out}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

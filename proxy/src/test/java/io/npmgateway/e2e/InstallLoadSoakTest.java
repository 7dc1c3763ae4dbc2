package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.testing.FixturePackages;
import io.npmgateway.testing.FixtureProject;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.NpmResult;
import io.npmgateway.testing.TestFiles;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.VerdaccioUpstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sustained install load on a real gateway process with {@code -Xmx256m}: {@code npm ci} in a loop (each with an
 * empty npm cache) and wrk requesting packuments (abbreviated, gzip) and tarballs, for
 * {@code -Dnpmgateway.soak.minutes} (10 in the {@code long} profile; this class runs only there). Every 10 s the
 * heap after a full GC ({@code jcmd GC.run}) and the RSS are sampled; the table goes to
 * {@code bench/results/soak-<date>.md}. Passes with zero install and HTTP errors and a heap that is flat after
 * warm-up: the last minute's maximum is at most the first post-warm-up minute's maximum plus a margin. The heap
 * figure is the live set after a full GC, read from the gateway's own {@code jvm_gc_live_data_size_bytes}.
 */
class InstallLoadSoakTest {
    private static final Logger LOG = LoggerFactory.getLogger(InstallLoadSoakTest.class);
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);
    private static final Duration WRK_SEGMENT = Duration.ofSeconds(30);
    private static final long HEAP_MARGIN_BYTES = 16L * 1024 * 1024;

    @TempDir
    Path tempDir;

    private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).proxy(java.net.http.HttpClient.Builder.NO_PROXY)
            .build();

    /** One sample: seconds since the load started, heap used after a full GC, resident set size. */
    record Sample(long second, long heapAfterGc, long rss) {
    }

    /** What one wrk segment reported. */
    record WrkRun(long requests, long socketErrors, long non2xx, double requestsPerSecond) {
    }

    @Test
    void tenMinutesOfNpmCiAndWrkWithZeroErrorsAndAFlatHeap() throws Exception {
        int minutes = Integer.getInteger("npmgateway.soak.minutes", 10);
        String wrk = ensureWrk();
        Duration length = Duration.ofMinutes(minutes);
        Path log = tempDir.resolve("gateway.log");
        try (VerdaccioUpstream verdaccio = VerdaccioUpstream.builder(TestTools.locate())
                .workDir(tempDir.resolve("verdaccio")).start()) {
            FixturePackages.publishAll(verdaccio, tempDir.resolve("publish"));
            ChildGateway gateway = ChildGateway.start(tempDir.resolve("data"), verdaccio.url().toString(), log);
            try {
                Path project = FixtureProject.BASIC.copyTo(tempDir.resolve("project"));
                NpmCli.machine(tempDir.resolve("npm-warm")).registry(gateway.url()).runSuccessfully(project,
                        "install");
                Path script = writeWrkScript(tempDir.resolve("paths.lua"));

                long start = System.nanoTime();
                long end = start + length.toNanos();
                ExecutorService load = Executors.newFixedThreadPool(2);
                AtomicInteger installs = new AtomicInteger();
                List<String> installFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
                List<WrkRun> wrkRuns = new java.util.concurrent.CopyOnWriteArrayList<>();
                Future<?> npmLoop = load.submit(() -> {
                    int n = 0;
                    while (System.nanoTime() < end) {
                        n++;
                        TestFiles.deleteRecursively(project.resolve("node_modules"));
                        Path home = tempDir.resolve("npm-ci-" + n);
                        NpmResult r = NpmCli.machine(home).registry(gateway.url()).config("fetch-retries", "0")
                                .run(project, "ci");
                        if (r.succeeded()) {
                            installs.incrementAndGet();
                        } else {
                            installFailures.add(r.describe());
                        }
                        TestFiles.deleteRecursively(home);
                    }
                    return null;
                });
                Future<?> wrkLoop = load.submit(() -> {
                    while (System.nanoTime() < end) {
                        long left = TimeUnit.NANOSECONDS.toSeconds(end - System.nanoTime());
                        long seconds = Math.max(1, Math.min(WRK_SEGMENT.toSeconds(), left));
                        wrkRuns.add(runWrk(wrk, script, gateway.url().toString(), seconds));
                    }
                    return null;
                });

                List<Sample> samples = new ArrayList<>();
                long nextSample = start;
                while (System.nanoTime() < end) {
                    long now = System.nanoTime();
                    if (now >= nextSample) {
                        samples.add(sample(gateway, TimeUnit.NANOSECONDS.toSeconds(now - start)));
                        nextSample += SAMPLE_EVERY.toNanos();
                    }
                    assertThat(gateway.isAlive()).as("the gateway process is alive").isTrue();
                    // Waits on the load, not a sleep: wakes for the next sample or when the loops end.
                    try {
                        npmLoop.get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextSample - System.nanoTime())),
                                TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException stillRunning) {
                        // Next sample is due.
                    }
                }
                npmLoop.get(5, TimeUnit.MINUTES);
                wrkLoop.get(2, TimeUnit.MINUTES);
                load.shutdown();
                samples.add(sample(gateway, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)));

                long wrkRequests = wrkRuns.stream().mapToLong(WrkRun::requests).sum();
                long wrkSocketErrors = wrkRuns.stream().mapToLong(WrkRun::socketErrors).sum();
                long wrkNon2xx = wrkRuns.stream().mapToLong(WrkRun::non2xx).sum();
                double rps = wrkRuns.stream().mapToDouble(WrkRun::requestsPerSecond).average().orElse(0);
                long warmup = Math.min(60, length.toSeconds() / 5);
                long firstMinuteMax = samples.stream().filter(s -> s.second() >= warmup && s.second() < warmup + 60)
                        .mapToLong(Sample::heapAfterGc).max().orElseThrow();
                long lastMinuteMax = samples.stream().filter(s -> s.second() >= length.toSeconds() - 60)
                        .mapToLong(Sample::heapAfterGc).max().orElseThrow();
                Path report = writeReport(minutes, samples, installs.get(), installFailures.size(), wrkRequests,
                        wrkSocketErrors, wrkNon2xx, rps, firstMinuteMax, lastMinuteMax);
                LOG.info("soak: {} min, npm ci ok={} failed={}, wrk requests={} socketErrors={} non2xx={}"
                        + " ({} req/s), heap after GC first minute max {} MiB, last minute max {} MiB; table in {}",
                        minutes, installs.get(), installFailures.size(), wrkRequests, wrkSocketErrors, wrkNon2xx,
                        String.format(Locale.ROOT, "%.0f", rps), mib(firstMinuteMax), mib(lastMinuteMax), report);

                assertThat(installFailures).as("failed npm ci runs").isEmpty();
                assertThat(installs.get()).as("npm ci runs").isPositive();
                assertThat(wrkRequests).as("wrk requests").isPositive();
                assertThat(wrkSocketErrors).as("wrk socket errors").isZero();
                assertThat(wrkNon2xx).as("wrk non-2xx/3xx responses").isZero();
                assertThat(lastMinuteMax).as("heap after GC in the last minute (first minute after warm-up: %d)",
                        firstMinuteMax).isLessThanOrEqualTo(firstMinuteMax + HEAP_MARGIN_BYTES);
            } catch (Throwable t) {
                t.addSuppressed(new AssertionError("gateway output (" + log + "):\n" + tail(gateway.output())));
                throw t;
            } finally {
                gateway.close();
            }
        }
    }

    /** wrk on the PATH, installed from Debian's packages when missing (the long profile's only setup). */
    private static String ensureWrk() throws Exception {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "wrk"))) {
                return Path.of(dir, "wrk").toString();
            }
        }
        LOG.info("wrk is missing: installing Debian's package");
        for (List<String> step : List.of(List.of("apt-get", "update"), List.of("apt-get", "install", "-y", "wrk"))) {
            Process p = new ProcessBuilder(step).inheritIO().start();
            assertThat(p.waitFor(5, TimeUnit.MINUTES) && p.exitValue() == 0)
                    .as("%s (the soak needs wrk: apt-get install -y wrk)", String.join(" ", step)).isTrue();
        }
        return "wrk";
    }

    private static Path writeWrkScript(Path script) throws IOException {
        // Abbreviated packuments with gzip (what npm and pnpm install with) and tarballs, in turn.
        Files.writeString(script, """
                local paths = {"/fixture-util", "/@fixture%2fapp-lib", "/@fixture%2fedge",
                  "/fixture-util/-/fixture-util-2.0.0.tgz", "/fixture-util/-/fixture-util-1.1.0.tgz",
                  "/@fixture/app-lib/-/app-lib-1.0.0.tgz", "/fixture-cli/-/fixture-cli-1.0.0.tgz"}
                local i = 0
                request = function()
                  i = i % #paths + 1
                  return wrk.format("GET", paths[i], {["Accept"] = "application/vnd.npm.install-v1+json",
                    ["Accept-Encoding"] = "gzip"})
                end
                """, StandardCharsets.UTF_8);
        return script;
    }

    private static WrkRun runWrk(String wrk, Path script, String url, long seconds) throws Exception {
        Process p = new ProcessBuilder(wrk, "-t1", "-c8", "-d" + seconds + "s", "-s", script.toString(), url)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(seconds + 60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        long requests = group(out, "(\\d+) requests in");
        Matcher socket = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)")
                .matcher(out);
        long socketErrors = 0;
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                socketErrors += Long.parseLong(socket.group(g));
            }
        }
        Matcher non2xx = Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(out);
        Matcher rps = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        return new WrkRun(requests, socketErrors, non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0,
                rps.find() ? Double.parseDouble(rps.group(1)) : 0);
    }

    private static long group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in wrk output:\n%s", regex, text).isTrue();
        return Long.parseLong(m.group(1));
    }

    /**
     * A full GC ({@code jcmd GC.run}), then what survived it as the gateway's own metrics report it
     * ({@code jvm_gc_live_data_size_bytes}: the old generation right after that collection, i.e. the live set, not
     * the heap in use a moment later under load), and the RSS from /proc.
     */
    private Sample sample(ChildGateway gateway, long second) throws Exception {
        run("jcmd", Long.toString(gateway.pid()), "GC.run");
        String scrape = http.send(java.net.http.HttpRequest.newBuilder(gateway.url().resolve("metrics"))
                .timeout(Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        Matcher live = Pattern.compile("(?m)^jvm_gc_live_data_size_bytes(?:\\{[^}]*\\})? ([0-9.E+]+)$")
                .matcher(scrape);
        assertThat(live.find()).as("jvm_gc_live_data_size_bytes in the scrape").isTrue();
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(gateway.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return new Sample(second, (long) Double.parseDouble(live.group(1)), rss);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
        return out;
    }

    private static Path writeReport(int minutes, List<Sample> samples, int installs, int installFailures,
            long wrkRequests, long socketErrors, long non2xx, double rps, long firstMinuteMax, long lastMinuteMax)
            throws IOException {
        // Surefire runs in the module's directory; the results live at the repository root's bench/.
        Path dir = Path.of("").toAbsolutePath().getParent().resolve("bench").resolve("results");
        Files.createDirectories(dir);
        Path file = dir.resolve("soak-" + LocalDate.now() + ".md");
        StringBuilder md = new StringBuilder();
        md.append("# Soak: ").append(minutes).append(" minutes of npm ci and wrk against one gateway (-Xmx256m)\n\n");
        md.append("Made by `InstallLoadSoakTest` (`mvn -B verify -Plong`, module proxy) on ").append(LocalDate.now())
                .append(": `npm ci` of the BASIC fixture project in a loop, each with an empty npm cache, and wrk")
                .append(" (1 thread, 8 connections, 30 s segments) on abbreviated gzip packuments and tarballs, with")
                .append(" a warm cache in front of a Verdaccio. Heap = the live set after `jcmd GC.run` (a full")
                .append(" GC), as the gateway's `jvm_gc_live_data_size_bytes` reports it, sampled every 10 s.\n\n");
        md.append("| result | value |\n|---|---|\n");
        md.append("| npm ci runs ok / failed | ").append(installs).append(" / ").append(installFailures).append(" |\n");
        md.append("| wrk requests | ").append(wrkRequests).append(String.format(Locale.ROOT, " (%.0f req/s mean) |%n",
                rps));
        md.append("| wrk socket errors / non-2xx | ").append(socketErrors).append(" / ").append(non2xx).append(" |\n");
        md.append("| heap after GC, max of first minute after warm-up / last minute | ").append(mib(firstMinuteMax))
                .append(" MiB / ").append(mib(lastMinuteMax)).append(" MiB |\n\n");
        md.append("| t (s) | heap after GC (MiB) | RSS (MiB) |\n|---:|---:|---:|\n");
        for (Sample s : samples) {
            md.append("| ").append(s.second()).append(" | ").append(mib(s.heapAfterGc())).append(" | ")
                    .append(mib(s.rss())).append(" |\n");
        }
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
        return file;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    private static String tail(String output) {
        return output.length() <= 20_000 ? output : output.substring(output.length() - 20_000);
    }
}

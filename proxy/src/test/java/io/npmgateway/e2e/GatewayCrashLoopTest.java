package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.faults.UpstreamStub;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real gateway process under parallel tarball load, killed with SIGKILL at a random moment (after a random number
 * of completed downloads), restarted on the same data directory, again and again. Every start must open the store;
 * every whole response, before or after a kill, must be the published bytes; after the last kill every tarball is
 * fetched and verified. The number of kills is {@code -Dnpmgateway.crash.kills} (3 in the default build; the
 * {@code long} Maven profile runs 25).
 */
class GatewayCrashLoopTest {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayCrashLoopTest.class);
    private static final int PACKAGES = 40;
    private static final int CLIENTS = 8;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration LOAD_DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tempDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void storeOpensAfterEveryRandomSigkillUnderLoadAndServesOnlyTarballsMatchingTheirIntegrity() throws Exception {
        int kills = Integer.getInteger("npmgateway.crash.kills", 3);
        long seed = Long.getLong("npmgateway.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        LOG.info("crash loop: {} kills, seed {}", kills, seed);
        Path dataDir = tempDir.resolve("data");
        Path log = tempDir.resolve("gateway.log");
        List<String> paths = new ArrayList<>();
        List<String> integrities = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        ChildGateway gateway = null;
        Stats stats = new Stats();
        List<Long> startMillis = new ArrayList<>();
        try (UpstreamStub upstream = new UpstreamStub()) {
            for (int i = 0; i < PACKAGES; i++) {
                byte[] tarball = UpstreamStub.randomBytes(50 * 1024 + random.nextInt(1200 * 1024), seed + i);
                String path = upstream.publish(String.format("loop-%02d", i), "1.0.0", tarball);
                // Throttled, so that a kill finds downloads half-written into the store.
                upstream.route(path, r -> new MockResponse.Builder().code(200)
                        .setHeader("Content-Type", "application/octet-stream")
                        .body(new Buffer().write(tarball))
                        .throttleBody(64 * 1024, 10, TimeUnit.MILLISECONDS)
                        .build());
                paths.add(path);
                integrities.add(UpstreamStub.integrity(tarball));
            }
            try {
                for (int round = 1; round <= kills; round++) {
                    long started = System.nanoTime();
                    gateway = ChildGateway.start(dataDir, upstream.url(), log);
                    startMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                    int killAfter = 1 + random.nextInt(2 * PACKAGES / 3);
                    int completedBefore = stats.completed.get();
                    AtomicBoolean stop = new AtomicBoolean();
                    List<Future<?>> load = new ArrayList<>();
                    ChildGateway target = gateway;
                    for (int c = 0; c < CLIENTS; c++) {
                        long clientSeed = random.nextLong();
                        load.add(clients.submit(() -> fetchUntilStopped(target, paths, integrities, clientSeed,
                                stop, stats)));
                    }
                    long deadline = System.nanoTime() + LOAD_DEADLINE.toNanos();
                    while (stats.completed.get() - completedBefore < killAfter && stats.failure.get() == null) {
                        assertThat(System.nanoTime()).as("%d downloads completed within %s in round %d",
                                killAfter, LOAD_DEADLINE, round).isLessThan(deadline);
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                    }
                    assertThat(gateway.kill()).as("exit code of a JVM killed by SIGKILL").isEqualTo(128 + 9);
                    stop.set(true);
                    for (Future<?> f : load) {
                        f.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    }
                    assertNoWrongBytes(stats);
                    LOG.info("round {}: killed after {} completed downloads; {} completed, {} cut so far", round,
                            killAfter, stats.completed.get(), stats.cut.get());
                }
                long started = System.nanoTime();
                gateway = ChildGateway.start(dataDir, upstream.url(), log);
                startMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                int verified = 0;
                int storedBeforeFinalCheck = 0;
                for (int i = 0; i < PACKAGES; i++) {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(gateway.url().resolve(paths.get(i)))
                            .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(r.statusCode()).as(paths.get(i)).isEqualTo(200);
                    assertThat(sha512(r.body())).as("integrity of %s after %d kills", paths.get(i), kills)
                            .isEqualTo(integrities.get(i));
                    if ("hit".equals(r.headers().firstValue("x-npm-gateway-cache").orElse(""))) {
                        storedBeforeFinalCheck++;
                    }
                    verified++;
                }
                List<Long> storeOpenMillis = new ArrayList<>();
                java.util.regex.Matcher opened = java.util.regex.Pattern.compile("store opened in \\S+ in (\\d+) ms")
                        .matcher(gateway.output());
                while (opened.find()) {
                    storeOpenMillis.add(Long.parseLong(opened.group(1)));
                }
                assertThat(storeOpenMillis).as("one store open per start").hasSize(kills + 1);
                LOG.info("crash loop figures: kills={} requests={} completed={} cut={} verifiedAfterLastRestart={}"
                        + " storedAtLastRestart={} storeOpenMillis={} startToReadyMillis={}", kills,
                        stats.started.get(), stats.completed.get(), stats.cut.get(), verified, storedBeforeFinalCheck,
                        storeOpenMillis, startMillis);
                assertThat(stats.completed.get()).as("downloads completed under load").isGreaterThan(kills);
            } catch (Throwable t) {
                t.addSuppressed(new AssertionError("gateway output (" + log + "):\n"
                        + (gateway != null ? gateway.output() : "(never started)")));
                throw t;
            } finally {
                if (gateway != null) {
                    gateway.close();
                }
            }
        } finally {
            clients.shutdownNow();
            clients.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** Counters shared by the load threads; {@code failure} holds the first wrong answer. */
    private static final class Stats {
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger cut = new AtomicInteger();
        final AtomicReference<String> failure = new AtomicReference<>();
    }

    private static void assertNoWrongBytes(Stats stats) {
        assertThat(stats.failure.get()).as("a whole response that was not the published tarball").isNull();
    }

    /**
     * Fetches random tarballs until told to stop. A 200 read to its end must match the integrity; a connection cut
     * by the kill (an IOException) is expected; any other status is a failure.
     */
    private Void fetchUntilStopped(ChildGateway gateway, List<String> paths, List<String> integrities, long seed,
            AtomicBoolean stop, Stats stats) throws Exception {
        Random random = new Random(seed);
        while (!stop.get() && gateway.isAlive()) {
            int i = random.nextInt(paths.size());
            stats.started.incrementAndGet();
            try {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(gateway.url().resolve(paths.get(i)))
                        .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofInputStream());
                MessageDigest sha512 = MessageDigest.getInstance("SHA-512");
                try (InputStream in = r.body()) {
                    byte[] buffer = new byte[64 * 1024];
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        sha512.update(buffer, 0, n);
                    }
                }
                if (r.statusCode() != 200) {
                    if (gateway.isAlive()) {
                        stats.failure.compareAndSet(null, paths.get(i) + " answered " + r.statusCode());
                    }
                    continue;
                }
                String actual = "sha512-" + Base64.getEncoder().encodeToString(sha512.digest());
                if (!actual.equals(integrities.get(i))) {
                    stats.failure.compareAndSet(null, paths.get(i) + " served " + actual + ", published "
                            + integrities.get(i));
                }
                stats.completed.incrementAndGet();
            } catch (java.net.ConnectException refused) {
                // The process is gone (or going): nothing more to ask it this round.
                return null;
            } catch (IOException cutByTheKill) {
                stats.cut.incrementAndGet();
            }
        }
        return null;
    }

    private static String sha512(byte[] data) throws Exception {
        return "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(data));
    }
}

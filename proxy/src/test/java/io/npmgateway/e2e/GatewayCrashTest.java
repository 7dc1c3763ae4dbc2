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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real gateway process killed with SIGKILL while 20 tarball downloads are streaming through it. The store it
 * leaves behind must open, must not serve any of the half-written tarballs, and must serve every one of them whole
 * and matching its integrity once the gateway is restarted and the upstream is healthy.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GatewayCrashTest {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayCrashTest.class);
    private static final int PACKAGES = 20;
    /** What the upstream sends of each tarball before the kill: more than two stored chunks of 256 KiB. */
    private static final int SENT_BEFORE_KILL = 640 * 1024;
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void storeSurvivesSigkillMidDownloadAndServesEveryTarballWholeAfterRestart() throws Exception {
        Path dataDir = tempDir.resolve("data");
        Path log = tempDir.resolve("gateway.log");
        List<String> paths = new ArrayList<>();
        List<byte[]> tarballs = new ArrayList<>();
        CountDownLatch upstreamMayFinish = new CountDownLatch(1);
        ExecutorService readers = Executors.newFixedThreadPool(PACKAGES);
        ChildGateway gateway = null;
        try (UpstreamStub upstream = new UpstreamStub()) {
            for (int i = 0; i < PACKAGES; i++) {
                byte[] tarball = UpstreamStub.randomBytes(1024 * 1024 + i * 48 * 1024, 100 + i);
                String path = upstream.publish(String.format("crash-%02d", i), "1.0.0", tarball);
                // Throttled, and the tail held back until after the kill: every download is mid-stream when it dies.
                upstream.route(path, r -> new MockResponse.Builder().code(200)
                        .setHeader("Content-Type", "application/octet-stream")
                        .body(new HeldBackBody(tarball, SENT_BEFORE_KILL, upstreamMayFinish))
                        .throttleBody(128 * 1024, 50, TimeUnit.MILLISECONDS)
                        .build());
                paths.add(path);
                tarballs.add(tarball);
            }
            try {
                gateway = ChildGateway.start(dataDir, upstream.url(), log);
                LOG.info("gateway started");

                AtomicLongArray received = new AtomicLongArray(PACKAGES);
                List<Future<IOException>> firstRound = new ArrayList<>();
                for (int i = 0; i < PACKAGES; i++) {
                    int n = i;
                    HttpRequest request = HttpRequest.newBuilder(gateway.url().resolve(paths.get(i)))
                            .timeout(DEADLINE).build();
                    firstRound.add(readers.submit(() -> drain(request, received, n)));
                }
                awaitCondition("the upstream saw all " + PACKAGES + " tarball requests",
                        () -> paths.stream().allMatch(p -> upstream.hits(p) == 1));
                awaitCondition("every client received tarball bytes", () -> {
                    for (int i = 0; i < PACKAGES; i++) {
                        if (received.get(i) == 0) {
                            return false;
                        }
                    }
                    return true;
                });

                LOG.info("{} downloads streaming; killing the gateway", PACKAGES);
                assertThat(gateway.kill()).as("exit code of a JVM killed by SIGKILL").isEqualTo(128 + 9);
                for (int i = 0; i < PACKAGES; i++) {
                    assertThat(firstRound.get(i).get(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                            .as("download of %s was cut by the kill after %d bytes", paths.get(i), received.get(i))
                            .isNotNull();
                    assertThat(received.get(i)).isLessThan(tarballs.get(i).length);
                }

                // The upstream is healthy and fast again; the held-back responses may end (their sockets are dead).
                upstreamMayFinish.countDown();
                for (int i = 0; i < PACKAGES; i++) {
                    upstream.tarball(paths.get(i), tarballs.get(i));
                }
                gateway = ChildGateway.start(dataDir, upstream.url(), log);
                LOG.info("gateway restarted on the same data dir");

                List<Future<HttpResponse<byte[]>>> again = new ArrayList<>();
                for (String path : paths) {
                    HttpRequest request = HttpRequest.newBuilder(gateway.url().resolve(path)).timeout(DEADLINE)
                            .build();
                    again.add(readers.submit(() -> http.send(request, HttpResponse.BodyHandlers.ofByteArray())));
                }
                for (int i = 0; i < PACKAGES; i++) {
                    HttpResponse<byte[]> r = again.get(i).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
                    assertThat(r.statusCode()).as(paths.get(i)).isEqualTo(200);
                    assertThat(sha512(r.body())).as("integrity of %s", paths.get(i))
                            .isEqualTo(UpstreamStub.integrity(tarballs.get(i)));
                    assertThat(upstream.hits(paths.get(i)))
                            .as("%s was fetched again: nothing of the killed download was served", paths.get(i))
                            .isEqualTo(2);
                }
                LOG.info("all {} tarballs fetched again and verified", PACKAGES);
                // And what the restarted gateway stored is served from its store, still whole.
                for (int i = 0; i < PACKAGES; i++) {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(gateway.url().resolve(paths.get(i)))
                            .timeout(DEADLINE).build(), HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(r.headers().firstValue("x-npm-gateway-cache")).as(paths.get(i)).hasValue("hit");
                    assertThat(sha512(r.body())).isEqualTo(UpstreamStub.integrity(tarballs.get(i)));
                }
            } catch (Throwable t) {
                t.addSuppressed(new AssertionError("gateway output (" + log + "):\n"
                        + (gateway != null ? gateway.output() : "(never started)")));
                throw t;
            } finally {
                upstreamMayFinish.countDown();
                if (gateway != null) {
                    gateway.close();
                }
            }
        } finally {
            readers.shutdownNow();
            readers.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** Reads a download to its end, counting bytes as they come; returns the IOException that cut it, or null. */
    private IOException drain(HttpRequest request, AtomicLongArray received, int index) throws InterruptedException {
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                throw new AssertionError(request.uri() + " answered " + response.statusCode());
            }
            try (InputStream in = response.body()) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    received.addAndGet(index, n);
                }
            }
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + DEADLINE + ": " + what);
            }
            // Polling with a deadline; a short pause keeps this thread from competing with the gateway for CPU.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static String sha512(byte[] data) throws Exception {
        return "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(data));
    }

    /**
     * A response body that sends its first {@code sendFirst} bytes, then waits (at most 60 s) for {@code mayFinish}
     * before it sends the rest: a download that cannot complete until the test allows it.
     */
    private static final class HeldBackBody implements MockResponseBody {
        private final byte[] bytes;
        private final int sendFirst;
        private final CountDownLatch mayFinish;

        HeldBackBody(byte[] bytes, int sendFirst, CountDownLatch mayFinish) {
            this.bytes = bytes;
            this.sendFirst = sendFirst;
            this.mayFinish = mayFinish;
        }

        @Override
        public long getContentLength() {
            return bytes.length;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            sink.write(bytes, 0, sendFirst);
            sink.flush();
            try {
                if (!mayFinish.await(60, TimeUnit.SECONDS)) {
                    throw new IOException("held back for too long");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            sink.write(bytes, sendFirst, bytes.length - sendFirst);
        }
    }
}

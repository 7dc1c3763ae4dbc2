package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real gateway process in the middle of a tarball download: the gateway stops accepting, lets the
 * download finish, closes its store and exits 0; the next start opens the store with no recovery to do.
 */
class GracefulShutdownTest {
    @TempDir
    Path dir;

    private FakeRegistry upstream;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeRegistry();
    }

    @AfterEach
    void stop() {
        releaseUpstream.countDown();
        processes.forEach(Process::destroyForcibly);
        upstream.close();
    }

    @Test
    void aDownloadUnderWayCompletesAfterSigtermAndTheStoreReopensWithoutRecovery() throws Exception {
        byte[] tarball = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(tarball);
        String integrity = "sha512-" + Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-512").digest(tarball));
        upstream.route("slow", r -> new MockResponse.Builder().code(200).body("{\"name\":\"slow\",\"dist-tags\":"
                + "{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"slow\",\"version\":\"1.0.0\",\"dist\":"
                + "{\"integrity\":\"" + integrity + "\",\"tarball\":\"" + upstream.url()
                + "slow/-/slow-1.0.0.tgz\"}}}}").build());
        // About 3 s for the whole body: long enough to send SIGTERM in the middle.
        upstream.route("slow/-/slow-1.0.0.tgz", r -> new MockResponse.Builder().code(200)
                .body(new Buffer().write(tarball)).throttleBody(256 * 1024, 250, TimeUnit.MILLISECONDS).build());

        int port = freePort();
        Path log = dir.resolve("gateway.log");
        Process gateway = startGateway(port, log);
        waitForLog(gateway, log, "ready in");

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/slow/-/slow-1.0.0.tgz")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        InputStream body = response.body();
        byte[] first = body.readNBytes(1024); // the download is under way
        gateway.destroy(); // SIGTERM
        byte[] rest = body.readAllBytes();
        byte[] received = new byte[first.length + rest.length];
        System.arraycopy(first, 0, received, 0, first.length);
        System.arraycopy(rest, 0, received, first.length, rest.length);
        assertThat(received).isEqualTo(tarball);
        assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(gateway.exitValue()).as(Files.readString(log)).isEqualTo(0);

        Path log2 = dir.resolve("gateway2.log");
        Process again = startGateway(port, log2);
        waitForLog(again, log2, "ready in");
        assertThat(Files.readString(log2)).contains("1 tarballs").doesNotContain("recovery");
        HttpResponse<byte[]> hit = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/slow/-/slow-1.0.0.tgz")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(hit.body()).isEqualTo(tarball);
        assertThat(upstream.hits("slow/-/slow-1.0.0.tgz")).isEqualTo(1);
    }

    @Test
    void duringTheDrainNewConnectionsAreRefusedWhileTheDownloadUnderWayContinues() throws Exception {
        byte[] tarball = publishHeldTarball();
        int port = freePort();
        Path log = dir.resolve("gateway.log");
        Process gateway = startGateway(port, log);
        waitForLog(gateway, log, "ready in");

        InputStream body = startDownload(port);
        byte[] first = body.readNBytes(1024); // the download is under way; the upstream holds its second half
        try (io.npmgateway.testing.RawHttp keepAlive = new io.npmgateway.testing.RawHttp(port, 10_000)) {
            keepAlive.send("GET /-/ping HTTP/1.1\r\nHost: g\r\n\r\n");
            assertThat(keepAlive.read().status()).isEqualTo(200);
            gateway.destroy(); // SIGTERM
            // The listener closes at once; the held download keeps the process in its drain (grace: 30 s).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (accepts(port)) {
                assertThat(System.nanoTime()).as("connections refused within 20 s of SIGTERM").isLessThan(deadline);
                gateway.waitFor(20, TimeUnit.MILLISECONDS);
            }
            // An idle keep-alive connection cannot start a new request during the drain: it is closed.
            assertThat(keepAlive.closedByServer()).as("the idle keep-alive connection is closed").isTrue();
        }
        assertThat(gateway.isAlive()).as("still draining when the connection was refused").isTrue();
        releaseUpstream.countDown();
        byte[] received = concat(first, body.readAllBytes());
        assertThat(received).isEqualTo(tarball);
        assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(gateway.exitValue()).as(Files.readString(log)).isEqualTo(0);
    }

    @Test
    void aDownloadLongerThanTheGraceIsCutTheProcessExits0AndThePartialTarballIsNeverServed() throws Exception {
        byte[] tarball = publishHeldTarball();
        int port = freePort();
        Path config = Files.writeString(dir.resolve("gateway.yaml"), "shutdown: { grace: 1s }\n");
        Path log = dir.resolve("gateway.log");
        Process gateway = startGateway(port, log, "--config", config.toString());
        waitForLog(gateway, log, "ready in");

        InputStream body = startDownload(port);
        byte[] first = body.readNBytes(1024);
        gateway.destroy(); // SIGTERM; the upstream never sends the second half to this download
        assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).as("the process exits after the 1 s grace").isTrue();
        assertThat(gateway.exitValue()).as(Files.readString(log)).isEqualTo(0);
        assertThat(Files.readString(log)).contains("still in flight after")
                .as("no stack trace from cutting the download").doesNotContain("\tat ");
        byte[] received;
        try {
            received = concat(first, body.readAllBytes());
        } catch (IOException cut) {
            received = first;
        }
        assertThat(received.length).as("the client got a cut download, not a whole one").isLessThan(tarball.length);
        releaseUpstream.countDown();

        Path log2 = dir.resolve("gateway2.log");
        Process again = startGateway(port, log2);
        waitForLog(again, log2, "ready in");
        assertThat(Files.readString(log2)).contains("0 tarballs");
        HttpResponse<byte[]> refetched = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/held/-/held-1.0.0.tgz")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(refetched.statusCode()).isEqualTo(200);
        assertThat(refetched.body()).as("the whole tarball, fetched again").isEqualTo(tarball);
        assertThat(upstream.hits("held/-/held-1.0.0.tgz")).as("not served from a partial copy").isEqualTo(2);
    }

    /** Opened by the test: until then the upstream sends only the first half of the held tarball's first fetch. */
    private final java.util.concurrent.CountDownLatch releaseUpstream = new java.util.concurrent.CountDownLatch(1);

    /**
     * Publishes {@code held@1.0.0}, 3 MB, whose first upstream fetch sends half its body and then waits for
     * {@link #releaseUpstream}; later fetches send it whole.
     */
    private byte[] publishHeldTarball() throws Exception {
        byte[] tarball = new byte[3 * 1024 * 1024];
        new Random(11).nextBytes(tarball);
        String integrity = "sha512-" + Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-512").digest(tarball));
        upstream.route("held", r -> new MockResponse.Builder().code(200).body("{\"name\":\"held\",\"dist-tags\":"
                + "{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"held\",\"version\":\"1.0.0\",\"dist\":"
                + "{\"integrity\":\"" + integrity + "\",\"tarball\":\"" + upstream.url()
                + "held/-/held-1.0.0.tgz\"}}}}").build());
        java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
        upstream.route("held/-/held-1.0.0.tgz", r -> {
            boolean hold = fetches.incrementAndGet() == 1;
            return new MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/octet-stream")
                    .setHeader("Content-Length", tarball.length)
                    .socketHandler(socket -> {
                        try {
                            okio.BufferedSink sink = okio.Okio.buffer(socket.getSink());
                            int half = tarball.length / 2;
                            sink.write(tarball, 0, half).flush();
                            if (hold) {
                                releaseUpstream.await(60, TimeUnit.SECONDS);
                            }
                            sink.write(tarball, half, tarball.length - half).flush();
                            sink.close();
                        } catch (IOException | InterruptedException gatewayGone) {
                            // The gateway closed the connection (it was cut at its shutdown deadline).
                        }
                    })
                    .build();
        });
        return tarball;
    }

    private static InputStream startDownload(int port) throws Exception {
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/held/-/held-1.0.0.tgz")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** Whether a new TCP connection to the gateway's port is accepted (false: refused). */
    private static boolean accepts(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 2000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private Process startGateway(int port, Path log, String... more) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.npmgateway.Main",
                "--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString(),
                "--upstream", upstream.url()));
        command.addAll(List.of(more));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    private static void waitForLog(Process p, Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in the log:\n" + Files.readString(log));
            }
            p.waitFor(50, TimeUnit.MILLISECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

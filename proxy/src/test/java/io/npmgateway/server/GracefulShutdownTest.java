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

    private Process startGateway(int port, Path log) throws IOException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.npmgateway.Main",
                "--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString(),
                "--upstream", upstream.url())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
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

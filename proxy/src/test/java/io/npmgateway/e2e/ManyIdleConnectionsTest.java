package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.faults.UpstreamStub;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten thousand idle connections held open against a real gateway process (256 MB heap): a normal request is still
 * served while they are open, and the idle timeout (small here) releases every one of them, on the gateway's side
 * (its open descriptors fall back) and on the clients' (each sees the connection closed).
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ManyIdleConnectionsTest {
    private static final int CONNECTIONS = 10_000;
    /**
     * Long enough to open all the connections before the first one times out, even on a busy two-core machine
     * (20 s was not, once), short enough for the test.
     */
    private static final Duration IDLE = Duration.ofSeconds(30);

    @TempDir
    Path tempDir;

    @Test
    void tenThousandIdleConnectionsDoNotStopANormalRequestAndAreAllReleasedAfterTheIdleTimeout() throws Exception {
        assertThat(openFileLimit()).as("this test needs an open-file limit above %d (ulimit -n)", CONNECTIONS + 500)
                .isGreaterThan(CONNECTIONS + 500);
        Path config = tempDir.resolve("gateway.yaml");
        Files.writeString(config, "server:\n  idleTimeout: " + IDLE.toSeconds() + "s\n", StandardCharsets.UTF_8);
        List<Socket> idle = new ArrayList<>(CONNECTIONS);
        try (UpstreamStub upstream = new UpstreamStub();
                ChildGateway gateway = ChildGateway.start(tempDir.resolve("data"), upstream.url(),
                        tempDir.resolve("gateway.log"), "--config", config.toString())) {
            upstream.publish("left-pad", "1.0.0", UpstreamStub.randomBytes(1000, 1));
            Path fds = Path.of("/proc", Long.toString(gateway.pid()), "fd");
            LongSupplier gatewayFds = () -> count(fds);
            long baseline = gatewayFds.getAsLong();
            int port = gateway.url().getPort();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    idle.add(s);
                }
                // Every connection is open on the gateway's side too before the normal request is made.
                awaitAtMost(IDLE, () -> gatewayFds.getAsLong() >= baseline + CONNECTIONS);

                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> normal = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "left-pad"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(normal.statusCode()).isEqualTo(200);
                assertThat(normal.body()).contains("\"left-pad\"");
                assertThat(gatewayFds.getAsLong()).as("the idle connections were still open during the request")
                        .isGreaterThanOrEqualTo(baseline + CONNECTIONS);

                // The idle timeout releases them all: the gateway's descriptors fall back near where they started.
                awaitAtMost(IDLE.plusSeconds(60), () -> gatewayFds.getAsLong() < baseline + 100);
                for (Socket s : idle) {
                    assertThat(closedByPeer(s)).as("every client sees its connection closed").isTrue();
                }
                assertThat(gateway.isAlive()).isTrue();
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
        }
    }

    private static boolean closedByPeer(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        InputStream in = s.getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private static long count(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.count();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir, e);
        }
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        throw new IllegalStateException("no open-file limit in /proc/self/limits");
    }

    /** Polls {@code condition} (every 100 ms, waiting on a monitor, not sleeping blind) until true or the deadline. */
    private static void awaitAtMost(Duration limit, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        Object monitor = new Object();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + limit);
            }
            synchronized (monitor) {
                monitor.wait(100);
            }
        }
    }
}

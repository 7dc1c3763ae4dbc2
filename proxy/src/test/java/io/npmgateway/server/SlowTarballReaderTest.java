package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that stops reading a tarball miss part way (a slow link, a paused process): the gateway drains the
 * upstream into its store at the upstream's pace, not the client's, so the tarball is committed while that client
 * still reads and a second client is served it from the store; the slow client, when it reads on, still gets every
 * byte. Meanwhile the gateway holds no buffers for the part the slow client has not read yet.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SlowTarballReaderTest extends GatewayHttpTest {
    private static final int SIZE = 24 * 1024 * 1024;
    private static final int READ_BEFORE_PAUSE = 64 * 1024;
    private static final String PATH = "slow/-/slow-1.0.0.tgz";

    @Test
    void aStalledReaderDoesNotHoldBackTheCommitAndASecondClientGetsAHitMeanwhile() throws Exception {
        byte[] tarball = new byte[SIZE];
        new Random(11).nextBytes(tarball);
        String integrity = "sha512-" + Base64.getEncoder()
                .encodeToString(MessageDigest.getInstance("SHA-512").digest(tarball));
        String doc = "{\"name\":\"slow\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"slow\","
                + "\"version\":\"1.0.0\",\"dist\":{\"integrity\":\"" + integrity + "\",\"tarball\":\"" + upstream.url()
                + PATH + "\"}}}}";
        upstream.route("slow", r -> new MockResponse.Builder().code(200).body(doc).build());
        upstream.route(PATH, r -> new MockResponse.Builder().code(200).body(new Buffer().write(tarball)).build());
        startGateway();

        try (Socket slow = new Socket()) {
            // A small receive window, so the kernel buffers little of what the gateway sends on the slow client's
            // behalf: what it cannot send must stay behind in the gateway (in the store, not in memory).
            slow.setReceiveBufferSize(16 * 1024);
            slow.setSoTimeout(30_000);
            slow.connect(new InetSocketAddress("127.0.0.1", gateway.localAddress().getPort()), 5000);
            slow.getOutputStream().write(("GET /" + PATH + " HTTP/1.1\r\nHost: gateway\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = slow.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: " + SIZE);
            ByteArrayOutputStream received = new ByteArrayOutputStream(SIZE);
            received.write(in.readNBytes(READ_BEFORE_PAUSE));

            // The slow client now reads nothing at all; the download must still complete and be committed.
            awaitWithin(Duration.ofSeconds(30), () -> metric("npm_gateway_tarball_store_entries") == 1.0,
                    "the tarball was not committed while its first client had stopped reading");

            // Nor is what the slow client has yet to read held for it in buffers (a few MB here, the allocator's
            // chunks; the unread rest is 24 MB).
            assertThat(metric("npm_gateway_netty_allocator_used_bytes", "memory=\"direct\""))
                    .as("direct memory held while the first client is stalled").isLessThan(SIZE / 3.0);
            assertThat(metric("npm_gateway_netty_allocator_used_bytes", "memory=\"heap\""))
                    .as("pooled heap buffers held while the first client is stalled").isLessThan(SIZE / 3.0);

            var second = get(PATH);
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(Arrays.equals(second.body(), tarball)).as("the second client's bytes").isTrue();
            assertThat(metric("npm_gateway_requests_seconds_count", "route=\"tarball\"", "cache=\"hit\""))
                    .as("the second client was served from the store").isEqualTo(1.0);
            assertThat(received.size()).as("the first client has not read on yet").isEqualTo(READ_BEFORE_PAUSE);

            // The slow client reads on and gets the rest, intact.
            received.write(in.readNBytes(SIZE - READ_BEFORE_PAUSE));
            assertThat(Arrays.equals(received.toByteArray(), tarball)).as("the slow client's bytes").isTrue();
        }
        assertThat(upstream.hits(PATH)).isEqualTo(1);
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** The sum of the series of {@code metric} carrying every one of {@code labels}, from the gateway's scrape. */
    private double metric(String metric, String... labels) {
        return gateway.metrics().scrape().lines()
                .filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " "))
                .filter(l -> Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Polls {@code condition} until it holds, failing with {@code message} after {@code limit}. */
    private static void awaitWithin(Duration limit, BooleanSupplier condition, String message) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < deadline).as(message).isTrue();
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}

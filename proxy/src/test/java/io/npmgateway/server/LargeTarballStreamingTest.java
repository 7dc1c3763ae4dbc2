package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.SplittableRandom;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;

/**
 * A 200 MB tarball goes through a gateway whose JVM (this test JVM) has a 256 MB heap: it can only pass if the
 * tarball never sits whole in memory, on the way in (upstream to store) or out (store to client). Netty's direct
 * buffers, which the heap limit does not bound, are watched during each transfer as well.
 */
class LargeTarballStreamingTest extends GatewayHttpTest {
    private static final long SIZE = 200L * 1024 * 1024;
    private static final long SEED = 42;
    private static final long SAMPLE_EVERY = 8L * 1024 * 1024;
    /** A quarter of the tarball: buffering it (or much of it) would need far more. */
    private static final double MAX_DIRECT = SIZE / 4.0;
    private double maxDirectSeen;

    @Test
    void aTarballLargerThanTheHeapStreamsThroughAndIsServedAgainFromTheStore() throws Exception {
        String integrity = "sha512-" + Base64.getEncoder().encodeToString(sha512Of(new GeneratedBytes(SEED, SIZE)));
        String doc = "{\"name\":\"huge\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"huge\","
                + "\"version\":\"1.0.0\",\"dist\":{\"integrity\":\"" + integrity + "\",\"tarball\":\"" + upstream.url()
                + "huge/-/huge-1.0.0.tgz\"}}}}";
        upstream.route("huge", r -> new MockResponse.Builder().code(200).body(doc).build());
        upstream.route("huge/-/huge-1.0.0.tgz", r -> new MockResponse.Builder().code(200)
                .body(new StreamedBody(SEED, SIZE)).build());
        startGateway();

        for (int attempt = 0; attempt < 2; attempt++) {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base() + "huge/-/huge-1.0.0.tgz"))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            byte[] digest;
            try (InputStream body = r.body()) {
                digest = sha512OfWatchingDirectMemory(body);
            }
            assertThat("sha512-" + Base64.getEncoder().encodeToString(digest)).isEqualTo(integrity);
            // The heap limit says nothing of direct memory (its default limit is as large as the heap), where
            // Netty's buffers live: sampled every 8 MB of the transfer, it stays a small fraction of the tarball.
            assertThat(maxDirectSeen).as("Netty direct memory held during transfer %d", attempt)
                    .isPositive().isLessThan(MAX_DIRECT);
            System.out.printf("Netty direct memory during 200 MB transfer %d: at most %.1f MB%n", attempt,
                    maxDirectSeen / (1024 * 1024));
            maxDirectSeen = 0;
        }
        assertThat(upstream.hits("huge/-/huge-1.0.0.tgz")).isEqualTo(1);
    }

    private static byte[] sha512Of(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-512");
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return md.digest();
    }

    /** As {@link #sha512Of(InputStream)}, noting the gateway's Netty direct memory every 8 MB read. */
    private byte[] sha512OfWatchingDirectMemory(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-512");
        byte[] buf = new byte[64 * 1024];
        long read = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
            if ((read + n) / SAMPLE_EVERY != read / SAMPLE_EVERY) {
                maxDirectSeen = Math.max(maxDirectSeen, directMemoryUsed());
            }
            read += n;
        }
        return md.digest();
    }

    private double directMemoryUsed() {
        return gateway.metrics().scrape().lines()
                .filter(l -> l.startsWith("npm_gateway_netty_allocator_used_bytes{") && l.contains("memory=\"direct\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Deterministic pseudo-random bytes, produced on demand: the test never holds the tarball either. */
    private static final class GeneratedBytes extends InputStream {
        private final SplittableRandom random;
        private long remaining;

        GeneratedBytes(long seed, long size) {
            this.random = new SplittableRandom(seed);
            this.remaining = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining) & ~7;
            if (n == 0) {
                n = (int) Math.min(len, remaining);
            }
            for (int i = 0; i < n; i += 8) {
                long v = random.nextLong();
                for (int j = 0; j < 8 && i + j < n; j++) {
                    b[off + i + j] = (byte) (v >>> (8 * j));
                }
            }
            remaining -= n;
            return n;
        }
    }

    private static final class StreamedBody implements MockResponseBody {
        private final long seed;
        private final long size;

        StreamedBody(long seed, long size) {
            this.seed = seed;
            this.size = size;
        }

        @Override
        public long getContentLength() {
            return size;
        }

        @Override
        public void writeTo(BufferedSink sink) throws java.io.IOException {
            GeneratedBytes in = new GeneratedBytes(seed, size);
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf, 0, buf.length)) > 0; ) {
                sink.write(buf, 0, n);
            }
            sink.flush();
        }
    }
}

package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import mockwebserver3.SocketHandler;
import mockwebserver3.internal.MockWebServerSocket;
import okio.Buffer;
import okio.BufferedSink;
import okio.Okio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Upstream faults while the gateway fetches a tarball. Whatever the fault, nothing is stored (the next request goes
 * upstream again, and once the upstream is healthy the bytes served and then stored are the published ones), and
 * the client is told: a 502/504 JSON error naming {@code package@version} when it has had no byte yet, or, when the
 * body was already streaming, a connection closed before the declared Content-Length (which the JDK client reports
 * as an IOException) so it can never mistake a short body for a whole one.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TarballUpstreamFaultTest extends GatewayAgainstStub {
    /** The store's chunk size: a client of a download in progress gets bytes one stored chunk at a time. */
    private static final int CHUNK = 256 * 1024;
    /** Smaller than one chunk: nothing reaches the client before the download has ended. */
    private static final int SMALL = 40 * 1024;
    /** Five chunks: the client streams the first chunks while the rest is still arriving. */
    private static final int LARGE = 5 * CHUNK;
    /** How much of a large tarball the upstream sends before the fault: three whole chunks. */
    private static final int PREFIX = 3 * CHUNK + 1000;

    /** One way for the upstream to fail in the middle of a tarball body. */
    enum Fault {
        /** Every byte arrives, but one differs from the published tarball: the integrity check fails. */
        CORRUPTED(502, "do not match its integrity"),
        /** Content-Length promises the whole tarball, fewer bytes come, then the connection closes (FIN). */
        TRUNCATED(502, "closed the connection before the whole response arrived"),
        /** Part of the body, then a TCP reset (RST: SO_LINGER 0). */
        RESET(502, "closed the connection before the whole response arrived"),
        /** Part of the body, then silence past the gateway's read timeout. */
        STALL(504, "timed out");

        final int status;
        final String reason;

        Fault(int status, String reason) {
            this.status = status;
            this.reason = reason;
        }

        /** A fault that hits a tarball smaller than a chunk, so the client has had nothing when it happens. */
        MockResponse beforeAnyByte(byte[] good) {
            MockResponse.Builder b = new MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/octet-stream");
            switch (this) {
                case CORRUPTED:
                    return b.body(new Buffer().write(flipped(good, good.length / 2))).build();
                case TRUNCATED:
                    // The body setter declares the bytes it has; the header set after it promises them all.
                    return b.body(new Buffer().write(good, 0, good.length / 2))
                            .setHeader("Content-Length", good.length)
                            .onResponseEnd(SocketEffect.ShutdownConnection.INSTANCE)
                            .build();
                case RESET:
                    return b.setHeader("Content-Length", good.length)
                            .socketHandler(handler(socket -> {
                                writeAndFlush(socket, good, 0, good.length / 2);
                                reset(socket);
                            }))
                            .build();
                case STALL:
                    // MockWebServer stalls after half of the body, until the connection is closed.
                    return b.body(new Buffer().write(good)).onResponseBody(SocketEffect.Stall.INSTANCE).build();
                default:
                    throw new AssertionError(this);
            }
        }

        /**
         * A fault that hits a multi-chunk tarball after {@link #PREFIX} bytes. The upstream holds the fault back
         * until {@code clientIsStreaming} opens, so the client has provably received body bytes before it.
         */
        MockResponse afterFirstChunk(byte[] good, CountDownLatch clientIsStreaming) {
            return new MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/octet-stream")
                    .setHeader("Content-Length", good.length)
                    .socketHandler(handler(socket -> {
                        writeAndFlush(socket, good, 0, PREFIX);
                        if (this == STALL) {
                            // Silence from here on: the gateway's read timeout has to end it.
                            awaitHangUp(socket);
                            return;
                        }
                        await(clientIsStreaming);
                        switch (this) {
                            case CORRUPTED:
                                byte[] rest = flipped(good, good.length - 1);
                                writeAndFlush(socket, rest, PREFIX, good.length - PREFIX);
                                break;
                            case TRUNCATED:
                                close(socket);
                                break;
                            case RESET:
                                reset(socket);
                                break;
                            default:
                                throw new AssertionError(this);
                        }
                    }))
                    .build();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void faultBeforeAnyByteGivesAJsonErrorNamingThePackageAndStoresNothing(Fault fault) throws Exception {
        byte[] good = UpstreamStub.randomBytes(SMALL, 1);
        String path = upstream.publish("small", "1.0.0", good);
        upstream.route(path, r -> fault.beforeAnyByte(good));
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get(path);

        assertThat(r.statusCode()).isEqualTo(fault.status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(r)).contains("small@1.0.0").contains("'stub'").contains(fault.reason);
        assertThat(upstream.hits(path)).isEqualTo(1);
        nothingWasStoredAndAHealthyUpstreamIsUsedAgain(path, good);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void faultAfterTheFirstChunkClosesTheClientConnectionBeforeContentLength(Fault fault) throws Exception {
        byte[] good = UpstreamStub.randomBytes(LARGE, 2);
        String path = upstream.publish("large", "1.0.0", good);
        CountDownLatch clientIsStreaming = new CountDownLatch(1);
        upstream.route(path, r -> fault.afterFirstChunk(good, clientIsStreaming));
        startGateway(CacheConfig.defaults());

        HttpResponse<InputStream> r = stream(path);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValueAsLong("content-length")).hasValue((long) LARGE);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (InputStream body = r.body()) {
            readAtLeast(body, received, CHUNK);
            clientIsStreaming.countDown();
            IOException cut = null;
            try {
                body.transferTo(received);
            } catch (IOException e) {
                cut = e;
            }
            assertThat(cut).as("the body ended early with an error, not as if it were whole (%d of %d bytes arrived)",
                    received.size(), LARGE).isNotNull();
        }
        assertThat(received.size()).isGreaterThanOrEqualTo(CHUNK).isLessThan(LARGE);
        // What did arrive is exactly the start of what the upstream sent, never bytes of anything else.
        assertThat(Arrays.copyOf(received.toByteArray(), received.size()))
                .isEqualTo(Arrays.copyOf(good, received.size()));
        assertThat(upstream.hits(path)).isEqualTo(1);
        nothingWasStoredAndAHealthyUpstreamIsUsedAgain(path, good);
    }

    @Test
    void serverErrorGives502NamingThePackageAndStoresNothing() throws Exception {
        byte[] good = UpstreamStub.randomBytes(SMALL, 3);
        String path = upstream.publish("flaky", "2.1.0", good);
        upstream.route(path, r -> new MockResponse.Builder().code(503).body("{\"error\":\"overloaded\"}").build());
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get(path);

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(r)).contains("flaky@2.1.0").contains("'stub'").contains("HTTP 503");
        assertThat(upstream.hits(path)).isEqualTo(1);
        nothingWasStoredAndAHealthyUpstreamIsUsedAgain(path, good);
    }

    /**
     * After a fault: the next request goes upstream again (so nothing was kept), succeeds now that the upstream is
     * healthy, and the one after that is served from the store with the published bytes.
     */
    private void nothingWasStoredAndAHealthyUpstreamIsUsedAgain(String path, byte[] good) throws Exception {
        int hitsAfterFault = upstream.hits(path);
        upstream.tarball(path, good);

        HttpResponse<byte[]> healthy = get(path);
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(healthy.headers().firstValue("x-npm-gateway-cache")).hasValue("miss");
        assertThat(healthy.body()).isEqualTo(good);
        assertThat(upstream.hits(path)).as("the request after the fault went upstream").isEqualTo(hitsAfterFault + 1);

        HttpResponse<byte[]> stored = get(path);
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(stored.headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
        assertThat(stored.body()).isEqualTo(good);
        assertThat(upstream.hits(path)).as("the healthy download was stored").isEqualTo(hitsAfterFault + 1);
    }

    private static void readAtLeast(InputStream in, ByteArrayOutputStream into, int count) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        while (into.size() < count) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new AssertionError("the body ended after " + into.size() + " bytes");
            }
            into.write(buffer, 0, n);
        }
    }

    /** What a stub connection does after the response head; may throw I/O errors, which end the connection. */
    interface SocketScript {
        void run(okio.Socket socket) throws IOException;
    }

    private static SocketHandler handler(SocketScript script) {
        return socket -> {
            try {
                script.run(socket);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private static byte[] flipped(byte[] good, int index) {
        byte[] bad = good.clone();
        bad[index] ^= 0x5a;
        return bad;
    }

    private static void writeAndFlush(okio.Socket socket, byte[] bytes, int offset, int length) throws IOException {
        BufferedSink sink = Okio.buffer(socket.getSink());
        sink.write(bytes, offset, length);
        sink.flush();
    }

    private static Socket javaSocket(okio.Socket socket) {
        // MockWebServer hands its own socket type to a SocketHandler; it exposes the java.net.Socket beneath.
        return ((MockWebServerSocket) socket).getJavaNetSocket();
    }

    private static void close(okio.Socket socket) throws IOException {
        javaSocket(socket).close();
    }

    /** Closes with SO_LINGER 0, which makes the kernel send RST instead of FIN. */
    private static void reset(okio.Socket socket) throws IOException {
        Socket s = javaSocket(socket);
        s.setSoLinger(true, 0);
        s.close();
    }

    /** Sends nothing more and waits (at most 20 s) until the gateway closes the connection. */
    private static void awaitHangUp(okio.Socket socket) throws IOException {
        okio.Source source = socket.getSource();
        source.timeout().timeout(20, TimeUnit.SECONDS);
        Buffer sink = new Buffer();
        while (source.read(sink, 8192) != -1) {
            sink.clear();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the client never started streaming");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whole-document writes (publish) stream to the write target as they arrive, and writes win over reads under way:
 * against a recording stub, and against raw sockets where the test must see exactly what reached the upstream.
 */
class StreamedWritesTest extends GatewayHttpTest {
    private FakeRegistry target;
    private RawUpstream raw;

    @AfterEach
    void stopUpstreams() throws IOException {
        if (target != null) {
            target.close();
        }
        if (raw != null) {
            raw.close();
        }
    }

    private void startWithWriteTarget(String url, int maxPublish) {
        startWithWriteTarget(url, maxPublish, Duration.ofSeconds(10));
    }

    private void startWithWriteTarget(String url, int maxPublish, Duration readTimeout) {
        gateway = Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024, maxPublish),
                dataDir, List.of(new UpstreamConfig("target", url, Duration.ofSeconds(2), readTimeout)),
                CacheConfig.defaults(), StorageConfig.defaults(), List.<RouteConfig>of(), ClientTokens.none(),
                "target", null));
    }

    private HttpResponse<byte[]> put(String path, HttpRequest.BodyPublisher body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").PUT(body).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A body sent without a Content-Length (chunked), so only counting can bound it. */
    private static HttpRequest.BodyPublisher chunked(byte[] body) {
        return HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));
    }

    /** A publish document for {@code lib@1.0.0} whose attachment is {@code attachmentChars} of base64-like text. */
    private String publishBody(int attachmentChars) {
        char[] data = new char[attachmentChars];
        for (int i = 0; i < data.length; i++) {
            data[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charAt((i * 31 + i / 7) % 64);
        }
        return "{\"_id\":\"lib\",\"name\":\"lib\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{"
                + "\"name\":\"lib\",\"version\":\"1.0.0\",\"dist\":{\"integrity\":\"sha512-x\",\"tarball\":\""
                + base() + "lib/-/lib-1.0.0.tgz\"}}},\"_attachments\":{\"lib-1.0.0.tgz\":{\"content_type\":"
                + "\"application/octet-stream\",\"data\":\"" + new String(data) + "\",\"length\":1}}}";
    }

    @Test
    void aPublishBodyGoesToTheWriteTargetChunkedWithTarballUrlsMappedBackAndItsAnswerComesBack() throws Exception {
        target = new FakeRegistry();
        startWithWriteTarget(target.url(), 64 * 1024 * 1024);
        target.route("lib", r -> new MockResponse.Builder().code(201).setHeader("Content-Type", "application/json")
                .body("{\"ok\":\"created\"}").build());
        String body = publishBody(3 * 1024 * 1024);

        HttpResponse<byte[]> r = put("lib", chunked(body.getBytes(StandardCharsets.UTF_8)));

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":\"created\"}");
        RecordedRequest at = target.requests.get(0);
        assertThat(at.getHeaders().get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(at.getBody().utf8()).isEqualTo(body.replace(base() + "lib/-/", target.url() + "lib/-/"));
    }

    @Test
    void aConflictFromTheWriteTargetIsRelayedWithItsJson() throws Exception {
        target = new FakeRegistry();
        startWithWriteTarget(target.url(), 64 * 1024 * 1024);
        target.route("lib", r -> new MockResponse.Builder().code(409).setHeader("Content-Type", "application/json")
                .body("{\"error\":\"this package is already present\"}").build());

        HttpResponse<byte[]> r = put("lib", HttpRequest.BodyPublishers.ofString(publishBody(1000)));

        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("already present");
    }

    @Test
    void aStreamedPublishOverTheLimitCountedAsItArrivesGets413AndTheUpstreamGetsNoWholeRequest() throws Exception {
        raw = new RawUpstream(false);
        startWithWriteTarget(raw.url(), 1024 * 1024);
        byte[] body = publishBody(2 * 1024 * 1024).getBytes(StandardCharsets.UTF_8);

        HttpResponse<byte[]> r = put("lib", chunked(body));

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).startsWith("{\"error\":").contains("1048576");
        String received = raw.received().get(20, TimeUnit.SECONDS);
        assertThat(received).startsWith("PUT /lib HTTP/1.1").doesNotEndWith("0\r\n\r\n");
        assertThat(received.length()).isLessThan(body.length);
    }

    @Test
    void aClientThatGoesAwayMidUploadAbortsTheUpstreamRequest() throws Exception {
        raw = new RawUpstream(false);
        startWithWriteTarget(raw.url(), 64 * 1024 * 1024);
        byte[] piece = new byte[256 * 1024];
        Arrays.fill(piece, (byte) 'A');
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.localAddress().getPort())) {
            OutputStream out = client.getOutputStream();
            out.write(("PUT /lib HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String start = "{\"name\":\"lib\",\"_attachments\":{\"lib-1.0.0.tgz\":{\"data\":\"";
            out.write(chunk(start.getBytes(StandardCharsets.US_ASCII)));
            out.write(chunk(piece));
            out.flush();
            // The upstream has the start of the body: the client is gone before it is whole.
            raw.awaitBytes(start.length() + piece.length);
        }

        String received = raw.received().get(20, TimeUnit.SECONDS);
        assertThat(received).startsWith("PUT /lib HTTP/1.1").contains("{\"name\":\"lib\"")
                .doesNotEndWith("0\r\n\r\n");
    }

    @Test
    void theClientIsReadOnlyAsFastAsTheUpstreamTakesTheBodyAndAStalledUpstreamGets504() throws Exception {
        raw = new RawUpstream(false, true);
        startWithWriteTarget(raw.url(), Integer.MAX_VALUE - 8, Duration.ofSeconds(1));
        long bodySize = 256L * 1024 * 1024;
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.localAddress().getPort())) {
            OutputStream out = client.getOutputStream();
            out.write(("PUT /lib HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + bodySize + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Thread writer = new Thread(() -> {
                byte[] piece = new byte[64 * 1024];
                Arrays.fill(piece, (byte) ' ');
                try {
                    for (long left = bodySize; left > 0; left -= piece.length) {
                        out.write(piece);
                        sent.addAndGet(piece.length);
                    }
                } catch (IOException e) {
                    // The gateway closed the connection after its answer: the rest is not wanted.
                }
            }, "slow-upstream-client");
            writer.setDaemon(true);
            writer.start();

            // The upstream takes the head and then no byte of the body: the gateway's answer says it stalled.
            String answer = readHead(client.getInputStream());
            long sentWhenAnswered = sent.get();
            assertThat(answer).startsWith("HTTP/1.1 504");
            // Had the gateway read the client faster than the upstream took bytes, it would have read the whole
            // body during the second the upstream was silent. It read only what the socket buffers hold; after
            // its answer it reads and drops at most RequestBodyLimit.MAX_DISCARD more before closing.
            assertThat(sentWhenAnswered).isLessThan(bodySize / 2);
            writer.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(sent.get()).isLessThan(bodySize / 2);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void anUpstreamThatFailsMidUploadGivesTheClientA502() throws Exception {
        raw = new RawUpstream(true);
        startWithWriteTarget(raw.url(), 64 * 1024 * 1024);

        HttpResponse<byte[]> r = put("lib", chunked(publishBody(8 * 1024 * 1024).getBytes(StandardCharsets.UTF_8)));

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).startsWith("{\"error\":").contains("'target'");
    }

    @Test
    void aPackumentFetchUnderWayWhenAPublishLandsDoesNotCacheThePrePublishDocument() throws Exception {
        target = new FakeRegistry();
        startWithWriteTarget(target.url(), 64 * 1024 * 1024);
        CountDownLatch fetchReachedUpstream = new CountDownLatch(1);
        CountDownLatch publishDone = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();
        target.route("lib", r -> {
            if (r.getMethod().equals("PUT")) {
                return new MockResponse.Builder().code(201).body("{}").build();
            }
            if (reads.incrementAndGet() == 1) {
                // The read that started before the publish: held until the publish has been answered.
                fetchReachedUpstream.countDown();
                try {
                    publishDone.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return packument("1.0.0");
            }
            return packument("1.0.0", "1.1.0");
        });

        CompletableFuture<HttpResponse<byte[]>> before = http.sendAsync(
                HttpRequest.newBuilder(URI.create(base() + "lib")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(fetchReachedUpstream.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(put("lib", HttpRequest.BodyPublishers.ofString(publishBody(100))).statusCode()).isEqualTo(201);
        publishDone.countDown();
        assertThat(new String(before.get(30, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8))
                .doesNotContain("1.1.0");

        HttpResponse<byte[]> after = get("lib");

        assertThat(new String(after.body(), StandardCharsets.UTF_8)).contains("\"1.1.0\"");
        assertThat(reads.get()).as("the read after the publish went upstream").isEqualTo(2);
    }

    @Test
    void aNotFoundFetchedBeforeAFirstPublishIsNotRemembered() throws Exception {
        target = new FakeRegistry();
        startWithWriteTarget(target.url(), 64 * 1024 * 1024);
        CountDownLatch fetchReachedUpstream = new CountDownLatch(1);
        CountDownLatch publishDone = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();
        target.route("lib", r -> {
            if (r.getMethod().equals("PUT")) {
                return new MockResponse.Builder().code(201).body("{}").build();
            }
            if (reads.incrementAndGet() == 1) {
                fetchReachedUpstream.countDown();
                try {
                    publishDone.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new MockResponse.Builder().code(404).body("{\"error\":\"not found\"}").build();
            }
            return packument("1.0.0");
        });

        CompletableFuture<HttpResponse<byte[]>> before = http.sendAsync(
                HttpRequest.newBuilder(URI.create(base() + "lib")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(fetchReachedUpstream.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(put("lib", HttpRequest.BodyPublishers.ofString(publishBody(100))).statusCode()).isEqualTo(201);
        publishDone.countDown();
        assertThat(before.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(404);

        HttpResponse<byte[]> after = get("lib");

        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(new String(after.body(), StandardCharsets.UTF_8)).contains("\"1.0.0\"");
    }

    private MockResponse packument(String... versions) {
        StringBuilder json = new StringBuilder("{\"_id\":\"lib\",\"name\":\"lib\",\"dist-tags\":{\"latest\":\"")
                .append(versions[versions.length - 1]).append("\"},\"versions\":{");
        for (int i = 0; i < versions.length; i++) {
            json.append(i > 0 ? "," : "").append('"').append(versions[i]).append("\":{\"name\":\"lib\",\"version\":\"")
                    .append(versions[i]).append("\",\"dist\":{\"integrity\":\"sha512-AAAA\",\"tarball\":\"")
                    .append(target.url()).append("lib/-/lib-").append(versions[i]).append(".tgz\"}}");
        }
        json.append("}}");
        return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body(json.toString()).build();
    }

    private static byte[] chunk(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * An upstream on a plain socket, for what a recording stub cannot show: it takes one connection and records every
     * byte until the gateway closes it ({@link #received()} completes then), or, {@code failing}, resets the
     * connection once it has part of a request body.
     */
    private static final class RawUpstream implements AutoCloseable {
        private final ServerSocket server;
        private final CompletableFuture<String> received = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread thread;
        private final CountDownLatch released = new CountDownLatch(1);

        RawUpstream(boolean failing) throws IOException {
            this(failing, false);
        }

        /** {@code stalling}: reads the request head, then nothing more until the gateway closes the connection. */
        RawUpstream(boolean failing, boolean stalling) throws IOException {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> serve(failing, stalling), "raw-upstream");
            thread.setDaemon(true);
            thread.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort() + "/";
        }

        CompletableFuture<String> received() {
            return received;
        }

        /** Waits until at least {@code count} bytes of request body (after the head) have arrived. */
        void awaitBytes(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            synchronized (bytes) {
                while (bodyBytes() < count && System.nanoTime() < deadline && !received.isDone()) {
                    bytes.wait(100);
                }
            }
            assertThat(bodyBytes()).isGreaterThanOrEqualTo(count);
        }

        private int bodyBytes() {
            synchronized (bytes) {
                String text = bytes.toString(StandardCharsets.ISO_8859_1);
                int head = text.indexOf("\r\n\r\n");
                return head < 0 ? 0 : text.length() - head - 4;
            }
        }

        private void serve(boolean failing, boolean stalling) {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                if (stalling) {
                    // The head is taken; then silence until the test ends.
                    readHead(in);
                    released.await();
                    return;
                }
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (bytes) {
                        bytes.write(buffer, 0, n);
                        bytes.notifyAll();
                    }
                    if (failing && bodyBytes() > 256 * 1024) {
                        // Gone mid-upload: a reset, not an orderly close.
                        s.setSoLinger(true, 0);
                        break;
                    }
                }
            } catch (IOException e) {
                // A reset from the gateway's side ends the recording too.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                received.complete(bytes.toString(StandardCharsets.ISO_8859_1));
            }
        }

        @Override
        public void close() throws IOException {
            released.countDown();
            server.close();
        }
    }
}

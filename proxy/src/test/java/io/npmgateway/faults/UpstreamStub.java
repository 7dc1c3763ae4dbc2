package io.npmgateway.faults;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;

/**
 * A fault-injecting upstream registry on OkHttp's MockWebServer, bound to 127.0.0.1: serves one-version packuments
 * and their tarballs, counts requests per path, and lets a test swap the answer for a path at any time (a fault,
 * then a healthy answer again).
 */
public final class UpstreamStub extends Dispatcher implements AutoCloseable {
    private final MockWebServer server = new MockWebServer();
    private final Map<String, Function<RecordedRequest, MockResponse>> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private volatile Function<RecordedRequest, MockResponse> everything;
    private volatile boolean gzipPackuments;
    private final java.util.List<RecordedRequest> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final boolean https;

    public UpstreamStub() throws Exception {
        this(null);
    }

    /** A stub that speaks https with the certificate {@code tls} holds (plain http when null). */
    public UpstreamStub(javax.net.ssl.SSLSocketFactory tls) throws Exception {
        this.https = tls != null;
        if (https) {
            server.useHttps(tls);
        }
        server.setDispatcher(this);
        server.start(InetAddress.getByName("127.0.0.1"), 0);
    }

    public String url() {
        return (https ? "https" : "http") + "://127.0.0.1:" + server.getPort() + "/";
    }

    /**
     * Publishes {@code name@version} (unscoped) whose tarball is {@code tarball}, with the sha512 integrity and sha1
     * shasum of those bytes, and serves both healthily; returns the tarball's path (no leading slash).
     */
    public String publish(String name, String version, byte[] tarball) {
        String path = tarballPath(name, version);
        String doc = "{\"_id\":\"" + name + "\",\"name\":\"" + name + "\",\"dist-tags\":{\"latest\":\"" + version
                + "\"},\"versions\":{\"" + version + "\":{\"name\":\"" + name + "\",\"version\":\"" + version
                + "\",\"dist\":{\"integrity\":\"" + integrity(tarball) + "\",\"shasum\":\"" + sha1Hex(tarball)
                + "\",\"tarball\":\"" + url() + path + "\"}}},\"time\":{\"created\":\"2024-01-01T00:00:00.000Z\",\""
                + version + "\":\"2024-01-02T00:00:00.000Z\",\"modified\":\"2024-01-02T00:00:00.000Z\"}}";
        packument(name, doc.getBytes(StandardCharsets.UTF_8));
        tarball(path, tarball);
        return path;
    }

    /** Serves {@code body} as the packument of {@code name} (200, JSON, with an ETag). */
    public void packument(String name, byte[] body) {
        route(name, r -> {
            MockResponse.Builder answer = new MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/json").setHeader("ETag", "\"v1\"");
            String accepted = r.getHeaders().get("Accept-Encoding");
            if (gzipPackuments && accepted != null && accepted.toLowerCase(java.util.Locale.ROOT).contains("gzip")) {
                return answer.setHeader("Content-Encoding", "gzip").body(new Buffer().write(gzip(body))).build();
            }
            return answer.body(new Buffer().write(body)).build();
        });
    }

    /**
     * From now on, answers every packument request whose {@code Accept-Encoding} allows gzip with the document
     * gzipped ({@code Content-Encoding: gzip}), as registries behind a CDN do; other requests as before.
     */
    public void gzipPackumentsWhenAccepted() {
        gzipPackuments = true;
    }

    /** Serves {@code bytes} whole and correctly at {@code path}. */
    public void tarball(String path, byte[] bytes) {
        route(path, r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/octet-stream")
                .body(new Buffer().write(bytes)).build());
    }

    /** Answers requests for {@code path} (no leading slash) with what {@code answer} builds, from now on. */
    public void route(String path, Function<RecordedRequest, MockResponse> answer) {
        routes.put("/" + path, answer);
    }

    /** Answers every request with what {@code fault} builds, whatever its path, until {@link #heal()}. */
    public void failEverything(Function<RecordedRequest, MockResponse> fault) {
        everything = fault;
    }

    /** Back to the answers set per path. */
    public void heal() {
        everything = null;
    }

    /** Every request the stub has received, headers and all. */
    public java.util.List<RecordedRequest> requests() {
        return java.util.List.copyOf(requests);
    }

    /** How many requests for {@code path} the stub has received. */
    public int hits(String path) {
        AtomicInteger n = hits.get("/" + path);
        return n == null ? 0 : n.get();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        requests.add(request);
        Function<RecordedRequest, MockResponse> fault = everything;
        if (fault != null) {
            return fault.apply(request);
        }
        Function<RecordedRequest, MockResponse> answer = routes.get(path);
        if (answer == null) {
            return new MockResponse.Builder().code(404).body("{\"error\":\"Not found\"}").build();
        }
        return answer.apply(request);
    }

    @Override
    public void close() {
        server.close();
    }

    public static String tarballPath(String name, String version) {
        return name + "/-/" + name + "-" + version + ".tgz";
    }

    /** {@code size} reproducible pseudo-random bytes: incompressible, like a real tarball. */
    public static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    public static String integrity(byte[] data) {
        return "sha512-" + Base64.getEncoder().encodeToString(digest("SHA-512", data));
    }

    public static String sha1Hex(byte[] data) {
        return HexFormat.of().formatHex(digest("SHA-1", data));
    }

    public static byte[] gzip(byte[] data) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(data);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

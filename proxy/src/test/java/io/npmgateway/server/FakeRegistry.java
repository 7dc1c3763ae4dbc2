package io.npmgateway.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;

/**
 * An upstream registry stand-in on OkHttp's MockWebServer: serves packuments and tarballs registered by the test,
 * counts requests per path, and lets a test replace the answer for a path (faults: 5xx, truncation, stalls).
 */
final class FakeRegistry extends Dispatcher implements AutoCloseable {
    final MockWebServer server = new MockWebServer();
    private final Map<String, Function<RecordedRequest, MockResponse>> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    final java.util.List<RecordedRequest> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

    FakeRegistry() throws Exception {
        server.setDispatcher(this);
        server.start(java.net.InetAddress.getByName("127.0.0.1"), 0);
    }

    String url() {
        return "http://127.0.0.1:" + server.getPort() + "/";
    }

    /** Registers an unscoped or scoped package with the given versions; returns the tarball bytes by version. */
    Map<String, byte[]> publish(String name, String... versions) {
        Map<String, byte[]> tarballs = new java.util.LinkedHashMap<>();
        StringBuilder json = new StringBuilder();
        String unscoped = name.substring(name.indexOf('/') + 1);
        json.append("{\"_id\":\"").append(name).append("\",\"_rev\":\"3-abc\",\"name\":\"").append(name)
                .append("\",\"readme\":\"# ").append(name).append("\",\"dist-tags\":{\"latest\":\"")
                .append(versions[versions.length - 1]).append("\"},\"versions\":{");
        StringBuilder time = new StringBuilder("{\"created\":\"2024-01-01T00:00:00.000Z\"");
        for (int i = 0; i < versions.length; i++) {
            String v = versions[i];
            byte[] tgz = ("tarball of " + name + "@" + v + " ").repeat(50 + i * 5000).getBytes(StandardCharsets.UTF_8);
            tarballs.put(v, tgz);
            String path = name + "/-/" + unscoped + "-" + v + ".tgz";
            tarball(path, tgz);
            if (i > 0) {
                json.append(',');
            }
            json.append("\"").append(v).append("\":{\"name\":\"").append(name).append("\",\"version\":\"").append(v)
                    .append("\",\"description\":\"fixture\",\"scripts\":{\"test\":\"x\"},\"dist\":{\"integrity\":\"")
                    .append(integrity(tgz)).append("\",\"shasum\":\"").append(sha1Hex(tgz))
                    .append("\",\"tarball\":\"").append(url()).append(path).append("\"}}");
            time.append(",\"").append(v).append("\":\"2024-01-0").append(i + 2).append("T00:00:00.000Z\"");
        }
        time.append(",\"modified\":\"2024-02-01T00:00:00.000Z\"}");
        json.append("},\"time\":").append(time).append("}");
        String escaped = name.replace("/", "%2f");
        byte[] doc = json.toString().getBytes(StandardCharsets.UTF_8);
        route(escaped, r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .setHeader("ETag", "\"v1\"").body(new Buffer().write(doc)).build());
        return tarballs;
    }

    void tarball(String path, byte[] bytes) {
        route(path, r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/octet-stream")
                .body(new Buffer().write(bytes)).build());
    }

    void route(String path, Function<RecordedRequest, MockResponse> answer) {
        routes.put("/" + path, answer);
    }

    /** What {@code path} answers now, to wrap in a route that changes or delays it. */
    Function<RecordedRequest, MockResponse> routeAnswer(String path) {
        return routes.get("/" + path);
    }

    int hits(String path) {
        AtomicInteger n = hits.get("/" + path);
        return n == null ? 0 : n.get();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        requests.add(request);
        String path = request.getUrl().encodedPath().replace("%2F", "%2f");
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
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

    static String integrity(byte[] data) {
        return "sha512-" + Base64.getEncoder().encodeToString(digest("SHA-512", data));
    }

    static String sha1Hex(byte[] data) {
        return HexFormat.of().formatHex(digest("SHA-1", data));
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

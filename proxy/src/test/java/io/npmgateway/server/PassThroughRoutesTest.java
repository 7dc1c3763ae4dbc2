package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.Secret;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.config.UpstreamConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Audit, search and writes reach the one upstream chosen for them, with that upstream's credentials and nothing of
 * the client's, and their answers come back as the upstream gave them; against recording stubs.
 */
class PassThroughRoutesTest extends GatewayHttpTest {
    private static final String AUDIT_BODY = "{\"fixture-util\":[\"1.0.0\",\"2.0.0\"],\"@fixture/app-lib\":[\"1.0.0\"]}";
    private static final String ADVISORIES = "{\"fixture-util\":[{\"id\":1,\"url\":\"https://example.invalid/a/1\","
            + "\"title\":\"Prototype pollution\",\"severity\":\"high\",\"vulnerable_versions\":\"<1.1.0\","
            + "\"cwe\":[\"CWE-1321\"],\"cvss\":{\"score\":7.5,\"vectorString\":null}}]}";

    /** A second upstream, the one audits and writes go to in these tests (the first is {@code upstream}). */
    FakeRegistry second;

    @AfterEach
    void stopSecond() {
        if (second != null) {
            second.close();
        }
    }

    /** {@code fake} (anonymous) then {@code second} (bearer token), with the given audit upstream and write target. */
    void start(String auditUpstream, String writeTarget, ClientTokens clients) throws Exception {
        second = new FakeRegistry();
        GatewayConfig config = new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024),
                dataDir,
                List.of(new UpstreamConfig("fake", upstream.url(), Duration.ofSeconds(2), Duration.ofSeconds(5)),
                        new UpstreamConfig("second", second.url(), Duration.ofSeconds(2), Duration.ofSeconds(5))
                                .withAuth(new UpstreamAuth.Bearer(Secret.of("upstream-secret")))),
                CacheConfig.defaults(), StorageConfig.defaults(), List.<RouteConfig>of(), clients, writeTarget,
                auditUpstream);
        gateway = Gateway.start(config);
    }

    HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /** gzip of {@code count} spaces, compressed a piece at a time (about 10 KB for 10 MB). */
    static byte[] gzippedSpaces(int count) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] piece = new byte[64 * 1024];
        java.util.Arrays.fill(piece, (byte) ' ');
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            for (int left = count; left > 0; left -= piece.length) {
                gz.write(piece, 0, Math.min(left, piece.length));
            }
        }
        return out.toByteArray();
    }

    RecordedRequest only(FakeRegistry registry, String method) {
        List<RecordedRequest> matching = registry.requests.stream().filter(r -> r.getMethod().equals(method)).toList();
        assertThat(matching).hasSize(1);
        return matching.get(0);
    }

    @Test
    void npmsGzippedAuditArrivesDecompressedAtTheAuditUpstreamWithItsCredentials() throws Exception {
        start("second", null, ClientTokens.none());
        second.route("-/npm/v1/security/advisories/bulk", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").body(ADVISORIES).build());

        HttpResponse<byte[]> r = send("POST", "-/npm/v1/security/advisories/bulk", gzip(AUDIT_BODY),
                "Content-Type", "application/json", "Content-Encoding", "gzip", "Authorization", "Bearer client-own");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo(ADVISORIES);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        RecordedRequest at = only(second, "POST");
        // Decided: the gateway forwards plain JSON whatever the client sent, so the audit upstream never has to
        // support compressed request bodies.
        assertThat(at.getBody().utf8()).isEqualTo(AUDIT_BODY);
        assertThat(at.getHeaders().get("Content-Encoding")).isNull();
        assertThat(at.getHeaders().get("Content-Type")).isEqualTo("application/json");
        assertThat(at.getHeaders().get("Authorization")).isEqualTo("Bearer upstream-secret");
        assertThat(upstream.requests).as("nothing went to the other upstream").isEmpty();
    }

    @Test
    void pnpmAndYarnPlainJsonAuditIsForwardedAsSentAndUpstreamErrorsComeBack() throws Exception {
        start("second", null, ClientTokens.none());
        second.route("-/npm/v1/security/advisories/bulk", r -> new MockResponse.Builder().code(503)
                .setHeader("Content-Type", "application/json").body("{\"error\":\"advisory database is down\"}")
                .build());

        HttpResponse<byte[]> r = send("POST", "-/npm/v1/security/advisories/bulk",
                AUDIT_BODY.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(json(r).get("error")).isEqualTo("advisory database is down");
        assertThat(only(second, "POST").getBody().utf8()).isEqualTo(AUDIT_BODY);
    }

    @Test
    void withoutAnAuditUpstreamAuditGetsA501ThatSaysSo() throws Exception {
        start(null, null, ClientTokens.none());
        HttpResponse<byte[]> r = send("POST", "-/npm/v1/security/advisories/bulk", gzip(AUDIT_BODY),
                "Content-Type", "application/json", "Content-Encoding", "gzip");
        assertThat(r.statusCode()).isEqualTo(501);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat((String) json(r).get("error")).contains("audit is not configured").contains("auditUpstream");
        assertThat(upstream.requests).isEmpty();
        assertThat(second.requests).isEmpty();
    }

    @Test
    void theRetiredAuditEndpointsGet410PointingAtTheBulkOne() throws Exception {
        start("second", null, ClientTokens.none());
        for (String path : List.of("-/npm/v1/security/audits", "-/npm/v1/security/audits/quick")) {
            HttpResponse<byte[]> r = send("POST", path, "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/json");
            assertThat(r.statusCode()).as(path).isEqualTo(410);
            assertThat((String) json(r).get("error")).contains("retired").contains("advisories/bulk");
        }
        assertThat(second.requests).isEmpty();
    }

    @Test
    void auditBodiesOverTenMegabytesGet413AndBrokenGzip400() throws Exception {
        start("second", null, ClientTokens.none());
        // Declared too large: refused before the body is read (the body is generated, never held in memory here).
        long tooMuch = RequestBodyLimit.MAX_POST_BODY + 1L;
        HttpRequest declared = HttpRequest.newBuilder(URI.create(base() + "-/npm/v1/security/advisories/bulk"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.InputStream() {
                            private long left = tooMuch;

                            @Override
                            public int read() {
                                return left-- > 0 ? ' ' : -1;
                            }
                        }), tooMuch))
                .build();
        HttpResponse<byte[]> tooLarge = http.send(declared, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat((String) json(tooLarge).get("error")).contains("larger than");

        // A small body that inflates beyond the limit is refused too.
        HttpResponse<byte[]> bomb = send("POST", "-/npm/v1/security/advisories/bulk",
                gzippedSpaces(RequestBodyLimit.MAX_POST_BODY + 1),
                "Content-Type", "application/json", "Content-Encoding", "gzip");
        assertThat(bomb.statusCode()).isEqualTo(413);

        HttpResponse<byte[]> broken = send("POST", "-/npm/v1/security/advisories/bulk",
                "not gzip".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json",
                "Content-Encoding", "gzip");
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(second.requests).isEmpty();
    }

    @Test
    void searchGoesToTheFirstUpstreamThatImplementsItWithTheQueryIntact() throws Exception {
        start(null, null, ClientTokens.none());
        String results = "{\"objects\":[{\"package\":{\"name\":\"fixture-util\",\"version\":\"2.0.0\"}}],\"total\":1}";
        second.route("-/v1/search", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").body(results).build());

        HttpResponse<byte[]> r = get("-/v1/search?text=fixture&size=20&from=0&quality=0.65");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo(results);
        assertThat(upstream.hits("-/v1/search")).as("the first upstream answered 404").isEqualTo(1);
        RecordedRequest at = only(second, "GET");
        assertThat(at.getTarget()).isEqualTo("/-/v1/search?text=fixture&size=20&from=0&quality=0.65");
        assertThat(at.getHeaders().get("Authorization")).isEqualTo("Bearer upstream-secret");
    }

    @Test
    void searchThatNoUpstreamImplementsGets501() throws Exception {
        start(null, null, ClientTokens.none());
        HttpResponse<byte[]> r = get("-/v1/search?text=x");
        assertThat(r.statusCode()).isEqualTo(501);
        assertThat((String) json(r).get("error")).contains("search");
    }

    @Test
    void aWholeDocumentPutGoesToTheWriteTargetWithUpstreamTarballUrlsAndDropsTheCachedPackument()
            throws Exception {
        start(null, "second", ClientTokens.none());
        second.publish("@corp/widget", "1.0.0");
        second.route("@corp%2fwidget", r -> r.getMethod().equals("PUT")
                ? new MockResponse.Builder().code(201).setHeader("Content-Type", "application/json")
                        .body("{\"ok\":true}").build()
                : new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                        .body(packument(second.url())).build());
        assertThat(get("@corp%2fwidget").statusCode()).isEqualTo(200);
        assertThat(get("@corp%2fwidget").headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
        String body = "{\"_id\":\"@corp/widget\",\"_rev\":\"3-abc\",\"name\":\"@corp/widget\",\"versions\":{\"1.0.0\":"
                + "{\"name\":\"@corp/widget\",\"version\":\"1.0.0\",\"deprecated\":\"use 2\",\"dist\":{\"tarball\":\""
                + base() + "@corp/widget/-/widget-1.0.0.tgz\",\"shasum\":\"abc\"}}},\"_attachments\":{}}";

        HttpResponse<byte[]> r = send("PUT", "@corp%2fwidget", body.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "Authorization", "Bearer client-own", "npm-otp", "123456");

        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(text(r)).isEqualTo("{\"ok\":true}");
        RecordedRequest at = only(second, "PUT");
        assertThat(at.getTarget()).isEqualTo("/@corp%2fwidget");
        assertThat(at.getBody().utf8()).isEqualTo(body.replace(base(), second.url()));
        assertThat(at.getHeaders().get("Authorization")).isEqualTo("Bearer upstream-secret");
        assertThat(at.getHeaders().get("npm-otp")).isEqualTo("123456");
        assertThat(at.getExchangeIndex()).as("a write goes on a connection of its own").isZero();
        assertThat(upstream.requests).as("the other upstream never sees a write").noneMatch(
                req -> !req.getMethod().equals("GET"));
        assertThat(get("@corp%2fwidget").headers().firstValue("x-npm-gateway-cache")).as("invalidated")
                .hasValue("miss");
    }

    @Test
    void writeReadsBypassTheCacheAndGetGatewayTarballUrls() throws Exception {
        start(null, "second", ClientTokens.none());
        second.route("lib", r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body(packument(second.url()).replace("@corp/widget", "lib").replace("@corp%2fwidget", "lib"))
                .build());
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> r = get("lib?write=true");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(text(r)).contains("\"_rev\":\"5-def\"").contains("\"tarball\":\"" + base() + "lib/-/")
                    .doesNotContain(second.url());
            assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
        }
        assertThat(second.hits("lib")).as("each write read went upstream").isEqualTo(2);
        assertThat(second.requests.get(0).getTarget()).isEqualTo("/lib?write=true");
    }

    @Test
    void distTagRevisionAndTarballDeletesGoToTheWriteTarget() throws Exception {
        start(null, "second", ClientTokens.none());
        second.route("-/package/@corp%2fwidget/dist-tags/beta", r -> new MockResponse.Builder().code(201)
                .body("{\"ok\":\"tag\"}").build());
        second.route("lib/-rev/3-abc", r -> new MockResponse.Builder().code(200).body("{\"ok\":\"rev\"}").build());

        HttpResponse<byte[]> tag = send("PUT", "-/package/@corp%2fwidget/dist-tags/beta",
                "\"1.0.0\"".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
        HttpResponse<byte[]> untag = send("DELETE", "-/package/@corp%2Fwidget/dist-tags/beta", null);
        HttpResponse<byte[]> unpublish = send("DELETE", "lib/-rev/3-abc", null);

        assertThat(tag.statusCode()).isEqualTo(201);
        assertThat(untag.statusCode()).isEqualTo(201);
        assertThat(unpublish.statusCode()).isEqualTo(200);
        assertThat(second.requests).extracting(RecordedRequest::getRequestLine).containsExactly(
                "PUT /-/package/@corp%2fwidget/dist-tags/beta HTTP/1.1",
                "DELETE /-/package/@corp%2fwidget/dist-tags/beta HTTP/1.1",
                "DELETE /lib/-rev/3-abc HTTP/1.1");
        assertThat(second.requests.get(0).getBody().utf8()).isEqualTo("\"1.0.0\"");
    }

    @Test
    void aWriteWhoseConnectionDropsBeforeTheAnswerIsNotSentAgain() throws Exception {
        start(null, "second", ClientTokens.none());
        second.route("lib", r -> new MockResponse.Builder().code(201).body("{}")
                .onResponseStart(mockwebserver3.SocketEffect.ShutdownConnection.INSTANCE).build());

        HttpResponse<byte[]> r = send("PUT", "lib", "{\"name\":\"lib\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json");

        // The publish may have taken effect upstream: the client hears of the failure, the upstream gets it once.
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat((String) json(r).get("error")).contains("'second'");
        assertThat(second.hits("lib")).isEqualTo(1);
    }

    @Test
    void aCompressedWriteBodyReachesTheWriteTargetDecompressed() throws Exception {
        start(null, "second", ClientTokens.none());
        second.route("lib", r -> new MockResponse.Builder().code(201).body("{}").build());
        String doc = "{\"_id\":\"lib\",\"name\":\"lib\",\"versions\":{}}";

        HttpResponse<byte[]> r = send("PUT", "lib", gzip(doc), "Content-Type", "application/json",
                "Content-Encoding", "gzip");

        assertThat(r.statusCode()).isEqualTo(201);
        RecordedRequest at = only(second, "PUT");
        assertThat(at.getBody().utf8()).isEqualTo(doc);
        assertThat(at.getHeaders().get("Content-Encoding")).isNull();
    }

    @Test
    void aWriteRedirectIsPassedBackNotFollowed() throws Exception {
        start(null, "second", ClientTokens.none());
        second.route("lib", r -> new MockResponse.Builder().code(307).setHeader("Location", upstream.url() + "lib")
                .body("").build());

        HttpResponse<byte[]> r = send("PUT", "lib", "{}".getBytes(StandardCharsets.UTF_8));

        assertThat(r.statusCode()).isEqualTo(307);
        assertThat(r.headers().firstValue("location")).hasValue(upstream.url() + "lib");
        assertThat(upstream.requests).isEmpty();
    }

    @Test
    void withClientTokensConfiguredAWriteWithoutOneGets401AndNeverReachesTheUpstream() throws Exception {
        start(null, "second", new ClientTokens(List.of(new ClientTokens.ClientToken("ci", Secret.of("ci-token")))));
        second.route("lib", r -> new MockResponse.Builder().code(201).body("{}").build());

        HttpResponse<byte[]> anonymous = send("PUT", "lib", "{}".getBytes(StandardCharsets.UTF_8));
        HttpResponse<byte[]> wrong = send("PUT", "lib", "{}".getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer nope");
        HttpResponse<byte[]> right = send("PUT", "lib", "{}".getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer ci-token");

        assertThat(anonymous.statusCode()).isEqualTo(401);
        // Search and audit act with upstream credentials too: with client tokens on, they need one as well.
        assertThat(get("-/v1/search?text=x").statusCode()).isEqualTo(401);
        assertThat(send("POST", "-/npm/v1/security/advisories/bulk", "{}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json").statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"npm-gateway\"");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(right.statusCode()).isEqualTo(201);
        assertThat(only(second, "PUT").getHeaders().get("Authorization")).isEqualTo("Bearer upstream-secret");
    }

    @Test
    void publishBodiesOverTheConfiguredMaximumGet413() throws Exception {
        second = new FakeRegistry();
        gateway = Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024, 100_000),
                dataDir, List.of(UpstreamConfig.of("second", second.url())), CacheConfig.defaults(),
                StorageConfig.defaults(), List.of(), ClientTokens.none(), "second", null));
        second.route("lib", r -> new MockResponse.Builder().code(201).body("{}").build());

        assertThat(send("PUT", "lib", new byte[100_000], "Content-Type", "application/json").statusCode())
                .isEqualTo(201);
        HttpResponse<byte[]> r = send("PUT", "lib", new byte[100_001], "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat((String) json(r).get("error")).contains("100000");
        assertThat(second.hits("lib")).isEqualTo(1);
    }

    /** A packument for {@code @corp/widget} whose tarball lives at {@code registryUrl}. */
    private static String packument(String registryUrl) {
        return "{\"_id\":\"@corp/widget\",\"_rev\":\"5-def\",\"name\":\"@corp/widget\",\"dist-tags\":{\"latest\":"
                + "\"1.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"@corp/widget\",\"version\":\"1.0.0\",\"dist\":"
                + "{\"tarball\":\"" + registryUrl + "@corp/widget/-/widget-1.0.0.tgz\",\"shasum\":\"abc\","
                + "\"integrity\":\"sha512-AAAA\"}}},\"time\":{\"1.0.0\":\"2024-01-01T00:00:00.000Z\"}}";
    }
}

package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.Test;

class RegistryRoutesTest extends GatewayHttpTest {
    private static final String CORGI = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

    @Test
    void fullPackumentPointsEveryTarballAtTheGatewayAndKeepsEverythingElse() throws Exception {
        upstream.publish("left-pad", "1.0.0", "1.1.0");
        startGateway();
        HttpResponse<byte[]> r = get("left-pad", "Accept", "application/json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.headers().firstValue("vary")).hasValue("Accept, Accept-Encoding");
        assertThat(r.headers().firstValue("etag")).isPresent();
        Map<String, Object> doc = json(r);
        assertThat(doc).containsKeys("_rev", "readme", "time");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> versions = (Map<String, Map<String, Object>>) doc.get("versions");
        @SuppressWarnings("unchecked")
        Map<String, Object> dist = (Map<String, Object>) versions.get("1.1.0").get("dist");
        assertThat(dist.get("tarball")).isEqualTo(base() + "left-pad/-/left-pad-1.1.0.tgz");
        assertThat((String) dist.get("integrity")).startsWith("sha512-");
    }

    @Test
    void abbreviatedPackumentForCorgiAcceptWithItsOwnContentType() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        HttpResponse<byte[]> r = get("left-pad", "Accept", CORGI);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/vnd.npm.install-v1+json");
        Map<String, Object> doc = json(r);
        assertThat(doc).containsOnlyKeys("name", "modified", "dist-tags", "versions");
    }

    @Test
    void gzipWhenTheClientAcceptsItAndNeverOtherwise() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        HttpResponse<byte[]> plain = get("left-pad");
        HttpResponse<byte[]> gz = get("left-pad", "Accept-Encoding", "gzip,deflate");
        assertThat(plain.headers().firstValue("content-encoding")).isEmpty();
        assertThat(gz.headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(gunzip(gz.body())).isEqualTo(text(plain));
        assertThat(gz.headers().firstValue("etag")).isEqualTo(plain.headers().firstValue("etag"));
    }

    @Test
    void matchingIfNoneMatchGets304WithTheSameVary() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        String etag = get("left-pad").headers().firstValue("etag").orElseThrow();
        HttpResponse<byte[]> r = get("left-pad", "If-None-Match", "W/" + etag);
        assertThat(r.statusCode()).isEqualTo(304);
        assertThat(r.headers().firstValue("vary")).hasValue("Accept, Accept-Encoding");
        assertThat(r.body()).isEmpty();
    }

    @Test
    void secondPackumentRequestIsServedFromMemory() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        assertThat(get("left-pad").headers().firstValue("x-npm-gateway-cache")).hasValue("miss");
        assertThat(get("left-pad", "Accept", CORGI).headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
        assertThat(upstream.hits("left-pad")).isEqualTo(1);
    }

    @Test
    void versionAndDistTagManifestsAndTheDistTagsRoute() throws Exception {
        upstream.publish("@corp/widget", "1.0.0", "2.0.0");
        startGateway();
        assertThat(json(get("@corp%2fwidget/1.0.0"))).containsEntry("version", "1.0.0");
        assertThat(json(get("@corp/widget/latest"))).containsEntry("version", "2.0.0");
        assertThat(json(get("-/package/@corp%2fwidget/dist-tags"))).containsEntry("latest", "2.0.0");
        HttpResponse<byte[]> missing = get("@corp/widget/9.9.9");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("error").toString()).contains("9.9.9");
    }

    @Test
    void tarballBytesArriveExactlyAsPublishedAndAreStoredOnce() throws Exception {
        Map<String, byte[]> tarballs = upstream.publish("@corp/widget", "1.0.0", "2.0.0");
        startGateway();
        // No packument request first: npm ci goes straight to tarball URLs from the lockfile.
        HttpResponse<byte[]> first = get("@corp/widget/-/widget-2.0.0.tgz");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo(tarballs.get("2.0.0"));
        assertThat(first.headers().firstValue("content-encoding")).isEmpty();
        assertThat(first.headers().firstValue("content-type")).hasValue("application/octet-stream");
        HttpResponse<byte[]> second = get("@corp%2fwidget/-/widget-2.0.0.tgz", "Accept-Encoding", "gzip");
        assertThat(second.body()).isEqualTo(tarballs.get("2.0.0"));
        assertThat(second.headers().firstValue("content-encoding")).isEmpty();
        assertThat(second.headers().firstValue("cache-control")).hasValue("public, immutable, max-age=31536000");
        assertThat(second.headers().firstValue("content-length")).hasValue(String.valueOf(tarballs.get("2.0.0").length));
        String etag = "\"" + java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-1").digest(tarballs.get("2.0.0"))) + "\"";
        assertThat(second.headers().firstValue("etag")).as("a stored tarball's ETag is its sha1").hasValue(etag);
        HttpResponse<byte[]> revalidated = get("@corp/widget/-/widget-2.0.0.tgz", "If-None-Match", etag);
        assertThat(revalidated.statusCode()).isEqualTo(304);
        assertThat(revalidated.body()).isEmpty();
        assertThat(revalidated.headers().firstValue("etag")).hasValue(etag);
        HttpResponse<byte[]> otherEtag = get("@corp/widget/-/widget-2.0.0.tgz", "If-None-Match", "\"0000\"");
        assertThat(otherEtag.statusCode()).isEqualTo(200);
        assertThat(otherEtag.body()).isEqualTo(tarballs.get("2.0.0"));
        assertThat(upstream.hits("@corp/widget/-/widget-2.0.0.tgz")).isEqualTo(1);
    }

    @Test
    void metadataCacheStatisticsInTheScrapeCountOneMissAndOneHitOnceEach() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        assertThat(get("left-pad").headers().firstValue("x-npm-gateway-cache")).hasValue("miss");
        assertThat(get("left-pad").headers().firstValue("x-npm-gateway-cache")).hasValue("hit");

        String scrape = text(get("metrics"));

        assertThat(scrape.lines().filter(l -> l.startsWith("npm_gateway_cache_gets_total{")))
                .containsExactlyInAnyOrder(
                        "npm_gateway_cache_gets_total{cache=\"metadata\",result=\"hit\"} 1.0",
                        "npm_gateway_cache_gets_total{cache=\"metadata\",result=\"miss\"} 1.0");
    }

    @Test
    void concurrentMissesOfOneTarballMakeOneUpstreamRequest() throws Exception {
        Map<String, byte[]> tarballs = upstream.publish("big", "1.0.0", "2.0.0", "3.0.0");
        byte[] expected = tarballs.get("3.0.0");
        CountDownLatch release = new CountDownLatch(1);
        upstream.route("big/-/big-3.0.0.tgz", r -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new MockResponse.Builder().code(200).body(new Buffer().write(expected)).build();
        });
        startGateway();
        get("big"); // warm the packument so all requests race on the tarball only
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            responses.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base() + "big/-/big-3.0.0.tgz")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        waitUntil(() -> upstream.hits("big/-/big-3.0.0.tgz") == 1);
        release.countDown();
        for (CompletableFuture<HttpResponse<byte[]>> f : responses) {
            assertThat(f.get(20, TimeUnit.SECONDS).body()).isEqualTo(expected);
        }
        assertThat(upstream.hits("big/-/big-3.0.0.tgz")).isEqualTo(1);
    }

    @Test
    void tarballWhoseBytesDoNotMatchIntegrityIsRefusedAndNotStored() throws Exception {
        upstream.publish("evil", "1.0.0");
        upstream.tarball("evil/-/evil-1.0.0.tgz", "not the published bytes".getBytes());
        startGateway();
        HttpResponse<byte[]> r = get("evil/-/evil-1.0.0.tgz");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(json(r).get("error").toString()).contains("evil@1.0.0").contains("integrity");
        get("evil/-/evil-1.0.0.tgz");
        assertThat(upstream.hits("evil/-/evil-1.0.0.tgz")).isEqualTo(2);
    }

    @Test
    void unknownPackageIs404AndMalformedNamesAre400AsJson() throws Exception {
        startGateway();
        HttpResponse<byte[]> missing = get("no-such-package");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("error").toString()).contains("no-such-package");
        for (String bad : List.of("%2e%2e", "a%00b", "_x", "@scope", "x/-/x.txt", "a".repeat(300))) {
            HttpResponse<byte[]> r = get(bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.headers().firstValue("content-type")).as(bad).hasValue("application/json");
            assertThat(json(r)).as(bad).containsKey("error");
        }
    }

    @Test
    void writesAreRefusedWith405WhenNoWriteTargetIsConfigured() throws Exception {
        startGateway();
        for (String[] write : new String[][] {{"PUT", "left-pad"}, {"DELETE", "left-pad/-rev/3-abc"},
                {"PUT", "-/package/left-pad/dist-tags/beta"}}) {
            HttpResponse<byte[]> r = send(write[0], write[1]);
            assertThat(r.statusCode()).as("%s /%s", write[0], write[1]).isEqualTo(405);
            assertThat(json(r).get("error").toString()).contains("writes").contains("not configured")
                    .contains("writeTarget");
            assertThat(r.headers().firstValue("allow")).hasValue("GET, HEAD");
        }
    }

    @Test
    void methodsARouteDoesNotTakeGet405WithTheMethodsItTakes() throws Exception {
        startGateway();
        HttpResponse<byte[]> r = send("POST", "left-pad");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(json(r).get("error").toString()).contains("POST");
        assertThat(r.headers().firstValue("allow")).hasValue("GET, HEAD, PUT");
        assertThat(send("DELETE", "left-pad/-/left-pad-1.0.0.tgz").headers().firstValue("allow")).hasValue("GET, HEAD");
    }

    @Test
    void pingAndRootAnswerEmptyObjects() throws Exception {
        startGateway();
        assertThat(text(get("-/ping"))).isEqualTo("{}");
        assertThat(text(get(""))).isEqualTo("{}");
    }

    @Test
    void upstreamThatRefusesConnectionsGives502NamingUpstreamAndPackage() throws Exception {
        startGateway();
        upstream.close();
        HttpResponse<byte[]> r = get("left-pad");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(json(r).get("error").toString()).contains("'fake'").contains("left-pad");
    }

    @Test
    void upstreamServerErrorGives502() throws Exception {
        upstream.route("broken", req -> new MockResponse.Builder().code(503).build());
        startGateway();
        HttpResponse<byte[]> r = get("broken");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(json(r).get("error").toString()).contains("fake").contains("broken");
    }

    @Test
    void underAPathPrefixTarballUrlsKeepThePrefix() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway("http://127.0.0.1:1/npm/", java.time.Duration.ofSeconds(5));
        String doc = text(get("npm/left-pad"));
        assertThat(doc).contains("\"tarball\":\"http://127.0.0.1:1/npm/left-pad/-/left-pad-1.0.0.tgz\"");
        assertThat(get("left-pad").statusCode()).isEqualTo(404);
        assertThat(get("npm/left-pad/-/left-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
    }

    @Test
    void aPackumentOfMegabytesReachesManyConcurrentClientsWholeAndIdentical() throws Exception {
        // Megabytes, shared by every response from one off-heap copy: each client still gets all of it, unchanged.
        String readme = "an old package with a long readme. ".repeat(100_000);
        String doc = "{\"_id\":\"big-doc\",\"name\":\"big-doc\",\"readme\":\"" + readme + "\","
                + "\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"big-doc\","
                + "\"version\":\"1.0.0\",\"dist\":{\"tarball\":\"" + upstream.url() + "big-doc/-/big-doc-1.0.0.tgz\"}}}}";
        upstream.route("big-doc", r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body(new Buffer().writeUtf8(doc)).build());
        startGateway();
        HttpResponse<byte[]> first = get("big-doc", "Accept", "application/json");
        assertThat(first.body().length).isGreaterThan(Exchange.STREAM_ABOVE * 4);
        assertThat(first.headers().firstValue("content-length")).hasValue(String.valueOf(first.body().length));

        List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            all.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base() + "big-doc"))
                    .header("Accept", "application/json").timeout(java.time.Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        for (CompletableFuture<HttpResponse<byte[]>> f : all) {
            HttpResponse<byte[]> r = f.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
            assertThat(r.body()).isEqualTo(first.body());
        }
        HttpResponse<byte[]> head = send("HEAD", "big-doc");
        assertThat(head.headers().firstValue("content-length")).hasValue(String.valueOf(first.body().length));
        assertThat(head.body()).isEmpty();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}

package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.OperationsConfig;
import io.npmgateway.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import mockwebserver3.MockResponse;
import okio.Buffer;
import org.junit.jupiter.api.Test;

/**
 * The meters a call site in the proxy records, read from the scrape of a running gateway after the event that
 * should move them: if a call site were deleted, one of these tests would fail. (The meters themselves, their names
 * and help texts, are tested in the metrics module.)
 */
class MetersThroughARunningGatewayTest extends GatewayHttpTest {
    private static final String ABBREVIATED = "application/vnd.npm.install-v1+json";

    @Test
    void aTarballsBodyIsCountedInServedBytesAndTheScrapeShowsRoutesAllocatorAndMetadataCache() throws Exception {
        Map<String, byte[]> tarballs = upstream.publish("left-pad", "1.0.0");
        startGateway();
        assertThat(get("left-pad", "Accept", ABBREVIATED).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> tgz = get("left-pad/-/left-pad-1.0.0.tgz");
        assertThat(tgz.statusCode()).isEqualTo(200);
        assertThat(tgz.body()).isEqualTo(tarballs.get("1.0.0"));

        String scrape = awaitScrape(s -> value(s, "npm_gateway_served_bytes_total{route=\"tarball\"}") > 0);
        assertThat(value(scrape, "npm_gateway_served_bytes_total{route=\"tarball\"}"))
                .as("bytes served on the tarball route").isEqualTo((double) tgz.body().length);
        assertThat(value(scrape, "npm_gateway_requests_seconds_count{cache=\"miss\",route=\"abbreviated\","
                + "status=\"2xx\"}")).isEqualTo(1.0);
        assertThat(value(scrape, "npm_gateway_served_bytes_total{route=\"abbreviated\"}")).isPositive();
        // The metadata cache binder (Caffeine): the lookups the two requests made.
        assertThat(value(scrape, "npm_gateway_cache_gets_total{cache=\"metadata\",result=\"miss\"}")).isPositive();
        // Netty's pooled allocator holds the buffers the responses went out in.
        assertThat(scrape.lines().filter(l -> l.startsWith("npm_gateway_netty_allocator_used_bytes{"))
                .filter(l -> l.contains("memory=\"direct\"")).toList()).as("the Netty allocator's direct memory")
                .isNotEmpty();
    }

    @Test
    void aTarballThatFailsItsIntegrityCheckIsCountedAsAnIntegrityFailureAndAnUpstreamError() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        String path = "left-pad/-/left-pad-1.0.0.tgz";
        upstream.tarball(path, "not the published bytes".repeat(40).getBytes());
        startGateway();
        try {
            assertThat(get(path).statusCode()).isEqualTo(502);
        } catch (IOException cutMidway) {
            // The mismatch is found at the end of the body: a response already under way is cut instead.
        }
        String scrape = awaitScrape(s -> value(s, "npm_gateway_integrity_failures_total{upstream=\"fake\"}") > 0);
        double fetched = upstream.hits(path);
        assertThat(fetched).isPositive();
        assertThat(value(scrape, "npm_gateway_integrity_failures_total{upstream=\"fake\"}")).isEqualTo(fetched);
        assertThat(value(scrape, "npm_gateway_upstream_errors_total{reason=\"integrity\",upstream=\"fake\"}"))
                .isEqualTo(fetched);
    }

    @Test
    void concurrentMissesForOnePackumentAreCountedAsCoalescedOnTheFirstFetch() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        int clients = 4;
        // The upstream holds its answer until the other clients have joined the fetch in flight (or 10 s passed:
        // then the count below is short and the test fails).
        var published = upstream.routeAnswer("left-pad");
        upstream.route("left-pad", r -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (coalesced() < clients - 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            return published.apply(r);
        });
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            responses.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base() + "left-pad"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray()));
        }
        for (CompletableFuture<HttpResponse<byte[]>> r : responses) {
            assertThat(r.get().statusCode()).isEqualTo(200);
        }
        assertThat(upstream.hits("left-pad")).as("one upstream fetch").isEqualTo(1);
        assertThat(coalesced()).isEqualTo(clients - 1.0);
    }

    @Test
    void aRevalidatedAndThenAStaleServedPackumentAreCountedAsSuch() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        var published = upstream.routeAnswer("left-pad");
        AtomicReference<String> mode = new AtomicReference<>("answer");
        upstream.route("left-pad", r -> switch (mode.get()) {
            case "not-modified" -> "\"v1\"".equals(r.getHeaders().get("If-None-Match"))
                    ? new MockResponse.Builder().code(304).setHeader("ETag", "\"v1\"").build() : published.apply(r);
            case "fail" -> new MockResponse.Builder().code(503).body(new Buffer().writeUtf8("{}")).build();
            default -> published.apply(r);
        });
        // Max-age 0: every request after the first asks upstream again.
        startGatewayWith(new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024),
                Duration.ofSeconds(5), OperationsConfig.defaults(), new CacheConfig(Duration.ZERO, null,
                        64L * 1024 * 1024, Duration.ofSeconds(30), 128L * 1024 * 1024));
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        mode.set("not-modified");
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        mode.set("fail");
        assertThat(get("left-pad").statusCode()).as("served stale while the upstream fails").isEqualTo(200);

        String stale = "npm_gateway_requests_seconds_count{cache=\"stale\",route=\"packument\",status=\"2xx\"}";
        String scrape = awaitScrape(s -> value(s, stale) > 0);
        assertThat(value(scrape, "npm_gateway_requests_seconds_count{cache=\"revalidated\",route=\"packument\","
                + "status=\"2xx\"}")).isEqualTo(1.0);
        assertThat(value(scrape, stale)).isEqualTo(1.0);
        assertThat(value(scrape, "npm_gateway_stale_responses_total")).isEqualTo(1.0);
        assertThat(value(scrape, "npm_gateway_upstream_errors_total{reason=\"5xx\",upstream=\"fake\"}"))
                .isPositive();
    }

    @Test
    void anUpstreamClientErrorIsCountedWithReason4xx() throws Exception {
        upstream.route("bad-request", r -> new MockResponse.Builder().code(400)
                .body(new Buffer().writeUtf8("{\"error\":\"bad\"}")).build());
        startGateway();
        assertThat(get("bad-request").statusCode()).isGreaterThanOrEqualTo(400);
        String series = "npm_gateway_upstream_errors_total{reason=\"4xx\",upstream=\"fake\"}";
        String scrape = awaitScrape(s -> value(s, series) > 0);
        assertThat(value(scrape, series)).isEqualTo((double) upstream.hits("bad-request"));
    }

    private double coalesced() {
        return value(gateway.metrics().scrape(),
                "npm_gateway_coalesced_requests_total{kind=\"packument\"}");
    }

    /** The value of one series ({@code name{labels}} exactly as scraped), or NaN when it is not in the scrape. */
    static double value(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).orElse(Double.NaN);
    }

    /** The scrape once {@code ready} holds (meters are recorded after the response went out), or after 10 s. */
    private String awaitScrape(Predicate<String> ready) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String scrape = text(get("metrics"));
            if (ready.test(scrape) || System.nanoTime() > deadline) {
                return scrape;
            }
            Thread.onSpinWait();
        }
    }
}

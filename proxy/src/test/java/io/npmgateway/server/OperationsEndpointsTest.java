package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.npmgateway.config.OperationsConfig;
import io.npmgateway.config.Secret;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Health, readiness, the scrape endpoint, the admin API and the access log, on a running gateway. */
class OperationsEndpointsTest extends GatewayHttpTest {
    private static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";

    private final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();

    @BeforeEach
    void captureAccessLog() {
        accessLog.start();
        ((Logger) LoggerFactory.getLogger("npm-gateway.access")).addAppender(accessLog);
    }

    @AfterEach
    void releaseAccessLog() {
        ((Logger) LoggerFactory.getLogger("npm-gateway.access")).detachAppender(accessLog);
    }

    private void startWithAdmin(OperationsConfig.AccessLogFormat format) {
        startGateway(null, Duration.ofSeconds(5), OperationsConfig.defaults().withAdminToken(Secret.of(ADMIN_TOKEN))
                .withAccessLog(format).withShutdownGrace(Duration.ofSeconds(5)));
    }

    private HttpResponse<byte[]> admin(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void healthIsLiveAndReadinessReportsStoreAndUpstreams() throws Exception {
        startGateway();
        assertThat(text(get("-/health"))).contains("\"status\":\"up\"");
        HttpResponse<byte[]> ready = get("-/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready)).containsEntry("status", "ready").containsEntry("store", "open");
        assertThat(text(ready)).contains("\"id\":\"fake\"", "\"state\":\"up\"");
    }

    @Test
    void readinessFailsWhenNoUpstreamAnswersAndNothingIsCached() throws Exception {
        startGateway();
        upstream.close();
        for (int i = 0; i < 3; i++) {
            assertThat(get("pkg" + i).statusCode()).isEqualTo(502);
        }
        HttpResponse<byte[]> ready = get("-/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(text(ready)).contains("\"state\":\"down\"", "\"lastFailure\":\"connect\"");
    }

    @Test
    void readinessStaysReadyWithEveryUpstreamDownWhileTheStoreIsOpenAndTheCacheWarm() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        assertThat(get("left-pad/-/left-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
        upstream.close();
        for (int i = 0; i < 3; i++) {
            assertThat(get("pkg" + i).statusCode()).isEqualTo(502);
        }
        HttpResponse<byte[]> ready = get("-/ready");
        assertThat(ready.statusCode()).as(text(ready)).isEqualTo(200);
        assertThat(json(ready)).containsEntry("status", "ready").containsEntry("store", "open")
                .containsEntry("cachedTarballs", 1);
        assertThat(text(ready)).contains("\"state\":\"down\"", "\"lastFailure\":\"connect\"");
        // What makes it ready: the cached tarball is still served.
        assertThat(get("left-pad/-/left-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
    }

    @Test
    void theScrapeEndpointServesPrometheusText() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway();
        get("left-pad");
        String series = "npm_gateway_requests_seconds_count{cache=\"miss\",route=\"packument\"";
        awaitScrape(s -> s.contains(series));
        HttpResponse<byte[]> scrape = get("metrics");
        assertThat(scrape.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(text(scrape)).contains(series);
    }

    @Test
    void theScrapeCanHaveAPortOfItsOwnWhichServesNothingElse() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startGateway(null, Duration.ofSeconds(5), OperationsConfig.defaults().withMetricsPort(0));
        get("left-pad");
        String ops = "http://127.0.0.1:" + gateway.metricsAddress().getPort() + "/";
        // The request is recorded once its response has gone out, which the client can see first: poll.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> scrape;
        do {
            scrape = http.send(HttpRequest.newBuilder(URI.create(ops + "metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
        } while (!scrape.body().contains("npm_gateway_requests_seconds_count") && System.nanoTime() < deadline);
        assertThat(scrape.body()).contains("npm_gateway_requests_seconds_count");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(ops + "-/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(ops + "left-pad")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        assertThat(get("metrics").statusCode()).as("no scrape on the registry port").isEqualTo(404);
    }

    @Test
    void downloadsBeyondTheConfiguredPackageLabelCapAreCountedUnderOther() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        upstream.publish("right-pad", "1.0.0");
        startGateway(null, Duration.ofSeconds(5), OperationsConfig.defaults().withDownloadsPackageLabelCap(1));
        assertThat(get("left-pad/-/left-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
        assertThat(get("right-pad/-/right-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
        assertThat(get("right-pad/-/right-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
        // The access log (and the downloads counter with it) is recorded after the response went out.
        String other = "npm_gateway_tarball_downloads_total{package=\"__other__\",upstream=\"fake\"} 2.0";
        String scrape = awaitScrape(s -> s.contains(other));
        assertThat(scrape).contains(other)
                .contains("npm_gateway_tarball_downloads_total{package=\"left-pad\",upstream=\"fake\"} 1.0")
                .doesNotContain("package=\"right-pad\"");
    }

    /** The scrape once it satisfies {@code ready}: meters are recorded after the response reaches the client. */
    private String awaitScrape(java.util.function.Predicate<String> ready) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String scrape = text(get("metrics"));
            if (ready.test(scrape) || System.nanoTime() > deadline) {
                return scrape;
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void theAdminApiPurgesAPackagesMetadataAndTarballs() throws Exception {
        upstream.publish("left-pad", "1.0.0", "1.1.0");
        startWithAdmin(OperationsConfig.AccessLogFormat.TEXT);
        get("left-pad/-/left-pad-1.0.0.tgz");
        get("left-pad/-/left-pad-1.1.0.tgz");
        assertThat(text(admin("GET", "-/admin/cache", ADMIN_TOKEN))).contains("\"entries\":2");

        HttpResponse<byte[]> purge = admin("DELETE", "-/admin/packages/left-pad", ADMIN_TOKEN);
        assertThat(purge.statusCode()).isEqualTo(200);
        assertThat(json(purge)).containsEntry("tarballsRemoved", 2);
        get("left-pad/-/left-pad-1.0.0.tgz");
        assertThat(upstream.hits("left-pad/-/left-pad-1.0.0.tgz")).isEqualTo(2);
        assertThat(upstream.hits("left-pad")).isEqualTo(2);
    }

    @Test
    void theAdminApiRefusesAMissingOrWrongTokenWithAChallenge() throws Exception {
        startWithAdmin(OperationsConfig.AccessLogFormat.TEXT);
        for (String token : new String[] {null, "wrong-token-0123456789"}) {
            HttpResponse<byte[]> r = admin("GET", "-/admin/cache", token);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("Bearer"));
            assertThat(json(r)).containsKey("error");
        }
    }

    @Test
    void withoutAnAdminTokenTheAdminApiIsOff() throws Exception {
        startGateway();
        HttpResponse<byte[]> r = admin("GET", "-/admin/cache", ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(text(r)).contains("admin.token");
    }

    @Test
    void everyRequestGetsOneAccessLogLineWithoutCredentials() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startWithAdmin(OperationsConfig.AccessLogFormat.TEXT);
        get("left-pad", "Authorization", "Bearer client-secret-value");
        get("left-pad/-/left-pad-1.0.0.tgz");
        get("left-pad/-/left-pad-1.0.0.tgz");
        admin("GET", "-/admin/cache", ADMIN_TOKEN);
        waitForLines(4);
        List<String> lines = lines();
        assertThat(lines.get(0)).contains("GET /left-pad 200").contains("cache=miss").contains("upstream=fake");
        assertThat(lines.get(1)).contains("GET /left-pad/-/left-pad-1.0.0.tgz 200").contains("cache=miss");
        assertThat(lines.get(2)).contains("cache=hit");
        assertThat(String.join("\n", lines)).doesNotContain("client-secret-value").doesNotContain(ADMIN_TOKEN);
        assertThat(text(get("metrics"))).doesNotContain(ADMIN_TOKEN).doesNotContain("client-secret-value");
    }

    @Test
    void theAccessLogCanBeJson() throws Exception {
        upstream.publish("left-pad", "1.0.0");
        startWithAdmin(OperationsConfig.AccessLogFormat.JSON);
        get("left-pad");
        waitForLines(1);
        String line = lines().get(0);
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("status").asInt())
                .isEqualTo(200);
        assertThat(line).contains("\"cache\":\"miss\"");
    }

    private List<String> lines() {
        return accessLog.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    /** The line is written after the response, so the client may see the response first. */
    private void waitForLines(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (accessLog.list.size() < n) {
            assertThat(System.nanoTime()).as("%d access-log lines within 10 s", n).isLessThan(deadline);
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}

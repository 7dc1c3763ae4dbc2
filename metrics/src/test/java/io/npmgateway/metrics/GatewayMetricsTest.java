package io.npmgateway.metrics;

import static io.npmgateway.metrics.MetricsFixtures.GATEWAY_FAMILIES;
import static io.npmgateway.metrics.MetricsFixtures.STANDARD_FAMILIES;
import static io.npmgateway.metrics.MetricsFixtures.helpTexts;
import static io.npmgateway.metrics.MetricsFixtures.recordEverything;
import static io.npmgateway.metrics.MetricsFixtures.samples;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {

    private final List<GatewayMetrics> opened = new ArrayList<>();

    private GatewayMetrics metrics(MetricsConfig config) {
        GatewayMetrics metrics = new GatewayMetrics(config);
        opened.add(metrics);
        return metrics;
    }

    private GatewayMetrics metrics() {
        return metrics(MetricsConfig.defaults());
    }

    @AfterEach
    void closeAll() {
        opened.forEach(GatewayMetrics::close);
    }

    // ------------------------------------------------------------ every meter, with HELP

    @Test
    void everyMeterAppearsInTheScrapeWithItsHelpTextAfterRecording() {
        GatewayMetrics metrics = metrics();
        recordEverything(metrics);

        String scrape = metrics.scrape();
        Map<String, String> help = helpTexts(scrape);

        for (String family : GATEWAY_FAMILIES) {
            assertThat(help).as("HELP for %s", family).containsKey(family);
            assertThat(help.get(family)).as("HELP text of %s", family).isNotBlank();
            assertThat(scrape).as("samples of %s", family).containsPattern("(?m)^" + family + "(_bucket|_count|_sum)?[{ ]");
        }
        for (String family : STANDARD_FAMILIES) {
            assertThat(help).as("HELP for %s", family).containsKey(family);
            assertThat(help.get(family)).as("HELP text of %s", family).isNotBlank();
        }
    }

    @Test
    void theGatewayExportsExactlyTheDocumentedGatewayFamilies() {
        GatewayMetrics metrics = metrics();
        recordEverything(metrics);

        List<String> exported = helpTexts(metrics.scrape()).keySet().stream()
                .filter(name -> name.startsWith("npm_gateway_"))
                .collect(Collectors.toList());

        // A new meter must be added to MetricsFixtures.GATEWAY_FAMILIES and to README.md.
        assertThat(exported).containsExactlyInAnyOrderElementsOf(GATEWAY_FAMILIES);
    }

    @Test
    void everyHelpLineInTheScrapeHasText() {
        GatewayMetrics metrics = metrics();
        recordEverything(metrics);

        assertThat(helpTexts(metrics.scrape()))
                .allSatisfy((family, text) -> assertThat(text).as("HELP text of %s", family).isNotBlank());
    }

    @Test
    void metersHaveTheirPrometheusTypes() {
        GatewayMetrics metrics = metrics();
        recordEverything(metrics);
        String scrape = metrics.scrape();

        assertThat(scrape)
                .contains("# TYPE npm_gateway_requests_seconds histogram")
                .contains("# TYPE npm_gateway_upstream_requests_seconds histogram")
                .contains("# TYPE npm_gateway_served_bytes_total counter")
                .contains("# TYPE npm_gateway_tarball_downloads_total counter")
                .contains("# TYPE npm_gateway_upstream_errors_total counter")
                .contains("# TYPE npm_gateway_tarball_store_evictions_total counter")
                .contains("# TYPE npm_gateway_upstream_token_renewal_failures_total counter")
                .contains("# TYPE npm_gateway_tarball_store_size_bytes gauge")
                .contains("# TYPE npm_gateway_upstream_token_remaining_seconds gauge")
                .contains("# TYPE npm_gateway_upstream_available gauge");
    }

    // ------------------------------------------------------------ requests

    @Test
    void requestHistogramHasBucketsFromATenthOfAMillisecondToThirtySeconds() {
        GatewayMetrics metrics = metrics();
        metrics.requestCompleted(Route.TARBALL, 200, CacheOutcome.MISS, TimeUnit.MILLISECONDS.toNanos(3), 10);

        List<String> buckets = samples(metrics.scrape(), "npm_gateway_requests_seconds_bucket");

        assertThat(buckets).hasSize(GatewayMetrics.LATENCY_BUCKETS.length + 1);
        String labels = "{cache=\"miss\",route=\"tarball\",status=\"2xx\",";
        assertThat(buckets).contains(
                "npm_gateway_requests_seconds_bucket" + labels + "le=\"1.0E-4\"} 0",
                "npm_gateway_requests_seconds_bucket" + labels + "le=\"0.0025\"} 0",
                "npm_gateway_requests_seconds_bucket" + labels + "le=\"0.005\"} 1",
                "npm_gateway_requests_seconds_bucket" + labels + "le=\"30.0\"} 1",
                "npm_gateway_requests_seconds_bucket" + labels + "le=\"+Inf\"} 1");
    }

    @Test
    void upstreamLatencyHasHistogramBucketsToo() {
        GatewayMetrics metrics = metrics();
        metrics.upstreamRequest("corp", "tarball", 200, TimeUnit.SECONDS.toNanos(45));

        List<String> buckets = samples(metrics.scrape(), "npm_gateway_upstream_requests_seconds_bucket");

        assertThat(buckets).hasSize(GatewayMetrics.LATENCY_BUCKETS.length + 1);
        assertThat(buckets).contains(
                "npm_gateway_upstream_requests_seconds_bucket{kind=\"tarball\",status=\"2xx\",upstream=\"corp\",le=\"30.0\"} 0",
                "npm_gateway_upstream_requests_seconds_bucket{kind=\"tarball\",status=\"2xx\",upstream=\"corp\",le=\"+Inf\"} 1");
    }

    @Test
    void withHistogramsOffTimersExportOnlyCountSumAndMax() {
        GatewayMetrics metrics = metrics(new MetricsConfig(10, false));
        metrics.requestCompleted(Route.PACKUMENT, 200, CacheOutcome.HIT, 1_000_000, 10);
        metrics.upstreamRequest("corp", "packument", 200, 1_000_000);

        String scrape = metrics.scrape();

        assertThat(scrape).doesNotContain("_bucket");
        assertThat(samples(scrape, "npm_gateway_requests_seconds_count")).hasSize(1);
        assertThat(samples(scrape, "npm_gateway_requests_seconds_sum")).hasSize(1);
        assertThat(samples(scrape, "npm_gateway_requests_seconds_max")).hasSize(1);
        assertThat(samples(scrape, "npm_gateway_upstream_requests_seconds_count")).hasSize(1);
    }

    @Test
    void requestsAreLabelledByRouteStatusClassAndCacheOutcome() {
        GatewayMetrics metrics = metrics();
        metrics.requestCompleted(Route.ABBREVIATED, 200, CacheOutcome.HIT, 1_000, 10);
        metrics.requestCompleted(Route.ABBREVIATED, 204, CacheOutcome.HIT, 1_000, 10);
        metrics.requestCompleted(Route.DIST_TAGS, 304, CacheOutcome.REVALIDATED, 1_000, 0);
        metrics.requestCompleted(Route.VERSION, 404, CacheOutcome.MISS, 1_000, 0);
        metrics.requestCompleted(Route.TARBALL, 599, CacheOutcome.ERROR, 1_000, 0);
        metrics.requestCompleted(Route.OTHER, 0, CacheOutcome.NONE, 1_000, 0);
        metrics.requestCompleted(Route.OTHER, 600, CacheOutcome.NONE, 1_000, 0);
        metrics.requestCompleted(null, 101, null, 1_000, 0);

        assertThat(requestCount(metrics, "abbreviated", "2xx", "hit")).isEqualTo(2);
        assertThat(requestCount(metrics, "dist_tags", "3xx", "revalidated")).isEqualTo(1);
        assertThat(requestCount(metrics, "version", "4xx", "miss")).isEqualTo(1);
        assertThat(requestCount(metrics, "tarball", "5xx", "error")).isEqualTo(1);
        assertThat(requestCount(metrics, "other", "none", "none")).isEqualTo(2);
        assertThat(requestCount(metrics, "other", "1xx", "none")).isEqualTo(1);
    }

    private static long requestCount(GatewayMetrics metrics, String route, String status, String cache) {
        Timer timer = metrics.registry().find(GatewayMetrics.REQUESTS)
                .tags("route", route, "status", status, "cache", cache)
                .timer();
        assertThat(timer).as("timer route=%s status=%s cache=%s", route, status, cache).isNotNull();
        return timer.count();
    }

    @Test
    void oneLabelSetIsOneSeriesHoweverOftenItIsRecorded() {
        GatewayMetrics metrics = metrics();
        for (int i = 0; i < 1000; i++) {
            metrics.requestCompleted(Route.PACKUMENT, 200 + (i % 3), CacheOutcome.HIT, i, i);
        }

        assertThat(metrics.registry().find(GatewayMetrics.REQUESTS).timers()).hasSize(1);
        assertThat(requestCount(metrics, "packument", "2xx", "hit")).isEqualTo(1000);
    }

    @Test
    void bytesServedAreCountedByRouteAndNegativeOrZeroCountsAreIgnored() {
        GatewayMetrics metrics = metrics();
        metrics.requestCompleted(Route.TARBALL, 200, CacheOutcome.HIT, 1_000, 1_000_000);
        metrics.requestCompleted(Route.TARBALL, 200, CacheOutcome.MISS, 1_000, 500);
        metrics.requestCompleted(Route.PACKUMENT, 200, CacheOutcome.HIT, 1_000, -5);
        metrics.requestCompleted(Route.PACKUMENT, 304, CacheOutcome.HIT, 1_000, 0);

        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_served_bytes_total"))
                .containsExactly("npm_gateway_served_bytes_total{route=\"tarball\"} 1000500.0");
    }

    // ------------------------------------------------------------ downloads

    @Test
    void downloadsBeyondThePackageLabelCapAreCountedUnderOther() {
        GatewayMetrics metrics = metrics(new MetricsConfig(2, true));

        metrics.tarballServed("alpha", "corp");
        metrics.tarballServed("@scope/beta", "corp");
        metrics.tarballServed("gamma", "corp");
        metrics.tarballServed("alpha", "public");
        metrics.tarballServed("delta", "public");

        assertThat(samples(metrics.scrape(), "npm_gateway_tarball_downloads_total")).containsExactlyInAnyOrder(
                "npm_gateway_tarball_downloads_total{package=\"alpha\",upstream=\"corp\"} 1.0",
                "npm_gateway_tarball_downloads_total{package=\"alpha\",upstream=\"public\"} 1.0",
                "npm_gateway_tarball_downloads_total{package=\"@scope/beta\",upstream=\"corp\"} 1.0",
                "npm_gateway_tarball_downloads_total{package=\"__other__\",upstream=\"corp\"} 1.0",
                "npm_gateway_tarball_downloads_total{package=\"__other__\",upstream=\"public\"} 1.0");
    }

    @Test
    void aCapOfZeroCountsEveryDownloadUnderOther() {
        GatewayMetrics metrics = metrics(new MetricsConfig(0, true));
        metrics.tarballServed("alpha", "corp");
        metrics.tarballServed(null, null);

        assertThat(samples(metrics.scrape(), "npm_gateway_tarball_downloads_total")).containsExactlyInAnyOrder(
                "npm_gateway_tarball_downloads_total{package=\"__other__\",upstream=\"corp\"} 1.0",
                "npm_gateway_tarball_downloads_total{package=\"__other__\",upstream=\"unknown\"} 1.0");
    }

    @Test
    void concurrentDownloadsNeverAdmitMorePackagesThanTheCapAndLoseNoCounts() throws Exception {
        int cap = 10;
        int threads = 8;
        int perThread = 5_000;
        GatewayMetrics metrics = metrics(new MetricsConfig(cap, true));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        metrics.tarballServed("pkg-" + ((i * 7 + seed) % 200), "corp");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        List<Counter> counters = new ArrayList<>(metrics.registry().find(GatewayMetrics.TARBALL_DOWNLOADS).counters());
        long distinctPackages = counters.stream()
                .map(c -> c.getId().getTag("package"))
                .filter(p -> !p.equals(GatewayMetrics.OTHER_PACKAGE))
                .distinct()
                .count();
        double total = counters.stream().mapToDouble(Counter::count).sum();

        assertThat(distinctPackages).isEqualTo(cap);
        assertThat(total).isEqualTo((double) threads * perThread);
    }

    @Test
    void aNegativeLabelCapIsRejectedWithAClearMessage() {
        assertThatThrownBy(() -> new MetricsConfig(-1, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cap");
    }

    @Test
    void defaultConfigCapsAtOneThousandPackagesWithHistogramsOn() {
        assertThat(MetricsConfig.defaults()).isEqualTo(new MetricsConfig(1000, true));
        assertThat(new GatewayMetrics().config()).isEqualTo(MetricsConfig.defaults());
    }

    // ------------------------------------------------------------ upstreams

    @Test
    void upstreamErrorsAreCountedByUpstreamAndReasonAndUnknownReasonsBecomeOther() {
        GatewayMetrics metrics = metrics();
        metrics.upstreamError("corp", "timeout");
        metrics.upstreamError("corp", "TIMEOUT");
        metrics.upstreamError("corp", UpstreamErrorReason.STATUS_5XX);
        metrics.upstreamError("corp", "too_large");
        metrics.upstreamError("corp", "no such reason");
        metrics.upstreamError("corp", (String) null);

        assertThat(samples(metrics.scrape(), "npm_gateway_upstream_errors_total")).containsExactlyInAnyOrder(
                "npm_gateway_upstream_errors_total{reason=\"timeout\",upstream=\"corp\"} 2.0",
                "npm_gateway_upstream_errors_total{reason=\"5xx\",upstream=\"corp\"} 1.0",
                "npm_gateway_upstream_errors_total{reason=\"too_large\",upstream=\"corp\"} 1.0",
                "npm_gateway_upstream_errors_total{reason=\"other\",upstream=\"corp\"} 2.0");
    }

    @Test
    void everyDocumentedErrorReasonHasItsOwnLabel() {
        List<String> documented = List.of("timeout", "connect", "tls", "4xx", "5xx", "integrity", "truncated",
                "invalid", "too_large", "unauthorized", "redirect");
        for (String reason : documented) {
            assertThat(UpstreamErrorReason.fromLabel(reason).label()).isEqualTo(reason);
        }
    }

    @Test
    void anIntegrityFailureCountsOnceAsAFailureAndOnceAsAnUpstreamError() {
        GatewayMetrics metrics = metrics();
        metrics.integrityFailure("corp");
        metrics.upstreamError("corp", "integrity");

        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_integrity_failures_total"))
                .containsExactly("npm_gateway_integrity_failures_total{upstream=\"corp\"} 2.0");
        assertThat(samples(scrape, "npm_gateway_upstream_errors_total"))
                .containsExactly("npm_gateway_upstream_errors_total{reason=\"integrity\",upstream=\"corp\"} 2.0");
    }

    @Test
    void upstreamRequestsAreTimedByUpstreamKindAndStatusClass() {
        GatewayMetrics metrics = metrics();
        metrics.upstreamRequest("corp", "packument", 200, 10_000_000);
        metrics.upstreamRequest("corp", "packument", 304, 5_000_000);
        metrics.upstreamRequest("corp", "tarball", 200, 100_000_000);
        metrics.upstreamRequest("public", "dist-tags?", 404, 1_000_000);
        metrics.upstreamRequest(null, (String) null, 0, 1_000_000);

        assertThat(samples(metrics.scrape(), "npm_gateway_upstream_requests_seconds_count")).containsExactlyInAnyOrder(
                "npm_gateway_upstream_requests_seconds_count{kind=\"packument\",status=\"2xx\",upstream=\"corp\"} 1",
                "npm_gateway_upstream_requests_seconds_count{kind=\"packument\",status=\"3xx\",upstream=\"corp\"} 1",
                "npm_gateway_upstream_requests_seconds_count{kind=\"tarball\",status=\"2xx\",upstream=\"corp\"} 1",
                "npm_gateway_upstream_requests_seconds_count{kind=\"other\",status=\"4xx\",upstream=\"public\"} 1",
                "npm_gateway_upstream_requests_seconds_count{kind=\"other\",status=\"none\",upstream=\"unknown\"} 1");
        Timer tarball = metrics.registry().find(GatewayMetrics.UPSTREAM_REQUESTS).tag("kind", "tarball").timer();
        assertThat(tarball.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(100.0);
    }

    @Test
    void coalescedAndStaleResponsesAreCounted() {
        GatewayMetrics metrics = metrics();
        metrics.coalesced("packument");
        metrics.coalesced("packument");
        metrics.coalesced(FetchKind.TARBALL);
        metrics.coalesced("bogus");
        metrics.staleServed();
        metrics.staleServed();

        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_coalesced_requests_total")).containsExactlyInAnyOrder(
                "npm_gateway_coalesced_requests_total{kind=\"packument\"} 2.0",
                "npm_gateway_coalesced_requests_total{kind=\"tarball\"} 1.0",
                "npm_gateway_coalesced_requests_total{kind=\"other\"} 1.0");
        assertThat(samples(scrape, "npm_gateway_stale_responses_total"))
                .containsExactly("npm_gateway_stale_responses_total 2.0");
    }

    @Test
    void staleResponsesAreExportedAsZeroBeforeTheFirstOne() {
        assertThat(samples(metrics().scrape(), "npm_gateway_stale_responses_total"))
                .containsExactly("npm_gateway_stale_responses_total 0.0");
    }

    // ------------------------------------------------------------ bound components

    @Test
    void theCaffeineBinderShowsHitsMissesSizeAndEvictions() {
        GatewayMetrics metrics = metrics();
        Cache<String, String> cache = Caffeine.newBuilder()
                .recordStats()
                .maximumSize(2)
                .executor(Runnable::run)
                .build();
        metrics.bindMetadataCache(cache);

        cache.put("a", "1");
        cache.getIfPresent("a");
        cache.getIfPresent("a");
        cache.getIfPresent("nope");
        cache.put("b", "2");
        cache.put("c", "3");
        cache.cleanUp();

        String scrape = metrics.scrape();
        assertThat(samples(scrape, "npm_gateway_cache_gets_total")).containsExactlyInAnyOrder(
                "npm_gateway_cache_gets_total{cache=\"metadata\",result=\"hit\"} 2.0",
                "npm_gateway_cache_gets_total{cache=\"metadata\",result=\"miss\"} 1.0");
        assertThat(samples(scrape, "npm_gateway_cache_size"))
                .containsExactly("npm_gateway_cache_size{cache=\"metadata\"} 2.0");
        assertThat(samples(scrape, "npm_gateway_cache_evictions_total"))
                .containsExactly("npm_gateway_cache_evictions_total{cache=\"metadata\"} 1.0");
        assertThat(samples(scrape, "npm_gateway_cache_eviction_weight_total"))
                .containsExactly("npm_gateway_cache_eviction_weight_total{cache=\"metadata\"} 1.0");
        assertThat(scrape).doesNotContainPattern("(?m)^cache_");
    }

    @Test
    void bindingAnotherMetadataCacheReplacesTheFirst() {
        GatewayMetrics metrics = metrics();
        Cache<String, String> first = Caffeine.newBuilder().recordStats().build();
        Cache<String, String> second = Caffeine.newBuilder().recordStats().build();
        metrics.bindMetadataCache(first);
        first.put("a", "1");
        metrics.bindMetadataCache(second);
        second.put("x", "1");
        second.put("y", "1");

        assertThat(samples(metrics.scrape(), "npm_gateway_cache_size"))
                .containsExactly("npm_gateway_cache_size{cache=\"metadata\"} 2.0");
    }

    @Test
    void tarballStoreGaugesReadTheSuppliersAtScrapeTime() {
        GatewayMetrics metrics = metrics();
        AtomicLong bytes = new AtomicLong(1000);
        AtomicLong entries = new AtomicLong(1);
        AtomicLong evictions = new AtomicLong();
        metrics.bindTarballStore(bytes::get, entries::get, evictions::get);

        bytes.set(123_456_789);
        entries.set(17);
        evictions.set(4);
        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_tarball_store_size_bytes"))
                .containsExactly("npm_gateway_tarball_store_size_bytes 1.23456789E8");
        assertThat(samples(scrape, "npm_gateway_tarball_store_entries"))
                .containsExactly("npm_gateway_tarball_store_entries 17.0");
        assertThat(samples(scrape, "npm_gateway_tarball_store_evictions_total"))
                .containsExactly("npm_gateway_tarball_store_evictions_total 4.0");
    }

    @Test
    void boundSuppliersPassedAsLambdasAreNotGarbageCollected() {
        GatewayMetrics metrics = metrics();
        // Bound method references, as the gateway passes them: a new object each, reachable only from the meter.
        AtomicLong evicted = new AtomicLong(9);
        AtomicLong renewalFailures = new AtomicLong(3);
        metrics.bindTarballStore(() -> 7, () -> 8, evicted::get);
        metrics.bindNettyAllocator(() -> 10, () -> 11);
        metrics.bindUpstream("corp", () -> Double.NaN, renewalFailures::get, () -> GatewayMetrics.UPSTREAM_AVAILABLE);
        for (int i = 0; i < 3; i++) {
            System.gc();
        }

        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_tarball_store_size_bytes"))
                .containsExactly("npm_gateway_tarball_store_size_bytes 7.0");
        assertThat(samples(scrape, "npm_gateway_tarball_store_evictions_total"))
                .as("a function counter, which holds its supplier weakly")
                .containsExactly("npm_gateway_tarball_store_evictions_total 9.0");
        assertThat(samples(scrape, "npm_gateway_upstream_token_renewal_failures_total"))
                .containsExactly("npm_gateway_upstream_token_renewal_failures_total{upstream=\"corp\"} 3.0");
        assertThat(samples(scrape, "npm_gateway_netty_allocator_used_bytes")).containsExactlyInAnyOrder(
                "npm_gateway_netty_allocator_used_bytes{allocator=\"default\",memory=\"direct\"} 10.0",
                "npm_gateway_netty_allocator_used_bytes{allocator=\"default\",memory=\"heap\"} 11.0");
    }

    @Test
    void upstreamStateShowsTokenExpiryRenewalFailuresAndAvailabilityWithNaNForNoToken() {
        GatewayMetrics metrics = metrics();
        AtomicInteger available = new AtomicInteger(GatewayMetrics.UPSTREAM_AVAILABLE);
        metrics.bindUpstream("corp", () -> 1800.5, () -> 2, available::get);
        metrics.bindUpstream("public", () -> Double.NaN, () -> 0, () -> GatewayMetrics.UPSTREAM_AVAILABLE);
        available.set(GatewayMetrics.UPSTREAM_UNAVAILABLE);

        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_upstream_token_remaining_seconds")).containsExactlyInAnyOrder(
                "npm_gateway_upstream_token_remaining_seconds{upstream=\"corp\"} 1800.5",
                "npm_gateway_upstream_token_remaining_seconds{upstream=\"public\"} NaN");
        assertThat(samples(scrape, "npm_gateway_upstream_token_renewal_failures_total")).containsExactlyInAnyOrder(
                "npm_gateway_upstream_token_renewal_failures_total{upstream=\"corp\"} 2.0",
                "npm_gateway_upstream_token_renewal_failures_total{upstream=\"public\"} 0.0");
        assertThat(samples(scrape, "npm_gateway_upstream_available")).containsExactlyInAnyOrder(
                "npm_gateway_upstream_available{upstream=\"corp\"} 0.0",
                "npm_gateway_upstream_available{upstream=\"public\"} 1.0");
    }

    @Test
    void bindingAnUpstreamAgainReplacesItsSuppliers() {
        GatewayMetrics metrics = metrics();
        metrics.bindUpstream("corp", () -> 100, () -> 1, () -> 1);
        metrics.bindUpstream("corp", () -> 200, () -> 5, () -> 0);

        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_upstream_token_remaining_seconds"))
                .containsExactly("npm_gateway_upstream_token_remaining_seconds{upstream=\"corp\"} 200.0");
        assertThat(samples(scrape, "npm_gateway_upstream_token_renewal_failures_total"))
                .containsExactly("npm_gateway_upstream_token_renewal_failures_total{upstream=\"corp\"} 5.0");
        assertThat(samples(scrape, "npm_gateway_upstream_available"))
                .containsExactly("npm_gateway_upstream_available{upstream=\"corp\"} 0.0");
    }

    @Test
    void closingABindingRemovesItsSeriesAndLeavesTheOthers() {
        GatewayMetrics metrics = metrics();
        MeterBinding corp = metrics.bindUpstream("corp", () -> 100, () -> 1, () -> 1);
        metrics.bindUpstream("public", () -> Double.NaN, () -> 0, () -> 1);
        MeterBinding store = metrics.bindTarballStore(() -> 1, () -> 1, () -> 1);

        corp.close();
        corp.close();
        store.close();
        String scrape = metrics.scrape();

        assertThat(samples(scrape, "npm_gateway_upstream_available"))
                .containsExactly("npm_gateway_upstream_available{upstream=\"public\"} 1.0");
        assertThat(scrape).doesNotContain("npm_gateway_tarball_store_");
    }

    @Test
    void closingAReplacedBindingDoesNotRemoveItsReplacement() {
        GatewayMetrics metrics = metrics();
        MeterBinding old = metrics.bindUpstream("corp", () -> 100, () -> 1, () -> 1);
        metrics.bindUpstream("corp", () -> 200, () -> 1, () -> 1);

        old.close();

        assertThat(samples(metrics.scrape(), "npm_gateway_upstream_token_remaining_seconds"))
                .containsExactly("npm_gateway_upstream_token_remaining_seconds{upstream=\"corp\"} 200.0");
    }

    @Test
    void nettyAllocatorMemoryIsExportedByAllocatorAndMemoryKind() {
        GatewayMetrics metrics = metrics();
        metrics.bindNettyAllocator("pooled", () -> 4096, () -> 512);

        assertThat(samples(metrics.scrape(), "npm_gateway_netty_allocator_used_bytes")).containsExactlyInAnyOrder(
                "npm_gateway_netty_allocator_used_bytes{allocator=\"pooled\",memory=\"direct\"} 4096.0",
                "npm_gateway_netty_allocator_used_bytes{allocator=\"pooled\",memory=\"heap\"} 512.0");
    }

    @Test
    void jvmAndProcessMetersAreBoundAtConstruction() {
        String scrape = metrics().scrape();

        assertThat(scrape)
                .containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\"")
                .containsPattern("(?m)^jvm_threads_live_threads ")
                .containsPattern("(?m)^jvm_classes_loaded_classes ")
                .containsPattern("(?m)^process_cpu_seconds_total ")
                .containsPattern("(?m)^process_uptime_seconds ")
                .containsPattern("(?m)^process_files_open_files ")
                .doesNotContain("process_cpu_time_ns")
                .doesNotContainPattern("(?m)^system_cpu_count ");
    }

    // ------------------------------------------------------------ scraping

    @Test
    void scrapeNegotiatesOpenMetricsOnlyWhenTheScraperAsksForIt() {
        assertThat(GatewayMetrics.contentTypeFor(null)).isEqualTo(GatewayMetrics.PROMETHEUS_TEXT_CONTENT_TYPE);
        assertThat(GatewayMetrics.contentTypeFor("")).isEqualTo(GatewayMetrics.PROMETHEUS_TEXT_CONTENT_TYPE);
        assertThat(GatewayMetrics.contentTypeFor("*/*")).isEqualTo(GatewayMetrics.PROMETHEUS_TEXT_CONTENT_TYPE);
        assertThat(GatewayMetrics.contentTypeFor("text/plain;version=0.0.4;q=0.3,*/*;q=0.2"))
                .isEqualTo(GatewayMetrics.PROMETHEUS_TEXT_CONTENT_TYPE);
        // What Prometheus 2.x sends.
        assertThat(GatewayMetrics.contentTypeFor("application/openmetrics-text;version=1.0.0,"
                + "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"))
                .isEqualTo(GatewayMetrics.OPENMETRICS_TEXT_CONTENT_TYPE);
        assertThat(GatewayMetrics.contentTypeFor("Application/OpenMetrics-Text; q=0, text/plain"))
                .isEqualTo(GatewayMetrics.PROMETHEUS_TEXT_CONTENT_TYPE);
        // Protobuf is never chosen, even when preferred.
        assertThat(GatewayMetrics.contentTypeFor(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"))
                .isEqualTo(GatewayMetrics.PROMETHEUS_TEXT_CONTENT_TYPE);
    }

    @Test
    void openMetricsScrapeEndsWithEofAndPrometheusTextDoesNot() {
        GatewayMetrics metrics = metrics();
        recordEverything(metrics);

        Scrape openMetrics = metrics.scrape("application/openmetrics-text; version=1.0.0");
        Scrape text = metrics.scrape("text/plain");

        assertThat(openMetrics.contentType()).isEqualTo(GatewayMetrics.OPENMETRICS_TEXT_CONTENT_TYPE);
        assertThat(openMetrics.text()).endsWith("# EOF\n").contains("npm_gateway_stale_responses_total 1.0");
        assertThat(text.contentType()).isEqualTo(GatewayMetrics.PROMETHEUS_TEXT_CONTENT_TYPE);
        assertThat(text.text()).doesNotContain("# EOF").contains("npm_gateway_stale_responses_total 1.0");
    }

    @Test
    void closedMetricsIgnoreFurtherRecording() {
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.close();
        metrics.close();

        metrics.requestCompleted(Route.PACKUMENT, 200, CacheOutcome.HIT, 1, 1);
        metrics.tarballServed("a", "b");
        metrics.upstreamError("a", "timeout");
    }

    @Test
    void everyMeterIsDefinedInThisModuleWithADescription() {
        GatewayMetrics metrics = metrics();
        recordEverything(metrics);

        for (Meter meter : metrics.registry().getMeters()) {
            assertThat(meter.getId().getDescription()).as("description of %s", meter.getId()).isNotBlank();
        }
    }
}

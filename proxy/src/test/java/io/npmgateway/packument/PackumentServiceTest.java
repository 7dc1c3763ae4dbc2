package io.npmgateway.packument;

import io.npmgateway.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.storage.GatewayStore;
import io.npmgateway.storage.StoreOptions;
import io.npmgateway.upstream.DocumentResponse;
import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamChain;
import io.npmgateway.upstream.UpstreamException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackumentServiceTest {
    private static final PackageName NAME = PackageName.parse("left-pad");
    private static final String PATH = "/left-pad";
    private static final CacheConfig CONFIG = new CacheConfig(Duration.ofMinutes(5), null, 16L << 20,
            Duration.ofSeconds(30), 16L << 20);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final ScriptedTransport transport = new ScriptedTransport();
    private final GatewayMetrics metrics = new GatewayMetrics();
    private GatewayStore store;
    private PackumentService service;

    @BeforeEach
    void start() {
        store = GatewayStore.open(new StoreOptions(dir));
        service = newService(CONFIG);
    }

    @AfterEach
    void stop() {
        metrics.close();
        store.close();
    }

    private PackumentService newService(CacheConfig config) {
        return newService(config, Runnable::run);
    }

    private PackumentService newService(CacheConfig config, java.util.concurrent.Executor rewriteExecutor) {
        UpstreamChain chain = new UpstreamChain(List.of(
                new Upstream(UpstreamConfig.of("up", "http://127.0.0.1:9/"), transport, metrics)));
        PackumentRewriter rewriter = new PackumentRewriter("http://gateway.test/");
        return new PackumentService(chain, () -> rewriter, store.metadata(), config, clock, rewriteExecutor, metrics);
    }

    private static byte[] doc(String... versions) {
        return docOf("left-pad", versions);
    }

    private static byte[] docOf(String name, String... versions) {
        StringBuilder json = new StringBuilder("{\"name\":\"" + name + "\",\"dist-tags\":{\"latest\":\"")
                .append(versions[versions.length - 1]).append("\"},\"versions\":{");
        for (int i = 0; i < versions.length; i++) {
            json.append(i == 0 ? "" : ",").append('"').append(versions[i]).append("\":{\"name\":\"" + name + "\","
                    + "\"version\":\"").append(versions[i]).append("\",\"dist\":{\"tarball\":"
                    + "\"http://127.0.0.1:9/" + name + "/-/" + name + "-").append(versions[i]).append(".tgz\"}}");
        }
        return json.append("}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String[] versions(int count) {
        String[] versions = new String[count];
        for (int i = 0; i < count; i++) {
            versions[i] = "1." + i + ".0";
        }
        return versions;
    }

    private PackumentLookup.Found found(CompletableFuture<PackumentLookup> f) throws Exception {
        PackumentLookup lookup = f.get(5, TimeUnit.SECONDS);
        assertThat(lookup).isInstanceOf(PackumentLookup.Found.class);
        return (PackumentLookup.Found) lookup;
    }

    @Test
    void aFreshDocumentIsServedWithoutAskingUpstream() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        assertThat(found(service.lookup(NAME)).outcome()).isEqualTo(CacheOutcome.MISS);
        clock.advance(Duration.ofMinutes(4));
        assertThat(found(service.lookup(NAME)).outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(transport.callsTo(PATH)).isEqualTo(1);
    }

    @Test
    void anOldDocumentIsRevalidatedWithItsEtagAndA304OnlyRenewsIt() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        CachedPackument first = found(service.lookup(NAME)).packument();
        clock.advance(Duration.ofMinutes(6));
        transport.answer(PATH, c -> CompletableFuture.completedFuture(new DocumentResponse(304, "\"e1\"", null,
                new byte[0])));
        PackumentLookup.Found again = found(service.lookup(NAME));
        assertThat(again.outcome()).isEqualTo(CacheOutcome.REVALIDATED);
        assertThat(transport.headers.get(1)).containsEntry("If-None-Match", "\"e1\"");
        assertThat(again.packument().index()).isSameAs(first.index());
        assertThat(found(service.lookup(NAME)).outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(transport.callsTo(PATH)).isEqualTo(2);
    }

    @Test
    void anOldDocumentIsServedStaleWhenTheUpstreamFails() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        found(service.lookup(NAME));
        clock.advance(Duration.ofHours(2));
        transport.refuse(PATH);
        PackumentLookup.Found stale = found(service.lookup(NAME));
        assertThat(stale.outcome()).isEqualTo(CacheOutcome.STALE);
        assertThat(stale.packument().index().versions()).containsKey("1.0.0");
    }

    @Test
    void beyondMaxStaleAFailingUpstreamIsAnError() throws Exception {
        service = newService(new CacheConfig(Duration.ofMinutes(5), Duration.ofMinutes(10), 16L << 20,
                Duration.ofSeconds(30), 16L << 20));
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        found(service.lookup(NAME));
        clock.advance(Duration.ofMinutes(16));
        transport.refuse(PATH);
        assertThatThrownBy(() -> service.lookup(NAME).join()).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(UpstreamException.class);
    }

    @Test
    void aMissingVersionForcesOneRefreshThatIsRateLimited() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        CachedPackument first = found(service.lookup(NAME)).packument();
        transport.ok(PATH, doc("1.0.0", "1.1.0"), "\"e2\"");
        clock.advance(Duration.ofSeconds(11));
        CachedPackument refreshed = found(service.refreshForMissing(NAME, first)).packument();
        assertThat(refreshed.index().versions()).containsKey("1.1.0");
        // A second miss right after is not sent upstream again.
        found(service.refreshForMissing(NAME, refreshed));
        assertThat(transport.callsTo(PATH)).isEqualTo(2);
    }

    @Test
    void notFoundIsRememberedForTheNegativeTtlOnly() throws Exception {
        assertThat(service.lookup(NAME).get(5, TimeUnit.SECONDS)).isInstanceOf(PackumentLookup.NotFound.class);
        assertThat(service.lookup(NAME).get(5, TimeUnit.SECONDS)).isInstanceOf(PackumentLookup.NotFound.class);
        assertThat(transport.callsTo(PATH)).isEqualTo(1);
        clock.advance(Duration.ofSeconds(31));
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        assertThat(found(service.lookup(NAME)).outcome()).isEqualTo(CacheOutcome.MISS);
        assertThat(transport.callsTo(PATH)).isEqualTo(2);
    }

    @Test
    void concurrentMissesMakeOneUpstreamRequest() throws Exception {
        CompletableFuture<DocumentResponse> gate = new CompletableFuture<>();
        transport.answer(PATH, c -> gate);
        List<CompletableFuture<PackumentLookup>> callers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            callers.add(service.lookup(NAME));
        }
        gate.complete(new DocumentResponse(200, "\"e1\"", null, doc("1.0.0")));
        for (CompletableFuture<PackumentLookup> c : callers) {
            assertThat(found(c).packument().index().versions()).containsKey("1.0.0");
        }
        assertThat(transport.callsTo(PATH)).isEqualTo(1);
    }

    @Test
    void aRestartServesTheDocumentFromDiskAndRevalidatesItThere() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        found(service.lookup(NAME));
        service = newService(CONFIG); // empty memory tier, same disk tier
        PackumentLookup.Found fromDisk = found(service.lookup(NAME));
        assertThat(fromDisk.outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(transport.callsTo(PATH)).isEqualTo(1);
        clock.advance(Duration.ofMinutes(6));
        service = newService(CONFIG);
        transport.refuse(PATH);
        assertThat(found(service.lookup(NAME)).outcome()).isEqualTo(CacheOutcome.STALE);
        assertThat(transport.headers.get(1)).containsEntry("If-None-Match", "\"e1\"");
    }

    @Test
    void anUpstream404DropsTheDiskCopySoARestartDoesNotResurrectIt() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        found(service.lookup(NAME));
        assertThat(store.metadata().get(PackumentService.diskKey(NAME, "up"))).isPresent();
        clock.advance(Duration.ofMinutes(6));
        transport.status(PATH, 404);
        assertThat(service.lookup(NAME).get(5, TimeUnit.SECONDS)).isInstanceOf(PackumentLookup.NotFound.class);
        assertThat(store.metadata().get(PackumentService.diskKey(NAME, "up"))).isEmpty();
    }

    @Test
    void anUnusableUpstreamDocumentIsAnErrorAndIsNotKept() {
        transport.ok(PATH, "{not json".getBytes(StandardCharsets.UTF_8), null);
        assertThatThrownBy(() -> service.lookup(NAME).join()).hasCauseInstanceOf(UpstreamException.class)
                .hasMessageContaining("not usable");
        assertThat(store.metadata().get(PackumentService.diskKey(NAME, "up"))).isEmpty();
    }

    @Test
    void unknownVersionSelectorsKeepNothingInTheDocumentsMemo() throws Exception {
        transport.ok(PATH, doc(versions(20)), "\"e1\"");
        CachedPackument p = found(service.lookup(NAME)).packument();
        int weight = p.weight();
        for (int i = 0; i < 10_000; i++) {
            assertThat(p.versionManifest("9.9." + i)).isEmpty();
        }
        assertThat(p.versionManifestMemo().size()).isZero();
        assertThat(p.versionManifestMemo().usedBytes()).isZero();
        assertThat(p.versionManifest("1.0.0")).hasValueSatisfying(m ->
                assertThat(new String(m, StandardCharsets.UTF_8)).contains("\"version\":\"1.0.0\""));
        assertThat(p.versionManifestMemo().size()).isEqualTo(1);
        assertThat(p.weight()).as("the weight counts the one manifest kept")
                .isEqualTo(weight + p.versionManifestMemo().usedBytes());
    }

    @Test
    void keptVersionManifestsStayWithinABudgetAndTheCacheWeighsWhatIsKept() throws Exception {
        String[] versions = versions(400);
        byte[] body = doc(versions);
        transport.ok(PATH, body, "\"e1\"");
        CachedPackument p = found(service.lookup(NAME)).packument();
        VersionManifestMemo memo = p.versionManifestMemo();
        assertThat(memo.budget()).isPositive();
        service.cache().cleanUp();
        long before = weightedSize();

        for (String version : versions) {
            assertThat(service.versionManifest(NAME, p, version)).as(version).hasValueSatisfying(m ->
                    assertThat(new String(m, StandardCharsets.UTF_8)).contains("\"version\":\"" + version + "\""));
        }
        assertThat(memo.usedBytes()).isPositive().isLessThanOrEqualTo(memo.budget());
        assertThat(memo.size()).as("not every manifest fits the budget").isBetween(1, versions.length - 1);
        // Past the budget, manifests are still answered, by a scan of the document.
        assertThat(p.versionManifest(versions[versions.length - 1])).isPresent();
        service.cache().cleanUp();
        assertThat(weightedSize()).isEqualTo(before + memo.usedBytes());
    }

    @Test
    void theCacheWeighsADocumentAgainWhenAClientWithoutGzipHasItsIdentityBytesInflated() throws Exception {
        transport.ok(PATH, doc(versions(50)), "\"e1\"");
        CachedPackument p = found(service.lookup(NAME)).packument();
        service.cache().cleanUp();
        long compressed = weightedSize();
        assertThat(compressed).isEqualTo(p.weight());

        service.serve(NAME, p, io.npmgateway.npm.PackumentRepresentation.FULL, true);
        service.cache().cleanUp();
        assertThat(weightedSize()).as("a gzip client changes nothing").isEqualTo(compressed);

        service.serve(NAME, p, io.npmgateway.npm.PackumentRepresentation.FULL, false);
        service.cache().cleanUp();
        assertThat(weightedSize()).isEqualTo(compressed + p.identityLength(io.npmgateway.npm.PackumentRepresentation.FULL));
    }

    private long weightedSize() {
        return service.cache().policy().eviction().orElseThrow().weightedSize().orElseThrow();
    }

    @Test
    void aSmallMaxMemoryEvictsDocumentsToStayWithinIt() throws Exception {
        transport.ok("/pkg-0", docOf("pkg-0", versions(50)), "\"e0\"");
        int oneDocument = found(service.lookup(PackageName.parse("pkg-0"))).packument().weight();
        long maxMemory = 4L * oneDocument;
        service = newService(new CacheConfig(Duration.ofMinutes(5), null, maxMemory, Duration.ofSeconds(30),
                16L << 20));
        for (int i = 0; i < 20; i++) {
            transport.ok("/pkg-" + i, docOf("pkg-" + i, versions(50)), "\"e" + i + "\"");
            found(service.lookup(PackageName.parse("pkg-" + i)));
        }
        service.cache().cleanUp();

        assertThat(service.cache().policy().eviction().orElseThrow().weightedSize().orElseThrow())
                .isLessThanOrEqualTo(maxMemory);
        assertThat(service.cache().estimatedSize()).isBetween(1L, 4L);
        assertThat(service.cache().stats().evictionCount()).isGreaterThanOrEqualTo(16);
    }

    @Test
    void theLatestDocumentHeavierThanTheWholeCacheIsKeptBesideItInsteadOfBeingRebuiltOnEveryRequest()
            throws Exception {
        service = newService(new CacheConfig(Duration.ofMinutes(5), null, 1024, Duration.ofSeconds(30), 16L << 20));
        transport.ok(PATH, doc(versions(50)), "\"e1\"");
        CachedPackument first = found(service.lookup(NAME)).packument();
        assertThat(first.weight()).isGreaterThan(1024);
        service.cache().cleanUp();

        PackumentLookup.Found again = found(service.lookup(NAME));
        assertThat(again.outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(again.packument()).as("the same copy, not one rebuilt from disk").isSameAs(first);
        assertThat(service.cache().estimatedSize()).isZero();

        PackageName other = PackageName.parse("other");
        transport.ok("/other", docOf("other", versions(50)), "\"o1\"");
        found(service.lookup(other));
        assertThat(found(service.lookup(NAME)).packument()).as("one slot: the newer document took it, so this one"
                + " comes from disk").isNotSameAs(first);
        assertThat(transport.callsTo(PATH)).isEqualTo(1);
    }

    @Test
    void withMaxAgeZeroALookupArrivingWhileTheLastFetchIsStillStoringItsCopyAsksUpstreamAgain() throws Exception {
        java.util.ArrayDeque<Runnable> tasks = new java.util.ArrayDeque<>();
        service = newService(new CacheConfig(Duration.ZERO, Duration.ofDays(1), 16L << 20, Duration.ofSeconds(30),
                16L << 20, Duration.ofSeconds(10)), tasks::add);
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        CompletableFuture<PackumentLookup> second = new CompletableFuture<>();
        // Runs as the first fetch answers, before it has gzipped and stored its copy and left the in-flight map.
        CompletableFuture<PackumentLookup> first = service.lookup(NAME).whenComplete((answered, error) -> {
            transport.refuse(PATH);
            service.lookup(NAME).whenComplete((r, e) -> second.complete(r));
        });
        while (!tasks.isEmpty()) {
            tasks.poll().run();
        }

        assertThat(found(first).outcome()).isEqualTo(CacheOutcome.MISS);
        PackumentLookup.Found stale = found(second);
        assertThat(stale.outcome()).as("asked the failing upstream, not joined the fetch that had answered")
                .isEqualTo(CacheOutcome.STALE);
        assertThat(transport.callsTo(PATH)).isEqualTo(2);
    }

    @Test
    void concurrentRevalidationsOfAnOldDocumentMakeOneUpstreamRequest() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        CachedPackument first = found(service.lookup(NAME)).packument();
        clock.advance(Duration.ofMinutes(6));
        CompletableFuture<DocumentResponse> gate = new CompletableFuture<>();
        transport.answer(PATH, c -> gate);
        List<CompletableFuture<PackumentLookup>> callers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            callers.add(service.lookup(NAME));
        }
        assertThat(callers).noneMatch(CompletableFuture::isDone);

        gate.complete(new DocumentResponse(304, "\"e1\"", null, new byte[0]));

        for (CompletableFuture<PackumentLookup> c : callers) {
            PackumentLookup.Found f = found(c);
            assertThat(f.outcome()).isEqualTo(CacheOutcome.REVALIDATED);
            assertThat(f.packument().index()).isSameAs(first.index());
        }
        assertThat(transport.callsTo(PATH)).isEqualTo(2);
        assertThat(transport.headers.get(1)).containsEntry("If-None-Match", "\"e1\"");
    }

    @Test
    void concurrentRefreshesForAMissingVersionMakeOneUpstreamRequest() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        CachedPackument first = found(service.lookup(NAME)).packument();
        clock.advance(Duration.ofSeconds(11));
        CompletableFuture<DocumentResponse> gate = new CompletableFuture<>();
        transport.answer(PATH, c -> gate);
        List<CompletableFuture<PackumentLookup>> callers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            callers.add(service.refreshForMissing(NAME, first));
        }
        assertThat(callers).noneMatch(CompletableFuture::isDone);

        gate.complete(new DocumentResponse(200, "\"e2\"", null, doc("1.0.0", "1.1.0")));

        for (CompletableFuture<PackumentLookup> c : callers) {
            assertThat(found(c).packument().index().versions()).containsKey("1.1.0");
        }
        assertThat(transport.callsTo(PATH)).isEqualTo(2);
    }

    @Test
    void anOldDocumentIsRevalidatedWithIfModifiedSinceWhenTheUpstreamSentLastModified() throws Exception {
        String lastModified = "Sat, 01 Jun 2024 10:00:00 GMT";
        transport.answer(PATH, c -> CompletableFuture.completedFuture(
                new DocumentResponse(200, null, lastModified, doc("1.0.0"))));
        found(service.lookup(NAME));
        clock.advance(Duration.ofMinutes(6));
        transport.answer(PATH, c -> CompletableFuture.completedFuture(new DocumentResponse(304, null, null,
                new byte[0])));

        assertThat(found(service.lookup(NAME)).outcome()).isEqualTo(CacheOutcome.REVALIDATED);

        assertThat(transport.headers.get(0)).doesNotContainKeys("If-Modified-Since", "If-None-Match");
        assertThat(transport.headers.get(1)).containsEntry("If-Modified-Since", lastModified)
                .doesNotContainKey("If-None-Match");
        // The 304 repeated no validator: the next revalidation still sends the one the 200 gave.
        clock.advance(Duration.ofMinutes(6));
        found(service.lookup(NAME));
        assertThat(transport.headers.get(2)).containsEntry("If-Modified-Since", lastModified);
    }

    @Test
    void hitAndMissStatisticsCountEachLookupOnceAndAnOldCopyAsAMiss() throws Exception {
        transport.ok(PATH, doc("1.0.0"), "\"e1\"");
        found(service.lookup(NAME)); // miss
        found(service.lookup(NAME)); // hit
        clock.advance(Duration.ofMinutes(6));
        transport.refuse(PATH);
        assertThat(found(service.lookup(NAME)).outcome()).isEqualTo(CacheOutcome.STALE); // miss: it asked upstream

        assertThat(service.cache().stats().hitCount()).isEqualTo(1);
        assertThat(service.cache().stats().missCount()).isEqualTo(2);
    }
}

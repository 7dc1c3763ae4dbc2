package io.npmgateway.packument;

import io.npmgateway.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.RouteTable;
import io.npmgateway.config.Secret;
import io.npmgateway.config.UpstreamAuth;
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
import io.npmgateway.upstream.UpstreamFailure;
import io.npmgateway.upstream.UpstreamHealth;
import io.npmgateway.upstream.credentials.FixedCredentials;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routes and policies through the packument service: which upstreams a name is looked up in, what stops a walk,
 * how a merge combines documents and how the merged document survives a restart and a partial revalidation. The
 * upstreams are scripted; their base paths tell them apart.
 */
class RoutedChainTest {
    private static final String CORP = "http://127.0.0.1:9/corp/";
    private static final String PUBLIC = "http://127.0.0.1:9/public/";
    private static final String CORP_TOKEN = "corp-upstream-token-1b7f";
    private static final CacheConfig CONFIG = new CacheConfig(Duration.ofMinutes(5), null, 16L << 20,
            Duration.ofSeconds(30), 16L << 20);
    private static final ObjectMapper JSON = new ObjectMapper();

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
        service = newService();
    }

    @AfterEach
    void stop() {
        metrics.close();
        store.close();
    }

    private PackumentService newService() {
        UpstreamConfig corp = UpstreamConfig.of("corp", CORP).withAuth(new UpstreamAuth.Bearer(Secret.of(CORP_TOKEN)));
        List<Upstream> upstreams = List.of(
                new Upstream(corp, transport, metrics, FixedCredentials.of(corp.auth()),
                        new UpstreamHealth(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))),
                new Upstream(UpstreamConfig.of("public", PUBLIC), transport, metrics));
        RouteTable routes = new RouteTable(List.of(
                new RouteConfig("@corp/*", List.of("corp")),
                new RouteConfig("merged-*", List.of("corp", "public"), RouteConfig.Policy.MERGE,
                        RouteConfig.Access.READ),
                new RouteConfig("*", List.of("corp", "public"))));
        PackumentRewriter rewriter = new PackumentRewriter("http://gateway.test/");
        return new PackumentService(new UpstreamChain(upstreams, routes), () -> rewriter, store.metadata(), CONFIG,
                clock, Runnable::run, metrics);
    }

    private static String path(String base, String name) {
        return java.net.URI.create(base).getRawPath() + name.replace("/", "%2f");
    }

    /** A packument whose versions say in their description which upstream built them. */
    private static byte[] doc(String name, String base, String tagsJson, String... versions) {
        String origin = base.equals(CORP) ? "corp" : "public";
        StringBuilder json = new StringBuilder("{\"_id\":\"" + name + "\",\"_rev\":\"7-" + origin + "\",\"name\":\""
                + name + "\",\"description\":\"from " + origin + "\",\"dist-tags\":" + tagsJson + ",\"versions\":{");
        StringBuilder time = new StringBuilder();
        for (int i = 0; i < versions.length; i++) {
            String v = versions[i];
            json.append(i == 0 ? "" : ",").append('"').append(v).append("\":{\"name\":\"").append(name)
                    .append("\",\"version\":\"").append(v).append("\",\"description\":\"").append(origin)
                    .append(" build\",\"dist\":{\"tarball\":\"").append(base).append(name).append("/-/")
                    .append(name.substring(name.indexOf('/') + 1)).append('-').append(v).append(".tgz\"}}");
            // Each upstream publishes on its own day of the month, so a merged time entry shows where it came from.
            time.append(",\"").append(v).append("\":\"2024-0").append(i + 2)
                    .append(origin.equals("corp") ? "-01" : "-15").append("T00:00:00.000Z\"");
        }
        String created = origin.equals("corp") ? "2023-06-01T00:00:00.000Z" : "2022-01-01T00:00:00.000Z";
        String modified = origin.equals("corp") ? "2024-09-01T00:00:00.000Z" : "2024-12-01T00:00:00.000Z";
        json.append("},\"time\":{\"created\":\"").append(created).append('"').append(time)
                .append(",\"modified\":\"").append(modified).append("\"}}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private PackumentLookup.Found found(CompletableFuture<PackumentLookup> f) throws Exception {
        PackumentLookup lookup = f.get(5, TimeUnit.SECONDS);
        assertThat(lookup).isInstanceOf(PackumentLookup.Found.class);
        return (PackumentLookup.Found) lookup;
    }

    private static UpstreamException upstreamFailure(CompletableFuture<PackumentLookup> f) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(f::join);
        assertThat(thrown).isInstanceOf(CompletionException.class).hasCauseInstanceOf(UpstreamException.class);
        return (UpstreamException) thrown.getCause();
    }

    @Test
    void aPrivateRoutesPackageIsNeverLookedUpOutsideItsRoute() throws Exception {
        PackageName name = PackageName.parse("@corp/tool");
        transport.ok(path(PUBLIC, "@corp/tool"), doc("@corp/tool", PUBLIC, "{\"latest\":\"99.0.0\"}", "99.0.0"),
                "\"p\"");
        assertThat(service.lookup(name).get(5, TimeUnit.SECONDS)).isInstanceOf(PackumentLookup.NotFound.class);
        assertThat(transport.callsTo(path(CORP, "@corp/tool"))).isEqualTo(1);
        assertThat(transport.callsTo(path(PUBLIC, "@corp/tool"))).isZero();
    }

    @Test
    void policyFirstMovesOnAfterA404AndTheServingUpstreamOwnsEveryVersion() throws Exception {
        PackageName name = PackageName.parse("left-pad");
        transport.ok(path(PUBLIC, "left-pad"), doc("left-pad", PUBLIC, "{\"latest\":\"1.1.0\"}", "1.0.0", "1.1.0"),
                "\"p\"");
        CachedPackument p = found(service.lookup(name)).packument();
        assertThat(p.upstreamId()).isEqualTo("public");
        assertThat(p.index().versions().values()).extracting(p::upstreamIdOf).containsOnly("public");
        // The corp upstream was asked first, with its credentials; the public one without any.
        assertThat(transport.headers.get(0)).containsEntry("Authorization", "Bearer " + CORP_TOKEN);
        assertThat(transport.headers.get(1)).doesNotContainKey("Authorization");
    }

    @Test
    void policyFirstStopsAtAnyFailureOtherThan404AndNamesTheFailingUpstream() throws Exception {
        transport.ok(path(PUBLIC, "left-pad"), doc("left-pad", PUBLIC, "{\"latest\":\"1.0.0\"}", "1.0.0"), "\"p\"");
        transport.status(path(CORP, "left-pad"), 503);
        UpstreamException e = upstreamFailure(service.lookup(PackageName.parse("left-pad")));
        assertThat(e.upstreamId()).isEqualTo("corp");
        assertThat(e.failure()).isEqualTo(UpstreamFailure.STATUS_5XX);

        transport.ok(path(PUBLIC, "right-pad"), doc("right-pad", PUBLIC, "{\"latest\":\"1.0.0\"}", "1.0.0"), "\"p\"");
        transport.status(path(CORP, "right-pad"), 401);
        e = upstreamFailure(service.lookup(PackageName.parse("right-pad")));
        assertThat(e.upstreamId()).isEqualTo("corp");
        assertThat(e.failure()).isEqualTo(UpstreamFailure.UNAUTHORIZED);
        assertThat(e.getMessage()).contains("upstream 'corp' refused the gateway's credentials").contains("401")
                .doesNotContain(CORP_TOKEN);

        transport.refuse(path(CORP, "up-pad"));
        transport.ok(path(PUBLIC, "up-pad"), doc("up-pad", PUBLIC, "{\"latest\":\"1.0.0\"}", "1.0.0"), "\"p\"");
        assertThat(upstreamFailure(service.lookup(PackageName.parse("up-pad"))).upstreamId()).isEqualTo("corp");

        assertThat(transport.callsTo(path(PUBLIC, "left-pad")) + transport.callsTo(path(PUBLIC, "right-pad"))
                + transport.callsTo(path(PUBLIC, "up-pad"))).as("no later upstream was asked").isZero();
    }

    @Test
    void policyFirstStopsAtATimeoutOfAnEarlierUpstreamAndNeverFallsThrough() throws Exception {
        transport.ok(path(PUBLIC, "slow-pad"), doc("slow-pad", PUBLIC, "{\"latest\":\"99.0.0\"}", "99.0.0"), "\"p\"");
        transport.answer(path(CORP, "slow-pad"), c -> CompletableFuture.failedFuture(
                new UpstreamException(c.upstreamId(), UpstreamFailure.TIMEOUT, "no data for 30 s")));

        UpstreamException e = upstreamFailure(service.lookup(PackageName.parse("slow-pad")));
        assertThat(e.upstreamId()).isEqualTo("corp");
        assertThat(e.failure()).isEqualTo(UpstreamFailure.TIMEOUT);
        assertThat(e.isTimeout()).isTrue();
        assertThat(transport.callsTo(path(CORP, "slow-pad"))).isEqualTo(1);
        assertThat(transport.callsTo(path(PUBLIC, "slow-pad"))).as("the later upstream was never asked").isZero();
    }

    @Test
    void aDownUpstreamIsSkippedFastUntilItsCoolDownEndsThenProbedOnce() throws Exception {
        for (String n : List.of("a-pkg", "b-pkg", "c-pkg")) {
            transport.refuse(path(CORP, n));
            upstreamFailure(service.lookup(PackageName.parse(n)));
        }
        long calls = transport.calls.size();
        transport.ok(path(CORP, "d-pkg"), doc("d-pkg", CORP, "{\"latest\":\"1.0.0\"}", "1.0.0"), "\"c\"");
        UpstreamException skipped = upstreamFailure(service.lookup(PackageName.parse("d-pkg")));
        assertThat(skipped.upstreamId()).isEqualTo("corp");
        assertThat(skipped.getMessage()).contains("not asked again for 30 s");
        assertThat(transport.calls).as("no request while cooling down").hasSize((int) calls);

        clock.advance(Duration.ofSeconds(30));
        assertThat(found(service.lookup(PackageName.parse("d-pkg"))).packument().upstreamId()).isEqualTo("corp");
        assertThat(transport.calls).hasSize((int) calls + 1);
    }

    @Test
    void policyMergeUnitesVersionsEarliestUpstreamWinsAndEachVersionKeepsItsUpstream() throws Exception {
        PackageName name = PackageName.parse("merged-lib");
        transport.ok(path(CORP, "merged-lib"), doc("merged-lib", CORP, "{\"latest\":\"1.1.0\"}", "1.0.0", "1.1.0"),
                "\"c1\"");
        transport.ok(path(PUBLIC, "merged-lib"), doc("merged-lib", PUBLIC,
                "{\"latest\":\"2.0.0\",\"next\":\"3.0.0-rc.1\"}", "1.0.0", "2.0.0", "3.0.0-rc.1"), "\"p1\"");
        CachedPackument p = found(service.lookup(name)).packument();

        JsonNode full = JSON.readTree(p.body(io.npmgateway.npm.PackumentRepresentation.FULL, false));
        assertThat(full.has("_rev")).as("_rev names one upstream's revision").isFalse();
        assertThat(full.get("description").asText()).isEqualTo("from corp");
        assertThat(iterable(full.get("versions").fieldNames())).containsExactly("1.0.0", "1.1.0", "2.0.0",
                "3.0.0-rc.1");
        assertThat(full.at("/versions/1.0.0/description").asText()).isEqualTo("corp build");
        assertThat(full.at("/versions/2.0.0/description").asText()).isEqualTo("public build");
        assertThat(full.at("/versions/2.0.0/dist/tarball").asText())
                .isEqualTo("http://gateway.test/merged-lib/-/merged-lib-2.0.0.tgz");
        assertThat(JSON.convertValue(full.get("dist-tags"), Map.class))
                .containsExactly(Map.entry("latest", "1.1.0"), Map.entry("next", "3.0.0-rc.1"));
        assertThat(full.at("/time/created").asText()).isEqualTo("2022-01-01T00:00:00.000Z");
        assertThat(full.at("/time/modified").asText()).isEqualTo("2024-12-01T00:00:00.000Z");
        // A version's time comes from the upstream its manifest came from.
        assertThat(full.at("/time/1.0.0").asText()).isEqualTo("2024-02-01T00:00:00.000Z");
        assertThat(full.at("/time/1.1.0").asText()).isEqualTo("2024-03-01T00:00:00.000Z");
        assertThat(full.at("/time/2.0.0").asText()).isEqualTo("2024-03-15T00:00:00.000Z");
        assertThat(iterable(full.get("time").fieldNames())).containsExactly("created", "1.0.0", "1.1.0",
                "modified", "2.0.0", "3.0.0-rc.1");
        assertThat(p.index().distTags()).containsEntry("latest", "1.1.0");
        assertThat(p.index().modified()).isEqualTo("2024-12-01T00:00:00.000Z");

        JsonNode corgi = JSON.readTree(p.body(io.npmgateway.npm.PackumentRepresentation.ABBREVIATED, false));
        assertThat(iterable(corgi.fieldNames())).containsExactly("name", "dist-tags", "versions", "modified");
        assertThat(iterable(corgi.get("versions").fieldNames())).containsExactly("1.0.0", "1.1.0", "2.0.0",
                "3.0.0-rc.1");
        assertThat(corgi.get("modified").asText()).isEqualTo("2024-12-01T00:00:00.000Z");

        assertThat(p.upstreamIdOf(p.index().versions().get("1.0.0"))).isEqualTo("corp");
        assertThat(p.upstreamIdOf(p.index().versions().get("2.0.0"))).isEqualTo("public");
        assertThat(p.index().versionForFile("merged-lib-3.0.0-rc.1.tgz")).hasValueSatisfying(d -> assertThat(
                d.upstreamTarballUrl()).isEqualTo(PUBLIC + "merged-lib/-/merged-lib-3.0.0-rc.1.tgz"));
        assertThat(p.origins()).extracting(CachedPackument.Origin::upstreamId).containsExactly("corp", "public");
    }

    @Test
    void aMergedDocumentIsRebuiltFromEachUpstreamsCopyOnDiskAndRevalidatedPerUpstream() throws Exception {
        PackageName name = PackageName.parse("merged-lib");
        transport.ok(path(CORP, "merged-lib"), doc("merged-lib", CORP, "{\"latest\":\"1.1.0\"}", "1.0.0", "1.1.0"),
                "\"c1\"");
        transport.ok(path(PUBLIC, "merged-lib"), doc("merged-lib", PUBLIC, "{\"latest\":\"2.0.0\"}", "2.0.0"),
                "\"p1\"");
        byte[] merged = found(service.lookup(name)).packument().body(io.npmgateway.npm.PackumentRepresentation.FULL, false);
        assertThat(store.metadata().get(PackumentService.diskKey(name, "corp"))).isPresent();
        assertThat(store.metadata().get(PackumentService.diskKey(name, "public"))).isPresent();

        service = newService(); // a restart: empty memory, same disk
        PackumentLookup.Found fromDisk = found(service.lookup(name));
        assertThat(fromDisk.outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(fromDisk.packument().body(io.npmgateway.npm.PackumentRepresentation.FULL, false)).isEqualTo(merged);
        assertThat(transport.calls).hasSize(2);

        // Later, corp is unchanged (304) and public has a new version: corp's document comes from disk.
        clock.advance(Duration.ofMinutes(6));
        transport.answer(path(CORP, "merged-lib"), c -> CompletableFuture.completedFuture(
                new DocumentResponse(304, "\"c1\"", null, new byte[0])));
        transport.ok(path(PUBLIC, "merged-lib"), doc("merged-lib", PUBLIC, "{\"latest\":\"2.1.0\"}", "2.0.0",
                "2.1.0"), "\"p2\"");
        PackumentLookup.Found again = found(service.lookup(name));
        assertThat(again.outcome()).isEqualTo(CacheOutcome.REVALIDATED);
        assertThat(again.packument().index().versions().keySet()).containsExactly("1.0.0", "1.1.0", "2.0.0",
                "2.1.0");
        assertThat(transport.headers.get(2)).containsEntry("If-None-Match", "\"c1\"");
        assertThat(transport.headers.get(3)).containsEntry("If-None-Match", "\"p1\"");
        assertThat(transport.calls).hasSize(4);
        assertThat(again.packument().origins()).extracting(CachedPackument.Origin::etag)
                .containsExactly("\"c1\"", "\"p2\"");

        // Then public fails: the merged copy is served stale rather than corp's half of it.
        clock.advance(Duration.ofMinutes(6));
        transport.refuse(path(PUBLIC, "merged-lib"));
        PackumentLookup.Found stale = found(service.lookup(name));
        assertThat(stale.outcome()).isEqualTo(CacheOutcome.STALE);
        assertThat(stale.packument().index().versions()).containsKey("2.1.0");
    }

    @Test
    void aMergeWithoutACachedCopyFailsWhenAnyOfItsUpstreamsFails() {
        transport.ok(path(CORP, "merged-x"), doc("merged-x", CORP, "{\"latest\":\"1.0.0\"}", "1.0.0"), "\"c\"");
        transport.status(path(PUBLIC, "merged-x"), 500);
        UpstreamException e = upstreamFailure(service.lookup(PackageName.parse("merged-x")));
        assertThat(e.upstreamId()).isEqualTo("public");
    }

    @Test
    void aNameNoRouteServesIsNotFound() throws Exception {
        UpstreamConfig only = UpstreamConfig.of("corp", CORP);
        PackumentRewriter rewriter = new PackumentRewriter("http://gateway.test/");
        service = new PackumentService(new UpstreamChain(List.of(new Upstream(only, transport, metrics)),
                new RouteTable(List.of(new RouteConfig("@corp/*", List.of("corp"))))), () -> rewriter,
                store.metadata(), CONFIG, clock, Runnable::run, metrics);
        assertThat(service.lookup(PackageName.parse("left-pad")).get(5, TimeUnit.SECONDS))
                .isInstanceOf(PackumentLookup.NotFound.class);
        assertThat(transport.calls).isEmpty();
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> list = new ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }
}

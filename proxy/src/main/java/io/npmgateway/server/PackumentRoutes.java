package io.npmgateway.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.npmgateway.metrics.Route;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.packument.CacheOutcome;
import io.npmgateway.packument.CachedPackument;
import io.npmgateway.packument.PackumentLookup;
import io.npmgateway.packument.PackumentService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The metadata routes: the packument (full or abbreviated, gzip or not, with ETag and 304), one version's
 * manifest, and the dist-tags object. Each is answered from a {@link CachedPackument}: stored bytes, no JSON work.
 */
final class PackumentRoutes {
    static final String CACHE_HEADER = "X-Npm-Gateway-Cache";
    private static final String VARY = "Accept, Accept-Encoding";
    private static final String CACHE_CONTROL = "public, max-age=300";

    private final PackumentService service;

    PackumentRoutes(PackumentService service) {
        this.service = service;
    }

    void packument(Exchange ex, PackageName name) {
        ex.describe(Route.PACKUMENT, io.npmgateway.metrics.CacheOutcome.NONE, null);
        service.lookup(name).whenComplete((lookup, error) -> {
            if (error != null) {
                Failures.respond(ex, error, "the packument of " + name);
            } else if (lookup instanceof PackumentLookup.NotFound) {
                ex.error(HttpResponseStatus.NOT_FOUND, "package " + name + " not found in any upstream");
            } else {
                PackumentLookup.Found found = (PackumentLookup.Found) lookup;
                sendPackument(ex, name, found.packument(), found.outcome());
            }
        });
    }

    /** The metrics' name for how the cache took part. */
    static io.npmgateway.metrics.CacheOutcome metric(CacheOutcome outcome) {
        switch (outcome) {
            case HIT: return io.npmgateway.metrics.CacheOutcome.HIT;
            case MISS: return io.npmgateway.metrics.CacheOutcome.MISS;
            case STALE: return io.npmgateway.metrics.CacheOutcome.STALE;
            default: return io.npmgateway.metrics.CacheOutcome.REVALIDATED;
        }
    }

    private void sendPackument(Exchange ex, PackageName name, CachedPackument p, CacheOutcome outcome) {
        PackumentRepresentation representation = PackumentRepresentation.negotiate(ex.header(HttpHeaderNames.ACCEPT));
        ex.describe(representation == PackumentRepresentation.ABBREVIATED ? Route.ABBREVIATED : Route.PACKUMENT,
                metric(outcome), p.upstreamId());
        String etag = p.etag(representation);
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.ETAG, etag);
        headers.set(HttpHeaderNames.VARY, VARY);
        headers.set(HttpHeaderNames.CACHE_CONTROL, CACHE_CONTROL);
        if (p.lastModifiedHttp() != null) {
            headers.set(HttpHeaderNames.LAST_MODIFIED, p.lastModifiedHttp());
        }
        headers.set(CACHE_HEADER, outcome.label());
        if (EntityTags.matches(ex.header(HttpHeaderNames.IF_NONE_MATCH), etag)) {
            ex.empty(HttpResponseStatus.NOT_MODIFIED, headers);
            return;
        }
        CachedPackument.Served served = service.serve(name, p, representation, ex.acceptsGzip());
        headers.set(HttpHeaderNames.CONTENT_TYPE, representation.contentType());
        if (served.gzip()) {
            headers.set(HttpHeaderNames.CONTENT_ENCODING, "gzip");
        }
        ex.shared(HttpResponseStatus.OK, headers, served.bytes());
    }

    void version(Exchange ex, PackageName name, String selector) {
        ex.describe(Route.VERSION, io.npmgateway.metrics.CacheOutcome.NONE, null);
        withVersion(ex, name, selector).whenComplete((answer, error) -> {
            if (error != null) {
                Failures.respond(ex, error, name + "@" + selector);
            } else if (answer.manifest().isEmpty()) {
                ex.error(HttpResponseStatus.NOT_FOUND, "version or tag '" + selector + "' of " + name
                        + " not found");
            } else {
                HttpHeaders headers = new DefaultHttpHeaders();
                headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                headers.set(HttpHeaderNames.CACHE_CONTROL, CACHE_CONTROL);
                headers.set(CACHE_HEADER, answer.outcome().label());
                ex.bytes(HttpResponseStatus.OK, headers, answer.manifest().get());
            }
        });
    }

    /** A version's manifest (empty when the document has no such version or tag) and how the cache produced it. */
    private record VersionAnswer(Optional<byte[]> manifest, CacheOutcome outcome) {
        static final VersionAnswer NONE = new VersionAnswer(Optional.empty(), CacheOutcome.MISS);
    }

    /** The manifest for a version or tag, refreshing once from upstream when the cached copy lacks it. */
    private CompletableFuture<VersionAnswer> withVersion(Exchange ex, PackageName name, String selector) {
        return service.lookup(name).thenCompose(lookup -> {
            if (!(lookup instanceof PackumentLookup.Found found)) {
                return CompletableFuture.completedFuture(VersionAnswer.NONE);
            }
            CachedPackument p = found.packument();
            ex.describe(Route.VERSION, metric(found.outcome()), p.upstreamId());
            Optional<byte[]> manifest = manifest(name, p, selector);
            if (manifest.isPresent() || found.outcome() != CacheOutcome.HIT) {
                return CompletableFuture.completedFuture(new VersionAnswer(manifest, found.outcome()));
            }
            return service.refreshForMissing(name, p).thenApply(again -> {
                if (!(again instanceof PackumentLookup.Found refreshed)) {
                    return VersionAnswer.NONE;
                }
                // The response is what the refresh produced (revalidated, or stale if the upstream failed).
                ex.describe(Route.VERSION, metric(refreshed.outcome()), refreshed.packument().upstreamId());
                return new VersionAnswer(manifest(name, refreshed.packument(), selector), refreshed.outcome());
            });
        });
    }

    private Optional<byte[]> manifest(PackageName name, CachedPackument p, String selector) {
        String version = p.index().distTags().getOrDefault(selector, selector);
        return service.versionManifest(name, p, version);
    }

    void distTags(Exchange ex, PackageName name) {
        ex.describe(Route.DIST_TAGS, io.npmgateway.metrics.CacheOutcome.NONE, null);
        service.lookup(name).whenComplete((lookup, error) -> {
            if (lookup instanceof PackumentLookup.Found) {
                PackumentLookup.Found f = (PackumentLookup.Found) lookup;
                ex.describe(Route.DIST_TAGS, metric(f.outcome()), f.packument().upstreamId());
            }
            if (error != null) {
                Failures.respond(ex, error, "the dist-tags of " + name);
            } else if (lookup instanceof PackumentLookup.NotFound) {
                ex.error(HttpResponseStatus.NOT_FOUND, "package " + name + " not found in any upstream");
            } else {
                Map<String, String> tags = new LinkedHashMap<>(
                        ((PackumentLookup.Found) lookup).packument().index().distTags());
                HttpHeaders headers = new DefaultHttpHeaders();
                headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
                headers.set(CACHE_HEADER, ((PackumentLookup.Found) lookup).outcome().label());
                ex.bytes(HttpResponseStatus.OK, headers, Json.object(tags));
            }
        });
    }
}

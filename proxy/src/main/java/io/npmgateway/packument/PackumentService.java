package io.npmgateway.packument;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.metrics.FetchKind;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.MalformedPackumentException;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.npm.RewrittenPackument;
import io.npmgateway.storage.MetadataStore;
import io.npmgateway.storage.StoredDocument;
import io.npmgateway.upstream.UpstreamChain;
import io.npmgateway.upstream.UpstreamChain.PackumentFetch;
import io.npmgateway.upstream.UpstreamException;
import io.npmgateway.upstream.UpstreamFailure;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The metadata cache, in two tiers: rewritten documents in memory (Caffeine, bounded by bytes) over the upstream
 * documents and their validators on disk ({@link MetadataStore}, so a restart keeps them). It answers packument
 * lookups from memory while they are fresh, revalidates them upstream
 * (conditionally) when they are not, serves them stale when every upstream fails, remembers "not found" briefly,
 * and makes one upstream request for any number of concurrent lookups of one package.
 *
 * <p>Sits between the packument, version and tarball routes and the {@link UpstreamChain}. Rewriting and
 * encoding a fetched document runs on the given executor, never on an event loop. The rewriter is supplied
 * lazily because the public URL it writes may be known only once the server has bound its port.
 */
public final class PackumentService {
    /** A forced refresh for a missing version or tag is not repeated within this window. */
    static final long MISSING_VERSION_REFRESH_INTERVAL_MILLIS = 10_000;

    private final UpstreamChain chain;
    private final Supplier<PackumentRewriter> rewriter;
    private final MetadataStore disk;
    private final GatewayMetrics metrics;
    private final CacheConfig config;
    private final Clock clock;
    private final Executor rewriteExecutor;
    private final Cache<PackageName, CachedPackument> documents;
    private final Cache<PackageName, Boolean> notFound;
    private final ConcurrentHashMap<PackageName, CompletableFuture<PackumentLookup>> inFlight =
            new ConcurrentHashMap<>();

    public PackumentService(UpstreamChain chain, Supplier<PackumentRewriter> rewriter, MetadataStore disk,
            CacheConfig config, Clock clock, Executor rewriteExecutor, GatewayMetrics metrics) {
        this.chain = chain;
        this.rewriter = rewriter;
        this.disk = disk;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
        this.rewriteExecutor = rewriteExecutor;
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.documents = Caffeine.newBuilder()
                .maximumWeight(config.metadataMaxMemory())
                .weigher((PackageName k, CachedPackument v) -> v.weight())
                .recordStats()
                .build();
        this.notFound = Caffeine.newBuilder()
                .ticker(ticker)
                .expireAfterWrite(config.negativeTtl())
                .maximumSize(100_000)
                .build();
    }

    /** The packument, from memory when fresh, else from upstream (coalesced with concurrent lookups). */
    public CompletableFuture<PackumentLookup> lookup(PackageName name) {
        CachedPackument cached = documents.getIfPresent(name);
        if (cached != null && isFresh(cached)) {
            return CompletableFuture.completedFuture(new PackumentLookup.Found(cached, CacheOutcome.HIT));
        }
        if (cached == null && notFound.getIfPresent(name) != null) {
            return CompletableFuture.completedFuture(new PackumentLookup.NotFound());
        }
        return refresh(name);
    }

    /**
     * Looks again upstream because a client asked for a version or tag the cached copy lacks (it may have been
     * published a moment ago). Rate-limited per package: a copy fetched within the last few seconds is trusted.
     */
    public CompletableFuture<PackumentLookup> refreshForMissing(PackageName name, CachedPackument current) {
        if (clock.millis() - current.fetchedAtMillis() < MISSING_VERSION_REFRESH_INTERVAL_MILLIS) {
            return CompletableFuture.completedFuture(new PackumentLookup.Found(current, CacheOutcome.HIT));
        }
        return refresh(name);
    }

    /** Drops a package's cached document (after a publish, or by an operator). */
    public void invalidate(PackageName name) {
        documents.invalidate(name);
        notFound.invalidate(name);
        disk.delete(name.toString());
    }

    public Cache<PackageName, CachedPackument> cache() {
        return documents;
    }

    private boolean isFresh(CachedPackument p) {
        return clock.millis() - p.fetchedAtMillis() < config.metadataMaxAge().toMillis();
    }

    private CompletableFuture<PackumentLookup> refresh(PackageName name) {
        CompletableFuture<PackumentLookup> mine = new CompletableFuture<>();
        CompletableFuture<PackumentLookup> existing = inFlight.putIfAbsent(name, mine);
        if (existing != null) {
            metrics.coalesced(FetchKind.PACKUMENT);
            return existing;
        }
        CachedPackument inMemory = documents.getIfPresent(name);
        CompletableFuture<PackumentLookup> work = inMemory != null ? fetch(name, inMemory)
                : CompletableFuture.supplyAsync(() -> fromDisk(name), rewriteExecutor).thenCompose(onDisk -> {
                    if (onDisk != null && isFresh(onDisk)) {
                        documents.put(name, onDisk);
                        return CompletableFuture.completedFuture(
                                (PackumentLookup) new PackumentLookup.Found(onDisk, CacheOutcome.HIT));
                    }
                    return fetch(name, onDisk);
                });
        work.whenComplete((result, error) -> {
            inFlight.remove(name, mine);
            if (error != null) {
                mine.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            } else {
                mine.complete(result);
            }
        });
        return mine;
    }

    /** The copy kept on disk, rewritten for serving; null when there is none or it is no longer usable. */
    private CachedPackument fromDisk(PackageName name) {
        StoredDocument stored = disk.get(name.toString()).orElse(null);
        if (stored == null || chain.byId(stored.upstreamId()).isEmpty()) {
            return null;
        }
        try {
            RewrittenPackument rewritten = rewriter.get().rewrite(name, stored.body());
            return CachedPackument.encode(rewritten, stored.upstreamId(), stored.etag(), stored.lastModified(),
                    stored.fetchedAtMillis());
        } catch (MalformedPackumentException e) {
            disk.delete(name.toString());
            return null;
        }
    }

    private CompletableFuture<PackumentLookup> fetch(PackageName name, CachedPackument previous) {
        UpstreamChain.Validators validators = previous == null ? null
                : new UpstreamChain.Validators(previous.upstreamId(), previous.upstreamEtag(),
                        previous.upstreamLastModified());
        return chain.fetchPackument(name, validators, config.maxPackumentBytes())
                .thenComposeAsync(fetch -> onFetched(name, previous, fetch), rewriteExecutor)
                .exceptionally(error -> {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    if (previous != null && cause instanceof UpstreamException && withinMaxStale(previous)) {
                        // Keep serving it from memory (a copy read from disk would otherwise be re-read and
                        // re-rewritten on every request while the upstream is down).
                        documents.asMap().putIfAbsent(name, previous);
                        metrics.staleServed();
                        return new PackumentLookup.Found(previous, CacheOutcome.STALE);
                    }
                    throw cause instanceof RuntimeException ? (RuntimeException) cause : new CompletionException(cause);
                });
    }

    private CompletableFuture<PackumentLookup> onFetched(PackageName name, CachedPackument previous,
            PackumentFetch fetch) {
        long now = clock.millis();
        if (fetch instanceof PackumentFetch.NotModified) {
            PackumentFetch.NotModified nm = (PackumentFetch.NotModified) fetch;
            CachedPackument renewed = previous.renewed(now, nm.response().etag(), nm.response().lastModified());
            documents.put(name, renewed);
            disk.markRevalidated(name.toString(), renewed.upstreamEtag(), renewed.upstreamLastModified(), now);
            return CompletableFuture.completedFuture(new PackumentLookup.Found(renewed, CacheOutcome.REVALIDATED));
        }
        if (fetch instanceof PackumentFetch.NotFound) {
            documents.invalidate(name);
            disk.delete(name.toString());
            notFound.put(name, Boolean.TRUE);
            return CompletableFuture.completedFuture(new PackumentLookup.NotFound());
        }
        PackumentFetch.Fetched fetched = (PackumentFetch.Fetched) fetch;
        RewrittenPackument rewritten;
        try {
            rewritten = rewriter.get().rewrite(name, fetched.response().body());
        } catch (MalformedPackumentException e) {
            throw new UpstreamException(fetched.upstreamId(), UpstreamFailure.INVALID,
                    "packument of " + name + " is not usable: " + e.getMessage());
        }
        CachedPackument encoded = CachedPackument.encode(rewritten, fetched.upstreamId(),
                fetched.response().etag(), fetched.response().lastModified(), now);
        documents.put(name, encoded);
        notFound.invalidate(name);
        disk.put(name.toString(), new StoredDocument(fetched.response().body(), fetched.response().etag(),
                fetched.response().lastModified(), now, fetched.upstreamId()));
        return CompletableFuture.completedFuture(new PackumentLookup.Found(encoded,
                previous == null ? CacheOutcome.MISS : CacheOutcome.REVALIDATED));
    }

    private boolean withinMaxStale(CachedPackument p) {
        if (config.metadataMaxStale() == null) {
            return true;
        }
        long age = clock.millis() - p.fetchedAtMillis();
        return age < config.metadataMaxAge().toMillis() + config.metadataMaxStale().toMillis();
    }
}

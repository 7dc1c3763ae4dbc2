package io.npmgateway.packument;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.ConcurrentStatsCounter;
import com.github.benmanes.caffeine.cache.stats.StatsCounter;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.metrics.FetchKind;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.MalformedPackumentException;
import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentMerger;
import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.npm.RewrittenPackument;
import io.npmgateway.storage.MetadataStore;
import io.npmgateway.storage.StoreException;
import io.npmgateway.storage.StoredDocument;
import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamChain;
import io.npmgateway.upstream.UpstreamChain.Answer;
import io.npmgateway.upstream.UpstreamChain.PackumentFetch;
import io.npmgateway.upstream.UpstreamException;
import io.npmgateway.upstream.UpstreamFailure;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata cache, in two tiers: rewritten documents in memory (Caffeine, bounded by bytes) over the upstream
 * documents and their validators on disk ({@link MetadataStore}, so a restart keeps them). It answers packument
 * lookups from memory while they are fresh, revalidates them upstream
 * (conditionally) when they are not, serves them stale when the upstreams fail, remembers "not found" briefly,
 * and makes one upstream request for any number of concurrent lookups of one package.
 *
 * <p>Sits between the packument, version and tarball routes and the {@link UpstreamChain}. Rewriting and
 * encoding a fetched document runs on the given executor, never on an event loop. The rewriter is supplied
 * lazily because the public URL it writes may be known only once the server has bound its port.
 *
 * <p><b>The disk tier keeps each upstream's own document</b>, under {@link #diskKey(PackageName, String)}
 * ({@code <name> NUL <upstream id>}), never a merged one: a merged document is rebuilt from its inputs, so when only
 * one upstream of a {@code merge} route changed, the others' documents are taken from disk instead of being
 * fetched again, and each input keeps its own validators for conditional requests. After a restart the document is
 * rebuilt from the keys of the upstreams of the package's <em>current</em> route only (a route that moved a scope
 * to a private upstream never serves a copy fetched from a public one). Keys start with the package name so a
 * purge of a package is one prefix deletion.
 *
 * <p><b>Writes win over reads under way.</b> A fetch that started before a write (publish, deprecate) may bring the
 * pre-write document after the write dropped the cached one; caching it then would hide the new version until the
 * copy went stale. So {@link #invalidate} bumps the package's write generation, and a fetch stores what it got (in
 * memory, on disk, or as "not found") only if the generation it started with is still current; lookups after the
 * write start a fetch of their own instead of joining the older one.
 */
public final class PackumentService {
    private static final Logger LOG = LoggerFactory.getLogger(PackumentService.class);
    /**
     * Documents at least this large are answered before their gzip is made (~100 ms for 10 MB on one core), so the
     * client that caused the fetch does not wait for it; smaller ones gzip in a few milliseconds, before answering,
     * so even the first gzip client gets gzip.
     */
    static final int DEFER_GZIP_ABOVE = 1024 * 1024;
    /** Separates the package name from the upstream id in disk keys; never part of either. */
    static final char KEY_SEPARATOR = '\u0000';

    private final UpstreamChain chain;
    private final Supplier<PackumentRewriter> rewriter;
    private final MetadataStore disk;
    private final GatewayMetrics metrics;
    private final CacheConfig config;
    private final Clock clock;
    private final Executor rewriteExecutor;
    private final Cache<PackageName, CachedPackument> documents;
    /**
     * The memory tier's hit and miss counts, kept by hand: a read through {@code getIfPresent} would count an old
     * (not fresh) copy as a hit and count a miss twice (once in {@link #lookup}, once in {@link #refresh}). A hit is
     * a lookup answered from memory without asking upstream; anything else is a miss.
     */
    private final StatsCounter stats = new ConcurrentStatsCounter();
    private final Cache<PackageName, Boolean> notFound;
    private volatile Oversized oversized;
    private final ConcurrentHashMap<PackageName, CompletableFuture<PackumentLookup>> inFlight =
            new ConcurrentHashMap<>();
    /**
     * Write generations, striped by name so no entry is kept per package: two names sharing a stripe only means a
     * write to one keeps a fetch of the other from being cached once.
     */
    private final AtomicLongArray writeGenerations = new AtomicLongArray(GENERATION_STRIPES);
    static final int GENERATION_STRIPES = 4096;

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
                .recordStats(() -> stats)
                .build();
        this.notFound = Caffeine.newBuilder()
                .ticker(ticker)
                .expireAfterWrite(config.negativeTtl())
                .maximumSize(100_000)
                .build();
    }

    /** Where the disk tier keeps the document {@code upstreamId} served for {@code name}. */
    public static String diskKey(PackageName name, String upstreamId) {
        return name.toString() + KEY_SEPARATOR + upstreamId;
    }

    /** The packument, from memory when fresh, else from upstream (coalesced with concurrent lookups). */
    public CompletableFuture<PackumentLookup> lookup(PackageName name) {
        CachedPackument cached = inMemory(name);
        if (cached != null && isFresh(cached)) {
            stats.recordHits(1);
            return CompletableFuture.completedFuture(new PackumentLookup.Found(cached, CacheOutcome.HIT));
        }
        stats.recordMisses(1);
        if (cached == null && notFound.getIfPresent(name) != null) {
            return CompletableFuture.completedFuture(new PackumentLookup.NotFound());
        }
        return refresh(name, answered -> !isFresh(answered));
    }

    /**
     * Looks again upstream because a client asked for a version or tag the cached copy lacks (it may have been
     * published a moment ago). Rate-limited per package: a copy fetched (or revalidated) within
     * {@code cache.metadata.missingVersionRefreshInterval} is trusted, so clients asking for versions that do not
     * exist cannot make every request an upstream request.
     */
    public CompletableFuture<PackumentLookup> refreshForMissing(PackageName name, CachedPackument current) {
        if (clock.millis() - current.fetchedAtMillis() < config.missingVersionRefreshInterval().toMillis()) {
            return CompletableFuture.completedFuture(new PackumentLookup.Found(current, CacheOutcome.HIT));
        }
        // The fetch that brought this very copy may have answered and still be storing it (only possible with a
        // refresh interval shorter than that tail, e.g. zero): nothing was asked upstream since, so it is not joined.
        return refresh(name, answered -> answered == current);
    }

    /**
     * Drops a package's cached document (after a publish, or by an operator); a fetch already under way will not
     * cache what it brings (see the class comment).
     */
    public void invalidate(PackageName name) {
        writeGenerations.incrementAndGet(stripe(name));
        inFlight.remove(name);
        documents.invalidate(name);
        forgetOversized(name);
        notFound.invalidate(name);
        deleteFromDisk(name);
    }

    public Cache<PackageName, CachedPackument> cache() {
        return documents;
    }

    /**
     * The bytes of one response for {@code p}, a document this service looked up for {@code name}. When they are
     * identity bytes inflated again for a client without gzip, the document now holds more, and the cache weighs
     * it again.
     */
    public CachedPackument.Served serve(PackageName name, CachedPackument p, PackumentRepresentation representation,
            boolean acceptsGzip) {
        return weighedAfter(name, p, () -> p.served(representation, acceptsGzip));
    }

    /**
     * The manifest of one version of {@code p}, a document this service looked up for {@code name}; the cache weighs
     * the document again when it keeps the manifest.
     */
    public Optional<byte[]> versionManifest(PackageName name, CachedPackument p, String version) {
        return weighedAfter(name, p, () -> p.versionManifest(version));
    }

    /** Runs something that may make {@code p} hold more, and has the cache weigh it again if it does. */
    private <T> T weighedAfter(PackageName name, CachedPackument p, Supplier<T> use) {
        int before = p.weight();
        T result = use.get();
        if (p.weight() != before) {
            reweigh(name, p);
        }
        return result;
    }

    /** Has the cache weigh {@code p} again if it still holds it (Caffeine weighs an entry when it is written). */
    private void reweigh(PackageName name, CachedPackument p) {
        documents.asMap().replace(name, p, p);
    }

    private static int stripe(PackageName name) {
        return Math.floorMod(name.hashCode(), GENERATION_STRIPES);
    }

    private long generation(PackageName name) {
        return writeGenerations.get(stripe(name));
    }

    /** Whether a write dropped the package since a fetch read {@code generation}: what it brings is not cached. */
    private boolean overtaken(PackageName name, long generation) {
        return generation(name) != generation;
    }

    /** Caches a document unless a write overtook the fetch that brought it (checked again after, for a write between). */
    private void cache(PackageName name, CachedPackument document, long generation) {
        if (overtaken(name, generation)) {
            return;
        }
        if (document.weight() > config.metadataMaxMemory()) {
            documents.invalidate(name);
            oversized = new Oversized(name, document);
        } else {
            forgetOversized(name);
            documents.put(name, document);
        }
        if (overtaken(name, generation)) {
            documents.asMap().remove(name, document);
            forgetOversized(name);
        }
    }

    /** The failure itself rather than the CompletionException a future stage wrapped it in. */
    private static Throwable unwrapped(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** The cached document of {@code name}, from the cache or the oversized slot, or null. */
    private CachedPackument inMemory(PackageName name) {
        // asMap().get: updates the eviction policy like getIfPresent, but records no statistics (see stats).
        CachedPackument cached = documents.asMap().get(name);
        if (cached != null) {
            return cached;
        }
        Oversized slot = oversized;
        return slot != null && slot.name().equals(name) ? slot.document() : null;
    }

    private void forgetOversized(PackageName name) {
        Oversized slot = oversized;
        if (slot != null && slot.name().equals(name)) {
            oversized = null;
        }
    }

    /**
     * The latest document heavier than the whole cache ({@code cache.metadata.maxMemory}). Caffeine would evict it
     * as soon as it was put, and every request for it would then read and rewrite it again from disk: seconds for a
     * 40 MB document, with a second copy on the heap while the first is still being sent. One such document is kept
     * here instead, beside the cache; the next one replaces it.
     */
    private record Oversized(PackageName name, CachedPackument document) {
    }

    private boolean isFresh(CachedPackument p) {
        return clock.millis() - p.fetchedAtMillis() < config.metadataMaxAge().toMillis();
    }

    private void deleteFromDisk(PackageName name) {
        disk.deleteByPrefix(name.toString() + KEY_SEPARATOR);
        // Written by gateways before documents were kept per upstream.
        disk.delete(name.toString());
    }

    /**
     * Fetches the document, or joins the fetch already under way. A fetch that has answered but is still gzipping
     * and storing its copy stays registered for a moment: when {@code notGoodEnough} rejects the copy it answered
     * with (past max-age, say zero), joining it would serve a copy this request was meant to replace, so the request
     * asks upstream beside it.
     */
    private CompletableFuture<PackumentLookup> refresh(PackageName name,
            Predicate<CachedPackument> notGoodEnough) {
        CompletableFuture<PackumentLookup> mine = new CompletableFuture<>();
        CompletableFuture<PackumentLookup> existing = inFlight.putIfAbsent(name, mine);
        if (existing != null) {
            CachedPackument answered = answeredCopy(existing);
            if (answered != null && notGoodEnough.test(answered)) {
                return fetchBeside(name, answered);
            }
            metrics.coalesced(FetchKind.PACKUMENT);
            return existing;
        }
        long generation = generation(name);
        CachedPackument inMemory = inMemory(name);
        CompletableFuture<PackumentLookup> work = inMemory != null ? fetch(name, inMemory, generation, mine)
                : CompletableFuture.supplyAsync(() -> fromDisk(name), rewriteExecutor).thenCompose(onDisk -> {
                    if (onDisk != null && isFresh(onDisk)) {
                        cache(name, onDisk, generation);
                        return CompletableFuture.completedFuture(
                                (PackumentLookup) new PackumentLookup.Found(onDisk, CacheOutcome.HIT));
                    }
                    return fetch(name, onDisk, generation, mine);
                });
        work.whenComplete((result, error) -> {
            inFlight.remove(name, mine);
            if (error != null) {
                mine.completeExceptionally(unwrapped(error));
            } else {
                mine.complete(result);
            }
        });
        return mine;
    }

    /** The copy a fetch has already answered with, or null when it has not (or answered otherwise). */
    private static CachedPackument answeredCopy(CompletableFuture<PackumentLookup> fetch) {
        if (!fetch.isDone() || fetch.isCompletedExceptionally()) {
            return null;
        }
        return fetch.join() instanceof PackumentLookup.Found found ? found.packument() : null;
    }

    /** A fetch outside {@link #inFlight}, for a request that must not join the one registered there. */
    private CompletableFuture<PackumentLookup> fetchBeside(PackageName name, CachedPackument previous) {
        CompletableFuture<PackumentLookup> answer = new CompletableFuture<>();
        fetch(name, previous, generation(name), answer).whenComplete((result, error) -> {
            if (error != null) {
                answer.completeExceptionally(unwrapped(error));
            } else {
                answer.complete(result);
            }
        });
        return answer;
    }

    /**
     * The copy kept on disk, rebuilt for serving from the documents of the upstreams of the package's current route:
     * the first that has one (policy first) or all that have one (merge). Null when there is none usable.
     */
    private CachedPackument fromDisk(PackageName name) {
        Optional<RouteConfig> route = chain.route(name);
        if (route.isEmpty()) {
            return null;
        }
        boolean merge = route.get().policy() == RouteConfig.Policy.MERGE;
        List<StoredDocument> stored = new ArrayList<>();
        for (Upstream upstream : chain.upstreamsFor(name)) {
            Optional<StoredDocument> doc = disk.get(diskKey(name, upstream.id()));
            if (doc.isPresent()) {
                stored.add(doc.get());
                if (!merge) {
                    break;
                }
            }
        }
        if (stored.isEmpty()) {
            // A copy from before documents were kept per upstream: usable if its upstream serves this route.
            Optional<StoredDocument> legacy = disk.get(name.toString());
            if (legacy.isEmpty() || !route.get().upstreamIds().contains(legacy.get().upstreamId())) {
                return null;
            }
            stored.add(legacy.get());
        }
        List<RewrittenPackument> rewritten = new ArrayList<>();
        List<CachedPackument.Origin> origins = new ArrayList<>();
        long fetchedAt = Long.MAX_VALUE;
        for (StoredDocument doc : stored) {
            try {
                rewritten.add(rewriter.get().rewrite(name, doc.upstreamId(), doc.body()));
            } catch (MalformedPackumentException e) {
                disk.delete(diskKey(name, doc.upstreamId()));
                return null;
            }
            origins.add(new CachedPackument.Origin(doc.upstreamId(), doc.etag(), doc.lastModified()));
            fetchedAt = Math.min(fetchedAt, doc.fetchedAtMillis());
        }
        return CachedPackument.encode(PackumentMerger.merge(name, rewritten), origins, fetchedAt).prepareGzip();
    }

    /**
     * Fetches (conditionally, when there is a previous copy) and caches the document. {@code answer} is completed as
     * soon as the document can be served; the gzip encodings and the disk write follow on the same thread, and the
     * returned future completes after them, so the fetch stays in flight (and later fetches of the package wait)
     * until its copy is on disk: writes of one package to disk keep their order.
     */
    private CompletableFuture<PackumentLookup> fetch(PackageName name, CachedPackument previous, long generation,
            CompletableFuture<PackumentLookup> answer) {
        Map<String, UpstreamChain.Validators> validators = new HashMap<>();
        if (previous != null) {
            for (CachedPackument.Origin o : previous.origins()) {
                validators.put(o.upstreamId(), new UpstreamChain.Validators(o.upstreamId(), o.etag(),
                        o.lastModified()));
            }
        }
        return chain.fetchPackument(name, validators, config.maxPackumentBytes())
                .thenComposeAsync(fetch -> onFetched(name, previous, fetch, generation, answer), rewriteExecutor)
                .exceptionally(error -> {
                    Throwable cause = unwrapped(error);
                    if (previous != null && cause instanceof UpstreamException && withinMaxStale(previous)) {
                        // Keep serving it from memory (a copy read from disk would otherwise be re-read and
                        // re-rewritten on every request while the upstream is down).
                        if (!overtaken(name, generation) && inMemory(name) == null) {
                            cache(name, previous, generation);
                        }
                        metrics.staleServed();
                        return new PackumentLookup.Found(previous, CacheOutcome.STALE);
                    }
                    throw cause instanceof RuntimeException ? (RuntimeException) cause : new CompletionException(cause);
                });
    }

    private CompletableFuture<PackumentLookup> onFetched(PackageName name, CachedPackument previous,
            PackumentFetch fetch, long generation, CompletableFuture<PackumentLookup> answer) {
        long now = clock.millis();
        if (fetch instanceof PackumentFetch.NotFound) {
            documents.invalidate(name);
            forgetOversized(name);
            onDisk(name, "forget", () -> deleteFromDisk(name));
            if (!overtaken(name, generation)) {
                // A first publish may have just created it: "not found" from before it must not stick.
                notFound.put(name, Boolean.TRUE);
                if (overtaken(name, generation)) {
                    notFound.invalidate(name);
                }
            }
            return CompletableFuture.completedFuture(new PackumentLookup.NotFound());
        }
        List<Answer> answers = ((PackumentFetch.Fetched) fetch).answers();
        if (previous != null && answers.stream().allMatch(Answer::notModified)
                && ids(answers).equals(previous.origins().stream().map(CachedPackument.Origin::upstreamId).toList())) {
            // Every input is unchanged: the cached document is current.
            List<CachedPackument.Origin> revalidated = new ArrayList<>();
            for (int i = 0; i < answers.size(); i++) {
                Answer a = answers.get(i);
                CachedPackument.Origin o = previous.origins().get(i).revalidated(a.response().etag(),
                        a.response().lastModified());
                revalidated.add(o);
                if (!overtaken(name, generation)) {
                    onDisk(name, "revalidate", () -> disk.markRevalidated(diskKey(name, o.upstreamId()), o.etag(),
                            o.lastModified(), now));
                }
            }
            CachedPackument renewed = previous.renewed(now, revalidated);
            cache(name, renewed, generation);
            return CompletableFuture.completedFuture(new PackumentLookup.Found(renewed, CacheOutcome.REVALIDATED));
        }
        return bodies(name, previous, answers).thenApplyAsync(inputs -> {
            List<RewrittenPackument> rewritten = new ArrayList<>();
            List<CachedPackument.Origin> origins = new ArrayList<>();
            for (Input input : inputs) {
                try {
                    rewritten.add(rewriter.get().rewrite(name, input.origin().upstreamId(), input.body()));
                } catch (MalformedPackumentException e) {
                    throw new UpstreamException(input.origin().upstreamId(), UpstreamFailure.INVALID,
                            "packument of " + name + " is not usable: " + e.getMessage());
                }
                origins.add(input.origin());
            }
            CachedPackument encoded = CachedPackument.encode(PackumentMerger.merge(name, rewritten), origins, now);
            PackumentLookup found = new PackumentLookup.Found(encoded,
                    previous == null ? CacheOutcome.MISS : CacheOutcome.REVALIDATED);
            boolean small = encoded.identityLength(PackumentRepresentation.FULL) < DEFER_GZIP_ABOVE;
            if (small) {
                encoded.prepareGzip();
            }
            boolean current = !overtaken(name, generation);
            if (current) {
                cache(name, encoded, generation);
                notFound.invalidate(name);
            }
            answer.complete(found);
            if (!small) {
                encoded.prepareGzip();
                // Now kept as gzip only: a fraction of what the cache weighed it at.
                reweigh(name, encoded);
            }
            if (current && !overtaken(name, generation)) {
                onDisk(name, "store", () -> store(name, inputs, now));
                if (overtaken(name, generation)) {
                    // A write came in while it was being stored: the copy on disk is from before it.
                    onDisk(name, "forget", () -> deleteFromDisk(name));
                }
            }
            return found;
        }, rewriteExecutor);
    }

    /**
     * Runs a disk write whose failure must not fail the request: the document is already in memory and is served
     * from there; a full or failing disk only means it is fetched again after a restart.
     */
    private static void onDisk(PackageName name, String what, Runnable write) {
        try {
            write.run();
        } catch (StoreException e) {
            LOG.warn("could not {} the packument of {} on disk (served from memory): {}", what, name, e.getMessage());
        }
    }

    /** Writes what changed to disk and forgets the documents of upstreams that no longer serve the package. */
    private void store(PackageName name, List<Input> inputs, long now) {
        Set<String> kept = inputs.stream().map(i -> i.origin().upstreamId()).collect(Collectors.toSet());
        for (Input input : inputs) {
            CachedPackument.Origin o = input.origin();
            if (input.changed()) {
                disk.put(diskKey(name, o.upstreamId()), new StoredDocument(input.body(), o.etag(), o.lastModified(),
                        now, o.upstreamId()));
            } else {
                disk.markRevalidated(diskKey(name, o.upstreamId()), o.etag(), o.lastModified(), now);
            }
        }
        for (Upstream upstream : chain.upstreams()) {
            if (!kept.contains(upstream.id())) {
                disk.delete(diskKey(name, upstream.id()));
            }
        }
        disk.delete(name.toString());
    }

    /**
     * The document of every answer: the new body of a 200; for a 304 (one input of a merge changed, this one did
     * not), the body kept on disk, or, if that is gone, the document fetched again.
     */
    private CompletableFuture<List<Input>> bodies(PackageName name, CachedPackument previous, List<Answer> answers) {
        List<CompletableFuture<Optional<Input>>> inputs = new ArrayList<>();
        for (Answer a : answers) {
            if (!a.notModified()) {
                inputs.add(CompletableFuture.completedFuture(Optional.of(new Input(new CachedPackument.Origin(
                        a.upstreamId(), a.response().etag(), a.response().lastModified()), a.response().body(),
                        true))));
                continue;
            }
            Optional<StoredDocument> kept = disk.get(diskKey(name, a.upstreamId()));
            CachedPackument.Origin before = previous == null ? null : previous.origins().stream()
                    .filter(o -> o.upstreamId().equals(a.upstreamId())).findFirst().orElse(null);
            if (kept.isPresent() && before != null) {
                inputs.add(CompletableFuture.completedFuture(Optional.of(new Input(
                        before.revalidated(a.response().etag(), a.response().lastModified()), kept.get().body(),
                        false))));
                continue;
            }
            Upstream upstream = chain.byId(a.upstreamId()).orElseThrow();
            inputs.add(chain.fetchFrom(upstream, name, config.maxPackumentBytes()).thenApply(again -> again.map(
                    r -> new Input(new CachedPackument.Origin(r.upstreamId(), r.response().etag(),
                            r.response().lastModified()), r.response().body(), true))));
        }
        return CompletableFuture.allOf(inputs.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<Input> result = new ArrayList<>();
            for (CompletableFuture<Optional<Input>> f : inputs) {
                f.join().ifPresent(result::add);
            }
            if (result.isEmpty()) {
                throw new UpstreamException(answers.get(0).upstreamId(), UpstreamFailure.INVALID,
                        "the packument of " + name + " vanished while it was being revalidated");
            }
            return result;
        });
    }

    private static List<String> ids(List<Answer> answers) {
        return answers.stream().map(Answer::upstreamId).toList();
    }

    private boolean withinMaxStale(CachedPackument p) {
        if (config.metadataMaxStale() == null) {
            return true;
        }
        long age = clock.millis() - p.fetchedAtMillis();
        return age < config.metadataMaxAge().toMillis() + config.metadataMaxStale().toMillis();
    }

    /** One upstream's document as an input of the served one; {@code changed} when it must be written to disk. */
    private record Input(CachedPackument.Origin origin, byte[] body, boolean changed) {
    }
}

package io.npmgateway.tarball;

import io.npmgateway.metrics.FetchKind;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.npm.VersionDist;
import io.npmgateway.packument.CachedPackument;
import io.npmgateway.packument.PackumentLookup;
import io.npmgateway.packument.PackumentService;
import io.npmgateway.storage.ExpectedIntegrity;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.storage.TarballStore;
import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamChain;
import io.npmgateway.upstream.UpstreamException;
import io.npmgateway.upstream.UpstreamFailure;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Finds the bytes for a tarball request: the store first (tarballs are immutable, so a stored one is served
 * forever without asking upstream); otherwise the version is looked up in the packument (through the metadata
 * cache, so {@code npm ci}, which asks for tarballs only, works too), and one {@link TarballDownload} per
 * tarball fetches it from the upstream that served that version, however many clients ask at once.
 */
public final class TarballService {
    private final TarballStore store;
    private final TarballFileCache files;
    private final PackumentService packuments;
    private final UpstreamChain chain;
    private final Executor storagePool;
    private final GatewayMetrics metrics;
    private final ConcurrentHashMap<String, TarballDownload> downloads = new ConcurrentHashMap<>();

    public TarballService(TarballStore store, TarballFileCache files, PackumentService packuments,
            UpstreamChain chain, Executor storagePool, GatewayMetrics metrics) {
        this.store = store;
        this.files = files;
        this.packuments = packuments;
        this.chain = chain;
        this.storagePool = storagePool;
        this.metrics = metrics;
    }

    public TarballStore store() {
        return store;
    }

    /** Copies of often-served tarballs as files, to send with {@code sendfile}. */
    public TarballFileCache files() {
        return files;
    }

    public CompletableFuture<TarballSource> open(RegistryRequest.Tarball request) {
        String key = request.storeKey();
        Optional<TarballManifest> stored = store.find(key);
        if (stored.isPresent()) {
            return CompletableFuture.completedFuture(new TarballSource.Stored(stored.get()));
        }
        TarballDownload running = downloads.get(key);
        if (running != null) {
            metrics.coalesced(FetchKind.TARBALL);
            return CompletableFuture.completedFuture(new TarballSource.Downloading(running));
        }
        return packuments.lookup(request.name())
                .thenCompose(lookup -> resolveVersion(request, lookup))
                .thenApply(found -> {
                    if (found.isEmpty()) {
                        return new TarballSource.NotFound("no version of " + request.name()
                                + " has the tarball " + request.fileName());
                    }
                    return download(request, found.get());
                });
    }

    /** Number of tarballs being fetched right now. */
    public int downloadsInProgress() {
        return downloads.size();
    }

    private CompletableFuture<Optional<Located>> resolveVersion(RegistryRequest.Tarball request,
            PackumentLookup lookup) {
        if (!(lookup instanceof PackumentLookup.Found)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CachedPackument p = ((PackumentLookup.Found) lookup).packument();
        Optional<VersionDist> dist = p.index().versionForFile(request.fileName());
        if (dist.isPresent()) {
            return CompletableFuture.completedFuture(Optional.of(new Located(p, dist.get())));
        }
        // A lockfile may name a version published after our copy of the packument: look once more.
        return packuments.refreshForMissing(request.name(), p).thenApply(again -> {
            if (!(again instanceof PackumentLookup.Found)) {
                return Optional.empty();
            }
            CachedPackument fresh = ((PackumentLookup.Found) again).packument();
            return fresh.index().versionForFile(request.fileName()).map(d -> new Located(fresh, d));
        });
    }

    private TarballSource download(RegistryRequest.Tarball request, Located located) {
        String key = request.storeKey();
        // The upstream this version's manifest came from (with policy merge, versions of one document may come
        // from different upstreams): it fetches the tarball, with its own credentials.
        String upstreamId = located.packument().upstreamIdOf(located.dist());
        Upstream upstream = chain.byId(upstreamId).orElseThrow(() ->
                new UpstreamException(upstreamId, UpstreamFailure.INVALID,
                        "the upstream that served " + request.name() + " is no longer configured"));
        URI url = tarballUri(upstream, located.dist());
        String subject = request.name() + "@" + located.dist().version();
        ExpectedIntegrity expected = expectedIntegrity(upstream, located.dist(), subject);
        TarballDownload[] created = new TarballDownload[1];
        TarballDownload download = downloads.computeIfAbsent(key, k -> {
            if (store.find(k).isPresent()) {
                return null;
            }
            created[0] = new TarballDownload(k, subject, upstream, url, expected, store, storagePool,
                    () -> downloads.remove(k, created[0]));
            return created[0];
        });
        if (download == null) {
            return store.find(key).<TarballSource>map(TarballSource.Stored::new)
                    .orElseGet(() -> new TarballSource.NotFound("tarball " + request.fileName() + " vanished"));
        }
        if (download == created[0]) {
            download.committed().whenComplete((manifest, error) -> {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                if (cause instanceof UpstreamException
                        && ((UpstreamException) cause).failure() == UpstreamFailure.INTEGRITY) {
                    metrics.integrityFailure(upstream.id());
                }
            });
            download.start();
        } else {
            metrics.coalesced(FetchKind.TARBALL);
        }
        return new TarballSource.Downloading(download);
    }

    /**
     * What the bytes must hash to. A malformed {@code dist.integrity} or {@code shasum} is the upstream's fault (502),
     * and nothing is fetched: treating it as "no check" would let a tampered tarball in.
     */
    private static ExpectedIntegrity expectedIntegrity(Upstream upstream, VersionDist dist, String subject) {
        try {
            return ExpectedIntegrity.of(dist.integrity(), dist.shasum());
        } catch (IllegalArgumentException e) {
            throw new UpstreamException(upstream.id(), UpstreamFailure.INVALID,
                    "the packument of " + subject + " has a malformed dist.integrity or dist.shasum");
        }
    }

    private static URI tarballUri(Upstream upstream, VersionDist dist) {
        try {
            URI uri = URI.create(upstream.config().url()).resolve(dist.upstreamTarballUrl());
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("not absolute");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new UpstreamException(upstream.id(), UpstreamFailure.INVALID,
                    "the packument gives an unusable tarball URL for " + dist.version());
        }
    }

    private record Located(CachedPackument packument, VersionDist dist) {
    }
}

package io.npmgateway.upstream;

import io.npmgateway.npm.PackageName;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The ordered upstreams a package is looked up in. Policy "first": the first upstream that has the package
 * serves all of it. A 404 moves on to the next upstream; any other failure stops the walk, because a later
 * upstream must never serve a package an earlier one might own (that is how dependency confusion happens).
 */
public final class UpstreamChain {
    private final List<Upstream> upstreams;
    private final Map<String, Upstream> byId;

    public UpstreamChain(List<Upstream> upstreams) {
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("at least one upstream is required");
        }
        this.upstreams = List.copyOf(upstreams);
        this.byId = this.upstreams.stream().collect(Collectors.toMap(Upstream::id, Function.identity()));
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    public Optional<Upstream> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * Fetches a packument along the chain.
     *
     * @param previous the cached copy's origin and validators, sent only to the upstream that produced it
     */
    public CompletableFuture<PackumentFetch> fetchPackument(PackageName name, Validators previous, long maxBytes) {
        return fetchFrom(0, name, previous, maxBytes);
    }

    private CompletableFuture<PackumentFetch> fetchFrom(int index, PackageName name, Validators previous,
            long maxBytes) {
        if (index >= upstreams.size()) {
            return CompletableFuture.completedFuture(new PackumentFetch.NotFound());
        }
        Upstream upstream = upstreams.get(index);
        boolean conditional = previous != null && previous.upstreamId().equals(upstream.id());
        return upstream.fetchPackument(name, conditional ? previous.etag() : null,
                        conditional ? previous.lastModified() : null, maxBytes)
                .thenCompose(response -> {
                    int status = response.status();
                    if (status == 200) {
                        return CompletableFuture.completedFuture(
                                (PackumentFetch) new PackumentFetch.Fetched(upstream.id(), response));
                    }
                    if (status == 304 && conditional) {
                        return CompletableFuture.completedFuture(
                                (PackumentFetch) new PackumentFetch.NotModified(upstream.id(), response));
                    }
                    if (status == 404) {
                        return fetchFrom(index + 1, name, previous, maxBytes);
                    }
                    throw statusFailure(upstream.id(), status);
                });
    }

    /** The failure an unexpected upstream status stands for. */
    public static UpstreamException statusFailure(String upstreamId, int status) {
        if (status == 401 || status == 403) {
            return new UpstreamException(upstreamId, UpstreamFailure.UNAUTHORIZED, "HTTP " + status);
        }
        if (status >= 500) {
            return new UpstreamException(upstreamId, UpstreamFailure.STATUS_5XX, "HTTP " + status);
        }
        if (status >= 400) {
            return new UpstreamException(upstreamId, UpstreamFailure.STATUS_4XX, "HTTP " + status);
        }
        return new UpstreamException(upstreamId, UpstreamFailure.INVALID, "unexpected HTTP " + status);
    }

    /** The validators of a cached copy and the upstream they belong to. */
    public record Validators(String upstreamId, String etag, String lastModified) {
    }

    /** What walking the chain for a packument produced. */
    public sealed interface PackumentFetch {
        /** A new document from the first upstream that has the package. */
        record Fetched(String upstreamId, DocumentResponse response) implements PackumentFetch {
        }

        /** The cached copy is still current (the upstream answered 304). */
        record NotModified(String upstreamId, DocumentResponse response) implements PackumentFetch {
        }

        /** No upstream has the package. */
        record NotFound() implements PackumentFetch {
        }
    }
}

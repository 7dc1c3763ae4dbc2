package io.npmgateway.upstream;

import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.RouteTable;
import io.npmgateway.npm.PackageName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which upstreams a package is looked up in, and how their answers combine. The {@link RouteTable} picks the
 * package's route (first matching pattern); its upstreams, in order, are the only ones ever asked for that name, so
 * a private route's package is never looked up on an upstream outside its route.
 *
 * <ul>
 *   <li>Policy {@link RouteConfig.Policy#FIRST first}: the first upstream that has the package (200) serves all of
 *       it. A 404 moves on to the next upstream; any other failure (timeout, refused connection, 5xx, 401/403, a
 *       down upstream) stops the walk, because a later upstream must never serve a package an earlier one might own
 *       (that is how dependency confusion happens).</li>
 *   <li>Policy {@link RouteConfig.Policy#MERGE merge}: every upstream of the route is asked (at once); the
 *       answers that have the package are returned in route order for the caller to merge. A failure of any of them
 *       fails the lookup, for the same reason: a version the earlier upstream owns must not come from a later one
 *       because the earlier one did not answer.</li>
 * </ul>
 *
 * A name no route matches is not served (not found).
 */
public final class UpstreamChain {
    private final List<Upstream> upstreams;
    private final Map<String, Upstream> byId;
    private final RouteTable routes;

    /** All upstreams in order, for every package, policy first. */
    public UpstreamChain(List<Upstream> upstreams) {
        this(upstreams, new RouteTable(upstreams.isEmpty() ? List.of()
                : List.of(new RouteConfig("*", upstreams.stream().map(Upstream::id).toList()))));
    }

    public UpstreamChain(List<Upstream> upstreams, RouteTable routes) {
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("at least one upstream is required");
        }
        this.upstreams = List.copyOf(upstreams);
        this.byId = this.upstreams.stream().collect(Collectors.toMap(Upstream::id, Function.identity()));
        this.routes = routes;
        for (RouteConfig route : routes.routes()) {
            for (String id : route.upstreamIds()) {
                if (!byId.containsKey(id)) {
                    throw new IllegalArgumentException("route '" + route.pattern() + "' names upstream '" + id
                            + "', which is not configured");
                }
            }
        }
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    public Optional<Upstream> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The route that serves {@code name}, if any. */
    public Optional<RouteConfig> route(PackageName name) {
        return routes.routeFor(name.toString());
    }

    /** The upstreams of the route that serves {@code name}, in priority order; empty when no route does. */
    public List<Upstream> upstreamsFor(PackageName name) {
        return route(name).map(r -> r.upstreamIds().stream().map(byId::get).toList()).orElse(List.of());
    }

    /**
     * Fetches a packument from the upstreams of its route.
     *
     * @param previous the cached copy's validators by upstream id; each is sent only to the upstream it belongs to
     */
    public CompletableFuture<PackumentFetch> fetchPackument(PackageName name, Map<String, Validators> previous,
            long maxBytes) {
        Optional<RouteConfig> route = route(name);
        if (route.isEmpty()) {
            return CompletableFuture.completedFuture(new PackumentFetch.NotFound());
        }
        List<Upstream> members = upstreamsFor(name);
        if (route.get().policy() == RouteConfig.Policy.MERGE) {
            return fetchAll(members, name, previous, maxBytes);
        }
        return fetchFirst(members, 0, name, previous, maxBytes);
    }

    /** Fetches a packument from one upstream without validators: 200, or 404 as empty. */
    public CompletableFuture<Optional<Answer>> fetchFrom(Upstream upstream, PackageName name, long maxBytes) {
        return ask(upstream, name, null, maxBytes);
    }

    private CompletableFuture<PackumentFetch> fetchFirst(List<Upstream> members, int index, PackageName name,
            Map<String, Validators> previous, long maxBytes) {
        if (index >= members.size()) {
            return CompletableFuture.completedFuture(new PackumentFetch.NotFound());
        }
        Upstream upstream = members.get(index);
        return ask(upstream, name, previous == null ? null : previous.get(upstream.id()), maxBytes)
                .thenCompose(answer -> answer.isPresent()
                        ? CompletableFuture.completedFuture(new PackumentFetch.Fetched(List.of(answer.get())))
                        : fetchFirst(members, index + 1, name, previous, maxBytes));
    }

    private CompletableFuture<PackumentFetch> fetchAll(List<Upstream> members, PackageName name,
            Map<String, Validators> previous, long maxBytes) {
        List<CompletableFuture<Optional<Answer>>> asked = new ArrayList<>();
        for (Upstream upstream : members) {
            asked.add(ask(upstream, name, previous == null ? null : previous.get(upstream.id()), maxBytes));
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).handle((ignored, error) -> {
            List<Answer> answers = new ArrayList<>();
            // The earliest failure in route order names the upstream in the error.
            for (CompletableFuture<Optional<Answer>> f : asked) {
                f.join().ifPresent(answers::add); // throws the failure of the earliest upstream that failed
            }
            return answers.isEmpty() ? new PackumentFetch.NotFound() : new PackumentFetch.Fetched(answers);
        });
    }

    /** Asks one upstream: its answer when it has the package (200, or 304 to validators), empty for 404. */
    private CompletableFuture<Optional<Answer>> ask(Upstream upstream, PackageName name, Validators validators,
            long maxBytes) {
        boolean conditional = validators != null;
        return upstream.fetchPackument(name, conditional ? validators.etag() : null,
                        conditional ? validators.lastModified() : null, maxBytes)
                .thenApply(response -> {
                    int status = response.status();
                    if (status == 200 || (status == 304 && conditional)) {
                        return Optional.of(new Answer(upstream.id(), response));
                    }
                    if (status == 404) {
                        return Optional.empty();
                    }
                    throw upstream.statusFailure(status, upstream.packumentUri(name), true);
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

    /** The validators of a cached copy from one upstream. */
    public record Validators(String upstreamId, String etag, String lastModified) {
    }

    /** One upstream's answer for a package it has: a document (200), or "unchanged" (304). */
    public record Answer(String upstreamId, DocumentResponse response) {
        public boolean notModified() {
            return response.status() == 304;
        }
    }

    /** What asking the route's upstreams for a packument produced. */
    public sealed interface PackumentFetch {
        /**
         * The upstreams that have the package, in route order: one for policy first, any number for merge. Each
         * answer is a new document or, for an upstream given validators, possibly a 304.
         */
        record Fetched(List<Answer> answers) implements PackumentFetch {
            public Fetched {
                answers = List.copyOf(answers);
            }
        }

        /** No upstream of the route has the package, or no route serves it. */
        record NotFound() implements PackumentFetch {
        }
    }
}

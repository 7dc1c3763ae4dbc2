package io.npmgateway.metrics;

/**
 * How the cache took part in answering a client request: the {@code cache} label of
 * {@code npm_gateway_requests_seconds}.
 */
public enum CacheOutcome {
    /** Served from the cache without asking upstream. */
    HIT("hit"),
    /** Not cached (or negative entry expired): fetched from upstream. */
    MISS("miss"),
    /** The cached copy was past its max-age and every upstream failed: served stale (stale-if-error). */
    STALE("stale"),
    /** The cached copy was past its max-age and upstream confirmed it ({@code 304}) or replaced it. */
    REVALIDATED("revalidated"),
    /** Neither the cache nor any upstream could answer. */
    ERROR("error"),
    /** The route does not use the cache (ping, health, metrics, publish, ...). */
    NONE("none");

    private final String label;

    CacheOutcome(String label) {
        this.label = label;
    }

    /** The label value exported to Prometheus. */
    public String label() {
        return label;
    }
}

package io.npmgateway.packument;

/** How a response was produced, as the access log, a response header and the metrics label it. */
public enum CacheOutcome {
    /** Served from the cache without asking upstream. */
    HIT,
    /** Fetched from upstream because the cache had nothing. */
    MISS,
    /** The cached copy was old, upstream confirmed it (304) or sent a new one. */
    REVALIDATED,
    /** The cached copy was old and every upstream failed, so it was served anyway. */
    STALE;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

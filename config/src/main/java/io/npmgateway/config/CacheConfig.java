package io.npmgateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How long packument documents are trusted, and how much memory they may take.
 *
 * @param metadataMaxAge    a document younger than this is served without asking upstream
 * @param metadataMaxStale  how long past max-age a document may still be served when every upstream fails;
 *                          {@code null} means without limit
 * @param metadataMaxMemory bytes the in-memory metadata cache holds: rewritten documents (kept gzipped once the
 *                          gzip is made), their version indexes and kept version manifests. The default, 128 MB,
 *                          holds the ~1,500 packuments of a 2,000-package project (113 MB measured)
 * @param negativeTtl       how long a "not found anywhere" answer is remembered
 * @param maxPackumentBytes the largest upstream packument accepted
 * @param missingVersionRefreshInterval a request for a version or dist-tag the cached document lacks fetches the
 *                          document again (it may have been published a moment ago) unless the copy is younger
 *                          than this; the limit keeps requests for versions that do not exist from reaching the
 *                          upstream each time. Zero refreshes on every such request
 */
public record CacheConfig(
        Duration metadataMaxAge,
        Duration metadataMaxStale,
        long metadataMaxMemory,
        Duration negativeTtl,
        long maxPackumentBytes,
        Duration missingVersionRefreshInterval) {

    /** Default for {@link #missingVersionRefreshInterval}: short enough that a just-published version installs. */
    public static final Duration DEFAULT_MISSING_VERSION_REFRESH_INTERVAL = Duration.ofSeconds(10);

    public CacheConfig {
        Objects.requireNonNull(missingVersionRefreshInterval, "missingVersionRefreshInterval");
        if (missingVersionRefreshInterval.isNegative()) {
            throw new IllegalArgumentException("missingVersionRefreshInterval must not be negative");
        }
    }

    /** A configuration with the default {@link #missingVersionRefreshInterval}. */
    public CacheConfig(Duration metadataMaxAge, Duration metadataMaxStale, long metadataMaxMemory,
            Duration negativeTtl, long maxPackumentBytes) {
        this(metadataMaxAge, metadataMaxStale, metadataMaxMemory, negativeTtl, maxPackumentBytes,
                DEFAULT_MISSING_VERSION_REFRESH_INTERVAL);
    }

    public static CacheConfig defaults() {
        return new CacheConfig(Duration.ofMinutes(5), null, 128L * 1024 * 1024, Duration.ofSeconds(30),
                128L * 1024 * 1024);
    }

    /** The same configuration with another largest accepted document. */
    public CacheConfig withMaxPackumentBytes(long bytes) {
        return new CacheConfig(metadataMaxAge, metadataMaxStale, metadataMaxMemory, negativeTtl, bytes,
                missingVersionRefreshInterval);
    }

    /** The same configuration with another {@link #missingVersionRefreshInterval}. */
    public CacheConfig withMissingVersionRefreshInterval(Duration interval) {
        return new CacheConfig(metadataMaxAge, metadataMaxStale, metadataMaxMemory, negativeTtl, maxPackumentBytes,
                interval);
    }
}

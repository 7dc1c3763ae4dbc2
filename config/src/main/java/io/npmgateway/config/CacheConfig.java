package io.npmgateway.config;

import java.time.Duration;

/**
 * How long packument documents are trusted, and how much memory they may take.
 *
 * @param metadataMaxAge    a document younger than this is served without asking upstream
 * @param metadataMaxStale  how long past max-age a document may still be served when every upstream fails;
 *                          {@code null} means without limit
 * @param metadataMaxMemory bytes of rewritten documents kept in memory
 * @param negativeTtl       how long a "not found anywhere" answer is remembered
 * @param maxPackumentBytes the largest upstream packument accepted
 */
public record CacheConfig(
        Duration metadataMaxAge,
        Duration metadataMaxStale,
        long metadataMaxMemory,
        Duration negativeTtl,
        long maxPackumentBytes) {

    public static CacheConfig defaults() {
        return new CacheConfig(Duration.ofMinutes(5), null, 64L * 1024 * 1024, Duration.ofSeconds(30),
                128L * 1024 * 1024);
    }
}

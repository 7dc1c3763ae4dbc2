package io.npmgateway.config;

/**
 * The on-disk tarball store.
 *
 * @param maxBytes disk budget for tarballs; least recently used ones are evicted above it. 0 means unbounded.
 */
public record StorageConfig(long maxBytes) {

    public static StorageConfig defaults() {
        return new StorageConfig(0);
    }
}

package io.npmgateway.config;

/**
 * The on-disk tarball store.
 *
 * @param maxBytes       disk budget for tarballs; least recently used ones are evicted above it. 0 means unbounded.
 * @param fileCacheBytes disk budget for plain-file copies of the tarballs served again and again, which the kernel
 *                       sends without the gateway copying them; on top of {@code maxBytes}. 0 turns them off.
 */
public record StorageConfig(long maxBytes, long fileCacheBytes) {

    /** Default for {@link #fileCacheBytes}: the hot set of a busy registry, small beside any tarball store. */
    public static final long DEFAULT_FILE_CACHE_BYTES = 1L << 30;

    public StorageConfig {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative");
        }
        if (fileCacheBytes < 0) {
            throw new IllegalArgumentException("fileCacheBytes must not be negative");
        }
    }

    /** A store with the default file cache. */
    public StorageConfig(long maxBytes) {
        this(maxBytes, DEFAULT_FILE_CACHE_BYTES);
    }

    public static StorageConfig defaults() {
        return new StorageConfig(0);
    }
}

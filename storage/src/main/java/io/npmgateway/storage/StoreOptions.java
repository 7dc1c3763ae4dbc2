package io.npmgateway.storage;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the gateway's on-disk store is laid out and bounded. Read once, when the proxy starts and calls
 * {@link GatewayStore#open(StoreOptions)}; nothing in the request path reads it again.
 *
 * @param dataDir         the directory that holds the one RocksDB database (created when missing)
 * @param maxTarballBytes the disk budget for tarballs, in bytes of tarball content; {@code <= 0} means unbounded.
 *                        Least-recently-used tarballs are evicted in the background to stay under it. Space on disk
 *                        runs somewhat above it: evicted chunks are reclaimed by RocksDB's blob garbage collection
 *                        during compaction, not at the moment of eviction. A single tarball larger than the budget is
 *                        served while it downloads and evicted right after.
 * @param chunkSize       how many bytes of a tarball go into one stored chunk; also the most a streaming reader
 *                        holds in memory at once
 */
public record StoreOptions(Path dataDir, long maxTarballBytes, int chunkSize) {

    /** 256 KiB: big enough that a typical tarball is one or two reads, small enough to stream with flat memory. */
    public static final int DEFAULT_CHUNK_SIZE = 256 * 1024;

    /** RocksDB keeps a value in memory whole while it is written and read, so chunks stay far below its limits. */
    static final int MAX_CHUNK_SIZE = 64 * 1024 * 1024;

    public StoreOptions {
        Objects.requireNonNull(dataDir, "dataDir");
        if (chunkSize <= 0 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException(
                    "chunkSize must be between 1 and " + MAX_CHUNK_SIZE + " bytes, got " + chunkSize);
        }
    }

    /** An unbounded store with the default chunk size. */
    public StoreOptions(Path dataDir) {
        this(dataDir, 0, DEFAULT_CHUNK_SIZE);
    }

    /** A store with a tarball disk budget and the default chunk size. */
    public StoreOptions(Path dataDir, long maxTarballBytes) {
        this(dataDir, maxTarballBytes, DEFAULT_CHUNK_SIZE);
    }

    /** Whether {@link #maxTarballBytes()} sets a budget at all. */
    public boolean bounded() {
        return maxTarballBytes > 0;
    }
}

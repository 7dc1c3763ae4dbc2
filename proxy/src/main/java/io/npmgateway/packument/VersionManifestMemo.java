package io.npmgateway.packument;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The version manifests of one cached packument that clients have asked for, kept so a hot version is not found by
 * scanning the whole document on every request. Sits inside {@link CachedPackument}, behind the version route.
 *
 * <p>Bounded by bytes: what it keeps never exceeds {@link #budget()}. The document's cache weight counts what it
 * keeps, and the metadata cache weighs the document again when that grows. Only found manifests are kept: a client
 * asking for versions that do not exist must not grow it. A 304-renewed document shares its memo.
 */
final class VersionManifestMemo {
    /** What a kept entry costs beyond its bytes (map node, key, array header), roughly. */
    static final int ENTRY_OVERHEAD = 96;

    private final Map<String, byte[]> kept = new ConcurrentHashMap<>();
    private final AtomicLong used = new AtomicLong();
    private final long budget;

    VersionManifestMemo(long budget) {
        this.budget = budget;
    }

    /** The most a document's memo keeps, however large the document: ~100 typical manifests. */
    static final int MAX_BUDGET = 256 * 1024;

    /**
     * The budget for a document of {@code fullDocumentBytes}: a quarter of it, at most {@link #MAX_BUDGET}, so it
     * stays small next to the document, which the cache keeps compressed.
     */
    static VersionManifestMemo forDocument(int fullDocumentBytes) {
        return new VersionManifestMemo(Math.min(fullDocumentBytes / 4, MAX_BUDGET));
    }

    /** The manifest of {@code version}, from memory if kept, else found by {@code find} and kept while room lasts. */
    Optional<byte[]> get(String version, Function<String, Optional<byte[]>> find) {
        byte[] manifest = kept.get(version);
        if (manifest != null) {
            return Optional.of(manifest);
        }
        Optional<byte[]> found = find.apply(version);
        found.ifPresent(bytes -> keep(version, bytes));
        return found;
    }

    private void keep(String version, byte[] bytes) {
        long cost = cost(version, bytes);
        if (used.addAndGet(cost) > budget) {
            // Full: the version is found by a scan each time, as if nothing were kept.
            used.addAndGet(-cost);
            return;
        }
        if (kept.putIfAbsent(version, bytes) != null) {
            used.addAndGet(-cost);
        }
    }

    private static long cost(String version, byte[] bytes) {
        return (long) bytes.length + 2L * version.length() + ENTRY_OVERHEAD;
    }

    /** The most bytes it will ever keep. */
    long budget() {
        return budget;
    }

    /** Bytes it keeps now. */
    long usedBytes() {
        return used.get();
    }

    /** Number of manifests kept. */
    int size() {
        return kept.size();
    }
}

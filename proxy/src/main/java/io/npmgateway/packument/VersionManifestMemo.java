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
 * <p>Bounded by bytes: what it keeps never exceeds {@link #budget()}, which the document's cache weight counts in
 * advance (the cache weighs an entry once, when it is put, so a memo that grew afterwards would be memory outside
 * {@code cache.metadata.maxMemory}). Only found manifests are kept: a client asking for versions that do not exist
 * must not grow it. A 304-renewed document shares its memo, so it is counted once per document.
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

    /** The budget for a document of {@code fullDocumentBytes}: a quarter of it, so the weight grows by at most that. */
    static VersionManifestMemo forDocument(int fullDocumentBytes) {
        return new VersionManifestMemo(fullDocumentBytes / 4);
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

package io.npmgateway.storage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * What the store keeps in memory about every committed tarball: its size and when it was last used. It answers
 * misses without touching disk, keeps the byte total for the budget, and picks eviction victims.
 *
 * <p>Per tarball it holds the key and one 32-byte entry (about 150 bytes with the map node and key, so some 30 MB for
 * 200,000 tarballs); manifests themselves stay on disk. Access times are recorded with a plain volatile write, no
 * lock and no disk write, and reach disk in batches through {@link #drainDirtyAccesses}.
 *
 * <p>Membership changes ({@link #add}, {@link #remove}) happen under the tarball store's mutation lock, so the total
 * always matches the manifests on disk; reads and access recording need no lock.
 */
final class TarballIndex {

    /** One tarball. Mutable only in its access time. */
    static final class Entry {
        private final long size;
        private volatile long lastAccess;
        private volatile boolean accessDirty;

        private Entry(long size, long lastAccess) {
            this.size = size;
            this.lastAccess = lastAccess;
        }

        long size() {
            return size;
        }

        long lastAccess() {
            return lastAccess;
        }

        /** Sets the time read back from disk at open, which needs no flush. */
        void restoreAccess(long millis) {
            if (millis > lastAccess) {
                lastAccess = millis;
            }
        }

        /** Records a use at {@code millis}; cheap enough for every tarball request. */
        void touch(long millis) {
            // Skip the write when nothing changes, so concurrent hits on a popular tarball do not contend on it.
            if (millis > lastAccess) {
                lastAccess = millis;
                accessDirty = true;
            }
        }
    }

    /** An eviction candidate as seen when victims were chosen. */
    record Candidate(String key, long size, long lastAccess) {
    }

    private static final Comparator<Candidate> LEAST_RECENT_FIRST =
            Comparator.comparingLong(Candidate::lastAccess).thenComparing(Candidate::key);

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong totalBytes = new AtomicLong();

    Entry get(String key) {
        return entries.get(key);
    }

    boolean contains(String key) {
        return entries.containsKey(key);
    }

    void add(String key, long size, long lastAccess) {
        Entry previous = entries.put(key, new Entry(size, lastAccess));
        totalBytes.addAndGet(size - (previous == null ? 0 : previous.size));
    }

    void remove(String key) {
        Entry removed = entries.remove(key);
        if (removed != null) {
            totalBytes.addAndGet(-removed.size);
        }
    }

    long totalBytes() {
        return totalBytes.get();
    }

    long count() {
        return entries.size();
    }

    /**
     * The least recently used tarballs whose sizes add up to at least {@code bytes} (or all of them), oldest first.
     * One pass with a bounded heap: O(n log k) for k victims, with no copy of the whole index.
     */
    List<Candidate> leastRecentlyUsed(long bytes) {
        // Max-heap on recency: the most recent candidate sits on top and is dropped once the rest cover the bytes.
        if (bytes <= 0) {
            return List.of();
        }
        PriorityQueue<Candidate> oldest = new PriorityQueue<>(LEAST_RECENT_FIRST.reversed());
        long covered = 0;
        for (var e : entries.entrySet()) {
            Candidate candidate = new Candidate(e.getKey(), e.getValue().size, e.getValue().lastAccess);
            if (covered >= bytes && LEAST_RECENT_FIRST.compare(candidate, oldest.peek()) >= 0) {
                continue;
            }
            oldest.add(candidate);
            covered += candidate.size();
            // Keep only as many of the oldest as it takes to cover the bytes.
            while (oldest.size() > 1 && covered - oldest.peek().size() >= bytes) {
                covered -= oldest.poll().size();
            }
        }
        List<Candidate> victims = new ArrayList<>(oldest);
        victims.sort(LEAST_RECENT_FIRST);
        return victims;
    }

    /** Hands every access time recorded since the last drain to {@code sink}, and forgets that it was pending. */
    void drainDirtyAccesses(BiConsumer<String, Long> sink) {
        entries.forEach((key, entry) -> {
            if (entry.accessDirty) {
                // Clear before reading: a touch racing with us sets the flag again after writing its time.
                entry.accessDirty = false;
                sink.accept(key, entry.lastAccess);
            }
        });
    }
}

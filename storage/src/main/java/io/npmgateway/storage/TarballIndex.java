package io.npmgateway.storage;

import java.util.ArrayDeque;
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
 * <p>Per tarball it holds the key and one 32-byte entry; manifests themselves stay on disk. Access times are recorded with a plain volatile write, no
 * lock and no disk write, and reach disk in batches through {@link #drainDirtyAccesses}. (Measured: about 170 bytes
 * per tarball with keys like {@code @scope/package-123/-/package-123-1.2.3.tgz}, so some 34 MB for 200,000.)
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

    /** How many eviction candidates one scan of the index queues. */
    static final int VICTIM_BATCH = 1024;

    private static final Comparator<Candidate> LEAST_RECENT_FIRST =
            Comparator.comparingLong(Candidate::lastAccess).thenComparing(Candidate::key);

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong totalBytes = new AtomicLong();
    // Oldest entries found by the last scan, oldest first; only touched under the store's mutation lock.
    private final ArrayDeque<Candidate> victims = new ArrayDeque<>();

    Entry get(String key) {
        return entries.get(key);
    }

    /** Keys that start with {@code prefix} (an admin purge of one package); a scan of the whole index. */
    List<String> keysStartingWith(String prefix) {
        List<String> keys = new java.util.ArrayList<>();
        for (String key : entries.keySet()) {
            if (key.startsWith(prefix)) {
                keys.add(key);
            }
        }
        return keys;
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
     * The least recently used tarball, or null when the index is empty. Call under the store's mutation lock.
     *
     * <p>Finding the oldest entries means visiting all of them (some 40 ms for 200,000, mostly cache misses), so one
     * scan queues the {@link #VICTIM_BATCH} oldest and later calls take from that queue. The queue stays a true LRU
     * prefix: everything outside it was newer when it was filled, and anything added since is newer still. An entry
     * used or replaced since it was queued is no longer old and is skipped.
     */
    Candidate pollLeastRecentlyUsed() {
        while (true) {
            if (victims.isEmpty()) {
                victims.addAll(oldest(VICTIM_BATCH));
                if (victims.isEmpty()) {
                    return null;
                }
            }
            Candidate candidate = victims.poll();
            Entry current = entries.get(candidate.key());
            if (current != null && current.lastAccess == candidate.lastAccess()) {
                return candidate;
            }
        }
    }

    /** The {@code count} least recently used entries, oldest first, in one pass with a bounded heap. */
    List<Candidate> oldest(int count) {
        // Max-heap on recency: the newest of the oldest sits on top, ready to make room for an older one.
        PriorityQueue<Candidate> oldest = new PriorityQueue<>(count + 1, LEAST_RECENT_FIRST.reversed());
        entries.forEach((key, entry) -> {
            long lastAccess = entry.lastAccess;
            // Most entries are newer than all kept so far: reject them before allocating anything.
            if (oldest.size() == count && lastAccess > oldest.peek().lastAccess()) {
                return;
            }
            oldest.add(new Candidate(key, entry.size, lastAccess));
            if (oldest.size() > count) {
                oldest.poll();
            }
        });
        List<Candidate> sorted = new ArrayList<>(oldest);
        sorted.sort(LEAST_RECENT_FIRST);
        return sorted;
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

package io.npmgateway.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The tarball tier. The proxy calls {@link #find(String)} on every tarball request. On a hit it streams the tarball
 * with {@link #readChunk(TarballManifest, int, ByteBuffer)}, one chunk per client write, reading the next chunk only
 * when the client's channel can take it (backpressure costs nothing here: chunks stay on disk until asked for). On a
 * miss it opens a {@link TarballWriter} with {@link #begin(String)}, streams the upstream body through it to disk while
 * clients read the chunks already written, and commits it once the digests check out.
 *
 * <p>Tarballs are stored in chunks keyed by a per-download id and become visible only through a manifest written in
 * the same atomic batch as their last chunk, so no reader, before or after a crash, ever sees part of a tarball.
 * When the tarball bytes exceed the budget, the least recently used tarballs are evicted on the store's maintenance
 * thread.
 *
 * <p>Thread-safe. Lookups and chunk reads take no lock; commits, deletions, evictions and access-time flushes take one
 * short lock so that the in-memory index and the manifests on disk always agree.
 */
public final class TarballStore {

    private final Rocks rocks;
    private final StoreOptions options;
    private final Clock clock;
    private final TarballIndex index = new TarballIndex();
    // Manifests of recently found tarballs: a hit then costs no RocksDB read before the chunks. Bounded by count
    // (a manifest is ~200 bytes); dropped before a tarball is removed, so a removed one is never found here.
    private final com.github.benmanes.caffeine.cache.Cache<String, TarballManifest> hotManifests =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(50_000).build();
    private final ChunkReader chunkReader;
    private final ReentrantLock mutations = new ReentrantLock();
    private final AtomicLong evictions = new AtomicLong();
    private final SecureRandom downloadIds = new SecureRandom();
    private final Runnable evictionTrigger;
    private final TarballRecovery.Report recovery;

    TarballStore(Rocks rocks, StoreOptions options, Clock clock, Maintenance maintenance) {
        this.rocks = rocks;
        this.options = options;
        this.clock = clock;
        this.chunkReader = new ChunkReader(rocks);
        this.recovery = TarballRecovery.recover(rocks, index);
        this.evictionTrigger = maintenance.coalescing("evict tarballs to budget", this::evictToBudget);
        maintenance.every(GatewayStore.ACCESS_FLUSH_INTERVAL, "flush tarball access times", this::flushAccessTimes);
        if (overBudget()) {
            evictionTrigger.run();
        }
    }

    /**
     * Looks a tarball up and records the access for eviction (in memory; written to disk in batches later).
     * A miss costs no disk read.
     */
    public Optional<TarballManifest> find(String key) {
        TarballIndex.Entry entry = index.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        TarballManifest hot = hotManifests.getIfPresent(key);
        if (hot != null) {
            entry.touch(clock.millis());
            return Optional.of(hot);
        }
        byte[] value = rocks.get(Rocks.Family.MANIFESTS, utf8(key));
        if (value == null) {
            // Evicted or purged between the two lookups.
            return Optional.empty();
        }
        entry.touch(clock.millis());
        TarballManifest manifest = ManifestCodec.decode(key, value, entry.lastAccess());
        hotManifests.put(key, manifest);
        if (index.get(key) != entry) {
            // Removed (or replaced) while we read it: do not keep what may be gone.
            hotManifests.invalidate(key);
        }
        return Optional.of(manifest);
    }

    /**
     * Reads chunk {@code index} of a committed tarball into {@code dst}, at its position, and advances the position
     * by the chunk length; the limit is not changed. {@code dst} needs {@link TarballManifest#chunkLength(int)} bytes
     * remaining. A direct buffer (e.g. a pooled off-heap buffer of the proxy) is filled by RocksDB with a single
     * native copy and no heap array in between; a heap buffer is filled through its backing array.
     *
     * @return the chunk length
     * @throws TarballGoneException when the tarball was evicted or purged while being streamed
     */
    public int readChunk(TarballManifest manifest, int index, ByteBuffer dst) {
        return chunkReader.read(manifest.key(), manifest.downloadId(), index, manifest.chunkLength(index), dst);
    }

    /** Reads chunk {@code index} of a committed tarball into a new array; simpler, one heap allocation per chunk. */
    public byte[] readChunk(TarballManifest manifest, int index) {
        return chunkReader.read(manifest.key(), manifest.downloadId(), index, manifest.chunkLength(index));
    }

    /** Starts storing a download of {@code key}. Writes nothing until the first chunk is full. */
    public TarballWriter begin(String key) {
        return begin(key, null);
    }

    /**
     * Starts storing a download of {@code key} from the upstream {@code origin}, which the manifest keeps (download
     * metrics are labelled by it, also for hits).
     */
    public TarballWriter begin(String key, String origin) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("tarball key must not be empty");
        }
        rocks.requireOpen();
        return new TarballWriter(this, key, origin, downloadIds.nextLong(), options.chunkSize());
    }

    /** Purges a tarball (admin). Clients still streaming it see {@link TarballGoneException}. */
    public boolean delete(String key) {
        mutations.lock();
        try {
            return remove(key);
        } finally {
            mutations.unlock();
        }
    }

    /**
     * Purges every tarball whose key starts with {@code prefix}, e.g. all of a package's with {@code "name/-/"}.
     *
     * @return how many tarballs were removed
     */
    public int deleteByPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            throw new IllegalArgumentException("prefix must not be empty");
        }
        int removed = 0;
        for (String key : index.keysStartingWith(prefix)) {
            if (delete(key)) {
                removed++;
            }
        }
        return removed;
    }

    /** Bytes of tarball content stored (committed tarballs only), which the budget is compared against. */
    public long totalBytes() {
        return index.totalBytes();
    }

    public long entryCount() {
        return index.count();
    }

    /** Tarballs evicted for the budget since open (not counting {@link #delete}). */
    public long evictionCount() {
        return evictions.get();
    }

    /**
     * Evicts least recently used tarballs until the total is within the budget; runs on its own after commits that go
     * over it, and may be called directly.
     *
     * @return how many tarballs this call evicted
     */
    public int evictToBudget() {
        int evicted = 0;
        while (overBudget()) {
            // One tarball per lock hold, so commits are never held up behind a long pass.
            mutations.lock();
            try {
                TarballIndex.Candidate victim = overBudget() ? index.pollLeastRecentlyUsed() : null;
                if (victim == null) {
                    break;
                }
                if (remove(victim.key())) {
                    evicted++;
                    evictions.incrementAndGet();
                }
            } finally {
                mutations.unlock();
            }
        }
        return evicted;
    }

    /** Writes access times recorded since the last flush, in one batch. Runs periodically and at close. */
    void flushAccessTimes() {
        mutations.lock();
        try {
            // Under the lock, so an access time is never written for a tarball being evicted at the same moment.
            rocks.write(batch -> index.drainDirtyAccesses((key, millis) -> put(batch, rocks.access(), utf8(key),
                    ManifestCodec.encodeAccess(millis))));
        } finally {
            mutations.unlock();
        }
    }

    TarballRecovery.Report recoveryReport() {
        return recovery;
    }

    ChunkReader chunkReader() {
        return chunkReader;
    }

    /** Writes one full chunk; the first of a download also records the download in the pending journal. */
    void writeChunk(String key, long downloadId, int chunkIndex, byte[] chunk, boolean journal) {
        rocks.write(batch -> {
            if (journal) {
                batch.put(rocks.pending(), ChunkKeys.pending(downloadId), utf8(key));
            }
            batch.put(rocks.chunks(), ChunkKeys.chunk(downloadId, chunkIndex), chunk);
        });
    }

    /**
     * Publishes a verified download: last chunk, manifest and journal removal in one batch. When the key is already
     * stored, keeps that copy, drops this download's chunks and returns the stored manifest.
     */
    TarballManifest commit(String key, String origin, long downloadId, long size, int chunkCount, int chunkSize,
            byte[] lastChunk, TarballDigests digests, int chunksOnDisk, boolean journaled) {
        byte[] rawKey = utf8(key);
        TarballManifest committed;
        mutations.lock();
        try {
            TarballIndex.Entry existing = index.get(key);
            byte[] existingManifest = existing == null ? null : rocks.get(Rocks.Family.MANIFESTS, rawKey);
            if (existingManifest != null) {
                rocks.write(batch -> deleteDownload(batch, downloadId, chunksOnDisk, journaled));
                return ManifestCodec.decode(key, existingManifest, existing.lastAccess());
            }
            long now = clock.millis();
            byte[] manifest = ManifestCodec.encode(downloadId, size, chunkCount, chunkSize, digests, now, origin);
            rocks.write(batch -> {
                if (lastChunk != null) {
                    batch.put(rocks.chunks(), ChunkKeys.chunk(downloadId, chunkCount - 1), lastChunk);
                }
                batch.put(rocks.manifests(), rawKey, manifest);
                batch.delete(rocks.access(), rawKey);
                if (journaled) {
                    batch.delete(rocks.pending(), ChunkKeys.pending(downloadId));
                }
            });
            hotManifests.invalidate(key);
            index.add(key, size, now);
            committed = ManifestCodec.decode(key, manifest, now);
        } finally {
            mutations.unlock();
        }
        if (overBudget()) {
            evictionTrigger.run();
        }
        return committed;
    }

    /** Deletes the chunks of a download that will not be committed. */
    void discard(String key, long downloadId, int chunksOnDisk, boolean journaled) {
        rocks.write(batch -> deleteDownload(batch, downloadId, chunksOnDisk, journaled));
    }

    private boolean overBudget() {
        return options.bounded() && index.totalBytes() > options.maxTarballBytes();
    }

    /** Deletes a stored tarball: manifest, access time and chunks in one batch. Caller holds {@link #mutations}. */
    private boolean remove(String key) {
        hotManifests.invalidate(key);
        byte[] rawKey = utf8(key);
        byte[] value = rocks.get(Rocks.Family.MANIFESTS, rawKey);
        if (value == null) {
            index.remove(key);
            return false;
        }
        TarballManifest manifest = ManifestCodec.decode(key, value, 0);
        rocks.write(batch -> {
            batch.delete(rocks.manifests(), rawKey);
            batch.delete(rocks.access(), rawKey);
            deleteDownload(batch, manifest.downloadId(), manifest.chunkCount(), false);
        });
        index.remove(key);
        return true;
    }

    // Point deletes rather than a range tombstone: the count is known, and thousands of range tombstones from
    // steady eviction would slow every read until compaction drops them.
    private void deleteDownload(WriteBatch batch, long downloadId, int chunkCount, boolean journaled)
            throws RocksDBException {
        for (int i = 0; i < chunkCount; i++) {
            batch.delete(rocks.chunks(), ChunkKeys.chunk(downloadId, i));
        }
        if (journaled) {
            batch.delete(rocks.pending(), ChunkKeys.pending(downloadId));
        }
    }

    // drainDirtyAccesses takes a plain BiConsumer, which cannot throw RocksDBException.
    private void put(WriteBatch batch, ColumnFamilyHandle family, byte[] key, byte[] value) {
        try {
            batch.put(family, key, value);
        } catch (RocksDBException e) {
            throw rocks.failure("write", e);
        }
    }

    private static byte[] utf8(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }
}

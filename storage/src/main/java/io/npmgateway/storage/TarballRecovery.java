package io.npmgateway.storage;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs once at open, before the store serves anything: deletes chunks that no manifest will ever reference (downloads
 * cut short by a crash or a shutdown) and rebuilds the in-memory index from the manifests.
 *
 * <p>Orphans are found through the pending-download journal rather than by scanning the chunk family. A scan would
 * read every chunk's value (the Java API cannot step over BlobDB values without loading them), which for a full
 * cache means reading all of it at every start. The journal entry is written in the same batch as a download's first
 * chunk and deleted in the batch that commits or discards it; since the WAL replays a prefix, any chunk that survives
 * a crash has its journal entry, and the journal only ever holds the few downloads in flight.
 */
final class TarballRecovery {

    private static final Logger log = LoggerFactory.getLogger(TarballRecovery.class);

    /** What recovery found, for the open log line and for tests. */
    record Report(long tarballs, long bytes, int orphanDownloads, int unreadableManifests) {
    }

    private TarballRecovery() {
    }

    static Report recover(Rocks rocks, TarballIndex index) {
        Lock open = rocks.enter();
        try (WriteBatch cleanup = new WriteBatch()) {
            Set<Long> committedIds = new HashSet<>();
            int unreadable = loadManifests(rocks, index, committedIds, cleanup);
            loadAccessTimes(rocks, index, cleanup);
            int orphans = sweepPendingDownloads(rocks, committedIds, cleanup);
            if (cleanup.count() > 0) {
                rocks.write(cleanup);
            }
            Report report = new Report(index.count(), index.totalBytes(), orphans, unreadable);
            // Unfinished downloads are normal after a shutdown under load; unreadable manifests are not.
            if (orphans > 0) {
                log.info("store in {}: deleted the chunks of {} download(s) that were unfinished when it last closed",
                        rocks.dir(), orphans);
            }
            if (unreadable > 0) {
                log.warn("store in {}: dropped {} unreadable tarball manifest(s); those tarballs will be fetched again",
                        rocks.dir(), unreadable);
            }
            return report;
        } finally {
            open.unlock();
        }
    }

    private static int loadManifests(Rocks rocks, TarballIndex index, Set<Long> committedIds, WriteBatch cleanup) {
        int unreadable = 0;
        try (RocksIterator it = rocks.iterator(Rocks.Family.MANIFESTS)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                String key = new String(it.key(), StandardCharsets.UTF_8);
                try {
                    TarballManifest manifest = ManifestCodec.decode(key, it.value(), 0);
                    index.add(key, manifest.size(), manifest.storedAtMillis());
                    committedIds.add(manifest.downloadId());
                } catch (StoreException e) {
                    // Cannot tell which chunks it names, so it cannot be served; drop it and let it be fetched again.
                    log.warn("dropping unreadable tarball manifest: {}", e.getMessage());
                    cleanup.delete(rocks.manifests(), it.key());
                    unreadable++;
                }
            }
            check(rocks, it);
        } catch (org.rocksdb.RocksDBException e) {
            throw rocks.failure("batch", e);
        }
        return unreadable;
    }

    private static void loadAccessTimes(Rocks rocks, TarballIndex index, WriteBatch cleanup) {
        try (RocksIterator it = rocks.iterator(Rocks.Family.ACCESS)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                TarballIndex.Entry entry = index.get(new String(it.key(), StandardCharsets.UTF_8));
                if (entry == null) {
                    cleanup.delete(rocks.access(), it.key());
                } else {
                    // Loaded times are already on disk, so they do not mark the entry dirty.
                    entry.restoreAccess(ManifestCodec.decodeAccess(it.value()));
                }
            }
            check(rocks, it);
        } catch (org.rocksdb.RocksDBException e) {
            throw rocks.failure("batch", e);
        }
    }

    private static int sweepPendingDownloads(Rocks rocks, Set<Long> committedIds, WriteBatch cleanup) {
        int orphans = 0;
        try (RocksIterator it = rocks.iterator(Rocks.Family.PENDING)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long downloadId = ChunkKeys.pendingId(it.key());
                cleanup.delete(rocks.pending(), it.key());
                // Commit deletes the journal entry in its own batch, so a committed id here would be a bug; keep
                // the chunks a manifest references rather than break a stored tarball.
                if (!committedIds.contains(downloadId)) {
                    log.debug("deleting chunks of unfinished download of {}", new String(it.value(),
                            StandardCharsets.UTF_8));
                    cleanup.deleteRange(rocks.chunks(), ChunkKeys.rangeStart(downloadId), ChunkKeys.rangeEnd(downloadId));
                    orphans++;
                }
            }
            check(rocks, it);
        } catch (org.rocksdb.RocksDBException e) {
            throw rocks.failure("batch", e);
        }
        return orphans;
    }

    private static void check(Rocks rocks, RocksIterator it) {
        try {
            it.status();
        } catch (org.rocksdb.RocksDBException e) {
            throw rocks.failure("read", e);
        }
    }
}

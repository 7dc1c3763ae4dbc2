package io.npmgateway.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The open database and its column families, shared by the tarball and metadata stores. Every call goes through a
 * read lock that {@link #close()} takes exclusively: a RocksDB handle used after close crashes the JVM, and Netty
 * threads may still be streaming chunks while the gateway shuts down.
 */
final class Rocks implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Rocks.class);

    /** How often a store that met a full disk tries to reopen, once there is space again. */
    private static final long REOPEN_INTERVAL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    /** Free space a reopen needs: replaying the log flushes the memtables it held into new files. */
    private static final long REOPEN_MIN_FREE_BYTES = 4L * 1024 * 1024;

    private final Path dir;
    private final RocksConfig config;
    private final WriteOptions writeOptions;
    private final ReadOptions readOptions;
    private final ReadOptions chunkReadOptions;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;
    // Swapped only under the exclusive lock (a reopen after a full disk); read under the shared one.
    private volatile Handles open;
    // Set when a write met a full disk: RocksDB then refuses every later write, even once space is back, until
    // the database is reopened (the Java API has no DB::Resume).
    private volatile boolean reopenWanted;
    private volatile long lastReopenAttempt;

    /** The database and its column families; replaced whole when the store is reopened. */
    private record Handles(RocksDB db, List<ColumnFamilyHandle> families) {
        ColumnFamilyHandle get(Family family) {
            return families.get(family.ordinal());
        }
    }

    /** The column families, in the order of {@link RocksConfig#descriptors()}. */
    enum Family { FORMAT, METADATA_HEADERS, METADATA_BODIES, MANIFESTS, ACCESS, PENDING, CHUNKS }

    private Rocks(Path dir, RocksConfig config, Handles open) {
        this.dir = dir;
        this.config = config;
        this.open = open;
        // No fsync per write: losing the last moments of a cache to a power cut is fine, and the WAL's point-in-time
        // recovery still keeps what survives consistent. The WAL itself is on (disableWAL stays false).
        this.writeOptions = new WriteOptions();
        this.readOptions = new ReadOptions();
        // Chunk reads stream large blobs once per client; keep them from pushing hot index blocks out of the cache.
        this.chunkReadOptions = new ReadOptions().setFillCache(false);
    }

    /** A column family's handle; only for callers holding {@link #enter()} (a reopen replaces the handles). */
    ColumnFamilyHandle family(Family family) {
        return open.get(family);
    }

    ColumnFamilyHandle formatFamily() {
        return family(Family.FORMAT);
    }

    ColumnFamilyHandle metadataHeaders() {
        return family(Family.METADATA_HEADERS);
    }

    ColumnFamilyHandle metadataBodies() {
        return family(Family.METADATA_BODIES);
    }

    ColumnFamilyHandle manifests() {
        return family(Family.MANIFESTS);
    }

    ColumnFamilyHandle access() {
        return family(Family.ACCESS);
    }

    ColumnFamilyHandle pending() {
        return family(Family.PENDING);
    }

    ColumnFamilyHandle chunks() {
        return family(Family.CHUNKS);
    }

    static Rocks open(Path dir) {
        DataDirectory.prepare(dir);
        RocksConfig config = new RocksConfig();
        try {
            return new Rocks(dir, config, openHandles(dir, config));
        } catch (RocksDBException e) {
            config.close();
            throw DataDirectory.openFailed(dir, e);
        }
    }

    private static Handles openHandles(Path dir, RocksConfig config) throws RocksDBException {
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db = RocksDB.open(config.dbOptions(), dir.toString(), config.descriptors(), handles);
        return new Handles(db, List.copyOf(handles));
    }

    Path dir() {
        return dir;
    }

    /** Holds off {@link #close()} until the returned lock is released; fails once the store is closed. */
    Lock enter() {
        Lock lock = lifecycle.readLock();
        lock.lock();
        if (closed) {
            lock.unlock();
            throw new StoreException("the store in " + dir + " is closed");
        }
        if (open == null) {
            lock.unlock();
            throw new StoreFullException("the store in " + dir + " is waiting for disk space to reopen", null);
        }
        return lock;
    }

    /**
     * Before a write: if an earlier write met a full disk and there is space again, reopen the database (at most
     * once a second), so the running gateway stores again without a restart. Not from a thread that already holds
     * the store open: the exclusive lock cannot be had from there.
     */
    private void reopenIfSpaceReturned() {
        if (!reopenWanted || lifecycle.getReadHoldCount() > 0) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastReopenAttempt < REOPEN_INTERVAL_NANOS) {
            return;
        }
        lastReopenAttempt = now;
        try {
            if (java.nio.file.Files.getFileStore(dir).getUsableSpace() < REOPEN_MIN_FREE_BYTES) {
                return;
            }
        } catch (java.io.IOException e) {
            return;
        }
        Lock exclusive = lifecycle.writeLock();
        exclusive.lock();
        try {
            if (closed || !reopenWanted) {
                return;
            }
            Handles old = open;
            if (old != null) {
                open = null;
                closeHandles(old);
            }
            try {
                open = openHandles(dir, config);
                reopenWanted = false;
                LOG.info("store in {} reopened: writes work again", dir);
            } catch (RocksDBException e) {
                // Still too little space for the log replay: stay closed and try again on a later write.
                LOG.warn("store in {} could not reopen yet: {}", dir, e.getMessage());
            }
        } finally {
            exclusive.unlock();
        }
    }

    private void closeHandles(Handles handles) {
        for (ColumnFamilyHandle handle : handles.families()) {
            handle.close();
        }
        try {
            handles.db().closeE();
        } catch (RocksDBException e) {
            // A database that met a full disk reports its failed log on close; the log is replayed at reopen.
            LOG.debug("closing the store in {}: {}", dir, e.getMessage());
        }
    }

    /** Fails fast when the store is closed, for calls that touch no handle yet. */
    void requireOpen() {
        enter().unlock();
    }

    byte[] get(Family family, byte[] key) {
        return get(family, readOptions, key);
    }

    byte[] get(Family family, ReadOptions options, byte[] key) {
        Lock lock = enter();
        try {
            return open.db().get(open.get(family), options, key);
        } catch (RocksDBException e) {
            throw failure("read", e);
        } finally {
            lock.unlock();
        }
    }

    /** Reads a chunk into a heap array region; returns its full length or {@link RocksDB#NOT_FOUND}. */
    int getChunk(byte[] key, byte[] dst, int offset, int length) {
        Lock lock = enter();
        try {
            Handles h = open;
            return h.db().get(h.get(Family.CHUNKS), chunkReadOptions, key, 0, key.length, dst, offset, length);
        } catch (RocksDBException e) {
            throw failure("read", e);
        } finally {
            lock.unlock();
        }
    }

    /** Reads a chunk into a direct buffer at its position; returns its full length or {@link RocksDB#NOT_FOUND}. */
    int getChunk(ByteBuffer directKey, ByteBuffer directDst) {
        Lock lock = enter();
        try {
            Handles h = open;
            return h.db().get(h.get(Family.CHUNKS), chunkReadOptions, directKey, directDst);
        } catch (RocksDBException e) {
            throw failure("read", e);
        } finally {
            lock.unlock();
        }
    }

    void put(Family family, byte[] key, byte[] value) {
        reopenIfSpaceReturned();
        Lock lock = enter();
        try {
            Handles h = open;
            h.db().put(h.get(family), writeOptions, key, value);
        } catch (RocksDBException e) {
            throw failure("write", e);
        } finally {
            lock.unlock();
        }
    }

    /** Fills a write batch; runs while the store is held open, since column family handles die with it. */
    @FunctionalInterface
    interface BatchWork {
        void fill(WriteBatch batch) throws RocksDBException;
    }

    /** Builds and writes one atomic batch; writes nothing when {@code work} adds nothing. */
    void write(BatchWork work) {
        reopenIfSpaceReturned();
        Lock lock = enter();
        try (WriteBatch batch = new WriteBatch()) {
            work.fill(batch);
            if (batch.count() > 0) {
                open.db().write(writeOptions, batch);
            }
        } catch (RocksDBException e) {
            throw failure("write", e);
        } finally {
            lock.unlock();
        }
    }

    /** Writes a batch the caller built while holding {@link #enter()}. */
    void write(WriteBatch batch) {
        Lock lock = enter();
        try {
            open.db().write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw failure("write", e);
        } finally {
            lock.unlock();
        }
    }

    /** For scans; the caller holds {@link #enter()} until it closes the iterator. */
    RocksIterator iterator(Family family) {
        return open.db().newIterator(open.get(family), readOptions);
    }

    /** For reads that must agree with each other (a document's header and body); the caller releases it. */
    ReadOptions snapshotReadOptions() {
        return new ReadOptions().setSnapshot(open.db().getSnapshot());
    }

    void releaseSnapshot(ReadOptions options) {
        open.db().releaseSnapshot(options.snapshot());
        options.close();
    }

    StoreException failure(String operation, RocksDBException e) {
        if (isNoSpace(e)) {
            reopenWanted = true;
            return new StoreFullException("no space left on the disk of data directory " + dir, e);
        }
        return new StoreException("disk " + operation + " failed in data directory " + dir + ": " + e.getMessage(), e);
    }

    /**
     * ENOSPC, as RocksDB reports it: a NoSpace status on the failing write, or the message of the OS error when it
     * surfaces through a write that met an earlier failed one (RocksDB then reports the first error's text).
     */
    private static boolean isNoSpace(RocksDBException e) {
        if (e.getStatus() != null && e.getStatus().getSubCode() == org.rocksdb.Status.SubCode.NoSpace) {
            return true;
        }
        String message = e.getMessage();
        return message != null && message.contains("No space left on device");
    }

    @Override
    public void close() {
        Lock exclusive = lifecycle.writeLock();
        exclusive.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Handles h = open;
            open = null;
            try {
                if (h != null) {
                    // Handles before the database, the database before the options it was opened with.
                    for (ColumnFamilyHandle handle : h.families()) {
                        handle.close();
                    }
                    h.db().closeE();
                }
            } catch (RocksDBException e) {
                if (!reopenWanted) {
                    throw failure("close", e);
                }
                // After a full disk RocksDB reports its failed log on close; the next open replays what it holds.
                LOG.warn("closing the store in {} after a full disk: {}", dir, e.getMessage());
            } finally {
                writeOptions.close();
                readOptions.close();
                chunkReadOptions.close();
                config.close();
            }
        } finally {
            exclusive.unlock();
        }
    }
}

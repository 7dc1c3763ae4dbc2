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

    private final Path dir;
    private final RocksConfig config;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final WriteOptions writeOptions;
    private final ReadOptions readOptions;
    private final ReadOptions chunkReadOptions;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    final ColumnFamilyHandle formatFamily;
    final ColumnFamilyHandle metadataHeaders;
    final ColumnFamilyHandle metadataBodies;
    final ColumnFamilyHandle manifests;
    final ColumnFamilyHandle access;
    final ColumnFamilyHandle pending;
    final ColumnFamilyHandle chunks;

    private Rocks(Path dir, RocksConfig config, RocksDB db, List<ColumnFamilyHandle> handles) {
        this.dir = dir;
        this.config = config;
        this.db = db;
        this.handles = handles;
        // Order matches RocksConfig.descriptors().
        this.formatFamily = handles.get(0);
        this.metadataHeaders = handles.get(1);
        this.metadataBodies = handles.get(2);
        this.manifests = handles.get(3);
        this.access = handles.get(4);
        this.pending = handles.get(5);
        this.chunks = handles.get(6);
        // No fsync per write: losing the last moments of a cache to a power cut is fine, and the WAL's point-in-time
        // recovery still keeps what survives consistent. The WAL itself is on (disableWAL stays false).
        this.writeOptions = new WriteOptions();
        this.readOptions = new ReadOptions();
        // Chunk reads stream large blobs once per client; keep them from pushing hot index blocks out of the cache.
        this.chunkReadOptions = new ReadOptions().setFillCache(false);
    }

    static Rocks open(Path dir) {
        DataDirectory.prepare(dir);
        RocksConfig config = new RocksConfig();
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(config.dbOptions(), dir.toString(), config.descriptors(), handles);
            return new Rocks(dir, config, db, handles);
        } catch (RocksDBException e) {
            config.close();
            throw DataDirectory.openFailed(dir, e);
        }
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
        return lock;
    }

    /** Fails fast when the store is closed, for calls that touch no handle yet. */
    void requireOpen() {
        enter().unlock();
    }

    byte[] get(ColumnFamilyHandle family, byte[] key) {
        return get(family, readOptions, key);
    }

    byte[] get(ColumnFamilyHandle family, ReadOptions options, byte[] key) {
        Lock open = enter();
        try {
            return db.get(family, options, key);
        } catch (RocksDBException e) {
            throw failure("read", e);
        } finally {
            open.unlock();
        }
    }

    /** Reads a chunk into a heap array region; returns its full length or {@link RocksDB#NOT_FOUND}. */
    int getChunk(byte[] key, byte[] dst, int offset, int length) {
        Lock open = enter();
        try {
            return db.get(chunks, chunkReadOptions, key, 0, key.length, dst, offset, length);
        } catch (RocksDBException e) {
            throw failure("read", e);
        } finally {
            open.unlock();
        }
    }

    /** Reads a chunk into a direct buffer at its position; returns its full length or {@link RocksDB#NOT_FOUND}. */
    int getChunk(ByteBuffer directKey, ByteBuffer directDst) {
        Lock open = enter();
        try {
            return db.get(chunks, chunkReadOptions, directKey, directDst);
        } catch (RocksDBException e) {
            throw failure("read", e);
        } finally {
            open.unlock();
        }
    }

    void put(ColumnFamilyHandle family, byte[] key, byte[] value) {
        Lock open = enter();
        try {
            db.put(family, writeOptions, key, value);
        } catch (RocksDBException e) {
            throw failure("write", e);
        } finally {
            open.unlock();
        }
    }

    /** Fills a write batch; runs while the store is held open, since column family handles die with it. */
    @FunctionalInterface
    interface BatchWork {
        void fill(WriteBatch batch) throws RocksDBException;
    }

    /** Builds and writes one atomic batch; writes nothing when {@code work} adds nothing. */
    void write(BatchWork work) {
        Lock open = enter();
        try (WriteBatch batch = new WriteBatch()) {
            work.fill(batch);
            if (batch.count() > 0) {
                db.write(writeOptions, batch);
            }
        } catch (RocksDBException e) {
            throw failure("write", e);
        } finally {
            open.unlock();
        }
    }

    /** Writes a batch the caller built while holding {@link #enter()}. */
    void write(WriteBatch batch) {
        Lock open = enter();
        try {
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw failure("write", e);
        } finally {
            open.unlock();
        }
    }

    /** For scans; the caller holds {@link #enter()} until it closes the iterator. */
    RocksIterator iterator(ColumnFamilyHandle family) {
        return db.newIterator(family, readOptions);
    }

    /** For reads that must agree with each other (a document's header and body); the caller releases it. */
    ReadOptions snapshotReadOptions() {
        return new ReadOptions().setSnapshot(db.getSnapshot());
    }

    void releaseSnapshot(ReadOptions options) {
        db.releaseSnapshot(options.snapshot());
        options.close();
    }

    StoreException failure(String operation, RocksDBException e) {
        return new StoreException("disk " + operation + " failed in data directory " + dir + ": " + e.getMessage(), e);
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
            // Handles before the database, the database before the options it was opened with.
            for (ColumnFamilyHandle handle : handles) {
                handle.close();
            }
            try {
                db.closeE();
            } catch (RocksDBException e) {
                throw failure("close", e);
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

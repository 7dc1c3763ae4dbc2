package io.npmgateway.storage;

import java.nio.ByteBuffer;
import org.rocksdb.RocksDB;

/**
 * Reads one stored chunk into memory the caller owns. Both committed tarballs and downloads still in progress are
 * read through here, which is what lets many clients stream one tarball at their own pace from disk.
 *
 * <p>A direct {@link ByteBuffer} (the proxy's pooled off-heap buffers) is filled by RocksDB with one native copy and
 * no Java heap array in between; a heap buffer or a {@code byte[]} is filled the same way through its array.
 */
final class ChunkReader {

    // RocksDB's direct-buffer get wants the key in a direct buffer too; one per thread avoids allocating per read.
    private static final ThreadLocal<ByteBuffer> DIRECT_KEY =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(ChunkKeys.LENGTH));

    private final Rocks rocks;

    ChunkReader(Rocks rocks) {
        this.rocks = rocks;
    }

    /**
     * Puts the chunk at {@code dst}'s position and advances the position past it; the limit is left as it was.
     *
     * @return the chunk length
     */
    int read(String key, long downloadId, int index, int expectedLength, ByteBuffer dst) {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot read a chunk into a read-only buffer");
        }
        if (dst.remaining() < expectedLength) {
            throw new IllegalArgumentException("chunk " + index + " of " + key + " is " + expectedLength
                    + " bytes but the buffer has room for " + dst.remaining());
        }
        int position = dst.position();
        int limit = dst.limit();
        int length;
        if (dst.isDirect()) {
            ByteBuffer keyBuffer = ChunkKeys.chunk(DIRECT_KEY.get(), downloadId, index);
            length = rocks.getChunk(keyBuffer, dst);
            // RocksDB leaves the position and moves the limit to the end of the value; restore put() semantics.
            dst.limit(limit);
        } else {
            length = rocks.getChunk(ChunkKeys.chunk(downloadId, index), dst.array(), dst.arrayOffset() + position,
                    dst.remaining());
        }
        check(key, index, expectedLength, length);
        dst.position(position + length);
        return length;
    }

    byte[] read(String key, long downloadId, int index, int expectedLength) {
        byte[] chunk = new byte[expectedLength];
        int length = rocks.getChunk(ChunkKeys.chunk(downloadId, index), chunk, 0, expectedLength);
        check(key, index, expectedLength, length);
        return chunk;
    }

    private void check(String key, int index, int expectedLength, int length) {
        if (length == RocksDB.NOT_FOUND) {
            throw new TarballGoneException("chunk " + index + " of " + key
                    + " is gone: the tarball was evicted, purged or its download aborted while it was being read");
        }
        if (length != expectedLength) {
            throw new StoreException("chunk " + index + " of " + key + " in " + rocks.dir() + " is " + length
                    + " bytes where " + expectedLength + " were written; the store is damaged, purge this tarball");
        }
    }
}

package io.npmgateway.storage;

import java.nio.ByteBuffer;

/**
 * Keys of the tarball chunk family: an 8-byte download id and a 4-byte chunk index, big-endian, so one download's
 * chunks sort together and in order. The id is random per download attempt, so two attempts at the same tarball
 * never share a key, and a failed attempt can be deleted without touching a committed copy.
 */
final class ChunkKeys {

    static final int LENGTH = 12;

    private ChunkKeys() {
    }

    static byte[] chunk(long downloadId, int index) {
        return ByteBuffer.allocate(LENGTH).putLong(downloadId).putInt(index).array();
    }

    /** Writes the key at the start of {@code key} (a reusable direct buffer) and flips it for reading. */
    static ByteBuffer chunk(ByteBuffer key, long downloadId, int index) {
        key.clear();
        key.putLong(downloadId).putInt(index);
        return key.flip();
    }

    /** The first key a download can have. */
    static byte[] rangeStart(long downloadId) {
        return chunk(downloadId, 0);
    }

    /**
     * The exclusive end of this download's key range: the id followed by five 0xFF bytes sorts after every 12-byte
     * key with this id (it is longer and no smaller in any byte) and before every key of a greater id.
     */
    static byte[] rangeEnd(long downloadId) {
        return ByteBuffer.allocate(LENGTH + 1).putLong(downloadId).putInt(-1).put((byte) -1).array();
    }

    /** Key of the pending-download journal entry for this id. */
    static byte[] pending(long downloadId) {
        return ByteBuffer.allocate(Long.BYTES).putLong(downloadId).array();
    }

    static long pendingId(byte[] key) {
        return ByteBuffer.wrap(key).getLong();
    }
}

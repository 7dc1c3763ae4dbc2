package io.npmgateway.storage;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One download of one tarball into the store, started by {@link TarballStore#begin(String)} when a tarball request
 * misses. The proxy appends upstream body bytes as they arrive (and forwards the same bytes to the first client);
 * every full chunk goes to disk at once, so heap use stays at one chunk however large the tarball. Other clients
 * asking for the same tarball meanwhile read the chunks already on disk with {@link #readChunk(int, ByteBuffer)}, at
 * their own pace, instead of the gateway buffering the body for them.
 *
 * <p>Nothing is visible to {@link TarballStore#find(String)} until {@link #commit(ExpectedIntegrity)} has checked the
 * digests and written the last chunk together with the manifest in one atomic batch. {@link #abort()} (or
 * {@link #close()} before a commit) deletes the chunks; so does a failed integrity check. After a crash, chunks of an
 * unfinished download are found through the pending-download journal and deleted at the next open.
 *
 * <p>Threading: {@code append}, {@code commit} and {@code abort} are for the thread that owns the download (they are
 * synchronized, so a stray call from elsewhere is safe but waits); {@code readChunk}, {@code chunksWritten} and
 * {@code bytesWritten} may be called from any thread at any time.
 */
public final class TarballWriter implements AutoCloseable {

    private enum State { WRITING, COMMITTED, DISCARDED }

    private final TarballStore store;
    private final String key;
    private final String origin;
    private final long downloadId;
    private final int chunkSize;
    private final TarballDigests.Computer digests = new TarballDigests.Computer();

    private byte[] buffer;
    private int buffered;
    private boolean journaled;
    private volatile long bytesWritten;
    // Published after the chunk is in the database, so a reader that sees the count can read the chunk.
    private volatile int chunksWritten;
    // The committed length, set before the final chunk is counted; -1 while the download is open.
    private volatile long committedSize = -1;
    private volatile State state = State.WRITING;

    TarballWriter(TarballStore store, String key, String origin, long downloadId, int chunkSize) {
        this.store = store;
        this.key = key;
        this.origin = origin;
        this.downloadId = downloadId;
        this.chunkSize = chunkSize;
        this.buffer = new byte[chunkSize];
    }

    public String key() {
        return key;
    }

    /** Bytes every chunk but the last holds; readers size their buffers by it. */
    public int chunkSize() {
        return chunkSize;
    }

    /** Consumes all remaining bytes of {@code src}, leaving its position at its limit. */
    public synchronized void append(ByteBuffer src) {
        requireWriting();
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), chunkSize - buffered);
            src.get(buffer, buffered, n);
            accept(n);
        }
    }

    public synchronized void append(byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        requireWriting();
        while (length > 0) {
            int n = Math.min(length, chunkSize - buffered);
            System.arraycopy(src, offset, buffer, buffered, n);
            offset += n;
            length -= n;
            accept(n);
        }
    }

    public void append(byte[] src) {
        append(src, 0, src.length);
    }

    /** Chunks on disk and readable with {@link #readChunk}; after a commit this includes the last, shorter chunk. */
    public int chunksWritten() {
        return chunksWritten;
    }

    /** Bytes appended so far, including those still buffered for the next chunk. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /**
     * Reads chunk {@code index} (below {@link #chunksWritten()}) into {@code dst} at its position, advancing the
     * position; see {@link TarballStore#readChunk(TarballManifest, int, ByteBuffer)} for buffer handling.
     *
     * @return the chunk length
     * @throws TarballGoneException when the download was aborted or failed its integrity check
     */
    public int readChunk(int index, ByteBuffer dst) {
        int length = readableLength(index);
        return store.chunkReader().read(key, downloadId, index, length, dst);
    }

    /** Reads chunk {@code index} into a new array; simpler, at the cost of a heap allocation per chunk. */
    public byte[] readChunk(int index) {
        int length = readableLength(index);
        return store.chunkReader().read(key, downloadId, index, length);
    }

    /**
     * Checks the digests against {@code expected}; on a match writes the last chunk and the manifest in one atomic
     * batch and makes the tarball visible. On a mismatch deletes every chunk and stores nothing.
     *
     * @throws IllegalStateException when the download was already committed or aborted
     */
    public synchronized CommitResult commit(ExpectedIntegrity expected) {
        requireWriting();
        TarballDigests actual = digests.finish();
        if (!expected.matches(actual)) {
            discard();
            return new CommitResult.IntegrityMismatch(expected.toString(), expected.describeActual(actual));
        }
        long size = bytesWritten;
        byte[] lastChunk = buffered > 0 ? Arrays.copyOf(buffer, buffered) : null;
        int chunkCount = chunksWritten + (lastChunk == null ? 0 : 1);
        TarballManifest manifest;
        try {
            manifest = store.commit(key, origin, downloadId, size, chunkCount, chunkSize, lastChunk, actual, chunksWritten,
                    journaled);
        } catch (RuntimeException e) {
            discardQuietly(e);
            throw e;
        }
        buffer = null;
        if (manifest.downloadId() == downloadId) {
            committedSize = size;
            chunksWritten = chunkCount;
            state = State.COMMITTED;
        } else {
            // Another download of this key committed first; the store already dropped our chunks.
            state = State.DISCARDED;
        }
        return new CommitResult.Committed(manifest);
    }

    /** Deletes what was written. Does nothing after a commit or an earlier abort. */
    public synchronized void abort() {
        if (state == State.WRITING) {
            discard();
        }
    }

    /** Aborts unless committed, so try-with-resources never leaves chunks behind. */
    @Override
    public void close() {
        abort();
    }

    private void accept(int n) {
        digests.update(buffer, buffered, n);
        buffered += n;
        bytesWritten += n;
        if (buffered == chunkSize) {
            try {
                store.writeChunk(key, downloadId, chunksWritten, buffer, !journaled);
            } catch (RuntimeException e) {
                // A download missing a chunk can never commit: end it now and free the chunks it has.
                discardQuietly(e);
                throw e;
            }
            journaled = true;
            buffered = 0;
            chunksWritten++;
        }
    }

    private int readableLength(int index) {
        if (state == State.DISCARDED) {
            throw new TarballGoneException("download of " + key + " was aborted or failed its integrity check");
        }
        int readable = chunksWritten;
        if (index < 0 || index >= readable) {
            throw new IndexOutOfBoundsException(
                    "chunk " + index + " of " + key + " is not written yet (" + readable + " written)");
        }
        long size = committedSize;
        if (size >= 0 && index == readable - 1) {
            return (int) (size - (long) index * chunkSize);
        }
        return chunkSize;
    }

    private void discard() {
        state = State.DISCARDED;
        buffer = null;
        store.discard(key, downloadId, chunksWritten, journaled);
    }

    private void discardQuietly(RuntimeException cause) {
        try {
            discard();
        } catch (RuntimeException e) {
            // The journal entry stays, so the next open deletes these chunks; the commit failure is what matters.
            cause.addSuppressed(e);
        }
    }

    private void requireWriting() {
        if (state != State.WRITING) {
            throw new IllegalStateException("download of " + key + " is already " + state.name().toLowerCase());
        }
    }
}

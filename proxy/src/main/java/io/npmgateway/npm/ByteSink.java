package io.npmgateway.npm;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable in-memory output the rewriter writes documents into. Unlike {@link java.io.ByteArrayOutputStream}
 * it is unsynchronised and hands over its array without a copy when the size guess was exact, which matters
 * when documents are tens of megabytes and rewritten on every upstream refresh.
 */
final class ByteSink extends OutputStream {

    /** Some VMs reserve header words in arrays; staying below this avoids OutOfMemoryError on growth. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private byte[] buffer;
    private int count;

    ByteSink(int initialCapacity) {
        buffer = new byte[Math.max(64, Math.min(initialCapacity, MAX_ARRAY_LENGTH))];
    }

    @Override
    public void write(int b) {
        ensureCapacity(count + 1);
        buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        ensureCapacity(count + length);
        System.arraycopy(bytes, offset, buffer, count, length);
        count += length;
    }

    int size() {
        return count;
    }

    /** The bytes written; the sink must not be written to afterwards, since the array may be shared. */
    byte[] toByteArray() {
        return count == buffer.length ? buffer : Arrays.copyOf(buffer, count);
    }

    private void ensureCapacity(int needed) {
        if (needed < 0 || needed > MAX_ARRAY_LENGTH) {
            throw new OutOfMemoryError("document larger than a Java array can hold");
        }
        if (needed > buffer.length) {
            // 1.5x growth: a wrong size guess costs one or two copies, not one per write.
            long grown = Math.max((long) needed, buffer.length + ((long) buffer.length >> 1));
            buffer = Arrays.copyOf(buffer, (int) Math.min(grown, MAX_ARRAY_LENGTH));
        }
    }
}

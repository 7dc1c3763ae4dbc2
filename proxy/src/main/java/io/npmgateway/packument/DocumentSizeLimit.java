package io.npmgateway.packument;

/**
 * The largest upstream packument the gateway accepts, given the configured limit and the heap it runs in. A
 * document is held whole while it is rewritten, and the rewrite makes a full and an abbreviated copy and their gzip,
 * so one document needs several times its size; a limit the heap cannot honour would turn a huge document into an
 * {@link OutOfMemoryError} (a 500 for everyone being served at that moment) instead of a clear 502 for that one.
 *
 * <p>Applied once, when the gateway starts, before the {@link PackumentService} is built.
 */
public final class DocumentSizeLimit {
    /** A document may take at most this share of the heap: about 50 MB in the 256 MB the gateway is run with. */
    static final int HEAP_SHARE_DIVISOR = 5;

    private DocumentSizeLimit() {
    }

    /** The configured limit, lowered to a fifth of {@code maxHeapBytes} when that is smaller. */
    public static long effective(long configuredBytes, long maxHeapBytes) {
        if (maxHeapBytes <= 0 || maxHeapBytes == Long.MAX_VALUE) {
            return configuredBytes;
        }
        return Math.min(configuredBytes, maxHeapBytes / HEAP_SHARE_DIVISOR);
    }
}

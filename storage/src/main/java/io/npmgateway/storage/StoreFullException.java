package io.npmgateway.storage;

/**
 * A write failed because the data directory's filesystem is full. Separate from other {@link StoreException}s
 * because it is the operator's to fix and passes by itself once space returns: the proxy answers 507 for the one
 * request, keeps serving what is stored, and blames no upstream.
 */
public final class StoreFullException extends StoreException {
    public StoreFullException(String message, Throwable cause) {
        super(message, cause);
    }
}

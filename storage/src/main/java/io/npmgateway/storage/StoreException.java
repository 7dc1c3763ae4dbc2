package io.npmgateway.storage;

/**
 * The store could not do what was asked: the data directory cannot be opened, or a disk read or write failed.
 * Unchecked because the proxy meets it on event-loop threads, where the only sensible reaction is to fail the
 * one request (or refuse to start); the message says what happened in terms an operator can act on.
 */
public class StoreException extends RuntimeException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

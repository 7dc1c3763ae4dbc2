package io.npmgateway.tarball;

import io.npmgateway.storage.StoreFullException;

/**
 * A tarball download ended because the gateway's own store refused a write (its disk is full, or failing), not
 * because of the upstream: the client is told so (507 when the disk is full) and no upstream is blamed.
 */
public final class TarballNotStoredException extends RuntimeException {
    private final boolean diskFull;

    TarballNotStoredException(String subject, RuntimeException cause) {
        super(cause instanceof StoreFullException
                ? "the gateway could not store " + subject + ": no space left on its disk"
                : "the gateway could not store " + subject + ": its disk write failed", cause);
        this.diskFull = cause instanceof StoreFullException;
    }

    public boolean diskFull() {
        return diskFull;
    }
}

package io.npmgateway.storage;

/**
 * A chunk that was readable a moment ago is no longer there: the tarball was evicted or purged, or its download
 * was aborted, while a client was still streaming it. The proxy ends that response early (the client sees a
 * truncated body, never a wrong one, and retries); it is not a disk fault.
 */
public final class TarballGoneException extends StoreException {

    public TarballGoneException(String message) {
        super(message);
    }
}

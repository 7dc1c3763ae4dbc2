package io.npmgateway.storage;

/**
 * How {@link TarballWriter#commit(ExpectedIntegrity)} ended. The proxy switches on it: a committed tarball is served
 * from the store from now on; a mismatch means the upstream sent bytes that do not match the packument, nothing was
 * stored, and the proxy counts an integrity failure and fails the response.
 */
public sealed interface CommitResult {

    /**
     * The tarball is stored and visible to {@link TarballStore#find(String)}. When another download of the same key
     * committed first, this carries that earlier manifest: tarballs are immutable, so the first verified copy stays
     * and the later one is dropped.
     */
    record Committed(TarballManifest manifest) implements CommitResult {
    }

    /**
     * The bytes did not hash to what the packument promised; the chunks are already deleted.
     *
     * @param expected the expectation in SRI form, e.g. {@code sha512-...}
     * @param actual   the digest of the received bytes in the same algorithm and form
     */
    record IntegrityMismatch(String expected, String actual) implements CommitResult {
    }
}

package io.npmgateway.storage;

import java.util.Arrays;
import java.util.Objects;

/**
 * A packument as fetched from an upstream, kept on disk under the proxy's in-memory cache so that a restart or a
 * memory-cache eviction does not cost an upstream round trip, and so that stale copies can be served when every
 * upstream is down.
 *
 * <p>The body is held, not copied: documents reach 40 MB, so the store takes the array as given and hands out the
 * array it read. Callers must not modify it afterwards.
 *
 * @param body            the document bytes as the proxy chose to keep them
 * @param etag            the upstream's ETag, for If-None-Match revalidation; null when it sent none
 * @param lastModified    the upstream's Last-Modified, for If-Modified-Since; null when it sent none
 * @param fetchedAtMillis when the upstream last confirmed this content (fetched or revalidated)
 * @param upstreamId      which configured upstream served it
 */
public record StoredDocument(byte[] body, String etag, String lastModified, long fetchedAtMillis, String upstreamId) {

    public StoredDocument {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(upstreamId, "upstreamId");
    }

    /** The same content, confirmed again by the upstream at {@code millis} (a 304 answer to revalidation). */
    public StoredDocument revalidated(String newEtag, String newLastModified, long millis) {
        return new StoredDocument(body, newEtag, newLastModified, millis, upstreamId);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StoredDocument that
                && Arrays.equals(body, that.body)
                && Objects.equals(etag, that.etag)
                && Objects.equals(lastModified, that.lastModified)
                && fetchedAtMillis == that.fetchedAtMillis
                && upstreamId.equals(that.upstreamId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(body), etag, lastModified, fetchedAtMillis, upstreamId);
    }

    @Override
    public String toString() {
        return "StoredDocument[body=" + body.length + " bytes, etag=" + etag + ", lastModified=" + lastModified
                + ", fetchedAtMillis=" + fetchedAtMillis + ", upstreamId=" + upstreamId + "]";
    }
}

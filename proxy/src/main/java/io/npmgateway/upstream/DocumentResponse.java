package io.npmgateway.upstream;

/**
 * A whole upstream response held in memory: used for packuments, which the gateway must read entirely to
 * rewrite, and which are bounded by the configured maximum document size.
 *
 * @param status       the final HTTP status (after redirects)
 * @param etag         the upstream's ETag, or null
 * @param lastModified the upstream's Last-Modified, or null
 * @param body         the decoded (gunzipped) body; empty for 304 and HEAD
 */
public record DocumentResponse(int status, String etag, String lastModified, byte[] body) {
}

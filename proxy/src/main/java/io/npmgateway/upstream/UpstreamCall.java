package io.npmgateway.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One request to an upstream, as the upstream layer asks the transport to make it: a GET for documents and
 * tarballs, or a write (POST, PUT, DELETE) with a whole body for the requests the gateway passes through
 * (audit, publish, dist-tags).
 *
 * @param upstreamId     names the upstream in errors and metrics
 * @param uri            the first URL to fetch
 * @param headers        the headers for a URL; asked again for every redirect target, so credentials are
 *                       decided per URL and never follow a redirect off the upstream's own space
 * @param connectTimeout connect (and TLS handshake) timeout
 * @param readTimeout    longest silence allowed while waiting for bytes
 * @param maxRedirects   how many redirects to follow; 0 turns a 3xx into an error. Requests other than GET and
 *                       HEAD never follow redirects: their 3xx is returned as it came
 * @param method         the HTTP method, upper case
 * @param body           the request body, or null for none
 */
public record UpstreamCall(
        String upstreamId,
        URI uri,
        RequestHeaders headers,
        Duration connectTimeout,
        Duration readTimeout,
        int maxRedirects,
        String method,
        byte[] body) {

    public UpstreamCall {
        Objects.requireNonNull(upstreamId, "upstreamId");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        method = method == null ? "GET" : method;
    }

    /** A GET without a body. */
    public UpstreamCall(String upstreamId, URI uri, RequestHeaders headers, Duration connectTimeout,
            Duration readTimeout, int maxRedirects) {
        this(upstreamId, uri, headers, connectTimeout, readTimeout, maxRedirects, "GET", null);
    }

    /**
     * Whether the request may be sent twice: only GET and HEAD. A write that reached the upstream may have taken
     * effect even when its connection broke before the answer (a publish sent again would then be refused as a
     * duplicate), so writes are never retried.
     */
    public boolean retriable() {
        return method.equals("GET") || method.equals("HEAD");
    }

    /** Decides the request headers for each URL a call visits. */
    @FunctionalInterface
    public interface RequestHeaders {
        Map<String, String> forUri(URI uri);
    }
}

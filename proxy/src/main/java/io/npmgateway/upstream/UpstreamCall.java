package io.npmgateway.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One GET to an upstream, as the upstream layer asks the transport to make it.
 *
 * @param upstreamId     names the upstream in errors and metrics
 * @param uri            the first URL to fetch
 * @param headers        the headers for a URL; asked again for every redirect target, so credentials are
 *                       decided per URL and never follow a redirect off the upstream's own space
 * @param connectTimeout connect (and TLS handshake) timeout
 * @param readTimeout    longest silence allowed while waiting for bytes
 * @param maxRedirects   how many redirects to follow; 0 turns a 3xx into an error
 */
public record UpstreamCall(
        String upstreamId,
        URI uri,
        RequestHeaders headers,
        Duration connectTimeout,
        Duration readTimeout,
        int maxRedirects) {

    public UpstreamCall {
        Objects.requireNonNull(upstreamId, "upstreamId");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
    }

    /** Decides the request headers for each URL a call visits. */
    @FunctionalInterface
    public interface RequestHeaders {
        Map<String, String> forUri(URI uri);
    }
}

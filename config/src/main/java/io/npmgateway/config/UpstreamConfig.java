package io.npmgateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * One upstream registry in the chain.
 *
 * @param id             a short name used in logs, metrics and error messages
 * @param url            the registry base URL, with its path prefix and a trailing slash
 * @param connectTimeout how long to wait for a TCP (and TLS) connection
 * @param readTimeout    how long the upstream may stay silent mid-response before the request fails
 */
public record UpstreamConfig(String id, String url, Duration connectTimeout, Duration readTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);

    public UpstreamConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(url, "url");
        url = url.endsWith("/") ? url : url + "/";
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        readTimeout = readTimeout == null ? DEFAULT_READ_TIMEOUT : readTimeout;
    }

    public static UpstreamConfig of(String id, String url) {
        return new UpstreamConfig(id, url, null, null);
    }
}

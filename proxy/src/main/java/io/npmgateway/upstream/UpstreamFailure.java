package io.npmgateway.upstream;

/**
 * Why an upstream call failed, in the words metrics and error bodies use. Each reason maps to one label value
 * of the upstream error counter and to one sentence a client can read.
 */
public enum UpstreamFailure {
    /** No TCP (or TLS) connection within the connect timeout, or refused. */
    CONNECT("connect", "could not connect"),
    /** The TLS handshake failed: certificate, protocol or host name. */
    TLS("tls", "TLS handshake failed"),
    /** The upstream stayed silent for longer than the read timeout. */
    TIMEOUT("timeout", "timed out"),
    /** The connection closed or was reset before the whole response arrived. */
    TRUNCATED("truncated", "closed the connection before the whole response arrived"),
    /** The upstream answered with something that is not a usable HTTP response or document. */
    INVALID("invalid", "sent an invalid response"),
    /** The response was larger than the gateway accepts for that kind of document. */
    TOO_LARGE("too_large", "sent a document larger than the configured limit"),
    /** The upstream refused the gateway's credentials (401/403). */
    UNAUTHORIZED("unauthorized", "refused the gateway's credentials"),
    /** A 4xx other than 401/403/404. */
    STATUS_4XX("4xx", "answered with a client error"),
    /** A 5xx. */
    STATUS_5XX("5xx", "answered with a server error"),
    /** Too many redirects, or a redirect to something that is not http(s). */
    REDIRECT("redirect", "redirected too often or to an unusable location"),
    /** The bytes did not match the integrity the packument promised. */
    INTEGRITY("integrity", "sent a tarball whose bytes do not match its integrity"),
    /** The gateway gave up the request itself (the client went away mid-upload): no fault of the upstream. */
    CANCELLED("cancelled", "was left mid-request: the client went away");

    private final String label;
    private final String description;

    UpstreamFailure(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The metric label value. */
    public String label() {
        return label;
    }

    /** A short phrase that completes "upstream X ...". */
    public String description() {
        return description;
    }
}

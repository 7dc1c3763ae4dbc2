package io.npmgateway.metrics;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Why an upstream request failed: the {@code reason} label of {@code npm_gateway_upstream_errors_total}. */
public enum UpstreamErrorReason {
    /** Connect, read or whole-request timeout. */
    TIMEOUT("timeout"),
    /** Connection refused, reset, DNS failure, or the connection closed before a response. */
    CONNECT("connect"),
    /** TLS handshake or certificate failure. */
    TLS("tls"),
    /** A 4xx answer other than 401/403 and the 404 that means "not here, try the next upstream". */
    STATUS_4XX("4xx"),
    /** A 5xx answer. */
    STATUS_5XX("5xx"),
    /** A tarball whose bytes did not match {@code dist.integrity}/{@code shasum}. */
    INTEGRITY("integrity"),
    /** A body shorter than its Content-Length, or a connection closed mid-body. */
    TRUNCATED("truncated"),
    /** A body that could not be parsed (not JSON, not a packument). */
    INVALID("invalid"),
    /** A body over the configured size limit. */
    TOO_LARGE("too_large"),
    /** 401 or 403: the upstream refused our credentials. */
    UNAUTHORIZED("unauthorized"),
    /** A redirect the gateway would not follow (too many, or to a disallowed target). */
    REDIRECT("redirect"),
    /** A reason not in this list (what {@link #fromLabel(String)} returns for unknown text). */
    OTHER("other");

    private static final Map<String, UpstreamErrorReason> BY_LABEL = new HashMap<>();

    static {
        for (UpstreamErrorReason reason : values()) {
            BY_LABEL.put(reason.label, reason);
        }
    }

    private final String label;

    UpstreamErrorReason(String label) {
        this.label = label;
    }

    /** The label value exported to Prometheus. */
    public String label() {
        return label;
    }

    /**
     * The reason whose {@link #label()} is {@code label} (case-insensitive); {@link #OTHER} for anything
     * else, including {@code null}, so a typo never creates a new series.
     */
    public static UpstreamErrorReason fromLabel(String label) {
        if (label == null) {
            return OTHER;
        }
        UpstreamErrorReason reason = BY_LABEL.get(label);
        if (reason == null) {
            reason = BY_LABEL.get(label.toLowerCase(Locale.ROOT));
        }
        return reason == null ? OTHER : reason;
    }
}

package io.npmgateway.metrics;

/**
 * The npm route a client request was answered by: the {@code route} label of
 * {@code npm_gateway_requests_seconds} and {@code npm_gateway_served_bytes_total}.
 *
 * <p>The proxy maps its router's result onto one of these; anything that is not one of the named npm reads
 * (ping, search, audit, publish, health, metrics, unknown paths) is {@link #OTHER}.
 */
public enum Route {
    /** {@code GET /<name>}: the full packument. */
    PACKUMENT("packument"),
    /** {@code GET /<name>} with {@code Accept: application/vnd.npm.install-v1+json}: the abbreviated packument. */
    ABBREVIATED("abbreviated"),
    /** {@code GET /<name>/<version-or-tag>}: one version's manifest. */
    VERSION("version"),
    /** {@code GET /-/package/<name>/dist-tags}. */
    DIST_TAGS("dist_tags"),
    /** {@code GET /<name>/-/<file>.tgz}. */
    TARBALL("tarball"),
    /** Everything else. */
    OTHER("other");

    private final String label;

    Route(String label) {
        this.label = label;
    }

    /** The label value exported to Prometheus. */
    public String label() {
        return label;
    }
}

package io.npmgateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How operators see and steer a running gateway.
 *
 * @param adminToken    the bearer token of the admin API (purge, cache totals); {@code null} disables the API
 * @param metricsPath   where Prometheus scrapes, default {@code /metrics}; {@code null} turns the endpoint off
 * @param accessLog     one line per request, as plain text or JSON objects
 * @param shutdownGrace how long a shutdown waits for responses under way before closing the store
 */
public record OperationsConfig(Secret adminToken, String metricsPath, AccessLogFormat accessLog,
        Duration shutdownGrace) {

    public static final String DEFAULT_METRICS_PATH = "/metrics";

    public OperationsConfig {
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    }

    public static OperationsConfig defaults() {
        return new OperationsConfig(null, DEFAULT_METRICS_PATH, AccessLogFormat.TEXT, Duration.ofSeconds(30));
    }

    public OperationsConfig withAdminToken(Secret token) {
        return new OperationsConfig(token, metricsPath, accessLog, shutdownGrace);
    }

    /** The format of access-log lines. */
    public enum AccessLogFormat {
        TEXT,
        JSON
    }
}

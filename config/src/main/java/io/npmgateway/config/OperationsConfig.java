package io.npmgateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How operators see and steer a running gateway.
 *
 * @param adminToken    the bearer token of the admin API (purge, cache totals); {@code null} disables the API
 * @param metricsPath   where Prometheus scrapes, default {@code /metrics}; {@code null} turns the endpoint off
 * @param metricsPort   a separate port for the scrape (and health/readiness probes), or {@code null} to serve it
 *                      on the registry port
 * @param accessLog     one line per request, as plain text or JSON objects
 * @param shutdownGrace how long a shutdown waits for responses under way before closing the store
 */
public record OperationsConfig(Secret adminToken, String metricsPath, Integer metricsPort, AccessLogFormat accessLog,
        Duration shutdownGrace) {

    public static final String DEFAULT_METRICS_PATH = "/metrics";

    public OperationsConfig {
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    }

    public static OperationsConfig defaults() {
        return new OperationsConfig(null, DEFAULT_METRICS_PATH, null, AccessLogFormat.TEXT, Duration.ofSeconds(30));
    }

    public OperationsConfig withAdminToken(Secret token) {
        return new OperationsConfig(token, metricsPath, metricsPort, accessLog, shutdownGrace);
    }

    /** A scrape on its own port (so the registry port can be public and the metrics not). */
    public OperationsConfig withMetricsPort(Integer port) {
        return new OperationsConfig(adminToken, metricsPath, port, accessLog, shutdownGrace);
    }

    /** The format of access-log lines. */
    public enum AccessLogFormat {
        TEXT,
        JSON
    }
}

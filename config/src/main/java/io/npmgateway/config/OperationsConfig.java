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
 * @param downloadsPackageLabelCap how many distinct packages the downloads counter labels by name; the rest are
 *                      counted under one label, so the series count stays bounded however many packages are served
 * @param metricsHistograms whether request and upstream latencies export histogram buckets (what p50/p99 need)
 */
public record OperationsConfig(Secret adminToken, String metricsPath, Integer metricsPort, AccessLogFormat accessLog,
        Duration shutdownGrace, int downloadsPackageLabelCap, boolean metricsHistograms) {

    public static final String DEFAULT_METRICS_PATH = "/metrics";
    /** Enough for the packages a large company really installs, few enough for one Prometheus. */
    public static final int DEFAULT_DOWNLOADS_PACKAGE_LABEL_CAP = 1000;

    public OperationsConfig {
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (downloadsPackageLabelCap < 0) {
            throw new IllegalArgumentException("downloadsPackageLabelCap must be 0 or more");
        }
    }

    public static OperationsConfig defaults() {
        return new OperationsConfig(null, DEFAULT_METRICS_PATH, null, AccessLogFormat.TEXT, Duration.ofSeconds(30),
                DEFAULT_DOWNLOADS_PACKAGE_LABEL_CAP, true);
    }

    public OperationsConfig withAdminToken(Secret token) {
        return new OperationsConfig(token, metricsPath, metricsPort, accessLog, shutdownGrace,
                downloadsPackageLabelCap, metricsHistograms);
    }

    /** A scrape on its own port (so the registry port can be public and the metrics not). */
    public OperationsConfig withMetricsPort(Integer port) {
        return new OperationsConfig(adminToken, metricsPath, port, accessLog, shutdownGrace,
                downloadsPackageLabelCap, metricsHistograms);
    }

    /** At most {@code cap} package names as labels of the downloads counter. */
    public OperationsConfig withDownloadsPackageLabelCap(int cap) {
        return new OperationsConfig(adminToken, metricsPath, metricsPort, accessLog, shutdownGrace, cap,
                metricsHistograms);
    }

    /** The access-log format. */
    public OperationsConfig withAccessLog(AccessLogFormat format) {
        return new OperationsConfig(adminToken, metricsPath, metricsPort, format, shutdownGrace,
                downloadsPackageLabelCap, metricsHistograms);
    }

    /** How long a shutdown waits for responses under way. */
    public OperationsConfig withShutdownGrace(Duration grace) {
        return new OperationsConfig(adminToken, metricsPath, metricsPort, accessLog, grace,
                downloadsPackageLabelCap, metricsHistograms);
    }

    /** The format of access-log lines. */
    public enum AccessLogFormat {
        TEXT,
        JSON
    }
}

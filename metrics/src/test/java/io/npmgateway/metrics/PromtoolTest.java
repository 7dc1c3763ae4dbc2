package io.npmgateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code promtool check metrics} accepts the scrape output with no lint complaint. These tests FAIL (they do
 * not skip) when promtool is missing: install it with {@code apt-get install -y prometheus}.
 */
class PromtoolTest {

    private static void assertPromtoolAccepts(String scrape) {
        Path promtool = MetricsFixtures.promtool();

        MetricsFixtures.Run run = MetricsFixtures.run(List.of(promtool.toString(), "check", "metrics"), scrape);

        assertThat(run.output()).as("promtool check metrics output (lint problems)").isEmpty();
        assertThat(run.exitCode()).as("promtool check metrics exit code; output:\n%s", run.output()).isZero();
    }

    @Test
    void promtoolFindsNoProblemInTheScrapeOfAFullyRecordedGateway() {
        try (GatewayMetrics metrics = new GatewayMetrics()) {
            MetricsFixtures.recordEverything(metrics);
            // A GC makes the JVM GC pause timer appear too.
            System.gc();

            assertPromtoolAccepts(metrics.scrape());
        }
    }

    @Test
    void promtoolFindsNoProblemWithHistogramsOff() {
        try (GatewayMetrics metrics = new GatewayMetrics(new MetricsConfig(5, false))) {
            MetricsFixtures.recordEverything(metrics);

            assertPromtoolAccepts(metrics.scrape());
        }
    }

    @Test
    void promtoolFindsNoProblemInAFreshGateway() {
        try (GatewayMetrics metrics = new GatewayMetrics()) {
            assertPromtoolAccepts(metrics.scrape());
        }
    }
}

package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The readiness verdict when the store is closed: not ready, whatever is cached. */
class ReadinessTest {
    @Test
    void aClosedStoreIsNotReadyEvenWithTarballsCached() {
        Readiness.Report report = new Readiness(() -> false, () -> 5, List.of()).report();
        assertThat(report.ready()).isFalse();
        assertThat(report.json()).contains("\"status\":\"not ready\"", "\"store\":\"closed\"");
    }

    @Test
    void anOpenStoreWithTarballsCachedIsReadyWithoutAnyUpstreamUp() {
        Readiness.Report report = new Readiness(() -> true, () -> 1, List.of()).report();
        assertThat(report.ready()).isTrue();
        assertThat(report.json()).contains("\"status\":\"ready\"", "\"store\":\"open\"", "\"cachedTarballs\":1");
    }
}

package io.npmgateway.server;

import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.packument.PackumentService;
import io.npmgateway.storage.GatewayStore;
import io.npmgateway.tarball.TarballService;
import io.npmgateway.upstream.Upstream;
import java.util.List;

/**
 * What the server's routes answer from: the caches, the store, the upstreams (for readiness) and the metrics.
 *
 * @param metricsPath    where the Prometheus scrape is served, or null for nowhere
 * @param metricsPort    a port of its own for the scrape and the probes, or null for the registry port
 * @param jsonAccessLog  access-log lines as JSON objects instead of plain text
 * @param adminToken     the bearer token the admin API requires, or null to disable it
 * @param access         which clients may read which packages
 */
public record ServerServices(
        PackumentService packuments,
        TarballService tarballs,
        GatewayStore store,
        List<Upstream> upstreams,
        GatewayMetrics metrics,
        String metricsPath,
        Integer metricsPort,
        boolean jsonAccessLog,
        String adminToken,
        ClientAccess access) {

    /** Services with every package open to every client. */
    public ServerServices(PackumentService packuments, TarballService tarballs, GatewayStore store,
            List<Upstream> upstreams, GatewayMetrics metrics, String metricsPath, boolean jsonAccessLog,
            String adminToken) {
        this(packuments, tarballs, store, upstreams, metrics, metricsPath, null, jsonAccessLog, adminToken,
                ClientAccess.open());
    }
}

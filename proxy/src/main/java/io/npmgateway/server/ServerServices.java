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
 * @param passThrough    where audit, search and writes go (see {@link PassThrough})
 * @param login          checks {@code npm login} passwords; null: login is not configured
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
        ClientAccess access,
        PassThrough passThrough,
        io.npmgateway.auth.LoginService login) {

    public ServerServices {
        access = access == null ? ClientAccess.open() : access;
        passThrough = passThrough == null ? PassThrough.NONE : passThrough;
    }

    /** Services with every package open to every client, no audit upstream and no write target. */
    public ServerServices(PackumentService packuments, TarballService tarballs, GatewayStore store,
            List<Upstream> upstreams, GatewayMetrics metrics, String metricsPath, Integer metricsPort,
            boolean jsonAccessLog, String adminToken) {
        this(packuments, tarballs, store, upstreams, metrics, metricsPath, metricsPort, jsonAccessLog, adminToken,
                null, null, null);
    }

    /**
     * Which upstreams the pass-through requests go to.
     *
     * @param writeTarget   the upstream that receives writes, or null to refuse them (405)
     * @param auditUpstream the upstream that answers audits, or null (501)
     * @param rewriter      the gateway's tarball URL rewriter (for {@code ?write=true} reads and the reverse mapping
     *                      of whole documents written back)
     */
    public record PassThrough(Upstream writeTarget, Upstream auditUpstream,
            java.util.function.Supplier<io.npmgateway.npm.PackumentRewriter> rewriter) {
        static final PassThrough NONE = new PassThrough(null, null, null);
    }
}

package io.npmgateway.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole configuration of one gateway process, immutable once loaded. Built by {@link ConfigLoader} from a
 * YAML file (or an imported {@code .npmrc}), then the environment, then command-line flags, and validated before
 * anything starts.
 *
 * @param server        where the gateway listens
 * @param dataDir       the cache store's directory
 * @param upstreams     the upstream registries, in their configured order
 * @param cache         metadata cache settings
 * @param storage       tarball store settings
 * @param routes        package patterns to upstreams, first match wins; empty means one route {@code *} to every
 *                      upstream in order (see {@link #effectiveRoutes()})
 * @param clients       tokens accepted from clients of the gateway
 * @param writeTarget   the id of the upstream that receives writes (publish, dist-tag, deprecate); {@code null}
 *                      means writes are refused
 * @param auditUpstream the id of the upstream that answers {@code npm audit}; {@code null} means audit is not
 *                      offered
 * @param operations    admin token, metrics endpoint, access-log format, shutdown grace
 */
public record GatewayConfig(
        ServerConfig server,
        Path dataDir,
        List<UpstreamConfig> upstreams,
        CacheConfig cache,
        StorageConfig storage,
        List<RouteConfig> routes,
        ClientTokens clients,
        String writeTarget,
        String auditUpstream,
        OperationsConfig operations) {

    public GatewayConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(dataDir, "dataDir");
        upstreams = List.copyOf(upstreams);
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(storage, "storage");
        routes = routes == null ? List.of() : List.copyOf(routes);
        clients = clients == null ? ClientTokens.none() : clients;
        operations = operations == null ? OperationsConfig.defaults() : operations;
    }

    /** The configuration as it was before operations settings existed; operations take their defaults. */
    public GatewayConfig(ServerConfig server, Path dataDir, List<UpstreamConfig> upstreams, CacheConfig cache,
            StorageConfig storage, List<RouteConfig> routes, ClientTokens clients, String writeTarget,
            String auditUpstream) {
        this(server, dataDir, upstreams, cache, storage, routes, clients, writeTarget, auditUpstream, null);
    }

    public GatewayConfig withOperations(OperationsConfig newOperations) {
        return new GatewayConfig(server, dataDir, upstreams, cache, storage, routes, clients, writeTarget,
                auditUpstream, newOperations);
    }

    /** A configuration without routes, client tokens, write target or audit upstream. */
    public GatewayConfig(ServerConfig server, Path dataDir, List<UpstreamConfig> upstreams, CacheConfig cache,
            StorageConfig storage) {
        this(server, dataDir, upstreams, cache, storage, List.of(), ClientTokens.none(), null, null);
    }

    public GatewayConfig withServer(ServerConfig newServer) {
        return new GatewayConfig(newServer, dataDir, upstreams, cache, storage, routes, clients, writeTarget,
                auditUpstream, operations);
    }

    public GatewayConfig withDataDir(Path newDataDir) {
        return new GatewayConfig(server, newDataDir, upstreams, cache, storage, routes, clients, writeTarget,
                auditUpstream, operations);
    }

    public GatewayConfig withUpstreams(List<UpstreamConfig> newUpstreams) {
        return new GatewayConfig(server, dataDir, newUpstreams, cache, storage, routes, clients, writeTarget,
                auditUpstream, operations);
    }

    public GatewayConfig withRoutes(List<RouteConfig> newRoutes) {
        return new GatewayConfig(server, dataDir, upstreams, cache, storage, newRoutes, clients, writeTarget,
                auditUpstream, operations);
    }

    public GatewayConfig withClients(ClientTokens newClients) {
        return new GatewayConfig(server, dataDir, upstreams, cache, storage, routes, newClients, writeTarget,
                auditUpstream, operations);
    }

    public GatewayConfig withWriteTarget(String newWriteTarget) {
        return new GatewayConfig(server, dataDir, upstreams, cache, storage, routes, clients, newWriteTarget,
                auditUpstream, operations);
    }

    public GatewayConfig withAuditUpstream(String newAuditUpstream) {
        return new GatewayConfig(server, dataDir, upstreams, cache, storage, routes, clients, writeTarget,
                newAuditUpstream, operations);
    }

    /** The upstream with this id. */
    public Optional<UpstreamConfig> upstream(String id) {
        return upstreams.stream().filter(u -> u.id().equals(id)).findFirst();
    }

    /**
     * What clients without a token may do on a route that does not say: read, unless client tokens are
     * configured (configuring tokens turns authentication on; a route opts out with {@code anonymous: read}).
     */
    public RouteConfig.Access defaultAnonymousAccess() {
        return clients.isEmpty() ? RouteConfig.Access.READ : RouteConfig.Access.NONE;
    }

    /**
     * The routes in force: the configured ones, or, when none are configured, one route {@code *} to every
     * upstream in order with policy {@code first} and the {@linkplain #defaultAnonymousAccess() default access}.
     */
    public List<RouteConfig> effectiveRoutes() {
        if (!routes.isEmpty() || upstreams.isEmpty()) {
            return routes;
        }
        return List.of(new RouteConfig("*", upstreams.stream().map(UpstreamConfig::id).toList(),
                RouteConfig.Policy.FIRST, defaultAnonymousAccess()));
    }

    /** The {@linkplain #effectiveRoutes() routes in force}, ready for per-request lookups. */
    public RouteTable routeTable() {
        return new RouteTable(effectiveRoutes());
    }

    public Optional<UpstreamConfig> writeTargetUpstream() {
        return writeTarget == null ? Optional.empty() : upstream(writeTarget);
    }

    public Optional<UpstreamConfig> auditUpstreamConfig() {
        return auditUpstream == null ? Optional.empty() : upstream(auditUpstream);
    }
}

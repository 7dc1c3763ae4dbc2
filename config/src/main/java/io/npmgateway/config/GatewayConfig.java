package io.npmgateway.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The whole configuration of one gateway process, immutable once loaded. Built by {@link ConfigLoader} from a
 * YAML file, then the environment, then command-line flags, and validated before anything starts.
 */
public record GatewayConfig(
        ServerConfig server,
        Path dataDir,
        List<UpstreamConfig> upstreams,
        CacheConfig cache,
        StorageConfig storage) {

    public GatewayConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(dataDir, "dataDir");
        upstreams = List.copyOf(upstreams);
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(storage, "storage");
    }

    public GatewayConfig withServer(ServerConfig newServer) {
        return new GatewayConfig(newServer, dataDir, upstreams, cache, storage);
    }

    public GatewayConfig withDataDir(Path newDataDir) {
        return new GatewayConfig(server, newDataDir, upstreams, cache, storage);
    }

    public GatewayConfig withUpstreams(List<UpstreamConfig> newUpstreams) {
        return new GatewayConfig(server, dataDir, newUpstreams, cache, storage);
    }
}

package io.npmgateway.e2e;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Starting in-process gateways for end-to-end tests, on loopback, in front of given upstreams. */
final class GatewayProcess {
    private GatewayProcess() {
    }

    static Gateway start(Path dataDir, URI upstream, String pathPrefix) {
        String publicUrl = pathPrefix == null ? null
                : "http://127.0.0.1:" + freePort() + pathPrefix;
        int port = publicUrl == null ? 0 : URI.create(publicUrl).getPort();
        return start(dataDir, upstream, port, publicUrl, CacheConfig.defaults());
    }

    /**
     * A gateway at the root of {@code http://127.0.0.1:<port>/}, on a port the caller chose: a second gateway started
     * on the same port after the first has closed serves the very URLs the first wrote into lockfiles.
     */
    static Gateway startOnPort(Path dataDir, URI upstream, int port, CacheConfig cache) {
        return start(dataDir, upstream, port, "http://127.0.0.1:" + port + "/", cache);
    }

    private static Gateway start(Path dataDir, URI upstream, int port, String publicUrl, CacheConfig cache) {
        GatewayConfig config = new GatewayConfig(
                new ServerConfig("127.0.0.1", port, publicUrl, Duration.ofSeconds(60), 16 * 1024),
                dataDir,
                List.of(UpstreamConfig.of("verdaccio", upstream.toString())),
                cache,
                StorageConfig.defaults());
        return Gateway.start(config);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.npmgateway.clients;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/** In-process gateways for the client suites: on loopback, at a fixed public URL, in front of given upstreams. */
final class ClientGateway {

    private ClientGateway() {
    }

    /** The registry URL a gateway on {@code port} with path prefix {@code prefix} ({@code /} or {@code /npm/}) has. */
    static String publicUrl(int port, String prefix) {
        return "http://127.0.0.1:" + port + prefix;
    }

    static Gateway start(Path dataDir, String publicUrl, List<UpstreamConfig> upstreams) {
        int port = java.net.URI.create(publicUrl).getPort();
        return Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", port, publicUrl, Duration.ofSeconds(60), 16 * 1024),
                dataDir, upstreams, CacheConfig.defaults(), StorageConfig.defaults()));
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An upstream registry that has no package at all: every request gets npm's 404. It counts requests. */
    static MockWebServer emptyRegistry() {
        MockWebServer server = new MockWebServer();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return new MockResponse.Builder().code(404).setHeader("Content-Type", "application/json")
                        .body("{\"error\":\"Not found\"}").build();
            }
        });
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return server;
    }
}

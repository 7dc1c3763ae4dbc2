package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.OperationsConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Starts an in-process gateway in front of a {@link FakeRegistry} and talks HTTP to it. */
abstract class GatewayHttpTest {
    @TempDir
    Path dataDir;

    FakeRegistry upstream;
    Gateway gateway;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = new FakeRegistry();
    }

    @AfterEach
    void stopAll() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
    }

    void startGateway() {
        startGateway(null, Duration.ofSeconds(5));
    }

    void startGateway(String publicUrl, Duration readTimeout) {
        startGateway(publicUrl, readTimeout, OperationsConfig.defaults());
    }

    void startGateway(String publicUrl, Duration readTimeout, OperationsConfig operations) {
        startGatewayWith(new ServerConfig("127.0.0.1", 0, publicUrl, Duration.ofSeconds(30), 16 * 1024), readTimeout,
                operations);
    }

    void startGatewayWith(ServerConfig server, Duration readTimeout, OperationsConfig operations) {
        startGatewayWith(server, readTimeout, operations, CacheConfig.defaults());
    }

    void startGatewayWith(ServerConfig server, Duration readTimeout, OperationsConfig operations, CacheConfig cache) {
        GatewayConfig config = new GatewayConfig(
                server,
                dataDir,
                List.of(new UpstreamConfig("fake", upstream.url(), Duration.ofSeconds(2), readTimeout)),
                cache,
                StorageConfig.defaults()).withOperations(operations);
        gateway = Gateway.start(config);
    }

    String base() {
        return "http://127.0.0.1:" + gateway.localAddress().getPort() + "/";
    }

    HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> send(String method, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    static String gunzip(byte[] body) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static Map<String, Object> json(HttpResponse<byte[]> response) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = new com.fasterxml.jackson.databind.ObjectMapper().readValue(response.body(), Map.class);
        return map;
    }
}

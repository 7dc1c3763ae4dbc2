package io.npmgateway.faults;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * An in-process gateway on 127.0.0.1 in front of an {@link UpstreamStub} (upstream id {@code stub}), with a short
 * upstream read timeout so stalls are noticed in about a second, and an HTTP/1.1 client to talk to it.
 */
abstract class GatewayAgainstStub {
    /** The upstream read timeout the gateway runs with: a stall longer than this is a fault. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(1);
    /** How long any one client request may take before the test fails (a hung response, not a slow one). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    UpstreamStub upstream;
    Gateway gateway;
    final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = new UpstreamStub();
    }

    @AfterEach
    void stopAll() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
    }

    void startGateway(CacheConfig cache) {
        startGateway(cache, dataDir);
    }

    /** A gateway whose store lives in {@code storeDir} (e.g. on a filesystem the test makes). */
    void startGateway(CacheConfig cache, Path storeDir) {
        startGateway(cache, storeDir, StorageConfig.defaults());
    }

    /** A gateway with its own tarball store settings (e.g. a small disk budget). */
    void startGateway(CacheConfig cache, StorageConfig storage) {
        startGateway(cache, dataDir, storage);
    }

    void startGateway(CacheConfig cache, Path storeDir, StorageConfig storage) {
        GatewayConfig config = new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024),
                storeDir,
                List.of(new UpstreamConfig("stub", upstream.url(), Duration.ofSeconds(2), READ_TIMEOUT)),
                cache,
                storage);
        gateway = Gateway.start(config);
    }

    String base() {
        return "http://127.0.0.1:" + gateway.localAddress().getPort() + "/";
    }

    HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create(base() + path)).timeout(REQUEST_TIMEOUT).GET().build();
    }

    HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(request(path), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<InputStream> stream(String path) throws Exception {
        return http.send(request(path), HttpResponse.BodyHandlers.ofInputStream());
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** The {@code error} member of a JSON error body. */
    static String error(HttpResponse<byte[]> response) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = new com.fasterxml.jackson.databind.ObjectMapper().readValue(response.body(), Map.class);
        Object error = map.get("error");
        if (!(error instanceof String)) {
            throw new AssertionError("no \"error\" string in " + text(response));
        }
        return (String) error;
    }

    /** The gateway's metrics scrape (on the registry port, where the default configuration puts it). */
    String scrape() throws Exception {
        HttpResponse<byte[]> r = get("metrics");
        if (r.statusCode() != 200) {
            throw new AssertionError("scrape answered " + r.statusCode() + ": " + text(r));
        }
        return text(r);
    }

    /**
     * The sum of the samples of {@code metric} in {@code scrape} whose labels include every one of {@code labels}
     * (each written {@code name="value"}); 0 when there is none.
     */
    static double sample(String scrape, String metric, String... labels) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(metric + "{") || line.startsWith(metric + " "))) {
                continue;
            }
            int close = line.lastIndexOf('}');
            String labelSet = close < 0 ? "" : line.substring(metric.length() + 1, close);
            boolean all = true;
            for (String label : labels) {
                all &= ("," + labelSet + ",").contains("," + label + ",");
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Polls {@code condition} until it holds, failing after {@code timeout}; for work the gateway does later. */
    static void awaitCondition(String what, Duration timeout, java.util.concurrent.Callable<Boolean> condition)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    static CacheConfig metadataMaxAge(Duration maxAge) {
        CacheConfig d = CacheConfig.defaults();
        return new CacheConfig(maxAge, d.metadataMaxStale(), d.metadataMaxMemory(), d.negativeTtl(),
                d.maxPackumentBytes());
    }
}

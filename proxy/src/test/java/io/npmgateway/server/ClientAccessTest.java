package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.Secret;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.testing.LogCapture;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.NpmResult;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access to the gateway itself: a route with {@code anonymous: none} answers 401 with a Bearer challenge to clients
 * without a valid gateway token, for every kind of read of its packages; a valid token reads; {@code /-/whoami}
 * names the token, also for the real npm.
 */
class ClientAccessTest {
    private static final String CI_TOKEN = "gateway-client-token-ci-0a1b2c3d";
    private static final String DEV_TOKEN = "gateway-client-token-dev-9f8e7d6c";

    @TempDir
    Path dir;

    private FakeRegistry upstream;
    private Gateway gateway;
    private LogCapture logs;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        logs = new LogCapture();
        upstream = new FakeRegistry();
        upstream.publish("@corp/tool", "1.0.0");
        upstream.publish("left-pad", "1.0.0");
        GatewayConfig config = new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024), dir.resolve("data"),
                List.of(new UpstreamConfig("corp", upstream.url(), Duration.ofSeconds(2), Duration.ofSeconds(5))),
                CacheConfig.defaults(), StorageConfig.defaults(),
                List.of(new RouteConfig("@corp/*", List.of("corp"), RouteConfig.Policy.FIRST,
                                RouteConfig.Access.NONE),
                        new RouteConfig("*", List.of("corp"), RouteConfig.Policy.FIRST, RouteConfig.Access.READ)),
                new ClientTokens(List.of(new ClientTokens.ClientToken("ci", Secret.of(CI_TOKEN)),
                        new ClientTokens.ClientToken("dev", Secret.of(DEV_TOKEN)))),
                null, null);
        gateway = Gateway.start(config);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            String scrape = text(get("metrics", null));
            for (String token : List.of(CI_TOKEN, DEV_TOKEN)) {
                assertThat(scrape).doesNotContain(token);
                logs.assertNeverContains(token);
            }
            assertThat(upstream.requests).as("no client token reaches the upstream")
                    .allSatisfy(r -> assertThat(r.getHeaders().get("Authorization")).isNull());
        } finally {
            gateway.close();
            upstream.close();
            logs.close();
        }
    }

    private HttpResponse<byte[]> get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.publicUrl() + path))
                .timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<byte[]> r) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readValue(r.body(), Map.class);
    }

    @Test
    void aRouteWithoutAnonymousAccessChallengesEveryReadOfItsPackages() throws Exception {
        for (String path : List.of("@corp%2ftool", "@corp/tool/1.0.0", "@corp/tool/latest",
                "-/package/@corp/tool/dist-tags", "@corp/tool/-/tool-1.0.0.tgz")) {
            for (String authorization : new String[] {null, "Bearer not-a-gateway-token-000000",
                    "Basic Y2k6c2VjcmV0"}) {
                HttpResponse<byte[]> r = get(path, authorization);
                assertThat(r.statusCode()).as("%s with %s", path, authorization).isEqualTo(401);
                assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"npm-gateway\"");
                assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
                assertThat((String) json(r).get("error")).contains("@corp/tool").contains("token");
            }
        }
        assertThat(upstream.requests).as("nothing is fetched for a refused client").isEmpty();
    }

    @Test
    void aValidTokenReadsAndAnonymousRoutesStayOpen() throws Exception {
        assertThat(get("@corp%2ftool", "Bearer " + CI_TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("@corp/tool/-/tool-1.0.0.tgz", "bearer " + DEV_TOKEN).statusCode()).isEqualTo(200);
        assertThat(get("left-pad", null).statusCode()).isEqualTo(200);
        assertThat(get("left-pad/-/left-pad-1.0.0.tgz", null).statusCode()).isEqualTo(200);
        assertThat(get("-/ping", null).statusCode()).isEqualTo(200);
    }

    @Test
    void whoamiNamesTheTokenAndChallengesWithoutOne() throws Exception {
        HttpResponse<byte[]> me = get("-/whoami", "Bearer " + CI_TOKEN);
        assertThat(me.statusCode()).isEqualTo(200);
        assertThat(json(me)).isEqualTo(Map.of("username", "ci"));
        for (String authorization : new String[] {null, "Bearer wrong-token-1234567890"}) {
            HttpResponse<byte[]> r = get("-/whoami", authorization);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"npm-gateway\"");
            assertThat(json(r)).containsKey("error");
        }
    }

    @Test
    void npmWhoamiThroughTheGatewayPrintsTheTokensName() {
        URI registry = URI.create(gateway.publicUrl());
        NpmCli npm = NpmCli.machine(dir.resolve("npm")).registry(registry).authToken(registry, DEV_TOKEN);
        NpmResult whoami = npm.runSuccessfully(dir, "whoami");
        assertThat(whoami.stdout().trim()).isEqualTo("dev");

        NpmResult wrong = NpmCli.machine(dir.resolve("npm-wrong")).registry(registry)
                .authToken(registry, "not-a-gateway-token-5555").run(dir, "whoami");
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.stderr()).contains("E401");
    }
}

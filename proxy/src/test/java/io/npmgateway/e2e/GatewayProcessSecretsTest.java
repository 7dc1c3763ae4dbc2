package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.faults.UpstreamStub;
import io.npmgateway.testing.SecretLeaks;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real gateway process configured with a bearer and a basic upstream credential, driven through successes and
 * failures (a tarball on another host, a 401 from the upstream, an upstream that is down); then every place a
 * secret could escape is searched with {@link SecretLeaks}: the process's stdout and stderr, the metrics scrape,
 * the error bodies, {@code --print-config} in both formats, and every request the other host received. The upstream
 * itself must receive its credential (so the test proves the secret was in use, not merely absent).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GatewayProcessSecretsTest {
    private static final String BEARER = "process-bearer-token-8e1f3c";
    private static final String PASSWORD = "process-basic-password-2b7d";

    @TempDir
    Path tempDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void upstreamCredentialsAppearInNoOutputScrapeErrorDumpOrForeignRequest() throws Exception {
        SecretLeaks leaks = SecretLeaks.of(BEARER).addBasic("corp", PASSWORD);
        Path log = tempDir.resolve("gateway.log");
        List<String> errorBodies = new ArrayList<>();
        try (UpstreamStub corp = new UpstreamStub(); UpstreamStub azure = new UpstreamStub();
             UpstreamStub otherHost = new UpstreamStub()) {
            byte[] tarball = UpstreamStub.randomBytes(20_000, 7);
            // corp's packument points its tarball at another host (as a CDN or pre-signed storage URL would).
            String foreignPath = "cdn/left-pad-1.0.0.tgz";
            corp.packument("left-pad", ("{\"name\":\"left-pad\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{"
                    + "\"1.0.0\":{\"name\":\"left-pad\",\"version\":\"1.0.0\",\"dist\":{\"integrity\":\""
                    + UpstreamStub.integrity(tarball) + "\",\"tarball\":\"" + otherHost.url() + foreignPath
                    + "\"}}}}").getBytes(StandardCharsets.UTF_8));
            otherHost.tarball(foreignPath, tarball);
            corp.route("refused", r -> new MockResponse.Builder().code(401)
                    .setHeader("WWW-Authenticate", "Bearer").body("{\"error\":\"bad token\"}").build());
            azure.publish("is-odd", "1.0.0", UpstreamStub.randomBytes(5000, 8));
            Path config = tempDir.resolve("gateway.yaml");
            Files.writeString(config, """
                    upstreams:
                      - id: corp
                        url: %s
                        auth: { type: bearer, token: "%s" }
                      - id: azure
                        url: %s
                        auth: { type: basic, username: corp, password: "%s" }
                      - id: down
                        url: http://127.0.0.1:%d/
                        auth: { type: bearer, token: "%s" }
                    routes:
                      - { packages: "is-*", upstreams: [azure] }
                      - { packages: "gone-*", upstreams: [down] }
                      - { packages: "*", upstreams: [corp] }
                    """.formatted(corp.url(), BEARER, azure.url(), PASSWORD, GatewayProcess.freePort(), BEARER));

            String printed = printConfig(config, "yaml") + printConfig(config, "json");
            assertThat(printed).contains("corp").contains("***");
            leaks.assertNotIn("--print-config", printed);

            try (ChildGateway gateway = ChildGateway.start(tempDir.resolve("data"), List.of("--config",
                    config.toString()), log)) {
                assertThat(get(gateway, "left-pad/-/left-pad-1.0.0.tgz", errorBodies).statusCode()).isEqualTo(200);
                assertThat(get(gateway, "is-odd", errorBodies).statusCode()).isEqualTo(200);
                assertThat(get(gateway, "refused", errorBodies).statusCode()).isEqualTo(502);
                for (int i = 0; i < 4; i++) {
                    assertThat(get(gateway, "gone-" + i, errorBodies).statusCode()).isIn(502, 504);
                }
                String scrape = get(gateway, "metrics", errorBodies).body();

                leaks.assertNotInMetrics(scrape);
                leaks.assertNotInAny("error bodies", errorBodies);
                leaks.assertNotSentTo("the tarball host", List.copyOf(otherHost.requests()));
                assertThat(otherHost.hits(foreignPath)).isEqualTo(1);
                assertThat(corp.requests()).as("corp received its token: the secret was in use")
                        .anyMatch(r -> ("Bearer " + BEARER).equals(r.getHeaders().get("Authorization")));
            }
            leaks.assertNotInProcessOutput(log);
            assertThat(Files.readString(log)).contains("access");
            // The start line shows the whole configuration, each secret as ***, so operators can see what runs.
            assertThat(Files.readString(log).lines().filter(l -> l.contains("configuration: {")))
                    .singleElement().satisfies(line -> assertThat(line)
                            .contains("\"id\":\"corp\"", "\"id\":\"azure\"", "\"id\":\"down\"")
                            .contains("\"type\":\"bearer\",\"token\":\"***\"")
                            .contains("\"username\":\"corp\",\"password\":\"***\""));
        }
    }

    private HttpResponse<String> get(ChildGateway gateway, String path, List<String> errorBodies) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.url().resolve(path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 400) {
            errorBodies.add(r.body());
        }
        return r;
    }

    /** {@code --print-config FORMAT} of a separate gateway JVM: what an operator pastes into a ticket. */
    private String printConfig(Path config, String format) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.npmgateway.Main", "--config", config.toString(),
                "--print-config", format).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}

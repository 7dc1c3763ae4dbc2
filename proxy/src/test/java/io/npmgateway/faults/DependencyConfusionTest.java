package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dependency confusion: {@code @corp/*} is routed to a private upstream only, and a public upstream (serving every
 * other name) publishes {@code @corp/tool} too, at a higher version (99.0.0) with its own tarball. Whatever the
 * private upstream does (down, 5xx, 404, stalled past the read timeout), with a cold cache or a warm one, the
 * gateway never serves the public packument or tarball of a {@code @corp} name, and never even asks the public
 * upstream for one.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DependencyConfusionTest {
    private static final String NAME = "@corp/tool";
    private static final String ESCAPED = "@corp%2ftool";
    private static final String PRIVATE_TGZ = "@corp/tool/-/tool-1.0.0.tgz";
    private static final String PUBLIC_TGZ = "@corp/tool/-/tool-99.0.0.tgz";

    @TempDir
    Path dataDir;

    private UpstreamStub privateUpstream;
    private UpstreamStub publicUpstream;
    private Gateway gateway;
    private final byte[] privateTarball = UpstreamStub.randomBytes(30 * 1024, 1);
    private final byte[] publicTarball = UpstreamStub.randomBytes(30 * 1024, 99);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    /** What the private upstream does once the test turns it bad. */
    enum PrivateFailure {
        DOWN(null),
        SERVER_ERROR(r -> new MockResponse.Builder().code(503).body("{\"error\":\"maintenance\"}").build()),
        NOT_FOUND(r -> new MockResponse.Builder().code(404).body("{\"error\":\"not found\"}").build()),
        TIMEOUT(r -> new MockResponse.Builder().code(200).body("{}").onResponseStart(SocketEffect.Stall.INSTANCE)
                .build());

        final Function<RecordedRequest, MockResponse> answer;

        PrivateFailure(Function<RecordedRequest, MockResponse> answer) {
            this.answer = answer;
        }
    }

    static List<Arguments> cases() {
        List<Arguments> cases = new java.util.ArrayList<>();
        for (PrivateFailure failure : PrivateFailure.values()) {
            cases.add(Arguments.of(failure, false));
            cases.add(Arguments.of(failure, true));
        }
        return cases;
    }

    @BeforeEach
    void publish() throws Exception {
        privateUpstream = new UpstreamStub();
        publicUpstream = new UpstreamStub();
        privateUpstream.packument(ESCAPED, packument(privateUpstream, "1.0.0", privateTarball));
        privateUpstream.tarball(PRIVATE_TGZ, privateTarball);
        // The attacker's copy: same name, a higher version, and the private version's tarball path too.
        publicUpstream.packument(ESCAPED, packument(publicUpstream, "99.0.0", publicTarball));
        publicUpstream.tarball(PUBLIC_TGZ, publicTarball);
        publicUpstream.tarball(PRIVATE_TGZ, publicTarball);
        publicUpstream.publish("left-pad", "1.0.0", UpstreamStub.randomBytes(1000, 3));
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        privateUpstream.close();
        publicUpstream.close();
    }

    @ParameterizedTest(name = "private upstream {0}, warm cache: {1}")
    @MethodSource("cases")
    void aPrivateScopeIsNeverServedFromThePublicUpstream(PrivateFailure failure, boolean warm) throws Exception {
        startGateway();
        assertThat(get("left-pad").statusCode()).as("the public upstream serves other names").isEqualTo(200);
        if (warm) {
            HttpResponse<byte[]> packument = get(ESCAPED);
            assertThat(packument.statusCode()).isEqualTo(200);
            assertThat(get(PRIVATE_TGZ).body()).isEqualTo(privateTarball);
        }
        if (failure == PrivateFailure.DOWN) {
            privateUpstream.close();
        } else {
            privateUpstream.failEverything(failure.answer);
        }

        for (int i = 0; i < 4; i++) {
            // Several rounds: the first failures reach the private upstream, then it may be marked down.
            HttpResponse<byte[]> packument = get(ESCAPED);
            String body = new String(packument.body(), StandardCharsets.UTF_8);
            assertThat(body).as("packument of %s, round %d", NAME, i).doesNotContain("99.0.0");
            if (failure == PrivateFailure.NOT_FOUND) {
                // The private upstream itself says the name does not exist: that answer is the private one's.
                assertThat(packument.statusCode()).as(body).isEqualTo(404);
            } else if (warm) {
                assertThat(packument.statusCode()).as(body).isEqualTo(200);
                assertThat(body).contains("\"1.0.0\"");
            } else {
                // Nothing cached and the private upstream unusable: an error naming it, never "not found".
                assertThat(packument.statusCode()).as(body).isIn(502, 504);
                assertThat(body).contains("upstream 'private'");
            }

            HttpResponse<byte[]> attackerTarball = get(PUBLIC_TGZ);
            assertThat(attackerTarball.statusCode()).as("the public upstream's tarball of %s", NAME)
                    .isIn(404, 502, 504);
            HttpResponse<byte[]> privateVersion = get(PRIVATE_TGZ);
            if (privateVersion.statusCode() == 200) {
                assertThat(warm).as("only a cached private tarball may be served").isTrue();
                assertThat(privateVersion.body()).isEqualTo(privateTarball);
            } else {
                assertThat(privateVersion.statusCode()).isIn(404, 502, 504);
                assertThat(privateVersion.body()).isNotEqualTo(publicTarball);
                if (!warm && failure != PrivateFailure.NOT_FOUND) {
                    assertThat(privateVersion.statusCode()).as("a cold tarball behind a failing private upstream")
                            .isIn(502, 504);
                    assertThat(new String(privateVersion.body(), StandardCharsets.UTF_8))
                            .contains("upstream 'private'");
                }
            }
        }
        if (warm) {
            HttpResponse<byte[]> stored = get(PRIVATE_TGZ);
            assertThat(stored.statusCode()).as("a stored private tarball is served whatever the upstream does")
                    .isEqualTo(200);
            assertThat(stored.body()).isEqualTo(privateTarball);
        }
        assertThat(publicUpstream.hits(ESCAPED)).as("the public upstream was asked for the packument").isZero();
        assertThat(publicUpstream.hits(PUBLIC_TGZ)).isZero();
        assertThat(publicUpstream.hits(PRIVATE_TGZ)).isZero();
    }

    private void startGateway() {
        Duration readTimeout = Duration.ofSeconds(1);
        // Max-age zero: a warm packument is revalidated on the failing private upstream at every request.
        CacheConfig d = CacheConfig.defaults();
        CacheConfig alwaysRevalidate = new CacheConfig(Duration.ZERO, d.metadataMaxStale(), d.metadataMaxMemory(),
                Duration.ZERO, d.maxPackumentBytes());
        gateway = Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024),
                dataDir,
                List.of(new UpstreamConfig("private", privateUpstream.url(), Duration.ofSeconds(2), readTimeout),
                        new UpstreamConfig("public", publicUpstream.url(), Duration.ofSeconds(2), readTimeout)),
                alwaysRevalidate,
                StorageConfig.defaults(),
                List.of(new RouteConfig("@corp/*", List.of("private")),
                        new RouteConfig("*", List.of("public"))),
                ClientTokens.none(), null, null));
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.localAddress().getPort()
                + "/" + path)).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] packument(UpstreamStub upstream, String version, byte[] tarball) {
        String doc = "{\"_id\":\"" + NAME + "\",\"name\":\"" + NAME + "\",\"dist-tags\":{\"latest\":\"" + version
                + "\"},\"versions\":{\"" + version + "\":{\"name\":\"" + NAME + "\",\"version\":\"" + version
                + "\",\"dist\":{\"integrity\":\"" + UpstreamStub.integrity(tarball) + "\",\"shasum\":\""
                + UpstreamStub.sha1Hex(tarball) + "\",\"tarball\":\"" + upstream.url() + "@corp/tool/-/tool-"
                + version + ".tgz\"}}}}";
        return new Buffer().writeUtf8(doc).readByteArray();
    }
}

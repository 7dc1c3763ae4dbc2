package io.npmgateway.upstream.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.npm.PackageName;
import io.npmgateway.upstream.NettyUpstreamTransport;
import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamHealth;
import io.npmgateway.testing.LogCapture;
import io.npmgateway.testing.SecretLeaks;
import io.npmgateway.testing.ManualClock;
import io.npmgateway.testing.ManualScheduler;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * GetAuthorizationToken against a local stand-in for CodeArtifact's control plane (the SDK's
 * {@code endpointOverride}), signed by the real SDK with static AWS credentials; renewal is driven by a manual clock
 * and scheduler.
 */
class CodeArtifactCredentialsTest {
    static final String ACCESS_KEY = "AKIDEXAMPLE00000001";
    static final String SECRET_KEY = "aws-secret-key-never-logged-3f9d";
    private static final String TOKEN_1 = "ca-token-one-7c41e2";
    private static final String TOKEN_2 = "ca-token-two-08b3aa";

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final MockWebServer controlPlane = new MockWebServer();
    private CodeArtifactCredentials credentials;

    @BeforeEach
    void start() throws Exception {
        controlPlane.start(InetAddress.getByName("127.0.0.1"), 0);
        UpstreamAuth.CodeArtifact auth = new UpstreamAuth.CodeArtifact("my-domain", "111122223333", "eu-west-1",
                3600, "http://127.0.0.1:" + controlPlane.getPort());
        credentials = new CodeArtifactCredentials("aws", auth,
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)), clock,
                scheduler);
    }

    @AfterEach
    void stop() {
        credentials.close();
        controlPlane.close();
    }

    /** The answer of GetAuthorizationToken: REST-JSON, with the expiration in epoch seconds. */
    static MockResponse token(String token, Instant expiration) {
        return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body("{\"authorizationToken\":\"" + token + "\",\"expiration\":" + expiration.getEpochSecond() + "}")
                .build();
    }

    @Test
    void theSignedCallCarriesDomainOwnerAndDurationAndItsTokenIsSentAsBearer() throws Exception {
        controlPlane.enqueue(token(TOKEN_1, clock.instant().plus(Duration.ofHours(1))));
        try (LogCapture logs = new LogCapture()) {
            credentials.start();
            scheduler.runDue();
            assertThat(credentials.authorization()).hasValue("Bearer " + TOKEN_1);

            RecordedRequest call = controlPlane.takeRequest(5, TimeUnit.SECONDS);
            assertThat(call).isNotNull();
            assertThat(call.getMethod()).isEqualTo("POST");
            assertThat(call.getUrl().encodedPath()).isEqualTo("/v1/authorization-token");
            assertThat(call.getUrl().queryParameter("domain")).isEqualTo("my-domain");
            assertThat(call.getUrl().queryParameter("domain-owner")).isEqualTo("111122223333");
            assertThat(call.getUrl().queryParameter("duration")).isEqualTo("3600");
            String signature = call.getHeaders().get("Authorization");
            assertThat(signature).startsWith("AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/")
                    .contains("/eu-west-1/codeartifact/aws4_request").contains("Signature=")
                    .doesNotContain(SECRET_KEY);
            assertThat(call.getHeaders().get("X-Amz-Date")).isNotBlank();

            assertThat(credentials.secondsUntilExpiry()).isEqualTo(3600.0);
            SecretLeaks leaks = SecretLeaks.of(TOKEN_1, SECRET_KEY);
            leaks.assertNotInLogs(logs);
            leaks.assertNotIn("the credentials' string form", credentials.toString());
        }
    }

    @Test
    void aNewTokenIsFetchedAtThreeQuartersOfTheLifetimeBeforeTheOldOneExpires() throws Exception {
        controlPlane.enqueue(token(TOKEN_1, clock.instant().plus(Duration.ofHours(1))));
        credentials.start();
        scheduler.runDue();
        assertThat(scheduler.pending()).extracting(ManualScheduler.Task::due)
                .containsExactly(clock.instant().plus(Duration.ofMinutes(45)));

        clock.advance(Duration.ofMinutes(44));
        scheduler.runDue();
        assertThat(controlPlane.getRequestCount()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(1));
        controlPlane.enqueue(token(TOKEN_2, clock.instant().plus(Duration.ofHours(1))));
        // A request past the renewal time starts the renewal too (single-flight with the scheduled one).
        assertThat(credentials.authorization()).hasValue("Bearer " + TOKEN_1);
        scheduler.runDue();
        assertThat(controlPlane.getRequestCount()).isEqualTo(2);
        assertThat(credentials.authorization()).hasValue("Bearer " + TOKEN_2);
        assertThat(credentials.secondsUntilExpiry()).isEqualTo(3600.0);
        assertThat(credentials.renewalFailures()).isZero();
    }

    @Test
    void aFailingRenewalKeepsTheOldTokenCountsAFailureAndRetries() throws Exception {
        controlPlane.enqueue(token(TOKEN_1, clock.instant().plus(Duration.ofHours(1))));
        try (LogCapture logs = new LogCapture()) {
            credentials.start();
            scheduler.runDue();
            clock.advance(Duration.ofMinutes(45));
            controlPlane.enqueue(new MockResponse.Builder().code(403)
                    .setHeader("Content-Type", "application/json")
                    .setHeader("x-amzn-ErrorType", "AccessDeniedException")
                    .body("{\"message\":\"not authorized to perform codeartifact:GetAuthorizationToken\"}").build());
            scheduler.runDue();

            assertThat(credentials.authorization()).hasValue("Bearer " + TOKEN_1);
            assertThat(credentials.renewalFailures()).isEqualTo(1);
            assertThat(credentials.secondsUntilExpiry()).isEqualTo(15 * 60.0);
            assertThat(scheduler.pending()).extracting(ManualScheduler.Task::due)
                    .containsExactly(clock.instant().plus(Duration.ofSeconds(30)));
            assertThat(logs.lines()).anyMatch(l -> l.contains("'aws'") && l.contains("HTTP 403")
                    && l.contains("AccessDeniedException") && l.contains("keeping the current token"));

            clock.advance(Duration.ofSeconds(30));
            controlPlane.enqueue(token(TOKEN_2, clock.instant().plus(Duration.ofHours(1))));
            scheduler.runDue();
            assertThat(credentials.authorization()).hasValue("Bearer " + TOKEN_2);
            SecretLeaks leaks = SecretLeaks.of(TOKEN_1, TOKEN_2, SECRET_KEY);
            leaks.assertNotInLogs(logs);
            leaks.assertNotIn("the credentials' string form", credentials.toString());
        }
    }

    @Test
    void afterRenewalTheNextUpstreamRequestCarriesTheNewTokenOnTheWire() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (MockWebServer repository = new MockWebServer();
             NettyUpstreamTransport transport = new NettyUpstreamTransport(group, NioSocketChannel.class);
             GatewayMetrics metrics = new GatewayMetrics()) {
            repository.start(InetAddress.getByName("127.0.0.1"), 0);
            String doc = "{\"name\":\"@corp/tool\",\"versions\":{}}";
            for (int i = 0; i < 3; i++) {
                repository.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                        .body(doc).build());
            }
            UpstreamConfig config = UpstreamConfig.of("aws", "http://127.0.0.1:" + repository.getPort() + "/npm/repo/")
                    .withAuth(new UpstreamAuth.CodeArtifact("my-domain", "111122223333", "eu-west-1", 3600,
                            "http://127.0.0.1:" + controlPlane.getPort()));
            Upstream upstream = new Upstream(config, transport, metrics, credentials, new UpstreamHealth());
            PackageName name = PackageName.parse("@corp/tool");

            controlPlane.enqueue(token(TOKEN_1, clock.instant().plus(Duration.ofHours(1))));
            credentials.start();
            scheduler.runDue();
            assertThat(upstream.fetchPackument(name, null, null, 1 << 20).get(10, TimeUnit.SECONDS).status())
                    .isEqualTo(200);
            assertThat(repository.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization"))
                    .isEqualTo("Bearer " + TOKEN_1);

            // Three quarters into the first token's hour: the scheduled renewal fetches the second one.
            clock.advance(Duration.ofMinutes(45));
            controlPlane.enqueue(token(TOKEN_2, clock.instant().plus(Duration.ofHours(1))));
            scheduler.runDue();
            assertThat(controlPlane.getRequestCount()).isEqualTo(2);
            for (int i = 0; i < 2; i++) {
                assertThat(upstream.fetchPackument(name, null, null, 1 << 20).get(10, TimeUnit.SECONDS).status())
                        .isEqualTo(200);
                assertThat(repository.takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Authorization"))
                        .as("request %d after the renewal", i + 1).isEqualTo("Bearer " + TOKEN_2);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}

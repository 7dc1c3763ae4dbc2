package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.Secret;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.testing.LogCapture;
import io.npmgateway.testing.SecretLeaks;
import io.npmgateway.upstream.credentials.CredentialProviders;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Where an upstream's credentials go, proven with recording upstreams on two different origins (two
 * {@link FakeRegistry} ports are two hosts as far as credential scope goes): to the upstream's own URLs only, never to
 * a tarball on another host, never across a redirect to another host; the client's own {@code Authorization} never
 * reaches any upstream; and no credential appears in a log line, the metrics scrape or an error body.
 */
class UpstreamCredentialsTest {
    private static final String UPSTREAM_TOKEN = "upstream-bearer-token-4d2a91";
    private static final String CLIENT_TOKEN = "client-own-token-never-forwarded-77";
    private static final String COMMAND_TOKEN = "token-from-command-c3e8";
    private static final String CODEARTIFACT_TOKEN = "codeartifact-token-e61f0b";
    private static final String AWS_SECRET = "aws-secret-access-key-5a5a";

    @TempDir
    Path dataDir;
    @TempDir
    Path scripts;

    private FakeRegistry registry;
    private FakeRegistry otherHost;
    private Gateway gateway;
    private LogCapture logs;
    private final SecretLeaks leaks = SecretLeaks.of(UPSTREAM_TOKEN, CLIENT_TOKEN);
    private final SecretLeaks clientToken = SecretLeaks.of(CLIENT_TOKEN);
    private GatewayConfig config;
    /** Set by the one test that lists the other host among the upstream's credential hosts. */
    private boolean otherHostIsACredentialHost;
    private final List<String> errorBodies = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        logs = new LogCapture();
        registry = new FakeRegistry();
        otherHost = new FakeRegistry();
    }

    @AfterEach
    void secretsAppearNowhereThenStop() throws Exception {
        try {
            if (gateway != null) {
                String scrape = text(get("metrics"));
                assertThat(scrape).contains("npm_gateway_upstream_available");
                leaks.assertNotInMetrics(scrape);
                leaks.assertNotInAny("error bodies", errorBodies);
                leaks.assertNotInLogs(logs);
                leaks.assertNotInConfigDumps(config);
                // The upstream gets its own credentials, never the client's; any other host gets none at all.
                clientToken.assertNotSentTo("the upstream", registry.requests);
                (otherHostIsACredentialHost ? clientToken : leaks).assertNotSentTo("another host", otherHost.requests);
            }
        } finally {
            if (gateway != null) {
                gateway.close();
            }
            logs.close();
            registry.close();
            otherHost.close();
        }
    }

    private void startGateway(CredentialProviders providers, UpstreamConfig... upstreams) {
        config = new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024), dataDir,
                List.of(upstreams), CacheConfig.defaults(), StorageConfig.defaults());
        gateway = Gateway.start(config, providers);
    }

    private UpstreamConfig privateUpstream() {
        return new UpstreamConfig("private", registry.url(), Duration.ofSeconds(2), Duration.ofSeconds(5))
                .withAuth(new UpstreamAuth.Bearer(Secret.of(UPSTREAM_TOKEN)));
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.publicUrl() + path))
                .timeout(Duration.ofSeconds(20))
                // The client's own credentials: for the gateway only, never for an upstream.
                .header("Authorization", "Bearer " + CLIENT_TOKEN)
                .GET().build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() >= 400) {
            errorBodies.add(text(response));
        }
        return response;
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static String authorization(RecordedRequest request) {
        return request.getHeaders().get("Authorization");
    }

    private static RecordedRequest only(FakeRegistry upstream, String pathPart) {
        List<RecordedRequest> matching = upstream.requests.stream()
                .filter(r -> r.getUrl().encodedPath().contains(pathPart)).toList();
        assertThat(matching).as("requests for %s", pathPart).hasSize(1);
        return matching.get(0);
    }

    /** A packument on {@code registry} whose one version's tarball lies on {@code tarballBase}. */
    private byte[] publishWithTarballAt(String tarballBase, String tarballPath) {
        byte[] tgz = "the tarball bytes ".repeat(100).getBytes(StandardCharsets.UTF_8);
        String doc = "{\"name\":\"left-pad\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{"
                + "\"name\":\"left-pad\",\"version\":\"1.0.0\",\"dist\":{\"integrity\":\"" + FakeRegistry.integrity(tgz)
                + "\",\"tarball\":\"" + tarballBase + tarballPath + "\"}}}}";
        registry.route("left-pad", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").body(doc).build());
        return tgz;
    }

    @Test
    void aTarballOnAnotherHostGetsNoCredentialsAndTheClientsOwnNeverTravels() throws Exception {
        byte[] tgz = publishWithTarballAt(otherHost.url(), "files/left-pad-1.0.0.tgz");
        otherHost.tarball("files/left-pad-1.0.0.tgz", tgz);
        startGateway(CredentialProviders.defaults(), privateUpstream());

        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> tarball = get("left-pad/-/left-pad-1.0.0.tgz");
        assertThat(tarball.statusCode()).isEqualTo(200);
        assertThat(tarball.body()).isEqualTo(tgz);

        assertThat(authorization(only(registry, "left-pad"))).isEqualTo("Bearer " + UPSTREAM_TOKEN);
        assertThat(authorization(only(otherHost, "left-pad-1.0.0.tgz"))).as("foreign tarball host").isNull();
    }

    @Test
    void hostsListedForTheUpstreamGetItsCredentials() throws Exception {
        byte[] tgz = publishWithTarballAt(otherHost.url(), "files/left-pad-1.0.0.tgz");
        otherHost.tarball("files/left-pad-1.0.0.tgz", tgz);
        otherHostIsACredentialHost = true;
        startGateway(CredentialProviders.defaults(), privateUpstream()
                .withExtraCredentialHosts(List.of("127.0.0.1:" + otherHost.server.getPort())));
        assertThat(get("left-pad/-/left-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
        assertThat(authorization(only(otherHost, "left-pad-1.0.0.tgz"))).isEqualTo("Bearer " + UPSTREAM_TOKEN);
    }

    @Test
    void aRedirectToAnotherHostCarriesNoCredentials() throws Exception {
        registry.publish("left-pad", "1.0.0");
        byte[] tgz = "redirected bytes ".repeat(100).getBytes(StandardCharsets.UTF_8);
        // The packument promises the bytes the storage host will serve.
        String doc = "{\"name\":\"left-pad\",\"versions\":{\"1.0.0\":{\"name\":\"left-pad\",\"version\":\"1.0.0\","
                + "\"dist\":{\"integrity\":\"" + FakeRegistry.integrity(tgz) + "\",\"tarball\":\"" + registry.url()
                + "left-pad/-/left-pad-1.0.0.tgz\"}}}}";
        registry.route("left-pad", r -> new MockResponse.Builder().code(200).body(doc).build());
        String presigned = otherHost.url() + "bucket/left-pad-1.0.0.tgz?X-Signature=abc";
        registry.route("left-pad/-/left-pad-1.0.0.tgz", r -> new MockResponse.Builder().code(302)
                .setHeader("Location", presigned).build());
        otherHost.tarball("bucket/left-pad-1.0.0.tgz", tgz);
        startGateway(CredentialProviders.defaults(), privateUpstream());

        HttpResponse<byte[]> tarball = get("left-pad/-/left-pad-1.0.0.tgz");
        assertThat(tarball.statusCode()).isEqualTo(200);
        assertThat(tarball.body()).isEqualTo(tgz);
        assertThat(authorization(only(registry, "left-pad-1.0.0.tgz"))).isEqualTo("Bearer " + UPSTREAM_TOKEN);
        assertThat(authorization(only(otherHost, "left-pad-1.0.0.tgz"))).as("redirect target").isNull();
    }

    /** The private upstream as one repository among several on the same host and port. */
    private UpstreamConfig repositoryUpstream() {
        return new UpstreamConfig("private", registry.url() + "npm/myrepo/", Duration.ofSeconds(2),
                Duration.ofSeconds(5)).withAuth(new UpstreamAuth.Bearer(Secret.of(UPSTREAM_TOKEN)));
    }

    /** A packument in {@code npm/myrepo/} whose one version's tarball URL is {@code tarballUrl}. */
    private byte[] repositoryPackumentWithTarballAt(String tarballUrl) {
        byte[] tgz = "other repository bytes ".repeat(100).getBytes(StandardCharsets.UTF_8);
        String doc = "{\"name\":\"left-pad\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{"
                + "\"name\":\"left-pad\",\"version\":\"1.0.0\",\"dist\":{\"integrity\":\"" + FakeRegistry.integrity(tgz)
                + "\",\"tarball\":\"" + tarballUrl + "\"}}}}";
        registry.route("npm/myrepo/left-pad", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").body(doc).build());
        return tgz;
    }

    @Test
    void aTarballInAnotherRepositoryOnTheSameHostGetsNoCredentials() throws Exception {
        byte[] tgz = repositoryPackumentWithTarballAt(registry.url() + "npm/other-repo/left-pad-1.0.0.tgz");
        registry.tarball("npm/other-repo/left-pad-1.0.0.tgz", tgz);
        startGateway(CredentialProviders.defaults(), repositoryUpstream());

        HttpResponse<byte[]> tarball = get("left-pad/-/left-pad-1.0.0.tgz");
        assertThat(tarball.statusCode()).isEqualTo(200);
        assertThat(tarball.body()).isEqualTo(tgz);
        assertThat(authorization(only(registry, "npm/myrepo/left-pad"))).isEqualTo("Bearer " + UPSTREAM_TOKEN);
        assertThat(authorization(only(registry, "npm/other-repo/"))).as("same origin, other path").isNull();
    }

    @Test
    void aTarballUrlClimbingOutOfTheUpstreamsPathWithDotSegmentsGetsNoCredentials() throws Exception {
        // Literal dots: the server resolves <upstream url>../other/x.tgz to /npm/other/x.tgz.
        byte[] tgz = repositoryPackumentWithTarballAt(registry.url() + "npm/myrepo/../other/left-pad-1.0.0.tgz");
        registry.tarball("npm/other/left-pad-1.0.0.tgz", tgz);
        startGateway(CredentialProviders.defaults(), repositoryUpstream());

        HttpResponse<byte[]> tarball = get("left-pad/-/left-pad-1.0.0.tgz");
        assertThat(tarball.statusCode()).isEqualTo(200);
        assertThat(tarball.body()).isEqualTo(tgz);
        assertThat(authorization(only(registry, "npm/myrepo/left-pad"))).isEqualTo("Bearer " + UPSTREAM_TOKEN);
        assertThat(authorization(only(registry, "npm/other/"))).as("dot segments out of the prefix").isNull();
    }

    @Test
    void aTarballUrlWithEncodedDotSegmentsGetsNoCredentials() throws Exception {
        repositoryPackumentWithTarballAt(registry.url() + "npm/myrepo/%2e%2e/other/left-pad-1.0.0.tgz");
        startGateway(CredentialProviders.defaults(), repositoryUpstream());

        get("left-pad/-/left-pad-1.0.0.tgz"); // whatever the stub makes of the path, it must see no credential
        List<RecordedRequest> tarballRequests = registry.requests.stream()
                .filter(r -> r.getUrl().encodedPath().endsWith(".tgz")).toList();
        assertThat(tarballRequests).as("the tarball was asked for").isNotEmpty()
                .allSatisfy(r -> assertThat(authorization(r)).isNull());
    }

    @Test
    void aPackumentRedirectToAnotherHostCarriesNoCredentials() throws Exception {
        otherHost.publish("left-pad", "1.0.0");
        registry.route("left-pad", r -> new MockResponse.Builder().code(302)
                .setHeader("Location", otherHost.url() + "left-pad").build());
        startGateway(CredentialProviders.defaults(), privateUpstream());

        HttpResponse<byte[]> packument = get("left-pad");
        assertThat(packument.statusCode()).isEqualTo(200);
        assertThat(text(packument)).contains("\"1.0.0\"");
        assertThat(authorization(only(registry, "left-pad"))).isEqualTo("Bearer " + UPSTREAM_TOKEN);
        assertThat(authorization(only(otherHost, "left-pad"))).as("packument redirect target").isNull();
    }

    @Test
    void anUpstreamWithoutCredentialsGetsNoAuthorizationAtAllWhateverTheClientSent() throws Exception {
        registry.publish("left-pad", "1.0.0");
        startGateway(CredentialProviders.defaults(),
                new UpstreamConfig("public", registry.url(), Duration.ofSeconds(2), Duration.ofSeconds(5)));
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        assertThat(get("left-pad/-/left-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
        assertThat(registry.requests).hasSize(2).allSatisfy(r -> assertThat(authorization(r)).isNull());
    }

    @Test
    void withoutAlwaysAuthPackumentsGoAnonymouslyAndTarballsWithCredentials() throws Exception {
        registry.publish("left-pad", "1.0.0");
        startGateway(CredentialProviders.defaults(), privateUpstream().withAlwaysAuth(false));
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        assertThat(get("left-pad/-/left-pad-1.0.0.tgz").statusCode()).isEqualTo(200);
        assertThat(authorization(only(registry, "left-pad/-/"))).isEqualTo("Bearer " + UPSTREAM_TOKEN);
        assertThat(registry.requests.stream().filter(r -> r.getUrl().encodedPath().equals("/left-pad")))
                .singleElement().satisfies(r -> assertThat(authorization(r)).isNull());
    }

    @Test
    void refusedCredentialsAre502NamingTheUpstream() throws Exception {
        registry.route("left-pad", r -> new MockResponse.Builder().code(401).body("{\"error\":\"bad token\"}")
                .build());
        registry.route("right-pad", r -> new MockResponse.Builder().code(403).build());
        startGateway(CredentialProviders.defaults(), privateUpstream());
        for (String name : List.of("left-pad", "right-pad")) {
            HttpResponse<byte[]> r = get(name);
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(text(r)).contains("upstream 'private' refused the gateway's credentials")
                    .contains(name);
        }
    }

    @Test
    void aDownUpstreamIsSkippedAndShownDownInReadinessAndMetrics() throws Exception {
        registry.route("left-pad", r -> new MockResponse.Builder().code(503).build());
        startGateway(CredentialProviders.defaults(), privateUpstream());
        for (int i = 0; i < 3; i++) {
            assertThat(get("left-pad").statusCode()).isEqualTo(502);
        }
        assertThat(registry.hits("left-pad")).isEqualTo(3);
        HttpResponse<byte[]> skipped = get("left-pad");
        assertThat(skipped.statusCode()).isEqualTo(502);
        assertThat(text(skipped)).contains("upstream 'private'").contains("not asked again");
        assertThat(registry.hits("left-pad")).as("not asked while cooling down").isEqualTo(3);
        assertThat(text(get("-/ready"))).contains("\"id\":\"private\",\"state\":\"down\"",
                "\"lastFailure\":\"5xx\"", "\"nextProbeInSeconds\":");
        assertThat(text(get("metrics"))).contains("npm_gateway_upstream_available{upstream=\"private\"} 0.0");
    }

    @Test
    void aTokenCommandsOutputIsTheBearerTokenUpstream() throws Exception {
        leaks.add(COMMAND_TOKEN);
        Path script = scripts.resolve("print-token.sh");
        Files.writeString(script, "printf '%s\\n' '" + COMMAND_TOKEN + "'\n");
        registry.publish("left-pad", "1.0.0");
        startGateway(CredentialProviders.defaults(), new UpstreamConfig("vault", registry.url(),
                Duration.ofSeconds(2), Duration.ofSeconds(5)).withAuth(new UpstreamAuth.TokenCommand(
                        List.of("sh", script.toString()), Duration.ofMinutes(15))));
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        assertThat(authorization(only(registry, "left-pad"))).isEqualTo("Bearer " + COMMAND_TOKEN);
        assertThat(text(get("metrics"))).contains(
                "npm_gateway_upstream_token_renewal_failures_total{upstream=\"vault\"} 0.0");
    }

    @Test
    void aForwardedSearchCarriesTheTokenCommandsOutputAndNotTheClientsToken() throws Exception {
        leaks.add(COMMAND_TOKEN);
        Path script = scripts.resolve("print-token.sh");
        Files.writeString(script, "printf '%s\\n' '" + COMMAND_TOKEN + "'\n");
        registry.route("-/v1/search", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").body("{\"objects\":[],\"total\":0}").build());
        startGateway(CredentialProviders.defaults(), new UpstreamConfig("vault", registry.url(),
                Duration.ofSeconds(2), Duration.ofSeconds(5)).withAuth(new UpstreamAuth.TokenCommand(
                        List.of("sh", script.toString()), Duration.ofMinutes(15))));
        assertThat(get("-/v1/search?text=left").statusCode()).isEqualTo(200);
        assertThat(authorization(only(registry, "-/v1/search"))).isEqualTo("Bearer " + COMMAND_TOKEN);
    }

    /**
     * An upstream that accepts only the token it last handed out, through a token command that prints the token
     * file (and counts its runs): the test "revokes" a token by writing a new one there.
     */
    private final class RevokingTokenService {
        final Path tokenFile = scripts.resolve("token");
        final Path runs = scripts.resolve("runs");
        private volatile String accepted;

        RevokingTokenService(String first) throws Exception {
            issue(first);
            Files.writeString(scripts.resolve("print-token.sh"), "echo run >> '" + runs + "'; cat '" + tokenFile
                    + "'\n");
        }

        void issue(String token) throws Exception {
            leaks.add(token);
            Files.writeString(tokenFile, token);
            accepted = "Bearer " + token;
        }

        /** Answers 401 to requests for these paths that do not carry the token last issued. */
        void guard(String... paths) {
            for (String path : paths) {
                java.util.function.Function<RecordedRequest, MockResponse> answer = registry.routeAnswer(path);
                registry.route(path, r -> accepted.equals(authorization(r)) ? answer.apply(r)
                        : new MockResponse.Builder().code(401).body("{\"error\":\"token expired\"}").build());
            }
        }

        long commandRuns() throws Exception {
            return Files.readAllLines(runs).size();
        }

        UpstreamConfig upstream() {
            return new UpstreamConfig("vault", registry.url(), Duration.ofSeconds(2), Duration.ofSeconds(5))
                    .withAuth(new UpstreamAuth.TokenCommand(List.of("sh", scripts.resolve("print-token.sh")
                            .toString()), Duration.ofHours(12)));
        }
    }

    @Test
    void aRefusedTokenIsRenewedOnceAndThePackumentRequestSentAgainWithTheNewOne() throws Exception {
        RevokingTokenService tokens = new RevokingTokenService(COMMAND_TOKEN);
        registry.publish("left-pad", "1.0.0");
        Map<String, byte[]> tarballs = registry.publish("right-pad", "1.0.0");
        tokens.guard("left-pad", "right-pad", "right-pad/-/right-pad-1.0.0.tgz");
        startGateway(CredentialProviders.defaults(), tokens.upstream());
        assertThat(get("left-pad").statusCode()).isEqualTo(200);

        tokens.issue("token-renewed-early-0b7d");
        HttpResponse<byte[]> packument = get("right-pad");

        assertThat(packument.statusCode()).isEqualTo(200);
        assertThat(registry.hits("right-pad")).as("refused once, then sent again").isEqualTo(2);
        assertThat(tokens.commandRuns()).as("the first token and one renewal").isEqualTo(2);
        HttpResponse<byte[]> tarball = get("right-pad/-/right-pad-1.0.0.tgz");
        assertThat(tarball.statusCode()).isEqualTo(200);
        assertThat(tarball.body()).isEqualTo(tarballs.get("1.0.0"));
        assertThat(registry.hits("right-pad/-/right-pad-1.0.0.tgz")).as("the renewed token went at once")
                .isEqualTo(1);
        assertThat(logs.lines()).anyMatch(l -> l.contains("'vault'") && l.contains("refused (HTTP 401)"));
    }

    @Test
    void aRefusedTokenIsRenewedOnceAndTheTarballRequestSentAgainWithTheNewOne() throws Exception {
        RevokingTokenService tokens = new RevokingTokenService(COMMAND_TOKEN);
        Map<String, byte[]> tarballs = registry.publish("left-pad", "1.0.0");
        tokens.guard("left-pad", "left-pad/-/left-pad-1.0.0.tgz");
        startGateway(CredentialProviders.defaults(), tokens.upstream());
        assertThat(get("left-pad").statusCode()).isEqualTo(200);

        tokens.issue("token-renewed-early-0b7d");
        HttpResponse<byte[]> tarball = get("left-pad/-/left-pad-1.0.0.tgz");

        assertThat(tarball.statusCode()).isEqualTo(200);
        assertThat(tarball.body()).isEqualTo(tarballs.get("1.0.0"));
        assertThat(registry.hits("left-pad/-/left-pad-1.0.0.tgz")).as("refused once, then sent again").isEqualTo(2);
        assertThat(tokens.commandRuns()).isEqualTo(2);
        assertThat(text(get("metrics"))).contains(
                "npm_gateway_upstream_errors_total{reason=\"unauthorized\",upstream=\"vault\"} 1.0");
    }

    @Test
    void aTokenStillRefusedAfterRenewalIs502AndIsNotRenewedAgainAtOnce() throws Exception {
        RevokingTokenService tokens = new RevokingTokenService(COMMAND_TOKEN);
        registry.publish("left-pad", "1.0.0");
        registry.publish("right-pad", "1.0.0");
        registry.publish("up-pad", "1.0.0");
        tokens.guard("left-pad", "right-pad", "up-pad");
        startGateway(CredentialProviders.defaults(), tokens.upstream());
        assertThat(get("up-pad").statusCode()).as("the gateway has its first token").isEqualTo(200);
        // The registry stops taking the gateway's token, and the one the token service hands out next is refused
        // too (say the role lost its permission).
        tokens.issue("token-only-the-registry-knows-9c1e");
        leaks.add("token-also-refused-41aa");
        Files.writeString(tokens.tokenFile, "token-also-refused-41aa");

        HttpResponse<byte[]> first = get("left-pad");
        HttpResponse<byte[]> second = get("right-pad");

        for (HttpResponse<byte[]> r : List.of(first, second)) {
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(text(r)).contains("upstream 'vault' refused the gateway's credentials");
        }
        assertThat(registry.hits("left-pad")).as("sent again once after the renewal").isEqualTo(2);
        assertThat(registry.hits("right-pad")).as("no renewal within 30 s of the last one").isEqualTo(1);
        assertThat(tokens.commandRuns()).isEqualTo(2);
    }

    @Test
    void aCodeArtifactTokenIsObtainedSignedAndSentAsBearerWithItsExpiryInTheMetrics() throws Exception {
        leaks.add(CODEARTIFACT_TOKEN);
        leaks.add(AWS_SECRET);
        try (MockWebServer controlPlane = new MockWebServer()) {
            controlPlane.start(InetAddress.getByName("127.0.0.1"), 0);
            controlPlane.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                    .body("{\"authorizationToken\":\"" + CODEARTIFACT_TOKEN + "\",\"expiration\":"
                            + Instant.now().plus(Duration.ofHours(12)).getEpochSecond() + "}").build());
            registry.publish("@corp/tool", "1.0.0");
            CredentialProviders providers = CredentialProviders.defaults().withAwsCredentials(
                    StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE00000002", AWS_SECRET)));
            startGateway(providers, new UpstreamConfig("aws", registry.url(), Duration.ofSeconds(2),
                    Duration.ofSeconds(5)).withAuth(new UpstreamAuth.CodeArtifact("corp", "111122223333",
                            "eu-west-1", 43200, "http://127.0.0.1:" + controlPlane.getPort())));

            assertThat(get("@corp%2ftool").statusCode()).isEqualTo(200);
            assertThat(get("@corp/tool/-/tool-1.0.0.tgz").statusCode()).isEqualTo(200);
            assertThat(registry.requests).hasSize(2).allSatisfy(r ->
                    assertThat(authorization(r)).isEqualTo("Bearer " + CODEARTIFACT_TOKEN));
            RecordedRequest tokenCall = controlPlane.takeRequest();
            assertThat(tokenCall.getUrl().encodedPath()).isEqualTo("/v1/authorization-token");
            assertThat(tokenCall.getUrl().queryParameter("domain")).isEqualTo("corp");
            assertThat(authorization(tokenCall)).startsWith("AWS4-HMAC-SHA256 ");

            String remaining = text(get("metrics")).lines()
                    .filter(l -> l.startsWith("npm_gateway_upstream_token_remaining_seconds{upstream=\"aws\"}"))
                    .findFirst().orElseThrow();
            double seconds = Double.parseDouble(remaining.substring(remaining.lastIndexOf(' ') + 1));
            assertThat(seconds).isPositive().isLessThanOrEqualTo(12 * 3600.0);
        }
    }

    @Test
    void basicCredentialsAreSentAsNpmWouldAndNeverShown() throws Exception {
        String password = "basic-password-pat-19c0";
        leaks.addBasic("corp", password);
        registry.publish("left-pad", "1.0.0");
        startGateway(CredentialProviders.defaults(), new UpstreamConfig("azure", registry.url(),
                Duration.ofSeconds(2), Duration.ofSeconds(5))
                .withAuth(new UpstreamAuth.Basic("corp", Secret.of(password))));
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        assertThat(authorization(only(registry, "left-pad"))).isEqualTo("Basic "
                + Base64.getEncoder().encodeToString(("corp:" + password).getBytes(StandardCharsets.UTF_8)));
        assertThat(Map.of("config", privateUpstream().toString())).allSatisfy((k, v) ->
                assertThat(v).doesNotContain(UPSTREAM_TOKEN));
    }
}

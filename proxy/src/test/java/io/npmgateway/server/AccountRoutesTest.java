package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.npmgateway.Gateway;
import io.npmgateway.auth.LoginThrottle;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.PasswordHash;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.Secret;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.testing.LogCapture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Login and the account endpoints at the HTTP level: what a login answers (201 with a token, 401 JSON with a Basic
 * challenge, 400 for a malformed body, 404 JSON when no one can log in, 429 after repeated failures), that an
 * issued token reads, names its user at whoami and is accepted by a second gateway sharing the secret but not by
 * one with another secret or after the user's password changed; that logout answers 200; which account requests
 * are forwarded to the write target with its credentials and which are declined; and that neither passwords nor
 * tokens reach logs, metrics or error bodies.
 */
class AccountRoutesTest {
    private static final String PASSWORD = "bob-correct-horse-2";
    private static final String CI_TOKEN = "ci-static-client-token-5678";
    private static final String SECRET = "login-secret-fedcba9876543210fedcba98";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private FakeRegistry upstream;
    private final List<Gateway> gateways = new ArrayList<>();
    private LogCapture logs;
    private final List<String> secrets = new ArrayList<>(List.of(PASSWORD, CI_TOKEN, SECRET));
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();
    private PasswordHash bobHash;

    @BeforeEach
    void start() throws Exception {
        logs = new LogCapture();
        upstream = new FakeRegistry();
        upstream.publish("left-pad", "1.0.0");
        bobHash = PasswordHash.create(PASSWORD.toCharArray(), PasswordHash.MIN_ITERATIONS);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            for (Gateway g : gateways) {
                String scrape = new String(get(g, "metrics", null).body(), StandardCharsets.UTF_8);
                for (String secret : secrets) {
                    assertThat(scrape).doesNotContain(secret);
                }
            }
            for (String secret : secrets) {
                logs.assertNeverContains(secret);
            }
            assertThat(upstream.requests).as("no client credential reaches the upstream").allSatisfy(r -> {
                String authorization = r.getHeaders().get("Authorization");
                assertThat(authorization == null || authorization.equals("Bearer upstream-secret")).isTrue();
            });
        } finally {
            gateways.forEach(Gateway::close);
            upstream.close();
            logs.close();
        }
    }

    private Gateway gateway(ClientTokens clients) {
        Gateway g = Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024),
                dir.resolve("data-" + gateways.size()),
                List.of(new UpstreamConfig("corp", upstream.url(), Duration.ofSeconds(2), Duration.ofSeconds(5))
                        .withAuth(new UpstreamAuth.Bearer(Secret.of("upstream-secret")))),
                CacheConfig.defaults(), StorageConfig.defaults(), List.<RouteConfig>of(), clients, "corp", null));
        gateways.add(g);
        return g;
    }

    private ClientTokens clients(String secret, PasswordHash hash) {
        return new ClientTokens(List.of(new ClientTokens.ClientToken("ci", Secret.of(CI_TOKEN))),
                List.of(new ClientTokens.ClientUser("bob", hash)),
                new ClientTokens.LoginSettings(secret == null ? null : Secret.of(secret), Duration.ofDays(1)));
    }

    private HttpResponse<byte[]> send(Gateway g, String method, String path, String body, String authorization)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(g.publicUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> get(Gateway g, String path, String authorization) throws Exception {
        return send(g, "GET", path, null, authorization);
    }

    private HttpResponse<byte[]> login(Gateway g, String user, String password) throws Exception {
        return send(g, "PUT", "-/user/org.couchdb.user:" + user, "{\"_id\":\"org.couchdb.user:" + user
                + "\",\"name\":\"" + user + "\",\"password\":\"" + password + "\",\"type\":\"user\",\"roles\":[],"
                + "\"date\":\"2026-01-01T00:00:00.000Z\"}", null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<byte[]> r) throws Exception {
        return JSON.readValue(r.body(), Map.class);
    }

    private String issuedToken(HttpResponse<byte[]> login) throws Exception {
        assertThat(login.statusCode()).as(new String(login.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        String token = (String) json(login).get("token");
        secrets.add(token);
        return token;
    }

    @Test
    void aConfiguredUserLogsInAndTheIssuedTokenReadsAndNamesTheUser() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        assertThat(get(g, "left-pad", null).statusCode()).as("anonymous reads are closed").isEqualTo(401);

        HttpResponse<byte[]> login = login(g, "bob", PASSWORD);
        assertThat(json(login)).containsEntry("ok", true).containsEntry("id", "org.couchdb.user:bob");
        assertThat(login.headers().firstValue("cache-control")).hasValue("no-store");
        String token = issuedToken(login);
        assertThat(token).startsWith("ngw1.");

        assertThat(get(g, "left-pad", "Bearer " + token).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> whoami = get(g, "-/whoami", "Bearer " + token);
        assertThat(json(whoami)).isEqualTo(Map.of("username", "bob"));
        assertThat(get(g, "-/whoami", "Bearer " + token.substring(0, token.length() - 2) + "xx").statusCode())
                .as("a token with a forged signature").isEqualTo(401);
    }

    @Test
    void aWrongPasswordOrUnknownUserGets401JsonWithABasicChallenge() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        for (String[] attempt : new String[][] {{"bob", "wrong-password"}, {"nobody", PASSWORD}}) {
            HttpResponse<byte[]> r = login(g, attempt[0], attempt[1]);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate")).hasValue("Basic realm=\"npm-gateway\"");
            assertThat((String) json(r).get("error")).contains("wrong user name or password")
                    .doesNotContain(attempt[1]);
        }
    }

    @Test
    void malformedLoginsGet400JsonWithoutEchoingThePassword() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        for (String body : new String[] {"", "not json " + PASSWORD, "[\"" + PASSWORD + "\"]",
                "{\"name\":\"bob\"}", "{\"name\":\"mallory\",\"password\":\"" + PASSWORD + "\"}"}) {
            HttpResponse<byte[]> r = send(g, "PUT", "-/user/org.couchdb.user:bob", body, null);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            assertThat((String) json(r).get("error")).as(body).isNotBlank().doesNotContain(PASSWORD);
        }
    }

    @Test
    void repeatedFailuresFromOneAddressAreThrottledWith429AndRetryAfter() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        for (int i = 0; i < LoginThrottle.FREE_FAILURES + 1; i++) {
            assertThat(login(g, "bob", "guess-" + i).statusCode()).isEqualTo(401);
        }
        HttpResponse<byte[]> locked = login(g, "bob", PASSWORD);
        assertThat(locked.statusCode()).as("even the right password waits out the lock").isEqualTo(429);
        assertThat(locked.headers().firstValue("retry-after")).isPresent();
        assertThat((String) json(locked).get("error")).contains("too many failed logins");
        assertThat(login(g, "ci", CI_TOKEN).statusCode()).as("another name from the same address")
                .isEqualTo(201);
    }

    @Test
    void aTokenIsAcceptedByEveryReplicaWithTheSameSecretAndNoOther() throws Exception {
        Gateway first = gateway(clients(SECRET, bobHash));
        Gateway replica = gateway(clients(SECRET, bobHash));
        Gateway otherSecret = gateway(clients("another-secret-0123456789abcdef012345", bobHash));
        Gateway newPassword = gateway(clients(SECRET,
                PasswordHash.create("a-new-password-3".toCharArray(), PasswordHash.MIN_ITERATIONS)));
        Gateway noSecret = gateway(clients(null, bobHash));
        String token = issuedToken(login(first, "bob", PASSWORD));

        assertThat(json(get(replica, "-/whoami", "Bearer " + token))).isEqualTo(Map.of("username", "bob"));
        assertThat(get(otherSecret, "-/whoami", "Bearer " + token).statusCode()).isEqualTo(401);
        assertThat(get(newPassword, "-/whoami", "Bearer " + token).statusCode())
                .as("a new password ends the user's tokens").isEqualTo(401);
        assertThat(get(noSecret, "-/whoami", "Bearer " + token).statusCode()).isEqualTo(401);
        String own = issuedToken(login(noSecret, "bob", PASSWORD));
        assertThat(json(get(noSecret, "-/whoami", "Bearer " + own))).isEqualTo(Map.of("username", "bob"));
    }

    @Test
    void aClientTokenAsPasswordGetsThatTokenBack() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        HttpResponse<byte[]> r = login(g, "ci", CI_TOKEN);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(json(r)).containsEntry("token", CI_TOKEN);
    }

    @Test
    void withoutUsersOrTokensLoginSaysItIsNotConfigured() throws Exception {
        Gateway g = gateway(ClientTokens.none());
        HttpResponse<byte[]> r = login(g, "bob", PASSWORD);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat((String) json(r).get("error")).contains("login is not configured")
                .contains("reading packages needs no login");
        assertThat(get(g, "left-pad", null).statusCode()).isEqualTo(200);
    }

    @Test
    void webLoginIsDeclinedWithA4xxSoNpmFallsBackToThePrompt() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        for (String body : new String[] {"{}", "{\"create\":true}"}) {
            HttpResponse<byte[]> r = send(g, "POST", "-/v1/login", body, null);
            assertThat(r.statusCode()).isBetween(400, 499);
            assertThat((String) json(r).get("error")).contains("web login is not offered");
        }
    }

    @Test
    void logoutAnswers200AndTheTokenInItsPathIsNotLogged() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        String token = issuedToken(login(g, "bob", PASSWORD));
        HttpResponse<byte[]> r = send(g, "DELETE", "-/user/token/" + token, null, "Bearer " + token);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r)).containsEntry("ok", true);
        assertThat(send(g, "DELETE", "-/user/token/" + CI_TOKEN, null, null).statusCode())
                .isEqualTo(200);
        assertThat(logs.lines()).anyMatch(line -> line.contains("DELETE /-/user/token/***"));
    }

    @Test
    void ownerLookupsAccessStarsAndKeysGoUpstreamWithTheUpstreamsCredentials() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        upstream.route("-/user/org.couchdb.user:carol", r -> jsonAnswer("{\"name\":\"carol\",\"email\":\"c@x\"}"));
        upstream.route("-/package/left-pad/collaborators", r -> jsonAnswer("{\"carol\":\"read-write\"}"));
        upstream.route("-/_view/starredByUser", r -> jsonAnswer("{\"rows\":[{\"value\":\"left-pad\"}]}"));
        upstream.route("-/npm/v1/keys", r -> jsonAnswer("{\"keys\":[]}"));
        String auth = "Bearer " + CI_TOKEN;

        assertThat(json(get(g, "-/user/org.couchdb.user:carol", auth))).containsEntry("name", "carol");
        assertThat(json(get(g, "-/package/left-pad/collaborators", auth))).containsEntry("carol", "read-write");
        assertThat(get(g, "-/_view/starredByUser?key=%22bob%22", auth).statusCode()).isEqualTo(200);
        assertThat(get(g, "-/npm/v1/keys", auth).statusCode()).isEqualTo(200);
        assertThat(get(g, "-/user/org.couchdb.user:carol", null).statusCode()).as("anonymous").isEqualTo(401);

        List<String> targets = upstream.requests.stream().map(RecordedRequest::getTarget).toList();
        assertThat(targets).contains("/-/user/org.couchdb.user:carol", "/-/package/left-pad/collaborators",
                "/-/_view/starredByUser?key=%22bob%22", "/-/npm/v1/keys");
        assertThat(upstream.requests).allSatisfy(r ->
                assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer upstream-secret"));
    }

    @Test
    void npmTokenAndProfileChangesAreDeclinedAndProfileGetNamesTheClient() throws Exception {
        Gateway g = gateway(clients(SECRET, bobHash));
        String auth = "Bearer " + CI_TOKEN;
        for (String[] request : new String[][] {{"GET", "-/npm/v1/tokens"}, {"POST", "-/npm/v1/tokens"},
                {"DELETE", "-/npm/v1/tokens/token/abc123"}}) {
            HttpResponse<byte[]> r = send(g, request[0], request[1], request[0].equals("POST") ? "{}" : null, auth);
            assertThat(r.statusCode()).as("%s %s", request[0], request[1]).isEqualTo(404);
            assertThat((String) json(r).get("error")).contains("npm token is not available through this gateway");
        }
        assertThat(json(get(g, "-/npm/v1/user", auth))).containsEntry("name", "ci");
        assertThat(get(g, "-/npm/v1/user", null).statusCode()).isEqualTo(401);
        HttpResponse<byte[]> set = send(g, "POST", "-/npm/v1/user", "{\"fullname\":\"x\"}", auth);
        assertThat(set.statusCode()).isEqualTo(404);
        assertThat((String) json(set).get("error")).contains("profile changes are not available");
        assertThat(upstream.requests).as("nothing of this reaches the upstream").isEmpty();
    }

    private static MockResponse jsonAnswer(String body) {
        return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
    }
}

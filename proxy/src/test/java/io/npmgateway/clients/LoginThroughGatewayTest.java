package io.npmgateway.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
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
import io.npmgateway.testing.FixturePackages;
import io.npmgateway.testing.FixtureProject;
import io.npmgateway.testing.Json;
import io.npmgateway.testing.LogCapture;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.NpmResult;
import io.npmgateway.testing.Prompt;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.TestTools.Tool;
import io.npmgateway.testing.VerdaccioUpstream;
import io.npmgateway.testing.YarnCli;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code npm login}, {@code npm adduser}, {@code npm whoami}, {@code npm logout} and {@code yarn npm login} with the
 * real clients against the gateway's own accounts (a configured user with a password hash, and a configured client
 * token used as a password), in front of a real Verdaccio that holds the fixtures and takes writes with the
 * publisher's token held by the gateway. Every route needs a gateway token ({@code anonymous: none}), so an install
 * that works proves the issued token is accepted. Also: owner add/rm reach Verdaccio, npm token is declined with an
 * explanation, and no password or token reaches the gateway's logs or metrics.
 */
class LoginThroughGatewayTest {
    private static final String USER = "alice";
    private static final String PASSWORD = "alice-correct-horse-1";
    private static final String CI_TOKEN = "ci-static-client-token-1234";
    private static final Pattern ISSUED = Pattern.compile(":_authToken=(ngw1\\.[A-Za-z0-9_.-]+)");

    @TempDir
    static Path tempDir;

    private static VerdaccioUpstream verdaccio;
    private static Gateway gateway;
    private static URI registry;
    private static LogCapture logs;
    private static String publisherToken;
    private static final List<String> issuedTokens = new ArrayList<>();

    @BeforeAll
    static void start() {
        logs = new LogCapture();
        verdaccio = VerdaccioUpstream.builder(TestTools.locate()).workDir(tempDir.resolve("verdaccio")).start();
        publisherToken = FixturePackages.publishAll(verdaccio, tempDir.resolve("publish"));
        ClientTokens clients = new ClientTokens(
                List.of(new ClientTokens.ClientToken("ci", Secret.of(CI_TOKEN))),
                List.of(new ClientTokens.ClientUser(USER,
                        PasswordHash.create(PASSWORD.toCharArray(), PasswordHash.MIN_ITERATIONS))),
                new ClientTokens.LoginSettings(Secret.of("login-secret-0123456789abcdef0123456789"),
                        Duration.ofDays(1)));
        gateway = Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(60), 16 * 1024),
                tempDir.resolve("data"),
                List.of(UpstreamConfig.of("verdaccio", verdaccio.url().toString())
                        .withAuth(new UpstreamAuth.Bearer(Secret.of(publisherToken)))),
                CacheConfig.defaults(), StorageConfig.defaults(), List.<RouteConfig>of(), clients, "verdaccio",
                null));
        registry = URI.create(gateway.publicUrl());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (gateway != null) {
                String scrape = new String(java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(URI.create(gateway.publicUrl() + "metrics")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body());
                List<String> secrets = new ArrayList<>(issuedTokens);
                secrets.add(PASSWORD);
                secrets.add(CI_TOKEN);
                for (String secret : secrets) {
                    assertThat(scrape).doesNotContain(secret);
                    logs.assertNeverContains(secret);
                }
            }
        } finally {
            if (gateway != null) {
                gateway.close();
            }
            if (verdaccio != null) {
                verdaccio.close();
            }
            if (logs != null) {
                logs.close();
            }
        }
    }

    private static NpmCli npm(Tool tool, String name) {
        Path home = tempDir.resolve("npm-" + name);
        NpmCli npm = tool == null ? NpmCli.machine(home) : NpmCli.using(TestTools.locate().bin(tool), home);
        return npm.registry(registry);
    }

    private static Path dir(String name) throws IOException {
        return Files.createDirectories(tempDir.resolve(name));
    }

    private static List<Prompt> credentials(String user, String password) {
        return List.of(new Prompt("Username:", user), new Prompt("Password:", password));
    }

    /** The token npm wrote into its user config after a login; fails when there is none. */
    private static String issuedToken(NpmCli npm) {
        Matcher m = ISSUED.matcher(npm.userConfigText());
        assertThat(m.find()).as("a gateway-issued token in .npmrc:\n%s", npm.userConfigText()).isTrue();
        issuedTokens.add(m.group(1));
        return m.group(1);
    }

    @Test
    void npmLoginWithTheLegacyPromptGetsATokenThatWhoamiAndAnInstallUse() throws Exception {
        for (Tool tool : new Tool[] {null, Tool.NPM_10, Tool.NPM_11}) {
            String name = "legacy-" + (tool == null ? "machine" : tool.dir());
            NpmCli npm = npm(tool, name);
            NpmResult login = npm.runAnswering(dir(name), credentials(USER, PASSWORD), "login",
                    "--auth-type=legacy");
            assertThat(login.succeeded()).as(login.describe()).isTrue();
            assertThat(login.stdout()).contains("Logged in on " + registry);
            issuedToken(npm);
            assertThat(npm.runSuccessfully(dir(name), "whoami").stdout().trim()).as(name).isEqualTo(USER);
            if (tool == null) {
                Path project = FixtureProject.BASIC.copyTo(tempDir.resolve("installed-with-login-token"));
                npm.runSuccessfully(project, "install");
                assertThat(project.resolve("node_modules/fixture-util/package.json")).exists();
            }
        }
    }

    @Test
    void npmLoginWithTheDefaultWebFlowFallsBackToThePasswordPrompt() throws Exception {
        for (Tool tool : new Tool[] {Tool.NPM_10, Tool.NPM_11}) {
            String name = "web-" + tool.dir();
            NpmCli npm = npm(tool, name);
            NpmResult login = npm.runAnswering(dir(name), credentials(USER, PASSWORD), "login");
            assertThat(login.succeeded()).as(login.describe()).isTrue();
            issuedToken(npm);
            assertThat(npm.runSuccessfully(dir(name), "whoami").stdout().trim()).isEqualTo(USER);
        }
    }

    @Test
    void npmAdduserOfAConfiguredUserLogsIn() throws Exception {
        NpmCli npm = npm(null, "adduser");
        NpmResult adduser = npm.runAnswering(dir("adduser"), List.of(new Prompt("Username:", USER),
                new Prompt("Password:", PASSWORD), new Prompt("Email", "alice@example.invalid")), "adduser");
        assertThat(adduser.succeeded()).as(adduser.describe()).isTrue();
        issuedToken(npm);
        assertThat(npm.runSuccessfully(dir("adduser"), "whoami").stdout().trim()).isEqualTo(USER);
    }

    @Test
    void aClientTokenWorksAsThePasswordAndWhoamiNamesTheToken() throws Exception {
        NpmCli npm = npm(null, "token-as-password");
        NpmResult login = npm.runAnswering(dir("token-as-password"), credentials("ci", CI_TOKEN), "login");
        assertThat(login.succeeded()).as(login.describe()).isTrue();
        assertThat(npm.userConfigText()).contains(":_authToken=" + CI_TOKEN);
        assertThat(npm.runSuccessfully(dir("token-as-password"), "whoami").stdout().trim()).isEqualTo("ci");
    }

    @Test
    void aWrongPasswordFailsTheLoginAndWritesNoToken() throws Exception {
        NpmCli npm = npm(Tool.NPM_11, "wrong-password");
        NpmResult login = npm.runAnswering(dir("wrong-password"), credentials(USER, "not-the-password"), "login");
        assertThat(login.exitCode()).as(login.describe()).isNotZero();
        // npm words a 401 with a Basic challenge itself; the gateway's JSON reason is in npm's debug log.
        assertThat(login.stdout()).contains("E401").contains("Incorrect or missing password");
        assertThat(npm.userConfigText()).doesNotContain("_authToken");
    }

    @Test
    void npmLogoutSucceedsAndRemovesTheTokenFromNpmrc() throws Exception {
        NpmCli npm = npm(null, "logout");
        NpmResult login = npm.runAnswering(dir("logout"), credentials(USER, PASSWORD), "login");
        assertThat(login.succeeded()).as(login.describe()).isTrue();
        issuedToken(npm);
        npm.runSuccessfully(dir("logout"), "logout");
        assertThat(npm.userConfigText()).doesNotContain("_authToken");
        assertThat(npm.run(dir("logout"), "whoami").exitCode()).isNotZero();
    }

    @Test
    void yarn4NpmLoginStoresATokenThatYarnThenUses() throws Exception {
        Path project = dir("yarn4-login");
        Files.writeString(project.resolve("package.json"), "{\"name\":\"yarn-login\",\"version\":\"1.0.0\"}");
        Files.writeString(project.resolve("yarn.lock"), "");
        YarnCli yarn = YarnCli.modern(TestTools.locate().bin(Tool.YARN_4), tempDir.resolve("yarn4-login-home"))
                .registry(registry);
        NpmResult login = yarn.runAnswering(project, credentials(USER, PASSWORD), "npm", "login");
        assertThat(login.succeeded()).as(login.describe()).isTrue();
        Matcher m = Pattern.compile("npmAuthToken: (ngw1\\.[A-Za-z0-9_.-]+)").matcher(yarn.homeConfigText());
        assertThat(m.find()).as(yarn.homeConfigText()).isTrue();
        issuedTokens.add(m.group(1));
        NpmResult whoami = yarn.run(project, "npm", "whoami");
        assertThat(whoami.succeeded()).as(whoami.describe()).isTrue();
        assertThat(whoami.stdout()).contains(USER);
    }

    /**
     * npm owner add/rm look the user up and write the maintainers back ({@code PUT /<name>/-rev/<rev>}); both go to
     * Verdaccio with the gateway's credentials. Each command runs through the gateway on one package and straight
     * against Verdaccio on a twin package: the answers and the owners afterwards must be the same. (Verdaccio 6
     * answers a user look-up without the user's name and email, so owner add writes back a nameless maintainer,
     * which it refuses with 422 "bad incoming package data", and owner rm finds no such owner and writes nothing:
     * the same either way.)
     */
    @Test
    void ownerAddAndRmReachTheWriteTargetAndEndAsTheyDoDirectly() throws Exception {
        String other = "owner-candidate";
        verdaccio.addUser(other, "owner-candidate-password");
        NpmCli npm = npm(null, "owner").authToken(registry, CI_TOKEN);
        NpmCli direct = NpmCli.machine(tempDir.resolve("npm-owner-direct")).registry(verdaccio.url())
                .authToken(verdaccio.url(), publisherToken);
        Path cwd = dir("owner");
        for (String name : List.of("fixture-owned-gw", "fixture-owned-direct")) {
            Path pkg = dir("owner-" + name);
            Files.writeString(pkg.resolve("package.json"),
                    "{\"name\":\"" + name + "\",\"version\":\"1.0.0\",\"license\":\"MIT\"}");
            Files.writeString(pkg.resolve("index.js"), "module.exports = 1;\n");
            npm.runSuccessfully(pkg, "publish");
        }
        for (String[] command : List.of(new String[] {"owner", "add", other},
                new String[] {"owner", "rm", FixturePackages.PUBLISHER})) {
            long before = Files.readAllLines(verdaccio.logFile()).size();
            NpmResult viaGateway = npm.run(cwd, command[0], command[1], command[2], "fixture-owned-gw");
            awaitVerdaccioLog(before, "GET /-/user/org.couchdb.user:" + command[2]);
            if (command[1].equals("add")) {
                awaitVerdaccioLog(before, "PUT /fixture-owned-gw/-rev/");
            }
            NpmResult straight = direct.run(cwd, command[0], command[1], command[2], "fixture-owned-direct");
            String both = viaGateway.describe() + "\n" + straight.describe();
            assertThat(viaGateway.exitCode()).as(both).isEqualTo(straight.exitCode());
            assertThat(errorCodes(viaGateway)).as(both).isEqualTo(errorCodes(straight));
            assertThat(direct.run(cwd, "owner", "ls", "fixture-owned-gw").stdout()).as(both)
                    .isEqualTo(direct.run(cwd, "owner", "ls", "fixture-owned-direct").stdout());
        }
        assertThat(npm.runSuccessfully(cwd, "view", "fixture-owned-gw", "version").stdout().trim())
                .isEqualTo("1.0.0");
    }

    /** Waits (at most 20 s) until Verdaccio's log, which it writes asynchronously, has a line with {@code text}. */
    private static void awaitVerdaccioLog(long after, String text) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            List<String> lines = Files.readAllLines(verdaccio.logFile());
            if (lines.subList((int) Math.min(after, lines.size()), lines.size()).stream()
                    .anyMatch(line -> line.contains(text))) {
                return;
            }
            assertThat(System.nanoTime()).as("Verdaccio logs a request with %s within 20 s", text)
                    .isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    /** The {@code npm error code ...} and the HTTP status npm reports, without the URL (which differs). */
    private static List<String> errorCodes(NpmResult result) {
        List<String> codes = new ArrayList<>();
        for (String line : result.stderr().split("\n")) {
            if (line.startsWith("npm error code ")) {
                codes.add(line);
            }
            Matcher status = Pattern.compile("\"(\\d{3} [A-Za-z ]+) - ").matcher(line);
            if (status.find()) {
                codes.add(status.group(1));
            }
        }
        return codes;
    }

    /**
     * npm access and npm stars go to Verdaccio (the write target) with the gateway's credentials and answer as they do
     * straight from Verdaccio (which implements some of them: what it refuses, it refuses either way).
     */
    @Test
    void accessAndStarsAnswerAsVerdaccioDoesDirectly() throws Exception {
        NpmCli npm = npm(null, "account-commands").authToken(registry, CI_TOKEN);
        NpmCli direct = NpmCli.machine(tempDir.resolve("npm-account-direct")).registry(verdaccio.url())
                .authToken(verdaccio.url(), publisherToken);
        Path cwd = dir("account-commands");
        for (String[] command : List.of(new String[] {"access", "list", "collaborators", "fixture-util"},
                new String[] {"access", "get", "status", "fixture-util"},
                new String[] {"stars", "fixture-publisher"})) {
            long before = Files.readAllLines(verdaccio.logFile()).size();
            NpmResult viaGateway = npm.run(cwd, command);
            awaitVerdaccioLog(before, command[0].equals("stars") ? "/-/_view/starredByUser" : "fixture-util/");
            NpmResult straight = direct.run(cwd, command);
            String both = viaGateway.describe() + "\n" + straight.describe();
            assertThat(viaGateway.exitCode()).as(both).isEqualTo(straight.exitCode());
            assertThat(errorCodes(viaGateway)).as(both).isEqualTo(errorCodes(straight));
            assertThat(viaGateway.stdout()).as(both).isEqualTo(straight.stdout());
        }
    }

    @Test
    void npmTokenIsDeclinedWithAnExplanation() throws Exception {
        NpmCli npm = npm(null, "token-ls").authToken(registry, CI_TOKEN);
        NpmResult list = npm.run(dir("token-ls"), "token", "list");
        assertThat(list.exitCode()).as(list.describe()).isNotZero();
        assertThat(list.stderr()).contains("404").contains("npm token is not available through this gateway")
                .contains("npm login");
    }

    @Test
    void npmProfileGetShowsTheLoggedInName() throws Exception {
        NpmCli npm = npm(null, "profile").authToken(registry, CI_TOKEN);
        NpmResult profile = npm.runSuccessfully(dir("profile"), "profile", "get", "--json");
        Map<String, Object> json = Json.parseObject(profile.stdout());
        assertThat(json).containsEntry("name", "ci");
    }
}

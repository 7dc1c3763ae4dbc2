package io.npmgateway.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.Secret;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.testing.FixturePackages;
import io.npmgateway.testing.FixtureProject;
import io.npmgateway.testing.Json;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.NpmResult;
import io.npmgateway.testing.PnpmCli;
import io.npmgateway.testing.YarnCli;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.TestTools.Tool;
import io.npmgateway.testing.VerdaccioUpstream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real npm's commands beyond install, through one gateway in front of a real Verdaccio (which holds the fixtures
 * and takes writes, with the publisher's token held by the gateway) and a recording audit stub: reads (view, ping,
 * dist-tag ls, outdated, owner ls), audit, search, and the writes (publish, dist-tag add/rm, deprecate, unpublish).
 */
class NpmCommandsThroughGatewayTest {
    private static final String CLIENT_TOKEN = "developer-token";
    private static final String ADVISORY = "{\"fixture-util\":[{\"id\":1096580,\"url\":\"https://example.invalid/"
            + "advisories/1\",\"title\":\"Test advisory for fixture-util\",\"severity\":\"high\","
            + "\"vulnerable_versions\":\"<3.0.0\",\"cwe\":[\"CWE-1333\"],\"cvss\":{\"score\":7.5,"
            + "\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H\"}}]}";

    @TempDir
    static Path tempDir;

    private static VerdaccioUpstream verdaccio;
    private static MockWebServer auditStub;
    private static final AtomicReference<String> auditAnswer = new AtomicReference<>("{}");
    private static final List<RecordedRequest> audits = new CopyOnWriteArrayList<>();
    private static Gateway gateway;
    private static URI registry;
    private static String publisherToken;

    @BeforeAll
    static void start() throws IOException {
        verdaccio = VerdaccioUpstream.builder(TestTools.locate()).workDir(tempDir.resolve("verdaccio")).start();
        publisherToken = FixturePackages.publishAll(verdaccio, tempDir.resolve("publish"));
        auditStub = new MockWebServer();
        auditStub.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (!request.getTarget().equals("/-/npm/v1/security/advisories/bulk")) {
                    return new MockResponse.Builder().code(404).body("{\"error\":\"Not found\"}").build();
                }
                audits.add(request);
                return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                        .body(auditAnswer.get()).build();
            }
        });
        auditStub.start(InetAddress.getByName("127.0.0.1"), 0);
        gateway = Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(60), 16 * 1024),
                tempDir.resolve("data"),
                List.of(UpstreamConfig.of("verdaccio", verdaccio.url().toString())
                                .withAuth(new UpstreamAuth.Bearer(Secret.of(publisherToken))),
                        UpstreamConfig.of("advisories", "http://127.0.0.1:" + auditStub.getPort() + "/")
                                .withAuth(new UpstreamAuth.Bearer(Secret.of("audit-secret")))),
                CacheConfig.defaults(), StorageConfig.defaults(), List.<RouteConfig>of(),
                new ClientTokens(List.of(new ClientTokens.ClientToken("developer", Secret.of(CLIENT_TOKEN)))),
                "verdaccio", "advisories"));
        registry = URI.create(gateway.publicUrl());
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (auditStub != null) {
            auditStub.close();
        }
        if (verdaccio != null) {
            verdaccio.close();
        }
    }

    /** The machine's npm, with an empty cache of its own, the gateway as registry and the developer's gateway token. */
    private static NpmCli npm(String name) {
        return NpmCli.machine(tempDir.resolve("npm-" + name)).registry(registry).authToken(registry, CLIENT_TOKEN);
    }

    private static Path dir(String name) throws IOException {
        return Files.createDirectories(tempDir.resolve(name));
    }

    @Test
    void viewPingDistTagLsAndOwnerLsReadThroughTheGateway() throws Exception {
        NpmCli npm = npm("reads");
        Path cwd = dir("reads");
        assertThat(npm.runSuccessfully(cwd, "view", "fixture-util", "version").stdout().trim()).isEqualTo("2.0.0");
        assertThat(npm.runSuccessfully(cwd, "view", "@fixture/edge", "dist-tags.next").stdout().trim())
                .isEqualTo("2.0.0-beta.1");
        assertThat(npm.runSuccessfully(cwd, "view", "fixture-util@1.0.0", "deprecated").stdout())
                .contains("fixture-util 1.0.0 is deprecated");
        assertThat(npm.runSuccessfully(cwd, "view", "fixture-util", "versions", "--json").stdout())
                .contains("\"1.0.0\"").contains("\"1.1.0\"").contains("\"2.0.0\"");
        NpmResult ping = npm.runSuccessfully(cwd, "ping");
        assertThat(ping.stderr() + ping.stdout()).contains("PONG");
        assertThat(npm.runSuccessfully(cwd, "dist-tag", "ls", "@fixture/edge").stdout())
                .contains("latest: 1.0.0").contains("next: 2.0.0-beta.1");
        // owner ls reads "maintainers" from the full document: the gateway's answer is the upstream's own.
        NpmCli direct = NpmCli.machine(tempDir.resolve("npm-direct")).registry(verdaccio.url())
                .authToken(verdaccio.url(), publisherToken);
        assertThat(npm.runSuccessfully(cwd, "owner", "ls", "fixture-util").stdout())
                .isEqualTo(direct.runSuccessfully(cwd, "owner", "ls", "fixture-util").stdout());
    }

    @Test
    void outdatedComparesTheInstalledVersionWithTheGatewaysLatest() throws Exception {
        Path project = dir("outdated");
        Files.writeString(project.resolve("package.json"),
                "{\"name\":\"outdated-project\",\"version\":\"1.0.0\",\"dependencies\":{\"fixture-util\":\"~1.1.0\"}}");
        NpmCli npm = npm("outdated");
        npm.runSuccessfully(project, "install");
        NpmResult outdated = npm.run(project, "outdated", "--json");
        // npm outdated exits 1 when something is outdated.
        assertThat(outdated.exitCode()).as(outdated.describe()).isEqualTo(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> util = (Map<String, Object>) Json.parseObject(outdated.stdout()).get("fixture-util");
        assertThat(util).containsEntry("current", "1.1.0").containsEntry("wanted", "1.1.0")
                .containsEntry("latest", "2.0.0");
    }

    @Test
    void npmAuditGoesToTheAuditUpstreamAndReportsWhatItAnswers() throws Exception {
        Path project = FixtureProject.BASIC.copyTo(tempDir.resolve("audit-project"));
        NpmCli npm = npm("audit");
        npm.runSuccessfully(project, "install", "--package-lock-only");

        auditAnswer.set(ADVISORY);
        audits.clear();
        NpmResult vulnerable = npm.run(project, "audit", "--json");
        assertThat(vulnerable.exitCode()).as(vulnerable.describe()).isEqualTo(1);
        Map<String, Object> report = Json.parseObject(vulnerable.stdout());
        @SuppressWarnings("unchecked")
        Map<String, Object> vulnerabilities = (Map<String, Object>) report.get("vulnerabilities");
        assertThat(vulnerabilities).containsKey("fixture-util");
        assertThat(vulnerable.stdout()).contains("Test advisory for fixture-util");

        assertThat(audits).hasSize(1);
        RecordedRequest sent = audits.get(0);
        // npm gzips the body; the gateway forwards it decompressed, with the audit upstream's credentials.
        assertThat(sent.getHeaders().get("Content-Encoding")).isNull();
        assertThat(sent.getHeaders().get("Authorization")).isEqualTo("Bearer audit-secret");
        Map<String, Object> body = Json.parseObject(sent.getBody().utf8());
        assertThat(body).containsKeys("fixture-util", "@fixture/app-lib", "@fixture/edge");
        assertThat(body.get("fixture-util")).asList().containsExactlyInAnyOrder("1.1.0", "2.0.0");

        auditAnswer.set("{}");
        NpmResult clean = npm.runSuccessfully(project, "audit");
        assertThat(clean.stdout()).contains("found 0 vulnerabilities");
    }

    @Test
    void yarn4NpmAuditPostsPlainJsonThatReachesTheAuditUpstreamAsSent() throws Exception {
        Path project = FixtureProject.BASIC.copyTo(tempDir.resolve("yarn4-audit-project"));
        Files.writeString(project.resolve("yarn.lock"), "");
        YarnCli yarn = YarnCli.modern(TestTools.locate().bin(Tool.YARN_4), tempDir.resolve("yarn4-audit"))
                .authToken(CLIENT_TOKEN).registry(registry);
        yarn.run(project, "install").assertSuccess();

        auditAnswer.set(ADVISORY);
        audits.clear();
        NpmResult audit = yarn.run(project, "npm", "audit", "--all", "--recursive", "--json", "--no-deprecations");
        assertThat(audit.exitCode()).as(audit.describe()).isEqualTo(1);
        assertThat(audit.stdout()).contains("Test advisory for fixture-util");
        assertThat(audits).hasSize(1);
        assertThat(audits.get(0).getHeaders().get("Authorization")).isEqualTo("Bearer audit-secret");
        assertThat(Json.parseObject(audits.get(0).getBody().utf8())).containsKeys("fixture-util", "@fixture/edge");
    }

    @Test
    void pnpmAuditOnTheRetiredEndpointGetsA410ThatSaysSoAtOnce() throws Exception {
        Path project = FixtureProject.BASIC.copyTo(tempDir.resolve("pnpm-audit-project"));
        PnpmCli pnpm = PnpmCli.using(TestTools.locate().bin(Tool.PNPM_10), tempDir.resolve("pnpm-audit"))
                .registry(registry).config("//" + registry.getRawAuthority() + "/:_authToken", CLIENT_TOKEN);
        pnpm.run(project, "install", "--lockfile-only").assertSuccess();
        NpmResult audit = pnpm.run(project, "audit");
        assertThat(audit.exitCode()).as(audit.describe()).isNotZero();
        assertThat(audit.stdout() + audit.stderr()).contains("410").contains("retired");
    }

    @Test
    void npm11AuditThroughAGatewayWithoutAuditUpstreamReportsAnEndpointError() throws Exception {
        try (Gateway noAudit = Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(60), 16 * 1024),
                tempDir.resolve("data-no-audit"), List.of(UpstreamConfig.of("verdaccio", verdaccio.url().toString())),
                CacheConfig.defaults(), StorageConfig.defaults()))) {
            URI url = URI.create(noAudit.publicUrl());
            Path project = FixtureProject.BASIC.copyTo(tempDir.resolve("no-audit-project"));
            NpmCli npm11 = NpmCli.using(TestTools.locate().bin(Tool.NPM_11), tempDir.resolve("npm11-no-audit"))
                    .registry(url);
            npm11.runSuccessfully(project, "install", "--package-lock-only");
            NpmResult audit = npm11.timeout(Duration.ofMinutes(1)).run(project, "audit");
            assertThat(audit.exitCode()).as(audit.describe()).isNotZero();
            assertThat(audit.stdout() + audit.stderr()).contains("audit endpoint returned an error");
        }
    }

    @Test
    void npmSearchFindsTheFixturesThroughTheGateway() throws Exception {
        NpmResult search = npm("search").runSuccessfully(dir("search"), "search", "fixture", "--json");
        assertThat(search.stdout()).contains("\"fixture-util\"").contains("\"@fixture/app-lib\"");
    }

    @Test
    void aVersionPublishedThroughTheGatewayInstallsThroughItAtOnce() throws Exception {
        NpmCli npm = npm("publish");
        Path cwd = dir("publish-cwd");
        // The gateway caches the packument first, so only the invalidation after the publish can show 1.0.1.
        Path pkg = fixturePackage("fresh-1.0.0", "@fixture/fresh", "1.0.0");
        npm.runSuccessfully(pkg, "publish", "--access", "public");
        assertThat(npm.runSuccessfully(cwd, "view", "@fixture/fresh", "version").stdout().trim()).isEqualTo("1.0.0");

        npm.runSuccessfully(fixturePackage("fresh-1.0.1", "@fixture/fresh", "1.0.1"), "publish", "--access", "public");

        Path project = dir("publish-consumer");
        Files.writeString(project.resolve("package.json"),
                "{\"name\":\"consumer\",\"version\":\"1.0.0\",\"dependencies\":{\"@fixture/fresh\":\"^1.0.0\"}}");
        npm("publish-install").runSuccessfully(project, "install");
        assertThat(Json.readObject(project.resolve("node_modules/@fixture/fresh/package.json")))
                .containsEntry("version", "1.0.1");
        // Verdaccio stored the tarball it received through the gateway.
        assertThat(verdaccio.storageDir().resolve("@fixture/fresh/fresh-1.0.1.tgz")).isRegularFile();
        String lock = Files.readString(project.resolve("package-lock.json"));
        assertThat(lock).contains(registry + "@fixture/fresh/-/fresh-1.0.1.tgz")
                .doesNotContain(":" + verdaccio.port() + "/");

        // Unpublishing one version of a scoped package: npm derives the tarball DELETE path from the gateway's URL.
        npm.runSuccessfully(cwd, "unpublish", "@fixture/fresh@1.0.0");
        assertThat(npm.runSuccessfully(cwd, "view", "@fixture/fresh", "versions", "--json").stdout())
                .contains("1.0.1").doesNotContain("1.0.0");
        assertThat(verdaccio.storageDir().resolve("@fixture/fresh/fresh-1.0.0.tgz")).doesNotExist();
    }

    @Test
    void distTagAddAndRmDeprecateAndUnpublishGoToTheWriteTarget() throws Exception {
        NpmCli npm = npm("writes");
        Path cwd = dir("writes-cwd");
        npm.runSuccessfully(fixturePackage("tagged-1.0.0", "fixture-tagged", "1.0.0"), "publish");
        npm.runSuccessfully(fixturePackage("tagged-1.1.0", "fixture-tagged", "1.1.0"), "publish");

        npm.runSuccessfully(cwd, "dist-tag", "add", "fixture-tagged@1.0.0", "stable");
        assertThat(npm.runSuccessfully(cwd, "dist-tag", "ls", "fixture-tagged").stdout())
                .contains("stable: 1.0.0").contains("latest: 1.1.0");
        npm.runSuccessfully(cwd, "dist-tag", "rm", "fixture-tagged", "stable");
        assertThat(npm.runSuccessfully(cwd, "dist-tag", "ls", "fixture-tagged").stdout()).doesNotContain("stable");

        npm.runSuccessfully(cwd, "deprecate", "fixture-tagged@1.0.0", "do not use 1.0.0");
        assertThat(npm.runSuccessfully(cwd, "view", "fixture-tagged@1.0.0", "deprecated").stdout())
                .contains("do not use 1.0.0");
        // The whole document went back with Verdaccio's own tarball URLs, not the gateway's.
        String stored = Files.readString(verdaccio.storageDir().resolve("fixture-tagged/package.json"));
        assertThat(stored).doesNotContain(registry.toString());

        npm.runSuccessfully(cwd, "unpublish", "fixture-tagged@1.1.0");
        assertThat(npm.runSuccessfully(cwd, "view", "fixture-tagged", "versions", "--json").stdout())
                .contains("1.0.0").doesNotContain("1.1.0");
    }

    /** A minimal package {@code name@version} in its own directory under the temp dir. */
    private static Path fixturePackage(String dirName, String name, String version) throws IOException {
        Path dir = dir("packages/" + dirName);
        Files.writeString(dir.resolve("package.json"), "{\"name\":\"" + name + "\",\"version\":\"" + version
                + "\",\"description\":\"published through the gateway\",\"main\":\"index.js\",\"license\":\"MIT\"}");
        Files.writeString(dir.resolve("index.js"), "module.exports = '" + name + "@" + version + "';\n");
        return dir;
    }

    static String gunzip(byte[] data) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

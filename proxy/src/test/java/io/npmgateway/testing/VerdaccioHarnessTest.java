package io.npmgateway.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the test harness itself against the real parts: a Verdaccio with the fixture packages published by
 * the real npm, and the real npm installing the fixture project straight from it. If this fails, every test
 * built on the harness would fail for reasons that have nothing to do with the gateway.
 */
class VerdaccioHarnessTest {

    @TempDir
    static Path tempDir;

    private static VerdaccioUpstream verdaccio;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @BeforeAll
    static void startVerdaccioWithTheFixtures() {
        verdaccio = VerdaccioUpstream.builder(TestTools.locate()).workDir(tempDir.resolve("verdaccio")).start();
        FixturePackages.publishAll(verdaccio, tempDir.resolve("publish"));
    }

    @AfterAll
    static void stopVerdaccio() {
        if (verdaccio != null) {
            verdaccio.close();
        }
    }

    /** One install with a fresh cache, straight from Verdaccio, looked at from several sides. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class NpmInstallOfTheBasicProject {

        private Path project;
        private NpmCli npm;
        private PackageLock lock;

        @BeforeAll
        void installDirectlyFromVerdaccioWithAFreshCache() {
            project = FixtureProject.BASIC.copyTo(tempDir.resolve("basic"));
            npm = NpmCli.machine(tempDir.resolve("install-npm")).registry(verdaccio.url());
            npm.runSuccessfully(project, "install");
            lock = PackageLock.read(project);
        }

        @Test
        void locksExactlyTheExpectedPackagesAtTheExpectedVersions() {
            List<ExpectedPackage> expected = FixtureProject.BASIC.expectedPackages();
            assertThat(lock.entries().keySet())
                    .containsExactlyInAnyOrderElementsOf(expected.stream().map(ExpectedPackage::npmPath).toList());
            for (ExpectedPackage want : expected) {
                assertThat(lock.entry(want.npmPath()).orElseThrow().spec()).as("lock entry %s", want.npmPath())
                        .isEqualTo(want.spec());
            }
        }

        @Test
        void locksTarballUrlsOnVerdaccioWithSha512Integrity() {
            for (ExpectedPackage want : FixtureProject.BASIC.expectedPackages()) {
                PackageLock.Entry entry = lock.entry(want.npmPath()).orElseThrow();
                assertThat(entry.resolved()).as("resolved URL of %s", want.spec())
                        .isEqualTo(verdaccio.url() + want.name() + "/-/"
                                + FixturePackages.named(want.name()).tarballFileName(want.version()));
                assertThat(entry.integrity()).as("integrity of %s", want.spec()).startsWith("sha512-");
            }
        }

        @Test
        void installsEveryExpectedPackageExceptTheOneForAnotherPlatform() {
            for (ExpectedPackage want : FixtureProject.BASIC.expectedPackages()) {
                Path manifest = project.resolve(want.npmPath()).resolve("package.json");
                if (want.installed()) {
                    assertThat(Json.readObject(manifest)).as("installed %s", want.npmPath())
                            .containsEntry("version", want.version());
                } else {
                    assertThat(manifest).as("%s is for another platform", want.spec()).doesNotExist();
                }
            }
        }

        @Test
        void marksBothOptionalDependenciesOptionalAndSkipsOnlyTheOneForAnotherPlatform() {
            assertThat(lock.entry("node_modules/fixture-native-aix").orElseThrow().optional()).isTrue();
            assertThat(project.resolve("node_modules/fixture-native-aix")).doesNotExist();
            assertThat(lock.entry("node_modules/fixture-optional").orElseThrow().optional()).isTrue();
            assertThat(project.resolve("node_modules/fixture-optional/package.json")).exists();
        }

        @Test
        void resolvesTheNextDistTagToThePrereleaseRatherThanLatest() {
            assertThat(FixturePackages.named("@fixture/edge").distTags())
                    .containsEntry("latest", "1.0.0")
                    .containsEntry("next", "2.0.0-beta.1");
            assertThat(lock.entry("node_modules/@fixture/edge").orElseThrow().version()).isEqualTo("2.0.0-beta.1");
        }

        @Test
        void linksTheBinSoThatItRuns() {
            for (String bin : FixtureProject.BASIC.expectedBins()) {
                assertThat(project.resolve("node_modules/.bin").resolve(bin)).isExecutable();
            }
            assertThat(npm.runSuccessfully(project, "exec", "--", "fixture-cli").stdout().trim())
                    .isEqualTo("fixture-cli 1.0.0");
        }
    }

    @Test
    void verdaccioServesTheCatalogsVersionsDistTagsDeprecationsAndTarballs() throws Exception {
        assertServesEveryFixture();
    }

    @Test
    void aRestartOnTheSamePortKeepsPackagesUsersAndTokens() throws Exception {
        URI url = verdaccio.url();
        String token = verdaccio.addUser("restart-user", "restart-secret");

        verdaccio.stop();

        assertThat(verdaccio.isRunning()).isFalse();
        assertThatThrownBy(() -> get(url.resolve("-/ping"))).isInstanceOf(ConnectException.class);

        verdaccio.restart();

        assertThat(verdaccio.isRunning()).isTrue();
        assertThat(verdaccio.url()).isEqualTo(url);
        assertServesEveryFixture();
        NpmCli npm = NpmCli.machine(tempDir.resolve("restart-npm")).registry(url).authToken(url, token);
        assertThat(npm.runSuccessfully(tempDir, "whoami").stdout().trim()).isEqualTo("restart-user");
    }

    @Test
    void addUserIssuesATokenNpmAcceptsAndLoginIssuesAnotherForTheSameUser() {
        String created = verdaccio.addUser("alice", "alice-secret");
        String loggedIn = verdaccio.login("alice", "alice-secret");

        assertThat(loggedIn).isNotEqualTo(created);
        for (String token : List.of(created, loggedIn)) {
            NpmCli npm = NpmCli.machine(tempDir.resolve("alice-npm-" + token.hashCode()))
                    .registry(verdaccio.url())
                    .authToken(verdaccio.url(), token);
            assertThat(npm.runSuccessfully(tempDir, "whoami").stdout().trim()).isEqualTo("alice");
        }
        // Verdaccio answers 409 when the password matches and 401 when it does not; either way, no token.
        assertThatThrownBy(() -> verdaccio.addUser("alice", "another-secret"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("adding user alice failed");
    }

    @Test
    void aVerdaccioRequiringAuthenticationRefusesAnonymousReadsAndAcceptsTokenAndBasicAuth() {
        try (VerdaccioUpstream closed = VerdaccioUpstream.builder(TestTools.locate())
                .readAccess(VerdaccioUpstream.ReadAccess.AUTHENTICATED)
                .start()) {
            FixturePackages.publish(closed, tempDir.resolve("closed-publish"),
                    List.of(FixturePackages.named("fixture-cli")));
            URI url = closed.url();
            String token = closed.addUser("reader", "reader-secret");

            NpmResult anonymous = NpmCli.machine(tempDir.resolve("closed-anonymous")).registry(url)
                    .run(tempDir, "view", "fixture-cli", "version");
            NpmResult bearer = NpmCli.machine(tempDir.resolve("closed-bearer")).registry(url)
                    .authToken(url, token)
                    .run(tempDir, "view", "fixture-cli", "version");
            NpmResult basic = NpmCli.machine(tempDir.resolve("closed-basic")).registry(url)
                    .basicAuth(url, "reader", "reader-secret")
                    .run(tempDir, "view", "fixture-cli", "version");

            assertThat(anonymous.assertFailure().stderr()).contains("E401");
            assertThat(bearer.assertSuccess().stdout().trim()).isEqualTo("1.0.0");
            assertThat(basic.assertSuccess().stdout().trim()).isEqualTo("1.0.0");
        }
    }

    @Test
    void anotherNpmFromTheToolsDirectoryRunsInTheSameIsolationAgainstVerdaccio() {
        NpmCli npm10 = NpmCli.using(TestTools.locate().bin(TestTools.Tool.NPM_10), tempDir.resolve("npm10"))
                .registry(verdaccio.url());

        assertThat(npm10.runSuccessfully(tempDir, "--version").stdout().trim()).startsWith("10.");
        assertThat(npm10.runSuccessfully(tempDir, "view", "fixture-util", "dist-tags.latest").stdout().trim())
                .isEqualTo("2.0.0");
    }

    /** Every catalog package's document and every tarball, as npm published them. */
    private void assertServesEveryFixture() throws Exception {
        for (FixturePackage fixture : FixturePackages.catalog()) {
            HttpResponse<byte[]> response = get(verdaccio.url().resolve(fixture.name().replace("/", "%2f")));
            assertThat(response.statusCode()).as("GET %s", fixture.name()).isEqualTo(200);
            Map<String, Object> packument = Json.parseObject(new String(response.body(), StandardCharsets.UTF_8));
            assertThat(packument.get("dist-tags")).as("dist-tags of %s", fixture.name())
                    .isEqualTo(fixture.distTags());
            @SuppressWarnings("unchecked")
            Map<String, Object> versions = (Map<String, Object>) packument.get("versions");
            assertThat(versions.keySet()).as("versions of %s", fixture.name())
                    .containsExactlyInAnyOrderElementsOf(fixture.versions());
            for (String version : fixture.versions()) {
                Map<?, ?> manifest = (Map<?, ?>) versions.get(version);
                assertThat(manifest.get("deprecated")).as("deprecation of %s@%s", fixture.name(), version)
                        .isEqualTo(fixture.deprecations().get(version));
                Map<?, ?> dist = (Map<?, ?>) manifest.get("dist");
                HttpResponse<byte[]> tarball = get(URI.create((String) dist.get("tarball")));
                assertThat(tarball.statusCode()).as("tarball of %s@%s", fixture.name(), version).isEqualTo(200);
                assertThat(sha512Integrity(tarball.body())).as("integrity of %s@%s", fixture.name(), version)
                        .isEqualTo(dist.get("integrity"));
            }
        }
    }

    private HttpResponse<byte[]> get(URI uri) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String sha512Integrity(byte[] bytes) throws NoSuchAlgorithmException {
        return "sha512-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(bytes));
    }
}

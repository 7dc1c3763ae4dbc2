package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.testing.ExpectedPackage;
import io.npmgateway.testing.FixturePackages;
import io.npmgateway.testing.FixtureProject;
import io.npmgateway.testing.Json;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.PackageLock;
import io.npmgateway.testing.TestFiles;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.VerdaccioUpstream;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real npm installs a real project through the gateway from a real Verdaccio: scoped and unscoped packages,
 * several versions, dependencies between them, a bin, a dist-tag other than latest. The lockfile must name the
 * gateway for every tarball, and {@code npm ci} from it, with another empty cache, must succeed.
 */
class NpmInstallThroughGatewayTest {
    private static final Logger LOG = LoggerFactory.getLogger(NpmInstallThroughGatewayTest.class);

    @TempDir
    static Path tempDir;

    private static VerdaccioUpstream verdaccio;

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

    @Test
    void npmInstallThenNpmCiThroughTheGatewayAtTheRoot() {
        installThenCi("root", null);
    }

    @Test
    void npmInstallThenNpmCiThroughTheGatewayUnderAPathPrefix() {
        installThenCi("prefixed", "/npm/");
    }

    @Test
    void afterRealInstallsTheScrapeCountsEveryTarballAndPassesPromtool() throws Exception {
        Path work = tempDir.resolve("metrics");
        try (Gateway gateway = GatewayProcess.start(work.resolve("data"), verdaccio.url(), null)) {
            URI registry = URI.create(gateway.publicUrl());
            Path project = FixtureProject.BASIC.copyTo(work.resolve("project"));
            NpmCli.machine(work.resolve("npm-install")).registry(registry).runSuccessfully(project, "install");
            TestFiles.deleteRecursively(project.resolve("node_modules"));
            NpmCli.machine(work.resolve("npm-ci")).registry(registry).runSuccessfully(project, "ci");

            long installed = FixtureProject.BASIC.expectedPackages().stream().filter(ExpectedPackage::installed)
                    .count();
            String scrape = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(registry.resolve("/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            // Two installs with empty client caches fetched every installed tarball twice.
            assertThat(sum(scrape, "npm_gateway_tarball_downloads_total")).isEqualTo(2.0 * installed);
            assertThat(sum(scrape, "npm_gateway_requests_seconds_count", "route=\"tarball\""))
                    .isEqualTo(2.0 * installed);
            assertThat(sum(scrape, "npm_gateway_requests_seconds_count", "route=\"tarball\"", "status=\"2xx\"",
                    "cache=\"miss\"")).isEqualTo(installed);
            assertThat(sum(scrape, "npm_gateway_upstream_requests_seconds_count", "upstream=\"verdaccio\"",
                    "kind=\"tarball\"")).isEqualTo(installed);
            assertThat(sum(scrape, "npm_gateway_tarball_store_entries")).isEqualTo(installed);
            assertThat(scrape).contains("npm_gateway_upstream_available{upstream=\"verdaccio\"} 1.0")
                    .contains("jvm_memory_used_bytes");
            assertThat(Promtool.check(scrape)).isEmpty();
        }
    }

    /** Adds up the values of the series of {@code metric} that carry every one of {@code labels}. */
    private static double sum(String scrape, String metric, String... labels) {
        return scrape.lines()
                .filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " "))
                .filter(l -> java.util.Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private void installThenCi(String name, String prefix) {
        Path work = tempDir.resolve(name);
        try (Gateway gateway = GatewayProcess.start(work.resolve("data"), verdaccio.url(), prefix)) {
            URI registry = URI.create(gateway.publicUrl());
            Path project = FixtureProject.BASIC.copyTo(work.resolve("project"));

            long started = System.nanoTime();
            NpmCli npm = NpmCli.machine(work.resolve("npm-install")).registry(registry);
            npm.runSuccessfully(project, "install");
            LOG.info("npm install through the gateway ({}): {} ms", name, (System.nanoTime() - started) / 1_000_000);

            PackageLock lock = PackageLock.read(project);
            // Every entry, not only the expected ones: one tarball left at the upstream would make `npm ci` bypass
            // the gateway for it.
            assertThat(lock.entries()).isNotEmpty();
            assertThat(lock.entries().values()).allSatisfy(entry -> assertThat(entry.resolved())
                    .as("resolved URL of %s", entry.path()).startsWith(registry.toString()));
            assertThat(project.resolve("package-lock.json")).content().doesNotContain(verdaccio.url().toString());
            for (ExpectedPackage want : FixtureProject.BASIC.expectedPackages()) {
                PackageLock.Entry entry = lock.entry(want.npmPath()).orElseThrow();
                assertThat(entry.version()).as(want.npmPath()).isEqualTo(want.version());
                assertThat(entry.resolved()).as("resolved URL of %s", want.spec())
                        .isEqualTo(registry + want.name() + "/-/"
                                + FixturePackages.named(want.name()).tarballFileName(want.version()));
                assertThat(entry.integrity()).startsWith("sha512-");
                Path manifest = project.resolve(want.npmPath()).resolve("package.json");
                if (want.installed()) {
                    assertThat(Json.readObject(manifest)).containsEntry("version", want.version());
                }
            }
            for (String bin : FixtureProject.BASIC.expectedBins()) {
                assertThat(project.resolve("node_modules/.bin").resolve(bin)).isExecutable();
            }

            TestFiles.deleteRecursively(project.resolve("node_modules"));
            started = System.nanoTime();
            NpmCli ci = NpmCli.machine(work.resolve("npm-ci")).registry(registry);
            ci.runSuccessfully(project, "ci");
            LOG.info("npm ci through the gateway ({}): {} ms", name, (System.nanoTime() - started) / 1_000_000);
            for (ExpectedPackage want : FixtureProject.BASIC.expectedPackages()) {
                if (want.installed()) {
                    assertThat(Json.readObject(project.resolve(want.npmPath()).resolve("package.json")))
                            .containsEntry("version", want.version());
                }
            }
        }
    }
}

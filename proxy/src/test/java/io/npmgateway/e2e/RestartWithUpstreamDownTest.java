package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache outlives the gateway process and the upstream: gateway A installs a project from Verdaccio, then A is
 * closed and Verdaccio stopped; gateway B, on A's data directory and A's URL, serves {@code npm ci} from the
 * lockfile (tarballs from the store) and a lockfile-less {@code npm install} (packuments from the disk tier, stale
 * because the upstream cannot be asked), both with empty npm caches, and B's metrics show that none of the upstream
 * requests it tried got a response.
 */
class RestartWithUpstreamDownTest {
    @TempDir
    Path tempDir;

    @Test
    void restartedGatewayServesNpmCiAndNpmInstallFromItsDataDirWhileTheUpstreamIsDown() throws Exception {
        try (VerdaccioUpstream verdaccio = VerdaccioUpstream.builder(TestTools.locate())
                .workDir(tempDir.resolve("verdaccio")).start()) {
            FixturePackages.publishAll(verdaccio, tempDir.resolve("publish"));
            Path dataDir = tempDir.resolve("data");
            // Both gateways listen on this port: the lockfile names gateway A's URL, and gateway B must answer it.
            int port = GatewayProcess.freePort();
            Path project = FixtureProject.BASIC.copyTo(tempDir.resolve("project"));
            URI registry;
            try (Gateway a = GatewayProcess.startOnPort(dataDir, verdaccio.url(), port, CacheConfig.defaults())) {
                registry = URI.create(a.publicUrl());
                NpmCli.machine(tempDir.resolve("npm-a")).registry(registry).runSuccessfully(project, "install");
            }
            assertLockedAndInstalled(project, registry);

            verdaccio.stop();
            assertThat(verdaccio.isRunning()).isFalse();

            // Max-age zero: B must try the upstream for every packument, and serve the disk copy when it fails.
            CacheConfig alwaysRevalidate = new CacheConfig(Duration.ZERO, null, 64L * 1024 * 1024,
                    Duration.ofSeconds(30), 128L * 1024 * 1024);
            try (Gateway b = GatewayProcess.startOnPort(dataDir, verdaccio.url(), port, alwaysRevalidate)) {
                assertThat(b.publicUrl()).isEqualTo(registry.toString());

                TestFiles.deleteRecursively(project.resolve("node_modules"));
                NpmCli ci = NpmCli.machine(tempDir.resolve("npm-ci")).registry(registry).config("fetch-retries", "0");
                ci.runSuccessfully(project, "ci");
                assertLockedAndInstalled(project, registry);

                Path unlocked = FixtureProject.BASIC.copyTo(tempDir.resolve("project-without-lockfile"));
                assertThat(unlocked.resolve("package-lock.json")).doesNotExist();
                NpmCli install = NpmCli.machine(tempDir.resolve("npm-install-b")).registry(registry)
                        .config("fetch-retries", "0");
                install.runSuccessfully(unlocked, "install");
                assertLockedAndInstalled(unlocked, registry);

                // What the install above read: the disk copy, served stale since the upstream is unreachable.
                HttpResponse<String> packument = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .proxy(HttpClient.Builder.NO_PROXY).build()
                        .send(HttpRequest.newBuilder(registry.resolve("fixture-util")).timeout(Duration.ofSeconds(20))
                                .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(packument.statusCode()).isEqualTo(200);
                assertThat(packument.headers().firstValue("x-npm-gateway-cache")).hasValue("stale");

                // B did try its upstream (max-age zero), and not one of those requests got any answer.
                String scrape = b.metrics().scrape();
                assertThat(samples(scrape, "npm_gateway_upstream_errors_total"))
                        .as("failed upstream requests").anySatisfy(s -> assertThat(value(s)).isPositive());
                assertThat(samples(scrape, "npm_gateway_upstream_requests_seconds_count"))
                        .as("upstream requests that got a response")
                        .allSatisfy(s -> assertThat(s.contains("status=\"none\"") || value(s) == 0).as(s).isTrue());
            }
        }
    }

    /** The sample lines of {@code metric} in a Prometheus scrape. */
    private static java.util.List<String> samples(String scrape, String metric) {
        return scrape.lines().filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " ")).toList();
    }

    private static double value(String sample) {
        return Double.parseDouble(sample.substring(sample.lastIndexOf(' ') + 1));
    }

    /** Every expected package is in the lockfile at its version, resolved through the gateway, and installed. */
    private static void assertLockedAndInstalled(Path project, URI registry) {
        assertThat(Files.exists(project.resolve("package-lock.json"))).isTrue();
        PackageLock lock = PackageLock.read(project);
        for (ExpectedPackage want : FixtureProject.BASIC.expectedPackages()) {
            PackageLock.Entry entry = lock.entry(want.npmPath()).orElseThrow(() ->
                    new AssertionError(want.npmPath() + " missing from the lockfile"));
            assertThat(entry.version()).as(want.npmPath()).isEqualTo(want.version());
            assertThat(entry.resolved()).as("resolved URL of %s", want.spec())
                    .isEqualTo(registry + want.name() + "/-/"
                            + FixturePackages.named(want.name()).tarballFileName(want.version()));
            if (want.installed()) {
                assertThat(Json.readObject(project.resolve(want.npmPath()).resolve("package.json")))
                        .as(want.spec()).containsEntry("version", want.version());
            }
        }
    }
}

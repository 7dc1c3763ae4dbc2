package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.RouteConfig;
import io.npmgateway.config.Secret;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.testing.FixturePackage;
import io.npmgateway.testing.FixturePackage.Release;
import io.npmgateway.testing.FixturePackages;
import io.npmgateway.testing.Json;
import io.npmgateway.testing.LogCapture;
import io.npmgateway.testing.SecretLeaks;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.PackageLock;
import io.npmgateway.testing.TestFiles;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.VerdaccioUpstream;
import io.npmgateway.testing.VerdaccioUpstream.ReadAccess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chain of real Verdaccio registries behind the gateway, with the credentials only the gateway holds:
 *
 * <ul>
 *   <li>{@code private}: requires authentication, serves {@code @corp/*}; the gateway logs in with basic
 *       {@code user:password};</li>
 *   <li>{@code team}: requires authentication, the gateway sends a bearer token; serves the older majors of the
 *       fixtures;</li>
 *   <li>{@code public}: anonymous; serves a newer major of {@code fixture-util} and impostors of both
 *       {@code @corp} packages at 99.0.0 (a dependency-confusion attempt).</li>
 * </ul>
 *
 * Routes: {@code @corp/*} only to {@code private}; everything else merged from {@code team} and {@code public}. npm,
 * with no credentials at all in its configuration, installs a project that needs all three; the {@code @corp}
 * package comes from {@code private}, and {@code public} is never even asked for a {@code @corp} name. Then
 * {@code private} goes away: the cached copy is still served (stale) and installs still work, while an uncached
 * {@code @corp} package is a 502 naming {@code private}, never the impostor.
 */
class PrivateUpstreamChainTest {
    @TempDir
    Path tempDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    private static FixturePackage fixture(String name, String... versions) {
        List<Release> releases = new ArrayList<>();
        for (String v : versions) {
            releases.add(new Release(v, FixturePackage.LATEST));
        }
        return new FixturePackage(name, releases, Map.of());
    }

    private static <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, command -> {
            Thread t = new Thread(command, "verdaccio-setup");
            t.setDaemon(true);
            t.start();
        });
    }

    @Test
    void privatePackagesComeOnlyFromThePrivateUpstreamAndSurviveItsOutage() throws Exception {
        TestTools tools = TestTools.locate();
        // Three starts and three publications, in parallel: each costs seconds.
        CompletableFuture<VerdaccioUpstream> privateStart = async(() -> VerdaccioUpstream.builder(tools)
                .readAccess(ReadAccess.AUTHENTICATED).workDir(tempDir.resolve("private")).start());
        CompletableFuture<VerdaccioUpstream> teamStart = async(() -> VerdaccioUpstream.builder(tools)
                .readAccess(ReadAccess.AUTHENTICATED).workDir(tempDir.resolve("team")).start());
        CompletableFuture<VerdaccioUpstream> publicStart = async(() -> VerdaccioUpstream.builder(tools)
                .workDir(tempDir.resolve("public")).start());
        try (VerdaccioUpstream privateRegistry = privateStart.join();
             VerdaccioUpstream team = teamStart.join();
             VerdaccioUpstream publicRegistry = publicStart.join();
             LogCapture logs = new LogCapture()) {
            CompletableFuture<String> privatePublished = async(() -> FixturePackages.publish(privateRegistry,
                    tempDir.resolve("publish-private"), List.of(fixture("@corp/tool", "1.0.0"),
                            fixture("@corp/lib", "1.0.0"))));
            CompletableFuture<String> teamPublished = async(() -> FixturePackages.publish(team,
                    tempDir.resolve("publish-team"), List.of(fixture("fixture-util", "1.0.0", "1.1.0"),
                            fixture("@fixture/app-lib", "1.0.0"), fixture("fixture-optional", "1.0.0"),
                            fixture("fixture-native-aix", "1.0.0"))));
            CompletableFuture<String> publicPublished = async(() -> FixturePackages.publish(publicRegistry,
                    tempDir.resolve("publish-public"), List.of(fixture("fixture-util", "2.0.0"),
                            fixture("@corp/tool", "99.0.0"), fixture("@corp/lib", "99.0.0"))));
            privatePublished.join();
            String teamToken = teamPublished.join();
            publicPublished.join();
            String privatePassword = FixturePackages.PUBLISHER_PASSWORD;
            // Verdaccio writes its log asynchronously: the publishing requests above may still be on their way into
            // it, so the offset is taken once a sentinel request made after them is in the file.
            long publicLogBefore = logEndAfterSentinel(publicRegistry);

            GatewayConfig config = new GatewayConfig(
                    new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(60), 16 * 1024),
                    tempDir.resolve("gateway-data"),
                    List.of(UpstreamConfig.of("private", privateRegistry.url().toString())
                                    .withAuth(new UpstreamAuth.Basic(FixturePackages.PUBLISHER,
                                            Secret.of(privatePassword))),
                            UpstreamConfig.of("team", team.url().toString())
                                    .withAuth(new UpstreamAuth.Bearer(Secret.of(teamToken))),
                            UpstreamConfig.of("public", publicRegistry.url().toString())),
                    // Every packument request revalidates upstream, so an outage shows at once as stale serving.
                    new CacheConfig(Duration.ZERO, null, 64L << 20, Duration.ofSeconds(30), 128L << 20),
                    StorageConfig.defaults(),
                    List.of(new RouteConfig("@corp/*", List.of("private")),
                            new RouteConfig("*", List.of("team", "public"), RouteConfig.Policy.MERGE,
                                    RouteConfig.Access.READ)),
                    null, null, null);
            try (Gateway gateway = Gateway.start(config)) {
                URI registry = URI.create(gateway.publicUrl());
                Path project = Files.createDirectories(tempDir.resolve("project"));
                Files.writeString(project.resolve("package.json"), """
                        {
                          "name": "chain-consumer",
                          "version": "1.0.0",
                          "private": true,
                          "dependencies": {
                            "@corp/tool": "*",
                            "@fixture/app-lib": "^1.0.0",
                            "fixture-util": "^2.0.0"
                          }
                        }
                        """);

                NpmCli.machine(tempDir.resolve("npm-install")).registry(registry).runSuccessfully(project, "install");
                assertThat(installedVersion(project, "node_modules/@corp/tool")).isEqualTo("1.0.0");
                assertThat(installedVersion(project, "node_modules/fixture-util")).isEqualTo("2.0.0");
                assertThat(installedVersion(project, "node_modules/@fixture/app-lib/node_modules/fixture-util"))
                        .isEqualTo("1.1.0");
                assertThat(installedVersion(project, "node_modules/fixture-optional")).isEqualTo("1.0.0");
                PackageLock lock = PackageLock.read(project);
                assertThat(lock.entries().values()).isNotEmpty().allSatisfy(e ->
                        assertThat(e.resolved()).startsWith(registry.toString()));
                assertThat(publicRequestsFor(publicRegistry, publicLogBefore, "fixture-util"))
                        .as("the log shows what the public registry was asked (the merge asks it for fixture-util)")
                        .isNotEmpty();
                assertThat(publicRequestsFor(publicRegistry, publicLogBefore, "@corp"))
                        .as("the public registry is never asked for a @corp name").isEmpty();
                // Verdaccio writes its log asynchronously, so where each tarball came from is read from the
                // gateway's own download counter, labelled by the upstream that served the bytes.
                String downloads = get(registry, "metrics").body();
                assertThat(downloads)
                        .as("a merged version's tarball comes from its own upstream")
                        .contains("npm_gateway_tarball_downloads_total{package=\"fixture-util\",upstream=\"public\"} 1.0")
                        .as("the team upstream's version is fetched there, with its token")
                        .contains("npm_gateway_tarball_downloads_total{package=\"fixture-util\",upstream=\"team\"} 1.0");

                privateRegistry.stop();

                HttpResponse<String> cached = get(registry, "@corp%2ftool");
                assertThat(cached.statusCode()).isEqualTo(200);
                assertThat(cached.headers().firstValue("x-npm-gateway-cache")).hasValue("stale");
                assertThat(Json.parseObject(cached.body()).get("versions"))
                        .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsOnlyKeys("1.0.0");

                TestFiles.deleteRecursively(project.resolve("node_modules"));
                NpmCli.machine(tempDir.resolve("npm-ci")).registry(registry).runSuccessfully(project, "ci");
                assertThat(installedVersion(project, "node_modules/@corp/tool")).isEqualTo("1.0.0");

                List<String> errorBodies = new java.util.ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    // The first failures reach the stopped registry; then it is marked down and skipped.
                    HttpResponse<String> uncached = get(registry, "@corp%2flib");
                    assertThat(uncached.statusCode()).isEqualTo(502);
                    assertThat(uncached.body()).contains("upstream 'private'").doesNotContain("99.0.0");
                    errorBodies.add(uncached.body());
                }
                assertThat(publicRequestsFor(publicRegistry, publicLogBefore, "@corp")).isEmpty();
                assertThat(get(registry, "-/ready").body()).contains("\"id\":\"private\",\"state\":\"down\"");

                String scrape = get(registry, "metrics").body();
                assertThat(scrape).contains("npm_gateway_upstream_available{upstream=\"private\"} 0.0");
                SecretLeaks leaks = SecretLeaks.of(teamToken).addBasic(FixturePackages.PUBLISHER, privatePassword);
                leaks.assertNotInMetrics(scrape);
                leaks.assertNotInAny("error bodies", errorBodies);
                leaks.assertNotInLogs(logs);
                leaks.assertNotInConfigDumps(config);
            }
        }
    }

    private HttpResponse<String> get(URI registry, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(registry.resolve(path)).timeout(Duration.ofSeconds(30)).GET()
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String installedVersion(Path project, String dir) {
        return (String) Json.readObject(project.resolve(dir).resolve("package.json")).get("version");
    }

    /** The log's length once a sentinel request, made now, is in it: every earlier request is then written. */
    private long logEndAfterSentinel(VerdaccioUpstream verdaccio) throws Exception {
        publicRequestsFor(verdaccio, 0, "log-sentinel-");
        return Files.size(verdaccio.logFile());
    }

    /**
     * The request lines Verdaccio logged since {@code offset} whose text contains {@code needle}, read only once a
     * sentinel request made now shows in the log. Verdaccio logs each request when it has answered it and writes
     * its log asynchronously; every request of the gateway's was answered before the sentinel was sent, so once the
     * sentinel's line is there, theirs are too, and an empty answer means "never asked" rather than "not flushed".
     */
    private List<String> publicRequestsFor(VerdaccioUpstream verdaccio, long offset, String needle)
            throws Exception {
        String sentinel = "log-sentinel-" + java.util.UUID.randomUUID();
        assertThat(get(verdaccio.url(), sentinel).statusCode()).as("the sentinel is no package").isEqualTo(404);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            byte[] all = Files.readAllBytes(verdaccio.logFile());
            List<String> requests = new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8)
                    .lines().filter(l -> l.contains("req:")).toList();
            if (requests.stream().anyMatch(l -> l.contains(sentinel))) {
                return requests.stream().filter(l -> l.contains(needle)).toList();
            }
            assertThat(System.nanoTime()).as("the sentinel request %s appeared in %s within 30 s", sentinel,
                    verdaccio.logFile()).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }
}

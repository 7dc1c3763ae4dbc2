package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.npmgateway.Gateway;
import io.npmgateway.config.CacheConfig;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.config.StorageConfig;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.faults.UpstreamStub;
import io.npmgateway.testing.FixturePackage;
import io.npmgateway.testing.FixturePackages;
import io.npmgateway.testing.FixtureProject;
import io.npmgateway.testing.NpmCli;
import io.npmgateway.testing.TestFiles;
import io.npmgateway.testing.TestTools;
import io.npmgateway.testing.VerdaccioUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import mockwebserver3.internal.MockWebServerSocket;
import okio.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The real npm installs an already cached project through a gateway whose only upstream is failing in one way
 * (resets, stalls, a one-byte-a-second drip, a 5xx storm, refused connections): {@code npm ci} (tarballs only) and
 * {@code npm install} without a lockfile (packuments too, which the gateway must revalidate: max-age zero), each
 * with an empty npm cache, succeed from the cache; a package that was never cached fails fast with a JSON 502/504
 * naming it; the failures are counted in {@code npm_gateway_upstream_errors_total} with the fault's reason.
 *
 * <p>The upstream is an in-process stub serving copies of the fixture packages that the real {@code npm publish}
 * put into a Verdaccio (stopped before the faults start).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InstallDuringUpstreamFaultsTest {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path tempDir;

    private UpstreamStub upstream;
    private int port;
    private Path dataDir;
    private Path lockedProject;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    /** One way for the upstream to fail, and the reason label its errors are counted under. */
    enum Fault {
        /** A response head, then a TCP reset (RST) instead of the body. */
        RESET("truncated", r -> new MockResponse.Builder().code(200).setHeader("Content-Length", 4096)
                .socketHandler(socket -> reset(socket)).build()),
        STALL("timeout", r -> new MockResponse.Builder().code(200).body("{}")
                .onResponseStart(SocketEffect.Stall.INSTANCE).build()),
        /** Headers at once, then one byte a second: never silent for a whole read timeout. */
        DRIP("timeout", r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body(new Buffer().write(new byte[64 * 1024])).throttleBody(1, 1, TimeUnit.SECONDS).build()),
        SERVER_ERRORS("5xx", r -> new MockResponse.Builder().code(503).body("{\"error\":\"overloaded\"}").build()),
        /** Nothing listens on the upstream's port. */
        REFUSED("connect", null);

        final String reason;
        final Function<RecordedRequest, MockResponse> answer;

        Fault(String reason, Function<RecordedRequest, MockResponse> answer) {
            this.reason = reason;
            this.answer = answer;
        }
    }

    @BeforeAll
    void cacheTheProjectThroughAHealthyUpstream() throws Exception {
        upstream = new UpstreamStub();
        try (VerdaccioUpstream verdaccio = VerdaccioUpstream.builder(TestTools.locate())
                .workDir(tempDir.resolve("verdaccio")).start()) {
            FixturePackages.publishAll(verdaccio, tempDir.resolve("publish"));
            mirror(verdaccio.url());
        }
        dataDir = tempDir.resolve("data");
        port = GatewayProcess.freePort();
        lockedProject = FixtureProject.BASIC.copyTo(tempDir.resolve("locked"));
        try (Gateway gateway = startGateway(upstream.url())) {
            NpmCli.machine(tempDir.resolve("npm-warm")).registry(URI.create(gateway.publicUrl()))
                    .runSuccessfully(lockedProject, "install");
        }
        assertThat(lockedProject.resolve("package-lock.json")).exists();
    }

    @AfterAll
    void stopUpstream() {
        if (upstream != null) {
            upstream.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Fault.class)
    void cachedProjectInstallsWithNpmWhileUncachedPackagesFailFastNamingThePackage(Fault fault) throws Exception {
        String upstreamUrl = upstream.url();
        if (fault == Fault.REFUSED) {
            upstreamUrl = "http://127.0.0.1:" + GatewayProcess.freePort() + "/";
        } else {
            upstream.failEverything(fault.answer);
        }
        try (Gateway gateway = startGateway(upstreamUrl)) {
            URI registry = URI.create(gateway.publicUrl());
            String name = fault.name().toLowerCase();

            TestFiles.deleteRecursively(lockedProject.resolve("node_modules"));
            NpmCli.machine(tempDir.resolve("npm-ci-" + name)).registry(registry).config("fetch-retries", "0")
                    .runSuccessfully(lockedProject, "ci");
            assertInstalled(lockedProject);

            Path unlocked = FixtureProject.BASIC.copyTo(tempDir.resolve("unlocked-" + name));
            NpmCli.machine(tempDir.resolve("npm-install-" + name)).registry(registry).config("fetch-retries", "0")
                    .runSuccessfully(unlocked, "install");
            assertInstalled(unlocked);

            for (String path : List.of("never-cached-" + name, "never-cached-" + name + "/-/never-cached-" + name
                    + "-1.0.0.tgz")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(registry.resolve(path))
                        .timeout(CLIENT_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("%s during %s: %s", path, fault, r.body()).isIn(502, 504);
                assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(
                        t -> assertThat(t).startsWith("application/json"));
                Map<?, ?> body = new ObjectMapper().readValue(r.body(), Map.class);
                assertThat((String) body.get("error")).contains("never-cached-" + name).contains("stub");
            }

            String metrics = http.send(HttpRequest.newBuilder(registry.resolve("metrics")).timeout(CLIENT_TIMEOUT)
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(errorCount(metrics, fault.reason)).as("upstream errors counted as %s during %s:\n%s",
                    fault.reason, fault, metrics.lines().filter(l -> l.startsWith("npm_gateway_upstream_errors"))
                            .toList()).isPositive();
        } finally {
            upstream.heal();
        }
    }

    private Gateway startGateway(String upstreamUrl) {
        CacheConfig d = CacheConfig.defaults();
        // Max-age zero: every packument npm asks for sends the gateway to the failing upstream first.
        CacheConfig alwaysRevalidate = new CacheConfig(Duration.ZERO, d.metadataMaxStale(), d.metadataMaxMemory(),
                d.negativeTtl(), d.maxPackumentBytes());
        return Gateway.start(new GatewayConfig(
                new ServerConfig("127.0.0.1", port, "http://127.0.0.1:" + port + "/", Duration.ofSeconds(60),
                        16 * 1024),
                dataDir,
                List.of(new UpstreamConfig("stub", upstreamUrl, Duration.ofSeconds(2), READ_TIMEOUT)),
                alwaysRevalidate,
                StorageConfig.defaults()));
    }

    /** Copies every fixture packument and tarball from Verdaccio into the stub, tarball URLs pointing at the stub. */
    private void mirror(URI verdaccio) throws Exception {
        String from = verdaccio.toString().endsWith("/") ? verdaccio.toString() : verdaccio + "/";
        for (FixturePackage fixture : FixturePackages.catalog()) {
            String escaped = fixture.name().replace("/", "%2f");
            String doc = http.send(HttpRequest.newBuilder(URI.create(from + escaped)).timeout(CLIENT_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher tarballs = Pattern.compile("\"tarball\"\\s*:\\s*\"" + Pattern.quote(from) + "([^\"]+)\"").matcher(doc);
            while (tarballs.find()) {
                String path = tarballs.group(1);
                byte[] bytes = http.send(HttpRequest.newBuilder(URI.create(from + path)).timeout(CLIENT_TIMEOUT)
                        .build(), HttpResponse.BodyHandlers.ofByteArray()).body();
                upstream.tarball(path, bytes);
            }
            upstream.packument(escaped, doc.replace(from, upstream.url()).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void assertInstalled(Path project) {
        for (var want : FixtureProject.BASIC.expectedPackages()) {
            Path manifest = project.resolve(want.npmPath()).resolve("package.json");
            if (want.installed()) {
                assertThat(manifest).as(want.npmPath()).exists();
                try {
                    assertThat(Files.readString(manifest)).contains("\"version\": \"" + want.version() + "\"");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    /** The sum of {@code npm_gateway_upstream_errors_total} samples for upstream {@code stub} and {@code reason}. */
    private static double errorCount(String metrics, String reason) {
        return metrics.lines()
                .filter(l -> l.startsWith("npm_gateway_upstream_errors_total{"))
                .filter(l -> l.contains("reason=\"" + reason + "\"") && l.contains("upstream=\"stub\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Closes the stub's side of the connection with SO_LINGER 0: the gateway gets a TCP reset. */
    private static void reset(okio.Socket socket) {
        try {
            Socket s = ((MockWebServerSocket) socket).getJavaNetSocket();
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

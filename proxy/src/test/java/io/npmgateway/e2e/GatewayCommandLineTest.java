package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.faults.UpstreamStub;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway as an operator runs it: a real JVM process, its flags, exit codes, log lines and signals. */
class GatewayCommandLineTest {
    @TempDir
    Path dir;

    private Process start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.npmgateway.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("out.log").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    private String output() throws IOException {
        return Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);
    }

    private int exitOf(Process p) throws Exception {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the gateway did not exit; output:\n" + output());
        }
        return p.exitValue();
    }

    @Test
    void anUnknownFlagExitsWith2AndSaysWhichFlag() throws Exception {
        Process p = start(Map.of(), "--no-such-flag");
        assertThat(exitOf(p)).isEqualTo(2);
        assertThat(output()).contains("--no-such-flag");
    }

    @Test
    void aPortInUseExitsWith3AndSaysSo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Process p = start(Map.of(), "--port", String.valueOf(taken.getLocalPort()),
                    "--data-dir", dir.resolve("data").toString(), "--upstream", "http://127.0.0.1:9/");
            assertThat(exitOf(p)).isEqualTo(3);
            assertThat(output()).contains("already in use").doesNotContain("\tat ");
        }
    }

    @Test
    void anUnwritableDataDirExitsWith3AndSaysSo() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Process p = start(Map.of(), "--port", "0", "--data-dir", file.resolve("data").toString(),
                "--upstream", "http://127.0.0.1:9/");
        assertThat(exitOf(p)).isEqualTo(3);
        assertThat(output()).contains("not writable").doesNotContain("\tat ");
    }

    @Test
    void withNoUpstreamAndNoNpmItExitsWithOneLineSayingHowToSetOne() throws Exception {
        Process p = start(Map.of("PATH", dir.toString()), "--port", "0",
                "--data-dir", dir.resolve("data").toString());
        assertThat(exitOf(p)).isEqualTo(2);
        assertThat(output().strip().lines()).hasSize(1);
        assertThat(output()).contains("--upstream").contains("npm config set registry");
    }

    /**
     * Runs the gateway on a free port with {@code args}, expects exit code 2 and returns the output, having checked
     * that nothing started: no listening line, no stack trace, no data directory, and the port still free.
     */
    private String refusedAtStart(Map<String, String> env, String... args) throws Exception {
        int port = GatewayProcess.freePort();
        Path data = dir.resolve("data");
        List<String> all = new ArrayList<>(List.of("--port", String.valueOf(port), "--data-dir", data.toString()));
        all.addAll(List.of(args));
        Process p = start(env, all.toArray(String[]::new));
        assertThat(exitOf(p)).as(output()).isEqualTo(2);
        String out = output();
        assertThat(out).doesNotContain("listening").doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(data).as("the store was never opened").doesNotExist();
        try (ServerSocket free = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThat(free.getLocalPort()).isEqualTo(port);
        }
        return out;
    }

    @Test
    void anInvalidConfigFileExitsWith2NamingTheFileAndTheFieldAndStartsNothing() throws Exception {
        Path config = Files.writeString(dir.resolve("gateway.yaml"), """
                upstreams:
                  - id: corp
                    url: "not a registry url"
                """);
        String out = refusedAtStart(Map.of(), "--config", config.toString());
        assertThat(out).contains(config.toString()).contains("upstreams[0].url");
    }

    @Test
    void aConfigFileReferringToAnUnsetVariableExitsWith2NamingTheFileFieldAndVariable() throws Exception {
        Path config = Files.writeString(dir.resolve("gateway.yaml"), """
                upstreams:
                  - id: corp
                    url: http://127.0.0.1:9/
                    auth: { type: bearer, token: "${NPM_GATEWAY_TEST_UNSET_TOKEN}" }
                """);
        String out = refusedAtStart(Map.of(), "--config", config.toString());
        assertThat(out).contains(config.toString()).contains("upstreams[0].auth.token")
                .contains("NPM_GATEWAY_TEST_UNSET_TOKEN");
    }

    @Test
    void anNpmrcWithARawPatInsteadOfItsBase64ExitsWith2NamingTheFileLineAndKeyWithoutThePat() throws Exception {
        String rawPat = "rawpat7k2m9q4v8x1z5c3n6b0l4j7h2g9f5d8s1a";
        Path npmrc = Files.writeString(dir.resolve("project.npmrc"), ""
                + "registry=http://127.0.0.1:9/myorg/_packaging/myfeed/npm/registry/\n"
                + "always-auth=true\n"
                + "//127.0.0.1:9/myorg/_packaging/myfeed/npm/registry/:username=myorg\n"
                + "//127.0.0.1:9/myorg/_packaging/myfeed/npm/registry/:_password=" + rawPat + "\n");
        String out = refusedAtStart(Map.of(), "--npmrc", npmrc.toString());
        assertThat(out).contains(npmrc + ":4: //127.0.0.1:9/myorg/_packaging/myfeed/npm/registry/:_password")
                .contains("base64").doesNotContain(rawPat);
    }

    @Test
    void codeArtifactSignsWithTheKeysTheSdksDefaultChainFindsInTheEnvironmentAndSendsItsTokenUpstream()
            throws Exception {
        String accessKey = "AKIDENVCHAIN00000042";
        String secretKey = "env-chain-secret-key-61c9d0";
        String token = "env-chain-codeartifact-token-5e7a";
        try (mockwebserver3.MockWebServer controlPlane = new mockwebserver3.MockWebServer();
             io.npmgateway.faults.UpstreamStub repository = new io.npmgateway.faults.UpstreamStub()) {
            controlPlane.start(InetAddress.getByName("127.0.0.1"), 0);
            controlPlane.enqueue(new mockwebserver3.MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/json")
                    .body("{\"authorizationToken\":\"" + token + "\",\"expiration\":"
                            + java.time.Instant.now().plusSeconds(43200).getEpochSecond() + "}").build());
            repository.publish("left-pad", "1.0.0", io.npmgateway.faults.UpstreamStub.randomBytes(2000, 5));
            Path config = Files.writeString(dir.resolve("gateway.yaml"), """
                    upstreams:
                      - id: aws
                        url: %s
                        auth: { type: codeartifact, domain: corp, domainOwner: "111122223333", region: eu-west-1,
                                endpointOverride: "http://127.0.0.1:%d" }
                    """.formatted(repository.url(), controlPlane.getPort()));
            int port = GatewayProcess.freePort();
            // The SDK's default chain reads these first; the profile file is pointed at nothing so that only the
            // environment can have supplied the keys.
            Process p = start(Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secretKey,
                            "AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString(),
                            "AWS_CONFIG_FILE", dir.resolve("no-config").toString(), "AWS_EC2_METADATA_DISABLED", "true"),
                    "--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString(),
                    "--config", config.toString());
            try {
                waitForLog(p, "ready in");
                HttpResponse<String> packument = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/left-pad")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(packument.statusCode()).as(packument.body()).isEqualTo(200);
                mockwebserver3.RecordedRequest call = controlPlane.takeRequest(10, TimeUnit.SECONDS);
                assertThat(call).as("GetAuthorizationToken was called").isNotNull();
                assertThat(call.getHeaders().get("Authorization"))
                        .startsWith("AWS4-HMAC-SHA256 Credential=" + accessKey + "/")
                        .contains("/eu-west-1/codeartifact/aws4_request").doesNotContain(secretKey);
                assertThat(repository.requests()).isNotEmpty().allSatisfy(r ->
                        assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + token));
            } finally {
                p.destroy();
                exitOf(p);
            }
            io.npmgateway.testing.SecretLeaks.of(secretKey, token).assertNotInProcessOutput(dir.resolve("out.log"));
        }
    }

    @Test
    void itLogsWhereItListensServesAndExitsCleanlyOnSigterm() throws Exception {
        int port = GatewayProcess.freePort();
        Path data = dir.resolve("data");
        Process p = start(Map.of(), "--port", String.valueOf(port), "--data-dir", data.toString(),
                "--upstream", "http://127.0.0.1:9/");
        try {
            waitForLog(p, "ready in");
            assertThat(output()).contains("http://127.0.0.1:" + port + "/").contains("upstream=http://127.0.0.1:9/")
                    .contains(data.toAbsolutePath().toString());
            HttpResponse<String> ping = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ping")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ping.body()).isEqualTo("{}");
            // The plain access line: a UTC ISO-8601 timestamp, then what was asked and how it went.
            waitForLog(p, "GET /-/ping 200");
            assertThat(output().lines().filter(l -> l.contains("GET /-/ping 200")).findFirst().orElseThrow())
                    .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z access 127\\.0\\.0\\.1 GET /-/ping 200 "
                            + "2B [0-9.]+ms cache=none upstream=-");
            p.destroy(); // SIGTERM
            assertThat(exitOf(p)).isEqualTo(0);
            assertThat(output()).contains("stopped");
        } finally {
            p.destroyForcibly();
        }
        // The store closed cleanly: a new gateway opens the same directory.
        Process again = start(Map.of(), "--port", "0", "--data-dir", data.toString(),
                "--upstream", "http://127.0.0.1:9/");
        try {
            waitForLog(again, "ready in");
        } finally {
            again.destroy();
            exitOf(again);
        }
    }

    @Test
    void withNoUpstreamFlagItProxiesTheRegistryNpmIsConfiguredWith() throws Exception {
        try (UpstreamStub upstream = new UpstreamStub()) {
            upstream.publish("from-npm-config", "1.0.0", UpstreamStub.randomBytes(1000, 3));
            // The only npm on PATH: it answers `npm config get registry` with the stub and notes what it was asked.
            Path bin = Files.createDirectories(dir.resolve("bin"));
            Path asked = dir.resolve("npm-args");
            Path npm = Files.writeString(bin.resolve("npm"), "#!/bin/sh\n"
                    + "echo \"$@\" >> '" + asked + "'\n"
                    + "if [ \"$1 $2 $3\" = 'config get registry' ]; then echo '" + upstream.url() + "'; fi\n");
            assertThat(npm.toFile().setExecutable(true)).isTrue();
            int port = GatewayProcess.freePort();
            Process p = start(Map.of("PATH", bin.toString()), "--port", String.valueOf(port),
                    "--data-dir", dir.resolve("data").toString());
            try {
                waitForLog(p, "ready in");
                assertThat(Files.readString(asked)).contains("config get registry");
                assertThat(output()).contains("=" + upstream.url());
                HttpResponse<String> packument = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/from-npm-config")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(packument.statusCode()).as(packument.body()).isEqualTo(200);
                assertThat(packument.body()).contains("\"name\":\"from-npm-config\"");
                assertThat(upstream.hits("from-npm-config")).isEqualTo(1);
            } finally {
                p.destroy();
                exitOf(p);
            }
        }
    }

    @Test
    void publicUrlWithAPathPrefixIsWhereTarballUrlsPointAndIsServed() throws Exception {
        byte[] tarball = UpstreamStub.randomBytes(5000, 4);
        try (UpstreamStub upstream = new UpstreamStub()) {
            String tarballPath = upstream.publish("prefixed", "1.0.0", tarball);
            int port = GatewayProcess.freePort();
            String publicUrl = "http://127.0.0.1:" + port + "/npm/";
            Process p = start(Map.of(), "--port", String.valueOf(port), "--data-dir", dir.resolve("data").toString(),
                    "--upstream", upstream.url(), "--public-url", publicUrl);
            try {
                waitForLog(p, "ready in");
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> packument = http.send(HttpRequest.newBuilder(URI.create(publicUrl + "prefixed"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(packument.statusCode()).as(packument.body()).isEqualTo(200);
                assertThat(packument.body()).contains("\"tarball\":\"" + publicUrl + tarballPath + "\"");
                HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(URI.create(publicUrl + tarballPath))
                        .build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(download.statusCode()).isEqualTo(200);
                assertThat(download.body()).isEqualTo(tarball);
            } finally {
                p.destroy();
                exitOf(p);
            }
        }
    }

    @Test
    void helpExitsWith0AndListsEveryFlagTheGatewayNeeds() throws Exception {
        Process p = start(Map.of(), "--help");
        assertThat(exitOf(p)).isEqualTo(0);
        assertThat(output()).contains("--port", "--bind", "--data-dir", "--upstream", "--config", "--public-url",
                "--help").doesNotContain("\tat ");
    }

    @Test
    void withJsonAccessLoggingEachAccessLineOnStdoutIsOneJsonObjectWithAnIsoTimestamp() throws Exception {
        int port = GatewayProcess.freePort();
        Path config = Files.writeString(dir.resolve("gateway.yaml"), "logging: { access: json }\n");
        Process p = start(Map.of(), "--config", config.toString(), "--port", String.valueOf(port),
                "--data-dir", dir.resolve("data").toString(), "--upstream", "http://127.0.0.1:9/");
        List<String> paths = List.of("/-/ping", "/-/health", "/no-such-package");
        try {
            waitForLog(p, "ready in");
            HttpClient http = HttpClient.newHttpClient();
            for (String path : paths) {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (jsonLines().size() < paths.size()) {
                assertThat(System.nanoTime()).as("%d access lines within 30 s:%n%s", paths.size(), output())
                        .isLessThan(deadline);
                p.waitFor(20, TimeUnit.MILLISECONDS);
            }
        } finally {
            p.destroy();
            exitOf(p);
        }
        // Trailing text after the object fails the parse: each line is exactly one JSON object.
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        List<String> lines = jsonLines();
        assertThat(lines).hasSize(paths.size());
        List<String> logged = new ArrayList<>();
        for (String line : lines) {
            com.fasterxml.jackson.databind.JsonNode entry = mapper.readTree(line);
            java.time.Instant time = java.time.Instant.parse(entry.get("time").asText());
            assertThat(time).isBetween(java.time.Instant.now().minus(Duration.ofMinutes(5)), java.time.Instant.now());
            assertThat(entry.get("method").asText()).isEqualTo("GET");
            assertThat(entry.get("status").isInt()).isTrue();
            assertThat(entry.get("bytes").isNumber()).isTrue();
            assertThat(entry.get("ms").isNumber()).isTrue();
            assertThat(entry.has("cache")).isTrue();
            assertThat(entry.has("upstream")).isTrue();
            logged.add(entry.get("path").asText() + " " + entry.get("status").asInt());
        }
        assertThat(logged).contains("/-/ping 200", "/-/health 200");
        assertThat(logged).anySatisfy(l -> assertThat(l).startsWith("/no-such-package 5"));
    }

    @Test
    void printConfigShowsTheOperationsSettingsWithTheAdminTokenMasked() throws Exception {
        String adminToken = "admin-token-value-0123456789";
        Path config = Files.writeString(dir.resolve("gateway.yaml"), """
                admin: { token: "${ADMIN_TOKEN_FOR_TEST}" }
                metrics: { path: /internal/metrics, port: 9464, downloadsPackageLabelCap: 50 }
                logging: { access: json }
                shutdown: { grace: 12s }
                """);
        Process p = start(Map.of("ADMIN_TOKEN_FOR_TEST", adminToken), "--config", config.toString(),
                "--upstream", "http://127.0.0.1:9/", "--print-config", "json");
        assertThat(exitOf(p)).as(output()).isEqualTo(0);
        com.fasterxml.jackson.databind.JsonNode printed = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(output());
        assertThat(printed.at("/admin/token").asText()).isEqualTo("***");
        assertThat(printed.at("/metrics/path").asText()).isEqualTo("/internal/metrics");
        assertThat(printed.at("/metrics/port").asInt()).isEqualTo(9464);
        assertThat(printed.at("/metrics/downloadsPackageLabelCap").asInt()).isEqualTo(50);
        assertThat(printed.at("/logging/access").asText()).isEqualTo("json");
        assertThat(printed.at("/shutdown/grace").asText()).isEqualTo("12s");
        assertThat(output()).doesNotContain(adminToken);
    }

    /** The lines of stdout that are access-log lines in JSON (every other logger writes plain text). */
    private List<String> jsonLines() throws IOException {
        return output().lines().filter(l -> l.startsWith("{")).toList();
    }

    private void waitForLog(Process p, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!output().contains(text)) {
            if (!p.isAlive()) {
                throw new AssertionError("the gateway exited with " + p.exitValue() + ":\n" + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in the log within 60 s:\n" + output());
            }
            p.waitFor(50, TimeUnit.MILLISECONDS);
        }
    }
}

package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

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

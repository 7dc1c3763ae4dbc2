package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Docker image starts, without Docker: {@code docker/entrypoint.sh} run directly with the image's
 * environment, against the packaged jar. It must start the gateway from environment variables, answer its own
 * healthcheck, and exit 0 on SIGTERM (the JVM replaces the script, so the signal reaches it).
 */
class DockerEntrypointIT {
    @TempDir
    Path dir;

    @Test
    void theEntrypointStartsTheJarFromTheEnvironmentAnswersItsHealthcheckAndStopsOnSigterm() throws Exception {
        Path repo = Path.of(System.getProperty("npmgateway.repo"));
        Path script = repo.resolve("docker/entrypoint.sh");
        int port = GatewayProcess.freePort();
        Path log = dir.resolve("out.log");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("NPM_GATEWAY_JAR", System.getProperty("npmgateway.jar"));
        pb.environment().put("NPM_GATEWAY_PORT", String.valueOf(port));
        pb.environment().put("NPM_GATEWAY_BIND", "127.0.0.1");
        pb.environment().put("NPM_GATEWAY_DATA_DIR", dir.resolve("data").toString());
        pb.environment().put("NPM_GATEWAY_UPSTREAM", "http://127.0.0.1:9/");
        Process gateway = pb.start();
        try {
            assertThat(healthcheck(script, port)).as("healthcheck before start").isNotEqualTo(0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(log, StandardCharsets.UTF_8).contains("ready in")) {
                assertThat(gateway.isAlive()).as("gateway alive; log:%n%s", Files.readString(log)).isTrue();
                assertThat(System.nanoTime()).as("started within 60 s").isLessThan(deadline);
                gateway.waitFor(50, TimeUnit.MILLISECONDS);
            }
            assertThat(healthcheck(script, port)).isEqualTo(0);
            HttpResponse<String> ping = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/-/ping")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ping.statusCode()).isEqualTo(200);
            // The script exec'd java: the process we started is the JVM itself.
            assertThat(gateway.info().command().orElse("")).endsWith("java");
            gateway.destroy();
            assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(gateway.exitValue()).isEqualTo(0);
            assertThat(Files.readString(log)).contains("stopped");
        } finally {
            gateway.destroyForcibly();
        }
    }

    private static int healthcheck(Path script, int port) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of("bash", script.toString(), "healthcheck"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("NPM_GATEWAY_PORT", String.valueOf(port));
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}

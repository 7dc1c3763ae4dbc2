package io.npmgateway.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as a real child JVM ({@code io.npmgateway.Main} on this JVM's class path), listening on 127.0.0.1, its
 * stdout and stderr appended to a log file the test shows when it fails. {@link #close()} always leaves no process
 * behind.
 */
final class ChildGateway implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int EXIT_STARTUP = 3;
    private static final int PORT_ATTEMPTS = 3;

    private final Process process;
    private final int port;
    private final Path log;

    private ChildGateway(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts a gateway on {@code dataDir} in front of {@code upstream}, with any further command-line arguments (such
     * as {@code --config FILE}), and returns once it answers {@code /-/ping}.
     */
    static ChildGateway start(Path dataDir, String upstream, Path log, String... moreArgs) {
        List<String> options = new java.util.ArrayList<>(List.of("--upstream", upstream));
        options.addAll(List.of(moreArgs));
        return start(dataDir, options, log);
    }

    /** Starts a gateway on {@code dataDir} configured by a YAML file (its port, bind and data dir overridden). */
    static ChildGateway startWithConfig(Path dataDir, Path configFile, Path log) {
        return start(dataDir, List.of("--config", configFile.toString()), log);
    }

    /** As {@link #start(Path, String, Path, String...)}, with other options than one upstream (e.g. {@code --config}). */
    static ChildGateway start(Path dataDir, List<String> options, Path log) {
        return start(List.of(), dataDir, options, log);
    }

    /** As {@link #start(Path, List, Path)}, with more JVM options (system properties such as a trust store). */
    static ChildGateway start(List<String> jvmOptions, Path dataDir, List<String> options, Path log) {
        for (int attempt = 1; ; attempt++) {
            int port = GatewayProcess.freePort();
            List<String> command = new java.util.ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
            command.addAll(jvmOptions);
            int classPath = command.size();
            command.addAll(List.of(
                    "-cp", System.getProperty("java.class.path"),
                    "io.npmgateway.Main",
                    "--port", Integer.toString(port),
                    "--bind", "127.0.0.1",
                    "--data-dir", dataDir.toString()));
            command.addAll(options);
            Process process;
            try {
                // Without the class path: it is the test's, and pages long.
                appendToLog(log, "--- starting: " + String.join(" ", command.subList(1, classPath)) + " "
                        + String.join(" ", command.subList(classPath + 2, command.size())) + "\n");
                process = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the gateway JVM", e);
            }
            ChildGateway child = new ChildGateway(process, port, log);
            if (child.awaitReady()) {
                return child;
            }
            child.close();
            // The free port can be taken by someone else before the child binds it: exit code 3, try another.
            if (process.exitValue() == EXIT_STARTUP && attempt < PORT_ATTEMPTS) {
                continue;
            }
            throw new IllegalStateException("the gateway did not answer on port " + port + " within " + START_TIMEOUT
                    + " (exit code " + process.exitValue() + ")\n" + child.output());
        }
    }

    /** The gateway JVM's process id, for jcmd and /proc (its open descriptors are under {@code /proc/<pid>/fd}). */
    long pid() {
        return process.pid();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL (what {@link Process#destroyForcibly()} sends on Linux) and wait until it is gone; the exit code. */
    int kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the gateway survived SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return process.exitValue();
    }

    /** Everything the gateway JVMs of this test printed. */
    String output() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private boolean awaitReady() {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ping = HttpRequest.newBuilder(url().resolve("-/ping")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                // Waiting on the process, not sleeping: a gateway that exits is noticed at once.
                if (process.waitFor(50, TimeUnit.MILLISECONDS)) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return false;
    }

    private static void appendToLog(Path log, String line) throws IOException {
        Files.writeString(log, line, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }
}

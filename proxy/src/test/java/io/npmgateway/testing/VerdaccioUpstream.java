package io.npmgateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Verdaccio, the upstream registry of the gateway's tests, running as a child process on a free
 * 127.0.0.1 port with its own storage, config and htpasswd file in a work directory.
 *
 * <p>It has no uplinks: it serves only what tests publish to it. Anyone may create a user; authenticated
 * users may publish; reading is open to anyone unless built with {@link ReadAccess#AUTHENTICATED}. Its log
 * (each request, at level {@code http}) goes to {@link #logFile()}, not to the test output.
 *
 * <p>{@link #stop()} and {@link #restart()} let a test take the upstream away and bring it back on the same
 * port with the same packages and users, e.g. to prove the gateway serves from its cache meanwhile.
 *
 * <pre>{@code
 * try (VerdaccioUpstream verdaccio = VerdaccioUpstream.start(TestTools.locate())) {
 *     String token = verdaccio.addUser("alice", "secret");
 *     ...
 * }
 * }</pre>
 */
public final class VerdaccioUpstream implements AutoCloseable {

    /** Who may read packages. */
    public enum ReadAccess {
        /** Anonymous reads, Verdaccio's {@code $all}. */
        ANYONE("$all"),
        /** Reads need a user's token or password, Verdaccio's {@code $authenticated}. */
        AUTHENTICATED("$authenticated");

        private final String verdaccioGroup;

        ReadAccess(String verdaccioGroup) {
            this.verdaccioGroup = verdaccioGroup;
        }

        String verdaccioGroup() {
            return verdaccioGroup;
        }
    }

    /** Options of a {@link VerdaccioUpstream}; {@link #start()} launches it. */
    public static final class Builder {
        private final TestTools tools;
        private ReadAccess readAccess = ReadAccess.ANYONE;
        private Duration startTimeout = Duration.ofSeconds(60);
        private Path workDir;

        private Builder(TestTools tools) {
            this.tools = tools;
        }

        /** Who may read packages; {@link ReadAccess#ANYONE} by default. */
        public Builder readAccess(ReadAccess readAccess) {
            this.readAccess = readAccess;
            return this;
        }

        /** How long a start may take before it counts as failed; 60 s by default. */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * Keeps config, storage and log under {@code workDir} (e.g. a JUnit {@code @TempDir}), which then
         * outlives {@link #close()}; by default they go to a fresh temporary directory that close deletes.
         */
        public Builder workDir(Path workDir) {
            this.workDir = workDir;
            return this;
        }

        /** Launches Verdaccio and returns once it answers {@code GET /-/ping}. */
        public VerdaccioUpstream start() {
            VerdaccioUpstream verdaccio = new VerdaccioUpstream(this);
            try {
                verdaccio.launch(true);
            } catch (RuntimeException | Error e) {
                verdaccio.close();
                throw e;
            }
            return verdaccio;
        }
    }

    /** How often a start that lost its port to another process is retried on a new one. */
    private static final int PORT_ATTEMPTS = 5;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_LINES = 40;

    /**
     * Preloaded into Verdaccio's node: exits when the JVM goes away, which closes the stdin pipe the JVM
     * holds and never writes to. Without it a JVM killed with SIGKILL (a surefire fork timeout) would leave
     * Verdaccio running and holding its port; the shutdown hook covers only normal exits. Main thread only:
     * the preload also runs in the logger's worker thread, whose stdin ends at once.
     */
    private static final String EXIT_WITH_PARENT_JS = String.join("\n",
            "if (require('worker_threads').isMainThread) {",
            "  process.stdin.on('end', () => process.exit(0));",
            "  process.stdin.on('error', () => process.exit(0));",
            "  process.stdin.resume();",
            "}",
            "");

    private final TestTools tools;
    private final ReadAccess readAccess;
    private final Duration startTimeout;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final Path storage;
    private final Path htpasswd;
    private final Path configFile;
    private final Path logFile;
    private final Path exitWithParentScript;

    private int port;
    private Process process;
    private HttpClient http;
    private boolean closed;

    private VerdaccioUpstream(Builder builder) {
        this.tools = builder.tools;
        this.readAccess = builder.readAccess;
        this.startTimeout = builder.startTimeout;
        try {
            this.ownsWorkDir = builder.workDir == null;
            this.workDir = ownsWorkDir
                    ? Files.createTempDirectory("verdaccio-")
                    : Files.createDirectories(builder.workDir).toAbsolutePath();
            this.storage = Files.createDirectories(workDir.resolve("storage"));
            this.htpasswd = workDir.resolve("htpasswd");
            this.configFile = workDir.resolve("config.yaml");
            this.logFile = workDir.resolve("verdaccio.log");
            this.exitWithParentScript = workDir.resolve("exit-with-parent.cjs");
            Files.writeString(exitWithParentScript, EXIT_WITH_PARENT_JS);
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare a Verdaccio work directory", e);
        }
    }

    /** A Verdaccio with the default options (anyone reads), started. */
    public static VerdaccioUpstream start(TestTools tools) {
        return builder(tools).start();
    }

    /** Options for a Verdaccio to start. */
    public static Builder builder(TestTools tools) {
        return new Builder(tools);
    }

    /** The registry URL, {@code http://127.0.0.1:<port>/}; the same across restarts. */
    public synchronized URI url() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /** The port it listens on; the same across restarts. */
    public synchronized int port() {
        return port;
    }

    /** Who may read packages. */
    public ReadAccess readAccess() {
        return readAccess;
    }

    /** Whether the Verdaccio process is running. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Verdaccio's output: one line per request, and whatever it says when it fails to start. */
    public Path logFile() {
        return logFile;
    }

    /** Where Verdaccio keeps packages and its token secret; kept across restarts. */
    public Path storageDir() {
        return storage;
    }

    /**
     * Creates a user the way {@code npm adduser} does ({@code PUT /-/user/org.couchdb.user:<name>}) and returns
     * the token Verdaccio issued, valid as {@code Authorization: Bearer} and across restarts. The user can
     * also authenticate with basic {@code name:password}.
     *
     * @throws IllegalStateException if the user exists already (see {@link #login}) or Verdaccio refuses
     */
    public String addUser(String name, String password) {
        return putUser(name, password, false);
    }

    /** Logs an existing user in the way {@code npm login} does and returns a new token. */
    public String login(String name, String password) {
        return putUser(name, password, true);
    }

    /** Stops Verdaccio (SIGTERM, then SIGKILL) and waits until it and any child are gone. Idempotent. */
    public synchronized void stop() {
        if (process != null) {
            ChildProcesses.stopTree(process);
            closeQuietly(process);
            process = null;
        }
    }

    /**
     * Starts Verdaccio again on the same port with the same storage, users and tokens, stopping it first if it
     * runs, and returns once it answers {@code GET /-/ping}.
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        stop();
        launch(false);
    }

    /** Stops Verdaccio and deletes its work directory unless the builder was given one. */
    @Override
    public synchronized void close() {
        closed = true;
        stop();
        if (ownsWorkDir) {
            TestFiles.deleteRecursively(workDir);
        }
    }

    @Override
    public String toString() {
        return "Verdaccio at " + url() + " (" + workDir + ")";
    }

    /** Launches the process and waits until it answers; {@code mayChangePort} on the first start only. */
    private synchronized void launch(boolean mayChangePort) {
        if (port == 0) {
            port = freeLoopbackPort();
        }
        for (int attempt = 1; ; attempt++) {
            long logStart = logSize();
            writeConfig();
            try {
                process = ChildProcesses.start(processBuilder());
            } catch (IOException e) {
                throw new UncheckedIOException("could not start Verdaccio", e);
            }
            http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .proxy(HttpClient.Builder.NO_PROXY)
                    .connectTimeout(Duration.ofSeconds(2))
                    .build();
            if (awaitReady()) {
                return;
            }
            String log = logSince(logStart);
            boolean portTaken = log.contains("EADDRINUSE");
            stop();
            // The free port found above can be taken by another process before Verdaccio binds it.
            if (portTaken && mayChangePort && attempt < PORT_ATTEMPTS) {
                port = freeLoopbackPort();
                continue;
            }
            throw new IllegalStateException("Verdaccio did not answer on " + url() + " within " + startTimeout
                    + (portTaken ? " (its port was taken)" : "") + "; last lines of " + logFile + ":\n"
                    + tail(log));
        }
    }

    private ProcessBuilder processBuilder() {
        List<String> command = List.of(TestTools.node().toString(),
                "--require", exitWithParentScript.toString(),
                tools.verdaccioScript().toString(),
                "--config", configFile.toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        ChildEnvironment.clean(builder.environment());
        return builder;
    }

    /** Polls {@code /-/ping} until it answers 200, the process dies, or the start timeout passes. */
    private boolean awaitReady() {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            if (answersPing()) {
                return true;
            }
            try {
                // Waiting on the process, not sleeping: a Verdaccio that dies is noticed at once.
                process.waitFor(POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Verdaccio", e);
            }
        }
        return false;
    }

    private boolean answersPing() {
        HttpRequest ping = HttpRequest.newBuilder(url().resolve("-/ping")).timeout(Duration.ofSeconds(2)).GET().build();
        try {
            return http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Verdaccio", e);
        }
    }

    private String putUser(String name, String password, boolean existing) {
        String body = "{\"_id\":" + Json.quote("org.couchdb.user:" + name)
                + ",\"name\":" + Json.quote(name)
                + ",\"password\":" + Json.quote(password)
                + ",\"type\":\"user\",\"roles\":[]}";
        HttpRequest.Builder request = HttpRequest.newBuilder(url().resolve("-/user/org.couchdb.user:" + name))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body));
        if (existing) {
            // npm login: the credentials go in basic auth, and Verdaccio answers with a fresh token.
            request.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((name + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<String> response;
        try {
            response = client().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("could not reach " + url(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (response.statusCode() != 201) {
            throw new IllegalStateException((existing ? "login of " : "adding user ") + name + " failed: "
                    + response.statusCode() + " " + response.body());
        }
        Map<String, Object> answer = Json.parseObject(response.body());
        Object token = answer.get("token");
        if (!(token instanceof String)) {
            throw new IllegalStateException("Verdaccio issued no token: " + response.body());
        }
        return (String) token;
    }

    private synchronized HttpClient client() {
        if (process == null) {
            throw new IllegalStateException("Verdaccio is stopped");
        }
        if (!process.isAlive()) {
            throw new IllegalStateException("Verdaccio exited with " + process.exitValue() + "; last lines of "
                    + logFile + ":\n" + tail(logSince(0)));
        }
        return http;
    }

    private void writeConfig() {
        try {
            Files.writeString(configFile, VerdaccioConfig.render(readAccess, port, storage, htpasswd));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long logSize() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String logSince(long offset) {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            byte[] all = Files.readAllBytes(logFile);
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }

    /** Releases the stdin pipe the JVM kept open for the exit-with-parent script. */
    private static void closeQuietly(Process exited) {
        try {
            exited.getOutputStream().close();
        } catch (IOException e) {
            // The process is gone; there is nothing left to tell it.
        }
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}

package io.npmgateway.upstream.credentials;

import io.npmgateway.config.Secret;
import io.npmgateway.config.UpstreamAuth;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A bearer token printed by a configured command (a vault client, a cloud CLI), run at start and again every
 * {@link UpstreamAuth.TokenCommand#refreshInterval()}. Its standard output, trimmed, is the token; standard error
 * is discarded (it could echo secrets into the gateway's log), and so is everything the command prints when it
 * fails. A run that fails, times out or prints nothing keeps the previous token.
 */
public final class TokenCommandCredentials extends RefreshingCredentials {
    /** How long one run may take. */
    static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
    /** More output than any token: the rest is not read. */
    private static final int MAX_OUTPUT = 64 * 1024;

    private final UpstreamAuth.TokenCommand command;
    private final Map<String, String> environment;

    public TokenCommandCredentials(String upstreamId, UpstreamAuth.TokenCommand command,
            Map<String, String> environment, Clock clock, RenewalScheduler scheduler) {
        super(upstreamId, "command", clock, scheduler);
        this.command = command;
        this.environment = Map.copyOf(environment);
    }

    @Override
    protected Token fetch() throws IOException, InterruptedException, CommandFailed {
        List<String> argv = command.argv(environment);
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        CompletableFuture<byte[]> output = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                output.complete(readBounded(in));
            } catch (IOException | RuntimeException e) {
                output.completeExceptionally(e);
            }
        }, "npm-gateway-token-command-output");
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new CommandFailed("did not finish within " + RUN_TIMEOUT.toSeconds() + " s");
        }
        byte[] bytes;
        try {
            // The pipe closes when the command exits (unless a child it left behind keeps it open).
            bytes = output.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new CommandFailed("its output could not be read");
        }
        if (process.exitValue() != 0) {
            throw new CommandFailed("exited with status " + process.exitValue());
        }
        String token = new String(bytes, StandardCharsets.UTF_8).trim();
        if (token.isEmpty()) {
            throw new CommandFailed("printed no token");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new CommandFailed("printed more than one line or control characters");
            }
        }
        return new Token(Secret.of(token), null);
    }

    @Override
    protected Instant renewalTime(Token token, Instant obtainedAt) {
        return obtainedAt.plus(command.refreshInterval());
    }

    @Override
    protected String describe(Exception failure) {
        if (failure instanceof CommandFailed) {
            return "the command " + failure.getMessage();
        }
        if (failure instanceof IOException) {
            // The program as written in the configuration: its arguments may hold expanded secrets.
            return "the command '" + command.command().get(0) + "' could not be started";
        }
        return failure.getClass().getSimpleName();
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (out.size() < MAX_OUTPUT) {
                out.write(buffer, 0, Math.min(n, MAX_OUTPUT - out.size()));
            }
        }
        return out.toByteArray();
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** A run that did not produce a token; the message says why, in words that never include the output. */
    private static final class CommandFailed extends Exception {
        CommandFailed(String message) {
            super(message, null, false, false);
        }
    }
}

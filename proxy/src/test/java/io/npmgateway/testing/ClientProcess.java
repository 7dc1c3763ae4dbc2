package io.npmgateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one package-manager command (pnpm, Yarn) in a sealed-off environment and collects what it did, the
 * way {@link NpmCli} does for npm: a cleaned environment plus the variables the runner chooses, stdin from
 * the null device, output to files (no reader threads), and a timeout after which the process tree is killed.
 */
final class ClientProcess {

    private final Path outputDir;
    private final AtomicInteger runs = new AtomicInteger();

    ClientProcess(Path outputDir) {
        this.outputDir = outputDir;
        try {
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    NpmResult run(List<String> command, Path workDir, Map<String, String> environment, Duration timeout) {
        return run(command, workDir, environment, timeout, true);
    }

    /**
     * @param dropCiVariables whether to remove CI markers from the environment (pnpm and Yarn change defaults on
     *                        them; npm's runs keep them, as a developer's npm would see them)
     */
    NpmResult run(List<String> command, Path workDir, Map<String, String> environment, Duration timeout,
            boolean dropCiVariables) {
        int run = runs.incrementAndGet();
        Path stdout = outputDir.resolve(run + ".stdout");
        Path stderr = outputDir.resolve(run + ".stderr");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        Map<String, String> env = ChildEnvironment.clean(builder.environment());
        // CI detection changes defaults (pnpm's frozen lockfile, Yarn's immutable installs): the tests say
        // what they want explicitly instead.
        if (dropCiVariables) {
            env.keySet().removeIf(name -> name.equals("CI") || name.startsWith("GITHUB_") || name.equals("BUILD_ID")
                    || name.equals("TF_BUILD") || name.equals("JENKINS_URL"));
        }
        env.putAll(environment);
        Process process;
        try {
            process = ChildProcesses.start(builder);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
        boolean exited;
        try {
            exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            ChildProcesses.stopTree(process);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
        if (!exited) {
            ChildProcesses.stopTree(process);
        }
        return new NpmResult(List.copyOf(command), workDir, exited ? process.exitValue() : -1, read(stdout),
                read(stderr), !exited);
    }

    /**
     * Runs a command that asks questions on its terminal: its output (stdout and stderr together) is read as it
     * comes, and each prompt's answer is typed once its question has appeared. Fails the run (as a timeout) when a
     * question does not appear before the deadline.
     */
    NpmResult runAnswering(List<String> command, Path workDir, Map<String, String> environment, Duration timeout,
            List<Prompt> prompts) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        Map<String, String> env = ChildEnvironment.clean(builder.environment());
        // Someone answering prompts is not a CI job: no client may switch to its non-interactive defaults.
        env.keySet().removeIf(name -> name.equals("CI") || name.startsWith("GITHUB_") || name.equals("BUILD_ID")
                || name.equals("TF_BUILD") || name.equals("JENKINS_URL"));
        env.putAll(environment);
        Process process;
        try {
            process = ChildProcesses.start(builder);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (java.io.Reader in = new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
                char[] buffer = new char[4096];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (output) {
                        output.append(buffer, 0, n);
                        output.notifyAll();
                    }
                }
            } catch (IOException e) {
                // The process ended or was killed: what was read so far is the output.
            }
        }, "client-output-reader");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean answered = true;
        try (java.io.Writer in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            int from = 0;
            for (Prompt prompt : prompts) {
                int at = awaitText(output, prompt.question(), from, deadline, process);
                if (at < 0) {
                    answered = false;
                    break;
                }
                from = at + prompt.question().length();
                in.write(prompt.answer() + "\n");
                in.flush();
            }
        } catch (IOException e) {
            answered = false;
        } catch (InterruptedException e) {
            ChildProcesses.stopTree(process);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
        boolean exited;
        try {
            exited = answered && process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!exited) {
                ChildProcesses.stopTree(process);
            }
            reader.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            ChildProcesses.stopTree(process);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
        String text;
        synchronized (output) {
            text = output.toString();
        }
        return new NpmResult(List.copyOf(command), workDir, exited ? process.exitValue() : -1, text, "", !exited);
    }

    /** Where {@code text} appears in {@code output} at or after {@code from}; -1 when the deadline passes first. */
    private static int awaitText(StringBuilder output, String text, int from, long deadline, Process process)
            throws InterruptedException {
        synchronized (output) {
            while (true) {
                int at = output.indexOf(text, from);
                if (at >= 0) {
                    return at;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return -1;
                }
                if (!process.isAlive()) {
                    // Nothing more will come once the reader has drained the output; give it a moment to.
                    output.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 200));
                    if (output.indexOf(text, from) < 0 && !process.isAlive()) {
                        return output.indexOf(text, from);
                    }
                } else {
                    output.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 1000));
                }
            }
        }
    }

    static List<String> command(Path executable, String... args) {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(List.of(args));
        return command;
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path output) {
        try {
            // Lenient decoding: a stray byte in a client's output must not hide the rest of it.
            return new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

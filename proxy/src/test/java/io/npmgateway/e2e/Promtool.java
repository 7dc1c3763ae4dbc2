package io.npmgateway.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs {@code promtool check metrics} (Debian's prometheus package; PROMTOOL overrides the path). */
final class Promtool {
    private Promtool() {
    }

    /** The problems promtool reports for a scrape; empty when it passes. Fails when promtool is missing. */
    static String check(String scrape) throws IOException, InterruptedException {
        String binary = System.getenv().getOrDefault("PROMTOOL", "promtool");
        Process p;
        try {
            p = new ProcessBuilder(binary, "check", "metrics").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is not installed: run tools/install-test-deps.sh "
                    + "(it installs Debian's prometheus package)", e);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(scrape.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool did not finish");
        }
        return p.exitValue() == 0 ? out.strip() : "exit " + p.exitValue() + ": " + out;
    }
}

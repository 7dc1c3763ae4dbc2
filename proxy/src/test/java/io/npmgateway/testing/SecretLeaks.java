package io.npmgateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.ConfigDump;
import io.npmgateway.config.GatewayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import mockwebserver3.RecordedRequest;

/**
 * The one check, shared by every test that configures an upstream credential, that its value reached no place it
 * must not: log lines (in-process, or a gateway process's stdout and stderr), the metrics scrape, error bodies,
 * configuration dumps, and requests to any host other than its upstream. Each secret is checked in the forms it
 * travels in: as given, and for basic credentials also as the base64 of {@code user:password}.
 */
public final class SecretLeaks {
    private final List<String> secrets = new ArrayList<>();

    private SecretLeaks() {
    }

    public static SecretLeaks of(String... secrets) {
        SecretLeaks leaks = new SecretLeaks();
        for (String s : secrets) {
            leaks.add(s);
        }
        return leaks;
    }

    /** Adds a secret to look for. */
    public SecretLeaks add(String secret) {
        if (secret == null || secret.length() < 6) {
            // A short value would match innocent text and prove nothing: tests must use distinctive secrets.
            throw new IllegalArgumentException("use a distinctive secret of 6 characters or more");
        }
        secrets.add(secret);
        return this;
    }

    /** Adds a basic credential's password and the {@code Authorization: Basic} value it becomes. */
    public SecretLeaks addBasic(String user, String password) {
        add(password);
        return add(Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    public List<String> secrets() {
        return List.copyOf(secrets);
    }

    /** No secret in {@code text}; {@code where} names it in the failure. */
    public void assertNotIn(String where, String text) {
        for (String secret : secrets) {
            assertThat(text).as("%s must not contain a secret", where).doesNotContain(secret);
        }
    }

    public void assertNotInAny(String where, Collection<String> texts) {
        for (String text : texts) {
            assertNotIn(where, text);
        }
    }

    /** No secret in any line the gateway logged in this JVM. */
    public void assertNotInLogs(LogCapture logs) {
        assertNotInAny("log lines", logs.lines());
    }

    /** No secret in what a gateway process printed (its stdout and stderr, captured to {@code output}). */
    public void assertNotInProcessOutput(Path output) {
        try {
            assertNotIn("the output of the gateway process (" + output + ")",
                    Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * No secret in a metrics scrape; the scrape must look like one, so an empty answer cannot pass for a clean one.
     */
    public void assertNotInMetrics(String scrape) {
        assertThat(scrape).as("metrics scrape").contains("npm_gateway_");
        assertNotIn("metrics scrape", scrape);
    }

    /** No secret in any of the dumps of {@code config} (YAML, JSON, the one-line form logged at start). */
    public void assertNotInConfigDumps(GatewayConfig config) {
        assertNotIn("configuration dump (yaml)", ConfigDump.yaml(config));
        assertNotIn("configuration dump (json)", ConfigDump.json(config));
        assertNotIn("configuration dump (log line)", ConfigDump.oneLine(config));
        assertNotIn("configuration toString", config.toString());
    }

    /** No secret in any header, the target or the body of requests a host received. */
    public void assertNotSentTo(String host, Collection<RecordedRequest> requests) {
        for (RecordedRequest r : requests) {
            String where = "a request to " + host + " (" + r.getMethod() + " " + r.getUrl().encodedPath() + ")";
            assertNotIn(where + ": headers", r.getHeaders().toString());
            assertNotIn(where + ": target", r.getUrl().toString());
            if (r.getBody() != null) {
                assertNotIn(where + ": body", r.getBody().utf8());
            }
        }
    }
}

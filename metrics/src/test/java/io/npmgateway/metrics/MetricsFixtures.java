package io.npmgateway.metrics;

import static org.assertj.core.api.Assertions.fail;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Shared test helpers: a fully exercised {@link GatewayMetrics}, scrape parsing, and running promtool. */
final class MetricsFixtures {

    /** Every npm_gateway_ family the gateway exports, as named in Prometheus text format (HELP/TYPE lines). */
    static final List<String> GATEWAY_FAMILIES = List.of(
            "npm_gateway_requests_seconds",
            "npm_gateway_requests_seconds_max",
            "npm_gateway_served_bytes_total",
            "npm_gateway_tarball_downloads_total",
            "npm_gateway_upstream_requests_seconds",
            "npm_gateway_upstream_requests_seconds_max",
            "npm_gateway_upstream_errors_total",
            "npm_gateway_integrity_failures_total",
            "npm_gateway_coalesced_requests_total",
            "npm_gateway_stale_responses_total",
            "npm_gateway_cache_size",
            "npm_gateway_cache_weight_bytes",
            "npm_gateway_cache_gets_total",
            "npm_gateway_cache_puts_total",
            "npm_gateway_cache_evictions_total",
            "npm_gateway_cache_eviction_weight_total",
            "npm_gateway_tarball_store_size_bytes",
            "npm_gateway_tarball_store_entries",
            "npm_gateway_tarball_store_evictions_total",
            "npm_gateway_tarball_file_cache_size_bytes",
            "npm_gateway_upstream_token_remaining_seconds",
            "npm_gateway_upstream_token_renewal_failures_total",
            "npm_gateway_upstream_available",
            "npm_gateway_netty_allocator_used_bytes");

    /** A few of the standard JVM and process families, bound at construction. */
    static final List<String> STANDARD_FAMILIES = List.of(
            "jvm_memory_used_bytes",
            "jvm_memory_committed_bytes",
            "jvm_memory_max_bytes",
            "jvm_buffer_memory_used_bytes",
            "jvm_threads_live_threads",
            "jvm_classes_loaded_classes",
            "jvm_gc_memory_allocated_bytes_total",
            "jvm_info",
            "process_cpu_seconds_total",
            "process_cpu_usage",
            "process_uptime_seconds",
            "process_start_time_seconds",
            "process_files_open_files",
            "system_cpu_processors");

    private static final Pattern HELP = Pattern.compile("^# HELP (\\S+) ?(.*)$", Pattern.MULTILINE);
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", Pattern.MULTILINE);

    private MetricsFixtures() {}

    /** Calls every recording and binding method at least once. */
    static void recordEverything(GatewayMetrics metrics) {
        for (Route route : Route.values()) {
            metrics.requestCompleted(route, 200, CacheOutcome.HIT, 2_000_000, 1024);
        }
        metrics.requestCompleted(Route.PACKUMENT, 304, CacheOutcome.REVALIDATED, 40_000_000, 0);
        metrics.requestCompleted(Route.PACKUMENT, 200, CacheOutcome.MISS, 250_000_000, 50_000);
        metrics.requestCompleted(Route.VERSION, 200, CacheOutcome.STALE, 1_000_000, 900);
        metrics.requestCompleted(Route.TARBALL, 502, CacheOutcome.ERROR, 5_000_000_000L, 80);
        metrics.requestCompleted(Route.OTHER, 404, CacheOutcome.NONE, 100_000, 2);

        metrics.tarballServed("left-pad", "corp");
        metrics.tarballServed("@corp/lib", "corp");

        metrics.upstreamRequest("corp", "packument", 200, 120_000_000);
        metrics.upstreamRequest("corp", "tarball", 200, 900_000_000);
        metrics.upstreamRequest("public", FetchKind.PACKUMENT, 304, 30_000_000);
        for (UpstreamErrorReason reason : UpstreamErrorReason.values()) {
            metrics.upstreamError("public", reason.label());
        }
        metrics.integrityFailure("corp");

        metrics.coalesced("packument");
        metrics.coalesced(FetchKind.TARBALL);
        metrics.staleServed();

        Cache<String, String> cache = Caffeine.newBuilder()
                .recordStats()
                .maximumSize(1)
                .executor(Runnable::run)
                .build();
        metrics.bindMetadataCache(cache);
        cache.put("a", "1");
        cache.getIfPresent("a");
        cache.getIfPresent("missing");
        cache.put("b", "2");
        cache.cleanUp();

        metrics.bindTarballStore(() -> 5_000_000, () -> 42, () -> 3);
        metrics.bindTarballFileCache(() -> 1_000_000);
        metrics.bindUpstream("corp", () -> 3600.0, () -> 1, () -> GatewayMetrics.UPSTREAM_AVAILABLE);
        metrics.bindUpstream("public", () -> Double.NaN, () -> 0, () -> GatewayMetrics.UPSTREAM_UNAVAILABLE);
        metrics.bindNettyAllocator("pooled", () -> 16 * 1024 * 1024, () -> 0);
    }

    /** Family name to HELP text, in scrape order. */
    static java.util.Map<String, String> helpTexts(String scrape) {
        java.util.Map<String, String> help = new java.util.LinkedHashMap<>();
        Matcher m = HELP.matcher(scrape);
        while (m.find()) {
            help.put(m.group(1), m.group(2));
        }
        return help;
    }

    /** The distinct sample (series) names in a Prometheus text scrape: {@code x_bucket}, {@code x_count}, .... */
    static Set<String> sampleNames(String scrape) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = SAMPLE.matcher(scrape);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The lines of a scrape whose series name is {@code name}. */
    static List<String> samples(String scrape, String name) {
        List<String> lines = new ArrayList<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                lines.add(line);
            }
        }
        return lines;
    }

    /**
     * The promtool executable: {@code $PROMTOOL}, else {@code promtool} on the PATH. Fails the calling test
     * (never skips it) when there is none, saying how to install it.
     */
    static Path promtool() {
        String configured = System.getenv("PROMTOOL");
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            if (Files.isExecutable(path)) {
                return path;
            }
            fail("PROMTOOL=" + configured + " is not an executable file");
        }
        String pathVar = System.getenv("PATH");
        if (pathVar != null) {
            for (String dir : pathVar.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, "promtool");
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return fail("promtool is not installed, and the metrics module's tests need it to check the scrape output "
                + "and the dashboard's queries. Install it with: "
                + "apt-get update && apt-get install -y prometheus   (Debian/Ubuntu: the 'prometheus' package "
                + "ships /usr/bin/promtool), or point PROMTOOL at a promtool binary.");
    }

    /** The result of running a process: exit code and combined stdout/stderr. */
    record Run(int exitCode, String output) {}

    /** Runs {@code command} with {@code stdin} as its input; fails the test if it runs over a minute. */
    static Run run(List<String> command, String stdin) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        try {
            Process process = builder.start();
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try (InputStream in = process.getInputStream()) {
                    in.transferTo(output);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, "promtool-output");
            reader.start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(command + " did not finish within 60 s");
            }
            reader.join(10_000);
            return new Run(process.exitValue(), output.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }
}

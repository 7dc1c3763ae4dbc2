package io.npmgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Turns JMH's JSON result file ({@code -rf json -rff results.json}) into the Markdown table kept under
 * {@code bench/results/}: benchmark, parameters, score, error, unit, and MB/s where the benchmark counts bytes
 * (see {@link BytesProcessed}). Kept in Java in this module so the table needs nothing beyond the benchmark jar.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar io.npmgateway.bench.ResultsTable a.json [b.json...]
 * > bench/results/jmh-<date>.md}
 */
public final class ResultsTable {

    private ResultsTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: ResultsTable <jmh-result.json>...");
            System.exit(2);
        }
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> runs = new ArrayList<>();
        for (String file : args) {
            runs.add(mapper.readTree(Path.of(file).toFile()));
        }
        write(runs, new PrintStream(System.out, true, StandardCharsets.UTF_8));
    }

    /** One table over several JMH runs (e.g. long benchmarks run with more warm-up than short ones). */
    static void write(List<JsonNode> runs, PrintStream out) {
        out.println("# JMH results, " + LocalDate.now());
        out.println();
        for (JsonNode run : runs) {
            if (run.size() == 0) {
                continue;
            }
            JsonNode first = run.get(0);
            Set<String> classes = new LinkedHashSet<>();
            run.forEach(result -> classes.add(className(result.path("benchmark").asText())));
            out.printf(Locale.ROOT, "- %s: JMH %s, %d fork(s), %d x %s warm-up, %d x %s measurement, %d thread(s)%n",
                    String.join(", ", classes), first.path("jmhVersion").asText(), first.path("forks").asInt(),
                    first.path("warmupIterations").asInt(), first.path("warmupTime").asText(),
                    first.path("measurementIterations").asInt(), first.path("measurementTime").asText(),
                    first.path("threads").asInt());
        }
        runs.stream().filter(run -> run.size() > 0).findFirst().ifPresent(run -> out.printf(Locale.ROOT,
                "- JVM: %s %s, %d available processors%n", run.get(0).path("vmName").asText(),
                run.get(0).path("vmVersion").asText(), Runtime.getRuntime().availableProcessors()));
        out.println("- error is JMH's 99.9% confidence half-width; MB/s is 10^6 bytes per second of the"
                + " benchmark's input (see each class's Javadoc)");
        out.println();
        out.println("| benchmark | params | score | error | unit | MB/s |");
        out.println("|---|---|---:|---:|---|---:|");
        for (JsonNode run : runs) {
            for (JsonNode result : run) {
                JsonNode primary = result.path("primaryMetric");
                out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n",
                        shortName(result.path("benchmark").asText()),
                        params(result.path("params")),
                        number(primary.path("score").asDouble()),
                        number(primary.path("scoreError").asDouble(Double.NaN)),
                        primary.path("scoreUnit").asText(),
                        megabytesPerSecond(result.path("secondaryMetrics").path("bytes")));
            }
        }
    }

    private static String className(String benchmark) {
        String withoutMethod = benchmark.substring(0, benchmark.lastIndexOf('.'));
        return withoutMethod.substring(withoutMethod.lastIndexOf('.') + 1);
    }

    /** {@code io.npmgateway.bench.PackumentRewriteBenchmark.rewrite} becomes {@code PackumentRewriteBenchmark.rewrite}. */
    private static String shortName(String benchmark) {
        int method = benchmark.lastIndexOf('.');
        int type = benchmark.lastIndexOf('.', method - 1);
        return benchmark.substring(type + 1);
    }

    private static String params(JsonNode params) {
        if (params.isMissingNode() || params.isEmpty()) {
            return "";
        }
        StringJoiner joined = new StringJoiner(", ");
        for (Map.Entry<String, JsonNode> p : params.properties()) {
            joined.add(p.getKey() + "=" + p.getValue().asText());
        }
        return joined.toString();
    }

    private static String megabytesPerSecond(JsonNode bytes) {
        if (bytes.isMissingNode()) {
            return "";
        }
        double perUnit = perSecond(bytes.path("scoreUnit").asText());
        if (Double.isNaN(perUnit)) {
            return "";
        }
        double score = bytes.path("score").asDouble() * perUnit / 1e6;
        double error = bytes.path("scoreError").asDouble(Double.NaN) * perUnit / 1e6;
        return Double.isNaN(error) ? number(score) : number(score) + " ± " + number(error);
    }

    /** The factor from a JMH throughput unit ({@code ops/s}, {@code ops/ms}, ...) to per second. */
    private static double perSecond(String unit) {
        switch (unit) {
            case "ops/s":
                return 1;
            case "ops/ms":
                return 1e3;
            case "ops/us":
                return 1e6;
            case "ops/ns":
                return 1e9;
            case "ops/min":
                return 1.0 / 60;
            default:
                return Double.NaN; // an average-time unit: bytes per second is not derivable from it
        }
    }

    private static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "n/a";
        }
        double magnitude = Math.abs(value);
        if (magnitude >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (magnitude >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.4f", value);
    }
}

package io.npmgateway.metrics;

import static io.npmgateway.metrics.MetricsFixtures.GATEWAY_FAMILIES;
import static io.npmgateway.metrics.MetricsFixtures.helpTexts;
import static io.npmgateway.metrics.MetricsFixtures.sampleNames;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped Grafana dashboard only queries series the gateway exports, in valid PromQL. */
class DashboardTest {

    private static GatewayMetrics metrics;
    private static String scrape;
    private static JsonNode dashboard;

    @BeforeAll
    static void recordEveryMeterAndReadTheDashboard() throws IOException {
        metrics = new GatewayMetrics();
        MetricsFixtures.recordEverything(metrics);
        scrape = metrics.scrape();
        dashboard = new ObjectMapper().readTree(moduleFile("dashboards/npm-gateway.json").toFile());
    }

    @AfterAll
    static void close() {
        metrics.close();
    }

    /** A file of this module: surefire runs in the module directory. */
    static Path moduleFile(String relative) {
        Path path = Path.of(relative);
        assertThat(path).as("%s (tests run from the metrics module directory)", relative).isRegularFile();
        return path;
    }

    /** Every PromQL expression in the dashboard: panel targets' {@code expr} and variables' queries. */
    private static Map<String, String> expressions() {
        Map<String, String> exprs = new LinkedHashMap<>();
        collectExprs(dashboard.path("panels"), "", exprs);
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                String text = query.isTextual() ? query.asText() : query.path("query").asText();
                exprs.put("variable $" + variable.path("name").asText(), text);
            }
        }
        return exprs;
    }

    private static void collectExprs(JsonNode node, String where, Map<String, String> exprs) {
        if (node.isArray()) {
            for (JsonNode child : node) {
                collectExprs(child, where, exprs);
            }
        } else if (node.isObject()) {
            String here = node.has("title") ? node.path("title").asText() : where;
            if (node.has("expr")) {
                exprs.put(here + " [" + node.path("refId").asText() + "]", node.path("expr").asText());
            }
            node.fields().forEachRemaining(field -> collectExprs(field.getValue(), here, exprs));
        }
    }

    @Test
    void theDashboardIsAnImportableGrafanaDashboardWithAPrometheusInput() {
        assertThat(dashboard.path("schemaVersion").asInt()).isBetween(36, 41);
        assertThat(dashboard.path("uid").asText()).isEqualTo("npm-gateway");
        assertThat(dashboard.path("__inputs").get(0).path("name").asText()).isEqualTo("DS_PROMETHEUS");
        assertThat(dashboard.path("__inputs").get(0).path("pluginId").asText()).isEqualTo("prometheus");
        List<String> datasources = dashboard.findValues("datasource").stream()
                .filter(JsonNode::isObject)
                .filter(ds -> !"grafana".equals(ds.path("type").asText()))
                .map(ds -> ds.path("uid").asText())
                .distinct()
                .toList();
        assertThat(datasources).containsExactly("${DS_PROMETHEUS}");
        assertThat(dashboard.findValues("id").stream().map(JsonNode::asInt).filter(id -> id > 0))
                .doesNotHaveDuplicates();
    }

    @Test
    void theDashboardHasThePanelsOperatorsNeed() {
        List<String> titles = dashboard.findValues("title").stream().map(JsonNode::asText).toList();
        assertThat(titles).contains(
                "Request rate by route", "Cache hit ratio", "p50 latency by route", "p99 latency by route",
                "Top downloaded packages", "Upstream errors by reason", "Upstream latency p50 / p99",
                "Bytes served by route", "Tarball store size", "Tarball store entries and evictions",
                "Metadata cache size and evictions", "Token expiry per upstream", "Upstream availability",
                "JVM heap");
    }

    @Test
    void everySeriesTheDashboardQueriesIsInTheScrapeOfAFullyRecordedGateway() {
        Set<String> exported = sampleNames(scrape);
        Map<String, String> help = helpTexts(scrape);
        Map<String, String> exprs = expressions();
        assertThat(exprs).hasSizeGreaterThan(20);

        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> e : exprs.entrySet()) {
            Set<String> names = PromQl.metricNames(e.getValue());
            assertThat(names).as("metric names in %s: %s", e.getKey(), e.getValue()).isNotEmpty();
            for (String name : names) {
                boolean hasSeries = exported.contains(name);
                boolean hasHelp = PromQl.candidateFamilies(name).stream().anyMatch(help::containsKey);
                if (!hasSeries || !hasHelp) {
                    missing.add(name + " (in " + e.getKey() + ")");
                }
            }
        }
        assertThat(missing).as("series the dashboard queries but the gateway does not export").isEmpty();
    }

    @Test
    void everyGatewayFamilyIsOnTheDashboard() {
        Set<String> queried = new java.util.HashSet<>();
        expressions().values().forEach(expr -> PromQl.metricNames(expr)
                .forEach(name -> queried.addAll(PromQl.candidateFamilies(name))));

        List<String> notShown = GATEWAY_FAMILIES.stream()
                .filter(family -> !family.equals("npm_gateway_upstream_requests_seconds_max"))
                .filter(family -> !family.equals("npm_gateway_cache_puts_total"))
                .filter(family -> !queried.contains(family))
                .toList();
        assertThat(notShown).as("exported families no dashboard panel shows").isEmpty();
    }

    @Test
    void everyDashboardExpressionIsValidPromQl(@TempDir Path dir) throws IOException {
        // promtool parses every expression of a rules file; the dashboard's become recording rules.
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (String expr : expressions().values()) {
            String promql = expr
                    .replace("$__rate_interval", "5m")
                    .replace("$__range", "1h")
                    .replace("$__interval", "1m");
            if (promql.startsWith("label_values(")) {
                promql = PromQl.metricNames(promql).iterator().next();
            }
            rules.append("      - record: dashboard_expr_").append(++n).append('\n');
            rules.append("        expr: |\n");
            for (String line : promql.split("\n")) {
                rules.append("          ").append(line).append('\n');
            }
        }
        Path file = dir.resolve("dashboard-rules.yml");
        Files.writeString(file, rules);
        Path promtool = MetricsFixtures.promtool();

        MetricsFixtures.Run run = MetricsFixtures.run(List.of(promtool.toString(), "check", "rules", file.toString()), "");

        assertThat(run.exitCode()).as("promtool check rules on the dashboard's expressions:\n%s\n%s", run.output(), rules)
                .isZero();
        assertThat(run.output()).contains("SUCCESS: " + n + " rules found");
    }

    @Test
    void theReadmeDocumentsEveryGatewayFamily() throws IOException {
        String readme = Files.readString(moduleFile("README.md"));

        List<String> undocumented = GATEWAY_FAMILIES.stream().filter(f -> !readme.contains(f)).toList();
        assertThat(undocumented).as("families missing from metrics/README.md").isEmpty();
    }
}

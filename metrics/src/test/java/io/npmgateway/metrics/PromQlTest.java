package io.npmgateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {

    @Test
    void findsTheSeriesInsideFunctionsAndAggregationsButNotLabelsOrFunctions() {
        assertThat(PromQl.metricNames(
                "histogram_quantile(0.99, sum by (le, route) (rate(npm_gateway_requests_seconds_bucket"
                        + "{instance=~\"$instance\",route!=\"other\"}[$__rate_interval])))"))
                .containsExactly("npm_gateway_requests_seconds_bucket");
    }

    @Test
    void findsBothSidesOfABinaryOperatorAndIgnoresNumbersAndKeywords() {
        assertThat(PromQl.metricNames(
                "sum(rate(a_total{x=\"y\"}[5m])) / on (instance) group_left (job) sum without (le) (b_count) "
                        + "* 1e-3 > bool 0.5 or vector(1) offset 1h unless c"))
                .containsExactly("a_total", "b_count", "c");
    }

    @Test
    void labelValuesQueriesSelectTheirFirstArgumentOnly() {
        assertThat(PromQl.metricNames("label_values(npm_gateway_upstream_available, upstream)"))
                .containsExactly("npm_gateway_upstream_available");
    }

    @Test
    void stringsThatLookLikeNamesAreIgnored() {
        assertThat(PromQl.metricNames("label_replace(up, \"dst\", \"$1\", \"src\", \"(not_a_metric)\")"))
                .containsExactly("up");
    }

    @Test
    void familiesStripHistogramAndCounterSuffixes() {
        assertThat(PromQl.candidateFamilies("npm_gateway_requests_seconds_bucket"))
                .contains("npm_gateway_requests_seconds");
        assertThat(PromQl.candidateFamilies("npm_gateway_served_bytes_total"))
                .contains("npm_gateway_served_bytes_total", "npm_gateway_served_bytes");
    }
}

package io.npmgateway.metrics;

/**
 * How {@link GatewayMetrics} shapes its meters.
 *
 * @param downloadsPackageLabelCap how many distinct {@code package} label values
 *     {@code npm_gateway_tarball_downloads_total} keeps; tarballs of packages beyond the first this many
 *     seen are counted under {@code package="__other__"}. {@code 0} counts every download under
 *     {@code __other__}. Bounds the series count whatever clients ask for.
 * @param histograms whether the request and upstream latency timers publish histogram buckets
 *     ({@code _bucket} series, what {@code histogram_quantile} needs). Off, they export only
 *     {@code _count}, {@code _sum} and {@code _max}.
 */
public record MetricsConfig(int downloadsPackageLabelCap, boolean histograms) {

    /** The default cap on distinct package labels. */
    public static final int DEFAULT_DOWNLOADS_PACKAGE_LABEL_CAP = 1000;

    public MetricsConfig {
        if (downloadsPackageLabelCap < 0) {
            throw new IllegalArgumentException(
                    "metrics downloads package label cap must be 0 or more, got " + downloadsPackageLabelCap);
        }
    }

    /** A cap of {@value #DEFAULT_DOWNLOADS_PACKAGE_LABEL_CAP} package labels, histograms on. */
    public static MetricsConfig defaults() {
        return new MetricsConfig(DEFAULT_DOWNLOADS_PACKAGE_LABEL_CAP, true);
    }
}

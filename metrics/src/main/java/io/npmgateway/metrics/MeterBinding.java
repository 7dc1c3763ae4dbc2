package io.npmgateway.metrics;

/**
 * The meters one {@code GatewayMetrics.bind...} call registered. Closing it removes them from the scrape
 * output, for a component that is shut down or replaced (an upstream removed on reload, a store closed).
 * Binding the same thing again replaces the earlier binding, so closing is never needed just to rebind.
 */
@FunctionalInterface
public interface MeterBinding extends AutoCloseable {

    /** Removes the bound meters. Idempotent. */
    @Override
    void close();
}

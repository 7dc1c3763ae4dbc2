package io.npmgateway.upstream;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether an upstream is answering, judged from the gateway's own traffic: a run of failures that mean
 * "unreachable or broken" (connect, TLS, timeout, truncated, 5xx) marks it down; any answer marks it up again.
 * Shown by the readiness endpoint and the {@code upstream_available} metric.
 */
public final class UpstreamHealth {
    /** Consecutive failures after which an upstream counts as down. */
    static final int DOWN_AFTER = 3;

    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile UpstreamFailure lastFailure;

    public void success() {
        consecutiveFailures.set(0);
    }

    public void failure(UpstreamFailure failure) {
        switch (failure) {
            case CONNECT:
            case TLS:
            case TIMEOUT:
            case TRUNCATED:
            case STATUS_5XX:
                lastFailure = failure;
                consecutiveFailures.incrementAndGet();
                break;
            default:
                // The upstream answered: it is reachable, whatever it thought of the request.
                success();
        }
    }

    public boolean isUp() {
        return consecutiveFailures.get() < DOWN_AFTER;
    }

    /** The reason of the last failure that counted, or null. */
    public UpstreamFailure lastFailure() {
        return lastFailure;
    }
}

package io.npmgateway.upstream;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Whether an upstream is answering, judged from the gateway's own traffic, and whether it may be asked now.
 *
 * <ul>
 *   <li>A run of {@value #DOWN_AFTER} failures that mean "unreachable or broken" (connect, TLS, timeout, truncated,
 *       5xx) marks it <b>down</b>. Any answer (even a 401 or 404) ends a run.</li>
 *   <li>A down upstream is not asked for a cool-down ({@link #FIRST_COOL_DOWN}): requests for it fail at once, as
 *       if it had failed again, instead of each waiting for a timeout.</li>
 *   <li>After the cool-down, one request is let through as a <b>probe</b> (the others keep failing fast). If it is
 *       answered, the upstream is up again; if it fails, the cool-down doubles, up to {@link #MAX_COOL_DOWN}.</li>
 * </ul>
 *
 * Shown by the readiness endpoint and the {@code upstream_available} metric. Thread-safe.
 */
public final class UpstreamHealth {
    /** Consecutive failures after which an upstream counts as down. */
    static final int DOWN_AFTER = 3;
    static final Duration FIRST_COOL_DOWN = Duration.ofSeconds(30);
    static final Duration MAX_COOL_DOWN = Duration.ofMinutes(5);

    /** What the readiness endpoint shows. */
    public enum State {
        UP("up"), DOWN("down"), PROBING("probing");

        private final String label;

        State(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final LongSupplier nanoTime;
    private int consecutiveFailures;
    private UpstreamFailure lastFailure;
    private boolean down;
    private long coolDownNanos = FIRST_COOL_DOWN.toNanos();
    /** While down: when the next probe may go out. While probing: when a probe that never reported is given up. */
    private long nextProbeAt;
    private boolean probing;

    public UpstreamHealth() {
        this(System::nanoTime);
    }

    /** @param nanoTime a monotonic clock, {@link System#nanoTime()} outside tests */
    public UpstreamHealth(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Whether a request may go to the upstream now: always while it is up; while it is down, only once its cool-down
     * has passed, and then for one request (the probe) until that one reports.
     */
    public synchronized boolean tryAcquire() {
        if (!down) {
            return true;
        }
        long now = nanoTime.getAsLong();
        if (now - nextProbeAt < 0) {
            return false;
        }
        // The cool-down has passed, or a probe never reported back (its caller gave up): send a (new) probe.
        probing = true;
        nextProbeAt = now + coolDownNanos;
        return true;
    }

    public synchronized void success() {
        consecutiveFailures = 0;
        down = false;
        probing = false;
        coolDownNanos = FIRST_COOL_DOWN.toNanos();
    }

    public synchronized void failure(UpstreamFailure failure) {
        if (!counts(failure)) {
            // The upstream answered: it is reachable, whatever it thought of the request.
            success();
            return;
        }
        lastFailure = failure;
        consecutiveFailures++;
        long now = nanoTime.getAsLong();
        if (probing) {
            probing = false;
            coolDownNanos = Math.min(coolDownNanos * 2, MAX_COOL_DOWN.toNanos());
            nextProbeAt = now + coolDownNanos;
        } else if (!down && consecutiveFailures >= DOWN_AFTER) {
            down = true;
            nextProbeAt = now + coolDownNanos;
        }
    }

    static boolean counts(UpstreamFailure failure) {
        switch (failure) {
            case CONNECT:
            case TLS:
            case TIMEOUT:
            case TRUNCATED:
            case STATUS_5XX:
                return true;
            default:
                return false;
        }
    }

    public synchronized boolean isUp() {
        return !down;
    }

    public synchronized State state() {
        return !down ? State.UP : probing ? State.PROBING : State.DOWN;
    }

    /** While down: seconds until the next probe may go out (0 when it may now); 0 while up. */
    public synchronized long secondsUntilProbe() {
        if (!down) {
            return 0;
        }
        long left = nextProbeAt - nanoTime.getAsLong();
        return left <= 0 ? 0 : (left + 999_999_999L) / 1_000_000_000L;
    }

    /** The reason of the last failure that counted, or null. */
    public synchronized UpstreamFailure lastFailure() {
        return lastFailure;
    }

    public synchronized int consecutiveFailures() {
        return consecutiveFailures;
    }
}

package io.npmgateway.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes password guessing slow: after {@link #FREE_FAILURES} failed logins in a row from one client address,
 * each further failure locks that address out of login for twice as long as the one before (1 s, 2 s, 4 s, ...
 * up to {@link #MAX_LOCK}); a success clears it. Asked by {@link LoginService} before it spends a password-hash
 * computation on an attempt. Kept in memory per process, bounded in size: a determined attacker spread over many
 * addresses is slowed by the hash cost alone.
 */
public final class LoginThrottle {
    /** Failures allowed before the first lock-out: enough for a few typos. */
    public static final int FREE_FAILURES = 5;
    public static final Duration MAX_LOCK = Duration.ofMinutes(15);
    private static final int MAX_ADDRESSES = 10_000;

    private final Clock clock;
    private final Map<String, State> states = new ConcurrentHashMap<>();

    private record State(int failures, Instant lockedUntil) {
    }

    public LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long {@code address} must still wait before its next attempt; zero when it may try now. */
    public Duration waitBefore(String address) {
        State s = states.get(address);
        if (s == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(clock.instant(), s.lockedUntil());
        return left.isNegative() ? Duration.ZERO : left;
    }

    public void failed(String address) {
        if (states.size() >= MAX_ADDRESSES && !states.containsKey(address)) {
            prune();
        }
        states.compute(address, (a, s) -> {
            int failures = s == null ? 1 : s.failures() + 1;
            Instant lockedUntil = clock.instant();
            if (failures > FREE_FAILURES) {
                int doublings = Math.min(failures - FREE_FAILURES - 1, 20);
                Duration lock = Duration.ofSeconds(1L << doublings);
                lockedUntil = lockedUntil.plus(lock.compareTo(MAX_LOCK) > 0 ? MAX_LOCK : lock);
            }
            return new State(failures, lockedUntil);
        });
    }

    public void succeeded(String address) {
        states.remove(address);
    }

    /** Drops addresses that are not locked out; if that frees nothing, forgets everyone rather than grow. */
    private void prune() {
        Instant now = clock.instant();
        for (Iterator<State> it = states.values().iterator(); it.hasNext(); ) {
            if (!it.next().lockedUntil().isAfter(now)) {
                it.remove();
            }
        }
        if (states.size() >= MAX_ADDRESSES) {
            states.clear();
        }
    }
}

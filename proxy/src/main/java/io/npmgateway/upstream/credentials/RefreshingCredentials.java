package io.npmgateway.upstream.credentials;

import io.npmgateway.config.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bearer token the gateway obtains itself and renews: the common part of {@link TokenCommandCredentials} and
 * {@link CodeArtifactCredentials}.
 *
 * <ul>
 *   <li>The first token is asked for at {@link #start()}; {@link #ready()} completes when that attempt ends.</li>
 *   <li>Renewal is <em>single-flight</em>: however many callers notice that a renewal is due, one attempt runs, on
 *       the {@link RenewalScheduler} (never on an event loop).</li>
 *   <li>Renewal is scheduled when the subclass says ({@link #renewalTime}); independently of the schedule, a request
 *       that finds the renewal time passed starts one (a suspended machine's timers may fire late).</li>
 *   <li>A failed renewal keeps the current token (it may well still be valid), counts a failure and retries with
 *       a growing delay.</li>
 *   <li>A token the upstream refuses (401) is renewed at once, at most once per
 *       {@link #REFUSAL_RENEWAL_INTERVAL}: a token that is valid but lacks a permission is refused on every request,
 *       and that must not turn every request into a call to the token service.</li>
 * </ul>
 */
abstract class RefreshingCredentials implements CredentialProvider {
    private static final Logger LOG = LoggerFactory.getLogger(RefreshingCredentials.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(30);
    static final Duration MAX_RETRY = Duration.ofMinutes(5);
    static final Duration REFUSAL_RENEWAL_INTERVAL = Duration.ofSeconds(30);

    /** A token and, if known, when it expires. */
    record Token(Secret value, Instant expiresAt) {
        @Override
        public String toString() {
            return "Token[***, expiresAt=" + expiresAt + "]";
        }
    }

    private final String upstreamId;
    private final String kind;
    protected final Clock clock;
    private final RenewalScheduler scheduler;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();
    private final AtomicLong failures = new AtomicLong();
    private volatile Token current;
    private volatile Instant nextAttempt = Instant.MIN;
    private volatile String lastError;
    private volatile RenewalScheduler.Scheduled scheduled;
    private volatile boolean closed;
    private int consecutiveFailures;
    private Instant lastRefusalRenewal = Instant.MIN;

    RefreshingCredentials(String upstreamId, String kind, Clock clock, RenewalScheduler scheduler) {
        this.upstreamId = upstreamId;
        this.kind = kind;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** Obtains a new token; blocking, runs on the scheduler. Its exception's description must hold no secret. */
    protected abstract Token fetch() throws Exception;

    /** When a token obtained at {@code obtainedAt} should be renewed. */
    protected abstract Instant renewalTime(Token token, Instant obtainedAt);

    /** A description of a failure fit for a log line and an error body: never the token, never raw output. */
    protected abstract String describe(Exception failure);

    @Override
    public void start() {
        renew();
    }

    @Override
    public CompletableFuture<Void> ready() {
        return firstAttempt;
    }

    @Override
    public Optional<String> authorization() {
        Token token = current;
        if (!closed && !clock.instant().isBefore(nextAttempt)) {
            renew();
        }
        return token == null ? Optional.empty() : Optional.of("Bearer " + token.value().reveal());
    }

    @Override
    public CompletableFuture<Boolean> renewAfterRefusal(String refused) {
        if (closed) {
            return CompletableFuture.completedFuture(false);
        }
        if (!isCurrent(refused)) {
            // Renewed since that request went out: the new token has not been refused yet.
            return CompletableFuture.completedFuture(current != null);
        }
        CompletableFuture<Void> renewal = inFlight.get();
        if (renewal == null) {
            synchronized (this) {
                Instant now = clock.instant();
                if (now.isBefore(lastRefusalRenewal.plus(REFUSAL_RENEWAL_INTERVAL))) {
                    return CompletableFuture.completedFuture(false);
                }
                lastRefusalRenewal = now;
            }
            LOG.info("upstream '{}': the {} token was refused (HTTP 401); renewing it now", upstreamId, kind);
            renewal = renew();
        }
        return renewal.thenApply(ended -> current != null && !isCurrent(refused));
    }

    private boolean isCurrent(String authorization) {
        Token token = current;
        return token != null && authorization.equals("Bearer " + token.value().reveal());
    }

    @Override
    public double secondsUntilExpiry() {
        Token token = current;
        if (token == null || token.expiresAt() == null) {
            return Double.NaN;
        }
        return Duration.between(clock.instant(), token.expiresAt()).toMillis() / 1000.0;
    }

    @Override
    public long renewalFailures() {
        return failures.get();
    }

    @Override
    public String unavailableReason() {
        if (current != null) {
            return null;
        }
        String error = lastError;
        return error == null ? "no " + kind + " token yet" : "obtaining a " + kind + " token failed: " + error;
    }

    /** When the next renewal (or retry) is due. */
    Instant nextAttempt() {
        return nextAttempt;
    }

    /**
     * Starts a renewal unless one is running, and returns it; it completes (normally, whatever the outcome) when the
     * attempt has ended.
     */
    CompletableFuture<Void> renew() {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = inFlight.compareAndExchange(null, mine);
        if (running != null) {
            return running;
        }
        try {
            scheduler.schedule(Duration.ZERO, () -> runRenewal(mine));
        } catch (RuntimeException e) {
            // The scheduler is shut down: the gateway is closing.
            inFlight.set(null);
            mine.complete(null);
        }
        return mine;
    }

    private void runRenewal(CompletableFuture<Void> mine) {
        try {
            if (closed) {
                return;
            }
            Instant started = clock.instant();
            try {
                Token token = fetch();
                current = token;
                synchronized (this) {
                    consecutiveFailures = 0;
                }
                lastError = null;
                Instant renewAt = renewalTime(token, started);
                nextAttempt = renewAt;
                scheduleAt(renewAt);
                LOG.info("upstream '{}': obtained a {} token{}", upstreamId, kind,
                        token.expiresAt() == null ? "" : " valid until " + token.expiresAt());
            } catch (Exception e) {
                failures.incrementAndGet();
                String why = describe(e);
                lastError = why;
                Duration delay;
                synchronized (this) {
                    consecutiveFailures++;
                    delay = retryDelay(consecutiveFailures);
                }
                Instant retryAt = clock.instant().plus(delay);
                nextAttempt = retryAt;
                scheduleAt(retryAt);
                LOG.warn("upstream '{}': obtaining a {} token failed ({}); {}; next attempt in {} s", upstreamId, kind,
                        why, current == null ? "requests go without credentials" : "keeping the current token",
                        delay.toSeconds());
            }
        } finally {
            inFlight.set(null);
            mine.complete(null);
            firstAttempt.complete(null);
        }
    }

    static Duration retryDelay(int consecutiveFailures) {
        Duration delay = FIRST_RETRY;
        for (int i = 1; i < consecutiveFailures && delay.compareTo(MAX_RETRY) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : delay;
    }

    private void scheduleAt(Instant when) {
        RenewalScheduler.Scheduled previous = scheduled;
        if (previous != null) {
            previous.cancel();
        }
        if (closed) {
            return;
        }
        try {
            scheduled = scheduler.schedule(Duration.between(clock.instant(), when), this::renew);
        } catch (RuntimeException e) {
            // Shut down while closing.
        }
    }

    @Override
    public void close() {
        closed = true;
        RenewalScheduler.Scheduled s = scheduled;
        if (s != null) {
            s.cancel();
        }
        scheduler.close();
        firstAttempt.complete(null);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[upstream=" + upstreamId + ", token=" + (current == null ? "none" : "***")
                + "]";
    }
}

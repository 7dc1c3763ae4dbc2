package io.npmgateway.auth;

import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.PasswordHash;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks a login ({@code npm login}, {@code npm adduser}, {@code yarn npm login}: a user name and a password) and
 * hands out a token. A configured user logs in with the password whose hash is configured and gets a signed
 * token ({@link LoginTokens}); anyone may also log in with a configured client token as the password and gets
 * that same token back (a convenient way to have npm write it into {@code .npmrc}).
 *
 * <p>Password hashes are computed on two threads of their own, never on an event loop, with a short queue:
 * a flood of attempts is refused ({@link Outcome.Busy}) instead of piling up. Unknown user names cost a hash
 * computation too, so the answer time does not tell which names exist. Failures count per client address in
 * {@link LoginThrottle}.
 */
public final class LoginService implements AutoCloseable {
    private static final int THREADS = 2;
    private static final int QUEUE = 32;

    private final ClientTokens clients;
    private final LoginTokens tokens;
    private final LoginThrottle throttle;
    private final ThreadPoolExecutor hashing;
    private final PasswordHash decoy;

    /** What became of one login attempt. */
    public sealed interface Outcome {
        /** Logged in: {@code token} is what the client sends from now on. */
        record Granted(String user, String token) implements Outcome {
            @Override
            public String toString() {
                return "Granted[user=" + user + ", token=***]";
            }
        }

        /** Wrong user name or password (deliberately not saying which). */
        record Refused() implements Outcome {
        }

        /** Too many failures from this address: try again after {@code retryAfter}. */
        record Throttled(Duration retryAfter) implements Outcome {
        }

        /** Too many logins being checked right now. */
        record Busy() implements Outcome {
        }

        /** No user or client token is configured: there is nothing to log in to. */
        record NotConfigured() implements Outcome {
        }
    }

    public LoginService(ClientAuthenticator authenticator, Clock clock) {
        this.clients = authenticator.clients();
        this.tokens = authenticator.loginTokens();
        this.throttle = new LoginThrottle(clock);
        AtomicInteger n = new AtomicInteger();
        this.hashing = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
                r -> {
                    Thread t = new Thread(r, "npm-gateway-login-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        hashing.allowCoreThreadTimeOut(true);
        int iterations = clients.users().stream().mapToInt(u -> u.passwordHash().iterations()).max()
                .orElse(PasswordHash.DEFAULT_ITERATIONS);
        byte[] salt = new byte[16];
        byte[] hash = new byte[32];
        SecureRandom random = new SecureRandom();
        random.nextBytes(salt);
        random.nextBytes(hash);
        this.decoy = new PasswordHash(iterations, salt, hash);
    }

    /** Whether anyone can log in at all. */
    public boolean configured() {
        return !clients.isEmpty();
    }

    /** Checks {@code user}/{@code password} for a client at {@code address}; completes off the caller's thread. */
    public CompletableFuture<Outcome> login(String user, String password, String address) {
        if (!configured()) {
            return CompletableFuture.completedFuture(new Outcome.NotConfigured());
        }
        Duration wait = throttle.waitBefore(address);
        if (!wait.isZero()) {
            return CompletableFuture.completedFuture(new Outcome.Throttled(wait));
        }
        try {
            return CompletableFuture.supplyAsync(() -> check(user, password, address), hashing);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(new Outcome.Busy());
        }
    }

    private Outcome check(String user, String password, String address) {
        Outcome outcome = verify(user, password);
        if (outcome instanceof Outcome.Granted) {
            throttle.succeeded(address);
        } else {
            throttle.failed(address);
        }
        return outcome;
    }

    private Outcome verify(String user, String password) {
        Optional<ClientTokens.ClientUser> account = clients.user(user);
        if (account.isPresent()) {
            PasswordHash hash = account.get().passwordHash();
            if (hash.matches(password)) {
                return new Outcome.Granted(user, tokens.issue(user, LoginTokens.accountTag(hash.salt())));
            }
        } else {
            decoy.matches(password);
        }
        Optional<String> tokenName = clients.authenticate(password);
        if (tokenName.isPresent()) {
            return new Outcome.Granted(tokenName.get(), password);
        }
        return new Outcome.Refused();
    }

    @Override
    public void close() {
        hashing.shutdownNow();
    }
}

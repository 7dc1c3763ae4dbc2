package io.npmgateway.upstream.credentials;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where an upstream's {@code Authorization} header value comes from: fixed (bearer, basic, legacy {@code _auth}) or
 * obtained and renewed by the gateway (a token command, CodeArtifact's GetAuthorizationToken). The upstream asks it
 * for every request whose URL the credentials apply to; which URLs that is, is decided by
 * {@link io.npmgateway.config.UpstreamConfig#credentialsApplyTo(java.net.URI)}, not here.
 *
 * <p>Implementations never put the credential into a log line, an exception message or {@code toString()}.
 */
public interface CredentialProvider extends AutoCloseable {

    /** The header value to send now ({@code Bearer ...}, {@code Basic ...}), or empty when there is none (yet). */
    Optional<String> authorization();

    /**
     * Completes when the first attempt to obtain credentials has ended, successfully or not: at once for fixed
     * credentials. Requests wait for it so the first ones after a start do not go out without credentials.
     */
    default CompletableFuture<Void> ready() {
        return CompletableFuture.completedFuture(null);
    }

    /** Seconds until the current token expires (negative once it has), or NaN when there is no expiring token. */
    default double secondsUntilExpiry() {
        return Double.NaN;
    }

    /** Failed attempts to obtain or renew the credentials since the start. */
    default long renewalFailures() {
        return 0;
    }

    /**
     * Why there are no credentials to send, when {@link #authorization()} is empty although the upstream has some
     * configured (e.g. "obtaining a token failed: exit status 1"); null otherwise. Never contains a secret.
     */
    default String unavailableReason() {
        return null;
    }

    /**
     * Told that the upstream answered 401 to a request that carried {@code refused}. A provider that obtains its own
     * tokens renews at once (the token may have been revoked, or expired before its stated time), and the future
     * says whether the request is worth sending once more: true when {@link #authorization()} now gives another
     * value. Fixed credentials cannot change, so the 401 stands.
     */
    default CompletableFuture<Boolean> renewAfterRefusal(String refused) {
        return CompletableFuture.completedFuture(false);
    }

    /** Starts obtaining (and renewing) credentials; fixed credentials need nothing. */
    default void start() {
    }

    /** Stops renewing. */
    @Override
    default void close() {
    }
}

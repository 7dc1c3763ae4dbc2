package io.npmgateway.auth;

import io.npmgateway.config.ClientTokens;
import java.time.Clock;
import java.util.Optional;

/**
 * Who a client is, from the bearer token it sends: a configured client token (by its name), or a token the
 * gateway issued at login (by the user's name, while the user is still configured with the same password).
 * Asked on every request that carries an {@code Authorization} header, before the route decides what the client
 * may do; tokens are only compared here, never logged and never forwarded upstream.
 */
public final class ClientAuthenticator {
    private final ClientTokens clients;
    private final LoginTokens loginTokens;

    public ClientAuthenticator(ClientTokens clients, LoginTokens loginTokens) {
        this.clients = clients;
        this.loginTokens = loginTokens;
    }

    /** The authenticator of a {@code clients:} section, with its own login-token key when none is configured. */
    public static ClientAuthenticator of(ClientTokens clients, Clock clock) {
        return new ClientAuthenticator(clients,
                new LoginTokens(clients.login().secret(), clients.login().tokenTtl(), clock));
    }

    /** No client can authenticate. */
    public static ClientAuthenticator none() {
        return of(ClientTokens.none(), Clock.systemUTC());
    }

    /** Whether any client token or user is configured (authentication is on). */
    public boolean enabled() {
        return !clients.isEmpty();
    }

    /** The name of the client whose token {@code presented} is, if it is a valid one. */
    public Optional<String> authenticate(String presented) {
        if (presented == null || presented.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> configured = clients.authenticate(presented);
        if (configured.isPresent() || clients.users().isEmpty()) {
            return configured;
        }
        return loginTokens.verify(presented).filter(claims -> clients.user(claims.user())
                .map(u -> LoginTokens.accountTag(u.passwordHash().salt()).equals(claims.accountTag()))
                .orElse(false)).map(LoginTokens.Claims::user);
    }

    public ClientTokens clients() {
        return clients;
    }

    public LoginTokens loginTokens() {
        return loginTokens;
    }
}

package io.npmgateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code clients:} section: who may use the gateway itself. Clients present a token
 * ({@code Authorization: Bearer <token>}, i.e. {@code _authToken} in their {@code .npmrc}): one of the configured
 * {@code tokens}, or one the gateway issued at {@code npm login} to one of the configured {@code users} (see
 * {@link LoginSettings}). Client tokens are never forwarded upstream. With neither tokens nor users configured,
 * every route is open for reading unless it says {@code anonymous: none}, and login is not offered.
 *
 * @param tokens the accepted tokens, each with a name that logs and metrics use instead of the token
 * @param users  the accounts that may {@code npm login} with a password
 * @param login  how issued tokens are signed and how long they last
 */
public record ClientTokens(List<ClientToken> tokens, List<ClientUser> users, LoginSettings login) {

    /** One accepted client token. */
    public record ClientToken(String name, Secret token) {
        public ClientToken {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(token, "token");
        }
    }

    /** An account that logs in with a password; only the password's hash is configured. */
    public record ClientUser(String name, PasswordHash passwordHash) {
        public ClientUser {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(passwordHash, "passwordHash");
        }
    }

    /**
     * How tokens issued at login are made (see {@code LoginTokens} in the proxy): HMAC-SHA256 over the user's
     * name and an expiry, so every replica sharing the {@code secret} accepts them without shared state.
     *
     * @param secret   the signing key, at least 32 characters; null: a random key per process (tokens then die
     *                 with the process and only the replica that issued one accepts it)
     * @param tokenTtl how long an issued token is accepted
     */
    public record LoginSettings(Secret secret, Duration tokenTtl) {
        /** How long issued tokens last unless configured. */
        public static final Duration DEFAULT_TOKEN_TTL = Duration.ofDays(30);

        public LoginSettings {
            Objects.requireNonNull(tokenTtl, "tokenTtl");
        }

        public static LoginSettings defaults() {
            return new LoginSettings(null, DEFAULT_TOKEN_TTL);
        }
    }

    public ClientTokens {
        tokens = List.copyOf(tokens);
        users = users == null ? List.of() : List.copyOf(users);
        login = login == null ? LoginSettings.defaults() : login;
    }

    /** Only static tokens: no users, default login settings. */
    public ClientTokens(List<ClientToken> tokens) {
        this(tokens, List.of(), null);
    }

    public static ClientTokens none() {
        return new ClientTokens(List.of());
    }

    /** Whether nothing is configured: no token and no user, so no client can authenticate. */
    public boolean isEmpty() {
        return tokens.isEmpty() && users.isEmpty();
    }

    /** The user called {@code name}, if configured. */
    public Optional<ClientUser> user(String name) {
        return users.stream().filter(u -> u.name().equals(name)).findFirst();
    }

    /**
     * The name of the client whose token {@code presented} is, if any. Every configured token is compared, in time
     * independent of where the strings differ.
     */
    public Optional<String> authenticate(String presented) {
        if (presented == null || presented.isEmpty()) {
            return Optional.empty();
        }
        String found = null;
        for (ClientToken t : tokens) {
            if (t.token().matches(presented) && found == null) {
                found = t.name();
            }
        }
        return Optional.ofNullable(found);
    }
}

package io.npmgateway.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Tokens clients present ({@code Authorization: Bearer <token>}, i.e. {@code _authToken} in their
 * {@code .npmrc}) to use the gateway itself. These are never forwarded upstream. With none configured, every
 * route is open for reading unless it says {@code anonymous: none}.
 *
 * @param tokens the accepted tokens, each with a name that logs and metrics use instead of the token
 */
public record ClientTokens(List<ClientToken> tokens) {

    /** One accepted client token. */
    public record ClientToken(String name, Secret token) {
        public ClientToken {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(token, "token");
        }
    }

    public ClientTokens {
        tokens = List.copyOf(tokens);
    }

    public static ClientTokens none() {
        return new ClientTokens(List.of());
    }

    public boolean isEmpty() {
        return tokens.isEmpty();
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

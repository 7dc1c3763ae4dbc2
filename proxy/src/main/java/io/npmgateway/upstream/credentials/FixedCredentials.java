package io.npmgateway.upstream.credentials;

import io.npmgateway.config.UpstreamAuth;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Credentials that never change: the {@code Authorization} value is built once from the configuration, the way
 * npm builds it from an {@code .npmrc}: {@code _authToken} as {@code Bearer}, {@code username} + password as
 * {@code Basic base64(user:password)}, legacy {@code _auth} as {@code Basic <auth>} verbatim.
 */
public final class FixedCredentials implements CredentialProvider {
    /** No credentials at all. */
    public static final FixedCredentials NONE = new FixedCredentials(null);

    private final Optional<String> header;

    private FixedCredentials(String header) {
        this.header = Optional.ofNullable(header);
    }

    /** The fixed credentials of {@code auth}, which must be none, bearer, basic or legacy. */
    public static FixedCredentials of(UpstreamAuth auth) {
        if (auth instanceof UpstreamAuth.None) {
            return NONE;
        }
        if (auth instanceof UpstreamAuth.Bearer bearer) {
            return new FixedCredentials("Bearer " + bearer.token().reveal());
        }
        if (auth instanceof UpstreamAuth.Basic basic) {
            String pair = basic.username() + ":" + basic.password().reveal();
            return new FixedCredentials("Basic "
                    + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        }
        if (auth instanceof UpstreamAuth.LegacyAuth legacy) {
            return new FixedCredentials("Basic " + legacy.auth().reveal());
        }
        throw new IllegalArgumentException(auth.type() + " credentials are not fixed");
    }

    @Override
    public Optional<String> authorization() {
        return header;
    }

    @Override
    public String toString() {
        return header.isPresent() ? "FixedCredentials[***]" : "FixedCredentials[none]";
    }
}

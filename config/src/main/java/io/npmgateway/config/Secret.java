package io.npmgateway.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A credential value: a token, a password, an {@code _auth} string. It prints as {@code ***} everywhere
 * ({@link #toString()}, and so every record that holds one), so a secret cannot reach a log line, an error body
 * or a configuration dump through string concatenation. The value is reachable only through {@link #reveal()},
 * which the few places that build an {@code Authorization} header call by name.
 */
public final class Secret {
    /** What every secret prints as. */
    public static final String MASK = "***";

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String value) {
        return new Secret(Objects.requireNonNull(value, "value"));
    }

    /** The secret itself. Call it only to put the value on the wire, never to print or log it. */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    /**
     * Whether {@code candidate} is this secret, compared in time independent of where they differ (client tokens
     * are checked against what a client sends).
     */
    public boolean matches(String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8),
                candidate.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && matches(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return MASK;
    }
}

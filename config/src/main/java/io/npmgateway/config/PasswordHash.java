package io.npmgateway.config;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A login password as the configuration holds it ({@code clients.users[].passwordHash}): PBKDF2 with HMAC-SHA256
 * from the JDK, so no plain password is ever written into a configuration file. The text form is
 * {@code pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>}; {@code npm-gateway hash-password} prints one.
 *
 * <p>Checked when a client logs in ({@code npm login} / {@code npm adduser}); each check costs the configured
 * iterations on purpose, which is what makes guessing slow.
 *
 * @param iterations PBKDF2 iterations, at least {@link #MIN_ITERATIONS}
 * @param salt       random salt, at least 16 bytes
 * @param hash       the derived key, 32 bytes
 */
public record PasswordHash(int iterations, byte[] salt, byte[] hash) {
    /** The text form's prefix: the algorithm. */
    public static final String PREFIX = "pbkdf2-sha256";
    /** What {@link #create(char[])} uses: OWASP's 2023 advice for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    /** Fewer iterations than this are refused: the hash would be cheap to attack offline. */
    public static final int MIN_ITERATIONS = 10_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    public PasswordHash {
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("has " + iterations + " iterations; at least " + MIN_ITERATIONS
                    + " are needed");
        }
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(hash, "hash");
        if (salt.length < SALT_BYTES) {
            throw new IllegalArgumentException("has a salt shorter than " + SALT_BYTES + " bytes");
        }
        if (hash.length != HASH_BITS / 8) {
            throw new IllegalArgumentException("has a hash of " + hash.length + " bytes; expected " + HASH_BITS / 8);
        }
        salt = salt.clone();
        hash = hash.clone();
    }

    /** A new hash of {@code password} with a random salt and {@link #DEFAULT_ITERATIONS}. */
    public static PasswordHash create(char[] password) {
        return create(password, DEFAULT_ITERATIONS);
    }

    public static PasswordHash create(char[] password, int iterations) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return new PasswordHash(iterations, salt, derive(password, salt, iterations));
    }

    /**
     * Parses the text form.
     *
     * @throws IllegalArgumentException with a message saying what is wrong (never repeating the value)
     */
    public static PasswordHash parse(String text) {
        String[] parts = text.split("\\$", -1);
        if (parts.length != 4 || !parts[0].equals(PREFIX)) {
            throw new IllegalArgumentException("is not a password hash; expected " + PREFIX
                    + "$<iterations>$<salt>$<hash> as printed by 'npm-gateway hash-password'");
        }
        int iterations;
        try {
            iterations = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("has an iteration count that is not a number");
        }
        try {
            return new PasswordHash(iterations, Base64.getDecoder().decode(parts[2]),
                    Base64.getDecoder().decode(parts[3]));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("has ")) {
                throw e;
            }
            throw new IllegalArgumentException("has a salt or hash that is not base64");
        }
    }

    /** Whether {@code password} is the one hashed here; compared in time independent of where they differ. */
    public boolean matches(String password) {
        if (password == null) {
            return false;
        }
        char[] chars = password.toCharArray();
        try {
            return MessageDigest.isEqual(hash, derive(chars, salt, iterations));
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    /** The text form, for the configuration file. */
    public String format() {
        Base64.Encoder b64 = Base64.getEncoder();
        return PREFIX + "$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations) {
        // PBEKeySpec refuses an empty password (the loader never accepts one; this keeps the check total).
        char[] input = password.length == 0 ? new char[] {'\0'} : password;
        PBEKeySpec spec = new PBEKeySpec(input, salt, iterations, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JDK", e);
        } finally {
            spec.clearPassword();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PasswordHash other && iterations == other.iterations
                && Arrays.equals(salt, other.salt) && MessageDigest.isEqual(hash, other.hash);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(salt);
    }

    /** Masked like a {@link Secret}: the hash is enough to attack the password offline. */
    @Override
    public String toString() {
        return Secret.MASK;
    }
}

package io.npmgateway.auth;

import io.npmgateway.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes and checks the tokens the gateway hands out at {@code npm login}: {@code ngw1.<payload>.<signature>},
 * where the payload (base64url) is {@code <expiry epoch seconds>:<account tag>:<nonce>:<user name>} and the
 * signature is HMAC-SHA256 over {@code ngw1.<payload>} with the configured {@code clients.login.secret}.
 *
 * <p>Nothing is stored: any replica with the same secret accepts a token until it expires. The account tag is
 * derived from the user's password hash, so configuring a new password for a user also ends that user's
 * tokens; rotating the secret ends everyone's. Sits behind {@link ClientAuthenticator} on every request that
 * carries a token, and behind {@link LoginService} when a login succeeds.
 */
public final class LoginTokens {
    static final String PREFIX = "ngw1.";
    /** Longer presented tokens are not even parsed. */
    private static final int MAX_TOKEN_LENGTH = 512;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;
    private final Duration ttl;
    private final Clock clock;

    /**
     * @param secret the signing key; null for a random key that lives as long as this object (tokens are then
     *               accepted only by this process)
     */
    public LoginTokens(Secret secret, Duration ttl, Clock clock) {
        byte[] keyBytes;
        if (secret == null) {
            keyBytes = new byte[32];
            RANDOM.nextBytes(keyBytes);
        } else {
            keyBytes = secret.reveal().getBytes(StandardCharsets.UTF_8);
        }
        this.key = new SecretKeySpec(keyBytes, "HmacSHA256");
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A valid token and its parts. */
    public record Claims(String user, String accountTag, Instant expires) {
    }

    /** A new token for {@code user}, accepted until now + the configured lifetime. */
    public String issue(String user, String accountTag) {
        long expires = clock.instant().plus(ttl).getEpochSecond();
        byte[] nonce = new byte[9];
        RANDOM.nextBytes(nonce);
        String payload = expires + ":" + accountTag + ":" + B64.encodeToString(nonce) + ":" + user;
        String signed = PREFIX + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        return signed + "." + B64.encodeToString(mac(signed));
    }

    /** The claims of {@code token} when it is one of ours, correctly signed and not expired. */
    public Optional<Claims> verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) {
            return Optional.empty();
        }
        int dot = token.lastIndexOf('.');
        if (dot <= PREFIX.length()) {
            return Optional.empty();
        }
        String signed = token.substring(0, dot);
        byte[] signature;
        byte[] payload;
        try {
            signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
            payload = Base64.getUrlDecoder().decode(signed.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(signature, mac(signed))) {
            return Optional.empty();
        }
        String[] parts = new String(payload, StandardCharsets.UTF_8).split(":", 4);
        if (parts.length != 4) {
            return Optional.empty();
        }
        Instant expires;
        try {
            expires = Instant.ofEpochSecond(Long.parseLong(parts[0]));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(expires)) {
            return Optional.empty();
        }
        return Optional.of(new Claims(parts[3], parts[1], expires));
    }

    /** A short tag that changes whenever the account's password hash does (its salt is random each time). */
    public static String accountTag(byte[] salt) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(salt);
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public Duration ttl() {
        return ttl;
    }

    private byte[] mac(String signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(signed.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }
}

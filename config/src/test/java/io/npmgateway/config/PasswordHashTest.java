package io.npmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Login password hashes: PBKDF2 text form, checking, and what the configuration refuses. */
class PasswordHashTest {

    @Test
    void aHashMatchesItsPasswordOnlyAndSurvivesItsTextForm() {
        PasswordHash hash = PasswordHash.create("s3cret-Passw0rd é".toCharArray(), PasswordHash.MIN_ITERATIONS);
        PasswordHash parsed = PasswordHash.parse(hash.format());
        assertThat(parsed).isEqualTo(hash);
        assertThat(parsed.matches("s3cret-Passw0rd é")).isTrue();
        assertThat(parsed.matches("s3cret-Passw0rd e")).isFalse();
        assertThat(parsed.matches("")).isFalse();
        assertThat(parsed.matches(null)).isFalse();
        assertThat(hash.format()).startsWith("pbkdf2-sha256$10000$");
    }

    @Test
    void twoHashesOfOnePasswordDifferByTheirSalt() {
        PasswordHash a = PasswordHash.create("same".toCharArray(), PasswordHash.MIN_ITERATIONS);
        PasswordHash b = PasswordHash.create("same".toCharArray(), PasswordHash.MIN_ITERATIONS);
        assertThat(a.format()).isNotEqualTo(b.format());
        assertThat(b.matches("same")).isTrue();
    }

    @Test
    void theHashPrintsMasked() {
        PasswordHash hash = PasswordHash.create("x".toCharArray(), PasswordHash.MIN_ITERATIONS);
        assertThat(hash.toString()).isEqualTo("***");
    }

    @Test
    void malformedOrWeakHashesAreRefusedWithAReason() {
        String good = PasswordHash.create("x".toCharArray(), PasswordHash.MIN_ITERATIONS).format();
        String[] parts = good.split("\\$");
        assertThatThrownBy(() -> PasswordHash.parse("hunter2")).hasMessageContaining("is not a password hash");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$many$" + parts[2] + "$" + parts[3]))
                .hasMessageContaining("not a number");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$9999$" + parts[2] + "$" + parts[3]))
                .hasMessageContaining("at least 10000");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$10000$!!$" + parts[3]))
                .hasMessageContaining("not base64");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$10000$AAAA$" + parts[3]))
                .hasMessageContaining("salt shorter");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$10000$" + parts[2] + "$AAAA"))
                .hasMessageContaining("hash of 3 bytes");
    }
}

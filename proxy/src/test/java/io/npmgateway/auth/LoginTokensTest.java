package io.npmgateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.ClientTokens;
import io.npmgateway.config.PasswordHash;
import io.npmgateway.config.Secret;
import io.npmgateway.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Signed login tokens: accepted until they expire, by any holder of the same secret, and never when altered. */
class LoginTokensTest {
    private static final Secret SECRET = Secret.of("login-secret-0123456789abcdef-0123456");
    private final ManualClock clock = new ManualClock();

    @Test
    void aTokenIsAcceptedUntilItExpires() {
        LoginTokens tokens = new LoginTokens(SECRET, Duration.ofDays(1), clock);
        String token = tokens.issue("alice", "tag123");
        assertThat(tokens.verify(token)).hasValueSatisfying(c -> {
            assertThat(c.user()).isEqualTo("alice");
            assertThat(c.accountTag()).isEqualTo("tag123");
            assertThat(c.expires()).isEqualTo(clock.instant().plus(Duration.ofDays(1)));
        });
        clock.advance(Duration.ofDays(1).minusSeconds(1));
        assertThat(tokens.verify(token)).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(tokens.verify(token)).isEmpty();
    }

    @Test
    void anotherHolderOfTheSecretAcceptsItAndOtherKeysDoNot() {
        String token = new LoginTokens(SECRET, Duration.ofHours(1), clock).issue("alice", "t");
        assertThat(new LoginTokens(SECRET, Duration.ofHours(1), clock).verify(token)).isPresent();
        assertThat(new LoginTokens(Secret.of("another-secret-0123456789abcdef-0123"), Duration.ofHours(1), clock)
                .verify(token)).isEmpty();
        assertThat(new LoginTokens(null, Duration.ofHours(1), clock).verify(token)).isEmpty();
    }

    @Test
    void alteredOrForeignTokensAreRefused() {
        LoginTokens tokens = new LoginTokens(SECRET, Duration.ofHours(1), clock);
        String token = tokens.issue("alice", "t");
        String otherUser = tokens.issue("mallory", "t");
        String payloadOfOther = otherUser.substring(0, otherUser.lastIndexOf('.'));
        String signatureOfAlice = token.substring(token.lastIndexOf('.'));
        for (String bad : List.of(payloadOfOther + signatureOfAlice, token + "x", token.replace("ngw1.", "ngw2."),
                "ngw1.", "ngw1..", "ngw1.!!.!!", "a-configured-token", "", "ngw1." + "A".repeat(600) + ".x")) {
            assertThat(tokens.verify(bad)).as(bad).isEmpty();
        }
        assertThat(tokens.verify(null)).isEmpty();
    }

    @Test
    void theAuthenticatorEndsTokensOfRemovedUsersOrChangedPasswords() {
        PasswordHash hash = PasswordHash.create("pw".toCharArray(), PasswordHash.MIN_ITERATIONS);
        ClientTokens.LoginSettings login = new ClientTokens.LoginSettings(SECRET, Duration.ofDays(1));
        ClientAuthenticator before = ClientAuthenticator.of(new ClientTokens(List.of(),
                List.of(new ClientTokens.ClientUser("alice", hash)), login), clock);
        String token = before.loginTokens().issue("alice", LoginTokens.accountTag(hash.salt()));
        assertThat(before.authenticate(token)).contains("alice");

        ClientAuthenticator removed = ClientAuthenticator.of(new ClientTokens(List.of(),
                List.of(new ClientTokens.ClientUser("bob", hash)), login), clock);
        assertThat(removed.authenticate(token)).isEmpty();
        ClientAuthenticator newPassword = ClientAuthenticator.of(new ClientTokens(List.of(),
                List.of(new ClientTokens.ClientUser("alice",
                        PasswordHash.create("pw".toCharArray(), PasswordHash.MIN_ITERATIONS))), login), clock);
        assertThat(newPassword.authenticate(token)).isEmpty();
    }
}

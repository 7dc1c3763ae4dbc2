package io.npmgateway.upstream.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.UpstreamAuth;
import io.npmgateway.testing.LogCapture;
import io.npmgateway.testing.SecretLeaks;
import io.npmgateway.testing.ManualClock;
import io.npmgateway.testing.ManualScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real script in a temporary directory prints the token; the test moves the clock and runs due renewals. */
class TokenCommandCredentialsTest {
    private static final String FIRST = "cmd-token-first-5f1c";
    private static final String SECOND = "cmd-token-second-9a2e";

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private TokenCommandCredentials credentials;

    @BeforeEach
    void writeScript() throws Exception {
        // Prints the token file (with a trailing newline and spaces, which are trimmed) and exits with the status
        // file's number.
        Files.writeString(dir.resolve("token.sh"), "cat \"$1/token\"; echo '  '; exit \"$(cat \"$1/status\")\"\n");
        Files.writeString(dir.resolve("token"), FIRST);
        Files.writeString(dir.resolve("status"), "0");
        // ${TOKEN_DIR} is expanded at each run from the given environment, as the configuration keeps it.
        UpstreamAuth.TokenCommand command = new UpstreamAuth.TokenCommand(
                List.of("sh", "${TOKEN_DIR}/token.sh", "${TOKEN_DIR}"), Duration.ofMinutes(10));
        credentials = new TokenCommandCredentials("vault", command, Map.of("TOKEN_DIR", dir.toString()), clock,
                scheduler);
    }

    @Test
    void theCommandsOutputIsTheBearerTokenAndItIsRerunEveryRefreshInterval() throws Exception {
        try (LogCapture logs = new LogCapture()) {
            credentials.start();
            assertThat(credentials.ready()).isNotDone();
            scheduler.runDue();
            assertThat(credentials.ready()).isDone();
            assertThat(credentials.authorization()).hasValue("Bearer " + FIRST);
            assertThat(credentials.secondsUntilExpiry()).as("a command token has no known expiry").isNaN();
            assertThat(scheduler.pending()).extracting(ManualScheduler.Task::due)
                    .containsExactly(clock.instant().plus(Duration.ofMinutes(10)));

            Files.writeString(dir.resolve("token"), SECOND);
            clock.advance(Duration.ofMinutes(9));
            scheduler.runDue();
            assertThat(credentials.authorization()).as("not due yet").hasValue("Bearer " + FIRST);
            clock.advance(Duration.ofMinutes(1));
            scheduler.runDue();
            assertThat(credentials.authorization()).hasValue("Bearer " + SECOND);
            assertThat(credentials.renewalFailures()).isZero();

            SecretLeaks leaks = SecretLeaks.of(FIRST, SECOND);
            leaks.assertNotInLogs(logs);
            leaks.assertNotIn("the credentials' string form", credentials.toString());
        }
    }

    @Test
    void aFailingRunKeepsTheOldTokenCountsTheFailureAndRetriesSooner() throws Exception {
        try (LogCapture logs = new LogCapture()) {
            credentials.start();
            scheduler.runDue();
            Files.writeString(dir.resolve("token"), SECOND);
            Files.writeString(dir.resolve("status"), "3");
            clock.advance(Duration.ofMinutes(10));
            scheduler.runDue();
            assertThat(credentials.authorization()).hasValue("Bearer " + FIRST);
            assertThat(credentials.renewalFailures()).isEqualTo(1);
            assertThat(scheduler.pending()).extracting(ManualScheduler.Task::due)
                    .containsExactly(clock.instant().plus(Duration.ofSeconds(30)));
            assertThat(logs.lines()).anyMatch(l -> l.contains("'vault'") && l.contains("exited with status 3")
                    && l.contains("keeping the current token"));

            Files.writeString(dir.resolve("status"), "0");
            clock.advance(Duration.ofSeconds(30));
            scheduler.runDue();
            assertThat(credentials.authorization()).hasValue("Bearer " + SECOND);
            assertThat(credentials.renewalFailures()).isEqualTo(1);
            // The output of the failed run (which printed the second token) reached no log line either.
            SecretLeaks leaks = SecretLeaks.of(FIRST, SECOND);
            leaks.assertNotInLogs(logs);
            leaks.assertNotIn("the credentials' string form", credentials.toString());
        }
    }

    @Test
    void withoutAnyTokenYetTheReasonIsKnownAndNoHeaderIsGiven() throws Exception {
        Files.writeString(dir.resolve("token"), "");
        credentials.start();
        scheduler.runDue();
        assertThat(credentials.authorization()).isEmpty();
        assertThat(credentials.unavailableReason()).contains("printed no token");
        assertThat(credentials.renewalFailures()).isEqualTo(1);
        assertThat(credentials.ready()).as("the first attempt has ended").isDone();
    }

    @Test
    void concurrentCallersPastTheRenewalTimeStartOneRenewal() throws Exception {
        credentials.start();
        scheduler.runDue();
        clock.advance(Duration.ofMinutes(10));
        for (int i = 0; i < 20; i++) {
            credentials.authorization();
        }
        // The scheduled renewal plus the single one the callers started; both find the same due time.
        assertThat(scheduler.pending()).hasSize(2);
        Files.writeString(dir.resolve("token"), SECOND);
        scheduler.runDue();
        assertThat(credentials.authorization()).hasValue("Bearer " + SECOND);
        assertThat(scheduler.pending()).as("one renewal planned").hasSize(1);
    }

    /** Starts the credentials and runs the first command, which gives {@link #FIRST}. */
    private void startedWithTheFirstToken() throws Exception {
        credentials.start();
        scheduler.runDue();
    }

    /** Tells the credentials the upstream refused {@code token}, and runs the renewal that may start. */
    private CompletableFuture<Boolean> refusedThenRenewed(String token) {
        var renewed = credentials.renewAfterRefusal("Bearer " + token);
        scheduler.runDue();
        return renewed;
    }

    @Test
    void aRefusedTokenIsRenewedAtOnceAndConcurrentRefusalsShareTheRenewal() throws Exception {
        startedWithTheFirstToken();
        Files.writeString(dir.resolve("token"), SECOND);

        var first = credentials.renewAfterRefusal("Bearer " + FIRST);
        var second = credentials.renewAfterRefusal("Bearer " + FIRST);
        assertThat(first).isNotDone();
        scheduler.runDue();

        assertThat(first).isCompletedWithValue(true);
        assertThat(second).isCompletedWithValue(true);
        assertThat(credentials.authorization()).hasValue("Bearer " + SECOND);
        assertThat(credentials.renewAfterRefusal("Bearer " + FIRST))
                .as("a request that carried the old token goes again with the new one, without renewing")
                .isCompletedWithValue(true);
        assertThat(scheduler.pending()).as("only the planned renewal").hasSize(1);
    }

    @Test
    void aRefusedTokenIsNotRenewedAgainWithinThirtySecondsOfTheLastRefusalRenewal() throws Exception {
        startedWithTheFirstToken();
        Files.writeString(dir.resolve("token"), SECOND);
        assertThat(refusedThenRenewed(FIRST)).isCompletedWithValue(true);

        clock.advance(Duration.ofSeconds(29));
        assertThat(credentials.renewAfterRefusal("Bearer " + SECOND)).isCompletedWithValue(false);
        assertThat(scheduler.pending()).hasSize(1);

        clock.advance(Duration.ofSeconds(1));
        Files.writeString(dir.resolve("token"), FIRST);
        assertThat(refusedThenRenewed(SECOND)).isCompletedWithValue(true);
        assertThat(credentials.authorization()).hasValue("Bearer " + FIRST);
    }

    @Test
    void aRenewalThatBringsTheSameTokenOrFailsDoesNotSendTheRequestAgain() throws Exception {
        startedWithTheFirstToken();
        assertThat(refusedThenRenewed(FIRST)).isCompletedWithValue(false);

        clock.advance(Duration.ofSeconds(30));
        Files.writeString(dir.resolve("status"), "1");
        assertThat(refusedThenRenewed(FIRST)).isCompletedWithValue(false);
        assertThat(credentials.authorization()).as("kept").hasValue("Bearer " + FIRST);
    }
}

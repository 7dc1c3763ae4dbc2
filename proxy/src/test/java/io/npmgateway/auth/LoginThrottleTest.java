package io.npmgateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Failed logins: a few are free, then each one locks the address out twice as long, up to a cap. */
class LoginThrottleTest {
    private final ManualClock clock = new ManualClock();
    private final LoginThrottle throttle = new LoginThrottle(clock);

    @Test
    void theFirstFailuresAreFreeThenTheLockDoubles() {
        for (int i = 0; i < LoginThrottle.FREE_FAILURES; i++) {
            throttle.failed("10.0.0.1 alice");
            assertThat(throttle.waitBefore("10.0.0.1 alice")).isZero();
        }
        throttle.failed("10.0.0.1 alice");
        assertThat(throttle.waitBefore("10.0.0.1 alice")).isEqualTo(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(throttle.waitBefore("10.0.0.1 alice")).isZero();
        throttle.failed("10.0.0.1 alice");
        assertThat(throttle.waitBefore("10.0.0.1 alice")).isEqualTo(Duration.ofSeconds(2));
        assertThat(throttle.waitBefore("10.0.0.2 alice")).as("another address").isZero();
    }

    @Test
    void theLockIsCappedAndASuccessClearsIt() {
        for (int i = 0; i < 40; i++) {
            throttle.failed("a");
        }
        assertThat(throttle.waitBefore("a")).isEqualTo(LoginThrottle.MAX_LOCK);
        throttle.succeeded("a");
        assertThat(throttle.waitBefore("a")).isZero();
    }
}

package io.npmgateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UpstreamHealthTest {
    private final ManualClock clock = new ManualClock();
    private final UpstreamHealth health = new UpstreamHealth(clock::nanos);

    private void fail(int times) {
        for (int i = 0; i < times; i++) {
            assertThat(health.tryAcquire()).isTrue();
            health.failure(UpstreamFailure.CONNECT);
        }
    }

    @Test
    void threeFailuresInARowMarkItDownAndItIsNotAskedDuringTheCoolDown() {
        fail(2);
        assertThat(health.isUp()).isTrue();
        fail(1);
        assertThat(health.isUp()).isFalse();
        assertThat(health.state()).isEqualTo(UpstreamHealth.State.DOWN);
        assertThat(health.tryAcquire()).isFalse();
        assertThat(health.secondsUntilProbe()).isEqualTo(30);
        clock.advance(Duration.ofSeconds(29));
        assertThat(health.tryAcquire()).isFalse();
        assertThat(health.secondsUntilProbe()).isEqualTo(1);
    }

    @Test
    void afterTheCoolDownOneProbeGoesOutAndItsSuccessBringsTheUpstreamBack() {
        fail(3);
        clock.advance(Duration.ofSeconds(30));
        assertThat(health.tryAcquire()).as("the probe").isTrue();
        assertThat(health.state()).isEqualTo(UpstreamHealth.State.PROBING);
        assertThat(health.tryAcquire()).as("others while the probe is out").isFalse();
        health.success();
        assertThat(health.state()).isEqualTo(UpstreamHealth.State.UP);
        assertThat(health.tryAcquire()).isTrue();
    }

    @Test
    void aFailedProbeDoublesTheCoolDownUpToFiveMinutes() {
        fail(3);
        long[] expected = {60, 120, 240, 300, 300};
        for (long seconds : expected) {
            clock.advance(Duration.ofSeconds(health.secondsUntilProbe()));
            assertThat(health.tryAcquire()).isTrue();
            health.failure(UpstreamFailure.TIMEOUT);
            assertThat(health.secondsUntilProbe()).isEqualTo(seconds);
            assertThat(health.tryAcquire()).isFalse();
        }
        clock.advance(Duration.ofMinutes(5));
        assertThat(health.tryAcquire()).isTrue();
        health.failure(UpstreamFailure.UNAUTHORIZED); // an answer, even a refusal, means it is reachable
        assertThat(health.isUp()).isTrue();
        fail(3);
        assertThat(health.secondsUntilProbe()).as("the cool-down starts over").isEqualTo(30);
    }

    @Test
    void aProbeThatNeverReportsIsReplacedAfterACoolDown() {
        fail(3);
        clock.advance(Duration.ofSeconds(30));
        assertThat(health.tryAcquire()).isTrue();
        clock.advance(Duration.ofSeconds(29));
        assertThat(health.tryAcquire()).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(health.tryAcquire()).isTrue();
    }

    @Test
    void answersThatAreNotOutagesEndARun() {
        fail(2);
        health.failure(UpstreamFailure.STATUS_4XX);
        fail(2);
        assertThat(health.isUp()).isTrue();
        assertThat(health.lastFailure()).isEqualTo(UpstreamFailure.CONNECT);
    }
}

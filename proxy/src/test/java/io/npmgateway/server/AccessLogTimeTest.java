package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The access log's timestamps are what {@link Instant#toString()} would write, milliseconds always shown. */
class AccessLogTimeTest {
    @Test
    void timestampsAreUtcIsoInstantsWithThreeDigitMilliseconds() {
        assertThat(AccessLogTime.format(0)).isEqualTo("1970-01-01T00:00:00.000Z");
        assertThat(AccessLogTime.format(1_234_567_890_005L)).isEqualTo("2009-02-13T23:31:30.005Z");
        assertThat(AccessLogTime.format(1_234_567_890_050L)).isEqualTo("2009-02-13T23:31:30.050Z");
        assertThat(AccessLogTime.format(1_234_567_891_999L)).isEqualTo("2009-02-13T23:31:31.999Z");
        long now = System.currentTimeMillis();
        assertThat(Instant.parse(AccessLogTime.format(now)).toEpochMilli()).isEqualTo(now);
    }
}

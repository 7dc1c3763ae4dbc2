package io.npmgateway.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand, so renewal, expiry and cool-downs are checked without waiting. */
public final class ManualClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    public void advance(Duration d) {
        now = now.plus(d);
    }

    /** {@link #instant()} in nanoseconds since the start instant: a monotonic ticker moved by {@link #advance}. */
    public long nanos() {
        return Duration.between(Instant.parse("2026-01-01T00:00:00Z"), now).toNanos();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}

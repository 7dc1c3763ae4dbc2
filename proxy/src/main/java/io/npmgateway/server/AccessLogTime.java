package io.npmgateway.server;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The timestamp at the start of each access-log line ({@link RequestObserver}), in UTC ISO-8601 with milliseconds
 * ({@code 2026-11-22T04:12:00.123Z}), so that a log shipper gets a date and a time zone without guessing. The line is
 * formatted on the event loop of every request, so the date-and-second part is formatted once per second and reused;
 * only the milliseconds are appended per line.
 */
final class AccessLogTime {
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    /** One second's formatted prefix; replaced whole, so readers on other threads never see half of it. */
    private record Second(long epochSecond, String text) {
    }

    private static volatile Second current = new Second(Long.MIN_VALUE, "");

    private AccessLogTime() {
    }

    static String format(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        int millis = (int) Math.floorMod(epochMillis, 1000);
        Second s = current;
        if (s.epochSecond() != second) {
            s = new Second(second, SECOND.format(Instant.ofEpochSecond(second)));
            current = s;
        }
        StringBuilder out = new StringBuilder(24).append(s.text()).append('.');
        if (millis < 100) {
            out.append('0');
        }
        if (millis < 10) {
            out.append('0');
        }
        return out.append(millis).append('Z').toString();
    }
}

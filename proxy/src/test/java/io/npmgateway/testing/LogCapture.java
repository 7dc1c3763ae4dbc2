package io.npmgateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Everything the gateway logs while it is open, from every logger (a {@link ListAppender} on the root logger), at
 * DEBUG and above for the gateway's and the AWS SDK's loggers, so a test can prove a secret reached no log line.
 */
public final class LogCapture implements AutoCloseable {
    private static final String[] VERBOSE = {"io.npmgateway", "software.amazon.awssdk"};

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger access = (Logger) LoggerFactory.getLogger("npm-gateway.access");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final List<Level> previousLevels = new ArrayList<>();

    public LogCapture() {
        appender.setName("test-capture");
        appender.start();
        root.addAppender(appender);
        // The access log does not pass its lines on to the root logger (additivity="false"): listen to it directly.
        access.addAppender(appender);
        for (String name : VERBOSE) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            previousLevels.add(logger.getLevel());
            logger.setLevel(Level.DEBUG);
        }
    }

    /** Every captured line: the formatted message, and the class and message of each throwable in its chain. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent event : List.copyOf(appender.list)) {
            StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ')
                    .append(event.getFormattedMessage());
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /** Fails if any captured line contains {@code secret}. */
    public void assertNeverContains(String secret) {
        assertThat(lines()).as("log lines").noneMatch(line -> line.contains(secret));
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        access.detachAppender(appender);
        appender.stop();
        for (int i = 0; i < VERBOSE.length; i++) {
            ((Logger) LoggerFactory.getLogger(VERBOSE[i])).setLevel(previousLevels.get(i));
        }
    }
}

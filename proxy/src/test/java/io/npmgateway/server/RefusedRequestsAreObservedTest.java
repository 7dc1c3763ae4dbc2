package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.npmgateway.config.OperationsConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.testing.RawHttp;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Requests the pipeline refuses before any route sees them (a malformed or too slow head, a body over its limit, an
 * oversized head) still get their one access-log line and their count in {@code npm_gateway_requests_seconds}, so a
 * flood of them is visible to an operator.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RefusedRequestsAreObservedTest extends GatewayHttpTest {
    private static final Pattern REFUSED_COUNT = Pattern.compile(
            "npm_gateway_requests_seconds_count\\{cache=\"none\",route=\"other\",status=\"4xx\"} ([0-9.]+)");

    private final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();

    @BeforeEach
    void start() {
        accessLog.start();
        ((Logger) LoggerFactory.getLogger("npm-gateway.access")).addAppender(accessLog);
        startGatewayWith(new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024, 1024 * 1024,
                Duration.ofSeconds(1)), Duration.ofSeconds(5), OperationsConfig.defaults());
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger("npm-gateway.access")).detachAppender(accessLog);
    }

    @Test
    void aMalformedHeadRefusedWith400IsLoggedOnceAndCounted() throws Exception {
        assertThat(refuse("GET /-/ping HTTP/1.1\nHost: g\n\n")).isEqualTo(400);
        assertOneLineAndOneCount("- - 400 ");
    }

    @Test
    void aHeadThatMissesItsDeadlineRefusedWith408IsLoggedOnceAndCounted() throws Exception {
        try (RawHttp c = new RawHttp(port(), 200)) {
            c.send("GET /-/ping HTTP/1.1\r\nHost: g\r\n");
            RawHttp.Response r = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (r == null && System.nanoTime() < deadline) {
                try {
                    r = c.read();
                } catch (SocketTimeoutException notYet) {
                    // the head deadline (1 s) has not passed yet
                }
            }
            assertThat(r).isNotNull();
            assertThat(r.status()).isEqualTo(408);
        }
        assertOneLineAndOneCount("- - 408 ");
    }

    @Test
    void aBodyDeclaredOverItsLimitRefusedWith413IsLoggedOnceWithItsMethodAndPathAndCounted() throws Exception {
        assertThat(refuse("PUT /left-pad HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: "
                + (2 * 1024 * 1024) + "\r\nExpect: 100-continue\r\n\r\n")).isEqualTo(413);
        assertOneLineAndOneCount("PUT /left-pad 413 ");
    }

    @Test
    void aReadWithABodyOverItsLimitRefusedWith413IsLoggedOnceAndCounted() throws Exception {
        // The head passes (no declared length); the chunked body goes over the read methods' 64 KB while arriving.
        try (RawHttp c = new RawHttp(port(), 10_000)) {
            c.send("OPTIONS /left-pad HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = new byte[256 * 1024];
            java.util.Arrays.fill(chunk, (byte) 'a');
            c.send(Integer.toHexString(chunk.length) + "\r\n");
            c.send(chunk);
            c.send(Integer.toHexString(chunk.length) + "\r\n");
            c.send(chunk);
            c.send("\r\n0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(413);
        }
        assertOneLineAndOneCount("OPTIONS /left-pad 413 ");
    }

    @Test
    void anOversizedHeadRefusedWith431IsLoggedOnceAndCounted() throws Exception {
        assertThat(refuse("GET /-/ping HTTP/1.1\r\nHost: g\r\n" + "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                .repeat(1000) + "\r\n")).isEqualTo(431);
        assertOneLineAndOneCount(" 431 ");
    }

    private int port() {
        return gateway.localAddress().getPort();
    }

    private int refuse(String request) throws IOException {
        try (RawHttp c = new RawHttp(port(), 10_000)) {
            c.send(request);
            return c.read().status();
        }
    }

    /**
     * The refused request has exactly one access-log line (a later request's line shows that no second one was
     * still on its way) and exactly one count as a 4xx of route other.
     */
    private void assertOneLineAndOneCount(String expected) throws Exception {
        waitForLines(1);
        assertThat(get("-/ping").statusCode()).isEqualTo(200);
        waitForLines(2);
        List<String> lines = accessLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains(expected).contains("cache=none upstream=-");
        assertThat(lines.get(1)).contains("GET /-/ping 200");
        Matcher count = REFUSED_COUNT.matcher(text(get("metrics")));
        assertThat(count.find()).as("a 4xx count of route other in the scrape").isTrue();
        assertThat(Double.parseDouble(count.group(1))).isEqualTo(1.0);
    }

    /** The line is written once the answer has gone out, so the client may see the answer first. */
    private void waitForLines(int n) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (accessLog.list.size() < n) {
            assertThat(System.nanoTime()).as("%d access-log lines within 10 s", n).isLessThan(deadline);
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}

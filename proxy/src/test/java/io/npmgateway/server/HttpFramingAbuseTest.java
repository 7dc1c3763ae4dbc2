package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.OperationsConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.testing.RawHttp;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * HTTP-level abuse of the real server over raw sockets, so nothing normalises what is sent: request smuggling
 * attempts (framing a proxy in front could read differently from the gateway) are refused with one 400 JSON error
 * and the connection closed, never answered as two requests; oversized request lines, heads and bodies get 414,
 * 431 and 413.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HttpFramingAbuseTest extends GatewayHttpTest {
    /** A request the gateway answers 200 with no upstream work: what a smuggled request would be. */
    private static final String HIDDEN = "GET /-/ping HTTP/1.1\r\nHost: g\r\n\r\n";
    private static final String AUDIT = "POST /-/npm/v1/security/advisories/bulk HTTP/1.1\r\nHost: g\r\n"
            + "Content-Type: application/json\r\n";

    /** One smuggling attempt: the bytes sent, all in one write; each ends with a request that must not be answered. */
    enum Smuggling {
        CONTENT_LENGTH_AND_CHUNKED(AUDIT + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + HIDDEN),
        CHUNKED_AND_CONTENT_LENGTH(AUDIT + "Transfer-Encoding: chunked\r\nContent-Length: 39\r\n\r\n0\r\n\r\n" + HIDDEN),
        DUPLICATE_EQUAL_CONTENT_LENGTH(AUDIT + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}" + HIDDEN),
        CONFLICTING_CONTENT_LENGTH(AUDIT + "Content-Length: 2\r\nContent-Length: 36\r\n\r\n{}" + HIDDEN),
        CONTENT_LENGTH_LIST(AUDIT + "Content-Length: 2, 36\r\n\r\n{}" + HIDDEN),
        CHUNKED_THEN_IDENTITY(AUDIT + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + HIDDEN),
        IDENTITY_THEN_CHUNKED(AUDIT + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n" + HIDDEN),
        CHUNKED_TWICE(AUDIT + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + HIDDEN),
        UNKNOWN_TRANSFER_CODING(AUDIT + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + HIDDEN),
        SPACE_BEFORE_COLON(AUDIT + "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + HIDDEN),
        OBS_FOLD_TRANSFER_ENCODING(AUDIT + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + HIDDEN),
        OBS_FOLD_ORDINARY_HEADER("GET /-/ping HTTP/1.1\r\nHost: g\r\nX-Note: one\r\n\ttwo\r\n\r\n" + HIDDEN),
        BARE_LF_EVERYWHERE("GET /-/ping HTTP/1.1\nHost: g\n\n" + HIDDEN),
        BARE_LF_IN_ONE_HEADER("GET /-/ping HTTP/1.1\r\nHost: g\nX-Note: y\r\n\r\n" + HIDDEN),
        BARE_CR_IN_ONE_HEADER("GET /-/ping HTTP/1.1\r\nHost: g\rX-Note: y\r\n\r\n" + HIDDEN),
        NUL_IN_A_HEADER("GET /-/ping HTTP/1.1\r\nHost: g\r\nX-Note: a\u0000b\r\n\r\n" + HIDDEN),
        REQUEST_HIDDEN_IN_A_GET_BODY("GET /-/ping HTTP/1.1\r\nHost: g\r\nContent-Length: " + HIDDEN.length()
                + "\r\n\r\n" + HIDDEN),
        CHUNKED_GET("GET /-/ping HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(HIDDEN.length()) + "\r\n" + HIDDEN + "\r\n0\r\n\r\n" + HIDDEN),
        INVALID_CHUNK_SIZE(AUDIT + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n" + HIDDEN),
        OVERFLOWING_CHUNK_SIZE(AUDIT + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n{}\r\n0\r\n\r\n"
                + HIDDEN);

        final String bytes;

        Smuggling(String bytes) {
            this.bytes = bytes;
        }
    }

    @BeforeEach
    void start() {
        startGatewayWith(new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(30), 16 * 1024, 1024 * 1024),
                Duration.ofSeconds(5), OperationsConfig.defaults());
    }

    private int port() {
        return gateway.localAddress().getPort();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Smuggling.class)
    void smugglingAttemptGetsOne400JsonErrorAndTheConnectionClosed(Smuggling attempt) throws Exception {
        try (RawHttp c = new RawHttp(port(), 10_000)) {
            c.send(attempt.bytes);

            RawHttp.Response r = c.read();
            assertThat(r).as("a response").isNotNull();
            assertThat(r.status()).as(r.text()).isEqualTo(400);
            assertThat(r.headers()).containsEntry("content-type", "application/json");
            assertThat(r.text()).startsWith("{\"error\":\"malformed HTTP request");
            assertThat(nextResponseOrClose(c)).as("the hidden request was not answered").isNull();
        }
    }

    @Test
    void wellFramedPipelinedRequestsAreEachAnsweredInOrder() throws Exception {
        // The control for the test above: two well-framed requests in one write are two answers.
        try (RawHttp c = new RawHttp(port(), 10_000)) {
            c.send(AUDIT.replace("POST", "GET").replace("/-/npm/v1/security/advisories/bulk", "/-/ping")
                    + "Content-Length: 0\r\n\r\n" + HIDDEN);
            assertThat(c.read().status()).isEqualTo(200);
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void overLongRequestLineGets414AndTheConnectionClosed() throws Exception {
        try (RawHttp c = new RawHttp(port(), 10_000)) {
            c.send("GET /" + "a".repeat(GatewayPipeline.MAX_INITIAL_LINE + 10) + " HTTP/1.1\r\nHost: g\r\n\r\n" + HIDDEN);
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(414);
            assertThat(r.text()).contains("\"error\"");
            assertThat(nextResponseOrClose(c)).isNull();
        }
    }

    @Test
    void oversizedHeadersGet431ThatTheClientCanReadAndTheConnectionClosed() throws Exception {
        try (RawHttp c = new RawHttp(port(), 10_000)) {
            // Far more than the limit, all sent before reading: closing with these bytes unread would reset the
            // connection and could destroy the 431 before the client reads it.
            c.send("GET /-/ping HTTP/1.1\r\nHost: g\r\n" + "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                    .repeat(10_000) + "\r\n" + HIDDEN);
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.text()).contains("\"error\"");
            assertThat(nextResponseOrClose(c)).isNull();
        }
    }

    @Test
    void oversizedBodyOnAWriteRouteGets413JsonAndTheConnectionClosed() throws Exception {
        int declared = 2 * 1024 * 1024;
        try (RawHttp c = new RawHttp(port(), 10_000)) {
            c.send("PUT /left-pad HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: "
                    + declared + "\r\n\r\n");
            c.send(new byte[64 * 1024]);
            RawHttp.Response r = c.read();
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.headers()).containsEntry("content-type", "application/json");
            assertThat(r.text()).contains("larger than the " + (1024 * 1024) + " bytes");
            // The rest of the body is read and dropped, then the connection closes.
            c.send(new byte[declared - 64 * 1024]);
            assertThat(nextResponseOrClose(c)).isNull();
        }
    }

    /** The next response on the connection, or null when the server closed it (EOF or reset) instead. */
    private static RawHttp.Response nextResponseOrClose(RawHttp c) {
        try {
            return c.read();
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("the connection was neither answered nor closed within the read timeout");
        } catch (IOException e) {
            return null;
        }
    }

}

package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.OperationsConfig;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.testing.RawHttp;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slowloris client, dribbling the bytes of a request head one at a time, more often than the idle timeout: the
 * gateway closes it (408) once the head deadline passes, and serves other clients in the meantime.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SlowClientTest extends GatewayHttpTest {
    private static final Duration IDLE = Duration.ofSeconds(3);
    private static final Duration HEAD_DEADLINE = Duration.ofSeconds(1);
    /** How often the dribbler sends a byte: well inside the idle timeout, so only the head deadline can stop it. */
    private static final int DRIBBLE_MILLIS = 200;

    @Test
    void slowlorisClientIsClosedByTheHeadDeadlineWhileOthersAreServed() throws Exception {
        startGatewayWith(new ServerConfig("127.0.0.1", 0, null, IDLE, 16 * 1024, 1024 * 1024, HEAD_DEADLINE),
                Duration.ofSeconds(5), OperationsConfig.defaults());
        String head = "GET /-/ping HTTP/1.1\r\nHost: g\r\nX-Slow: " + "s".repeat(1000) + "\r\n\r\n";
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        try (RawHttp slow = new RawHttp(gateway.localAddress().getPort(), DRIBBLE_MILLIS)) {
            int sent = 0;
            RawHttp.Response answer = null;
            boolean othersServed = false;
            while (answer == null && System.nanoTime() < deadline) {
                try {
                    slow.send(head.substring(sent, sent + 1));
                    sent++;
                } catch (IOException closed) {
                    break;
                }
                if (!othersServed && sent == 3) {
                    // Another client, while the dribbler holds its connection.
                    HttpResponse<byte[]> other = get("-/ping");
                    assertThat(other.statusCode()).isEqualTo(200);
                    othersServed = true;
                }
                try {
                    // Waits up to one dribble period for the server to answer: the pacing of the dribble.
                    answer = slow.read();
                    if (answer == null) {
                        break;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // No answer yet: send the next byte.
                }
            }
            assertThat(othersServed).isTrue();
            assertThat(sent).as("the head was never completed").isLessThan(head.length());
            assertThat(answer).as("an answer before the dribbler's deadline (%d bytes sent)", sent).isNotNull();
            assertThat(answer.status()).isEqualTo(408);
            assertThat(answer.text()).contains("\"error\"").contains("did not arrive within");
            slow.socket().setSoTimeout(10_000);
            assertThat(slow.closedByServer()).as("the connection is closed after the 408").isTrue();
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        startGatewayWith(new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(1), 16 * 1024, 1024 * 1024,
                HEAD_DEADLINE), Duration.ofSeconds(5), OperationsConfig.defaults());
        try (RawHttp idle = new RawHttp(gateway.localAddress().getPort(), 15_000)) {
            idle.send("GET /-/ping HTTP/1.1\r\nHost: g\r\n\r\n");
            assertThat(idle.read().status()).isEqualTo(200);
            // Nothing more is sent; the gateway must hang up on its own, well before the 15 s read timeout.
            assertThat(idle.closedByServer()).isTrue();
        }
    }
}

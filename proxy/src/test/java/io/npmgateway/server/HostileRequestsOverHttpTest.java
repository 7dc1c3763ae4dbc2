package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.npmgateway.testing.HostileInputs;
import io.npmgateway.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The property tests of path parsing, run against the real server over raw sockets so nothing normalises what is
 * sent: request targets from {@link HostileInputs} (traversal in every encoding, NUL and control bytes, CR/LF, invalid
 * UTF-8, over-long names) with absurd {@code Accept} and {@code Range} headers. Every request gets an answer within
 * the read timeout (no hang), never a 5xx, and every 4xx is a JSON {@code {"error": "..."}}; the well-formed ones get
 * the right bytes (the gateway ignores {@code Range} and sends the whole tarball, which HTTP allows).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileRequestsOverHttpTest extends GatewayHttpTest {
    private static final long SEED = 0x5eed_0808L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private Map<String, byte[]> tarballs;

    @BeforeEach
    void start() {
        tarballs = upstream.publish("left-pad", "1.0.0");
        upstream.publish("@corp/widget", "2.0.0");
        startGateway();
    }

    @Test
    void hostileRequestTargetsAndHeadersGetAnAnswerThatIsNeverA5xxAndEveryErrorIsJson() throws Exception {
        HostileInputs inputs = new HostileInputs(SEED);
        for (int i = 0; i < 600; i++) {
            // Half the targets have their raw bytes percent-encoded, so they get past the HTTP layer to the parser;
            // most header values lose their control bytes, which would have the request refused before routing.
            String target = inputs.nextInt(2) == 0 ? inputs.path() : percentEncodeRaw(inputs.path());
            String method = inputs.nextInt(5) == 0 ? "HEAD" : "GET";
            String accept = inputs.nextInt(4) == 0 ? inputs.accept() : noControls(inputs.accept());
            String range = inputs.nextInt(4) == 0 ? inputs.range() : noControls(inputs.range());
            String request = method + " " + target + " HTTP/1.1\r\nHost: g\r\nAccept: " + accept
                    + "\r\nRange: " + range + "\r\nConnection: close\r\n\r\n";
            RawHttp.Response r = exchange(request, i, method.equals("HEAD"));
            checkAnswer(r, request, i, method.equals("HEAD"));
        }
    }

    @Test
    void absurdRangeAndAcceptOnARealTarballAndPackumentGetTheWholeRightAnswer() throws Exception {
        HostileInputs inputs = new HostileInputs(SEED + 1);
        byte[] tgz = tarballs.get("1.0.0");
        for (int i = 0; i < 200; i++) {
            String range = noControls(inputs.range());
            String request = "GET /left-pad/-/left-pad-1.0.0.tgz HTTP/1.1\r\nHost: g\r\nRange: " + range
                    + "\r\nAccept: " + noControls(inputs.accept()) + "\r\nConnection: close\r\n\r\n";
            RawHttp.Response r = exchange(request, i, false);
            checkAnswer(r, request, i, false);
            if (r.status() == 200) {
                assertThat(r.body()).as("try %d: %s", i, visible(request)).isEqualTo(tgz);
            }
            String accept = noControls(inputs.accept());
            request = "GET /@corp%2fwidget HTTP/1.1\r\nHost: g\r\nAccept: " + accept + "\r\nRange: " + range
                    + "\r\nConnection: close\r\n\r\n";
            r = exchange(request, i, false);
            checkAnswer(r, request, i, false);
            if (r.status() == 200) {
                assertThat(r.headers().get("content-type")).isIn("application/json",
                        "application/vnd.npm.install-v1+json");
                assertThat(JSON.readTree(r.body()).path("name").asText()).isEqualTo("@corp/widget");
            }
        }
    }

    private RawHttp.Response exchange(String request, int index, boolean head) throws Exception {
        try (RawHttp c = new RawHttp(gateway.localAddress().getPort(), 10_000)) {
            c.send(latin1(request));
            RawHttp.Response r = c.read(head);
            if (r == null) {
                fail("try " + index + ": the connection closed without an answer to " + visible(request));
            }
            return r;
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("try " + index + ": no answer within 10 s to " + visible(request), e);
        }
    }

    private static void checkAnswer(RawHttp.Response r, String request, int index, boolean head) throws Exception {
        String what = "try " + index + ": " + visible(request) + " -> " + r.status() + " " + r.text();
        assertThat(r.status()).as(what).isBetween(200, 499);
        if (r.status() >= 400 && !head) {
            assertThat(r.headers().get("content-type")).as(what).isEqualTo("application/json");
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertThat(error).as(what).isNotNull();
            assertThat(error.isTextual()).as(what).isTrue();
            assertThat(error.asText()).as(what).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    /** Percent-encodes (as UTF-8) what may not appear raw in a request target: controls, space, non-ASCII. */
    private static String percentEncodeRaw(String path) {
        StringBuilder out = new StringBuilder();
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int u = b & 0xff;
            out.append(u <= 0x20 || u >= 0x7f ? String.format("%%%02X", u) : String.valueOf((char) u));
        }
        return out.toString();
    }

    private static String noControls(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return out.toString();
    }

    /** One byte per character, as a raw client would put them on the wire; beyond Latin-1, the UTF-8 bytes. */
    private static byte[] latin1(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        for (char c : text.toCharArray()) {
            if (c < 0x100) {
                out.write(c);
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    private static String visible(String input) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : input.toCharArray()) {
            out.append(c < 0x20 || c >= 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        String s = out.append('"').toString();
        return s.length() > 600 ? s.substring(0, 600) + "..." : s;
    }
}

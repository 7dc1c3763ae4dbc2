package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.npmgateway.faults.UpstreamStub;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 100 MB packument from the upstream, against a real gateway process with its 256 MB heap: streamed by the stub
 * as it is generated (neither the stub nor the test holds it), once with its length declared and once chunked.
 * The gateway's heap is 256 MB and a document is held several times over while it is rewritten, so its answer is a
 * 502 saying the document exceeds what it accepts: before reading the body when the length is declared, after a
 * fifth of its heap when it is not.
 * The gateway answers each with a JSON error saying the document is too large for it (or with the document), stays
 * up without running out of memory, caches nothing of it, and goes on serving other packages.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HugePackumentTest {
    /** About 1.1 KB per version: 95,000 versions make a document of about 100 MB. */
    private static final int VERSIONS = 95_000;

    @TempDir
    Path tempDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aHundredMegabytePackumentGetsAClearAnswerAndTheGatewayStaysUpWithinItsHeap() throws Exception {
        try (UpstreamStub upstream = new UpstreamStub()) {
            HugeDocument declared = new HugeDocument("huge-declared", upstream.url(), true);
            HugeDocument chunked = new HugeDocument("huge-chunked", upstream.url(), false);
            assertThat(declared.length()).isGreaterThan(100L * 1000 * 1000);
            upstream.route("huge-declared", r -> new MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/json").body(declared).build());
            // The body writes its own chunk framing: MockWebServer would otherwise hold a chunked body in memory.
            upstream.route("huge-chunked", r -> new MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/json").body(chunked).removeHeader("Content-Length")
                    .setHeader("Transfer-Encoding", "chunked").build());
            upstream.publish("small", "1.0.0", UpstreamStub.randomBytes(1000, 1));

            try (ChildGateway gateway = ChildGateway.start(tempDir.resolve("data"), upstream.url(),
                    tempDir.resolve("gateway.log"))) {
                for (String name : new String[] {"huge-declared", "huge-chunked"}) {
                    HttpResponse<byte[]> r = get(gateway, name);
                    String body = new String(r.body(), StandardCharsets.UTF_8);
                    if (r.statusCode() == 200) {
                        assertThat(new ObjectMapper().readTree(r.body()).path("name").asText()).isEqualTo(name);
                    } else {
                        assertThat(r.statusCode()).as("%s\n%s", body, tail(gateway.output())).isEqualTo(502);
                        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
                        assertThat(body).as(tail(gateway.output())).contains("'upstream'").contains(name)
                                .contains("exceeds");
                    }
                    assertThat(gateway.isAlive()).isTrue();
                }
                int hitsBefore = upstream.hits("huge-declared");
                assertThat(get(gateway, "huge-declared").statusCode()).isIn(200, 502);
                assertThat(upstream.hits("huge-declared")).as("a refused document is not cached, so asked again")
                        .isEqualTo(hitsBefore + 1);

                HttpResponse<byte[]> small = get(gateway, "small");
                assertThat(small.statusCode()).isEqualTo(200);
                assertThat(gateway.isAlive()).isTrue();
                assertThat(gateway.output()).doesNotContain("OutOfMemoryError");
            }
        }
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }

    private HttpResponse<byte[]> get(ChildGateway gateway, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url() + path)).timeout(Duration.ofSeconds(120))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A valid packument of {@link #VERSIONS} versions, generated piece by piece each time it is written. */
    private static final class HugeDocument implements MockResponseBody {
        private final String name;
        private final String base;
        private final boolean declareLength;
        private final long length;

        HugeDocument(String name, String base, boolean declareLength) {
            this.name = name;
            this.base = base;
            this.declareLength = declareLength;
            long total = 0;
            for (int i = 0; i <= VERSIONS + 1; i++) {
                total += piece(i).length;
            }
            this.length = total;
        }

        long length() {
            return length;
        }

        @Override
        public long getContentLength() {
            return declareLength ? length : -1;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            for (int i = 0; i <= VERSIONS + 1; i++) {
                byte[] piece = piece(i);
                if (declareLength) {
                    sink.write(piece);
                } else {
                    sink.writeUtf8(Integer.toHexString(piece.length)).writeUtf8("\r\n").write(piece).writeUtf8("\r\n");
                }
            }
            if (!declareLength) {
                sink.writeUtf8("0\r\n\r\n");
            }
            sink.flush();
        }

        private byte[] piece(int i) {
            String text;
            if (i == 0) {
                text = "{\"name\":\"" + name + "\",\"dist-tags\":{\"latest\":\"1.0." + (VERSIONS - 1)
                        + "\"},\"versions\":{";
            } else if (i == VERSIONS + 1) {
                text = "}}";
            } else {
                String v = "1.0." + (i - 1);
                text = (i > 1 ? "," : "") + "\"" + v + "\":{\"name\":\"" + name + "\",\"version\":\"" + v
                        + "\",\"description\":\"" + "d".repeat(900) + "\",\"dist\":{\"shasum\":\""
                        + "0123456789abcdef0123456789abcdef01234567" + "\",\"tarball\":\"" + base + name + "/-/" + name
                        + "-" + v + ".tgz\"}}";
            }
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }
}

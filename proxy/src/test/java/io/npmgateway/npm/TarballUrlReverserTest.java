package io.npmgateway.npm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TarballUrlReverserTest {
    private static final String GATEWAY = "http://127.0.0.1:4873/npm/";
    private static final String UPSTREAM = "https://registry.example.internal/repo/";

    /** A publish body shaped as npm's libnpmpublish writes it (JSON.stringify: compact, escapes as it does them). */
    private static String publishBody(String attachment) {
        return "{\"_id\":\"@acme/widget\",\"name\":\"@acme/widget\",\"description\":\"a \\\"quoted\\\" widget\\n"
                + "ünïcødé ✓ \\\\ back\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{"
                + "\"name\":\"@acme/widget\",\"version\":\"1.0.0\",\"keywords\":[\"a\",\"tarball\",{\"tarball\":1}],"
                + "\"scripts\":{\"test\":\"echo \\\"tarball\\\"\"},\"count\":12,\"ratio\":-0.5,\"flag\":true,"
                + "\"nothing\":null,\"readme\":\"see {braces} [and] \\\"tarball\\\":\\\"" + GATEWAY + "x\\\"\","
                + "\"_id\":\"@acme/widget@1.0.0\",\"dist\":{\"integrity\":\"sha512-abc==\",\"shasum\":\"0123\","
                + "\"tarball\":\"" + GATEWAY + "@acme/widget/-/@acme/widget-1.0.0.tgz\"}}},"
                + "\"access\":null,\"_attachments\":{\"@acme/widget-1.0.0.tgz\":{\"content_type\":"
                + "\"application/octet-stream\",\"data\":\"" + attachment + "\",\"length\":42},"
                + "\"@acme/widget-1.0.0.sigstore\":{\"content_type\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
                + "\"data\":\"{\\\"mediaType\\\":\\\"x\\\",\\\"tarball\\\":\\\"" + GATEWAY + "y\\\"}\",\"length\":7}},"
                + "\"other\":{\"tarball\":\"https://elsewhere.example/t.tgz\"}}";
    }

    private static byte[] randomBase64(int bytes) {
        byte[] data = new byte[bytes];
        new Random(7).nextBytes(data);
        return Base64.getEncoder().encode(data);
    }

    @Test
    void everySplitPointGivesTheSameOutputAsTheWholeDocumentJacksonPass() {
        byte[] document = publishBody(new String(randomBase64(300), StandardCharsets.US_ASCII))
                .getBytes(StandardCharsets.UTF_8);
        byte[] expected = jacksonOracle(document);
        assertThat(new String(expected, StandardCharsets.UTF_8))
                .contains("\"tarball\":\"" + UPSTREAM + "@acme/widget/-/@acme/widget-1.0.0.tgz\"")
                .contains("\"tarball\":\"https://elsewhere.example/t.tgz\"");

        for (int split = 0; split <= document.length; split++) {
            assertThat(streamed(document, split, document.length)).as("split at %d", split).isEqualTo(expected);
        }
        for (int second = 1; second < document.length; second += 7) {
            for (int first = 0; first < second; first += 13) {
                assertThat(streamed(document, first, second)).as("splits at %d and %d", first, second)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void tinyChunksGiveTheSameOutputAsTheWholeDocument() {
        byte[] document = publishBody(new String(randomBase64(5000), StandardCharsets.US_ASCII))
                .getBytes(StandardCharsets.UTF_8);
        byte[] expected = jacksonOracle(document);
        for (int size = 1; size <= 9; size++) {
            assertThat(inChunksOf(document, size)).as("chunks of %d bytes", size).isEqualTo(expected);
        }
        assertThat(TarballUrlReverser.reverse(document, GATEWAY, UPSTREAM)).isEqualTo(expected);
    }

    @Test
    void aHugeAttachmentIsCopiedWithoutBeingHeld() {
        // 40 MB of base64: beyond Jackson's default maximum string length, so a token pass would refuse it.
        byte[] data = randomBase64(30 * 1024 * 1024);
        byte[] head = ("{\"versions\":{\"1.0.0\":{\"dist\":{\"tarball\":\"" + GATEWAY + "w/-/w-1.0.0.tgz\"}}},"
                + "\"_attachments\":{\"w-1.0.0.tgz\":{\"data\":\"").getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\",\"length\":1}}}".getBytes(StandardCharsets.UTF_8);
        long[] written = {0};
        TarballUrlReverser reverser = new TarballUrlReverser(GATEWAY, UPSTREAM, (b, off, len) -> written[0] += len);
        reverser.write(head, 0, head.length);
        for (int off = 0; off < data.length; off += 65536) {
            reverser.write(data, off, Math.min(65536, data.length - off));
        }
        reverser.write(tail, 0, tail.length);
        reverser.finish();
        long shift = UPSTREAM.length() - GATEWAY.length();
        assertThat(written[0]).isEqualTo(head.length + data.length + tail.length + shift);
    }

    @Test
    void escapedGatewayUrlsAndEscapedKeysAreMappedBackLikeJacksonReadsThem() {
        String escaped = GATEWAY.replace("/", "\\/");
        byte[] document = ("{\"versions\":{\"1.0.0\":{\"dist\":{\"\\u0074arball\":\"" + escaped + "p/-/p-1.0.0.tgz\"}},"
                + "\"2.0.0\":{\"dist\":{\"tarball\":\"" + escaped + "p/-/p-2.0.0.tgz\"}}}}")
                .getBytes(StandardCharsets.UTF_8);
        String result = new String(inChunksOf(document, 3), StandardCharsets.UTF_8);
        assertThat(result).contains("\"\\u0074arball\":\"" + UPSTREAM + "p/-/p-1.0.0.tgz\"")
                .contains("\"tarball\":\"" + UPSTREAM + "p/-/p-2.0.0.tgz\"");
    }

    @Test
    void aBodyThatIsNotJsonIsPassedOnAsSent() {
        for (String body : new String[] {"not json at all", "{\"a\":]}", "]]]", "{\"tarball\":\"" + GATEWAY + "x",
                ""}) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertThat(new String(inChunksOf(bytes, 2), StandardCharsets.UTF_8)).isEqualTo(body);
        }
    }

    @Test
    void whitespaceAndNumbersAreKeptExactlyAsSent() {
        String body = "{ \"n\" : 1e5 ,\n \"f\": 1.50, \"versions\" : { \"1.0.0\" : { \"dist\" : { \"tarball\" : \""
                + GATEWAY + "q/-/q-1.0.0.tgz\" } } } }";
        String result = new String(inChunksOf(body.getBytes(StandardCharsets.UTF_8), 4), StandardCharsets.UTF_8);
        assertThat(result).isEqualTo(body.replace(GATEWAY, UPSTREAM));
    }

    private static byte[] streamed(byte[] document, int first, int second) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarballUrlReverser reverser = new TarballUrlReverser(GATEWAY, UPSTREAM, out::write);
        reverser.write(document, 0, first);
        reverser.write(document, first, second - first);
        reverser.write(document, second, document.length - second);
        reverser.finish();
        return out.toByteArray();
    }

    private static byte[] inChunksOf(byte[] document, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarballUrlReverser reverser = new TarballUrlReverser(GATEWAY, UPSTREAM, out::write);
        for (int off = 0; off < document.length; off += size) {
            // A fresh array per chunk: the reverser must not keep references into the caller's buffer.
            byte[] chunk = java.util.Arrays.copyOfRange(document, off, Math.min(document.length, off + size));
            reverser.write(chunk, 0, chunk.length);
            java.util.Arrays.fill(chunk, (byte) 'Z');
        }
        reverser.finish();
        return out.toByteArray();
    }

    /**
     * The whole-document Jackson token pass the gateway used before writes were streamed: parse, copy every token,
     * map gateway tarball URLs back. For compact documents as clients write them, its output is the reference.
     */
    private static byte[] jacksonOracle(byte[] document) {
        JsonFactory factory = new JsonFactory();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonParser parser = factory.createParser(document); JsonGenerator generator = factory.createGenerator(out)) {
            String field = null;
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.FIELD_NAME) {
                    field = parser.currentName();
                    generator.copyCurrentEvent(parser);
                } else if (token == JsonToken.VALUE_STRING && "tarball".equals(field)
                        && parser.getText().startsWith(GATEWAY)) {
                    generator.writeString(UPSTREAM + parser.getText().substring(GATEWAY.length()));
                } else {
                    generator.copyCurrentEvent(parser);
                }
                if (token != JsonToken.FIELD_NAME) {
                    field = null;
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }
}

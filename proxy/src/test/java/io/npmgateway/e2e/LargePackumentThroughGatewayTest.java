package io.npmgateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.npmgateway.faults.UpstreamStub;
import io.npmgateway.npm.LargePackumentGenerator;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import okio.BufferedSink;
import okio.Okio;
import okio.Source;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A packument the size of the largest real ones (about 40 MB, 28,000 versions) from the upstream, through a real
 * gateway process with its 256 MB heap, to several clients at once: full, abbreviated, and both gzipped, first on a
 * cold cache (one upstream fetch shared by all) and again from the cache. Neither the stub nor the test holds the
 * document: the stub streams it from a file and the test digests or scans each body as it arrives.
 */
@Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LargePackumentThroughGatewayTest {
    private static final String NAME = "big-package";
    /** About 1.45 KB per version. */
    private static final int VERSIONS = 28_000;
    private static final String FULL = "application/json";
    private static final String CORGI = "application/vnd.npm.install-v1+json";

    @TempDir
    Path tempDir;

    private Path document;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void generateTheDocument() throws IOException {
        document = tempDir.resolve("upstream.json");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(document), 1 << 16)) {
            LargePackumentGenerator.write(out, NAME, VERSIONS, LargePackumentGenerator.DEFAULT_SEED);
        }
    }

    @Test
    void aFortyMegabytePackumentReachesConcurrentClientsWholeInEveryFormWithinA256MegabyteHeap() throws Exception {
        assertThat(Files.size(document)).isBetween(36_000_000L, 48_000_000L);
        try (UpstreamStub upstream = new UpstreamStub()) {
            upstream.route(NAME, r -> new MockResponse.Builder().code(200)
                    .setHeader("Content-Type", "application/json").body(new FileBody(document)).build());
            try (ChildGateway gateway = ChildGateway.start(tempDir.resolve("data"), upstream.url(),
                    tempDir.resolve("gateway.log"))) {
                for (String round : List.of("cold", "cached")) {
                    List<CompletableFuture<Body>> answers = new ArrayList<>();
                    for (int copy = 0; copy < 2; copy++) {
                        answers.add(fetch(gateway, FULL, false));
                        answers.add(fetch(gateway, CORGI, false));
                        answers.add(fetch(gateway, FULL, true));
                        answers.add(fetch(gateway, CORGI, true));
                    }
                    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
                    String fullDigest = null;
                    String corgiDigest = null;
                    for (CompletableFuture<Body> answer : answers) {
                        Body body = answer.join();
                        assertThat(body.status()).as("%s %s\n%s", round, body, tail(gateway.output()))
                                .isEqualTo(200);
                        // Gzip is made just after the first answer, so until it exists gzip clients get identity.
                        if (body.gzip()) {
                            assertThat(body.contentEncoding()).as(round + " " + body).isIn("gzip", null);
                        } else {
                            assertThat(body.contentEncoding()).as(round + " " + body).isNull();
                        }
                        if (body.accept().equals(FULL)) {
                            assertThat(body.contentType()).startsWith("application/json");
                            assertThat(body.difference()).as("%s %s: the upstream document with only its tarball"
                                    + " URLs pointing at the gateway", round, body).isNull();
                            fullDigest = fullDigest == null ? body.digest() : fullDigest;
                            assertThat(body.digest()).as("every full answer is the same bytes, gzip decoded or not")
                                    .isEqualTo(fullDigest);
                        } else {
                            assertThat(body.contentType()).startsWith(CORGI);
                            assertThat(body.versions()).as(round + " " + body).isEqualTo(VERSIONS);
                            assertThat(body.gatewayTarballs()).as(round + " " + body).isEqualTo(VERSIONS);
                            assertThat(body.topLevelFields()).as(round + " " + body)
                                    .containsExactlyInAnyOrder("name", "dist-tags", "versions", "modified");
                            corgiDigest = corgiDigest == null ? body.digest() : corgiDigest;
                            assertThat(body.digest()).as("every abbreviated answer is the same bytes, gzip or not")
                                    .isEqualTo(corgiDigest);
                        }
                    }
                    assertThat(gateway.isAlive()).as(round).isTrue();
                }
                assertThat(gzipOnceMade(gateway)).as("gzip clients get gzip once it is made").isTrue();
                assertThat(upstream.hits(NAME)).as("the cold clients shared one upstream fetch").isEqualTo(1);
                assertThat(gateway.output()).doesNotContain("OutOfMemoryError");
            }
        }
    }

    /**
     * Whether HEAD answers for a gzip client say gzip for both forms within a bounded wait: polled, each HEAD of this
     * document being its own pause.
     */
    private boolean gzipOnceMade(ChildGateway gateway) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            boolean both = true;
            for (String accept : List.of(FULL, CORGI)) {
                HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + NAME))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Accept", accept)
                        .header("Accept-Encoding", "gzip").timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.discarding());
                both &= "gzip".equals(head.headers().firstValue("Content-Encoding").orElse(null));
            }
            if (both) {
                return true;
            }
        }
        return false;
    }

    private CompletableFuture<Body> fetch(ChildGateway gateway, String accept, boolean gzip) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url() + NAME))
                .timeout(Duration.ofSeconds(180)).header("Accept", accept);
        if (gzip) {
            request.header("Accept-Encoding", "gzip");
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream())
                .thenApplyAsync(response -> read(response, accept, gzip, gateway.url().toString()));
    }

    /** Reads a response's body once, decoding gzip when the gateway says it used it, into a digest and a scan. */
    private Body read(HttpResponse<InputStream> response, String accept, boolean gzip, String gatewayUrl) {
        String encoding = response.headers().firstValue("content-encoding").orElse(null);
        String type = response.headers().firstValue("content-type").orElse("");
        try (InputStream raw = response.body()) {
            if (response.statusCode() != 200) {
                return new Body(accept, gzip, response.statusCode(), type, encoding,
                        new String(raw.readAllBytes(), StandardCharsets.UTF_8), null, 0, 0, Set.of());
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            InputStream decoded = "gzip".equals(encoding) ? new GZIPInputStream(raw, 1 << 16) : raw;
            InputStream digesting = new java.security.DigestInputStream(decoded, sha);
            String difference = null;
            Scan scan = new Scan();
            if (accept.equals(FULL)) {
                difference = firstDifferenceFromUpstream(digesting, gatewayUrl);
            } else {
                scan = scan(digesting, gatewayUrl + NAME + "/-/");
            }
            digesting.transferTo(OutputStream.nullOutputStream());
            return new Body(accept, gzip, 200, type, encoding, HexFormat.of().formatHex(sha.digest()), difference,
                    scan.versions, scan.gatewayTarballs, scan.topLevelFields);
        } catch (Exception e) {
            throw new IllegalStateException("reading " + accept + (gzip ? " gzip" : ""), e);
        }
    }

    /** Counts versions and gateway tarball URLs with a streaming parser (a tree of 40 MB would not fit here). */
    private static Scan scan(InputStream in, String tarballPrefix) throws IOException {
        Scan scan = new Scan();
        // The caller reads what follows the document, so the parser must leave the stream open.
        try (JsonParser p = new JsonFactory().disable(JsonParser.Feature.AUTO_CLOSE_SOURCE).createParser(in)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                scan.topLevelFields.add(field);
                p.nextToken();
                if (!field.equals("versions")) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    scan.versions++;
                    p.nextToken();
                    int depth = 1;
                    while (depth > 0) {
                        JsonToken t = p.nextToken();
                        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                            depth++;
                        } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                            depth--;
                        } else if (t == JsonToken.VALUE_STRING && "tarball".equals(p.currentName())
                                && p.getText().startsWith(tarballPrefix)) {
                            scan.gatewayTarballs++;
                        }
                    }
                }
            }
        }
        return scan;
    }

    /**
     * Where {@code served} first differs from the upstream document with its tarball URLs pointed at the gateway,
     * token by token (the rewrite may spell characters differently, e.g. an emoji unescaped), or null when it does
     * not. Both are parsed as streams, side by side.
     */
    private String firstDifferenceFromUpstream(InputStream served, String gatewayUrl) throws IOException {
        JsonFactory json = new JsonFactory().disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
        try (JsonParser expected = json.createParser(document.toFile()); JsonParser actual = json.createParser(served)) {
            while (true) {
                JsonToken e = expected.nextToken();
                JsonToken a = actual.nextToken();
                if (e == null && a == null) {
                    return null;
                }
                if (e != a) {
                    return "expected " + e + " but got " + a + " at " + actual.currentLocation();
                }
                if (e.isScalarValue() || e == JsonToken.FIELD_NAME) {
                    String want = expected.getText();
                    if (e == JsonToken.VALUE_STRING && "tarball".equals(expected.currentName())) {
                        want = want.replace(LargePackumentGenerator.UPSTREAM_BASE, gatewayUrl);
                    }
                    if (!want.equals(actual.getText())) {
                        return "expected " + want + " but got " + actual.getText() + " at " + actual.currentLocation();
                    }
                }
            }
        }
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }

    private static final class Scan {
        int versions;
        int gatewayTarballs;
        final Set<String> topLevelFields = new HashSet<>();
    }

    /** One client's answer, reduced to what the assertions need (the body itself is never held). */
    private record Body(String accept, boolean gzip, int status, String contentType, String contentEncoding,
                        String digest, String difference, int versions, int gatewayTarballs, Set<String> topLevelFields) {
        @Override
        public String toString() {
            return accept + (gzip ? " (gzip)" : "") + ": " + status + " " + contentType + " "
                    + (status == 200 ? "" : digest);
        }
    }

    /** The generated document, streamed from its file each time the stub answers. */
    private record FileBody(Path file) implements MockResponseBody {
        @Override
        public long getContentLength() {
            try {
                return Files.size(file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            try (Source source = Okio.source(file)) {
                sink.writeAll(source);
            }
            sink.flush();
        }
    }
}

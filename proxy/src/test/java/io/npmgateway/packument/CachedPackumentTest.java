package io.npmgateway.packument;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.npm.PackageName;
import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.npm.RewrittenPackument;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class CachedPackumentTest {
    private static final PackumentRewriter REWRITER = new PackumentRewriter("http://127.0.0.1:4873/");

    private static CachedPackument encode(String version) {
        String upstream = "{\"name\":\"left-pad\",\"description\":\"pads\",\"dist-tags\":{\"latest\":\"" + version + "\"},\"versions\":{\""
                + version + "\":{\"name\":\"left-pad\",\"version\":\"" + version + "\",\"dist\":{\"tarball\":"
                + "\"http://127.0.0.1:9/left-pad/-/left-pad-" + version + ".tgz\",\"shasum\":\"abc\"}}}}";
        RewrittenPackument rewritten = REWRITER.rewrite(PackageName.parse("left-pad"),
                upstream.getBytes(StandardCharsets.UTF_8));
        return CachedPackument.encode(rewritten, "up", null, null, 0);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.duplicate().get(copy);
        return copy;
    }

    @Test
    void beforeItsGzipIsMadeAGzipAcceptingClientGetsTheIdentityBytes() {
        CachedPackument p = encode("1.0.0");

        CachedPackument.Served served = p.served(PackumentRepresentation.FULL, true);

        assertThat(served.gzip()).isFalse();
        assertThat(bytes(served.bytes())).isEqualTo(p.body(PackumentRepresentation.FULL, false));
    }

    @Test
    void oncePreparedGzipAcceptingClientsGetGzipThatDecodesToTheIdentityBytes() throws IOException {
        CachedPackument p = encode("1.0.0").prepareGzip();

        for (PackumentRepresentation representation : PackumentRepresentation.values()) {
            CachedPackument.Served served = p.served(representation, true);
            assertThat(served.gzip()).isTrue();
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes(served.bytes())))) {
                assertThat(in.readAllBytes()).isEqualTo(p.body(representation, false));
            }
            assertThat(p.served(representation, false).gzip()).isFalse();
        }
    }

    @Test
    void eachResponseGetsItsOwnPositionOverTheSharedBytes() {
        CachedPackument p = encode("1.0.0");
        ByteBuffer first = p.served(PackumentRepresentation.FULL, false).bytes();
        first.position(first.limit());

        assertThat(p.served(PackumentRepresentation.FULL, false).bytes().remaining())
                .isEqualTo(p.body(PackumentRepresentation.FULL, false).length);
    }

    @Test
    void theEtagFollowsTheBytesAndIsTheSameForEqualDocuments() {
        CachedPackument one = encode("1.0.0");
        CachedPackument same = encode("1.0.0");
        CachedPackument other = encode("1.0.1");

        assertThat(one.etag(PackumentRepresentation.FULL)).isEqualTo(same.etag(PackumentRepresentation.FULL))
                .startsWith("\"").endsWith("\"")
                .isNotEqualTo(other.etag(PackumentRepresentation.FULL))
                .isNotEqualTo(one.etag(PackumentRepresentation.ABBREVIATED));
    }

    @Test
    void oncePreparedOnlyTheGzipIsKeptAndTheIdentityBytesAreInflatedBackExactly() {
        CachedPackument p = encode("1.0.0");
        byte[] full = p.body(PackumentRepresentation.FULL, false);
        byte[] abbreviated = p.body(PackumentRepresentation.ABBREVIATED, false);
        int unprepared = p.weight();

        p.prepareGzip();

        int gzipBytes = p.body(PackumentRepresentation.FULL, true).length
                + p.body(PackumentRepresentation.ABBREVIATED, true).length;
        assertThat(unprepared - p.weight()).as("the identity bytes are no longer held, the gzip bytes are")
                .isEqualTo(full.length + abbreviated.length - gzipBytes);
        assertThat(p.body(PackumentRepresentation.FULL, false)).isEqualTo(full);
        assertThat(p.body(PackumentRepresentation.ABBREVIATED, false)).isEqualTo(abbreviated);
        assertThat(p.identityLength(PackumentRepresentation.FULL)).isEqualTo(full.length);
    }

    @Test
    void aClientWithoutGzipMakesTheIdentityBytesKeptAndWeighed() {
        CachedPackument p = encode("1.0.0").prepareGzip();
        int compressed = p.weight();
        int identity = p.identityLength(PackumentRepresentation.ABBREVIATED);

        CachedPackument.Served first = p.served(PackumentRepresentation.ABBREVIATED, false);
        CachedPackument.Served second = p.served(PackumentRepresentation.ABBREVIATED, false);

        assertThat(first.gzip()).isFalse();
        assertThat(bytes(first.bytes())).isEqualTo(bytes(second.bytes()));
        assertThat(p.weight()).as("inflated once, then kept").isEqualTo(compressed + identity);
        assertThat(p.served(PackumentRepresentation.ABBREVIATED, true).gzip()).isTrue();
    }

    @Test
    void identityAskedForBeforeTheGzipIsMadeIsKeptAfterIt() {
        CachedPackument p = encode("1.0.0");
        p.served(PackumentRepresentation.FULL, false);

        p.prepareGzip();

        assertThat(p.weight()).isGreaterThan(p.identityLength(PackumentRepresentation.FULL)
                + p.body(PackumentRepresentation.FULL, true).length);
    }

    @Test
    void aVersionManifestIsCutOutOfTheCompressedDocument() {
        CachedPackument p = encode("1.0.0").prepareGzip();

        assertThat(p.versionManifest("1.0.0")).hasValueSatisfying(m -> assertThat(new String(m, StandardCharsets.UTF_8))
                .contains("\"version\":\"1.0.0\"").contains("http://127.0.0.1:4873/left-pad/-/left-pad-1.0.0.tgz"));
        assertThat(p.versionManifest("9.9.9")).isEmpty();
    }
}

package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A tarball asked for again after it was stored is copied into the file cache in the background, and from then on
 * sent from that file (by the kernel): the same bytes and headers as from the store, HEAD and conditional requests
 * included, and the copy's size in {@code npm_gateway_tarball_file_cache_size_bytes}.
 */
class TarballFileCacheThroughGatewayTest extends GatewayHttpTest {
    private static final String PATH = "left-pad/-/left-pad-1.1.0.tgz";

    @Test
    void aTarballServedAgainIsSentFromItsFileCopyWithTheSameBytesAndHeaders() throws Exception {
        Map<String, byte[]> tarballs = upstream.publish("left-pad", "1.0.0", "1.1.0");
        byte[] tarball = tarballs.get("1.1.0");
        assertThat(tarball.length).as("large enough to be copied").isGreaterThan(64 * 1024);
        startGateway();

        HttpResponse<byte[]> miss = get(PATH);
        HttpResponse<byte[]> fromStore = get(PATH);
        awaitCopy(tarball.length);
        HttpResponse<byte[]> fromFile = get(PATH);
        HttpResponse<byte[]> fromFileAgain = get(PATH);

        assertThat(miss.headers().firstValue("x-npm-gateway-cache")).hasValue("miss");
        for (HttpResponse<byte[]> r : java.util.List.of(miss, fromStore, fromFile, fromFileAgain)) {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(tarball);
            assertThat(r.headers().firstValue("content-length")).hasValue(Integer.toString(tarball.length));
            assertThat(r.headers().firstValue("content-type")).hasValue("application/octet-stream");
        }
        assertThat(fromFile.headers().map()).isEqualTo(fromStore.headers().map());
        assertThat(copiesOnDisk()).containsExactly((long) tarball.length);

        HttpResponse<byte[]> head = send("HEAD", PATH);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(tarball.length));
        assertThat(head.body()).isEmpty();
        String etag = fromFile.headers().firstValue("etag").orElseThrow();
        assertThat(get(PATH, "If-None-Match", etag).statusCode()).isEqualTo(304);
        assertThat(get(PATH).body()).as("the connection is still usable after HEAD and 304").isEqualTo(tarball);
        assertThat(upstream.hits(PATH)).isEqualTo(1);
    }

    /** Polls the gauge the copy shows up in (a background copy has nothing else to wait on from outside). */
    private void awaitCopy(long size) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        Object monitor = new Object();
        while (!text(get("metrics")).contains("npm_gateway_tarball_file_cache_size_bytes " + (double) size)) {
            assertThat(System.nanoTime()).as("the copy was made within 20 s").isLessThan(deadline);
            synchronized (monitor) {
                monitor.wait(50);
            }
        }
    }

    private java.util.List<Long> copiesOnDisk() throws Exception {
        try (Stream<Path> files = Files.list(dataDir.resolve("tarball-files"))) {
            return files.map(p -> p.toFile().length()).toList();
        }
    }
}

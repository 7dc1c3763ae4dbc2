package io.npmgateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The request shapes the clients' installs were seen to send, each answered as that client needs: Yarn 4's
 * {@code %2f} tarball paths, pnpm's {@code %2F} packument paths and its packument {@code Accept} on tarball
 * requests, HEAD requests, and the conditional GETs Yarn 4 sends from its metadata cache.
 */
class ClientRequestShapesTest extends GatewayHttpTest {
    private static final String CORGI = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

    HttpResponse<byte[]> head(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void everySpellingOfAScopedTarballPathServesTheSameBytes() throws Exception {
        Map<String, byte[]> tarballs = upstream.publish("@corp/widget", "1.0.0");
        startGateway();
        // Yarn 4 first tries the escaped spelling it builds itself; lockfiles and npm use the literal slash.
        for (String path : new String[] {"@corp%2fwidget/-/widget-1.0.0.tgz", "@corp%2Fwidget/-/widget-1.0.0.tgz",
                "@corp/widget/-/widget-1.0.0.tgz", "%40corp%2fwidget/-/widget-1.0.0.tgz"}) {
            HttpResponse<byte[]> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).isEqualTo(tarballs.get("1.0.0"));
        }
        assertThat(upstream.hits("@corp/widget/-/widget-1.0.0.tgz")).as("stored once, under one key").isEqualTo(1);
    }

    @Test
    void pnpmsPackumentAcceptOnATarballGetsTheRawTarballWithoutContentEncoding() throws Exception {
        Map<String, byte[]> tarballs = upstream.publish("left-pad", "1.0.0");
        startGateway();
        HttpResponse<byte[]> r = get("left-pad/-/left-pad-1.0.0.tgz", "Accept", CORGI);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(tarballs.get("1.0.0"));
        assertThat(r.headers().firstValue("content-type")).hasValue("application/octet-stream");
        assertThat(r.headers().firstValue("content-encoding")).isEmpty();
        // Even a client that accepts gzip gets the .tgz bytes as they are.
        HttpResponse<byte[]> gz = get("left-pad/-/left-pad-1.0.0.tgz", "Accept", CORGI, "Accept-Encoding", "gzip");
        assertThat(gz.headers().firstValue("content-encoding")).isEmpty();
        assertThat(gz.body()).isEqualTo(tarballs.get("1.0.0"));
    }

    @Test
    void headAnswersWithTheHeadersOfGetAndNoBody() throws Exception {
        Map<String, byte[]> tarballs = upstream.publish("@corp/widget", "1.0.0");
        startGateway();
        HttpResponse<byte[]> packument = head("@corp%2Fwidget");
        assertThat(packument.statusCode()).isEqualTo(200);
        assertThat(packument.body()).isEmpty();
        assertThat(packument.headers().firstValue("content-length").map(Long::parseLong))
                .hasValue((long) get("@corp%2Fwidget").body().length);

        HttpResponse<byte[]> cold = head("@corp%2fwidget/-/widget-1.0.0.tgz");
        assertThat(cold.statusCode()).isEqualTo(200);
        assertThat(cold.body()).isEmpty();
        HttpResponse<byte[]> warm = head("@corp/widget/-/widget-1.0.0.tgz");
        assertThat(warm.statusCode()).isEqualTo(200);
        assertThat(warm.headers().firstValue("content-length").map(Long::parseLong))
                .hasValue((long) tarballs.get("1.0.0").length);
        assertThat(head("@corp/widget/-/widget-9.9.9.tgz").statusCode()).isEqualTo(404);
    }

    @Test
    void yarn4sConditionalPackumentRequestGets304() throws Exception {
        upstream.publish("@corp/widget", "1.0.0");
        startGateway();
        HttpResponse<byte[]> first = get("@corp%2fwidget", "Accept", "application/json");
        String etag = first.headers().firstValue("etag").orElseThrow();
        String lastModified = first.headers().firstValue("last-modified").orElse("Mon, 01 Jan 2024 00:00:00 GMT");
        HttpResponse<byte[]> again = get("@corp%2fwidget", "Accept", "application/json", "If-None-Match", etag,
                "If-Modified-Since", lastModified);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.headers().firstValue("etag")).hasValue(etag);
    }
}

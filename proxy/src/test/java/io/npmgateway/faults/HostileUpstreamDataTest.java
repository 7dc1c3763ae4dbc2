package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import mockwebserver3.MockResponse;
import okio.Buffer;
import okio.BufferedSink;
import okio.Okio;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad data from an upstream through the real server path, beyond the faults of {@link PackumentUpstreamFaultTest} and
 * {@link TarballUpstreamFaultTest}: a proxy's HTML login page, a JSON nesting bomb, gzip that does not decompress,
 * versions without {@code dist} or with a malformed one, a tarball that matches only a wrong {@code shasum}, a body
 * longer than its Content-Length (bytes that would poison the pooled connection's next response), a redirect loop.
 * Each gets a clear 502 JSON error naming the upstream, or a correct answer; nothing bad is cached, so the first
 * request after the upstream is fixed gets the good answer from upstream.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileUpstreamDataTest extends GatewayAgainstStub {

    @Test
    void aProxyLoginPageServedAsHtmlGives502AndIsNotCached() throws Exception {
        upstream.route("left-pad", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "text/html; charset=utf-8")
                .body("<!DOCTYPE html><html><body><form action=/login>Sign in to continue</form></body></html>")
                .build());
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(r)).contains("'stub'").contains("left-pad");
        healthyAgainFromUpstream("left-pad");
    }

    @Test
    void aDeeplyNestedJsonBombGives502FastAndIsNotCached() throws Exception {
        String bomb = "{\"name\":\"left-pad\",\"versions\":{\"1.0.0\":{\"a\":" + "[".repeat(100_000)
                + "]".repeat(100_000) + "}}}";
        upstream.packument("left-pad", bomb.getBytes(StandardCharsets.UTF_8));
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(error(r)).contains("'stub'").contains("nesting depth");
        healthyAgainFromUpstream("left-pad");
    }

    @Test
    void aPackumentWhoseGzipDoesNotDecompressGives502AndIsNotCached() throws Exception {
        byte[] notGzip = "this is not gzip at all, just bytes".getBytes(StandardCharsets.UTF_8);
        upstream.route("left-pad", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").setHeader("Content-Encoding", "gzip")
                .body(new Buffer().write(notGzip)).build());
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(error(r)).contains("'stub'").contains("left-pad");
        healthyAgainFromUpstream("left-pad");
    }

    @Test
    void aTruncatedGzipPackumentGives502AndIsNotCached() throws Exception {
        byte[] whole = gzip(("{\"name\":\"left-pad\",\"versions\":{},\"readme\":\"" + "x".repeat(50_000) + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        byte[] half = java.util.Arrays.copyOf(whole, whole.length / 2);
        upstream.route("left-pad", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").setHeader("Content-Encoding", "gzip")
                .body(new Buffer().write(half)).build());
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(error(r)).contains("'stub'");
        healthyAgainFromUpstream("left-pad");
    }

    @Test
    void aTarballSentWithGzipEncodingThatDoesNotDecompressGives502AndStoresNothing() throws Exception {
        byte[] good = UpstreamStub.randomBytes(20_000, 11);
        String path = upstream.publish("gz", "1.0.0", good);
        upstream.route(path, r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/octet-stream").setHeader("Content-Encoding", "gzip")
                .body(new Buffer().write(good)).build());
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get(path);

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(error(r)).contains("gz@1.0.0").contains("'stub'");
        upstream.tarball(path, good);
        HttpResponse<byte[]> healthy = get(path);
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(healthy.headers().firstValue("x-npm-gateway-cache")).hasValue("miss");
        assertThat(healthy.body()).isEqualTo(good);
    }

    @Test
    void aVersionWithoutDistIsServedAsPublishedAndItsTarballIsANotFoundJsonError() throws Exception {
        upstream.packument("nodist", ("{\"name\":\"nodist\",\"dist-tags\":{\"latest\":\"1.0.0\"},"
                + "\"versions\":{\"1.0.0\":{\"name\":\"nodist\",\"version\":\"1.0.0\"}}}").getBytes(StandardCharsets.UTF_8));
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> doc = get("nodist");
        assertThat(doc.statusCode()).isEqualTo(200);
        assertThat(text(doc)).contains("\"1.0.0\"");

        HttpResponse<byte[]> tarball = get("nodist/-/nodist-1.0.0.tgz");
        assertThat(tarball.statusCode()).isBetween(400, 502);
        assertThat(tarball.statusCode()).isNotEqualTo(500);
        assertThat(tarball.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(tarball)).contains("nodist");
    }

    @Test
    void aMalformedIntegrityGives502NamingTheUpstreamAndFetchesNothing() throws Exception {
        byte[] good = UpstreamStub.randomBytes(1000, 12);
        String path = UpstreamStub.tarballPath("badsri", "1.0.0");
        upstream.packument("badsri", ("{\"name\":\"badsri\",\"versions\":{\"1.0.0\":{\"name\":\"badsri\","
                + "\"version\":\"1.0.0\",\"dist\":{\"integrity\":\"sha512-not!base64\",\"tarball\":\"" + upstream.url()
                + path + "\"}}}}").getBytes(StandardCharsets.UTF_8));
        upstream.tarball(path, good);
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get(path);

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(r)).contains("badsri").contains("'stub'");
    }

    @Test
    void aTarballMatchingOnlyAWrongShasumGives502AndStoresNothing() throws Exception {
        byte[] good = UpstreamStub.randomBytes(30_000, 13);
        byte[] other = UpstreamStub.randomBytes(30_000, 14);
        String path = UpstreamStub.tarballPath("sha1only", "1.0.0");
        upstream.packument("sha1only", ("{\"name\":\"sha1only\",\"versions\":{\"1.0.0\":{\"name\":\"sha1only\","
                + "\"version\":\"1.0.0\",\"dist\":{\"shasum\":\"" + UpstreamStub.sha1Hex(good) + "\",\"tarball\":\""
                + upstream.url() + path + "\"}}}}").getBytes(StandardCharsets.UTF_8));
        upstream.tarball(path, other);
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get(path);

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(error(r)).contains("sha1only@1.0.0").contains("do not match");
        upstream.tarball(path, good);
        HttpResponse<byte[]> healthy = get(path);
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(healthy.body()).isEqualTo(good);
        assertThat(upstream.hits(path)).isEqualTo(2);
    }

    @Test
    void bytesBeyondContentLengthNeverBecomeTheNextResponseOnThePooledConnection() throws Exception {
        upstream.publish("victim", "1.0.0", UpstreamStub.randomBytes(100, 15));
        byte[] doc = ("{\"name\":\"first\",\"dist-tags\":{},\"versions\":{}}").getBytes(StandardCharsets.UTF_8);
        // A forged response for whatever the gateway asks next on this connection, glued behind the real body.
        String forgedBody = "{\"name\":\"victim\",\"dist-tags\":{\"latest\":\"6.6.6\"},\"versions\":{}}";
        byte[] forged = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + forgedBody.length() + "\r\n\r\n" + forgedBody).getBytes(StandardCharsets.UTF_8);
        upstream.route("first", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").setHeader("Content-Length", doc.length)
                .socketHandler(socket -> {
                    try {
                        BufferedSink sink = Okio.buffer(socket.getSink());
                        sink.write(doc);
                        sink.write(forged);
                        sink.flush();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).build());
        startGateway(CacheConfig.defaults());

        assertThat(get("first").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> victim = get("victim");

        assertThat(victim.statusCode()).isEqualTo(200);
        assertThat(text(victim)).doesNotContain("6.6.6").contains("\"1.0.0\"");
        assertThat(upstream.hits("victim")).as("the victim's packument came from the upstream itself").isEqualTo(1);
    }

    @Test
    void aRedirectLoopGives502NamingTheUpstreamAndIsNotCached() throws Exception {
        byte[] good = UpstreamStub.randomBytes(5_000, 16);
        String path = upstream.publish("loop", "1.0.0", good);
        upstream.route(path, r -> new MockResponse.Builder().code(302)
                .setHeader("Location", upstream.url() + "blobs/a").build());
        upstream.route("blobs/a", r -> new MockResponse.Builder().code(302)
                .setHeader("Location", upstream.url() + "blobs/b").build());
        upstream.route("blobs/b", r -> new MockResponse.Builder().code(301)
                .setHeader("Location", upstream.url() + path).build());
        upstream.route("loopdoc", r -> new MockResponse.Builder().code(307)
                .setHeader("Location", upstream.url() + "loopdoc").build());
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> tarball = get(path);
        assertThat(tarball.statusCode()).isEqualTo(502);
        assertThat(error(tarball)).contains("loop@1.0.0").contains("redirects");
        HttpResponse<byte[]> doc = get("loopdoc");
        assertThat(doc.statusCode()).isEqualTo(502);
        assertThat(error(doc)).contains("loopdoc").contains("redirects");

        upstream.tarball(path, good);
        HttpResponse<byte[]> healthy = get(path);
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(healthy.body()).isEqualTo(good);
    }

    /** The upstream is fixed: the next request goes upstream again (nothing was cached) and gets the good answer. */
    private void healthyAgainFromUpstream(String name) throws Exception {
        int before = upstream.hits(name);
        upstream.publish(name, "1.0.0", UpstreamStub.randomBytes(100, 99));
        HttpResponse<byte[]> healthy = get(name);
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(text(healthy)).contains("\"1.0.0\"");
        assertThat(upstream.hits(name)).as("the bad answer was not cached").isEqualTo(before + 1);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}

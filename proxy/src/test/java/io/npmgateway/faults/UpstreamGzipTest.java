package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import java.net.http.HttpResponse;
import java.util.List;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * Upstreams gzip their JSON when asked (every large registry does; it cuts a packument to a tenth): the gateway asks
 * for gzip on documents and decodes it before the rewrite, and asks for tarballs as they are ({@code identity}),
 * since a tarball is already compressed and its bytes must match its integrity exactly.
 */
class UpstreamGzipTest extends GatewayAgainstStub {

    @Test
    void aGzippedPackumentIsDecodedAndRewrittenAndTarballsAreAskedForWithoutEncoding() throws Exception {
        byte[] tarball = UpstreamStub.randomBytes(20_000, 5);
        String tarballPath = upstream.publish("zipped", "1.0.0", tarball);
        upstream.gzipPackumentsWhenAccepted();
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> packument = get("zipped");
        assertThat(packument.statusCode()).as(text(packument)).isEqualTo(200);
        assertThat(packument.headers().firstValue("content-encoding")).as("the client did not ask for gzip").isEmpty();
        assertThat(text(packument)).startsWith("{").contains("\"name\":\"zipped\"")
                .contains("\"tarball\":\"" + base() + tarballPath + "\"").doesNotContain(upstream.url());

        HttpResponse<byte[]> download = get(tarballPath);
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEqualTo(tarball);

        List<RecordedRequest> requests = upstream.requests();
        RecordedRequest packumentRequest = requests.stream()
                .filter(r -> r.getUrl().encodedPath().equals("/zipped")).findFirst().orElseThrow();
        RecordedRequest tarballRequest = requests.stream()
                .filter(r -> r.getUrl().encodedPath().equals("/" + tarballPath)).findFirst().orElseThrow();
        assertThat(packumentRequest.getHeaders().get("Accept-Encoding")).contains("gzip");
        assertThat(tarballRequest.getHeaders().get("Accept-Encoding")).isEqualTo("identity");
        assertThat(upstream.hits("zipped")).as("the decoded document was cached").isEqualTo(1);
    }
}

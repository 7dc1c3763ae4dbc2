package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the upstream client does when one upstream exchange needs a second connection: a pooled keep-alive connection
 * the upstream closed is retried on a fresh one, a stall is not retried (the client would wait the read timeout
 * again), and redirects are followed.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UpstreamRetryAndRedirectTest extends GatewayAgainstStub {

    @Test
    void pooledConnectionClosedByTheUpstreamIsRetriedOnAFreshOne() throws Exception {
        upstream.publish("warm", "1.0.0", UpstreamStub.randomBytes(100, 7));
        upstream.publish("left-pad", "1.0.0", UpstreamStub.randomBytes(100, 8));
        startGateway(CacheConfig.defaults());
        // Leaves a keep-alive connection in the gateway's pool.
        assertThat(get("warm").statusCode()).isEqualTo(200);
        AtomicInteger calls = new AtomicInteger();
        byte[] doc = ("{\"name\":\"left-pad\",\"dist-tags\":{},\"versions\":{}}").getBytes();
        upstream.route("left-pad", r -> calls.incrementAndGet() == 1
                // The upstream drops the pooled connection as the request arrives, as after its keep-alive timeout.
                ? new MockResponse.Builder().code(200).body("{}")
                        .onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build()
                : new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                        .body(new Buffer().write(doc)).build());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(upstream.hits("left-pad")).isEqualTo(2);
    }

    @Test
    void stallOnAPooledConnectionIsNotRetried() throws Exception {
        upstream.publish("warm", "1.0.0", UpstreamStub.randomBytes(100, 9));
        startGateway(CacheConfig.defaults());
        assertThat(get("warm").statusCode()).isEqualTo(200);
        upstream.route("left-pad", r -> new MockResponse.Builder().code(200).body("{}")
                .headersDelay(30, TimeUnit.SECONDS).build());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(error(r)).contains("'stub'").contains("timed out").contains("left-pad");
        assertThat(upstream.hits("left-pad")).as("one upstream request, so one read timeout").isEqualTo(1);
    }

    @Test
    void redirectedTarballIsFollowedAndStored() throws Exception {
        byte[] good = UpstreamStub.randomBytes(300 * 1024, 10);
        String path = upstream.publish("moved", "1.0.0", good);
        // CodeArtifact-style: the registry answers a tarball URL with a redirect to where the bytes are.
        upstream.route(path, r -> new MockResponse.Builder().code(302)
                .setHeader("Location", upstream.url() + "blobs/moved-1.0.0").build());
        upstream.tarball("blobs/moved-1.0.0", good);
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> first = get(path);
        HttpResponse<byte[]> second = get(path);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo(good);
        assertThat(second.headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
        assertThat(second.body()).isEqualTo(good);
        assertThat(upstream.hits(path)).isEqualTo(1);
        assertThat(upstream.hits("blobs/moved-1.0.0")).isEqualTo(1);
    }
}

package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A version, dist-tag or tarball the cached packument does not know yet (published upstream a moment ago, the case
 * of Verdaccio's issue 862) makes the gateway fetch the packument once more before answering 404, over HTTP; within
 * {@code cache.metadata.missingVersionRefreshInterval} of the last fetch it answers from the cached copy instead.
 * The packument's max-age is an hour throughout, so every upstream request counted here is one of those refreshes.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MissingVersionRefreshTest extends GatewayAgainstStub {
    private final Map<String, byte[]> tarballs = new LinkedHashMap<>();
    private final Map<String, String> distTags = new LinkedHashMap<>(Map.of("latest", "1.0.0"));

    /** Serves a packument of every version published so far (with {@code tags} now naming this one) and tarballs. */
    private void publish(String version, String... tags) {
        byte[] bytes = UpstreamStub.randomBytes(200, version.hashCode());
        tarballs.put(version, bytes);
        upstream.tarball(UpstreamStub.tarballPath("left-pad", version), bytes);
        for (String tag : tags) {
            distTags.put(tag, version);
        }
        StringBuilder doc = new StringBuilder("{\"name\":\"left-pad\",\"dist-tags\":{");
        String separator = "";
        for (Map.Entry<String, String> tag : distTags.entrySet()) {
            doc.append(separator).append('"').append(tag.getKey()).append("\":\"").append(tag.getValue()).append('"');
            separator = ",";
        }
        doc.append("},\"versions\":{");
        separator = "";
        for (Map.Entry<String, byte[]> v : tarballs.entrySet()) {
            doc.append(separator).append('"').append(v.getKey()).append("\":{\"name\":\"left-pad\",\"version\":\"")
                    .append(v.getKey()).append("\",\"dist\":{\"integrity\":\"")
                    .append(UpstreamStub.integrity(v.getValue())).append("\",\"shasum\":\"")
                    .append(UpstreamStub.sha1Hex(v.getValue())).append("\",\"tarball\":\"").append(upstream.url())
                    .append(UpstreamStub.tarballPath("left-pad", v.getKey())).append("\"}}");
            separator = ",";
        }
        upstream.packument("left-pad", doc.append("}}").toString().getBytes(StandardCharsets.UTF_8));
    }

    private static CacheConfig refreshInterval(Duration interval) {
        return metadataMaxAge(Duration.ofHours(1)).withMissingVersionRefreshInterval(interval);
    }

    @Test
    void unknownVersionTagAndTarballEachRefreshThePackumentOnceBeforeAnswering() throws Exception {
        publish("1.0.0");
        startGateway(refreshInterval(Duration.ZERO));
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        assertThat(upstream.hits("left-pad")).isEqualTo(1);

        publish("1.1.0");
        HttpResponse<byte[]> version = get("left-pad/1.1.0");
        assertThat(version.statusCode()).isEqualTo(200);
        assertThat(text(version)).contains("\"version\":\"1.1.0\"");
        assertThat(version.headers().firstValue("x-npm-gateway-cache")).hasValue("revalidated");
        assertThat(upstream.hits("left-pad")).isEqualTo(2);

        publish("1.2.0-beta.1", "beta");
        HttpResponse<byte[]> tag = get("left-pad/beta");
        assertThat(tag.statusCode()).isEqualTo(200);
        assertThat(text(tag)).contains("\"version\":\"1.2.0-beta.1\"");
        assertThat(upstream.hits("left-pad")).isEqualTo(3);

        publish("1.3.0");
        HttpResponse<byte[]> tarball = get(UpstreamStub.tarballPath("left-pad", "1.3.0"));
        assertThat(tarball.statusCode()).isEqualTo(200);
        assertThat(tarball.body()).isEqualTo(tarballs.get("1.3.0"));
        assertThat(upstream.hits("left-pad")).isEqualTo(4);

        // What was refreshed in is now cached: asking again goes nowhere.
        assertThat(get("left-pad/1.1.0").headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
        assertThat(get("left-pad/beta").statusCode()).isEqualTo(200);
        assertThat(upstream.hits("left-pad")).isEqualTo(4);

        // A version that really does not exist is a 404 after its refresh.
        HttpResponse<byte[]> missing = get("left-pad/9.9.9");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(error(missing)).contains("9.9.9").contains("left-pad");
        assertThat(upstream.hits("left-pad")).isEqualTo(5);
    }

    @Test
    void withinTheRefreshIntervalUnknownVersionsTagsAndTarballsAre404WithoutAskingUpstream() throws Exception {
        publish("1.0.0");
        startGateway(refreshInterval(Duration.ofHours(1)));
        assertThat(get("left-pad").statusCode()).isEqualTo(200);
        publish("1.1.0", "next");

        HttpResponse<byte[]> version = get("left-pad/1.1.0");
        HttpResponse<byte[]> tag = get("left-pad/next");
        HttpResponse<byte[]> tarball = get(UpstreamStub.tarballPath("left-pad", "1.1.0"));

        for (HttpResponse<byte[]> r : java.util.List.of(version, tag, tarball)) {
            assertThat(r.statusCode()).as(r.uri().toString()).isEqualTo(404);
            assertThat(r.headers().firstValue("content-type")).as(r.uri().toString()).hasValue("application/json");
            assertThat(error(r)).as(r.uri().toString()).contains("left-pad");
        }
        assertThat(upstream.hits("left-pad")).as("the copy fetched a moment ago was trusted").isEqualTo(1);
        assertThat(upstream.hits(UpstreamStub.tarballPath("left-pad", "1.1.0"))).isZero();
    }
}

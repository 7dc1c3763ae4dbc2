package io.npmgateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.CacheConfig;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Upstream faults while the gateway fetches a packument: with nothing cached the client gets a JSON error (504 for a
 * stall past the read timeout, 502 for a body that is not a packument) naming the upstream and the package, and
 * nothing is cached; with a copy cached whose max-age has passed, any upstream failure serves that copy, marked
 * {@code X-Npm-Gateway-Cache: stale}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PackumentUpstreamFaultTest extends GatewayAgainstStub {

    /** A failure of the upstream when asked for a packument. */
    enum Failure {
        /** No response head at all within the read timeout. */
        STALL_BEFORE_HEAD(r -> new MockResponse.Builder().code(200).body("{}")
                .headersDelay(30, TimeUnit.SECONDS).build()),
        /** Half of the body, then silence past the read timeout. */
        STALL_MID_BODY(r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body(new Buffer().writeUtf8("{\"name\":\"left-pad\",\"versions\":{}, \"padding\":\"" + "x".repeat(8192)
                        + "\"}"))
                .onResponseBody(SocketEffect.Stall.INSTANCE).build()),
        /** 200 with a body that is not JSON. */
        INVALID_JSON(r -> new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
                .body("<html>this is a captive portal, not a registry</html>").build()),
        /** A server error. */
        SERVER_ERROR(r -> new MockResponse.Builder().code(503).body("{\"error\":\"overloaded\"}").build()),
        /** The connection closes before any response. */
        DISCONNECT(r -> new MockResponse.Builder().code(200).body("{}")
                .onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());

        final Function<RecordedRequest, MockResponse> answer;

        Failure(Function<RecordedRequest, MockResponse> answer) {
            this.answer = answer;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Failure.class, names = {"STALL_BEFORE_HEAD", "STALL_MID_BODY"})
    void stallPastTheReadTimeoutGives504JsonNamingUpstreamAndPackage(Failure stall) throws Exception {
        upstream.route("left-pad", stall.answer);
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(r)).contains("'stub'").contains("timed out").contains("left-pad");
    }

    @Test
    void upstreamDrippingBytesFasterThanTheReadTimeoutStillTimesOut() throws Exception {
        // A byte every 250 ms: never silent for the 1 s read timeout, and 8 KB would take over half an hour.
        upstream.route("left-pad", r -> new MockResponse.Builder().code(200)
                .setHeader("Content-Type", "application/json").body(new okio.Buffer().write(new byte[8192]))
                .throttleBody(1, 250, java.util.concurrent.TimeUnit.MILLISECONDS).build());
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(error(r)).contains("'stub'").contains("timed out").contains("stalled upstream")
                .contains("left-pad");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "<html>this is a captive portal, not a registry</html>",
        "{\"name\":\"left-pad\",\"versions\":{\"1.0.0\":",
        "[\"an\",\"array\"]",
    })
    void bodyThatIsNotAPackumentGives502JsonNamingTheUpstreamAndIsNotCached(String body) throws Exception {
        upstream.packument("left-pad", body.getBytes(StandardCharsets.UTF_8));
        startGateway(CacheConfig.defaults());

        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(error(r)).contains("'stub'").contains("left-pad");
        byte[] good = UpstreamStub.randomBytes(100, 4);
        upstream.publish("left-pad", "1.0.0", good);
        HttpResponse<byte[]> healthy = get("left-pad");
        assertThat(healthy.statusCode()).as("the broken document was not cached").isEqualTo(200);
        assertThat(upstream.hits("left-pad")).isEqualTo(2);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Failure.class)
    void afterMaxAgeAFailingUpstreamYieldsTheStaleCopy(Failure failure) throws Exception {
        upstream.publish("left-pad", "1.0.0", UpstreamStub.randomBytes(100, 5));
        // Max-age zero: every request revalidates upstream, so the second one meets the failure.
        startGateway(metadataMaxAge(Duration.ZERO));
        HttpResponse<byte[]> fresh = get("left-pad");
        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(fresh.headers().firstValue("x-npm-gateway-cache")).hasValue("miss");

        upstream.route("left-pad", failure.answer);
        HttpResponse<byte[]> stale = get("left-pad");

        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.headers().firstValue("x-npm-gateway-cache")).hasValue("stale");
        assertThat(text(stale)).isEqualTo(text(fresh));
        assertThat(upstream.hits("left-pad")).as("the stale copy was served after asking upstream").isGreaterThan(1);
    }

    @Test
    void staleVersionAndDistTagsResponsesAreMarkedAndCountedInTheMetrics() throws Exception {
        upstream.publish("left-pad", "1.0.0", UpstreamStub.randomBytes(100, 7));
        startGateway(metadataMaxAge(Duration.ZERO));
        HttpResponse<byte[]> fresh = get("left-pad/1.0.0");
        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(fresh.headers().firstValue("x-npm-gateway-cache")).hasValue("miss");
        String before = scrape();

        upstream.route("left-pad", Failure.SERVER_ERROR.answer);
        HttpResponse<byte[]> version = get("left-pad/1.0.0");
        HttpResponse<byte[]> latest = get("left-pad/latest");
        HttpResponse<byte[]> tags = get("-/package/left-pad/dist-tags");

        for (HttpResponse<byte[]> stale : java.util.List.of(version, latest, tags)) {
            assertThat(stale.statusCode()).as(stale.uri().toString()).isEqualTo(200);
            assertThat(stale.headers().firstValue("x-npm-gateway-cache")).as(stale.uri().toString())
                    .hasValue("stale");
        }
        assertThat(text(version)).isEqualTo(text(fresh)).isEqualTo(text(latest));
        assertThat(text(tags)).contains("\"latest\":\"1.0.0\"");
        String after = scrape();
        assertThat(sample(after, "npm_gateway_stale_responses_total")
                - sample(before, "npm_gateway_stale_responses_total")).isEqualTo(3.0);
        assertThat(sample(after, "npm_gateway_requests_seconds_count", "cache=\"stale\"", "route=\"version\""))
                .isEqualTo(2.0);
        assertThat(sample(after, "npm_gateway_requests_seconds_count", "cache=\"stale\"", "route=\"dist_tags\""))
                .isEqualTo(1.0);
    }

    @Test
    void withinMaxAgeTheCachedCopyIsAHitWithoutAskingTheFailingUpstream() throws Exception {
        upstream.publish("left-pad", "1.0.0", UpstreamStub.randomBytes(100, 6));
        startGateway(CacheConfig.defaults());
        assertThat(get("left-pad").statusCode()).isEqualTo(200);

        upstream.route("left-pad", Failure.SERVER_ERROR.answer);
        HttpResponse<byte[]> r = get("left-pad");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-npm-gateway-cache")).hasValue("hit");
        assertThat(upstream.hits("left-pad")).isEqualTo(1);
    }
}

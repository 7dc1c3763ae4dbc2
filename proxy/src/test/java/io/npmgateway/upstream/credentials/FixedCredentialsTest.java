package io.npmgateway.upstream.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.Secret;
import io.npmgateway.config.UpstreamAuth;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class FixedCredentialsTest {

    @Test
    void eachKindBecomesTheHeaderNpmWouldSend() {
        assertThat(FixedCredentials.of(UpstreamAuth.NONE).authorization()).isEmpty();
        assertThat(FixedCredentials.of(new UpstreamAuth.Bearer(Secret.of("tok-123"))).authorization())
                .hasValue("Bearer tok-123");
        assertThat(FixedCredentials.of(new UpstreamAuth.Basic("myorg", Secret.of("p@ss:word"))).authorization())
                .hasValue("Basic " + Base64.getEncoder().encodeToString(
                        "myorg:p@ss:word".getBytes(StandardCharsets.UTF_8)));
        // _auth is already base64(user:password): sent verbatim.
        assertThat(FixedCredentials.of(new UpstreamAuth.LegacyAuth(Secret.of("dXNlcjpwYXNz"))).authorization())
                .hasValue("Basic dXNlcjpwYXNz");
    }

    @Test
    void theirStringFormShowsNoSecret() {
        FixedCredentials bearer = FixedCredentials.of(new UpstreamAuth.Bearer(Secret.of("tok-123")));
        assertThat(bearer.toString()).doesNotContain("tok-123").contains("***");
        assertThat(bearer.secondsUntilExpiry()).isNaN();
        assertThat(bearer.renewalFailures()).isZero();
    }
}

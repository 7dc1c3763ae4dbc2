package io.npmgateway.upstream.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.config.Secret;
import io.npmgateway.config.UpstreamAuth;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import io.npmgateway.testing.SecretLeaks;
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
        FixedCredentials bearer = FixedCredentials.of(new UpstreamAuth.Bearer(Secret.of("tok-123456")));
        assertThat(bearer.toString()).contains("***");
        SecretLeaks.of("tok-123456").assertNotIn("a bearer credential's string form", bearer.toString());
        FixedCredentials basic = FixedCredentials.of(new UpstreamAuth.Basic("myorg", Secret.of("p@ss:word")));
        SecretLeaks.of().addBasic("myorg", "p@ss:word").assertNotIn("a basic credential's string form",
                basic.toString());
        FixedCredentials legacy = FixedCredentials.of(new UpstreamAuth.LegacyAuth(Secret.of("dXNlcjpwYXNz")));
        SecretLeaks.of("dXNlcjpwYXNz").assertNotIn("an _auth credential's string form", legacy.toString());
        assertThat(bearer.secondsUntilExpiry()).isNaN();
        assertThat(bearer.renewalFailures()).isZero();
    }
}

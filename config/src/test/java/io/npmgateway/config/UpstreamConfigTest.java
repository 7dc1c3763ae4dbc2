package io.npmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model's defaults, old constructors, and where an upstream's credentials may go. */
class UpstreamConfigTest {
    private static final UpstreamAuth TOKEN = new UpstreamAuth.Bearer(Secret.of("t"));

    @Test
    void theOldConstructorsStillWorkWithAnonymousDefaults() {
        UpstreamConfig u = new UpstreamConfig("a", "https://a.example", Duration.ofSeconds(1), null);
        assertThat(u.url()).isEqualTo("https://a.example/");
        assertThat(u.auth()).isEqualTo(UpstreamAuth.NONE);
        assertThat(u.alwaysAuth()).isTrue();
        assertThat(u.extraCredentialHosts()).isEmpty();
        assertThat(u.readTimeout()).isEqualTo(UpstreamConfig.DEFAULT_READ_TIMEOUT);
        assertThat(UpstreamConfig.of("a", "https://a.example/"))
                .isEqualTo(new UpstreamConfig("a", "https://a.example/", UpstreamAuth.NONE, true, List.of(), null, null));
        assertThat(u.hasCredentials()).isFalse();
    }

    @Test
    void credentialsGoOnlyUnderTheUpstreamsPrefix() {
        UpstreamConfig u = UpstreamConfig.of("ca", "https://mydomain-111122223333.d.codeartifact.example/npm/myrepo/")
                .withAuth(TOKEN);
        assertThat(u.credentialsApplyTo(URI.create(
                "https://mydomain-111122223333.d.codeartifact.example/npm/myrepo/@corp%2Ftool"))).isTrue();
        // CodeArtifact's tarball URLs carry an explicit :443.
        assertThat(u.credentialsApplyTo(URI.create(
                "https://mydomain-111122223333.d.codeartifact.example:443/npm/myrepo/@corp/tool/-/tool-1.0.0.tgz")))
                .isTrue();
        assertThat(u.credentialsApplyTo(URI.create(
                "https://mydomain-111122223333.d.codeartifact.example/npm/other-repo/x"))).isFalse();
        assertThat(u.credentialsApplyTo(URI.create(
                "https://mydomain-111122223333.d.codeartifact.example:8443/npm/myrepo/x"))).isFalse();
        // The pre-signed storage URL a tarball download redirects to.
        assertThat(u.credentialsApplyTo(URI.create(
                "https://bucket.storage.example/asset?X-Signature=abc"))).isFalse();
        // Never in clear text when the upstream is https.
        assertThat(u.credentialsApplyTo(URI.create(
                "http://mydomain-111122223333.d.codeartifact.example/npm/myrepo/x"))).isFalse();
        assertThat(UpstreamConfig.of("ca", "https://a.example/").credentialsApplyTo(URI.create("https://a.example/x")))
                .isFalse(); // no credentials at all
    }

    @Test
    void dotSegmentsLeavingThePrefixGetNoCredentialsWhetherLiteralOrEncoded() {
        UpstreamConfig u = UpstreamConfig.of("ca", "https://corp.registry.example/npm/myrepo/").withAuth(TOKEN);
        String base = "https://corp.registry.example/npm/myrepo/";
        // Resolved by the server to /npm/other/x.tgz: another repository on the same host.
        assertThat(u.credentialsApplyTo(URI.create(base + "../other/x.tgz"))).isFalse();
        assertThat(u.credentialsApplyTo(URI.create(base + "./../../x.tgz"))).isFalse();
        assertThat(u.credentialsApplyTo(URI.create(base + "../../../../x.tgz"))).isFalse();
        // Encoded forms a server may decode before resolving.
        assertThat(u.credentialsApplyTo(URI.create(base + "%2e%2e/other/x.tgz"))).isFalse();
        assertThat(u.credentialsApplyTo(URI.create(base + "%2E./other/x.tgz"))).isFalse();
        assertThat(u.credentialsApplyTo(URI.create(base + "..%2fother/x.tgz"))).isFalse();
        assertThat(u.credentialsApplyTo(URI.create(base + "..%5Cother/x.tgz"))).isFalse();
        // Dots that stay inside the prefix, and dots that are part of a name, are harmless.
        assertThat(u.credentialsApplyTo(URI.create(base + "a/../left-pad"))).isTrue();
        assertThat(u.credentialsApplyTo(URI.create(base + "left-pad/-/left-pad-1.0.0.tgz"))).isTrue();
        assertThat(u.credentialsApplyTo(URI.create(base + "@corp%2Ftool/-/tool-1.0.0.tgz"))).isTrue();
        assertThat(u.credentialsApplyTo(URI.create(base + "..dots/-/..dots-1.0.0.tgz"))).isTrue();
        // A sibling whose name only starts like the prefix is another repository.
        assertThat(u.credentialsApplyTo(URI.create("https://corp.registry.example/npm/myrepo-evil/x"))).isFalse();
    }

    @Test
    void extraHostsReceiveThemToo() {
        UpstreamConfig u = UpstreamConfig.of("a", "https://registry.example.internal/npm/").withAuth(TOKEN)
                .withExtraCredentialHosts(List.of("Files.Example.Internal", "dl.example.internal:8443"));
        assertThat(u.extraCredentialHosts()).containsExactly("files.example.internal", "dl.example.internal:8443");
        assertThat(u.credentialsApplyTo(URI.create("https://files.example.internal/any/path.tgz"))).isTrue();
        assertThat(u.credentialsApplyTo(URI.create("https://dl.example.internal:8443/x.tgz"))).isTrue();
        assertThat(u.credentialsApplyTo(URI.create("https://dl.example.internal/x.tgz"))).isFalse();
        assertThat(u.credentialsApplyTo(URI.create("http://files.example.internal/x.tgz"))).isFalse();
    }

    @Test
    void authRecordsCheckTheirInvariants() {
        assertThatThrownBy(() -> new UpstreamAuth.Basic("a:b", Secret.of("p")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UpstreamAuth.CodeArtifact("d1", null, "eu-west-1", 60, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UpstreamAuth.TokenCommand(List.of(), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new UpstreamAuth.TokenCommand(List.of("t"), null).refreshInterval())
                .isEqualTo(UpstreamAuth.TokenCommand.DEFAULT_REFRESH);
        assertThat(new UpstreamAuth.TokenCommand(List.of("t", "${A:-x}"), null).argv(Map.of()))
                .containsExactly("t", "x");
    }

    @Test
    void secretsCompareByValueAndPrintAsStars() {
        Secret s = Secret.of("value");
        assertThat(s).isEqualTo(Secret.of("value")).isNotEqualTo(Secret.of("other"));
        assertThat(s.toString()).isEqualTo("***");
        assertThat("token=" + s).isEqualTo("token=***");
        assertThat(s.matches("value")).isTrue();
        assertThat(s.matches(null)).isFalse();
    }
}

package io.npmgateway.npm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RequestPathParserTest {
    private final RequestPathParser root = new RequestPathParser("/");
    private final RequestPathParser prefixed = new RequestPathParser("/npm/");

    @ParameterizedTest
    @ValueSource(strings = {"/@corp%2fwidget", "/@corp%2Fwidget", "/@corp/widget", "/%40corp%2fwidget", "/@corp/widget/"})
    void everyScopedSpellingIsTheSamePackument(String path) {
        assertThat(root.parse(path)).isEqualTo(new RegistryRequest.Packument(new PackageName("corp", "widget")));
    }

    @Test
    void unscopedPackument() {
        assertThat(root.parse("/lodash")).isEqualTo(new RegistryRequest.Packument(new PackageName(null, "lodash")));
    }

    @Test
    void legacyMixedCaseNamesAreKeptAsTheyAre() {
        assertThat(root.parse("/JSONStream")).isEqualTo(new RegistryRequest.Packument(PackageName.parse("JSONStream")));
    }

    @Test
    void versionAndTagManifests() {
        assertThat(root.parse("/lodash/4.17.21"))
                .isEqualTo(new RegistryRequest.Version(PackageName.parse("lodash"), "4.17.21"));
        assertThat(root.parse("/@corp%2fwidget/latest"))
                .isEqualTo(new RegistryRequest.Version(PackageName.parse("@corp/widget"), "latest"));
        assertThat(root.parse("/@corp/widget/1.0.0-beta.1+build.5"))
                .isEqualTo(new RegistryRequest.Version(PackageName.parse("@corp/widget"), "1.0.0-beta.1+build.5"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/@corp/widget/-/widget-1.0.0.tgz", "/@corp%2fwidget/-/widget-1.0.0.tgz",
            "/@corp%2Fwidget/-/widget-1.0.0.tgz"})
    void tarballInEverySpelling(String path) {
        RegistryRequest.Tarball t = (RegistryRequest.Tarball) root.parse(path);
        assertThat(t.name()).isEqualTo(PackageName.parse("@corp/widget"));
        assertThat(t.fileName()).isEqualTo("widget-1.0.0.tgz");
        assertThat(t.storeKey()).isEqualTo("@corp/widget/-/widget-1.0.0.tgz");
    }

    @Test
    void artifactoryStyleScopedTarballFileName() {
        RegistryRequest.Tarball t = (RegistryRequest.Tarball) root.parse("/@corp/widget/-/@corp/widget-1.0.0.tgz");
        assertThat(t.fileName()).isEqualTo("@corp/widget-1.0.0.tgz");
    }

    @Test
    void metaRoutes() {
        assertThat(root.parse("/")).isEqualTo(new RegistryRequest.Root());
        assertThat(root.parse("/-/ping")).isEqualTo(new RegistryRequest.Ping());
        assertThat(root.parse("/-/package/@corp%2fwidget/dist-tags"))
                .isEqualTo(new RegistryRequest.DistTags(PackageName.parse("@corp/widget")));
        assertThat(root.parse("/-/package/@corp/widget/dist-tags"))
                .isEqualTo(new RegistryRequest.DistTags(PackageName.parse("@corp/widget")));
        assertThat(root.parse("/-/package/lodash/dist-tags"))
                .isEqualTo(new RegistryRequest.DistTags(PackageName.parse("lodash")));
        assertThat(root.parse("/-/v1/search")).isInstanceOf(RegistryRequest.UnknownMeta.class);
    }

    @Test
    void pathPrefixIsStrippedAndPathsOutsideItAreNotRegistryPaths() {
        assertThat(prefixed.parse("/npm/lodash")).isEqualTo(new RegistryRequest.Packument(PackageName.parse("lodash")));
        assertThat(prefixed.parse("/npm/")).isEqualTo(new RegistryRequest.Root());
        assertThat(prefixed.parse("/npm")).isEqualTo(new RegistryRequest.Root());
        assertThat(prefixed.parse("/lodash")).isNull();
        assertThat(prefixed.parse("/npmx/lodash")).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/%2e%2e", "/%2E%2E/etc", "/../x", "/x/../../etc/passwd", "/.hidden", "/_private",
            "/a%00b", "/a%0d%0aSet-Cookie:x", "/a%5cb", "/a\\b", "/%252e%252e", "/%zz", "/a%2", "/%c3%28",
            "/a%20b", "/@scope", "/@/x", "/@scope%2f", "/a//b", "/node_modules", "/a/b/c",
            "/x/-/..%2f..%2fetc.tgz", "/x/-/x-1.0.0.txt", "/x/%2e%2e", "/x/-/%2e%2e", "/%e2%80%ae",
            "/a%2fb%2fc", "/caf\u00e9"})
    void malformedOrUnsafePathsAreRejectedWithAMessage(String path) {
        assertThatThrownBy(() -> root.parse(path)).isInstanceOf(InvalidRequestException.class)
                .hasMessageNotContaining("\u0000").hasMessageNotContaining("\r");
    }

    @Test
    void overLongNamesAndPathsAreRejected() {
        assertThatThrownBy(() -> root.parse("/" + "a".repeat(215))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("214");
        assertThatThrownBy(() -> root.parse("/" + "a".repeat(5000))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("longer than");
    }

    @Test
    void errorMessagesNeverEchoControlCharacters() {
        assertThatThrownBy(() -> PackageName.parse("bad\u0001name"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("\\u0001");
    }
}

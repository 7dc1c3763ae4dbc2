package io.npmgateway.npm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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
        assertThat(root.parse("/-/v1/search")).isEqualTo(new RegistryRequest.Search());
        assertThat(root.parse("/-/v1/done")).isInstanceOf(RegistryRequest.UnknownMeta.class);
    }

    @Test
    void aBareDashOrShortMetaPathIsUnknownNotAnError() {
        // Found by HostilePathParsingPropertiesTest: the account routes looked at a second segment "/-" lacks.
        for (String path : java.util.List.of("/-", "/-/", "/-/team", "/-/org", "/-/user")) {
            assertThat(root.parse(path)).as(path).isInstanceOf(RegistryRequest.UnknownMeta.class);
        }
    }

    @Test
    void auditRoutes() {
        assertThat(root.parse("/-/npm/v1/security/advisories/bulk")).isEqualTo(new RegistryRequest.AuditBulk());
        assertThat(prefixed.parse("/npm/-/npm/v1/security/advisories/bulk")).isEqualTo(new RegistryRequest.AuditBulk());
        assertThat(root.parse("/-/npm/v1/security/audits"))
                .isEqualTo(new RegistryRequest.AuditLegacy("-/npm/v1/security/audits"));
        assertThat(root.parse("/-/npm/v1/security/audits/quick"))
                .isEqualTo(new RegistryRequest.AuditLegacy("-/npm/v1/security/audits/quick"));
        assertThat(root.parse("/-/npm/v1/security/advisories")).isInstanceOf(RegistryRequest.UnknownMeta.class);
    }

    @Test
    void writeRoutes() {
        PackageName widget = PackageName.parse("@corp/widget");
        // npm dist-tag add/rm: the name escaped as npm does, with an upper-case escape, or with a literal slash.
        for (String path : List.of("/-/package/@corp%2fwidget/dist-tags/beta", "/-/package/@corp%2Fwidget/dist-tags/beta",
                "/-/package/@corp/widget/dist-tags/beta")) {
            assertThat(root.parse(path)).as(path).isEqualTo(new RegistryRequest.DistTag(widget, "beta"));
        }
        assertThat(root.parse("/-/package/lodash/dist-tags/next"))
                .isEqualTo(new RegistryRequest.DistTag(PackageName.parse("lodash"), "next"));
        assertThat(root.parse("/@corp%2fwidget/-rev/3-abc123")).isEqualTo(new RegistryRequest.Revision(widget, "3-abc123"));
        assertThat(root.parse("/lodash/-rev/12-ff"))
                .isEqualTo(new RegistryRequest.Revision(PackageName.parse("lodash"), "12-ff"));
        // npm unpublish name@version: the tarball path taken from dist.tarball, then /-rev/<rev>.
        assertThat(root.parse("/@corp/widget/-/widget-1.0.0.tgz/-rev/4-def"))
                .isEqualTo(new RegistryRequest.TarballRevision(widget, "widget-1.0.0.tgz", "4-def"));
        assertThatThrownBy(() -> root.parse("/lodash/-rev/3-a%2f..")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> root.parse("/-/package/lodash/dist-tags/%2e%2e"))
                .isInstanceOf(InvalidRequestException.class);
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

    @Test
    void loginLogoutAndWebLoginPaths() {
        assertThat(root.parse("/-/user/org.couchdb.user:alice")).isEqualTo(new RegistryRequest.UserDocument("alice"));
        assertThat(prefixed.parse("/npm/-/user/org.couchdb.user%3Aa%40b.c"))
                .isEqualTo(new RegistryRequest.UserDocument("a@b.c"));
        assertThat(root.parse("/-/v1/login")).isEqualTo(new RegistryRequest.WebLogin());
        RegistryRequest logout = root.parse("/-/user/token/ngw1.abc.def");
        assertThat(logout).isInstanceOf(RegistryRequest.Logout.class);
        assertThat(((RegistryRequest.Logout) logout).token().reveal()).isEqualTo("ngw1.abc.def");
        assertThat(logout.toString()).doesNotContain("ngw1.abc.def");
        assertThatThrownBy(() -> root.parse("/-/user/org.couchdb.user:")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> root.parse("/-/user/org.couchdb.user:a%2fb"))
                .isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void accountEndpointsKeepASafeTargetForTheUpstream() {
        assertThat(root.parse("/-/npm/v1/tokens")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.TOKENS, "-/npm/v1/tokens"));
        assertThat(root.parse("/-/npm/v1/tokens/token/abc")).extracting(r -> ((RegistryRequest.Account) r).endpoint())
                .isEqualTo(RegistryRequest.AccountEndpoint.TOKENS);
        assertThat(root.parse("/-/npm/v1/user")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.PROFILE, "-/npm/v1/user"));
        assertThat(root.parse("/-/npm/v1/keys")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.KEYS, "-/npm/v1/keys"));
        assertThat(root.parse("/-/_view/starredByUser")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.STARS, "-/_view/starredByUser"));
        assertThat(root.parse("/-/package/@corp%2fwidget/collaborators")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.ACCESS, "-/package/@corp%2fwidget/collaborators"));
        assertThat(root.parse("/-/team/corp/devs/package")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.ACCESS, "-/team/corp/devs/package"));
        assertThat(root.parse("/-/org/corp/package")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.ACCESS, "-/org/corp/package"));
        assertThat(root.parse("/-/user/alice/package")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.ACCESS, "-/user/alice/package"));
        assertThat(root.parse("/-/team/a%3Fx%20y/devs")).isEqualTo(new RegistryRequest.Account(
                RegistryRequest.AccountEndpoint.ACCESS, "-/team/a%3Fx%20y/devs"));
        assertThatThrownBy(() -> root.parse("/-/team/%2e%2e/devs")).isInstanceOf(InvalidRequestException.class);
    }
}

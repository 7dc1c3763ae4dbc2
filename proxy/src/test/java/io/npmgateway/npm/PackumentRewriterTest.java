package io.npmgateway.npm;

import static io.npmgateway.npm.Fixtures.BASE;
import static io.npmgateway.npm.Fixtures.bytes;
import static io.npmgateway.npm.Fixtures.canonical;
import static io.npmgateway.npm.Fixtures.text;
import static io.npmgateway.npm.Fixtures.tree;
import static io.npmgateway.npm.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class PackumentRewriterTest {

    private final PackumentRewriter rewriter = new PackumentRewriter(BASE);

    private static final PackageName TINY = PackageName.parse("tiny-lib");
    private static final PackageName WIDGET = PackageName.parse("@acme/widget");
    private static final PackageName GADGET = PackageName.parse("@acme/gadget");

    @Test
    void onlyTheTarballUrlsChangeAndFieldOrderIsKept() {
        byte[] upstream = bytes("unscoped.json");

        RewrittenPackument result = rewriter.rewrite(TINY, upstream);

        JsonNode expected = withTarballs(tree(upstream), (version, old) -> BASE + "tiny-lib/-/tiny-lib-" + version + ".tgz");
        assertThat(canonical(tree(result.full()))).isEqualTo(canonical(expected));
    }

    @Test
    void everyFixtureChangesOnlyItsTarballUrls() {
        Map<String, PackageName> fixtures = Map.of(
                "unscoped.json", TINY, "scoped.json", WIDGET, "artifactory.json", GADGET,
                "corgi-edge-cases.json", PackageName.parse("edge-pkg"));
        fixtures.forEach((fixture, name) -> {
            byte[] upstream = bytes(fixture);
            RewrittenPackument result = rewriter.rewrite(name, upstream);
            JsonNode expected = withTarballs(tree(upstream), (version, old) -> old.isTextual()
                    ? BASE + name + "/-/" + name.unscopedName() + "-" + version + ".tgz" : null);
            assertThat(canonical(tree(result.full()))).as(fixture).isEqualTo(canonical(expected));
        });
    }

    @Test
    void noUpstreamTarballUrlSurvivesTheRewrite() {
        RewrittenPackument result = rewriter.rewrite(TINY, bytes("unscoped.json"));

        // The attestation URL legitimately names the upstream; tarballs must not.
        assertThat(text(result.full())).doesNotContain("upstream.example/tiny-lib/-/");
        assertThat(text(result.abbreviated())).doesNotContain("upstream.example/tiny-lib/-/");
    }

    @Test
    void numbersKeepTheirExactSpelling() {
        String full = text(rewriter.rewrite(TINY, bytes("unscoped.json")).full());

        assertThat(full).contains("\"nested\":[1,2.50,-0.0,1.0,12345678901234567890,6.02e23,true,null]");
        assertThat(full).contains("\"fileCount\":7,\"unpackedSize\":12345");

        String edge = text(rewriter.rewrite(PackageName.parse("edge-pkg"), bytes("corgi-edge-cases.json")).full());
        assertThat(edge).contains("\"x-float\":1.0,\"x-big\":12345678901234567890,\"x-exp\":1e3,\"x-neg\":-0.50");
    }

    @Test
    void textIsKeptAndNonAsciiIsWrittenAsUtf8() {
        RewrittenPackument result = rewriter.rewrite(TINY, bytes("unscoped.json"));

        String readme = tree(result.full()).get("readme").textValue();
        assertThat(readme).isEqualTo(tree("unscoped.json").get("readme").textValue());
        assertThat(readme).contains("\u2014", "\"quotes\"", "\t", "\u2028", "\ud83d\udce6", "café", "日本語");
        // An emoji escaped as a surrogate pair upstream becomes four UTF-8 bytes, not two \\u escapes.
        assertThat(text(result.full())).contains("\ud83d\udce6").doesNotContain("\\ud83d");
    }

    @Test
    void scopedTarballUrlUsesTheLiteralScopeAndTheUnscopedFileName() {
        RewrittenPackument result = rewriter.rewrite(WIDGET, bytes("scoped.json"));

        JsonNode versions = tree(result.full()).get("versions");
        assertThat(versions.at("/1.0.0/dist/tarball").textValue())
                .isEqualTo("http://127.0.0.1:4873/@acme/widget/-/widget-1.0.0.tgz");
        assertThat(versions.at("/2.0.0/dist/tarball").textValue())
                .isEqualTo("http://127.0.0.1:4873/@acme/widget/-/widget-2.0.0.tgz");
    }

    @Test
    void pathPrefixedBaseUrlIsKeptInFront() {
        PackumentRewriter prefixed = new PackumentRewriter("http://host:8080/npm/");

        RewrittenPackument scoped = prefixed.rewrite(WIDGET, bytes("scoped.json"));
        RewrittenPackument unscoped = prefixed.rewrite(TINY, bytes("unscoped.json"));

        assertThat(tree(scoped.full()).at("/versions/2.0.0/dist/tarball").textValue())
                .isEqualTo("http://host:8080/npm/@acme/widget/-/widget-2.0.0.tgz");
        assertThat(tree(unscoped.abbreviated()).at("/versions/1.1.0/dist/tarball").textValue())
                .isEqualTo("http://host:8080/npm/tiny-lib/-/tiny-lib-1.1.0.tgz");
        assertThat(prefixed.tarballUrl(WIDGET, "2.0.0")).isEqualTo("http://host:8080/npm/@acme/widget/-/widget-2.0.0.tgz");
    }

    @Test
    void artifactoryScopePrefixedAndForeignFileNamesBecomeConventional() {
        RewrittenPackument result = rewriter.rewrite(GADGET, bytes("artifactory.json"));

        JsonNode versions = tree(result.full()).get("versions");
        assertThat(versions.at("/1.0.0/dist/tarball").textValue()).isEqualTo(BASE + "@acme/gadget/-/gadget-1.0.0.tgz");
        assertThat(versions.at("/1.1.0/dist/tarball").textValue()).isEqualTo(BASE + "@acme/gadget/-/gadget-1.1.0.tgz");
        assertThat(versions.at("/1.1.1/dist/tarball").textValue()).isEqualTo(BASE + "@acme/gadget/-/gadget-1.1.1.tgz");
    }

    @Test
    void keepsTheOriginalUpstreamUrlAndDigestsPerVersion() {
        RewrittenPackument result = rewriter.rewrite(GADGET, bytes("artifactory.json"));

        assertThat(result.versions().get("1.0.0")).isEqualTo(new VersionDist("1.0.0", "gadget-1.0.0.tgz",
                "https://artifactory.example:443/artifactory/api/npm/npm-remote/@acme/gadget/-/@acme/gadget-1.0.0.tgz",
                null, "a1946ac92492d2347c6235b4d2611184a9b9f100"));
        assertThat(result.versions().get("1.1.0")).isEqualTo(new VersionDist("1.1.0", "gadget-1.1.0.tgz",
                "https://cdn.example/blobs/3f/2a9c/gadget_v1.1.0_final.tgz?sig=abc&expires=1700000000",
                "sha512-Z2FkZ2V0IDEuMS4wIG9uIGEgZm9yZWlnbiBob3N0IC0tIG5vdCBhIHJlYWwgZGlnZXN0IGF0IGFsbCEhIQ==", null));
    }

    @Test
    void versionsWithoutDistOrTarballStayUntouchedAndGetNoDistEntry() {
        byte[] upstream = bytes("artifactory.json");

        RewrittenPackument result = rewriter.rewrite(GADGET, upstream);

        assertThat(result.versions()).containsOnlyKeys("1.0.0", "1.1.0", "1.1.1");
        JsonNode before = tree(upstream).get("versions");
        JsonNode after = tree(result.full()).get("versions");
        for (String version : new String[] {"1.2.0", "1.3.0", "1.4.0"}) {
            assertThat(after.get(version)).as(version).isEqualTo(before.get(version));
        }
        assertThat(tree(result.abbreviated()).at("/versions/1.4.0/dist/tarball").isNull()).isTrue();
    }

    @Test
    void tarballFileNamesResolveToVersionsUnderConventionalAndOriginalNames() {
        RewrittenPackument gadget = rewriter.rewrite(GADGET, bytes("artifactory.json"));

        assertThat(gadget.versionForFile("gadget-1.0.0.tgz")).map(VersionDist::version).contains("1.0.0");
        assertThat(gadget.versionForFile("@acme/gadget-1.0.0.tgz")).map(VersionDist::version).contains("1.0.0");
        assertThat(gadget.versionForFile("gadget-1.1.0.tgz")).map(VersionDist::version).contains("1.1.0");
        assertThat(gadget.versionForFile("gadget_v1.1.0_final.tgz")).map(VersionDist::version).contains("1.1.0");
        assertThat(gadget.versionForFile("%40acme%2Fgadget-1.1.1.tgz")).map(VersionDist::version).contains("1.1.1");
        assertThat(gadget.versionForFile("@acme/gadget-1.1.1.tgz")).map(VersionDist::version).contains("1.1.1");
        assertThat(gadget.versionForFile("gadget-1.1.1.tgz")).map(VersionDist::version).contains("1.1.1");
        assertThat(gadget.versionForFile("gadget-1.2.0.tgz")).isEmpty();
        assertThat(gadget.versionForFile("gadget-9.9.9.tgz")).isEmpty();

        RewrittenPackument widget = rewriter.rewrite(WIDGET, bytes("scoped.json"));
        assertThat(widget.versionForFile("widget-1.0.0.tgz")).map(VersionDist::upstreamTarballUrl)
                .contains("https://upstream.example/@acme%2fwidget/-/widget-1.0.0.tgz");
    }

    @Test
    void theIndexKeepsDigestsAndUpstreamUrlsExactlyAsGivenWhateverTheirShape() {
        String sha512 = "sha512-" + java.util.Base64.getEncoder().encodeToString(new byte[64]).replace("AAAA", "AbC+");
        String twoHashes = sha512 + " sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        String doc = "{\"name\":\"x\",\"versions\":{"
                + "\"1.0.0\":{\"dist\":{\"tarball\":\"https://up.example/x/-/x-1.0.0.tgz\",\"integrity\":\""
                + sha512 + "\",\"shasum\":\"0123456789abcdef0123456789abcdef01234567\"}},"
                + "\"1.0.1\":{\"dist\":{\"tarball\":\"https://up.example/x/-/x-1.0.1.tgz\",\"integrity\":\""
                + twoHashes + "\",\"shasum\":\"0123456789ABCDEF0123456789ABCDEF01234567\"}},"
                + "\"1.0.2\":{\"dist\":{\"tarball\":\"https://cdn.example/blobs/9f8e7d?sig=1\",\"integrity\":\"x\"}},"
                + "\"1.0.3\":{\"dist\":{\"tarball\":\"https://up.example/x/-/x-1.0.3.tgz\"}}}}";

        RewrittenPackument result = rewriter.rewrite(PackageName.parse("x"), utf8(doc));

        assertThat(result.versions().get("1.0.0")).isEqualTo(new VersionDist("1.0.0", "x-1.0.0.tgz",
                "https://up.example/x/-/x-1.0.0.tgz", sha512, "0123456789abcdef0123456789abcdef01234567"));
        assertThat(result.versions().get("1.0.1").integrity()).isEqualTo(twoHashes);
        assertThat(result.versions().get("1.0.1").shasum()).isEqualTo("0123456789ABCDEF0123456789ABCDEF01234567");
        assertThat(result.versions().get("1.0.2").upstreamTarballUrl()).isEqualTo("https://cdn.example/blobs/9f8e7d?sig=1");
        assertThat(result.versions().get("1.0.2").integrity()).isEqualTo("x");
        assertThat(result.versions().get("1.0.3").integrity()).isNull();
        assertThat(result.versions().get("1.0.3").shasum()).isNull();
        assertThat(result.versionForFile("9f8e7d")).map(VersionDist::version).hasValue("1.0.2");
        assertThat(result.fileVersions()).as("conventional names are read, not kept").containsOnlyKeys("9f8e7d");
    }

    @Test
    void aConventionalNameIsNeverShadowedByAnotherVersionsOriginalName() {
        String doc = "{\"name\":\"x\",\"versions\":{"
                + "\"2.0.0\":{\"dist\":{\"tarball\":\"https://upstream.example/x/-/x-1.0.0.tgz\"}},"
                + "\"1.0.0\":{\"dist\":{\"tarball\":\"https://upstream.example/x/-/x-1.0.0.tgz\"}}}}";

        RewrittenPackument result = rewriter.rewrite(PackageName.parse("x"), utf8(doc));

        assertThat(result.versionForFile("x-1.0.0.tgz")).map(VersionDist::version).hasValue("1.0.0");
        assertThat(result.versionForFile("x-2.0.0.tgz")).map(VersionDist::version).hasValue("2.0.0");
    }

    @Test
    void collectsDistTagsAndModified() {
        RewrittenPackument tiny = rewriter.rewrite(TINY, bytes("unscoped.json"));
        RewrittenPackument gadget = rewriter.rewrite(GADGET, bytes("artifactory.json"));
        RewrittenPackument edge = rewriter.rewrite(PackageName.parse("edge-pkg"), bytes("corgi-edge-cases.json"));

        assertThat(tiny.distTags()).containsExactly(Map.entry("latest", "1.1.0"), Map.entry("next", "1.1.0-beta.1"));
        assertThat(tiny.modified()).isEqualTo("2022-02-02T02:02:02.222Z");
        assertThat(gadget.distTags()).as("non-string tags are not indexed").containsOnlyKeys("latest");
        assertThat(edge.modified()).isNull();
    }

    @Test
    void versionsKeepDocumentOrder() {
        RewrittenPackument result = rewriter.rewrite(TINY, bytes("unscoped.json"));

        assertThat(result.versions().keySet()).containsExactly("0.9.0", "1.0.0", "1.1.0-beta.1", "1.1.0");
    }

    @Test
    void readingFromAStreamGivesTheSameResultAsFromBytes() throws Exception {
        byte[] upstream = bytes("unscoped.json");

        RewrittenPackument fromBytes = rewriter.rewrite(TINY, upstream);
        RewrittenPackument fromStream = rewriter.rewrite(TINY, new ByteArrayInputStream(upstream), 0);

        assertThat(fromStream.full()).isEqualTo(fromBytes.full());
        assertThat(fromStream.abbreviated()).isEqualTo(fromBytes.abbreviated());
        assertThat(fromStream.versions()).isEqualTo(fromBytes.versions());
        assertThat(fromStream.fileVersions()).isEqualTo(fromBytes.fileVersions());
    }

    @Test
    void aFailingStreamIsAnIoErrorNotAMalformedDocument() {
        byte[] upstream = bytes("unscoped.json");
        InputStream failing = new SequenceInputStream(new ByteArrayInputStream(upstream, 0, 100), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });

        assertThatThrownBy(() -> rewriter.rewrite(TINY, failing, upstream.length))
                .isInstanceOf(IOException.class).isNotInstanceOf(JsonProcessingException.class)
                .hasMessage("connection reset");
    }

    @Test
    void everyDuplicateTarballFieldIsRewrittenAndTheLastOneIsTheUpstreamUrl() {
        String doc = "{\"name\":\"x\",\"versions\":{\"1.0.0\":{\"dist\":{"
                + "\"tarball\":\"https://upstream.example/x/-/x-1.0.0.tgz\","
                + "\"tarball\":\"https://elsewhere.example/x-1.0.0.tgz\"}}}}";

        RewrittenPackument result = rewriter.rewrite(PackageName.parse("x"), utf8(doc));

        assertThat(text(result.full())).doesNotContain("upstream.example", "elsewhere.example");
        assertThat(result.versions().get("1.0.0").upstreamTarballUrl()).isEqualTo("https://elsewhere.example/x-1.0.0.tgz");
    }

    @Test
    void aVersionWithCharactersUnsafeInAPathIsPercentEncodedInItsFileName() {
        String doc = "{\"name\":\"x\",\"versions\":{\"1.0.0/../../evil?a#b\":{\"dist\":{"
                + "\"tarball\":\"https://upstream.example/x/-/x-1.0.0.tgz\"}}}}";

        RewrittenPackument result = rewriter.rewrite(PackageName.parse("x"), utf8(doc));

        String tarball = tree(result.full()).at("/versions/1.0.0~1..~1..~1evil?a#b/dist/tarball").textValue();
        assertThat(tarball).isEqualTo(BASE + "x/-/x-1.0.0%2F..%2F..%2Fevil%3Fa%23b.tgz");
        assertThat(result.versionForFile("x-1.0.0%2F..%2F..%2Fevil%3Fa%23b.tgz")).isPresent();
        assertThat(result.versionForFile("x-1.0.0/../../evil?a#b.tgz")).isPresent();
    }

    @Test
    void baseUrlMustEndWithASlashAndBeHttp() {
        assertThatThrownBy(() -> new PackumentRewriter("http://127.0.0.1:4873"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("end with '/'");
        assertThatThrownBy(() -> new PackumentRewriter("ftp://host/"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringSummarisesInsteadOfDumpingTheDocuments() {
        RewrittenPackument result = rewriter.rewrite(TINY, bytes("unscoped.json"));

        assertThat(result.toString()).contains("tiny-lib", "4 versions").hasSizeLessThan(200);
    }

    /** The input tree with each string (or, via {@code replace}, any) tarball replaced as the rewriter should. */
    private static JsonNode withTarballs(JsonNode document, BiFunction<String, JsonNode, String> replace) {
        JsonNode copy = document.deepCopy();
        copy.get("versions").properties().forEach(version -> {
            JsonNode dist = version.getValue().get("dist");
            if (dist instanceof ObjectNode && dist.has("tarball")) {
                String replacement = replace.apply(version.getKey(), dist.get("tarball"));
                if (replacement != null) {
                    ((ObjectNode) dist).put("tarball", replacement);
                }
            }
        });
        return copy;
    }
}

package io.npmgateway.npm;

import static io.npmgateway.npm.Fixtures.BASE;
import static io.npmgateway.npm.Fixtures.bytes;
import static io.npmgateway.npm.Fixtures.text;
import static io.npmgateway.npm.Fixtures.tree;
import static io.npmgateway.npm.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AbbreviatedPackumentTest {

    private final PackumentRewriter rewriter = new PackumentRewriter(BASE);
    private static final PackageName EDGE = PackageName.parse("edge-pkg");
    private static final PackageName TINY = PackageName.parse("tiny-lib");

    @Test
    void edgeCasesGiveExactlyTheExpectedCorgi() {
        RewrittenPackument result = rewriter.rewrite(EDGE, bytes("corgi-edge-cases.json"));

        assertThat(tree(result.abbreviated())).isEqualTo(tree("corgi-edge-cases.abbreviated.json"));
    }

    @Test
    void corgiIsWhatNpmsMinifierMakesOfTheRewrittenFullDocument() {
        Map<String, PackageName> fixtures = Map.of(
                "unscoped.json", TINY, "scoped.json", PackageName.parse("@acme/widget"),
                "artifactory.json", PackageName.parse("@acme/gadget"), "corgi-edge-cases.json", EDGE);
        fixtures.forEach((fixture, name) -> {
            RewrittenPackument result = rewriter.rewrite(name, bytes(fixture));
            assertThat(tree(result.abbreviated())).as(fixture).isEqualTo(CorgiOracle.minify(tree(result.full())));
        });
    }

    @Test
    void topLevelHoldsOnlyNameDistTagsVersionsAndModified() {
        JsonNode corgi = tree(rewriter.rewrite(TINY, bytes("unscoped.json")).abbreviated());

        assertThat(fieldNames(corgi)).containsExactly("name", "dist-tags", "versions", "modified");
    }

    @Test
    void modifiedIsTimeModifiedEvenWhenTimeFollowsVersions() {
        JsonNode corgi = tree(rewriter.rewrite(TINY, bytes("unscoped.json")).abbreviated());

        assertThat(corgi.get("modified").textValue()).isEqualTo("2022-02-02T02:02:02.222Z");
    }

    @Test
    void noModifiedWithoutTimeModified() {
        JsonNode corgi = tree(rewriter.rewrite(EDGE, bytes("corgi-edge-cases.json")).abbreviated());

        assertThat(corgi.has("modified")).isFalse();
    }

    @Test
    void versionFieldsAreExactlyTheKeptNonEmptyOnes() {
        JsonNode versions = tree(rewriter.rewrite(TINY, bytes("unscoped.json")).abbreviated()).get("versions");

        assertThat(fieldNames(versions.get("0.9.0"))).containsExactly("name", "version", "dist");
        assertThat(fieldNames(versions.get("1.0.0")))
                .containsExactly("name", "version", "engines", "dependencies", "devDependencies", "dist");
        assertThat(fieldNames(versions.get("1.1.0-beta.1"))).containsExactly("name", "version", "dependencies", "dist");
        assertThat(fieldNames(versions.get("1.1.0"))).containsExactly("name", "version", "bin", "funding", "engines",
                "dependencies", "peerDependencies", "peerDependenciesMeta", "optionalDependencies", "dist",
                "hasInstallScript");
    }

    @Test
    void distIsCopiedWholeWithTheRewrittenTarball() {
        RewrittenPackument result = rewriter.rewrite(TINY, bytes("unscoped.json"));

        JsonNode fullDist = tree(result.full()).at("/versions/1.1.0/dist");
        JsonNode corgiDist = tree(result.abbreviated()).at("/versions/1.1.0/dist");
        assertThat(corgiDist).isEqualTo(fullDist);
        assertThat(fieldNames(corgiDist)).containsExactly(
                "integrity", "shasum", "tarball", "fileCount", "unpackedSize", "signatures", "attestations");
        assertThat(tree(result.abbreviated()).at("/versions/0.9.0/dist/npm-signature").isTextual()).isTrue();
    }

    @Test
    void neverCarriesTimeLibcScriptsOrOtherFullOnlyFields() {
        String corgi = text(rewriter.rewrite(EDGE, bytes("corgi-edge-cases.json")).abbreviated())
                + text(rewriter.rewrite(TINY, bytes("unscoped.json")).abbreviated());

        for (String field : List.of("time", "libc", "scripts", "readme", "_rev", "_id", "maintainers", "license",
                "main", "gitHead", "_npmUser", "users", "policyRestrictions", "bundledDependencies")) {
            assertThat(corgi).as(field).doesNotContain("\"" + field + "\":");
        }
    }

    @Test
    void falseShrinkwrapAndEmptyDeprecatedAreDroppedButTrueAndTextKept() {
        JsonNode versions = tree(rewriter.rewrite(EDGE, bytes("corgi-edge-cases.json")).abbreviated()).get("versions");

        assertThat(versions.get("1.0.0").has("_hasShrinkwrap")).isFalse();
        assertThat(versions.get("1.0.0").has("deprecated")).isFalse();
        assertThat(versions.get("1.0.3").has("deprecated")).isFalse();
        assertThat(versions.at("/1.0.1/_hasShrinkwrap").booleanValue()).isTrue();
        assertThat(versions.at("/1.0.1/deprecated").textValue()).isEqualTo("use 2.x");
    }

    @Test
    void hasInstallScriptOnlyForNonEmptyPreinstallInstallOrPostinstall() {
        JsonNode versions = tree(rewriter.rewrite(EDGE, bytes("corgi-edge-cases.json")).abbreviated()).get("versions");

        assertThat(versions.at("/1.0.0/hasInstallScript").booleanValue()).as("install").isTrue();
        assertThat(versions.at("/1.0.2/hasInstallScript").booleanValue()).as("preinstall").isTrue();
        assertThat(versions.get("1.0.1").has("hasInstallScript")).as("empty postinstall").isFalse();
        assertThat(versions.get("1.0.3").has("hasInstallScript")).as("scripts not an object").isFalse();
        assertThat(versions.get("2.0.0").has("hasInstallScript")).as("no scripts").isFalse();
    }

    @Test
    void bundledDependenciesIsRenamedUnlessTheNewSpellingIsPresent() {
        JsonNode versions = tree(rewriter.rewrite(EDGE, bytes("corgi-edge-cases.json")).abbreviated()).get("versions");

        assertThat(versions.at("/1.0.0/bundleDependencies/0").textValue()).isEqualTo("bundled-a");
        assertThat(versions.at("/1.0.1/bundleDependencies/0").textValue()).isEqualTo("new-spelling-wins");
        assertThat(versions.get("1.0.2").has("bundleDependencies")).as("empty new spelling still wins").isFalse();
        assertThat(versions.at("/1.0.3/bundleDependencies/0").textValue()).isEqualTo("old-spelling-used");
    }

    @Test
    void emptyObjectsArraysAndNullsAreOmitted() {
        JsonNode versions = tree(rewriter.rewrite(EDGE, bytes("corgi-edge-cases.json")).abbreviated()).get("versions");

        assertThat(fieldNames(versions.get("1.0.2"))).containsExactly("name", "version", "dist", "hasInstallScript");
        assertThat(versions.get("1.0.0").has("dependencies")).isFalse();
        assertThat(versions.get("1.0.0").has("optionalDependencies")).isFalse();
        assertThat(versions.get("1.0.0").has("directories")).isFalse();
    }

    @Test
    void zeroAndEmptyStringScalarsAreOmittedLikeTheMinifierDoes() {
        String doc = "{\"name\":\"x\",\"versions\":{\"1.0.0\":{\"name\":\"x\",\"version\":\"1.0.0\","
                + "\"engines\":0,\"bin\":\"\",\"os\":0.0,\"cpu\":-0e5,\"funding\":1,\"directories\":true,"
                + "\"dist\":{}}}}";

        JsonNode version = tree(rewriter.rewrite(PackageName.parse("x"), utf8(doc)).abbreviated()).at("/versions/1.0.0");

        assertThat(fieldNames(version)).containsExactly("name", "version", "funding", "directories");
    }

    @Test
    void usesTheRequestedNameWhenTheUpstreamOmitsIt() {
        String doc = "{\"versions\":{},\"dist-tags\":{}}";

        JsonNode corgi = tree(rewriter.rewrite(PackageName.parse("@acme/widget"), utf8(doc)).abbreviated());

        assertThat(corgi.get("name").textValue()).isEqualTo("@acme/widget");
        assertThat(corgi.get("versions").isEmpty()).isTrue();
    }

    @Test
    void aVersionThatIsNotAnObjectIsCopiedAsIs() {
        String doc = "{\"name\":\"x\",\"versions\":{\"1.0.0\":\"weird\",\"1.0.1\":null}}";

        RewrittenPackument result = rewriter.rewrite(PackageName.parse("x"), utf8(doc));

        assertThat(text(result.abbreviated())).isEqualTo("{\"name\":\"x\",\"versions\":{\"1.0.0\":\"weird\",\"1.0.1\":null}}");
        assertThat(result.versions()).isEmpty();
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

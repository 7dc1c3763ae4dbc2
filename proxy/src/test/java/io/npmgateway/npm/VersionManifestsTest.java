package io.npmgateway.npm;

import static io.npmgateway.npm.Fixtures.BASE;
import static io.npmgateway.npm.Fixtures.bytes;
import static io.npmgateway.npm.Fixtures.text;
import static io.npmgateway.npm.Fixtures.tree;
import static io.npmgateway.npm.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionManifestsTest {

    private final PackumentRewriter rewriter = new PackumentRewriter(BASE);

    @Test
    void returnsTheVersionObjectWithTheGatewayTarball() {
        RewrittenPackument result = rewriter.rewrite(PackageName.parse("tiny-lib"), bytes("unscoped.json"));

        byte[] manifest = VersionManifests.find(result.full(), "1.1.0").orElseThrow();

        assertThat(tree(manifest)).isEqualTo(tree(result.full()).at("/versions/1.1.0"));
        assertThat(tree(manifest).at("/dist/tarball").textValue()).isEqualTo(BASE + "tiny-lib/-/tiny-lib-1.1.0.tgz");
    }

    @Test
    void unknownVersionIsEmpty() {
        RewrittenPackument result = rewriter.rewrite(PackageName.parse("tiny-lib"), bytes("unscoped.json"));

        assertThat(VersionManifests.find(result.full(), "9.9.9")).isEmpty();
        assertThat(VersionManifests.find(result.full(), "latest")).as("tags are resolved by the caller").isEmpty();
    }

    @Test
    void aDistTagResolvedThroughDistTagsFindsItsVersion() {
        RewrittenPackument result = rewriter.rewrite(PackageName.parse("tiny-lib"), bytes("unscoped.json"));

        String version = result.distTags().get("next");

        assertThat(VersionManifests.find(result.full(), version).map(Fixtures::tree).map(m -> m.get("version").textValue()))
                .contains("1.1.0-beta.1");
    }

    @Test
    void onlyKeysDirectlyUnderVersionsMatch() {
        String doc = "{\"1.0.0\":{\"decoy\":1},\"time\":{\"1.0.0\":\"2020-01-01T00:00:00Z\"},"
                + "\"versions\":{\"0.1.0\":{\"1.0.0\":{\"decoy\":2}},\"1.0.0\":{\"real\":true}}}";

        assertThat(VersionManifests.find(utf8(doc), "1.0.0").map(Fixtures::text)).contains("{\"real\":true}");
    }

    @Test
    void documentWithoutVersionsHasNoManifests() {
        assertThat(VersionManifests.find(utf8("{\"name\":\"x\",\"time\":{\"unpublished\":{}}}"), "1.0.0")).isEmpty();
    }

    @Test
    void numbersAndTextAreCopiedExactly() {
        RewrittenPackument result = rewriter.rewrite(PackageName.parse("edge-pkg"), bytes("corgi-edge-cases.json"));

        String manifest = text(VersionManifests.find(result.full(), "1.0.0").orElseThrow());

        assertThat(manifest).contains("\"x-float\":1.0,\"x-big\":12345678901234567890,\"x-exp\":1e3,\"x-neg\":-0.50");
        assertThat(manifest).startsWith("{\"name\":\"edge-pkg\",\"version\":\"1.0.0\",\"bundledDependencies\"");
    }

    @Test
    void aDocumentThatIsNotAnObjectIsMalformed() {
        assertThatThrownBy(() -> VersionManifests.find(utf8("[]"), "1.0.0")).isInstanceOf(MalformedPackumentException.class);
        assertThatThrownBy(() -> VersionManifests.find(utf8("{\"versions\":{"), "1.0.0"))
                .isInstanceOf(MalformedPackumentException.class);
    }
}

package io.npmgateway.npm;

import static io.npmgateway.npm.Fixtures.BASE;
import static io.npmgateway.npm.Fixtures.canonical;
import static io.npmgateway.npm.Fixtures.tree;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A generated document the size of a popular package's, rewritten once for all assertions. */
class LargePackumentRewriteTest {

    private static final int VERSIONS = 20_000;
    private static final PackageName NAME = PackageName.parse("@big/package");
    private static final String TARBALL_PREFIX = BASE + "@big/package/-/package-";

    private static byte[] upstream;
    private static RewrittenPackument result;

    @BeforeAll
    static void rewriteOnce() {
        upstream = LargePackumentGenerator.generate(NAME.toString(), VERSIONS);
        long start = System.nanoTime();
        result = new PackumentRewriter(BASE).rewrite(NAME, upstream);
        report("first (cold) rewrite", System.nanoTime() - start);
    }

    @Test
    void generatedDocumentIsLargeAndDeterministic() {
        assertThat(upstream.length).isGreaterThan(20_000_000);
        assertThat(LargePackumentGenerator.generate("tiny", 50)).isEqualTo(LargePackumentGenerator.generate("tiny", 50));
    }

    @Test
    void everyVersionGetsADistEntryWithItsConventionalFileName() {
        assertThat(result.versions()).hasSize(VERSIONS);
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < VERSIONS; i++) {
            String version = LargePackumentGenerator.version(i);
            VersionDist dist = result.versions().get(version);
            boolean consistent = dist != null
                    && dist.fileName().equals("package-" + version + ".tgz")
                    && dist.upstreamTarballUrl().equals(LargePackumentGenerator.UPSTREAM_BASE + NAME + "/-/" + dist.fileName())
                    && dist.integrity().startsWith("sha512-")
                    && result.versionForFile(dist.fileName()).orElse(null) == dist;
            if (!consistent) {
                wrong.add(version);
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(result.distTags()).containsOnlyKeys("latest", "canary", "v0-lts");
        assertThat(result.modified()).isNotNull();
    }

    @Test
    void everyTarballInBothDocumentsPointsAtTheGateway() throws IOException {
        assertThat(scan(result.full()).gatewayTarballs).isEqualTo(VERSIONS);
        assertThat(scan(result.abbreviated()).gatewayTarballs).isEqualTo(VERSIONS);
        byte[] upstreamHost = "upstream.example".getBytes(StandardCharsets.US_ASCII);
        assertThat(indexOf(upstream, upstreamHost)).as("generator puts the host in tarballs").isPositive();
        assertThat(indexOf(result.full(), upstreamHost)).isEqualTo(-1);
        assertThat(indexOf(result.abbreviated(), upstreamHost)).isEqualTo(-1);
    }

    @Test
    void corgiHasEveryVersionButOnlyTheAbbreviatedFields() throws IOException {
        Scan corgi = scan(result.abbreviated());

        assertThat(corgi.versions).isEqualTo(VERSIONS);
        assertThat(corgi.installScripts).isEqualTo(VERSIONS / LargePackumentGenerator.INSTALL_SCRIPT_EVERY);
        assertThat(corgi.forbiddenFields).isZero();
        assertThat(result.abbreviated().length).isLessThan(result.full().length / 2);
        System.out.printf(Locale.ROOT, "LargePackumentRewriteTest: full %d bytes, abbreviated %d bytes%n",
                result.full().length, result.abbreviated().length);
    }

    @Test
    void aVersionManifestCanBeCutFromTheLargeDocument() {
        String version = result.distTags().get("latest");

        JsonNode manifest = tree(VersionManifests.find(result.full(), version).orElseThrow());

        assertThat(manifest.at("/dist/tarball").textValue()).isEqualTo(TARBALL_PREFIX + version + ".tgz");
    }

    @Test
    void aSmallerGeneratedDocumentMatchesTheTreeOracles() {
        byte[] small = LargePackumentGenerator.generate(NAME.toString(), 300);

        RewrittenPackument rewritten = new PackumentRewriter(BASE).rewrite(NAME, small);

        ObjectNode expected = (ObjectNode) tree(small);
        expected.get("versions").properties().forEach(v ->
                ((ObjectNode) v.getValue().get("dist")).put("tarball", TARBALL_PREFIX + v.getKey() + ".tgz"));
        assertThat(canonical(tree(rewritten.full()))).isEqualTo(canonical(expected));
        assertThat(tree(rewritten.abbreviated())).isEqualTo(CorgiOracle.minify(expected));
    }

    /**
     * Prints a rough single-run figure for the record; timing is not asserted (shared machines vary too much).
     * Real measurements belong to the bench module, which can reuse {@link LargePackumentGenerator}.
     */
    @Test
    void printsRoughRewriteThroughput() {
        long start = System.nanoTime();
        new PackumentRewriter(BASE).rewrite(NAME, upstream);
        report("second rewrite", System.nanoTime() - start);
    }

    private static void report(String what, long nanos) {
        double megabytes = upstream.length / 1e6;
        System.out.printf(Locale.ROOT, "LargePackumentRewriteTest: %s of %.1f MB (%d versions): %d ms, %.0f MB/s%n",
                what, megabytes, VERSIONS, nanos / 1_000_000, megabytes / (nanos / 1e9));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static final class Scan {
        int gatewayTarballs;
        int versions;
        int installScripts;
        int forbiddenFields;
    }

    /** A streaming count over a document too large to hold comfortably as a tree. */
    private static Scan scan(byte[] document) throws IOException {
        Scan scan = new Scan();
        try (JsonParser p = new JsonFactory().createParser(document)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("versions")) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        scan.versions++;
                        p.nextToken();
                        scanVersion(p, scan);
                    }
                } else {
                    if (field.equals("time") || field.equals("readme")) {
                        scan.forbiddenFields++;
                    }
                    p.skipChildren();
                }
            }
        }
        return scan;
    }

    private static void scanVersion(JsonParser p, Scan scan) throws IOException {
        int depth = 1;
        while (depth > 0) {
            JsonToken token = p.nextToken();
            if (token.isStructStart()) {
                depth++;
            } else if (token.isStructEnd()) {
                depth--;
            } else if (token == JsonToken.FIELD_NAME) {
                switch (p.currentName()) {
                    case "tarball":
                        p.nextToken();
                        if (p.getText().startsWith(TARBALL_PREFIX)) {
                            scan.gatewayTarballs++;
                        }
                        break;
                    case "hasInstallScript":
                        scan.installScripts++;
                        break;
                    case "libc":
                    case "scripts":
                    case "time":
                        scan.forbiddenFields++;
                        break;
                    default:
                        break;
                }
            }
        }
    }
}

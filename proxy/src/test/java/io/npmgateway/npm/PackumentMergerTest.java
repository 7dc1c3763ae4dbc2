package io.npmgateway.npm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streaming merge on its own: what it keeps byte for byte, and inputs shaped unlike each other. */
class PackumentMergerTest {
    private static final PackageName NAME = PackageName.parse("@scope/pkg");
    private static final PackumentRewriter REWRITER = new PackumentRewriter("https://gw.example/npm/");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RewrittenPackument rewrite(String upstreamId, String json) {
        return REWRITER.rewrite(NAME, upstreamId, json.getBytes(StandardCharsets.UTF_8));
    }

    private static String version(String v, String extra) {
        return "\"" + v + "\":{\"name\":\"@scope/pkg\",\"version\":\"" + v + "\"" + extra
                + ",\"dist\":{\"tarball\":\"https://up.example/@scope/pkg/-/pkg-" + v + ".tgz\"}}";
    }

    @Test
    void aSingleDocumentIsReturnedAsIs() {
        RewrittenPackument only = rewrite("a", "{\"name\":\"@scope/pkg\",\"versions\":{" + version("1.0.0", "")
                + "}}");
        assertThat(PackumentMerger.merge(NAME, List.of(only))).isSameAs(only);
    }

    @Test
    void manifestsAreCopiedExactlyAndTheFirstDocumentsOtherFieldsKeepTheirOrder() throws Exception {
        RewrittenPackument first = rewrite("a", "{\"_id\":\"@scope/pkg\",\"name\":\"@scope/pkg\",\"_rev\":\"1-a\","
                + "\"versions\":{" + version("1.0.0", ",\"weight\":1.10,\"big\":1e3,\"odd\":{\"x\":[]}") + "},"
                + "\"readme\":\"first\",\"custom\":{\"kept\":true}}");
        RewrittenPackument second = rewrite("b", "{\"name\":\"@scope/pkg\",\"readme\":\"second\","
                + "\"dist-tags\":{\"beta\":\"2.0.0-beta\"},\"time\":{\"2.0.0-beta\":\"2025-01-01T00:00:00Z\","
                + "\"modified\":\"2025-01-02T00:00:00Z\"},\"versions\":{" + version("1.0.0", ",\"from\":\"b\"") + ","
                + version("2.0.0-beta", "") + "}}");
        RewrittenPackument merged = PackumentMerger.merge(NAME, List.of(first, second));
        String full = new String(merged.full(), StandardCharsets.UTF_8);

        // Numbers keep their spelling: the manifest is copied token by token, never through a tree.
        assertThat(full).contains("\"weight\":1.10,\"big\":1e3,\"odd\":{\"x\":[]}").doesNotContain("\"from\":\"b\"")
                .doesNotContain("_rev");
        JsonNode doc = JSON.readTree(merged.full());
        assertThat(fieldNames(doc)).containsExactly("_id", "name", "versions", "readme", "custom", "dist-tags",
                "time");
        assertThat(doc.get("readme").asText()).isEqualTo("first");
        assertThat(doc.at("/dist-tags/beta").asText()).isEqualTo("2.0.0-beta");
        assertThat(doc.at("/time/modified").asText()).isEqualTo("2025-01-02T00:00:00Z");
        assertThat(doc.at("/versions/2.0.0-beta/dist/tarball").asText())
                .isEqualTo("https://gw.example/npm/@scope/pkg/-/pkg-2.0.0-beta.tgz");
        assertThat(merged.versions().get("1.0.0").upstreamId()).isEqualTo("a");
        assertThat(merged.versions().get("2.0.0-beta").upstreamId()).isEqualTo("b");
        assertThat(merged.versionForFile("pkg-2.0.0-beta.tgz")).isPresent();
        assertThat(merged.modified()).isEqualTo("2025-01-02T00:00:00Z");

        JsonNode corgi = JSON.readTree(merged.abbreviated());
        assertThat(fieldNames(corgi.get("versions"))).containsExactly("1.0.0", "2.0.0-beta");
        assertThat(corgi.get("modified").asText()).isEqualTo("2025-01-02T00:00:00Z");
        assertThat(corgi.at("/dist-tags/beta").asText()).isEqualTo("2.0.0-beta");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

package io.npmgateway.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataStoreTest {

    @TempDir
    Path dir;

    private GatewayStore store;
    private MetadataStore metadata;

    @BeforeEach
    void open() {
        store = GatewayStore.open(new StoreOptions(dir));
        metadata = store.metadata();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void storedDocumentReadsBackWithAllItsFields() {
        StoredDocument doc = doc("{\"name\":\"left-pad\"}", "\"etag-1\"", "Tue, 01 Jul 2025 10:00:00 GMT", 1234L);

        metadata.put("left-pad", doc);

        assertThat(metadata.get("left-pad")).contains(doc);
    }

    @Test
    void absentValidatorsStayAbsent() {
        StoredDocument doc = doc("{}", null, null, 1L);

        metadata.put("@scope/pkg", doc);

        StoredDocument read = metadata.get("@scope/pkg").orElseThrow();
        assertThat(read.etag()).isNull();
        assertThat(read.lastModified()).isNull();
        assertThat(read).isEqualTo(doc);
    }

    @Test
    void largeBodyRoundTrips() {
        byte[] body = StoreFixtures.randomBytes(12 * 1024 * 1024, 41);
        StoredDocument doc = new StoredDocument(body, "\"big\"", null, 5L, "primary");

        metadata.put("typescript", doc);

        assertThat(metadata.get("typescript").orElseThrow().body()).isEqualTo(body);
    }

    @Test
    void putReplacesTheWholeDocument() {
        metadata.put("pkg", doc("{\"v\":1}", "\"1\"", null, 1L));
        StoredDocument newer = doc("{\"v\":2, \"more\":true}", "\"2\"", null, 2L);

        metadata.put("pkg", newer);

        assertThat(metadata.get("pkg")).contains(newer);
    }

    @Test
    void revalidationUpdatesValidatorsAndFetchTimeButKeepsTheBody() {
        StoredDocument doc = doc("{\"name\":\"pkg\"}", "\"old\"", null, 1000L);
        metadata.put("pkg", doc);

        boolean updated = metadata.markRevalidated("pkg", "\"new\"", "Wed, 02 Jul 2025 10:00:00 GMT", 2000L);

        assertThat(updated).isTrue();
        assertThat(metadata.get("pkg"))
                .contains(doc.revalidated("\"new\"", "Wed, 02 Jul 2025 10:00:00 GMT", 2000L));
        assertThat(metadata.markRevalidated("unknown", null, null, 3000L)).isFalse();
    }

    @Test
    void deleteRemovesOneDocument() {
        metadata.put("a", doc("{}", null, null, 1L));
        metadata.put("b", doc("{}", null, null, 1L));

        metadata.delete("a");

        assertThat(metadata.get("a")).isEmpty();
        assertThat(metadata.get("b")).isPresent();
    }

    @Test
    void deleteByPrefixRemovesExactlyTheKeysWithThatPrefix() {
        for (String key : new String[] {"@corp/a", "@corp/b", "@corp/b/abbreviated", "@corpx/c", "@cor", "@d/e"}) {
            metadata.put(key, doc("{}", null, null, 1L));
        }

        metadata.deleteByPrefix("@corp/");

        assertThat(metadata.get("@corp/a")).isEmpty();
        assertThat(metadata.get("@corp/b")).isEmpty();
        assertThat(metadata.get("@corp/b/abbreviated")).isEmpty();
        assertThat(metadata.get("@corpx/c")).isPresent();
        assertThat(metadata.get("@cor")).isPresent();
        assertThat(metadata.get("@d/e")).isPresent();
    }

    @Test
    void emptyPrefixDeletesEverything() {
        metadata.put("a", doc("{}", null, null, 1L));
        metadata.put("\u00e9l\u00e8ve", doc("{}", null, null, 1L));

        metadata.deleteByPrefix("");

        assertThat(metadata.get("a")).isEmpty();
        assertThat(metadata.get("\u00e9l\u00e8ve")).isEmpty();
    }

    @Test
    void documentsSurviveReopen() {
        StoredDocument doc = doc("{\"name\":\"kept\"}", "\"e\"", null, 77L);
        metadata.put("kept", doc);
        store.close();

        store = GatewayStore.open(new StoreOptions(dir));

        assertThat(store.metadata().get("kept")).contains(doc);
    }

    @Test
    void unknownKeyIsAMiss() {
        assertThat(metadata.get("never-stored")).isEmpty();
    }

    private static StoredDocument doc(String json, String etag, String lastModified, long fetchedAt) {
        return new StoredDocument(json.getBytes(StandardCharsets.UTF_8), etag, lastModified, fetchedAt, "primary");
    }
}

package io.npmgateway.storage;

import static io.npmgateway.storage.StoreFixtures.countChunks;
import static io.npmgateway.storage.StoreFixtures.randomBytes;
import static io.npmgateway.storage.StoreFixtures.store;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk budget: least recently used tarballs go first, and only as many as it takes. */
class TarballEvictionTest {

    private static final int CHUNK = 1000;
    private static final int SIZE = 1500;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));

    private GatewayStore open(long budget) {
        return GatewayStore.open(new StoreOptions(dir, budget, CHUNK), clock);
    }

    private void storeAt(GatewayStore store, String name) {
        clock.advance(Duration.ofMinutes(1));
        store(store, key(name), randomBytes(SIZE, name.hashCode()), CHUNK);
    }

    @Test
    void leastRecentlyUsedTarballsAreEvictedUntilUnderBudget() {
        try (GatewayStore store = open(4 * SIZE)) {
            storeAt(store, "a");
            storeAt(store, "b");
            storeAt(store, "c");
            storeAt(store, "d");
            clock.advance(Duration.ofMinutes(1));
            store.tarballs().find(key("a"));
            store.tarballs().find(key("c"));

            // Two more push the total 2 tarballs over; b and d are now the least recently used.
            storeAt(store, "e");
            storeAt(store, "f");
            store.tarballs().evictToBudget();
            store.awaitMaintenance();

            assertThat(present(store, "a", "b", "c", "d", "e", "f")).containsExactly("a", "c", "e", "f");
            assertThat(store.tarballs().totalBytes()).isEqualTo(4 * SIZE);
            assertThat(store.tarballs().entryCount()).isEqualTo(4);
            assertThat(store.tarballs().evictionCount()).isEqualTo(2);
            assertThat(countChunks(store)).isEqualTo(4 * 2);
        }
    }

    @Test
    void commitOverBudgetEvictsInTheBackground() {
        try (GatewayStore store = open(2 * SIZE)) {
            storeAt(store, "old");
            storeAt(store, "mid");
            storeAt(store, "new");

            store.awaitMaintenance();

            assertThat(present(store, "old", "mid", "new")).containsExactly("mid", "new");
            assertThat(store.tarballs().evictionCount()).isEqualTo(1);
        }
    }

    @Test
    void nothingIsEvictedWithinBudgetOrWithoutOne() {
        try (GatewayStore store = open(3 * SIZE)) {
            storeAt(store, "a");
            storeAt(store, "b");
            storeAt(store, "c");

            assertThat(store.tarballs().evictToBudget()).isZero();
            assertThat(store.tarballs().entryCount()).isEqualTo(3);
        }
        try (GatewayStore store = open(0)) {
            storeAt(store, "d");
            assertThat(store.tarballs().evictToBudget()).isZero();
            assertThat(store.tarballs().entryCount()).isEqualTo(4);
        }
    }

    @Test
    void accessTimesSurviveReopenAndStillDecideTheOrder() {
        try (GatewayStore store = open(0)) {
            storeAt(store, "a");
            storeAt(store, "b");
            storeAt(store, "c");
            clock.advance(Duration.ofMinutes(1));
            store.tarballs().find(key("a"));
        }

        // Reopened with a budget for two: b, the least recently used, goes (at open, in the background).
        try (GatewayStore store = open(2 * SIZE)) {
            store.awaitMaintenance();

            assertThat(present(store, "a", "b", "c")).containsExactly("a", "c");
        }
    }

    @Test
    void readerOfAnEvictedTarballSeesItGoneRatherThanWrongBytes() {
        try (GatewayStore store = open(SIZE)) {
            storeAt(store, "a");
            TarballManifest streaming = store.tarballs().find(key("a")).orElseThrow();
            storeAt(store, "b");
            store.tarballs().evictToBudget();

            assertThatThrownBy(() -> store.tarballs().readChunk(streaming, 1))
                    .isInstanceOf(TarballGoneException.class);
        }
    }

    private static java.util.List<String> present(GatewayStore store, String... names) {
        return java.util.Arrays.stream(names).filter(n -> store.tarballs().find(key(n)).isPresent()).toList();
    }

    private static String key(String name) {
        return name + "/-/" + name + "-1.0.0.tgz";
    }
}

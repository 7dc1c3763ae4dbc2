package io.npmgateway.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TarballIndexTest {

    @Test
    void oldestEntriesComeOldestFirst() {
        TarballIndex index = new TarballIndex();
        index.add("d", 100, 40);
        index.add("a", 100, 10);
        index.add("c", 100, 30);
        index.add("b", 100, 20);
        index.add("e", 100, 50);

        assertThat(index.oldest(2)).extracting(TarballIndex.Candidate::key).containsExactly("a", "b");
        assertThat(index.oldest(10)).extracting(TarballIndex.Candidate::key).containsExactly("a", "b", "c", "d", "e");
    }

    @Test
    void victimsComeInLeastRecentlyUsedOrderSkippingEntriesUsedOrRemovedSinceQueued() {
        TarballIndex index = new TarballIndex();
        for (int i = 0; i < 5; i++) {
            index.add("k" + i, 10, i);
        }

        assertThat(index.pollLeastRecentlyUsed().key()).isEqualTo("k0");
        index.get("k1").touch(100);
        index.remove("k2");
        assertThat(index.pollLeastRecentlyUsed().key()).isEqualTo("k3");
        index.add("new", 10, 200);
        assertThat(index.pollLeastRecentlyUsed().key()).isEqualTo("k4");
        // The queue is spent; the next scan sees k0 (never removed here), k1 (touched to 100) and the new entry.
        assertThat(index.pollLeastRecentlyUsed().key()).isEqualTo("k0");
    }

    @Test
    void emptyIndexHasNoVictim() {
        assertThat(new TarballIndex().pollLeastRecentlyUsed()).isNull();
    }

    @Test
    void aTouchMakesAnEntryRecentAndDirtyOnce() {
        TarballIndex index = new TarballIndex();
        index.add("a", 10, 100);
        index.add("b", 10, 200);

        index.get("a").touch(300);
        index.get("b").touch(150);

        assertThat(index.oldest(1)).extracting(TarballIndex.Candidate::key).containsExactly("b");
        java.util.Map<String, Long> flushed = new java.util.HashMap<>();
        index.drainDirtyAccesses(flushed::put);
        assertThat(flushed).containsExactly(java.util.Map.entry("a", 300L));
        flushed.clear();
        index.drainDirtyAccesses(flushed::put);
        assertThat(flushed).isEmpty();
    }

    @Test
    void totalFollowsAddsReplacementsAndRemovals() {
        TarballIndex index = new TarballIndex();
        index.add("a", 10, 0);
        index.add("b", 20, 0);
        index.add("a", 5, 0);
        index.remove("b");
        index.remove("missing");

        assertThat(index.totalBytes()).isEqualTo(5);
        assertThat(index.count()).isEqualTo(1);
    }
}

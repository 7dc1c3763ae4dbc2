package io.npmgateway.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TarballIndexTest {

    @Test
    void victimsAreTheOldestThatCoverTheExcessOldestFirst() {
        TarballIndex index = new TarballIndex();
        index.add("d", 100, 40);
        index.add("a", 100, 10);
        index.add("c", 100, 30);
        index.add("b", 100, 20);
        index.add("e", 100, 50);

        assertThat(index.leastRecentlyUsed(150)).extracting(TarballIndex.Candidate::key).containsExactly("a", "b");
        assertThat(index.leastRecentlyUsed(100)).extracting(TarballIndex.Candidate::key).containsExactly("a");
        assertThat(index.leastRecentlyUsed(0)).isEmpty();
        assertThat(index.leastRecentlyUsed(10_000)).hasSize(5);
    }

    @Test
    void aTouchMakesAnEntryRecentAndDirtyOnce() {
        TarballIndex index = new TarballIndex();
        index.add("a", 10, 100);
        index.add("b", 10, 200);

        index.get("a").touch(300);
        index.get("b").touch(150);

        assertThat(index.leastRecentlyUsed(1)).extracting(TarballIndex.Candidate::key).containsExactly("b");
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

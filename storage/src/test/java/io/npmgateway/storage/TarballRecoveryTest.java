package io.npmgateway.storage;

import static io.npmgateway.storage.StoreFixtures.countChunks;
import static io.npmgateway.storage.StoreFixtures.countPending;
import static io.npmgateway.storage.StoreFixtures.randomBytes;
import static io.npmgateway.storage.StoreFixtures.readAll;
import static io.npmgateway.storage.StoreFixtures.store;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a crash or shutdown in the middle of downloads leaves behind, and what the next open makes of it. */
class TarballRecoveryTest {

    private static final int CHUNK = 1024;

    @TempDir
    Path dir;

    private GatewayStore open() {
        return GatewayStore.open(new StoreOptions(dir, 0, CHUNK));
    }

    @Test
    void committedTarballsSurviveReopen() {
        byte[] content = randomBytes(3 * CHUNK + 17, 31);
        TarballManifest stored;
        try (GatewayStore store = open()) {
            stored = store(store, "a/-/a-1.0.0.tgz", content, 500);
        }

        try (GatewayStore store = open()) {
            TarballManifest found = store.tarballs().find("a/-/a-1.0.0.tgz").orElseThrow();
            assertThat(found.downloadId()).isEqualTo(stored.downloadId());
            assertThat(found.sha512()).isEqualTo(stored.sha512());
            assertThat(readAll(store.tarballs(), found)).isEqualTo(content);
            assertThat(store.tarballs().totalBytes()).isEqualTo(content.length);
            assertThat(store.tarballs().recoveryReport().orphanDownloads()).isZero();
        }
    }

    @Test
    void chunksOfADownloadCutOffByShutdownAreDeletedAtReopen() {
        try (GatewayStore store = open()) {
            store(store, "kept/-/kept-1.0.0.tgz", randomBytes(2 * CHUNK, 32), CHUNK);
            TarballWriter unfinished = store.tarballs().begin("cut/-/cut-1.0.0.tgz");
            unfinished.append(randomBytes(3 * CHUNK + 5, 33));
            assertThat(countChunks(store)).isEqualTo(2 + 3);
            // No commit, no abort: the store closes under the open download, as at a crash.
        }

        try (GatewayStore store = open()) {
            assertThat(store.tarballs().recoveryReport().orphanDownloads()).isEqualTo(1);
            assertThat(countChunks(store)).isEqualTo(2);
            assertThat(countPending(store)).isZero();
            assertThat(store.tarballs().find("cut/-/cut-1.0.0.tgz")).isEmpty();
            assertThat(store.tarballs().find("kept/-/kept-1.0.0.tgz")).isPresent();
        }
    }

    @Test
    void chunksWrittenStraightToDiskWithoutAManifestAreDeletedAtReopen() {
        long downloadId = 0x0123_4567_89AB_CDEFL;
        try (GatewayStore store = open()) {
            // What the log holds after a crash between two chunk writes: the journal entry and the first chunks.
            Rocks rocks = store.rocks();
            rocks.put(Rocks.Family.PENDING, ChunkKeys.pending(downloadId), "x/-/x-1.0.0.tgz".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 4; i++) {
                rocks.put(Rocks.Family.CHUNKS, ChunkKeys.chunk(downloadId, i), randomBytes(CHUNK, i));
            }
            // A neighbouring download id, to show the sweep deletes exactly one download's range.
            store(store, "y/-/y-1.0.0.tgz", randomBytes(CHUNK + 1, 34), CHUNK);
        }

        try (GatewayStore store = open()) {
            assertThat(store.tarballs().recoveryReport().orphanDownloads()).isEqualTo(1);
            assertThat(countChunks(store)).isEqualTo(2);
            assertThat(readAll(store.tarballs(), store.tarballs().find("y/-/y-1.0.0.tgz").orElseThrow()))
                    .isEqualTo(randomBytes(CHUNK + 1, 34));
        }
    }

    @Test
    void downloadStartedAfterReopenIsNotMistakenForAnOrphan() {
        try (GatewayStore store = open()) {
            store.tarballs().begin("cut/-/cut-1.0.0.tgz").append(randomBytes(2 * CHUNK, 35));
        }
        try (GatewayStore store = open()) {
            byte[] content = randomBytes(2 * CHUNK + 3, 36);
            store(store, "new/-/new-1.0.0.tgz", content, CHUNK);

            assertThat(countChunks(store)).isEqualTo(3);
        }
        try (GatewayStore store = open()) {
            assertThat(store.tarballs().recoveryReport().orphanDownloads()).isZero();
            assertThat(countChunks(store)).isEqualTo(3);
        }
    }
}

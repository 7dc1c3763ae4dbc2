package io.npmgateway.storage;

import static io.npmgateway.storage.StoreFixtures.countChunks;
import static io.npmgateway.storage.StoreFixtures.countPending;
import static io.npmgateway.storage.StoreFixtures.integrityOf;
import static io.npmgateway.storage.StoreFixtures.randomBytes;
import static io.npmgateway.storage.StoreFixtures.readAll;
import static io.npmgateway.storage.StoreFixtures.store;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarballStoreTest {

    private static final int CHUNK = 1000;
    private static final String KEY = "@scope/name/-/name-1.0.0.tgz";

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
    private GatewayStore store;
    private TarballStore tarballs;

    @BeforeEach
    void open() {
        store = GatewayStore.open(new StoreOptions(dir, 0, CHUNK), clock);
        tarballs = store.tarballs();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void committedTarballIsFoundWithItsDigestsAndReadsBackIdentically() {
        byte[] content = randomBytes(3500, 1);

        TarballManifest committed = store(store, KEY, content, 333);

        TarballManifest found = tarballs.find(KEY).orElseThrow();
        assertThat(found).isEqualTo(committed);
        assertThat(found.size()).isEqualTo(3500);
        assertThat(found.chunkCount()).isEqualTo(4);
        assertThat(found.chunkLength(3)).isEqualTo(500);
        assertThat(found.sha512()).isEqualTo(integrityOf(content).toString());
        assertThat(found.sha1()).isEqualTo(HexFormat.of().formatHex(ExpectedIntegrityTest.digest("SHA-1", content)));
        assertThat(found.storedAtMillis()).isEqualTo(clock.millis());
        assertThat(readAll(tarballs, found)).isEqualTo(content);
        assertThat(tarballs.totalBytes()).isEqualTo(3500);
        assertThat(tarballs.entryCount()).isEqualTo(1);
        assertThat(countPending(store)).isZero();
    }

    @Test
    void sizesOnAndAroundChunkBoundariesRoundTrip() {
        for (int size : new int[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7}) {
            byte[] content = randomBytes(size, size);
            String key = "pkg/-/pkg-" + size + ".tgz";

            TarballManifest manifest = store(store, key, content, 97);

            assertThat(manifest.chunkCount()).as("chunks of %d bytes", size).isEqualTo((size + CHUNK - 1) / CHUNK);
            assertThat(readAll(tarballs, tarballs.find(key).orElseThrow())).as("%d bytes", size).isEqualTo(content);
        }
    }

    @Test
    void chunksReadIntoDirectAndHeapBuffersAtTheirPosition() {
        byte[] content = randomBytes(2 * CHUNK + 10, 2);
        TarballManifest manifest = store(store, KEY, content, CHUNK);

        ByteBuffer direct = ByteBuffer.allocateDirect(CHUNK + 20);
        direct.position(5);
        int length = tarballs.readChunk(manifest, 2, direct);
        ByteBuffer heap = ByteBuffer.allocate(CHUNK + 20);
        heap.position(3);
        tarballs.readChunk(manifest, 0, heap);

        assertThat(length).isEqualTo(10);
        assertThat(direct.position()).isEqualTo(15);
        assertThat(direct.limit()).isEqualTo(CHUNK + 20);
        assertThat(bytes(direct.flip().position(5))).isEqualTo(Arrays.copyOfRange(content, 2 * CHUNK, 2 * CHUNK + 10));
        assertThat(heap.position()).isEqualTo(CHUNK + 3);
        assertThat(bytes(heap.flip().position(3))).isEqualTo(Arrays.copyOf(content, CHUNK));
    }

    @Test
    void bufferTooSmallForTheChunkIsRejectedBeforeReading() {
        TarballManifest manifest = store(store, KEY, randomBytes(CHUNK, 3), CHUNK);

        assertThatThrownBy(() -> tarballs.readChunk(manifest, 0, ByteBuffer.allocateDirect(CHUNK - 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("room for " + (CHUNK - 1));
    }

    @Test
    void appendingFromByteBuffersConsumesThemWhole() {
        byte[] content = randomBytes(2500, 4);
        ByteBuffer direct = ByteBuffer.allocateDirect(content.length).put(content).flip();

        try (TarballWriter writer = tarballs.begin(KEY)) {
            writer.append(direct.slice(0, 1200));
            ByteBuffer rest = direct.slice(1200, 1300);
            writer.append(rest);
            assertThat(rest.hasRemaining()).isFalse();
            assertThat(writer.bytesWritten()).isEqualTo(2500);
            assertThat(writer.chunksWritten()).isEqualTo(2);
            writer.commit(integrityOf(content));
        }

        assertThat(readAll(tarballs, tarballs.find(KEY).orElseThrow())).isEqualTo(content);
    }

    @Test
    void integrityMismatchStoresNothingAndLeavesNoChunks() {
        byte[] content = randomBytes(3 * CHUNK + 5, 5);
        TarballWriter writer = tarballs.begin(KEY);
        writer.append(content);
        assertThat(countChunks(store)).isEqualTo(3);

        CommitResult result = writer.commit(integrityOf(randomBytes(10, 6)));

        assertThat(result).isInstanceOfSatisfying(CommitResult.IntegrityMismatch.class, mismatch -> {
            assertThat(mismatch.expected()).isEqualTo(integrityOf(randomBytes(10, 6)).toString());
            assertThat(mismatch.actual()).isEqualTo(integrityOf(content).toString());
        });
        assertThat(tarballs.find(KEY)).isEmpty();
        assertThat(tarballs.totalBytes()).isZero();
        assertThat(countChunks(store)).isZero();
        assertThat(countPending(store)).isZero();
    }

    @Test
    void truncatedDownloadFailsItsIntegrityCheckAndStoresNothing() {
        byte[] content = randomBytes(4 * CHUNK, 7);
        TarballWriter writer = tarballs.begin(KEY);
        writer.append(content, 0, 2 * CHUNK + 100);

        CommitResult result = writer.commit(integrityOf(content));

        assertThat(result).isInstanceOf(CommitResult.IntegrityMismatch.class);
        assertThat(tarballs.find(KEY)).isEmpty();
        assertThat(countChunks(store)).isZero();
    }

    @Test
    void abortedDownloadStoresNothingAndItsReadersSeeItGone() {
        TarballWriter writer = tarballs.begin(KEY);
        writer.append(randomBytes(2 * CHUNK + 1, 8));

        writer.abort();

        assertThat(tarballs.find(KEY)).isEmpty();
        assertThat(countChunks(store)).isZero();
        assertThat(countPending(store)).isZero();
        assertThatThrownBy(() -> writer.readChunk(0)).isInstanceOf(TarballGoneException.class);
        assertThatThrownBy(() -> writer.commit(ExpectedIntegrity.none())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingAnUncommittedWriterAbortsIt() {
        try (TarballWriter writer = tarballs.begin(KEY)) {
            writer.append(randomBytes(CHUNK * 2, 9));
        }

        assertThat(countChunks(store)).isZero();
        assertThat(tarballs.find(KEY)).isEmpty();
    }

    @Test
    void noExpectationCommitsWhateverArrived() {
        byte[] content = randomBytes(10, 10);
        TarballWriter writer = tarballs.begin(KEY);
        writer.append(content);

        CommitResult result = writer.commit(ExpectedIntegrity.none());

        assertThat(result).isInstanceOf(CommitResult.Committed.class);
        assertThat(readAll(tarballs, tarballs.find(KEY).orElseThrow())).isEqualTo(content);
    }

    @Test
    void firstCommittedCopyWinsAndTheSecondDownloadsChunksAreDropped() {
        byte[] content = randomBytes(2 * CHUNK + 3, 11);
        TarballWriter first = tarballs.begin(KEY);
        TarballWriter second = tarballs.begin(KEY);
        first.append(content);
        second.append(content);

        TarballManifest winner = ((CommitResult.Committed) first.commit(integrityOf(content))).manifest();
        CommitResult late = second.commit(integrityOf(content));

        assertThat(late).isEqualTo(new CommitResult.Committed(winner));
        assertThat(tarballs.find(KEY).orElseThrow().downloadId()).isEqualTo(winner.downloadId());
        assertThat(tarballs.totalBytes()).isEqualTo(content.length);
        assertThat(countChunks(store)).isEqualTo(3);
    }

    @Test
    void deletePurgesTheTarballAndItsChunks() {
        TarballManifest manifest = store(store, KEY, randomBytes(2 * CHUNK, 12), CHUNK);

        assertThat(tarballs.delete(KEY)).isTrue();

        assertThat(tarballs.delete(KEY)).isFalse();
        assertThat(tarballs.find(KEY)).isEmpty();
        assertThat(tarballs.totalBytes()).isZero();
        assertThat(tarballs.entryCount()).isZero();
        assertThat(countChunks(store)).isZero();
        assertThatThrownBy(() -> tarballs.readChunk(manifest, 0))
                .isInstanceOf(TarballGoneException.class)
                .hasMessageContaining(KEY);
    }

    @Test
    void findRecordsTheAccessTime() {
        store(store, KEY, randomBytes(10, 13), CHUNK);
        clock.advance(java.time.Duration.ofMinutes(5));

        TarballManifest found = tarballs.find(KEY).orElseThrow();

        assertThat(found.lastAccessMillis()).isEqualTo(clock.millis());
        assertThat(found.storedAtMillis()).isEqualTo(clock.millis() - 5 * 60_000);
    }

    @Test
    void unknownKeyIsAMiss() {
        assertThat(tarballs.find("nope/-/nope-1.0.0.tgz")).isEmpty();
    }

    @Test
    void closedStoreRefusesCallsInsteadOfCrashing() {
        TarballManifest manifest = store(store, KEY, randomBytes(10, 14), CHUNK);
        TarballWriter writer = tarballs.begin("other/-/other-1.0.0.tgz");

        store.close();

        assertThatThrownBy(() -> tarballs.find(KEY)).isInstanceOf(StoreException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> tarballs.readChunk(manifest, 0, ByteBuffer.allocateDirect(CHUNK)))
                .isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> writer.append(new byte[CHUNK])).isInstanceOf(StoreException.class);
        // The failed chunk write ended the download rather than leaving a full buffer to spin on.
        assertThatThrownBy(() -> writer.append(new byte[1])).isInstanceOf(IllegalStateException.class);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}

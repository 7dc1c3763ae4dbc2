package io.npmgateway.storage;

import static io.npmgateway.storage.StoreFixtures.integrityOf;
import static io.npmgateway.storage.StoreFixtures.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clients that join a download in progress read its chunks from disk on their own threads. */
class InProgressDownloadTest {

    private static final int CHUNK = 4096;
    private static final String KEY = "big/-/big-2.0.0.tgz";
    private static final int DONE = -1;

    @TempDir
    Path dir;

    private GatewayStore store;
    private ExecutorService readers;

    @BeforeEach
    void open() {
        store = GatewayStore.open(new StoreOptions(dir, 0, CHUNK));
        readers = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void close() {
        readers.shutdownNow();
        store.close();
    }

    @Test
    void readerOnAnotherThreadReadsEachChunkBeforeTheDownloadCommits() throws Exception {
        byte[] content = randomBytes(5 * CHUNK + 123, 21);
        TarballWriter writer = store.tarballs().begin(KEY);
        BlockingQueue<Integer> written = new LinkedBlockingQueue<>();
        BlockingQueue<Integer> read = new LinkedBlockingQueue<>();
        Future<byte[]> follower = readers.submit(() -> follow(writer, written, read));

        // Lock-step: the writer goes on only after the reader has read the chunk just written, so every read of a
        // full chunk provably happens while the download is still open.
        int offset = 0;
        for (int chunk = 0; chunk < 5; chunk++) {
            writer.append(content, offset, CHUNK);
            offset += CHUNK;
            assertThat(writer.chunksWritten()).isEqualTo(chunk + 1);
            written.put(chunk);
            assertThat(read.poll(10, TimeUnit.SECONDS)).isEqualTo(chunk);
            assertThat(store.tarballs().find(KEY)).as("invisible until commit").isEmpty();
        }
        writer.append(content, offset, content.length - offset);
        assertThat(writer.chunksWritten()).as("the short tail is written at commit").isEqualTo(5);
        assertThat(writer.commit(integrityOf(content))).isInstanceOf(CommitResult.Committed.class);
        written.put(5);
        written.put(DONE);

        assertThat(follower.get(10, TimeUnit.SECONDS)).isEqualTo(content);
    }

    @Test
    void twoReadersAtTheirOwnPaceBothGetTheWholeTarball() throws Exception {
        byte[] content = randomBytes(8 * CHUNK + 1, 22);
        TarballWriter writer = store.tarballs().begin(KEY);
        Future<byte[]> eager = readers.submit(() -> readAsAvailable(writer, content.length));
        Future<byte[]> lagging = readers.submit(() -> readAsAvailable(writer, content.length));

        for (int offset = 0; offset < content.length; offset += 1000) {
            writer.append(content, offset, Math.min(1000, content.length - offset));
        }
        writer.commit(integrityOf(content));

        assertThat(eager.get(10, TimeUnit.SECONDS)).isEqualTo(content);
        assertThat(lagging.get(10, TimeUnit.SECONDS)).isEqualTo(content);
    }

    @Test
    void chunksNotYetWrittenCannotBeRead() {
        TarballWriter writer = store.tarballs().begin(KEY);
        writer.append(new byte[CHUNK + 10]);

        assertThatThrownBy(() -> writer.readChunk(1)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("not written yet");
        writer.abort();
    }

    private static byte[] follow(TarballWriter writer, BlockingQueue<Integer> written, BlockingQueue<Integer> read)
            throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        for (Integer chunk = written.take(); chunk != DONE; chunk = written.take()) {
            buffer.clear();
            writer.readChunk(chunk, buffer);
            buffer.flip();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            out.writeBytes(bytes);
            read.put(chunk);
        }
        return out.toByteArray();
    }

    // Reads chunks as they appear, the way a proxy follower woken by new data would, until it has the length the
    // upstream announced; the deadline only keeps a broken build from hanging.
    private static byte[] readAsAvailable(TarballWriter writer, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int next = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (out.size() < length && System.nanoTime() < deadline) {
            if (next < writer.chunksWritten()) {
                out.writeBytes(writer.readChunk(next++));
            } else {
                Thread.onSpinWait();
            }
        }
        return out.toByteArray();
    }
}

package io.npmgateway.tarball;

import static org.assertj.core.api.Assertions.assertThat;

import io.npmgateway.storage.CommitResult;
import io.npmgateway.storage.ExpectedIntegrity;
import io.npmgateway.storage.GatewayStore;
import io.npmgateway.storage.StoreOptions;
import io.npmgateway.storage.TarballManifest;
import io.npmgateway.storage.TarballWriter;
import io.npmgateway.testing.LogCapture;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real store in a temporary directory, and the file copies made beside it. */
class TarballFileCacheTest {
    private static final int KB = 1024;

    @TempDir
    Path dataDir;

    private GatewayStore store;
    private Path filesDir;
    private TarballFileCache files;

    @BeforeEach
    void openStore() {
        store = GatewayStore.open(new StoreOptions(dataDir.resolve("store")));
        filesDir = dataDir.resolve("tarball-files");
    }

    @AfterEach
    void close() {
        if (files != null) {
            files.close();
        }
        store.close();
    }

    private TarballFileCache open(long maxBytes) {
        files = TarballFileCache.open(store.tarballs(), filesDir, maxBytes);
        return files;
    }

    private TarballManifest stored(String key, byte[] content) throws Exception {
        try (TarballWriter writer = store.tarballs().begin(key)) {
            writer.append(content);
            String sri = "sha512-" + Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-512").digest(content));
            return ((CommitResult.Committed) writer.commit(ExpectedIntegrity.ofIntegrity(sri))).manifest();
        }
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] readAll(FileChannel channel) throws Exception {
        try (channel) {
            ByteBuffer all = ByteBuffer.allocate((int) channel.size());
            while (all.hasRemaining() && channel.read(all) >= 0) {
                // reads until full
            }
            return all.array();
        }
    }

    private void settle() throws Exception {
        files.settled().get(10, TimeUnit.SECONDS);
    }

    private long filesOnDisk() throws Exception {
        if (!Files.isDirectory(filesDir)) {
            return 0;
        }
        try (Stream<Path> list = Files.list(filesDir)) {
            return list.count();
        }
    }

    @Test
    void aStoredTarballIsCopiedOnceInTheBackgroundThenOpenedAsAFileHoldingTheStoredBytes() throws Exception {
        open(64L * 1024 * KB);
        byte[] content = random(300 * KB, 1);
        TarballManifest manifest = stored("left-pad/-/left-pad-1.0.0.tgz", content);
        assertThat(manifest.chunkCount()).as("more than one chunk").isGreaterThan(1);

        assertThat(files.open(manifest)).as("no copy yet: the store serves this one").isNull();
        settle();

        assertThat(readAll(files.open(manifest))).isEqualTo(content);
        assertThat(readAll(files.open(manifest))).isEqualTo(content);
        assertThat(filesOnDisk()).isEqualTo(1);
        assertThat(files.bytes()).isEqualTo(content.length);
    }

    @Test
    void tarballsUnder64KbOrOver1MbAreNeverCopied() throws Exception {
        open(64L * 1024 * KB);
        TarballManifest small = stored("tiny/-/tiny-1.0.0.tgz", random(64 * KB - 1, 2));
        TarballManifest large = stored("huge/-/huge-1.0.0.tgz", random(1024 * KB + 1, 2));

        assertThat(files.open(small)).isNull();
        assertThat(files.open(large)).isNull();
        settle();

        assertThat(files.open(small)).isNull();
        assertThat(files.open(large)).isNull();
        assertThat(filesOnDisk()).isZero();
    }

    @Test
    void copiesStayWithinTheBudgetAndTheEvictedOnesAreDeletedFromDisk() throws Exception {
        open(700L * KB);
        for (int i = 0; i < 6; i++) {
            TarballManifest m = stored("p" + i + "/-/p" + i + "-1.0.0.tgz", random(300 * KB, 10 + i));
            files.open(m);
            settle();
            FileChannel copy = files.open(m);
            if (copy != null) {
                copy.close();
            }
            settle();
        }

        assertThat(files.bytes()).isLessThanOrEqualTo(700L * KB);
        assertThat(filesOnDisk()).as("one file per copy kept, none left behind").isEqualTo(files.bytes() / (300 * KB));
    }

    @Test
    void aTarballStoredAgainUnderTheSameKeyNeverGetsTheOldCopy() throws Exception {
        open(64L * 1024 * KB);
        String key = "left-pad/-/left-pad-1.0.0.tgz";
        TarballManifest first = stored(key, random(200 * KB, 3));
        files.open(first);
        settle();
        assertThat(files.open(first)).isNotNull().satisfies(FileChannel::close);

        store.tarballs().delete(key);
        byte[] again = random(200 * KB, 4);
        TarballManifest second = stored(key, again);

        assertThat(files.open(second)).as("the new download has no copy yet").isNull();
        settle();
        assertThat(readAll(files.open(second))).isEqualTo(again);
    }

    @Test
    void whatAnEarlierRunLeftIsDeletedWhenTheCacheOpens() throws Exception {
        Files.createDirectories(filesDir.resolve("nested"));
        Files.write(filesDir.resolve("1f2e3d"), new byte[100]);
        Files.write(filesDir.resolve("nested/x.partial"), new byte[100]);

        open(64L * 1024 * KB);

        assertThat(filesOnDisk()).isZero();
    }

    @Test
    void aBudgetOfZeroMakesNoCopiesAndNoDirectory() throws Exception {
        open(0);
        TarballManifest m = stored("left-pad/-/left-pad-1.0.0.tgz", random(300 * KB, 5));

        assertThat(files.open(m)).isNull();
        settle();

        assertThat(files.open(m)).isNull();
        assertThat(filesDir).doesNotExist();
    }

    @Test
    void aCopyThatCannotBeWrittenLeavesTheStoreServingAndIsReportedOnce() throws Exception {
        open(64L * 1024 * KB);
        TarballManifest m = stored("left-pad/-/left-pad-1.0.0.tgz", random(300 * KB, 6));
        // The directory is gone and a file stands in its place: nothing can be created in it.
        Files.delete(filesDir);
        Files.write(filesDir, new byte[0]);

        try (LogCapture logs = new LogCapture()) {
            for (int i = 0; i < 3; i++) {
                assertThat(files.open(m)).isNull();
                settle();
            }
            assertThat(logs.lines().stream().filter(l -> l.contains("could not copy a tarball"))).hasSize(1);
        }
        assertThat(files.bytes()).isZero();
    }
}

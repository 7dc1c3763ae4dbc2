package io.npmgateway.storage;

import static io.npmgateway.storage.StoreFixtures.countChunks;
import static io.npmgateway.storage.StoreFixtures.countPending;
import static io.npmgateway.storage.StoreFixtures.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real process death (no close, nothing flushed but the write-ahead log), then a reopen. */
class CrashRecoveryTest {

    @TempDir
    Path dir;

    @Test
    void processKilledMidDownloadLeavesOnlyCommittedTarballs() throws Exception {
        crashAt("mid-download");

        try (GatewayStore store = GatewayStore.open(new StoreOptions(dir, 0, CrashingDownload.CHUNK))) {
            TarballStore tarballs = store.tarballs();
            assertThat(readAll(tarballs, tarballs.find(CrashingDownload.KEPT).orElseThrow()))
                    .isEqualTo(CrashingDownload.keptContent());
            assertThat(tarballs.find(CrashingDownload.CUT)).isEmpty();
            assertThat(tarballs.recoveryReport().orphanDownloads()).isEqualTo(1);
            assertThat(countChunks(store)).isEqualTo(4);
            assertThat(countPending(store)).isZero();
        }
    }

    @Test
    void processKilledRightAfterACommitKeepsThatTarballWhole() throws Exception {
        crashAt("after-commit");

        try (GatewayStore store = GatewayStore.open(new StoreOptions(dir, 0, CrashingDownload.CHUNK))) {
            TarballStore tarballs = store.tarballs();
            assertThat(readAll(tarballs, tarballs.find(CrashingDownload.CUT).orElseThrow()))
                    .isEqualTo(CrashingDownload.cutContent());
            assertThat(tarballs.recoveryReport().orphanDownloads()).isZero();
            assertThat(countChunks(store)).isEqualTo(4 + 7);
        }
    }

    private void crashAt(String phase) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                CrashingDownload.class.getName(), dir.toString(), phase)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        assertThat(child.exitValue()).as("child JVM reached its halt").isZero();
    }
}

package io.npmgateway.storage;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link CrashRecoveryTest}: stores one tarball, starts another, and then dies with
 * {@link Runtime#halt} at the phase named on the command line: no close, no flush, no shutdown hooks, so everything
 * the next open sees comes from RocksDB's write-ahead log.
 */
final class CrashingDownload {

    static final int CHUNK = 1024;
    static final String KEPT = "kept/-/kept-1.0.0.tgz";
    static final String CUT = "cut/-/cut-1.0.0.tgz";

    private CrashingDownload() {
    }

    static byte[] keptContent() {
        return StoreFixtures.randomBytes(3 * CHUNK + 100, 51);
    }

    static byte[] cutContent() {
        return StoreFixtures.randomBytes(6 * CHUNK + 10, 52);
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        String phase = args[1];
        GatewayStore store = GatewayStore.open(new StoreOptions(dir, 0, CHUNK));
        StoreFixtures.store(store, KEPT, keptContent(), 700);
        TarballWriter writer = store.tarballs().begin(CUT);
        byte[] cut = cutContent();
        writer.append(cut, 0, 5 * CHUNK + 1);
        if (phase.equals("after-commit")) {
            writer.append(cut, 5 * CHUNK + 1, cut.length - (5 * CHUNK + 1));
            writer.commit(StoreFixtures.integrityOf(cut));
        }
        Runtime.getRuntime().halt(0);
    }
}

package io.npmgateway.storage;

import java.util.Base64;
import java.util.Random;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;

/** Test data and raw looks at what is on disk. */
final class StoreFixtures {

    private StoreFixtures() {
    }

    static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static ExpectedIntegrity integrityOf(byte[] content) {
        return ExpectedIntegrity.ofIntegrity(
                "sha512-" + Base64.getEncoder().encodeToString(ExpectedIntegrityTest.digest("SHA-512", content)));
    }

    /** Stores {@code content} under {@code key} through a writer, appending in pieces of {@code piece} bytes. */
    static TarballManifest store(GatewayStore store, String key, byte[] content, int piece) {
        try (TarballWriter writer = store.tarballs().begin(key)) {
            for (int offset = 0; offset < content.length; offset += piece) {
                writer.append(content, offset, Math.min(piece, content.length - offset));
            }
            CommitResult result = writer.commit(integrityOf(content));
            return ((CommitResult.Committed) result).manifest();
        }
    }

    static byte[] readAll(TarballStore tarballs, TarballManifest manifest) {
        byte[] all = new byte[(int) manifest.size()];
        int offset = 0;
        for (int i = 0; i < manifest.chunkCount(); i++) {
            byte[] chunk = tarballs.readChunk(manifest, i);
            System.arraycopy(chunk, 0, all, offset, chunk.length);
            offset += chunk.length;
        }
        return all;
    }

    static long countChunks(GatewayStore store) {
        return countKeys(store, Rocks.Family.CHUNKS);
    }

    static long countPending(GatewayStore store) {
        return countKeys(store, Rocks.Family.PENDING);
    }

    static long countKeys(GatewayStore store, Rocks.Family family) {
        Rocks rocks = store.rocks();
        Lock open = rocks.enter();
        try (RocksIterator it = rocks.iterator(family)) {
            long count = 0;
            for (it.seekToFirst(); it.isValid(); it.next()) {
                count++;
            }
            return count;
        } finally {
            open.unlock();
        }
    }
}

package io.npmgateway.bench;

import io.npmgateway.storage.GatewayStore;
import io.npmgateway.storage.StoreOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A real {@link GatewayStore} (unbounded, default chunk size) in a temp directory that closing deletes. */
final class TempStore implements AutoCloseable {

    private final Path directory;
    private GatewayStore store;

    private TempStore(Path directory, GatewayStore store) {
        this.directory = directory;
        this.store = store;
    }

    static TempStore open() {
        try {
            Path directory = Files.createTempDirectory("npm-gateway-bench-store");
            return new TempStore(directory, GatewayStore.open(new StoreOptions(directory, 0)));
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temp directory for the store", e);
        }
    }

    GatewayStore store() {
        return store;
    }

    /**
     * Closes and reopens the store. Recently written data sits in RocksDB's memtable; reopening replays the
     * write-ahead log into table and blob files, where data written long ago (every real cache hit) is read from.
     */
    void reopen() {
        store.close();
        store = GatewayStore.open(new StoreOptions(directory, 0));
    }

    @Override
    public void close() {
        store.close();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(TempStore::delete);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + directory, e);
        }
    }

    private static void delete(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + path, e);
        }
    }
}

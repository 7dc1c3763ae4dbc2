package io.npmgateway.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/**
 * Prepares the data directory and turns the ways opening it can fail into messages an operator can act on.
 * Runs once, before the proxy starts listening; a failure here stops the gateway.
 */
final class DataDirectory {

    private DataDirectory() {
    }

    /** Creates the directory if needed and proves that files can be created in it. */
    static void prepare(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new StoreException("data directory " + dir + " is a file, not a directory; point the gateway's"
                    + " data directory at a new or existing store directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw notWritable(dir, describe(e), e);
        }
        // Permission bits do not tell the whole story (root ignores them, read-only mounts ignore them), so try.
        try {
            Path probe = Files.createTempFile(dir, ".write-probe", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw notWritable(dir, describe(e), e);
        }
    }

    /** Translates a failed {@code RocksDB.open} into what it means for this directory. */
    static StoreException openFailed(Path dir, RocksDBException e) {
        String detail = e.getMessage() == null ? "" : e.getMessage();
        String lower = detail.toLowerCase(Locale.ROOT);
        Status status = e.getStatus();
        boolean ioError = status != null && status.getCode() == Status.Code.IOError;
        // RocksDB holds an fcntl lock on <dir>/LOCK while a database is open. Match the file name, not the word
        // "lock", which also appears in corruption reports ("block checksum mismatch").
        if (ioError && (detail.contains(dir.resolve("LOCK").toString()) || lower.contains("lock hold"))) {
            return new StoreException("data directory " + dir + " is in use by another gateway process (or another"
                    + " store in this one); stop it or give this gateway its own data directory", e);
        }
        if (ioError && (lower.contains("permission denied") || lower.contains("read-only"))) {
            return notWritable(dir, detail, e);
        }
        return new StoreException("data directory " + dir + " holds a store this gateway cannot open (" + detail
                + "); move it aside to start with an empty cache", e);
    }

    private static StoreException notWritable(Path dir, String reason, Exception cause) {
        return new StoreException("data directory " + dir + " is not writable (" + reason + "); point the gateway's"
                + " data directory at a location it can create files in", cause);
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}

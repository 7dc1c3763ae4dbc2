package io.npmgateway.storage;

import java.nio.charset.StandardCharsets;

/**
 * The on-disk layout version, kept in the default column family. Checked at open so that an older gateway refuses a
 * directory a newer one has rewritten, instead of misreading its records.
 */
final class StoreFormat {

    static final byte CURRENT = 1;
    private static final byte[] KEY = "npm-gateway-store-format".getBytes(StandardCharsets.UTF_8);

    private StoreFormat() {
    }

    static void checkOrStamp(Rocks rocks) {
        byte[] stored = rocks.get(Rocks.Family.FORMAT, KEY);
        if (stored == null) {
            rocks.put(Rocks.Family.FORMAT, KEY, new byte[] {CURRENT});
            return;
        }
        if (stored.length != 1 || stored[0] != CURRENT) {
            String found = stored.length == 1 ? Integer.toString(stored[0]) : "unreadable";
            throw new StoreException("data directory " + rocks.dir() + " holds store format " + found
                    + " but this gateway reads format " + CURRENT + "; run the matching gateway version or move the"
                    + " directory aside to start with an empty cache");
        }
    }
}

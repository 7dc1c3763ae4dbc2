package io.npmgateway.storage;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import org.rocksdb.ReadOptions;

/**
 * The packument tier on disk: the L2 under the in-memory cache the proxy owns. The proxy reads it when its memory
 * cache misses (after a restart, or for a document evicted from memory), writes it after every upstream fetch, and
 * updates just the validators after a {@code 304 Not Modified}. Keys are the proxy's choice (for example a package
 * name with a variant suffix); this store treats them as opaque strings.
 *
 * <p>Each document is a small header (validators, fetch time, upstream) and a raw body in separate families, written
 * in one batch and read from one snapshot, so a reader never pairs a body with another version's header.
 *
 * <p>Thread-safe. Writers of the same key are serialized so a revalidation cannot overwrite a newer document's
 * header; different keys do not wait for each other.
 */
public final class MetadataStore {

    private static final int STRIPES = 64;

    private final Rocks rocks;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    MetadataStore(Rocks rocks) {
        this.rocks = rocks;
        Arrays.setAll(stripes, i -> new ReentrantLock());
    }

    public Optional<StoredDocument> get(String key) {
        byte[] rawKey = utf8(key);
        Lock open = rocks.enter();
        ReadOptions snapshot = rocks.snapshotReadOptions();
        try {
            byte[] header = rocks.get(Rocks.Family.METADATA_HEADERS, snapshot, rawKey);
            if (header == null) {
                return Optional.empty();
            }
            DocumentHeaderCodec.Header decoded = DocumentHeaderCodec.decode(key, header);
            byte[] body = rocks.get(Rocks.Family.METADATA_BODIES, snapshot, rawKey);
            // A header without its body is left by a prefix delete racing a revalidation: treat it as absent, and the
            // next put overwrites it.
            if (body == null || body.length != decoded.bodyLength()) {
                return Optional.empty();
            }
            return Optional.of(decoded.withBody(body));
        } finally {
            rocks.releaseSnapshot(snapshot);
            open.unlock();
        }
    }

    /** Stores (or replaces) a document. The body array is kept as is, not copied. */
    public void put(String key, StoredDocument doc) {
        Objects.requireNonNull(doc, "doc");
        byte[] rawKey = utf8(key);
        ReentrantLock lock = stripe(key);
        lock.lock();
        byte[] header = DocumentHeaderCodec.encode(doc);
        try {
            rocks.write(batch -> {
                batch.put(rocks.metadataHeaders(), rawKey, header);
                batch.put(rocks.metadataBodies(), rawKey, doc.body());
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records that the upstream confirmed the stored body is current (a 304), without rewriting the body.
     *
     * @return false when no document is stored under {@code key}
     */
    public boolean markRevalidated(String key, String etag, String lastModified, long fetchedAtMillis) {
        byte[] rawKey = utf8(key);
        ReentrantLock lock = stripe(key);
        lock.lock();
        try {
            byte[] header = rocks.get(Rocks.Family.METADATA_HEADERS, rawKey);
            if (header == null) {
                return false;
            }
            DocumentHeaderCodec.Header old = DocumentHeaderCodec.decode(key, header);
            DocumentHeaderCodec.Header updated = new DocumentHeaderCodec.Header(fetchedAtMillis, old.bodyLength(),
                    old.upstreamId(), etag, lastModified);
            rocks.put(Rocks.Family.METADATA_HEADERS, rawKey, DocumentHeaderCodec.encode(updated));
            return true;
        } finally {
            lock.unlock();
        }
    }

    public void delete(String key) {
        byte[] rawKey = utf8(key);
        ReentrantLock lock = stripe(key);
        lock.lock();
        try {
            rocks.write(batch -> {
                batch.delete(rocks.metadataHeaders(), rawKey);
                batch.delete(rocks.metadataBodies(), rawKey);
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes every document whose key starts with {@code prefix} (an admin purge of a package or a scope); the empty
     * prefix deletes all. One range deletion per family, so the cost does not grow with the number of documents.
     */
    public void deleteByPrefix(String prefix) {
        byte[] start = utf8(prefix);
        // UTF-8 never contains the byte 0xFF, so prefix+0xFF sorts after every key that starts with the prefix and
        // before every key that does not (and is greater).
        byte[] end = Arrays.copyOf(start, start.length + 1);
        end[start.length] = (byte) 0xFF;
        rocks.write(batch -> {
            batch.deleteRange(rocks.metadataHeaders(), start, end);
            batch.deleteRange(rocks.metadataBodies(), start, end);
        });
    }

    private ReentrantLock stripe(String key) {
        return stripes[Math.floorMod(key.hashCode(), STRIPES)];
    }

    private static byte[] utf8(String key) {
        Objects.requireNonNull(key, "key");
        return key.getBytes(StandardCharsets.UTF_8);
    }
}

package io.npmgateway.packument;

import io.npmgateway.npm.PackumentIndex;
import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.npm.RewrittenPackument;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.Adler32;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A packument as the gateway serves it: the rewritten full and abbreviated documents, their gzip encodings and
 * ETags, computed once when the document arrives, so that a cache hit is a lookup and a write of stored bytes.
 * Version manifests are derived on first use and kept with the document; dist-tags and the tarball index are in
 * {@link #index()}.
 *
 * <p><b>Kept compressed.</b> Once its gzip encoding exists, a document is kept only as gzip (off the heap, sent
 * without a copy) unless a client that does not accept gzip has asked for it: npm, pnpm and Yarn all accept gzip,
 * and packuments compress 7-14x, so the metadata cache holds the whole working set of a large project (~1,500
 * packuments, 240 MB of JSON, 22 MB gzipped) where it held a tenth of it. The identity bytes are inflated again
 * the first time a client asks for them, and kept from then on; {@link #weight()} follows what is held, and the
 * cache weighs the entry again when it changes.
 *
 * <p>The gzip encodings are made by {@link #prepareGzip()}; for documents of a megabyte or more the metadata cache
 * calls it just after the first response is on its way, not before it: for a 10 MB document they cost ~100 ms that
 * the client who caused the fetch would otherwise wait for. Until they exist, responses go out uncompressed, which
 * HTTP allows whatever the client accepts.
 *
 * <p>A document comes from one upstream (policy first) or is merged from several (policy merge); {@link #origins()}
 * lists them in route order with the validators each sent, for revalidation. Each version's own upstream is in its
 * {@link io.npmgateway.npm.VersionDist}.
 */
public final class CachedPackument {
    private final PackumentIndex index;
    private final Encoded full;
    private final Encoded abbreviated;
    private final String lastModifiedHttp;
    private final List<Origin> origins;
    private final long fetchedAtMillis;
    private final VersionManifestMemo versionManifests;

    /** One upstream whose document is (part of) this one, with the validators it sent for it. */
    public record Origin(String upstreamId, String etag, String lastModified) {
        public Origin {
            Objects.requireNonNull(upstreamId, "upstreamId");
        }

        /** The same origin after a 304, keeping validators the 304 did not repeat. */
        public Origin revalidated(String newEtag, String newLastModified) {
            return new Origin(upstreamId, newEtag != null ? newEtag : etag,
                    newLastModified != null ? newLastModified : lastModified);
        }
    }

    private CachedPackument(PackumentIndex index, Encoded full, Encoded abbreviated, String lastModifiedHttp,
            List<Origin> origins, long fetchedAtMillis, VersionManifestMemo versionManifests) {
        if (origins.isEmpty()) {
            throw new IllegalArgumentException("a packument comes from at least one upstream");
        }
        this.index = index;
        this.full = full;
        this.abbreviated = abbreviated;
        this.lastModifiedHttp = lastModifiedHttp;
        this.origins = List.copyOf(origins);
        this.fetchedAtMillis = fetchedAtMillis;
        this.versionManifests = versionManifests;
    }

    /** Encodes a freshly rewritten document: the expensive part, run once per upstream fetch, off the event loop. */
    public static CachedPackument encode(RewrittenPackument document, String upstreamId, String upstreamEtag,
            String upstreamLastModified, long fetchedAtMillis) {
        return encode(document, List.of(new Origin(upstreamId, upstreamEtag, upstreamLastModified)), fetchedAtMillis);
    }

    /**
     * Encodes a document made of the documents of {@code origins} (in route order). The document's byte arrays are
     * copied off the heap, not kept.
     */
    public static CachedPackument encode(RewrittenPackument document, List<Origin> origins, long fetchedAtMillis) {
        return new CachedPackument(PackumentIndex.of(document), new Encoded(document.full()),
                new Encoded(document.abbreviated()), httpDate(document.modified()), origins, fetchedAtMillis,
                VersionManifestMemo.forDocument(document.full().length));
    }

    /** The same document, confirmed current by its (only) upstream at {@code nowMillis}. */
    public CachedPackument renewed(long nowMillis, String newEtag, String newLastModified) {
        return renewed(nowMillis, List.of(origins.get(0).revalidated(newEtag, newLastModified)));
    }

    /** The same document, confirmed current by every one of its upstreams at {@code nowMillis}. */
    public CachedPackument renewed(long nowMillis, List<Origin> revalidated) {
        return new CachedPackument(index, full, abbreviated, lastModifiedHttp, revalidated, nowMillis,
                versionManifests);
    }

    /** Dist-tags, versions and tarball file names, without the document's bytes. */
    public PackumentIndex index() {
        return index;
    }

    /** Length of the representation's identity (uncompressed) bytes. */
    public int identityLength(PackumentRepresentation representation) {
        return encoded(representation).identityLength;
    }

    /** The upstreams the document comes from, in route order. */
    public List<Origin> origins() {
        return origins;
    }

    /** The first (for policy first: the only) upstream the document comes from. */
    public String upstreamId() {
        return origins.get(0).upstreamId();
    }

    /** The upstream a version's tarball is fetched from: the one its manifest came from. */
    public String upstreamIdOf(io.npmgateway.npm.VersionDist dist) {
        return dist.upstreamId() != null ? dist.upstreamId() : upstreamId();
    }

    public String upstreamEtag() {
        return origins.get(0).etag();
    }

    public String upstreamLastModified() {
        return origins.get(0).lastModified();
    }

    public long fetchedAtMillis() {
        return fetchedAtMillis;
    }

    /** {@code Last-Modified} for responses: the document's {@code time.modified}, or null. */
    public String lastModifiedHttp() {
        return lastModifiedHttp;
    }

    /**
     * A copy of the representation's bytes as a heap array, for tests and benchmarks: the identity document, or its
     * gzip encoding (made if it was not yet). Responses use {@link #served}.
     */
    public byte[] body(PackumentRepresentation representation, boolean gzip) {
        Encoded e = encoded(representation);
        if (gzip) {
            ByteBuffer encoded = e.gzip();
            byte[] copy = new byte[encoded.remaining()];
            encoded.duplicate().get(copy);
            return copy;
        }
        try (InputStream in = e.identityStream()) {
            return in.readAllBytes();
        } catch (IOException ex) {
            throw new UncheckedIOException("reading a packument kept in memory failed", ex);
        }
    }

    /**
     * The bytes to send, off the heap, as a buffer of its own position over memory shared by every response: the
     * socket sends them without a copy (a heap array would be copied into off-heap memory for every response, which
     * for a hit costs more than everything else the gateway does for it). Gzip when the client accepts it and the
     * encoding has been made, else identity, inflated again if only the gzip is kept (and kept from then on, which
     * changes {@link #weight()}).
     */
    public Served served(PackumentRepresentation representation, boolean acceptsGzip) {
        return encoded(representation).served(acceptsGzip);
    }

    /** Bytes for one response, and whether they are the gzip encoding. */
    public record Served(ByteBuffer bytes, boolean gzip) {
    }

    /**
     * Makes the gzip encodings of both representations if they are not made yet, and from then on keeps the
     * identity bytes only of a representation a client without gzip has asked for; safe to call more than once.
     * Changes {@link #weight()}.
     */
    public CachedPackument prepareGzip() {
        full.gzip();
        abbreviated.gzip();
        return this;
    }

    /** A strong ETag over the representation's identity bytes, shared by its gzip encoding. */
    public String etag(PackumentRepresentation representation) {
        return encoded(representation).etag;
    }

    /**
     * The manifest of one version, from the rewritten full document; derived on first use and kept while the
     * document's memo has room. A version the document's index does not list is answered without a scan (any client
     * can ask for any number of them); the index lists every version with a tarball, i.e. every installable one.
     */
    public Optional<byte[]> versionManifest(String version) {
        if (!index.versions().containsKey(version)) {
            return Optional.empty();
        }
        return versionManifests.get(version, v -> {
            try (InputStream in = full.identityStream()) {
                return io.npmgateway.npm.VersionManifests.find(in, v);
            } catch (IOException e) {
                throw new UncheckedIOException("reading a packument kept in memory failed", e);
            }
        });
    }

    /** The memo of version manifests, for tests of its bound. */
    VersionManifestMemo versionManifestMemo() {
        return versionManifests;
    }

    /**
     * Bytes this entry holds in memory, for the cache's weigher: the encodings held now (identity, gzip, or both),
     * the index on the heap, and the version manifests kept so far. The cache weighs an entry when it is put;
     * {@link PackumentService} weighs it again when any of these changes: after {@link #prepareGzip()}, after
     * identity bytes are inflated again, and after a version manifest is kept.
     */
    public int weight() {
        long w = full.weight() + abbreviated.weight() + index.estimatedBytes() + versionManifests.usedBytes() + 1024;
        return (int) Math.min(Integer.MAX_VALUE, w);
    }

    private Encoded encoded(PackumentRepresentation representation) {
        return representation == PackumentRepresentation.ABBREVIATED ? abbreviated : full;
    }

    private static String httpDate(String isoTimestamp) {
        if (isoTimestamp == null) {
            return null;
        }
        try {
            return DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.parse(isoTimestamp).atOffset(ZoneOffset.UTC));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * One representation's bytes, off the heap: identity until the gzip encoding is made, then gzip, plus identity
     * again once a client without gzip has asked for it; and the ETag. Buffers are never freed by hand: a response
     * still sending a buffer this no longer holds keeps its memory alive until it is done.
     */
    private static final class Encoded {
        private final int identityLength;
        private final String etag;
        private volatile ByteBuffer identity;
        private volatile ByteBuffer gzip;
        private volatile boolean identityWanted;

        Encoded(byte[] bytes) {
            this.identityLength = bytes.length;
            this.etag = etag(bytes);
            ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
            buffer.put(bytes).flip();
            this.identity = buffer.asReadOnlyBuffer();
        }

        Served served(boolean acceptsGzip) {
            if (acceptsGzip) {
                ByteBuffer g = gzip;
                if (g != null) {
                    return new Served(g.duplicate(), true);
                }
                ByteBuffer id = identity;
                if (id != null) {
                    return new Served(id.duplicate(), false);
                }
                // Identity is dropped only after the gzip is set: it was made between the two reads.
                return new Served(gzip.duplicate(), true);
            }
            return new Served(identityKept().duplicate(), false);
        }

        /** The identity bytes for a client that does not accept gzip: kept from now on. */
        private ByteBuffer identityKept() {
            ByteBuffer id = identity;
            if (id != null && identityWanted) {
                return id;
            }
            // Under the lock gzip() drops the identity in: once this says it is wanted, it is never dropped.
            synchronized (this) {
                identityWanted = true;
                if (identity == null) {
                    identity = inflate(gzip, identityLength);
                }
                return identity;
            }
        }

        /** The identity bytes as a stream: read from memory, or inflated from the gzip encoding as they are read. */
        InputStream identityStream() throws IOException {
            ByteBuffer id = identity;
            if (id != null) {
                return new BufferInput(id.duplicate());
            }
            return new GZIPInputStream(new BufferInput(gzip.duplicate()), 64 * 1024);
        }

        ByteBuffer gzip() {
            ByteBuffer made = gzip;
            if (made != null) {
                return made;
            }
            synchronized (this) {
                if (gzip == null) {
                    gzip = deflate(identity.duplicate(), identityLength);
                    if (!identityWanted) {
                        identity = null;
                    }
                }
                return gzip;
            }
        }

        long weight() {
            ByteBuffer id = identity;
            ByteBuffer g = gzip;
            return (id != null ? id.capacity() : 0L) + (g != null ? g.capacity() : 0L);
        }

        private static ByteBuffer deflate(ByteBuffer identity, int length) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 6));
            // Level 6 costs about 2x level 1 but makes the bytes sent to every client ~15% smaller; paid once.
            try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024) {
                {
                    def.setLevel(length > 8 * 1024 * 1024 ? Deflater.BEST_SPEED : 6);
                }
            }) {
                byte[] chunk = new byte[64 * 1024];
                while (identity.hasRemaining()) {
                    int n = Math.min(chunk.length, identity.remaining());
                    identity.get(chunk, 0, n);
                    gz.write(chunk, 0, n);
                }
            } catch (IOException e) {
                throw new IllegalStateException("gzip to memory failed", e);
            }
            byte[] bytes = out.toByteArray();
            ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
            buffer.put(bytes).flip();
            return buffer.asReadOnlyBuffer();
        }

        private static ByteBuffer inflate(ByteBuffer gzip, int length) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(length);
            try (InputStream in = new GZIPInputStream(new BufferInput(gzip.duplicate()), 64 * 1024)) {
                byte[] chunk = new byte[64 * 1024];
                int n;
                while ((n = in.read(chunk)) > 0) {
                    buffer.put(chunk, 0, n);
                }
            } catch (IOException | java.nio.BufferOverflowException e) {
                throw new IllegalStateException("a packument kept in memory did not inflate to its length", e);
            }
            if (buffer.hasRemaining()) {
                throw new IllegalStateException("a packument kept in memory did not inflate to its length");
            }
            return buffer.flip().asReadOnlyBuffer();
        }

        /**
         * A checksum of the bytes, not a cryptographic digest: an ETag only has to change when the document does,
         * and nobody gains from forging one (the gateway makes both the bytes and the tag). CRC-32 and Adler-32 are
         * native zlib code, fast from the first call; SHA-256 ran at ~110 MB/s here once compiled and far slower
         * before, and a cold 10 MB packument spent ~430 ms of its first response hashing. Two checksums with
         * different structure plus the length make an accidental match between two versions of a document
         * negligible (nginx tags files with mtime and length only).
         */
        private static String etag(byte[] data) {
            CRC32 crc = new CRC32();
            crc.update(data);
            Adler32 adler = new Adler32();
            adler.update(data);
            return "\"" + Long.toHexString(data.length) + '-' + HexFormat.of().toHexDigits((int) crc.getValue())
                    + HexFormat.of().toHexDigits((int) adler.getValue()) + "\"";
        }
    }

    /** Reads a buffer of bytes kept in memory (the buffer is the caller's own duplicate). */
    private static final class BufferInput extends InputStream {
        private final ByteBuffer buffer;

        BufferInput(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public int read() {
            return buffer.hasRemaining() ? buffer.get() & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (!buffer.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buffer.remaining());
            buffer.get(b, off, n);
            return n;
        }

        @Override
        public int available() {
            return buffer.remaining();
        }
    }
}

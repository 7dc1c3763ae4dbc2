package io.npmgateway.packument;

import io.npmgateway.npm.PackumentRepresentation;
import io.npmgateway.npm.RewrittenPackument;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.util.zip.GZIPOutputStream;

/**
 * A packument as the gateway serves it: the rewritten full and abbreviated documents, their gzip encodings and
 * ETags, computed once when the document arrives, so that a cache hit is a lookup and a write of stored bytes.
 * Version manifests and the dist-tags object are derived on first use and kept with the document.
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
    private final RewrittenPackument document;
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

    private CachedPackument(RewrittenPackument document, Encoded full, Encoded abbreviated, String lastModifiedHttp,
            List<Origin> origins, long fetchedAtMillis, VersionManifestMemo versionManifests) {
        if (origins.isEmpty()) {
            throw new IllegalArgumentException("a packument comes from at least one upstream");
        }
        this.document = document;
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

    /** Encodes a document made of the documents of {@code origins} (in route order). */
    public static CachedPackument encode(RewrittenPackument document, List<Origin> origins, long fetchedAtMillis) {
        return new CachedPackument(document, Encoded.of(document.full()), Encoded.of(document.abbreviated()),
                httpDate(document.modified()), origins, fetchedAtMillis,
                VersionManifestMemo.forDocument(document.full().length));
    }

    /** The same document, confirmed current by its (only) upstream at {@code nowMillis}. */
    public CachedPackument renewed(long nowMillis, String newEtag, String newLastModified) {
        return renewed(nowMillis, List.of(origins.get(0).revalidated(newEtag, newLastModified)));
    }

    /** The same document, confirmed current by every one of its upstreams at {@code nowMillis}. */
    public CachedPackument renewed(long nowMillis, List<Origin> revalidated) {
        return new CachedPackument(document, full, abbreviated, lastModifiedHttp, revalidated, nowMillis,
                versionManifests);
    }

    public RewrittenPackument document() {
        return document;
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
     * The representation's bytes as a heap array: the identity document itself, or a copy of the gzip encoding (kept
     * off the heap only). Responses use {@link #served}.
     */
    public byte[] body(PackumentRepresentation representation, boolean gzip) {
        Encoded e = encoded(representation);
        if (!gzip) {
            return e.identity();
        }
        ByteBuffer encoded = e.gzip();
        byte[] copy = new byte[encoded.remaining()];
        encoded.duplicate().get(copy);
        return copy;
    }

    /**
     * The bytes to send, off the heap, as a buffer of its own position over memory shared by every response: the
     * socket sends them without a copy (a heap array would be copied into off-heap memory for every response, which
     * for a hit costs more than everything else the gateway does for it). Gzip when the client accepts it and the
     * encoding has been made, else identity.
     */
    public Served served(PackumentRepresentation representation, boolean acceptsGzip) {
        Encoded e = encoded(representation);
        ByteBuffer gzip = acceptsGzip ? e.gzipIfMade() : null;
        return gzip != null ? new Served(gzip.duplicate(), true) : new Served(e.identityOffHeap().duplicate(), false);
    }

    /** Bytes for one response, and whether they are the gzip encoding. */
    public record Served(ByteBuffer bytes, boolean gzip) {
    }

    /** Makes the gzip encodings of both representations if they are not made yet; safe to call more than once. */
    public CachedPackument prepareGzip() {
        full.gzip();
        abbreviated.gzip();
        return this;
    }

    /** A strong ETag over the representation's identity bytes, shared by its gzip encoding. */
    public String etag(PackumentRepresentation representation) {
        return encoded(representation).etag();
    }

    /**
     * The manifest of one version, from the rewritten full document; derived on first use and kept while the
     * document's memo has room. A version the document's index does not list is answered without a scan (any client
     * can ask for any number of them); the index lists every version with a tarball, i.e. every installable one.
     */
    public Optional<byte[]> versionManifest(String version) {
        if (!document.versions().containsKey(version)) {
            return Optional.empty();
        }
        return versionManifests.get(version, v -> io.npmgateway.npm.VersionManifests.find(document.full(), v));
    }

    /** The memo of version manifests, for tests of its bound. */
    VersionManifestMemo versionManifestMemo() {
        return versionManifests;
    }

    /**
     * Bytes this entry holds in memory, for the cache's weigher, which reads it once, when the entry is cached: the
     * gzip encodings made later are counted at a quarter of the identity bytes (packuments compress 7-14x), and the
     * version memo at its full budget.
     */
    public int weight() {
        long w = full.weight() + abbreviated.weight() + versionManifests.budget() + 1024;
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
     * One representation's bytes: identity on the heap (the document, which version look-ups read) and off it (what
     * responses send), gzip off the heap only (made once, on demand), and the ETag.
     */
    private static final class Encoded {
        private final byte[] identity;
        private final ByteBuffer identityOffHeap;
        private final String etag;
        private volatile ByteBuffer gzipOffHeap;

        private Encoded(byte[] identity) {
            this.identity = identity;
            this.identityOffHeap = offHeap(identity);
            this.etag = etag(identity);
        }

        static Encoded of(byte[] identity) {
            return new Encoded(identity);
        }

        byte[] identity() {
            return identity;
        }

        ByteBuffer identityOffHeap() {
            return identityOffHeap;
        }

        String etag() {
            return etag;
        }

        ByteBuffer gzipIfMade() {
            return gzipOffHeap;
        }

        ByteBuffer gzip() {
            ByteBuffer made = gzipOffHeap;
            if (made != null) {
                return made;
            }
            synchronized (this) {
                if (gzipOffHeap == null) {
                    gzipOffHeap = offHeap(gzip(identity));
                }
                return gzipOffHeap;
            }
        }

        long weight() {
            return (long) identity.length + identityOffHeap.capacity() + identity.length / 4;
        }

        private static ByteBuffer offHeap(byte[] bytes) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
            buffer.put(bytes).flip();
            return buffer.asReadOnlyBuffer();
        }

        private static byte[] gzip(byte[] data) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 6));
            // Level 6 costs about 2x level 1 but makes the bytes sent to every client ~15% smaller; paid once.
            try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024) {
                {
                    def.setLevel(data.length > 8 * 1024 * 1024 ? Deflater.BEST_SPEED : 6);
                }
            }) {
                gz.write(data);
            } catch (IOException e) {
                throw new IllegalStateException("gzip to memory failed", e);
            }
            return out.toByteArray();
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
}

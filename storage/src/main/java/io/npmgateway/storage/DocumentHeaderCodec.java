package io.npmgateway.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary form of everything about a stored document except its body, which is stored raw in its own family so
 * that a 40 MB body is never copied into a bigger array to prepend a few fields, and a revalidation rewrites only
 * these few bytes.
 *
 * <pre>
 * version:1  fetchedAtMillis:8  bodyLength:4  upstreamId:str  etag:str  lastModified:str
 * str = length:4 (-1 for null) then UTF-8 bytes
 * </pre>
 */
final class DocumentHeaderCodec {

    private static final byte VERSION = 1;
    private static final int NULL_LENGTH = -1;

    /** The decoded header; the body is read separately and checked against {@code bodyLength}. */
    record Header(long fetchedAtMillis, int bodyLength, String upstreamId, String etag, String lastModified) {

        StoredDocument withBody(byte[] body) {
            return new StoredDocument(body, etag, lastModified, fetchedAtMillis, upstreamId);
        }
    }

    private DocumentHeaderCodec() {
    }

    static byte[] encode(StoredDocument doc) {
        return encode(new Header(doc.fetchedAtMillis(), doc.body().length, doc.upstreamId(), doc.etag(),
                doc.lastModified()));
    }

    static byte[] encode(Header header) {
        byte[] upstreamId = utf8(header.upstreamId());
        byte[] etag = utf8(header.etag());
        byte[] lastModified = utf8(header.lastModified());
        ByteBuffer out = ByteBuffer.allocate(1 + 8 + 4 + sized(upstreamId) + sized(etag) + sized(lastModified));
        out.put(VERSION).putLong(header.fetchedAtMillis()).putInt(header.bodyLength());
        putString(out, upstreamId);
        putString(out, etag);
        putString(out, lastModified);
        return out.array();
    }

    static Header decode(String key, byte[] value) {
        try {
            ByteBuffer in = ByteBuffer.wrap(value);
            byte version = in.get();
            if (version != VERSION) {
                throw new StoreException("stored document " + key + " has header version " + version
                        + ", this gateway reads " + VERSION);
            }
            long fetchedAt = in.getLong();
            int bodyLength = in.getInt();
            String upstreamId = getString(in);
            String etag = getString(in);
            String lastModified = getString(in);
            if (in.hasRemaining() || upstreamId == null || bodyLength < 0) {
                throw new IllegalArgumentException("inconsistent fields");
            }
            return new Header(fetchedAt, bodyLength, upstreamId, etag, lastModified);
        } catch (RuntimeException e) {
            if (e instanceof StoreException storeException) {
                throw storeException;
            }
            throw new StoreException("stored document " + key + " has an unreadable header: " + e, e);
        }
    }

    private static byte[] utf8(String value) {
        return value == null ? null : value.getBytes(StandardCharsets.UTF_8);
    }

    private static int sized(byte[] bytes) {
        return 4 + (bytes == null ? 0 : bytes.length);
    }

    private static void putString(ByteBuffer out, byte[] bytes) {
        if (bytes == null) {
            out.putInt(NULL_LENGTH);
        } else {
            out.putInt(bytes.length).put(bytes);
        }
    }

    private static String getString(ByteBuffer in) {
        int length = in.getInt();
        if (length == NULL_LENGTH) {
            return null;
        }
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("field length " + length + " with " + in.remaining() + " bytes left");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}

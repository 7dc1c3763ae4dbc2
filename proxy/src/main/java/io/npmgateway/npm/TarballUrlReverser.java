package io.npmgateway.npm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The inverse of the read-side rewrite, for the whole documents clients send ({@code npm publish} puts a
 * {@code dist.tarball} built from the registry URL; {@code npm deprecate} and {@code npm unpublish name@version}
 * put back the packument they read with {@code ?write=true}): every {@code "tarball"} string value that starts with
 * the gateway's public base URL gets the write target's base URL instead, so gateway URLs are never persisted
 * upstream. Sits in the write path between the client's request body and the upload to the write target.
 *
 * <p>It works on a stream of byte chunks, split anywhere, and passes every other byte through exactly as sent: a
 * publish body carries the tarball base64-encoded (hundreds of megabytes for large packages) and the provenance
 * bundle as JSON text, and neither is ever held whole. Only the structure is followed (containers, keys, string
 * boundaries and escapes); only {@code tarball} values are buffered, up to {@link #MAX_CAPTURE} bytes. Jackson's
 * token pass cannot do this: {@code JsonParser.getText(Writer)} and the non-blocking parser both materialise a string
 * value whole (and refuse one beyond {@code StreamReadConstraints.maxStringLength}, 20M chars by default), and
 * {@code readBinaryValue} streams only base64, which the provenance attachment is not. Jackson still decodes and
 * encodes the few strings that are rewritten, so escapes are read and written as the rest of the gateway does.
 *
 * <p>A body that is not well-formed JSON is passed on as far as it can be followed and verbatim from where it cannot:
 * the upstream judges it. Not thread-safe: one instance per request body.
 */
public final class TarballUrlReverser {
    /** Longest {@code tarball} value examined; a longer one is passed on unchanged. */
    static final int MAX_CAPTURE = 64 * 1024;
    /** Deeper nesting than this is passed on without being followed (publish documents are a few levels deep). */
    static final int MAX_DEPTH = 1000;
    private static final byte[] TARBALL_KEY = "tarball".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_KEY_CAPTURE = 64;

    /** Where the output goes; a chunk passed to it is valid only during the call. */
    @FunctionalInterface
    public interface Output {
        void write(byte[] bytes, int offset, int length);
    }

    private final String gatewayBase;
    private final String upstreamBase;
    private final Output out;

    // Containers open at the current position: true for an object, false for an array.
    private boolean[] objects = new boolean[16];
    private int depth;
    private boolean expectKey;
    private boolean inString;
    private boolean escaped;
    private boolean stringIsKey;
    private boolean keyEscaped;
    private boolean valueIsTarball;
    private boolean verbatim;
    private final byte[] key = new byte[MAX_KEY_CAPTURE];
    private int keyLength;
    private byte[] capture;
    private int captureLength;

    /**
     * @param gatewayBase  the gateway's public base URL, ending in {@code /}
     * @param upstreamBase the write target's base URL, ending in {@code /}
     * @param out          receives the document with gateway tarball URLs mapped back
     */
    public TarballUrlReverser(String gatewayBase, String upstreamBase, Output out) {
        this.gatewayBase = gatewayBase;
        this.upstreamBase = upstreamBase;
        this.out = out;
    }

    /** The whole-document form, for bodies already in memory. */
    public static byte[] reverse(byte[] document, String gatewayBase, String upstreamBase) {
        ByteArrayOutputStream result = new ByteArrayOutputStream(document.length + 256);
        TarballUrlReverser reverser = new TarballUrlReverser(gatewayBase, upstreamBase, result::write);
        reverser.write(document, 0, document.length);
        reverser.finish();
        return result.toByteArray();
    }

    /** Takes the next chunk of the document; whatever can be decided is written to the output before it returns. */
    public void write(byte[] bytes, int offset, int length) {
        int end = offset + length;
        if (verbatim) {
            out.write(bytes, offset, length);
            return;
        }
        int runStart = offset;
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (inString) {
                if (capture != null) {
                    append(b);
                }
                if (escaped) {
                    escaped = false;
                    keyByte(b);
                } else if (b == '\\') {
                    escaped = true;
                    keyEscaped |= stringIsKey;
                    keyByte(b);
                } else if (b == '"') {
                    inString = false;
                    if (stringIsKey) {
                        valueIsTarball = isTarballKey();
                    } else if (capture != null) {
                        emitCaptured();
                        runStart = i + 1;
                    }
                } else {
                    keyByte(b);
                }
                if (capture != null && captureLength > MAX_CAPTURE) {
                    // Not a URL of ours: give up on it and copy the rest of the string as it comes.
                    out.write(capture, 0, captureLength);
                    capture = null;
                    runStart = i + 1;
                }
                continue;
            }
            switch (b) {
                case '"' -> {
                    inString = true;
                    stringIsKey = depth > 0 && objects[depth - 1] && expectKey;
                    keyLength = 0;
                    keyEscaped = false;
                    if (!stringIsKey && valueIsTarball) {
                        out.write(bytes, runStart, i - runStart);
                        capture = new byte[256];
                        captureLength = 0;
                        append(b);
                    }
                    valueIsTarball = false;
                }
                case '{', '[' -> {
                    valueIsTarball = false;
                    if (depth == MAX_DEPTH) {
                        goVerbatim(bytes, runStart, end);
                        return;
                    }
                    if (depth == objects.length) {
                        objects = Arrays.copyOf(objects, depth * 2);
                    }
                    objects[depth++] = b == '{';
                    expectKey = b == '{';
                }
                case '}', ']' -> {
                    valueIsTarball = false;
                    if (depth == 0 || objects[depth - 1] != (b == '}')) {
                        goVerbatim(bytes, runStart, end);
                        return;
                    }
                    depth--;
                    expectKey = false;
                }
                case ':' -> expectKey = false;
                case ',' -> {
                    valueIsTarball = false;
                    expectKey = depth > 0 && objects[depth - 1];
                }
                default -> {
                    // whitespace, numbers, literals: copied as they are
                }
            }
        }
        if (capture == null && runStart < end) {
            out.write(bytes, runStart, end - runStart);
        }
    }

    /** The document has ended: anything still held (a string cut short) is written as it came. */
    public void finish() {
        if (capture != null) {
            out.write(capture, 0, captureLength);
            capture = null;
        }
    }

    private void goVerbatim(byte[] bytes, int runStart, int end) {
        verbatim = true;
        finish();
        out.write(bytes, runStart, end - runStart);
    }

    private void keyByte(byte b) {
        if (stringIsKey && keyLength < MAX_KEY_CAPTURE) {
            key[keyLength++] = b;
        } else if (stringIsKey) {
            keyLength = MAX_KEY_CAPTURE + 1;
        }
    }

    private boolean isTarballKey() {
        if (keyLength > MAX_KEY_CAPTURE) {
            return false;
        }
        if (!keyEscaped) {
            return Arrays.equals(key, 0, keyLength, TARBALL_KEY, 0, TARBALL_KEY.length);
        }
        // Rare: a key spelled with escapes ("\\u0074arball"), decoded as Jackson would.
        byte[] quoted = new byte[keyLength + 2];
        quoted[0] = '"';
        System.arraycopy(key, 0, quoted, 1, keyLength);
        quoted[keyLength + 1] = '"';
        return "tarball".equals(decode(quoted, quoted.length));
    }

    private void append(byte b) {
        if (captureLength == capture.length) {
            capture = Arrays.copyOf(capture, capture.length * 2);
        }
        capture[captureLength++] = b;
    }

    /** A whole {@code "tarball"} string value was captured, quotes included: mapped back, or written unchanged. */
    private void emitCaptured() {
        byte[] raw = capture;
        int length = captureLength;
        capture = null;
        String url = decode(raw, length);
        if (url != null && url.startsWith(gatewayBase)) {
            byte[] encoded = encode(upstreamBase + url.substring(gatewayBase.length()));
            out.write(encoded, 0, encoded.length);
        } else {
            out.write(raw, 0, length);
        }
    }

    private static String decode(byte[] quoted, int length) {
        boolean plain = true;
        for (int i = 1; i < length - 1 && plain; i++) {
            plain = quoted[i] != '\\';
        }
        if (plain) {
            return new String(quoted, 1, length - 2, StandardCharsets.UTF_8);
        }
        try (JsonParser parser = PackumentJson.FACTORY.createParser(quoted, 0, length)) {
            return parser.nextToken() == JsonToken.VALUE_STRING ? parser.getText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] encode(String value) {
        ByteArrayOutputStream encoded = new ByteArrayOutputStream(value.length() + 16);
        try (JsonGenerator generator = PackumentJson.FACTORY.createGenerator(encoded)) {
            generator.writeString(value);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return encoded.toByteArray();
    }
}

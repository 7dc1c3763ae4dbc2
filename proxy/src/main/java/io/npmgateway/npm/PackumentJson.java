package io.npmgateway.npm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * The one Jackson streaming configuration used on packuments, and the token-copying primitives shared by the
 * rewriter and {@link VersionManifests}. Packuments are never read into a tree: real ones reach 40 MB.
 */
final class PackumentJson {

    /**
     * Deeper than any real packument (they nest about 6 levels; package.json fields such as {@code exports} a
     * few more), shallow enough that a nesting bomb fails after a few hundred bytes instead of growing the
     * parser's context stack.
     */
    static final int MAX_NESTING_DEPTH = 256;

    /**
     * Readmes are truncated to 64 KiB by the public registry but not by every upstream. Jackson's default (20 M
     * chars) is close to real document sizes; at 64 Mi chars the caller's limit on the body is the real bound.
     */
    static final int MAX_STRING_LENGTH = 64 * 1024 * 1024;

    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxStringLength(MAX_STRING_LENGTH)
                    .maxNameLength(64 * 1024)
                    .maxNumberLength(1000)
                    // The caller bounds the body it reads from upstream; a second limit here would disagree with it.
                    .maxDocumentLength(-1)
                    .build())
            // Canonicalisation stays on: most names repeat in every version ("name", "dist", dependency names),
            // and on a generated 33 MB, 20,000-version document it halved parse time and saved ~45 MB of String
            // allocation per rewrite (thread CPU time and allocation, measured with canonicalisation on and off).
            // Its hash-flooding guard raises StreamConstraintsException, which becomes a malformed packument.
            .enable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            // Interning would put every upstream-chosen name (20,000 version keys per document) into the JVM-wide
            // string table for no benefit: names are compared with equals().
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            // Error messages reach clients in 502 bodies: never quote upstream content in them.
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            // Write characters outside the BMP (emoji in readmes) as UTF-8, not as escaped surrogate pairs.
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private PackumentJson() {
    }

    /**
     * Copies the value at the parser's current token (a scalar, or a whole object/array) to one or two
     * generators. {@code second} may be null.
     */
    static void copyValue(JsonParser p, JsonGenerator first, JsonGenerator second) throws IOException {
        copyFrom(p, 0, first, second);
    }

    /**
     * Copies from the current token until {@code openDepth} already-open containers (whose start tokens the
     * caller wrote itself) are closed again; with {@code openDepth == 0} this copies exactly one value.
     */
    static void copyFrom(JsonParser p, int openDepth, JsonGenerator first, JsonGenerator second) throws IOException {
        int depth = openDepth;
        JsonToken token = p.currentToken();
        while (true) {
            copyEvent(p, token, first);
            if (second != null) {
                copyEvent(p, token, second);
            }
            if (token.isStructStart()) {
                depth++;
            } else if (token.isStructEnd()) {
                depth--;
            }
            if (depth <= 0) {
                return;
            }
            token = next(p);
        }
    }

    /**
     * Numbers are copied as their source text: Jackson's own copy goes through double or BigDecimal, which
     * turns {@code 1.10} into {@code 1.1} and {@code 1e3} into {@code 1000.0}. Copying text also skips number
     * parsing entirely.
     */
    private static void copyEvent(JsonParser p, JsonToken token, JsonGenerator g) throws IOException {
        if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
            g.writeNumber(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        } else {
            g.copyCurrentEvent(p);
        }
    }

    static void startContainer(JsonGenerator g, JsonToken start) throws IOException {
        if (start == JsonToken.START_OBJECT) {
            g.writeStartObject();
        } else {
            g.writeStartArray();
        }
    }

    static void endContainer(JsonGenerator g, JsonToken start) throws IOException {
        if (start == JsonToken.START_OBJECT) {
            g.writeEndObject();
        } else {
            g.writeEndArray();
        }
    }

    /** The next token, where the document cannot legally end (Jackson reports EOF inside containers itself). */
    static JsonToken next(JsonParser p) throws IOException {
        JsonToken token = p.nextToken();
        if (token == null) {
            throw new MalformedPackumentException("document ends unexpectedly" + at(p.currentLocation()));
        }
        return token;
    }

    /**
     * Whether a value is what npm's minifier calls empty ({@code !val} or an object/array without keys): null,
     * false, "", 0, {} and []. Only decidable here for scalars; containers need the next token.
     */
    static boolean isEmptyScalar(JsonParser p, JsonToken token) throws IOException {
        switch (token) {
            case VALUE_NULL:
            case VALUE_FALSE:
                return true;
            case VALUE_STRING:
                return p.getTextLength() == 0;
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return isZero(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            default:
                return false;
        }
    }

    /** A JSON number is zero when every digit of its mantissa is zero, whatever its sign or exponent. */
    private static boolean isZero(char[] text, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            char c = text[i];
            if (c == 'e' || c == 'E') {
                return true;
            }
            if (c >= '1' && c <= '9') {
                return false;
            }
        }
        return true;
    }

    static String describe(JsonToken token) {
        if (token == null) {
            return "nothing";
        }
        switch (token) {
            case START_ARRAY:
                return "an array";
            case START_OBJECT:
                return "an object";
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            case VALUE_NULL:
                return "null";
            default:
                return token.toString();
        }
    }

    /**
     * Translates Jackson's failure into the gateway's, keeping the position but no upstream content. Limit
     * violations carry no location of their own, so the parser's current one is used.
     */
    static MalformedPackumentException malformed(PackageName name, JsonProcessingException e, JsonParser parser) {
        String what = e instanceof StreamConstraintsException ? "exceeds a parser limit" : "is not valid JSON";
        JsonLocation location = e.getLocation();
        if (location == null && parser != null) { // parser is null when creating it failed (encoding sniffing)
            location = parser.currentLocation();
        }
        String detail = e.getOriginalMessage();
        return new MalformedPackumentException(
                "packument of " + name + " " + what + at(location)
                        + (detail == null ? "" : ": " + printable(REDACTED_SOURCE.matcher(detail).replaceAll("["))),
                e);
    }

    /** Jackson names the (redacted) source inside nested locations; it says nothing useful to a client. */
    private static final Pattern REDACTED_SOURCE = Pattern.compile("\\[Source: [^;\\]]*; ");

    /** Line and column: byte offsets are not tracked for every input, and one-line documents make column enough. */
    static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 0) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Control characters escaped and length capped, since the text may be upstream-controlled. */
    static String printable(String text) {
        int limit = 200;
        StringBuilder out = new StringBuilder(Math.min(text.length(), limit) + 3);
        int i = 0;
        for (; i < text.length() && out.length() < limit; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (i < text.length()) {
            out.append("...");
        }
        return out.toString();
    }
}

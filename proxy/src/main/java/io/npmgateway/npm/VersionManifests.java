package io.npmgateway.npm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Extracts one version's manifest ({@code versions[v]}) from a rewritten full packument, for
 * {@code GET /<name>/<version>}.
 *
 * <p>Sits behind the metadata cache: the route resolves a dist-tag through {@link RewrittenPackument#distTags()}
 * first, then cuts the version out of the cached {@link RewrittenPackument#full()} bytes, so the tarball URL in
 * it is already the gateway's. Streaming; every other value is skipped without being materialised.
 */
public final class VersionManifests {

    private VersionManifests() {
    }

    /**
     * The JSON bytes of {@code versions[version]}, or empty when the document has no such version.
     *
     * @throws MalformedPackumentException when the document is not a JSON object (never for the rewriter's output)
     */
    public static Optional<byte[]> find(byte[] fullDocument, String version) {
        try {
            return find(PackumentJson.FACTORY.createParser(fullDocument), version);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a byte array failed", e); // cannot happen: no I/O involved
        }
    }

    /**
     * The same from a stream of the document (the metadata cache keeps documents compressed, and inflates them
     * through this on the rare request for a version it has not kept).
     */
    public static Optional<byte[]> find(java.io.InputStream fullDocument, String version) {
        try {
            return find(PackumentJson.FACTORY.createParser(fullDocument), version);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a packument kept in memory failed", e);
        }
    }

    private static Optional<byte[]> find(JsonParser parser, String version) throws IOException {
        try (JsonParser p = parser) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedPackumentException("packument is not a JSON object");
            }
            while (PackumentJson.next(p) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = PackumentJson.next(p);
                if (field.equals("versions") && value == JsonToken.START_OBJECT) {
                    return findIn(p, version);
                }
                p.skipChildren();
            }
            return Optional.empty();
        } catch (JsonProcessingException e) {
            throw new MalformedPackumentException("packument is not valid JSON: " + PackumentJson.printable(e.getOriginalMessage()), e);
        }
    }

    private static Optional<byte[]> findIn(JsonParser p, String version) throws IOException {
        while (PackumentJson.next(p) == JsonToken.FIELD_NAME) {
            boolean wanted = p.currentName().equals(version);
            PackumentJson.next(p);
            if (wanted) {
                ByteSink sink = new ByteSink(4096);
                try (JsonGenerator g = PackumentJson.FACTORY.createGenerator(sink)) {
                    PackumentJson.copyValue(p, g, null);
                }
                return Optional.of(sink.toByteArray());
            }
            p.skipChildren();
        }
        return Optional.empty();
    }
}

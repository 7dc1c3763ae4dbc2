package io.npmgateway.npm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * Turns an upstream's full packument into what the gateway serves: every {@code versions[*].dist.tarball} points
 * at the gateway ({@code <base><@scope/name>/-/<name>-<version>.tgz}), nothing else in the document changes
 * (integrity, signatures, {@code time}, {@code _rev}, unknown fields, field order, number spelling), and the
 * abbreviated document is derived in the same pass.
 *
 * <p>Sits right after the upstream fetch of a packument: upstream bytes are rewritten once, and the metadata
 * cache keeps the resulting {@link RewrittenPackument} (and later the gzip of both documents), so serving a hit
 * costs no JSON work. Streaming only: documents reach 40 MB, a tree of one would be several times that.
 *
 * <p>Thread-safe and cheap to share; one instance per configured public base URL.
 */
public final class PackumentRewriter {

    private final String baseUrl;

    /**
     * @param publicBaseUrl the gateway's externally visible base URL, exactly as clients configure it as their
     *                      registry (scheme, host, port only if not the default, path prefix), ending in '/'.
     *                      It comes from configuration, never from request headers.
     */
    public PackumentRewriter(String publicBaseUrl) {
        Objects.requireNonNull(publicBaseUrl, "publicBaseUrl");
        if (!publicBaseUrl.endsWith("/")) {
            throw new IllegalArgumentException("public base URL must end with '/': " + publicBaseUrl);
        }
        if (!publicBaseUrl.startsWith("http://") && !publicBaseUrl.startsWith("https://")) {
            throw new IllegalArgumentException("public base URL must be http or https: " + publicBaseUrl);
        }
        this.baseUrl = publicBaseUrl;
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** The URL the rewritten documents give a version's tarball. */
    public String tarballUrl(PackageName name, String version) {
        return baseUrl + name + "/-/" + TarballFileNames.conventional(name, version);
    }

    /**
     * Rewrites a whole upstream document held in memory.
     *
     * @throws MalformedPackumentException when the document is not a usable packument of {@code name}
     */
    public RewrittenPackument rewrite(PackageName name, byte[] upstreamFullDocument) {
        return rewrite(name, null, upstreamFullDocument);
    }

    /**
     * Rewrites a whole upstream document held in memory, recording {@code upstreamId} as the origin of every version
     * (so a merged document still knows where each tarball comes from).
     *
     * @throws MalformedPackumentException when the document is not a usable packument of {@code name}
     */
    public RewrittenPackument rewrite(PackageName name, String upstreamId, byte[] upstreamFullDocument) {
        Objects.requireNonNull(upstreamFullDocument, "upstreamFullDocument");
        try {
            return rewrite(name, open(name, upstreamFullDocument), upstreamFullDocument.length, upstreamId);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a byte array failed", e); // cannot happen: no I/O involved
        }
    }

    /**
     * Rewrites a document read from a stream, which is left open. The caller bounds its length.
     *
     * @param expectedLength the document's length if known (Content-Length), to size the outputs; 0 if unknown
     * @throws MalformedPackumentException when the document is not a usable packument of {@code name}
     * @throws IOException                 when reading the stream itself fails
     */
    public RewrittenPackument rewrite(PackageName name, InputStream upstreamFullDocument, int expectedLength)
            throws IOException {
        Objects.requireNonNull(upstreamFullDocument, "upstreamFullDocument");
        JsonParser parser;
        try {
            parser = PackumentJson.FACTORY.createParser(upstreamFullDocument);
        } catch (JsonProcessingException e) {
            throw PackumentJson.malformed(name, e, null);
        }
        return rewrite(name, parser, Math.max(expectedLength, 0), null);
    }

    private static JsonParser open(PackageName name, byte[] document) throws IOException {
        try {
            return PackumentJson.FACTORY.createParser(document);
        } catch (JsonProcessingException e) {
            throw PackumentJson.malformed(name, e, null);
        }
    }

    private RewrittenPackument rewrite(PackageName name, JsonParser parser, int inputLength, String upstreamId)
            throws IOException {
        Objects.requireNonNull(name, "name");
        // The full document is the input give or take the tarball URLs and insignificant whitespace; the corgi
        // is typically a tenth of it. A wrong guess costs a copy or two, not a failure.
        ByteSink fullSink = new ByteSink(inputLength + inputLength / 16 + 4096);
        ByteSink abbreviatedSink = new ByteSink(inputLength / 8 + 4096);
        PackumentPass pass;
        try (JsonParser p = parser;
             JsonGenerator full = PackumentJson.FACTORY.createGenerator(fullSink);
             JsonGenerator abbreviated = PackumentJson.FACTORY.createGenerator(abbreviatedSink)) {
            pass = new PackumentPass(p, full, abbreviated, name, baseUrl, upstreamId);
            try {
                pass.run();
            } catch (JsonProcessingException e) {
                throw PackumentJson.malformed(name, e, p);
            }
        }
        return new RewrittenPackument(name, fullSink.toByteArray(), abbreviatedSink.toByteArray(),
                pass.distTags(), pass.versions(), pass.fileVersions(), pass.modified());
    }
}

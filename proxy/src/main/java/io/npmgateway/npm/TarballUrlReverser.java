package io.npmgateway.npm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The inverse of the read-side rewrite, for the whole documents clients send back ({@code npm deprecate} and
 * {@code npm unpublish name@version} PUT the packument they read with {@code ?write=true}; {@code npm publish}
 * puts a {@code dist.tarball} built from the registry URL): every {@code "tarball"} string that starts with the
 * gateway's public base URL gets the upstream's base URL instead, so gateway URLs are never persisted upstream.
 * Everything else is copied token by token, unchanged; large base64 attachments stream through.
 */
public final class TarballUrlReverser {

    private TarballUrlReverser() {
    }

    /**
     * @param document    a JSON document
     * @param gatewayBase the gateway's public base URL, ending in {@code /}
     * @param upstreamBase the write target's base URL, ending in {@code /}
     * @return the document with gateway tarball URLs mapped back, or {@code document} itself when it is not JSON
     *         (the upstream then judges it)
     */
    public static byte[] reverse(byte[] document, String gatewayBase, String upstreamBase) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(document.length + 256);
        try (JsonParser parser = PackumentJson.FACTORY.createParser(document);
             JsonGenerator generator = PackumentJson.FACTORY.createGenerator(out)) {
            String field = null;
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.FIELD_NAME) {
                    field = parser.currentName();
                    generator.copyCurrentEvent(parser);
                } else if (token == JsonToken.VALUE_STRING && "tarball".equals(field)
                        && parser.getText().startsWith(gatewayBase)) {
                    generator.writeString(upstreamBase + parser.getText().substring(gatewayBase.length()));
                } else {
                    generator.copyCurrentEvent(parser);
                }
                if (token != JsonToken.FIELD_NAME) {
                    field = null;
                }
            }
        } catch (JsonProcessingException e) {
            return document;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}

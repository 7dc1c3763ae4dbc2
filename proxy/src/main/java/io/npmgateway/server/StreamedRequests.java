package io.npmgateway.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.npmgateway.npm.InvalidRequestException;
import io.npmgateway.npm.RegistryRequest;
import io.npmgateway.npm.RequestPathParser;

/**
 * Decides, from a request's head alone, which bodies are streamed to the route instead of being aggregated in
 * memory: whole-document writes ({@code PUT /<name>}: publish, deprecate; {@code PUT /<name>/-rev/<rev>}: unpublish
 * of one version, owner changes), whose bodies can be hundreds of megabytes (a publish carries its tarball) or tens
 * (a large packument sent back). Compressed bodies are not streamed (no client compresses them; they stay on the
 * bounded aggregated path, decompressed there). Consulted by the pipeline's aggregator and body limit.
 */
final class StreamedRequests {
    private final RequestPathParser paths;

    StreamedRequests(RequestPathParser paths) {
        this.paths = paths;
    }

    boolean streams(HttpRequest request) {
        if (!request.method().equals(HttpMethod.PUT)) {
            return false;
        }
        String encoding = request.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            return false;
        }
        String uri = request.uri();
        int q = uri.indexOf('?');
        String rawPath = q < 0 ? uri : uri.substring(0, q);
        if (!rawPath.startsWith("/")) {
            return false;
        }
        try {
            RegistryRequest parsed = paths.parse(rawPath);
            return parsed instanceof RegistryRequest.Packument || parsed instanceof RegistryRequest.Revision;
        } catch (InvalidRequestException | IllegalArgumentException e) {
            return false;
        }
    }
}

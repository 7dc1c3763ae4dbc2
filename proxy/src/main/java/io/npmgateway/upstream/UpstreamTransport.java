package io.npmgateway.upstream;

import java.util.concurrent.CompletableFuture;

/**
 * HTTP to upstream registries, as the upstream layer sees it: whole documents for packuments, streams for
 * tarballs. The Netty implementation is {@link NettyUpstreamTransport}; keeping this an interface keeps Netty
 * out of the caches and the npm domain code.
 */
public interface UpstreamTransport extends AutoCloseable {

    /**
     * GETs a document and returns it whole. Fails with {@link UpstreamException} for transport failures and
     * bodies over {@code maxBytes}; HTTP statuses, including errors, are returned, not thrown.
     */
    CompletableFuture<DocumentResponse> fetchDocument(UpstreamCall call, long maxBytes);

    /** GETs a body as a stream; see {@link StreamConsumer} for the protocol. */
    void fetchStream(UpstreamCall call, StreamConsumer consumer);

    @Override
    void close();
}

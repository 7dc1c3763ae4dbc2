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

    /**
     * Sends a request with any method and body (see {@link UpstreamCall#method()}) and returns the response whole,
     * with the headers a pass-through needs ({@link ForwardedResponse}). Never retried; a response over
     * {@code maxBytes} fails with {@link UpstreamException}. HTTP statuses, errors included, are returned.
     */
    default CompletableFuture<ForwardedResponse> forward(UpstreamCall call, long maxBytes) {
        return CompletableFuture.failedFuture(new UpstreamException(call.upstreamId(), UpstreamFailure.INVALID,
                "this transport does not forward " + call.method() + " requests"));
    }

    /**
     * Starts a request whose body is produced while it is under way ({@link BodyUpload}); {@code call}'s body is
     * ignored. Never retried, never redirected. {@code affinity} is the thread the producer runs on, which the
     * transport may use for the connection so the body never changes threads.
     */
    default BodyUpload upload(UpstreamCall call, long maxBytes, java.util.concurrent.Executor affinity) {
        throw new UnsupportedOperationException("this transport does not stream request bodies");
    }

    @Override
    void close();
}

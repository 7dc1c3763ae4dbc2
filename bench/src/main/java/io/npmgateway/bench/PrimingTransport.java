package io.npmgateway.bench;

import io.npmgateway.upstream.DocumentResponse;
import io.npmgateway.upstream.StreamConsumer;
import io.npmgateway.upstream.UpstreamCall;
import io.npmgateway.upstream.UpstreamTransport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An upstream that answers exactly one packument request, with a fixed document, and fails every call after that.
 * It primes the metadata cache through the real upstream chain; a benchmark that then reaches upstream again was
 * not measuring a cache hit, and should fail loudly instead of reporting a score.
 */
final class PrimingTransport implements UpstreamTransport {

    private final byte[] document;
    private final String etag;
    private final AtomicBoolean served = new AtomicBoolean();

    PrimingTransport(byte[] document, String etag) {
        this.document = document;
        this.etag = etag;
    }

    @Override
    public CompletableFuture<DocumentResponse> fetchDocument(UpstreamCall call, long maxBytes) {
        if (served.getAndSet(true)) {
            throw new IllegalStateException("the cache missed: upstream was asked again for " + call.uri());
        }
        return CompletableFuture.completedFuture(new DocumentResponse(200, etag, null, document));
    }

    @Override
    public void fetchStream(UpstreamCall call, StreamConsumer consumer) {
        throw new UnsupportedOperationException("metadata benchmarks fetch no tarballs");
    }

    @Override
    public void close() {
    }
}

package io.npmgateway.server;

import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Aggregates every request into one {@code FullHttpRequest}, except those whose bodies are streamed to the route
 * ({@link StreamedRequests}): their head and body pieces pass through as they are decoded.
 */
final class AggregateUnlessStreamed extends HttpObjectAggregator {
    private final StreamedRequests streamed;

    AggregateUnlessStreamed(int maxContentLength, StreamedRequests streamed) {
        super(maxContentLength, true);
        this.streamed = streamed;
    }

    @Override
    public boolean acceptInboundMessage(Object msg) throws Exception {
        if (msg instanceof HttpRequest request && streamed.streams(request)) {
            return false;
        }
        return super.acceptInboundMessage(msg);
    }
}

package io.npmgateway.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

/**
 * Bounds each request body by what it may carry, before the aggregator holds it in memory or a route streams it on:
 * reads almost nothing, an audit POST a few megabytes, a streamed whole-document write (publish, see
 * {@link StreamedRequests}) up to the configured maximum, counted as it arrives, other writes a few megabytes. A body
 * over its bound, declared or counted, gets {@code 413} with a JSON error right away; the rest of the body is read
 * and dropped (up to {@link #MAX_DISCARD}) and the connection is then closed. When a streamed body goes over while a
 * route is already sending it upstream, a {@link TooLarge} event tells the route first (it abandons the upload).
 */
final class RequestBodyLimit extends ChannelInboundHandlerAdapter {
    /** Largest body of a request that reads (GET, HEAD, anything not listed below). */
    static final int MAX_READ_BODY = 64 * 1024;
    /** Largest audit request ({@code POST .../advisories/bulk}: one name and a few versions per installed package). */
    static final int MAX_POST_BODY = 10 * 1024 * 1024;

    /** Largest write body that is aggregated rather than streamed (dist-tags, compressed bodies). */
    static final int MAX_AGGREGATED_WRITE = MAX_POST_BODY;

    /**
     * Fired down the pipeline when a streamed body goes over its limit mid-way, before the 413 is written; a handler
     * whose request was already answered says so ({@link #alreadyAnswered()}), and no second answer is written.
     */
    static final class TooLarge {
        private boolean alreadyAnswered;
        private boolean recorded;

        void answeredAlready() {
            alreadyAnswered = true;
        }

        boolean alreadyAnswered() {
            return alreadyAnswered;
        }

        /** The route's exchange took the 413 as its answer, so it logs and counts it; the limit must not again. */
        void recordedByExchange() {
            recorded = true;
        }

        boolean recorded() {
            return recorded;
        }
    }

    private final int maxWriteBody;
    private final StreamedRequests streamed;
    private boolean streaming;
    private int limit;
    private long received;
    private boolean discarding;
    private HttpMethod method = HttpMethod.GET;

    private final RequestObserver observer;
    /** The request being read, for the access-log line of a refusal (it never reaches the registry handler). */
    private String target;
    private long startNanos;

    RequestBodyLimit(int maxWriteBody, StreamedRequests streamed, RequestObserver observer) {
        this.maxWriteBody = maxWriteBody;
        this.streamed = streamed;
        this.observer = observer;
    }

    /** What the aggregator behind this handler must be able to hold (streamed bodies never reach it). */
    static int largest(int maxWriteBody) {
        return Math.max(Math.min(maxWriteBody, MAX_AGGREGATED_WRITE), Math.max(MAX_POST_BODY, MAX_READ_BODY));
    }

    int limitFor(HttpMethod method) {
        if (method.equals(HttpMethod.PUT) || method.equals(HttpMethod.DELETE) || method.equals(HttpMethod.PATCH)) {
            return Math.min(maxWriteBody, MAX_AGGREGATED_WRITE);
        }
        if (method.equals(HttpMethod.POST)) {
            return MAX_POST_BODY;
        }
        return MAX_READ_BODY;
    }

    /**
     * How much of a refused body is read and thrown away before the connection is cut. Closing a socket with unread
     * bytes makes the kernel send a reset, which can destroy the 413 before the client reads it; reading the rest
     * (up to this much) lets the client see the answer.
     */
    static final long MAX_DISCARD = 64L * 1024 * 1024;

    private long discarded;
    private boolean expectsContinue;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarding && !(msg instanceof HttpRequest)) {
            if (msg instanceof HttpContent) {
                discarded += ((HttpContent) msg).content().readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (msg instanceof io.netty.handler.codec.http.LastHttpContent || discarded > MAX_DISCARD) {
                ctx.close();
            }
            return;
        }
        if (msg instanceof HttpRequest && ((HttpRequest) msg).decoderResult().isFailure()) {
            // Refused as malformed further on (400, connection closed): its declared length means nothing.
            limit = Integer.MAX_VALUE;
            received = 0;
            discarding = false;
            ctx.fireChannelRead(msg);
            return;
        }
        if (msg instanceof HttpRequest) {
            HttpRequest request = (HttpRequest) msg;
            discarding = false;
            received = 0;
            discarded = 0;
            expectsContinue = HttpUtil.is100ContinueExpected(request);
            streaming = streamed.streams(request);
            limit = streaming ? maxWriteBody : limitFor(request.method());
            method = request.method();
            target = request.uri();
            startNanos = System.nanoTime();
            long declared = HttpUtil.getContentLength(request, -1L);
            if (declared > limit) {
                // A client waiting for "100 Continue" sends no body: nothing to drain.
                reject(ctx, declared, expectsContinue || msg instanceof io.netty.handler.codec.http.LastHttpContent,
                        true);
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent) {
            received += ((HttpContent) msg).content().readableBytes();
            if (received > limit) {
                // The request's head already went on: the connection cannot carry on.
                boolean last = msg instanceof io.netty.handler.codec.http.LastHttpContent;
                ReferenceCountUtil.release(msg);
                boolean record = true;
                if (streaming) {
                    TooLarge event = new TooLarge();
                    ctx.fireUserEventTriggered(event);
                    if (event.alreadyAnswered()) {
                        discarding = true;
                        if (last) {
                            ctx.close();
                        }
                        return;
                    }
                    record = !event.recorded();
                }
                reject(ctx, received, last, record);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** Answers 413; {@code record}: log and count it here (false when the route's exchange already did). */
    private void reject(ChannelHandlerContext ctx, long size, boolean closeNow, boolean record) {
        discarding = true;
        byte[] body = Json.errorBody("request body of " + size + " bytes or more is larger than the " + limit
                + " bytes this gateway accepts for a " + method.name().replaceAll("[^A-Z]", "?") + " request");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(response, body.length);
        io.netty.channel.ChannelFuture written = ctx.writeAndFlush(response);
        if (record) {
            String methodName = method.name();
            String refusedTarget = target;
            long started = startNanos;
            written.addListener(f -> observer.refused(ctx.channel().remoteAddress(), methodName, refusedTarget,
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code(), f.isSuccess() ? body.length : 0, started,
                    f.isSuccess()));
        }
        if (closeNow) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
        // Otherwise the rest of the body is read and dropped; the connection closes at its end (see MAX_DISCARD).
    }
}

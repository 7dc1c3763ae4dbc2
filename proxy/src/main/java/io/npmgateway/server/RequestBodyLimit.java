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
 * Bounds each request body by what its method may carry, before the aggregator holds it in memory: reads almost
 * nothing, an audit POST a few megabytes, a publish (PUT) up to the configured maximum. A body over its bound,
 * declared or counted, gets {@code 413} with a JSON error and the connection is closed (the rest of the body is
 * not read).
 */
final class RequestBodyLimit extends ChannelInboundHandlerAdapter {
    /** Largest body of a request that reads (GET, HEAD, anything not listed below). */
    static final int MAX_READ_BODY = 64 * 1024;
    /** Largest audit request ({@code POST .../advisories/bulk}: one name and a few versions per installed package). */
    static final int MAX_POST_BODY = 10 * 1024 * 1024;

    private final int maxWriteBody;
    private int limit;
    private long received;
    private boolean discarding;
    private String method = "";

    RequestBodyLimit(int maxWriteBody) {
        this.maxWriteBody = maxWriteBody;
    }

    /** What the aggregator behind this handler must be able to hold. */
    static int largest(int maxWriteBody) {
        return Math.max(maxWriteBody, Math.max(MAX_POST_BODY, MAX_READ_BODY));
    }

    int limitFor(HttpMethod method) {
        if (method.equals(HttpMethod.PUT) || method.equals(HttpMethod.DELETE) || method.equals(HttpMethod.PATCH)) {
            return maxWriteBody;
        }
        if (method.equals(HttpMethod.POST)) {
            return MAX_POST_BODY;
        }
        return MAX_READ_BODY;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            HttpRequest request = (HttpRequest) msg;
            discarding = false;
            received = 0;
            limit = limitFor(request.method());
            method = request.method().name().replaceAll("[^A-Z]", "?");
            long declared = HttpUtil.getContentLength(request, -1L);
            if (declared > limit) {
                reject(ctx, declared);
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (discarding) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpContent) {
            received += ((HttpContent) msg).content().readableBytes();
            if (received > limit) {
                reject(ctx, received);
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void reject(ChannelHandlerContext ctx, long size) {
        discarding = true;
        ctx.channel().config().setAutoRead(false);
        byte[] body = Json.errorBody("request body of " + size + " bytes or more is larger than the " + limit
                + " bytes this gateway accepts for a " + method + " request");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(response, body.length);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}

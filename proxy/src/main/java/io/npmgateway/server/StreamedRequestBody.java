package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * The body of a request that is not aggregated (a publish, see {@link StreamedRequests}), handed to the route that
 * consumes it piece by piece as it arrives, with backpressure: while the consumer cannot take more, the client
 * connection stops reading ({@code autoRead} off), so the gateway holds at most one socket read of it. Before the
 * route subscribes, and while paused, pieces already decoded wait in a small queue.
 *
 * <p>When the request is answered before its body ended (an early refusal, an upstream failure), the rest is read
 * and dropped, up to {@link RequestBodyLimit#MAX_DISCARD}, so the client can read the answer; beyond that the
 * connection is closed. Everything runs on the client connection's event loop.
 */
final class StreamedRequestBody {

    /** Takes the body; every callback runs on the client connection's event loop. */
    interface Subscriber {
        /** The next piece; valid only during the call. */
        void onData(byte[] bytes, int offset, int length);

        /** The whole body arrived. */
        void onEnd();

        /** The body will not be complete: the client went away, or it grew over the limit. */
        void onAbort(String reason);
    }

    private final ChannelHandlerContext ctx;
    private final boolean expectsContinue;
    private final ArrayDeque<HttpContent> queued = new ArrayDeque<>();
    private final byte[] scratch = new byte[64 * 1024];
    private Subscriber subscriber;
    private boolean paused;
    private boolean ended;
    private boolean aborted;
    private boolean discarding;
    private long discarded;

    StreamedRequestBody(ChannelHandlerContext ctx, boolean expectsContinue) {
        this.ctx = ctx;
        this.expectsContinue = expectsContinue;
        // Nothing is read beyond what arrived with the head until a consumer is there to take it.
        pause();
    }

    /** The route takes the body: what arrived so far is delivered, and reading goes on. */
    void subscribe(Subscriber s) {
        if (subscriber != null || discarding || aborted) {
            if (aborted && s != null) {
                s.onAbort("the request body was cut off");
            }
            return;
        }
        subscriber = s;
        if (expectsContinue && !ended) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        resume();
    }

    /** Stops reading from the client until {@link #resume()}. */
    void pause() {
        paused = true;
        ctx.channel().config().setAutoRead(false);
    }

    /** Delivers what waits, then reads from the client again; from any thread. */
    void resume() {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(this::resume);
            return;
        }
        paused = false;
        HttpContent next;
        while (!paused && (next = queued.poll()) != null) {
            deliver(next);
        }
        if (!paused && !ended) {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
        }
    }

    /** A piece of the body from the connection (ownership passes here). */
    void onContent(HttpContent content) {
        if (paused || subscriber == null && !discarding && !aborted) {
            queued.add(content);
            return;
        }
        deliver(content);
    }

    private void deliver(HttpContent content) {
        try {
            boolean last = content instanceof LastHttpContent;
            ByteBuf buf = content.content();
            while (buf.isReadable()) {
                Subscriber s = subscriber;
                if (s == null || discarding || aborted) {
                    // Answered or given up meanwhile (possibly by the call just made): the rest is dropped.
                    discarded += buf.readableBytes();
                    buf.skipBytes(buf.readableBytes());
                    break;
                }
                int n = Math.min(scratch.length, buf.readableBytes());
                buf.readBytes(scratch, 0, n);
                s.onData(scratch, 0, n);
            }
            if (last) {
                ended = true;
                ctx.channel().config().setAutoRead(true);
                Subscriber s = subscriber;
                if (s != null && !discarding && !aborted) {
                    s.onEnd();
                }
            } else if (discarding && discarded > RequestBodyLimit.MAX_DISCARD) {
                ctx.close();
            }
        } finally {
            content.release();
        }
    }

    /** Whether the last piece of the body has arrived (or was dropped). */
    boolean ended() {
        return ended;
    }

    /**
     * The request was answered: whatever of the body is still to come is read and dropped (the consumer, if any, has
     * nothing more to do with it).
     */
    void discardRest() {
        if (discarding) {
            return;
        }
        discarding = true;
        paused = false;
        HttpContent next;
        while ((next = queued.poll()) != null) {
            deliver(next);
        }
        ctx.channel().config().setAutoRead(true);
        if (!ended) {
            ctx.read();
        }
    }

    /**
     * The body will not be completed (the client went away, or the body went over its limit): the consumer is told
     * even when the request was answered already, so an upload still under way is given up.
     */
    void abort(String reason) {
        if (aborted || ended) {
            return;
        }
        aborted = true;
        HttpContent next;
        while ((next = queued.poll()) != null) {
            next.release();
        }
        Subscriber s = subscriber;
        subscriber = null;
        if (s != null) {
            s.onAbort(reason);
        }
    }
}

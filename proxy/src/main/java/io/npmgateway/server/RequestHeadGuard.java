package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.npmgateway.npm.InvalidRequestException;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Guards the bytes of each request head before the HTTP codec reads them, the first handler a request's bytes
 * meet after the idle timer. It refuses with 400, and closes the connection, what Netty's decoder would accept but a
 * proxy in front of the gateway might read differently (request smuggling): obsolete line folding, a bare CR or LF
 * as a line end, control bytes. It also bounds how long a client may take to send a head once it has started
 * (slowloris: a byte every few seconds resets any idle timer): past the deadline, 408 and the connection closed.
 *
 * <p>It tells heads from bodies by watching the decoder: a head ends at its empty line, and the next one starts
 * when {@link AfterCodec}, right behind the codec, sees the request's last content. A head pipelined behind a
 * request body in the same read reaches the codec unchecked (the decoder still requires CRLF line ends there, see
 * {@link GatewayPipeline}), and so do heads after it until the codec is next inside a body; every head of a client
 * that waits for each answer before its next request, as npm, pnpm and Yarn do, is checked.
 */
final class RequestHeadGuard extends ChannelInboundHandlerAdapter {
    private final long timeoutNanos;
    private boolean inHead = true;
    /** When the first byte of the head being read arrived; -1 when none has yet. */
    private long headStartedNanos = -1;
    /** Whether any byte other than the CR LF pairs tolerated before a request line has arrived for this head. */
    private boolean headHasContent;
    /** Whether the previous byte (possibly in an earlier read) was CR; and whether a line has just ended. */
    private boolean afterCr;
    private boolean atLineStart = true;
    private int crlfInARow;
    private boolean rejected;
    private ScheduledFuture<?> timer;
    /** Whether the guard knows where heads start; see {@link #fireUnscanned}. */
    private boolean synced = true;
    private Event lastEvent = Event.NONE;

    private final RequestObserver observer;

    /** {@code observer} logs and counts each refusal: such a request never reaches the registry handler. */
    RequestHeadGuard(long headTimeoutMillis, RequestObserver observer) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(headTimeoutMillis);
        this.observer = observer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (rejected) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf buf = (ByteBuf) msg;
        try {
            int from = buf.readerIndex();
            int end = buf.writerIndex();
            while (from < end && !rejected) {
                if (!inHead || !synced) {
                    fireUnscanned(ctx, buf, from, end);
                    return;
                }
                int headEnd = scanHead(ctx, buf, from, end);
                if (rejected) {
                    return;
                }
                int upTo = headEnd < 0 ? end : headEnd;
                ctx.fireChannelRead(buf.retainedSlice(from, upTo - from));
                from = upTo;
                // The codec has now read the head; AfterCodec put us back in a head if the request had no body.
            }
        } finally {
            buf.release();
        }
    }

    /**
     * Body bytes, or bytes read while out of step: the codec takes them as they are. If a request ends inside them,
     * the codec may already hold the start of the next head, so the guard is out of step until the codec is next
     * inside a body; then the following bytes are body bytes again.
     */
    private void fireUnscanned(ChannelHandlerContext ctx, ByteBuf buf, int from, int end) {
        lastEvent = Event.NONE;
        ctx.fireChannelRead(buf.retainedSlice(from, end - from));
        if (lastEvent == Event.LAST || lastEvent == Event.NONE && !synced) {
            synced = false;
        } else if (lastEvent == Event.HEAD || lastEvent == Event.CONTENT) {
            synced = true;
            inHead = false;
        }
    }

    /** Checks head bytes from {@code from}; returns the index just past the head's empty line, or -1 if not in here. */
    private int scanHead(ChannelHandlerContext ctx, ByteBuf buf, int from, int end) {
        if (headStartedNanos < 0) {
            headStartedNanos = System.nanoTime();
            armTimer(ctx, timeoutNanos);
        }
        for (int i = from; i < end; i++) {
            byte b = buf.getByte(i);
            if (afterCr && b != '\n') {
                reject(ctx, "a request line or header ends in a bare CR");
                return -1;
            }
            if (b == '\r') {
                afterCr = true;
                continue;
            }
            if (b == '\n') {
                if (!afterCr) {
                    reject(ctx, "a request line or header ends in a bare LF; HTTP needs CR LF");
                    return -1;
                }
                afterCr = false;
                if (atLineStart && headHasContent) {
                    headEnded();
                    return i + 1;
                }
                atLineStart = true;
                continue;
            }
            if (atLineStart && (b == ' ' || b == '\t') && headHasContent) {
                reject(ctx, "obsolete line folding (a header line starting with a space or tab) is not accepted");
                return -1;
            }
            if ((b < 0x20 && b != '\t') || b == 0x7f) {
                reject(ctx, "the request head contains a control character");
                return -1;
            }
            headHasContent = true;
            atLineStart = false;
        }
        return -1;
    }

    private void headEnded() {
        inHead = false;
        headStartedNanos = -1;
        headHasContent = false;
        atLineStart = true;
    }

    /** What the codec last produced, as {@link AfterCodec} saw it. */
    private enum Event { NONE, HEAD, CONTENT, LAST }

    private void decoded(Event event) {
        lastEvent = event;
        if (event == Event.LAST) {
            // What follows is the next request's head.
            inHead = true;
        }
    }

    private void armTimer(ChannelHandlerContext ctx, long delayNanos) {
        if (timer == null) {
            timer = ctx.executor().schedule(() -> onTimer(ctx), delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One timer per connection at a time, moved on when a newer head is pending: no timer work per request. */
    private void onTimer(ChannelHandlerContext ctx) {
        timer = null;
        if (rejected || !ctx.channel().isActive() || !inHead || headStartedNanos < 0) {
            return;
        }
        long waited = System.nanoTime() - headStartedNanos;
        if (waited < timeoutNanos) {
            armTimer(ctx, timeoutNanos - waited);
            return;
        }
        refuse(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "the request head did not arrive within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
    }

    private void reject(ChannelHandlerContext ctx, String why) {
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request: " + why);
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
        rejected = true;
        byte[] body = Json.errorBody(why);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        // From the tail, so the response passes the codec's encoder; what the client still sends is dropped here.
        io.netty.channel.ChannelFuture written = ctx.channel().writeAndFlush(response);
        long started = headStartedNanos < 0 ? System.nanoTime() : headStartedNanos;
        written.addListener(f -> observer.refused(ctx.channel().remoteAddress(), null, null, status.code(),
                f.isSuccess() ? body.length : 0, started, f.isSuccess()));
        LingeringClose.after(written);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        ctx.fireChannelInactive();
    }

    /**
     * Right behind the codec: tells the guard where a request ends, and refuses heads whose framing a proxy could
     * read differently: a {@code Transfer-Encoding} other than exactly {@code chunked} (the decoder already refuses
     * one next to a {@code Content-Length}, and duplicate lengths), and a body on GET or HEAD (a second request
     * hidden there would be one request to us and two to a proxy that ignores such bodies). The request is marked
     * failed, so the registry handler answers 400 and closes, and the codec reads its body as a body.
     */
    static final class AfterCodec extends ChannelInboundHandlerAdapter {
        private final RequestHeadGuard guard;

        AfterCodec(RequestHeadGuard guard) {
            this.guard = guard;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (guard.rejected) {
                // The guard answered this connection already (400/408). The codec still turns the partial head it
                // holds into a failed request when the connection closes; answered and logged again, one refused
                // request would show as two.
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
                String problem = framingProblem(request);
                if (problem != null) {
                    request.setDecoderResult(DecoderResult.failure(new InvalidRequestException(problem)));
                }
            }
            if (msg instanceof LastHttpContent) {
                guard.decoded(Event.LAST);
            } else if (msg instanceof HttpRequest) {
                guard.decoded(Event.HEAD);
            } else if (msg instanceof io.netty.handler.codec.http.HttpContent) {
                guard.decoded(Event.CONTENT);
            }
            ctx.fireChannelRead(msg);
        }

        static String framingProblem(HttpRequest request) {
            List<String> encodings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (!encodings.isEmpty()
                    && !(encodings.size() == 1 && encodings.get(0).trim().equalsIgnoreCase("chunked"))) {
                return "Transfer-Encoding must be exactly 'chunked' when present";
            }
            HttpMethod method = request.method();
            if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
                String length = request.headers().get(HttpHeaderNames.CONTENT_LENGTH);
                if (!encodings.isEmpty() || length != null && !length.trim().equals("0")) {
                    return "a " + method.name() + " request must not have a body";
                }
            }
            return null;
        }
    }
}

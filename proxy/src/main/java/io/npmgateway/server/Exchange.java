package io.npmgateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.npmgateway.metrics.CacheOutcome;
import io.npmgateway.metrics.Route;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request and its one response, as the routes see it: what was asked (method, headers), and ways to answer
 * (a JSON error, whole bytes, or a streamed body). Exactly one answer is sent; the connection's handler is told
 * when it has been written so it can take the next request on that connection.
 */
public final class Exchange {
    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final boolean keepAlive;
    private final java.util.function.Consumer<Exchange> onFinished;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final long startNanos = System.nanoTime();
    // What the access log and the metrics say about this request; set by the route that answers it.
    private volatile Route route = Route.OTHER;
    private volatile CacheOutcome outcome = CacheOutcome.NONE;
    private volatile String upstreamId;
    private volatile String packageName;
    private volatile int status;
    private volatile long bytes;
    private volatile boolean completed;
    private volatile boolean lingerAfterAnswer;
    private volatile boolean lastOnConnection;
    private volatile boolean secretInTarget;

    private final StreamedRequestBody streamedBody;

    Exchange(ChannelHandlerContext ctx, HttpRequest request, java.util.function.Consumer<Exchange> onFinished) {
        this(ctx, request, onFinished, null);
    }

    Exchange(ChannelHandlerContext ctx, HttpRequest request, java.util.function.Consumer<Exchange> onFinished,
            StreamedRequestBody streamedBody) {
        this.ctx = ctx;
        this.request = request;
        this.keepAlive = HttpUtil.isKeepAlive(request);
        this.onFinished = onFinished;
        this.streamedBody = streamedBody;
    }

    /**
     * The body of a streamed request (see {@link StreamedRequests}), to be consumed as it arrives; null when the
     * request came whole (its body is {@link #body()}).
     */
    StreamedRequestBody streamedBody() {
        return streamedBody;
    }

    /**
     * Records that the answer was written by an earlier handler (the body limit's 413 for a streamed body); false
     * when this exchange had answered already.
     */
    boolean answeredElsewhere(HttpResponseStatus status) {
        if (!claim()) {
            return false;
        }
        this.status = status.code();
        onFinished.accept(this);
        return true;
    }

    /** Labels the request for the access log and metrics: which route, how the cache took part, which upstream. */
    public void describe(Route route, CacheOutcome outcome, String upstreamId) {
        this.route = route;
        this.outcome = outcome;
        if (upstreamId != null) {
            this.upstreamId = upstreamId;
        }
    }

    /** Marks a tarball response as a download of {@code packageName} (counted when it completes). */
    public void download(String packageName, String upstreamId) {
        this.packageName = packageName;
        this.upstreamId = upstreamId;
    }

    /** The request target carries a credential (npm logout's token): the access log must not show it. */
    public void secretInTarget() {
        this.secretInTarget = true;
    }

    public boolean hasSecretInTarget() {
        return secretInTarget;
    }

    public Route route() {
        return route;
    }

    public CacheOutcome outcome() {
        return outcome;
    }

    public String upstreamId() {
        return upstreamId;
    }

    public String packageName() {
        return packageName;
    }

    public int status() {
        return status;
    }

    public long bytes() {
        return bytes;
    }

    /** Whether the whole response was written (false when the connection broke or was cut). */
    public boolean completed() {
        return completed;
    }

    public HttpRequest request() {
        return request;
    }

    public boolean isHead() {
        return request.method().equals(HttpMethod.HEAD);
    }

    /**
     * A copy of the request body (empty when there is none). Valid only while the route is being dispatched: the
     * request's buffer is released when dispatch returns, so a route that answers later takes its copy first.
     */
    public byte[] body() {
        if (request instanceof io.netty.handler.codec.http.FullHttpRequest full && full.refCnt() > 0) {
            return io.netty.buffer.ByteBufUtil.getBytes(full.content());
        }
        return new byte[0];
    }

    /** The raw (still percent-encoded) query string, without the {@code ?}; null when there is none. */
    public String rawQuery() {
        String uri = request.uri();
        int q = uri.indexOf('?');
        return q < 0 ? null : uri.substring(q + 1);
    }

    public String header(CharSequence name) {
        return request.headers().get(name);
    }

    public ChannelHandlerContext context() {
        return ctx;
    }

    public long startNanos() {
        return startNanos;
    }

    /** Whether the client accepts a gzip body (a q=0 entry refuses it). */
    public boolean acceptsGzip() {
        String value = request.headers().get(HttpHeaderNames.ACCEPT_ENCODING);
        if (value == null) {
            return false;
        }
        for (String part : value.split(",")) {
            String[] pieces = part.trim().split(";");
            if (pieces[0].trim().equalsIgnoreCase("gzip")) {
                for (int i = 1; i < pieces.length; i++) {
                    String p = pieces[i].trim();
                    if (p.startsWith("q=") || p.startsWith("Q=")) {
                        try {
                            return Double.parseDouble(p.substring(2)) > 0;
                        } catch (NumberFormatException e) {
                            return false;
                        }
                    }
                }
                return true;
            }
        }
        return false;
    }

    /** Answers with {@code {"error": message}}. */
    public void error(HttpResponseStatus status, String message) {
        error(status, message, null);
    }

    public void error(HttpResponseStatus status, String message, HttpHeaders extraHeaders) {
        if (status.code() >= 500 || outcome == CacheOutcome.NONE && status.code() >= 400 && route != Route.OTHER) {
            outcome = CacheOutcome.ERROR;
        }
        byte[] body = Json.errorBody(message);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (extraHeaders != null) {
            response.headers().add(extraHeaders);
        }
        send(response, body.length);
    }

    /** Bodies above this are streamed in chunks (see {@link ByteArrayInput}); below, written in one piece. */
    static final int STREAM_ABOVE = 256 * 1024;

    /** Answers with whole bytes; for HEAD, the same headers and no body. */
    public void bytes(HttpResponseStatus status, HttpHeaders headers, byte[] body) {
        if (body.length > STREAM_ABOVE && !isHead()) {
            if (startStream(status, headers, body.length)) {
                endStream(ctx.writeAndFlush(new io.netty.handler.codec.http.HttpChunkedInput(new ByteArrayInput(body))));
            }
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                isHead() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        response.headers().set(headers);
        send(response, body.length);
    }

    /**
     * Answers with a body shared by many responses (a cached packument's off-heap bytes): sent without a copy, and
     * never released here (the cache owns the memory). For HEAD, the same headers and no body.
     */
    public void shared(HttpResponseStatus status, HttpHeaders headers, java.nio.ByteBuffer body) {
        int length = body.remaining();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                isHead() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        response.headers().set(headers);
        send(response, length);
    }

    /** Answers with a body already in a buffer (released by Netty once written); for HEAD, headers only. */
    public void buffer(HttpResponseStatus status, HttpHeaders headers, io.netty.buffer.ByteBuf body) {
        int length = body.readableBytes();
        FullHttpResponse response;
        if (isHead()) {
            body.release();
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        } else {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        }
        response.headers().set(headers);
        send(response, length);
    }

    /**
     * Answers with the whole of an open file, which the kernel sends itself ({@code sendfile}); the channel is closed
     * once written (or at once for HEAD, which gets the same headers and no body).
     */
    public void file(HttpResponseStatus status, HttpHeaders headers, FileChannel file, long length) {
        if (isHead()) {
            closeQuietly(file);
        }
        if (!startStream(status, headers, length)) {
            closeQuietly(file);
            return;
        }
        if (!isHead()) {
            ctx.write(new DefaultFileRegion(file, 0, length));
        }
        endStreamEmpty();
    }

    private static void closeQuietly(FileChannel file) {
        try {
            file.close();
        } catch (IOException ignored) {
            // Read-only: nothing to lose.
        }
    }

    public void json(HttpResponseStatus status, String json) {
        HttpHeaders headers = new io.netty.handler.codec.http.DefaultHttpHeaders();
        headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        bytes(status, headers, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A response with no body (304). */
    public void empty(HttpResponseStatus status, HttpHeaders headers) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        response.headers().set(headers);
        if (!claim()) {
            return;
        }
        setConnection(response);
        this.status = status.code();
        finish(ctx.writeAndFlush(response));
    }

    private void send(FullHttpResponse response, long contentLength) {
        if (!claim()) {
            response.release();
            return;
        }
        status = response.status().code();
        bytes = isHead() ? 0 : contentLength;
        HttpUtil.setContentLength(response, contentLength);
        setConnection(response);
        finish(ctx.writeAndFlush(response));
    }

    /**
     * Starts a streamed response: writes the head now; the caller writes the body with {@link #context()} and
     * calls {@link #endStream(ChannelFuture)} with the future of the last write, or {@link #abort()}.
     *
     * @return false when a response was already sent
     */
    public boolean startStream(HttpResponseStatus status, HttpHeaders headers, long contentLength) {
        if (!claim()) {
            return false;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        this.status = status.code();
        this.bytes = isHead() ? 0 : Math.max(0, contentLength);
        response.headers().set(headers);
        if (contentLength >= 0) {
            HttpUtil.setContentLength(response, contentLength);
        } else {
            HttpUtil.setTransferEncodingChunked(response, true);
        }
        setConnection(response);
        ctx.write(response);
        return true;
    }

    /** The body of a streamed response has been written up to its last piece. */
    public void endStream(ChannelFuture lastWrite) {
        finish(lastWrite);
    }

    /** Writes the end of a streamed HEAD response or an empty body. */
    public void endStreamEmpty() {
        finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
    }

    /**
     * Ends a streamed response that cannot be completed (the upstream failed mid-body): the connection is
     * closed so the client sees a truncated body and retries, rather than a short body it would trust.
     */
    public void abort() {
        answered.set(true);
        ctx.close();
    }

    /** For a streamed body whose length was not known up front: the bytes actually sent. */
    public void bytesSent(long sent) {
        this.bytes = sent;
    }

    /**
     * Ends the connection after the answer with a {@link LingeringClose}: for requests refused before they were read
     * to their end, whose unread bytes would otherwise reset the connection and lose the answer.
     */
    void closeAfterAnswer() {
        lingerAfterAnswer = true;
    }

    /**
     * The gateway is shutting down: this answer says {@code Connection: close} (if its head has not gone out yet)
     * and the connection ends after it, so the client sends its next request to a gateway that is staying up.
     */
    void lastOnConnection() {
        lastOnConnection = true;
    }

    public boolean isAnswered() {
        return answered.get();
    }

    private boolean claim() {
        return answered.compareAndSet(false, true);
    }

    private void setConnection(HttpResponse response) {
        if (keepAlive && !lingerAfterAnswer && !lastOnConnection) {
            if (!request.protocolVersion().isKeepAliveDefault()) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    private void finish(ChannelFuture lastWrite) {
        if (lingerAfterAnswer) {
            LingeringClose.after(lastWrite);
        } else if (!keepAlive || lastOnConnection) {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        }
        lastWrite.addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
            }
            completed = f.isSuccess();
            onFinished.accept(this);
        });
    }
}

package io.npmgateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.pool.ChannelPool;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One upstream GET across its redirects and retries. Added to a pooled connection's pipeline for the length of
 * one response, it reads only when its mode asks (documents: always; streams: when the consumer asks), enforces
 * the read timeout as "not even {@value #MIN_PROGRESS_BYTES} bytes for this long after we asked for some" (so an
 * upstream dripping a byte a second cannot hold a request, and every client coalesced on it, for hours), follows
 * redirects with headers chosen for each target, and retries once on a pooled connection that turned out to be
 * closed. Writes carry a whole body, or one streamed while it arrives ({@link StreamedUpload}: sent in chunks after
 * the head, with no read timeout until its end, since the upstream rightly says nothing while it receives).
 *
 * <p>All state is touched on the connection's event loop only. The exchange is added to one connection at a time,
 * but to a new one after a redirect or a retry, hence {@code @Sharable} (Netty refuses to add a handler a second time
 * otherwise, even after it was removed).
 */
@ChannelHandler.Sharable
final class UpstreamExchange extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<Boolean> USED = AttributeKey.valueOf("npmgateway.upstream.used");
    private static final String USER_AGENT = "npm-gateway/0.1";
    private static final int MAX_STALE_RETRIES = 2;
    /** Body bytes that count as progress and restart the read timeout; fewer within it is a stalled upstream. */
    static final int MIN_PROGRESS_BYTES = 1024;

    private final UpstreamCall call;
    private final Mode mode;
    private final NettyUpstreamTransport transport;
    /** The request body still being produced, or null when the call's body is whole (or absent). */
    private final StreamedUpload upload;
    private boolean uploading;
    private URI uri;
    private int redirects;
    private boolean finished;

    // State of the current run on one connection.
    private Channel channel;
    private ChannelPool pool;
    private int attempt;
    private boolean reusedConnection;
    private boolean headReceived;
    private boolean runDone;
    private boolean keepAlive;
    private URI redirectTarget;
    private long declaredLength;
    private long receivedLength;
    private ScheduledFuture<?> readTimer;
    private long bytesSinceArmed;

    UpstreamExchange(UpstreamCall call, URI uri, Mode mode, NettyUpstreamTransport transport) {
        this(call, uri, mode, transport, null);
    }

    UpstreamExchange(UpstreamCall call, URI uri, Mode mode, NettyUpstreamTransport transport, StreamedUpload upload) {
        this.call = call;
        this.uri = uri;
        this.mode = mode;
        this.transport = transport;
        this.upload = upload;
        if (upload != null) {
            upload.bind(this);
        }
    }

    StreamedUpload upload() {
        return upload;
    }

    UpstreamCall call() {
        return call;
    }

    URI uri() {
        return uri;
    }

    void run(Channel ch, ChannelPool channelPool, int attemptNumber) {
        if (!ch.eventLoop().inEventLoop()) {
            ch.eventLoop().execute(() -> run(ch, channelPool, attemptNumber));
            return;
        }
        channel = ch;
        pool = channelPool;
        attempt = attemptNumber;
        reusedConnection = Boolean.TRUE.equals(ch.attr(USED).getAndSet(Boolean.TRUE));
        headReceived = false;
        runDone = false;
        keepAlive = false;
        redirectTarget = null;
        declaredLength = -1;
        receivedLength = 0;
        if (finished) {
            release(false);
            return;
        }
        ch.pipeline().addLast(UpstreamChannelInitializer.EXCHANGE, this);
        ch.writeAndFlush(upload != null ? buildHead() : buildRequest()).addListener(f -> {
            if (!f.isSuccess()) {
                failRun(f.cause());
            }
        });
        if (upload != null) {
            uploading = true;
            upload.attach(ch);
        }
        requestRead();
    }

    /** The head of a request whose body follows in chunks (its length is not known: it is rewritten on the way). */
    private HttpRequest buildHead() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(call.method()),
                requestTarget());
        setHeaders(request);
        HttpUtil.setTransferEncodingChunked(request, true);
        return request;
    }

    private String requestTarget() {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }

    private void setHeaders(HttpRequest request) {
        NettyUpstreamTransport.Origin origin = NettyUpstreamTransport.Origin.of(uri, call.connectTimeout());
        request.headers().set(HttpHeaderNames.HOST, origin.hostHeader());
        request.headers().set(HttpHeaderNames.USER_AGENT, USER_AGENT);
        request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        for (Map.Entry<String, String> h : call.headers().forUri(uri).entrySet()) {
            request.headers().set(h.getKey(), h.getValue());
        }
    }

    /** The streamed body's last chunk is on its way: from now on the upstream owes an answer within the timeout. */
    void bodySent() {
        uploading = false;
        requestRead();
    }

    /** The upstream took no body bytes for too long. */
    void uploadStalled(long millis) {
        failRun(new UpstreamException(call.upstreamId(), UpstreamFailure.TIMEOUT,
                "it took no request body bytes for " + millis + " ms"));
    }

    /** The producer gave the upload up (its client went away): the connection is closed, the caller told. */
    void abortUpload() {
        if (finished) {
            return;
        }
        if (channel != null && !runDone) {
            endRun(false);
        }
        // Not connected yet: the connection, once made, is closed unused (see run).
        fail(new UpstreamException(call.upstreamId(), UpstreamFailure.CANCELLED,
                "the upload was abandoned by its client"));
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upload != null && !runDone) {
            upload.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private FullHttpRequest buildRequest() {
        byte[] body = call.body();
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(call.method()),
                requestTarget(), body == null ? io.netty.buffer.Unpooled.EMPTY_BUFFER
                        : io.netty.buffer.Unpooled.wrappedBuffer(body));
        setHeaders(request);
        if (body != null || !call.retriable()) {
            HttpUtil.setContentLength(request, body == null ? 0 : body.length);
        }
        return request;
    }

    /** Asks the socket for more bytes and starts the clock on how long the upstream may take to send them. */
    void requestRead() {
        if (!channel.eventLoop().inEventLoop()) {
            Channel ch = channel;
            ch.eventLoop().execute(this::requestRead);
            return;
        }
        if (runDone) {
            return;
        }
        if (readTimer == null && !uploading) {
            bytesSinceArmed = 0;
            readTimer = channel.eventLoop().schedule(this::onReadTimeout, call.readTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        channel.read();
    }

    private void onReadTimeout() {
        readTimer = null;
        String window = call.readTimeout().toMillis() < 10_000 ? call.readTimeout().toMillis() + " ms"
                : call.readTimeout().toSeconds() + " s";
        failRun(new UpstreamException(call.upstreamId(), UpstreamFailure.TIMEOUT, bytesSinceArmed == 0
                ? "no data for " + window
                : "only " + bytesSinceArmed + " bytes in " + window + " (a stalled upstream)"));
    }

    /** Restarts the read timeout on a head, the end, or enough body bytes; a trickle leaves it running. */
    private void progress(Object msg) {
        if (msg instanceof HttpResponse || msg instanceof LastHttpContent || !(msg instanceof HttpContent)) {
            cancelReadTimer();
            return;
        }
        bytesSinceArmed += ((HttpContent) msg).content().readableBytes();
        if (bytesSinceArmed >= MIN_PROGRESS_BYTES) {
            cancelReadTimer();
        }
    }

    private void cancelReadTimer() {
        if (readTimer != null) {
            readTimer.cancel(false);
            readTimer = null;
        }
    }

    /** Drops the response: the connection is closed, since the rest of the body will not be read. */
    void cancel() {
        if (!channel.eventLoop().inEventLoop()) {
            Channel ch = channel;
            ch.eventLoop().execute(this::cancel);
            return;
        }
        if (runDone) {
            return;
        }
        finished = true;
        endRun(false);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (runDone) {
                return;
            }
            progress(msg);
            if (msg instanceof HttpResponse) {
                onHead((HttpResponse) msg);
            }
            if (!runDone && msg instanceof HttpContent) {
                HttpContent content = (HttpContent) msg;
                if (content.decoderResult().isFailure()) {
                    throw new UpstreamException(call.upstreamId(), UpstreamFailure.INVALID,
                            "body could not be decoded");
                }
                ByteBuf buf = content.content();
                receivedLength += buf.readableBytes();
                if (redirectTarget == null && buf.isReadable()) {
                    mode.onContent(buf);
                }
                if (msg instanceof LastHttpContent) {
                    onLast();
                }
            }
        } catch (UpstreamException e) {
            failRun(e);
        } catch (RuntimeException e) {
            failRun(e);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            throw new UpstreamException(call.upstreamId(), UpstreamFailure.INVALID, "malformed response head");
        }
        headReceived = true;
        keepAlive = HttpUtil.isKeepAlive(response);
        int status = response.status().code();
        String location = response.headers().get(HttpHeaderNames.LOCATION);
        // Only reads follow redirects: a write's 3xx goes back to the client as the upstream sent it.
        if (isRedirect(status) && location != null && call.retriable()) {
            if (redirects >= call.maxRedirects()) {
                throw new UpstreamException(call.upstreamId(), UpstreamFailure.REDIRECT,
                        "more than " + call.maxRedirects() + " redirects");
            }
            redirectTarget = resolve(location);
            return;
        }
        declaredLength = HttpUtil.getContentLength(response, -1L);
        mode.onHead(this, status, response, declaredLength);
    }

    private URI resolve(String location) {
        try {
            URI target = uri.resolve(location.trim());
            String scheme = target.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || target.getHost() == null) {
                throw new IllegalArgumentException("not http(s)");
            }
            return target;
        } catch (IllegalArgumentException e) {
            throw new UpstreamException(call.upstreamId(), UpstreamFailure.REDIRECT,
                    "redirect to an unusable location");
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private void onLast() {
        if (declaredLength >= 0 && receivedLength != declaredLength && redirectTarget == null) {
            throw new UpstreamException(call.upstreamId(), UpstreamFailure.TRUNCATED,
                    "received " + receivedLength + " of " + declaredLength + " bytes");
        }
        endRun(keepAlive);
        if (redirectTarget != null) {
            redirects++;
            uri = redirectTarget;
            transport.start(this, 0);
            return;
        }
        finished = true;
        mode.complete();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!runDone && (mode.readsEagerly() || !headReceived || redirectTarget != null)) {
            requestRead();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!runDone) {
            failRun(new UpstreamException(call.upstreamId(), UpstreamFailure.TRUNCATED,
                    headReceived ? "connection closed mid-body" : "connection closed before a response"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failRun(cause);
    }

    private void failRun(Throwable cause) {
        if (runDone) {
            return;
        }
        // A silent upstream is not a stale connection: retrying would make the client wait the timeout again.
        boolean timedOut = cause instanceof UpstreamException && ((UpstreamException) cause).isTimeout();
        // Writes are never sent twice (see UpstreamCall#retriable); they get a fresh connection instead.
        boolean retry = !headReceived && reusedConnection && attempt < MAX_STALE_RETRIES && !finished && !timedOut
                && call.retriable();
        endRun(false);
        if (retry) {
            // A pooled keep-alive connection the upstream had already closed: not the upstream's failure.
            transport.start(this, attempt + 1);
            return;
        }
        fail(UpstreamErrors.classify(call.upstreamId(), cause, true));
    }

    /** Ends the exchange with an error reported to the caller (also used before any connection exists). */
    void fail(UpstreamException error) {
        if (finished) {
            return;
        }
        finished = true;
        mode.fail(error);
    }

    private void endRun(boolean reusable) {
        runDone = true;
        uploading = false;
        if (upload != null) {
            upload.terminate();
        }
        cancelReadTimer();
        if (channel.pipeline().get(UpstreamChannelInitializer.EXCHANGE) == this) {
            channel.pipeline().remove(this);
        }
        release(reusable);
    }

    private void release(boolean reusable) {
        if (transport.closing()) {
            channel.close();
            return;
        }
        if (!reusable) {
            channel.close();
        }
        pool.release(channel);
    }

    /** What an exchange does with the response it reads. */
    interface Mode {
        void onHead(UpstreamExchange exchange, int status, HttpResponse response, long declaredLength);

        void onContent(ByteBuf content);

        boolean readsEagerly();

        void complete();

        void fail(UpstreamException error);
    }

    /** Reads the whole body into memory, up to a limit: for packuments. */
    static final class DocumentMode implements Mode {
        private final long maxBytes;
        private final CompletableFuture<DocumentResponse> result;
        private final String upstreamId;
        private int status;
        private String etag;
        private String lastModified;
        private byte[] body = new byte[0];
        private int size;

        DocumentMode(String upstreamId, long maxBytes, CompletableFuture<DocumentResponse> result) {
            this.upstreamId = upstreamId;
            this.maxBytes = maxBytes;
            this.result = result;
        }

        @Override
        public void onHead(UpstreamExchange exchange, int status, HttpResponse response, long declaredLength) {
            this.status = status;
            this.etag = response.headers().get(HttpHeaderNames.ETAG);
            this.lastModified = response.headers().get(HttpHeaderNames.LAST_MODIFIED);
            if (declaredLength > maxBytes) {
                throw tooLarge(declaredLength);
            }
            if (declaredLength > 0 && status == 200) {
                body = new byte[(int) declaredLength];
            }
        }

        @Override
        public void onContent(ByteBuf content) {
            int n = content.readableBytes();
            if ((long) size + n > maxBytes) {
                throw tooLarge((long) size + n);
            }
            if (size + n > body.length) {
                body = Arrays.copyOf(body, Math.max(size + n, Math.min((int) maxBytes, Math.max(8192, body.length * 2))));
            }
            content.getBytes(content.readerIndex(), body, size, n);
            size += n;
        }

        private UpstreamException tooLarge(long bytes) {
            return new UpstreamException(upstreamId, UpstreamFailure.TOO_LARGE,
                    bytes + " bytes exceeds " + maxBytes);
        }

        @Override
        public boolean readsEagerly() {
            return true;
        }

        @Override
        public void complete() {
            byte[] exact = size == body.length ? body : Arrays.copyOf(body, size);
            body = null;
            result.complete(new DocumentResponse(status, etag, lastModified, exact));
        }

        @Override
        public void fail(UpstreamException error) {
            body = null;
            result.completeExceptionally(error);
        }
    }

    /** Reads the whole body and the headers a pass-through keeps, up to a limit: for forwarded requests. */
    static final class ForwardMode implements Mode {
        private final String upstreamId;
        private final long maxBytes;
        private final CompletableFuture<ForwardedResponse> result;
        private final java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        private final Map<String, String> headers = new java.util.LinkedHashMap<>();
        private int status;

        ForwardMode(String upstreamId, long maxBytes, CompletableFuture<ForwardedResponse> result) {
            this.upstreamId = upstreamId;
            this.maxBytes = maxBytes;
            this.result = result;
        }

        @Override
        public void onHead(UpstreamExchange exchange, int status, HttpResponse response, long declaredLength) {
            this.status = status;
            for (String name : ForwardedResponse.PASSED_ON) {
                String value = response.headers().get(name);
                if (value != null) {
                    headers.put(name, value);
                }
            }
            if (declaredLength > maxBytes) {
                throw tooLarge(declaredLength);
            }
        }

        @Override
        public void onContent(ByteBuf content) {
            if ((long) body.size() + content.readableBytes() > maxBytes) {
                throw tooLarge((long) body.size() + content.readableBytes());
            }
            byte[] piece = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), piece);
            body.write(piece, 0, piece.length);
        }

        private UpstreamException tooLarge(long bytes) {
            return new UpstreamException(upstreamId, UpstreamFailure.TOO_LARGE, bytes + " bytes exceeds " + maxBytes);
        }

        @Override
        public boolean readsEagerly() {
            return true;
        }

        @Override
        public void complete() {
            result.complete(new ForwardedResponse(status, headers, body.toByteArray()));
        }

        @Override
        public void fail(UpstreamException error) {
            result.completeExceptionally(error);
        }
    }

    /** Hands the body to a consumer piece by piece, reading only on its demand: for tarballs. */
    static final class StreamMode implements Mode {
        private final StreamConsumer consumer;

        StreamMode(StreamConsumer consumer) {
            this.consumer = consumer;
        }

        @Override
        public void onHead(UpstreamExchange exchange, int status, HttpResponse response, long declaredLength) {
            consumer.onResponse(status, declaredLength, new StreamConsumer.StreamControl() {
                @Override
                public void request() {
                    exchange.requestRead();
                }

                @Override
                public void cancel() {
                    exchange.cancel();
                }
            });
        }

        @Override
        public void onContent(ByteBuf content) {
            ByteBuffer view = content.nioBufferCount() == 1
                    ? content.nioBuffer()
                    : ByteBuffer.wrap(io.netty.buffer.ByteBufUtil.getBytes(content));
            consumer.onData(view);
        }

        @Override
        public boolean readsEagerly() {
            return false;
        }

        @Override
        public void complete() {
            consumer.onComplete();
        }

        @Override
        public void fail(UpstreamException error) {
            consumer.onError(error);
        }
    }
}

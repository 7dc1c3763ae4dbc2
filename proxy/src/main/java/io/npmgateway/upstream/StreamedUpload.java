package io.npmgateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Netty side of a {@link BodyUpload}: the request body of one {@link UpstreamExchange}, written as HTTP chunks
 * on its connection as the producer hands them over. All state lives on one event loop (the connection is
 * registered on it, and it is normally the client connection's own loop, so a streamed publish never changes
 * threads); calls from elsewhere hop onto it. Pieces written before the connection is open wait in a queue the
 * producer bounds by respecting {@link #writable()}.
 *
 * <p>While the body is being sent the upstream may rightly say nothing, so the exchange's read timeout is not armed;
 * instead an upstream that stops taking bytes (its receive window stays full) for the read timeout fails the upload.
 */
final class StreamedUpload implements BodyUpload {
    private final EventLoop loop;
    private final CompletableFuture<ForwardedResponse> response;
    private final long stallMillis;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private final List<Runnable> waiting = new ArrayList<>();
    private UpstreamExchange exchange;
    private Channel channel;
    private volatile boolean writable;
    private volatile boolean over;
    private boolean ended;
    private ScheduledFuture<?> stallTimer;

    StreamedUpload(EventLoop loop, CompletableFuture<ForwardedResponse> response, long stallMillis) {
        this.loop = loop;
        this.response = response;
        this.stallMillis = stallMillis;
        response.whenComplete((r, e) -> onLoop(this::terminate));
    }

    EventLoop loop() {
        return loop;
    }

    void bind(UpstreamExchange owner) {
        this.exchange = owner;
    }

    @Override
    public CompletableFuture<ForwardedResponse> response() {
        return response;
    }

    @Override
    public boolean writable() {
        return writable && !over;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        if (over || length == 0) {
            return;
        }
        ByteBuf piece = ByteBufAllocator.DEFAULT.buffer(length);
        piece.writeBytes(bytes, offset, length);
        onLoop(() -> {
            if (over || ended) {
                piece.release();
            } else if (channel == null) {
                pending.add(piece);
            } else {
                send(piece);
            }
        });
    }

    @Override
    public void whenWritable(Runnable resume) {
        onLoop(() -> {
            if (writable() || over) {
                resume.run();
            } else {
                waiting.add(resume);
            }
        });
    }

    @Override
    public void end() {
        onLoop(() -> {
            if (over || ended) {
                return;
            }
            ended = true;
            if (channel != null) {
                finishBody();
            }
        });
    }

    @Override
    public void abort() {
        onLoop(() -> {
            if (!over && exchange != null) {
                exchange.abortUpload();
            }
        });
    }

    /** The request head is on its way: the queued pieces follow it, and the producer may go on. */
    void attach(Channel ch) {
        channel = ch;
        ByteBuf piece;
        while ((piece = pending.poll()) != null) {
            send(piece);
        }
        if (ended) {
            finishBody();
        } else {
            ch.flush();
            writabilityChanged();
        }
    }

    /** The connection's send buffer filled or drained (from the exchange's handler). */
    void writabilityChanged() {
        if (channel == null || over) {
            return;
        }
        writable = channel.isWritable();
        if (writable) {
            cancelStallTimer();
            List<Runnable> resume = new ArrayList<>(waiting);
            waiting.clear();
            resume.forEach(Runnable::run);
        } else if (stallTimer == null && !ended) {
            stallTimer = loop.schedule(this::stalled, stallMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void stalled() {
        stallTimer = null;
        if (!over && exchange != null) {
            exchange.uploadStalled(stallMillis);
        }
    }

    private void send(ByteBuf piece) {
        channel.writeAndFlush(new DefaultHttpContent(piece), channel.voidPromise());
        if (writable && !channel.isWritable()) {
            writabilityChanged();
        }
    }

    private void finishBody() {
        cancelStallTimer();
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        exchange.bodySent();
    }

    /** The exchange is over (answered, failed or aborted): nothing more is sent, and a waiting producer is freed. */
    void terminate() {
        if (over) {
            return;
        }
        over = true;
        writable = false;
        cancelStallTimer();
        ByteBuf piece;
        while ((piece = pending.poll()) != null) {
            piece.release();
        }
        List<Runnable> resume = new ArrayList<>(waiting);
        waiting.clear();
        resume.forEach(Runnable::run);
    }

    private void cancelStallTimer() {
        if (stallTimer != null) {
            stallTimer.cancel(false);
            stallTimer = null;
        }
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }
}

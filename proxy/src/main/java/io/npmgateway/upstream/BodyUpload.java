package io.npmgateway.upstream;

import java.util.concurrent.CompletableFuture;

/**
 * A request body sent upstream while it is still arriving (a publish streamed from the client), with backpressure:
 * the producer writes while {@link #writable()} and otherwise waits for the callback it gave
 * {@link #whenWritable(Runnable)}, so the gateway never holds more of the body than the connection's buffer. Sits
 * between a write route and the upstream transport; keeps Netty out of the routes' view. Methods may be called from
 * any thread; the producer's own calls must come from one thread at a time, in order.
 */
public interface BodyUpload {

    /** Sends the next piece of the body (copied before the call returns). Ignored once the upload has ended. */
    void write(byte[] bytes, int offset, int length);

    /** Whether the connection takes more now (false before it is open, and while its send buffer is full). */
    boolean writable();

    /**
     * Runs {@code resume} once, when the upload is writable again or has ended (answered, failed or aborted) and the
     * producer should stop waiting; at once when that is already so.
     */
    void whenWritable(Runnable resume);

    /** The whole body was written. */
    void end();

    /** Gives the request up (the client went away): the connection is closed and {@link #response()} fails. */
    void abort();

    /** The upstream's whole answer, or its failure; may complete before the body ended (an early refusal). */
    CompletableFuture<ForwardedResponse> response();
}

package io.npmgateway.upstream;

import java.nio.ByteBuffer;

/**
 * Receives a streamed upstream body with backpressure: the transport reads more from the socket only when the
 * consumer asks, so a consumer that cannot keep up (a slow disk, a slow client) never makes the gateway buffer
 * the body. Every callback runs on the connection's event loop and must not block.
 */
public interface StreamConsumer {

    /**
     * The final response head. The consumer must call {@link StreamControl#request()} to receive body bytes, or
     * {@link StreamControl#cancel()} to drop the response (for example on a 404).
     *
     * @param contentLength the declared length, or -1 when the upstream did not declare one
     */
    void onResponse(int status, long contentLength, StreamControl control);

    /** Body bytes; valid only during the call (copy what must be kept). */
    void onData(ByteBuffer data);

    /** The whole body arrived and matched any declared length. */
    void onComplete();

    /** The call failed; no further callbacks follow. */
    void onError(UpstreamException error);

    /** Flow control for one response. */
    interface StreamControl {
        /** Read the next piece of the body from the socket. */
        void request();

        /** Stop reading and drop the connection. */
        void cancel();
    }
}

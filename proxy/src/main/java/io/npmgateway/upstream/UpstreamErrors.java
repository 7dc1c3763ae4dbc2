package io.npmgateway.upstream;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/** Turns what Netty throws into the gateway's {@link UpstreamFailure} reasons. */
final class UpstreamErrors {
    private UpstreamErrors() {
    }

    static UpstreamException classify(String upstreamId, Throwable cause, boolean connected) {
        Throwable t = cause;
        while (t instanceof DecoderException && t.getCause() != null && !(t.getCause() instanceof SSLException)) {
            t = t.getCause();
        }
        if (t instanceof DecoderException && t.getCause() instanceof SSLException) {
            t = t.getCause();
        }
        if (t instanceof UpstreamException) {
            return (UpstreamException) t;
        }
        if (t instanceof SSLException || t instanceof NotSslRecordException) {
            return new UpstreamException(upstreamId, UpstreamFailure.TLS, t.getMessage());
        }
        if (t instanceof ConnectTimeoutException || t instanceof TimeoutException) {
            return new UpstreamException(upstreamId, connected ? UpstreamFailure.TIMEOUT : UpstreamFailure.CONNECT,
                    connected ? null : "connect timed out");
        }
        if (t instanceof UnknownHostException) {
            return new UpstreamException(upstreamId, UpstreamFailure.CONNECT, "unknown host " + t.getMessage());
        }
        if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
            return new UpstreamException(upstreamId, UpstreamFailure.CONNECT, "connection refused");
        }
        if (t instanceof DecoderException) {
            return new UpstreamException(upstreamId, UpstreamFailure.INVALID, "malformed HTTP response");
        }
        if (!connected) {
            return new UpstreamException(upstreamId, UpstreamFailure.CONNECT, t.getClass().getSimpleName());
        }
        if (t instanceof ClosedChannelException || t instanceof java.io.IOException) {
            return new UpstreamException(upstreamId, UpstreamFailure.TRUNCATED, "connection reset");
        }
        return new UpstreamException(upstreamId, UpstreamFailure.INVALID, t.getClass().getSimpleName());
    }
}

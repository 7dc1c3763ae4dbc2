package io.npmgateway.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;

/**
 * Ends a connection whose request was refused before it had been read to its end (oversized or malformed head):
 * after the answer is written, the gateway stops sending (FIN) but keeps reading, and dropping, what the client
 * still sends, for a short while. Closing at once with unread bytes makes the kernel send a reset, which can destroy
 * the answer before the client reads it; the client, having its answer and our FIN, closes, or the timer does.
 */
final class LingeringClose {
    /** How long a refused client may go on sending before the connection is cut regardless. */
    static final long LINGER_MILLIS = 2_000;

    private LingeringClose() {
    }

    /** Half-closes once {@code answer} is written, then closes after {@link #LINGER_MILLIS} at the latest. */
    static void after(ChannelFuture answer) {
        answer.addListener(f -> {
            Channel channel = answer.channel();
            if (!f.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
                channel.close();
                return;
            }
            channel.config().setAutoRead(true);
            duplex.shutdownOutput();
            channel.eventLoop().schedule(() -> {
                channel.close();
            }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }
}

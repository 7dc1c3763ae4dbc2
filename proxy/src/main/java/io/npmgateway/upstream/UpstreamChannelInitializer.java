package io.npmgateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContentDecompressor;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * The pipeline of a pooled upstream connection: TLS (when https), the HTTP client codec, gzip decoding.
 * Per-request handlers are added by {@link UpstreamExchange} and removed before the connection is released.
 */
final class UpstreamChannelInitializer extends AbstractChannelPoolHandler {
    static final String EXCHANGE = "exchange";

    private final NettyUpstreamTransport.Origin origin;
    private final SslContext sslContext;

    UpstreamChannelInitializer(NettyUpstreamTransport.Origin origin, SslContext sslContext) {
        this.origin = origin;
        this.sslContext = sslContext;
    }

    @Override
    public void channelCreated(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (origin.tls()) {
            SslHandler ssl = sslContext.newHandler(ch.alloc(), origin.host(), origin.port());
            SSLEngine engine = ssl.engine();
            SSLParameters params = engine.getSSLParameters();
            // Verify that the certificate is for the host we meant to reach, not only that it is trusted.
            params.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(params);
            ssl.setHandshakeTimeoutMillis(Math.max(1000, origin.connectTimeoutMillis()));
            p.addLast("tls", ssl);
        }
        p.addLast("codec", new HttpClientCodec(8192, 64 * 1024, 64 * 1024));
        p.addLast("gunzip", new HttpContentDecompressor(0));
    }
}

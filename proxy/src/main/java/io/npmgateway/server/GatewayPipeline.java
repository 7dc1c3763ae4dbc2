package io.npmgateway.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.npm.RequestPathParser;
import java.util.concurrent.TimeUnit;

/**
 * The client connection pipeline, in the order bytes flow through it. This class is the table of contents of
 * the server: every handler a request passes is added here and nowhere else.
 */
final class GatewayPipeline extends ChannelInitializer<SocketChannel> {
    /** Largest request line (method, path, version) accepted; longer gets 414. */
    static final int MAX_INITIAL_LINE = 8192;
    /** Largest request body accepted on the read routes. */
    static final int MAX_REQUEST_BODY = RequestBodyLimit.MAX_READ_BODY;

    private final ServerConfig config;
    private final RequestPathParser paths;
    private final Routes routes;
    private final RequestObserver observer;
    private final InFlight inFlight;
    private final io.netty.channel.group.ChannelGroup connections;

    GatewayPipeline(ServerConfig config, RequestPathParser paths, Routes routes, RequestObserver observer,
            InFlight inFlight, io.netty.channel.group.ChannelGroup connections) {
        this.connections = connections;
        this.config = config;
        this.paths = paths;
        this.routes = routes;
        this.observer = observer;
        this.inFlight = inFlight;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        // Every open connection, so a shutdown can drain them and, past its deadline, close them.
        connections.add(ch);
        ChannelPipeline p = ch.pipeline();
        StreamedRequests streamed = new StreamedRequests(paths);
        // 1. Close connections that send or receive nothing for too long (idle keep-alives).
        p.addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        // 2. Request heads: a deadline once one has started (slowloris: 408), and no obs-fold, bare CR/LF or control
        //    bytes, which a proxy in front might read differently from the decoder (400, connection closed).
        RequestHeadGuard heads = new RequestHeadGuard(config.headerTimeout().toMillis(), observer);
        p.addLast("head-guard", heads);
        // 3. HTTP/1.1 framing, with hard limits on the request line and headers (431/414 on excess), read strictly:
        //    CR LF line ends only; Content-Length next to Transfer-Encoding, or given twice, is an error (400).
        p.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(config.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowDuplicateContentLengths(false)));
        //    Framing the decoder accepts but a proxy might not read the same way (a body on GET, a transfer coding
        //    other than chunked) marks the request failed: 400 and closed by the registry handler.
        p.addLast("framing", new RequestHeadGuard.AfterCodec(heads));
        // 4. Bodies bounded by kind (reads: none to speak of; audit: a few MB; streamed writes such as publish:
        //    configured, counted as they arrive), 413 beyond.
        //    Ahead of the keep-alive handler on purpose: that handler would close the connection as soon as the
        //    413 is written, while the client is still sending, and the reset can destroy the answer unread.
        p.addLast("body-limit", new RequestBodyLimit(config.maxPublishBytes(), streamed, observer));
        // 5. Connection: keep-alive / close bookkeeping; then whole requests, except whole-document writes (publish),
        //    whose bodies reach the route piece by piece and go upstream as they arrive.
        p.addLast("keep-alive", new HttpServerKeepAliveHandler());
        p.addLast("aggregate", new AggregateUnlessStreamed(RequestBodyLimit.largest(config.maxPublishBytes()),
                streamed));
        // 6. Streamed bodies (tarballs) written only as fast as the client reads them.
        p.addLast("stream", new ChunkedWriteHandler());
        // 7. Route to the registry's answers; each answered request is logged and measured once.
        p.addLast("registry", new RegistryHandler(paths, routes, observer, inFlight));
    }
}

package io.npmgateway.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.pool.AbstractChannelPoolMap;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;

/**
 * The Netty HTTP/1.1 client behind every upstream call: one bounded, keep-alive connection pool per origin,
 * TLS with host name verification, gzip decoding, redirects decided per hop, and reads driven by the consumer
 * (channels run with auto-read off) so a slow consumer never makes the gateway buffer an upstream body.
 *
 * <p>It shares the server's event loops: an upstream response is handled on the same threads that write it to
 * clients, with no hand-off.
 */
public final class NettyUpstreamTransport implements UpstreamTransport {
    /** Connections per upstream origin; beyond it, calls wait for a free connection. */
    static final int MAX_CONNECTIONS_PER_ORIGIN = 64;
    private static final int MAX_PENDING_ACQUIRES = 100_000;

    private final SslContext sslContext;
    private final Bootstrap base;
    private final AbstractChannelPoolMap<Origin, ChannelPool> pools;
    private volatile boolean closing;
    /** Connections handed to an exchange (closed ones leave by themselves), so close() can end them in order. */
    private final io.netty.channel.group.ChannelGroup inUse = new io.netty.channel.group.DefaultChannelGroup(
            "npm-gateway-upstream", io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);

    public NettyUpstreamTransport(EventLoopGroup group, Class<? extends Channel> channelType) {
        try {
            this.sslContext = SslContextBuilder.forClient().build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot create the TLS client context", e);
        }
        this.base = new Bootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        this.pools = new AbstractChannelPoolMap<>() {
            @Override
            protected ChannelPool newPool(Origin origin) {
                Bootstrap bootstrap = base.clone()
                        .remoteAddress(origin.host(), origin.port())
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, origin.connectTimeoutMillis());
                return new FixedChannelPool(bootstrap, new UpstreamChannelInitializer(origin, sslContext),
                        ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL,
                        Math.max(1000L, origin.connectTimeoutMillis() * 2L), MAX_CONNECTIONS_PER_ORIGIN,
                        MAX_PENDING_ACQUIRES, true, true);
            }
        };
    }

    @Override
    public CompletableFuture<DocumentResponse> fetchDocument(UpstreamCall call, long maxBytes) {
        CompletableFuture<DocumentResponse> result = new CompletableFuture<>();
        start(new UpstreamExchange(call, call.uri(), new UpstreamExchange.DocumentMode(call.upstreamId(), maxBytes, result), this), 0);
        return result;
    }

    @Override
    public void fetchStream(UpstreamCall call, StreamConsumer consumer) {
        start(new UpstreamExchange(call, call.uri(), new UpstreamExchange.StreamMode(consumer), this), 0);
    }

    @Override
    public CompletableFuture<ForwardedResponse> forward(UpstreamCall call, long maxBytes) {
        CompletableFuture<ForwardedResponse> result = new CompletableFuture<>();
        start(new UpstreamExchange(call, call.uri(), new UpstreamExchange.ForwardMode(call.upstreamId(), maxBytes,
                result), this), 0);
        return result;
    }

    @Override
    public BodyUpload upload(UpstreamCall call, long maxBytes, java.util.concurrent.Executor affinity) {
        CompletableFuture<ForwardedResponse> result = new CompletableFuture<>();
        // On the client connection's own loop when it is one of ours: the body then never changes threads.
        EventLoop loop = affinity instanceof EventLoop el && el.parent() == base.config().group() ? el
                : base.config().group().next();
        StreamedUpload upload = new StreamedUpload(loop, result, call.readTimeout().toMillis());
        start(new UpstreamExchange(call, call.uri(), new UpstreamExchange.ForwardMode(call.upstreamId(), maxBytes,
                result), this, upload), 0);
        return upload;
    }

    /**
     * Acquires a connection for the exchange's current URL and hands it over; retries on stale pooled ones. A write
     * (see {@link UpstreamCall#retriable()}) gets a new connection of its own, closed after its response: a pooled
     * keep-alive connection the upstream has already closed would fail it, and a write is never sent twice.
     */
    void start(UpstreamExchange exchange, int attempt) {
        Origin origin;
        try {
            origin = Origin.of(exchange.uri(), exchange.call().connectTimeout());
        } catch (IllegalArgumentException e) {
            exchange.fail(new UpstreamException(exchange.call().upstreamId(), UpstreamFailure.INVALID,
                    e.getMessage()));
            return;
        }
        ChannelPool pool = exchange.call().retriable() ? pools.get(origin)
                : new OneConnection(origin, exchange.upload() != null ? exchange.upload().loop()
                        : base.config().group().next());
        pool.acquire().addListener((Future<Channel> f) -> {
            if (!f.isSuccess()) {
                exchange.fail(UpstreamErrors.classify(exchange.call().upstreamId(), f.cause(), false));
                return;
            }
            inUse.add(f.getNow());
            exchange.run(f.getNow(), pool, attempt);
        });
    }

    /**
     * Closes the connections still in use (downloads cut at a shutdown's deadline), then the pools. Done while the
     * event loops still run: a connection closed by the loops' own shutdown would be released into a pool whose
     * executor has already stopped. A connection's release runs after its close has completed (Netty fires
     * {@code channelInactive} in a later task), so from here on a released connection is only closed, never handed
     * back to a pool: the pool's executor may stop before that release runs.
     */
    @Override
    public void close() {
        closing = true;
        inUse.close().awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        pools.close();
    }

    /** Whether {@link #close()} has begun: connections are no longer returned to the pools. */
    boolean closing() {
        return closing;
    }

    /** A "pool" of one new connection, closed when released: for writes. */
    private final class OneConnection implements ChannelPool {
        private final Origin origin;
        private final EventLoop loop;

        OneConnection(Origin origin, EventLoop loop) {
            this.origin = origin;
            this.loop = loop;
        }

        @Override
        public Future<Channel> acquire() {
            return acquire(loop.newPromise());
        }

        @Override
        public Future<Channel> acquire(io.netty.util.concurrent.Promise<Channel> promise) {
            UpstreamChannelInitializer initializer = new UpstreamChannelInitializer(origin, sslContext);
            base.clone(loop)
                    .remoteAddress(origin.host(), origin.port())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, origin.connectTimeoutMillis())
                    .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            initializer.channelCreated(ch);
                        }
                    })
                    .connect().addListener((io.netty.channel.ChannelFuture f) -> {
                        if (f.isSuccess()) {
                            promise.trySuccess(f.channel());
                        } else {
                            promise.tryFailure(f.cause());
                        }
                    });
            return promise;
        }

        @Override
        public Future<Void> release(Channel channel) {
            return release(channel, channel.eventLoop().newPromise());
        }

        @Override
        public Future<Void> release(Channel channel, io.netty.util.concurrent.Promise<Void> promise) {
            channel.close();
            return promise.setSuccess(null);
        }

        @Override
        public void close() {
        }
    }

    /** Where a connection goes: connections are pooled per origin and connect timeout. */
    record Origin(boolean tls, String host, int port, int connectTimeoutMillis) {
        static Origin of(URI uri, java.time.Duration connectTimeout) {
            String scheme = uri.getScheme();
            boolean tls;
            if ("https".equalsIgnoreCase(scheme)) {
                tls = true;
            } else if ("http".equalsIgnoreCase(scheme)) {
                tls = false;
            } else {
                throw new IllegalArgumentException("unsupported URL scheme in '" + scheme + "'");
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("URL has no host");
            }
            int port = uri.getPort() != -1 ? uri.getPort() : (tls ? 443 : 80);
            return new Origin(tls, uri.getHost(), port, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        }

        /** The Host header value: the port only when it is not the scheme's default. */
        String hostHeader() {
            String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return (tls && port == 443) || (!tls && port == 80) ? h : h + ":" + port;
        }
    }
}

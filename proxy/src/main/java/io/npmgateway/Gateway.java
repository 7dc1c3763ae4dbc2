package io.npmgateway;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.npmgateway.config.GatewayConfig;
import io.npmgateway.config.OperationsConfig;
import io.npmgateway.config.UpstreamConfig;
import io.npmgateway.metrics.GatewayMetrics;
import io.npmgateway.metrics.MetricsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.npmgateway.server.ServerServices;
import io.npmgateway.npm.PackumentRewriter;
import io.npmgateway.packument.DocumentSizeLimit;
import io.npmgateway.packument.PackumentService;
import io.npmgateway.server.GatewayServer;
import io.npmgateway.storage.GatewayStore;
import io.npmgateway.storage.StoreOptions;
import io.npmgateway.tarball.TarballFileCache;
import io.npmgateway.tarball.TarballService;
import io.npmgateway.upstream.NettyUpstreamTransport;
import io.npmgateway.upstream.Upstream;
import io.npmgateway.upstream.UpstreamChain;
import io.npmgateway.upstream.UpstreamHealth;
import io.npmgateway.upstream.credentials.CredentialProvider;
import io.npmgateway.upstream.credentials.CredentialProviders;
import io.npmgateway.auth.ClientAuthenticator;
import io.npmgateway.auth.LoginService;
import io.npmgateway.server.ClientAccess;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The composition root: builds every part of a running gateway from its configuration, in dependency order
 * (store, event loops, upstream client and chain, caches, server), and takes them down in reverse. The command
 * line and the tests both start gateways through {@link #start(GatewayConfig)}.
 */
public final class Gateway implements AutoCloseable {
    private final GatewayStore store;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final NettyUpstreamTransport transport;
    private final ExecutorService workPool;
    private final GatewayServer server;
    private final String publicUrl;
    private final GatewayMetrics metrics;
    private final java.time.Duration shutdownGrace;
    private final List<CredentialProvider> credentials;
    private final LoginService login;
    private final TarballFileCache tarballFiles;
    private boolean closed;

    private Gateway(GatewayStore store, EventLoopGroup bossGroup, EventLoopGroup workerGroup,
            NettyUpstreamTransport transport, ExecutorService workPool, GatewayServer server, String publicUrl,
            GatewayMetrics metrics, java.time.Duration shutdownGrace, List<CredentialProvider> credentials,
            LoginService login, TarballFileCache tarballFiles) {
        this.login = login;
        this.tarballFiles = tarballFiles;
        this.credentials = credentials;
        this.metrics = metrics;
        this.shutdownGrace = shutdownGrace;
        this.store = store;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.transport = transport;
        this.workPool = workPool;
        this.server = server;
        this.publicUrl = publicUrl;
    }

    /** Under the data directory: the tarball file cache's copies, deleted at every start. */
    static final String TARBALL_FILES_DIR = "tarball-files";

    public static Gateway start(GatewayConfig config) {
        return start(config, CredentialProviders.defaults());
    }

    /**
     * Starts a gateway whose refreshed upstream credentials (token commands, CodeArtifact) use the given clock,
     * threads, environment and AWS credentials.
     */
    public static Gateway start(GatewayConfig config, CredentialProviders credentialProviders) {
        if (config.upstreams().isEmpty()) {
            throw new IllegalArgumentException("no upstream configured");
        }
        GatewayStore store = GatewayStore.open(new StoreOptions(config.dataDir(), config.storage().maxBytes()));
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        Class<? extends Channel> clientChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, threads("npm-gateway-accept"), io);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, threads("npm-gateway-io"), io);
        ExecutorService work = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                threads("npm-gateway-work"));
        NettyUpstreamTransport transport = new NettyUpstreamTransport(workers, clientChannel);
        GatewayMetrics metrics = new GatewayMetrics(new MetricsConfig(
                config.operations().downloadsPackageLabelCap(), config.operations().metricsHistograms()));
        List<CredentialProvider> credentials = new ArrayList<>();
        LoginService login = null;
        TarballFileCache tarballFiles = null;
        try {
            List<Upstream> upstreams = new ArrayList<>();
            for (UpstreamConfig u : config.upstreams()) {
                CredentialProvider provider = credentialProviders.create(u);
                credentials.add(provider);
                Upstream upstream = new Upstream(u, transport, metrics, provider, new UpstreamHealth());
                upstreams.add(upstream);
                metrics.bindUpstream(u.id(), provider::secondsUntilExpiry, provider::renewalFailures,
                        () -> upstream.health().isUp() ? GatewayMetrics.UPSTREAM_AVAILABLE
                                : GatewayMetrics.UPSTREAM_UNAVAILABLE);
            }
            // Token commands and CodeArtifact calls start now; the first requests wait for their first token.
            credentials.forEach(CredentialProvider::start);
            UpstreamChain chain = new UpstreamChain(upstreams, config.routeTable());
            // The public URL is needed before the first rewrite; with port 0 it is known only after binding.
            PublicUrlHolder holder = new PublicUrlHolder(config.server().publicUrl());
            PackumentService packuments = new PackumentService(chain, holder::rewriter, store.metadata(),
                    fitToHeap(config.cache()), Clock.systemUTC(), work, metrics);
            tarballFiles = TarballFileCache.open(store.tarballs(), config.dataDir().resolve(TARBALL_FILES_DIR),
                    config.storage().fileCacheBytes());
            TarballService tarballs = new TarballService(store.tarballs(), tarballFiles, packuments, chain, work,
                    metrics);
            metrics.bindMetadataCache(packuments.cache());
            metrics.bindTarballStore(store.tarballs()::totalBytes, store.tarballs()::entryCount,
                    store.tarballs()::evictionCount);
            metrics.bindTarballFileCache(tarballFiles::bytes);
            if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider) {
                var allocator = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
                metrics.bindNettyAllocator(allocator::usedDirectMemory, allocator::usedHeapMemory);
            }
            var ops = config.operations();
            ClientAuthenticator authenticator = ClientAuthenticator.of(config.clients(), Clock.systemUTC());
            login = new LoginService(authenticator, Clock.systemUTC());
            if (!config.clients().users().isEmpty() && config.clients().login().secret() == null) {
                org.slf4j.LoggerFactory.getLogger(Gateway.class).warn("clients.login.secret is not set: tokens "
                        + "issued at login are signed with a key of this process only, so they stop working when it "
                        + "restarts and other replicas do not accept them");
            }
            ServerServices services = new ServerServices(packuments, tarballs, store, upstreams, metrics,
                    ops.metricsPath(), ops.metricsPort(), ops.accessLog() == OperationsConfig.AccessLogFormat.JSON,
                    ops.adminToken() == null ? null : ops.adminToken().reveal(),
                    ClientAccess.of(config, authenticator), passThrough(config, chain, holder), login);
            GatewayServer server = GatewayServer.start(config.server(), holder.basePath(), boss, workers,
                    serverChannel, services);
            String publicUrl = holder.bind(server.localAddress());
            return new Gateway(store, boss, workers, transport, work, server, publicUrl, metrics,
                    ops.shutdownGrace(), credentials, login, tarballFiles);
        } catch (RuntimeException e) {
            if (login != null) {
                login.close();
            }
            credentials.forEach(CredentialProvider::close);
            transport.close();
            shutdown(boss, workers, work);
            if (tarballFiles != null) {
                tarballFiles.close();
            }
            store.close();
            throw e;
        }
    }

    /** The cache configuration with its largest document lowered to what this JVM's heap can hold. */
    private static io.npmgateway.config.CacheConfig fitToHeap(io.npmgateway.config.CacheConfig cache) {
        long limit = DocumentSizeLimit.effective(cache.maxPackumentBytes(), Runtime.getRuntime().maxMemory());
        if (limit == cache.maxPackumentBytes()) {
            return cache;
        }
        org.slf4j.LoggerFactory.getLogger(Gateway.class).info("largest packument accepted: {} MB (cache.metadata"
                + ".maxDocument is {} MB, more than a fifth of the {} MB heap)", limit >> 20,
                cache.maxPackumentBytes() >> 20, Runtime.getRuntime().maxMemory() >> 20);
        return cache.withMaxPackumentBytes(limit);
    }

    /** Where the scrape and the probes are served when they have a port of their own, else null. */
    public InetSocketAddress metricsAddress() {
        return server.metricsAddress();
    }

    public InetSocketAddress localAddress() {
        return server.localAddress();
    }

    /** The registry URL clients configure: {@code npm config set registry <this>}. */
    public String publicUrl() {
        return publicUrl;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /**
     * Shuts down gracefully: stops accepting connections, lets responses already under way finish (up to the
     * grace period), then closes the upstream client, the threads and, last, the store.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.close();
        try {
            int left = server.inFlight().awaitIdle(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS);
            if (left > 0) {
                org.slf4j.LoggerFactory.getLogger(Gateway.class).warn(
                        "{} responses still in flight after {} s; closing anyway", left, shutdownGrace.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Past the grace period: cut what is left while the threads still run, so it ends in order.
        server.closeConnections();
        login.close();
        credentials.forEach(CredentialProvider::close);
        transport.close();
        shutdown(bossGroup, workerGroup, workPool);
        metrics.close();
        tarballFiles.close();
        store.close();
    }

    /** The write target and audit upstream by their configured ids (the loader checked that they exist). */
    private static ServerServices.PassThrough passThrough(GatewayConfig config, UpstreamChain chain,
            PublicUrlHolder holder) {
        Upstream writeTarget = config.writeTarget() == null ? null : chain.byId(config.writeTarget()).orElseThrow(() ->
                new IllegalArgumentException("writeTarget '" + config.writeTarget() + "' is not a configured upstream"));
        Upstream audit = config.auditUpstream() == null ? null : chain.byId(config.auditUpstream()).orElseThrow(() ->
                new IllegalArgumentException("auditUpstream '" + config.auditUpstream()
                        + "' is not a configured upstream"));
        if (writeTarget != null && config.clients().isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(Gateway.class).warn("writes go to upstream '{}' with its credentials "
                    + "and no client tokens are configured: anyone who can reach the gateway can publish",
                    writeTarget.id());
        }
        return new ServerServices.PassThrough(writeTarget, audit, holder::rewriter);
    }

    private static void shutdown(EventLoopGroup boss, EventLoopGroup workers, ExecutorService work) {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * The gateway's public base URL: configured, or derived from the bound address once the port is known. The
     * rewriter reads it lazily so it can be created before binding.
     */
    private static final class PublicUrlHolder {
        private final String configured;
        private volatile PackumentRewriter rewriter;

        PublicUrlHolder(String configured) {
            this.configured = configured;
            if (configured != null) {
                rewriter = new PackumentRewriter(configured);
            }
        }

        String basePath() {
            return configured == null ? "/" : URI.create(configured).getRawPath();
        }

        PackumentRewriter rewriter() {
            PackumentRewriter r = rewriter;
            if (r == null) {
                throw new IllegalStateException("the public URL is not known before the server is bound");
            }
            return r;
        }

        String bind(InetSocketAddress address) {
            if (configured != null) {
                return configured;
            }
            String host = address.getAddress().isAnyLocalAddress() ? "localhost"
                    : address.getAddress().getHostAddress();
            if (host.indexOf(':') >= 0) {
                host = "[" + host + "]";
            }
            String url = "http://" + host + ":" + address.getPort() + "/";
            rewriter = new PackumentRewriter(url);
            return url;
        }
    }
}

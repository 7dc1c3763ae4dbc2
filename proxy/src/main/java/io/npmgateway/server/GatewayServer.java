package io.npmgateway.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.npm.RequestPathParser;
import java.net.BindException;
import java.net.InetSocketAddress;

/**
 * The listening socket: binds, builds each connection's pipeline with {@link GatewayPipeline}, and stops
 * accepting on close. The event loops belong to the caller, which shares them with the upstream client.
 */
public final class GatewayServer implements AutoCloseable {
    private final Channel serverChannel;
    private final Channel metricsChannel;
    private final InFlight inFlight;
    private final ChannelGroup connections;

    private GatewayServer(Channel serverChannel, Channel metricsChannel, InFlight inFlight, ChannelGroup connections) {
        this.connections = connections;
        this.serverChannel = serverChannel;
        this.metricsChannel = metricsChannel;
        this.inFlight = inFlight;
    }

    /**
     * Binds and starts accepting.
     *
     * @throws ServerStartException with a message fit for the operator when the address cannot be bound
     */
    public static GatewayServer start(ServerConfig config, String basePath, EventLoopGroup bossGroup,
            EventLoopGroup workerGroup, Class<? extends ServerChannel> channelType, ServerServices services) {
        Readiness readiness = new Readiness(services.store()::isOpen, services.store().tarballs()::entryCount,
                services.upstreams());
        boolean separateMetrics = services.metricsPort() != null;
        PackumentRoutes packumentRoutes = new PackumentRoutes(services.packuments());
        TarballRoute tarballRoute = new TarballRoute(services.tarballs());
        AdminRoutes admin = new AdminRoutes(services.adminToken(), services.packuments(), services.tarballs());
        ServerServices.PassThrough p = services.passThrough();
        Routes routes = new Routes(packumentRoutes, tarballRoute, services.metrics(),
                separateMetrics ? null : services.metricsPath(), readiness, admin, services.access(), true,
                new PassThroughRoutes(services.upstreams(), p.writeTarget(), p.auditUpstream(), services.packuments(),
                        p.rewriter(), services.access(), config.maxPublishBytes()),
                new AccountRoutes(services.access(), services.login()));
        RequestObserver observer = new RequestObserver(services.metrics(), services.jsonAccessLog());
        InFlight inFlight = new InFlight();
        ChannelGroup connections = new DefaultChannelGroup("npm-gateway-clients", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new GatewayPipeline(config, new RequestPathParser(basePath), routes, observer,
                        inFlight, connections));
        Channel metricsChannel = null;
        if (separateMetrics) {
            Routes operational = new Routes(packumentRoutes, tarballRoute, services.metrics(), services.metricsPath(),
                    readiness, admin, services.access(), false);
            ServerBootstrap metricsBootstrap = bootstrap.clone().childHandler(new GatewayPipeline(config,
                    new RequestPathParser(basePath), operational, observer, inFlight, connections));
            metricsChannel = bind(metricsBootstrap, config.bind(), services.metricsPort());
        }
        try {
            Channel channel = bind(bootstrap, config.bind(), config.port());
            return new GatewayServer(channel, metricsChannel, inFlight, connections);
        } catch (ServerStartException e) {
            if (metricsChannel != null) {
                metricsChannel.close().syncUninterruptibly();
            }
            throw e;
        }
    }

    private static Channel bind(ServerBootstrap bootstrap, String address, int port) {
        try {
            return bootstrap.bind(address, port).syncUninterruptibly().channel();
        } catch (Exception e) {
            String where = address + ":" + port;
            if (e instanceof BindException || e.getCause() instanceof BindException
                    || String.valueOf(e.getMessage()).contains("Address already in use")) {
                throw new ServerStartException("cannot listen on " + where + ": the port is already in use "
                        + "(choose another with --port)");
            }
            throw new ServerStartException("cannot listen on " + where + ": " + e.getMessage());
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * Stops accepting new connections and drains the open ones: idle keep-alive connections close now, busy ones
     * finish their current response (which says {@code Connection: close}) and then close.
     */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        if (metricsChannel != null) {
            metricsChannel.close().syncUninterruptibly();
        }
        for (Channel c : connections) {
            c.pipeline().fireUserEventTriggered(RegistryHandler.Drain.INSTANCE);
        }
    }

    /**
     * Closes every client connection still open: past the shutdown's grace period, while the event loops still run,
     * so what those connections were doing ends in order rather than under stopped threads.
     */
    public void closeConnections() {
        connections.close().awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The separate metrics listener's address, or null when the scrape is on the registry port. */
    public InetSocketAddress metricsAddress() {
        return metricsChannel == null ? null : (InetSocketAddress) metricsChannel.localAddress();
    }

    /** Requests being answered right now: what a graceful shutdown waits for. */
    public InFlight inFlight() {
        return inFlight;
    }

    /** The server could not start; the message says why in the operator's terms. */
    public static final class ServerStartException extends RuntimeException {
        public ServerStartException(String message) {
            super(message);
        }
    }
}

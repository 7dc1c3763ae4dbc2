package io.npmgateway.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
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
    private final InFlight inFlight;

    private GatewayServer(Channel serverChannel, InFlight inFlight) {
        this.serverChannel = serverChannel;
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
        Routes routes = new Routes(new PackumentRoutes(services.packuments()), new TarballRoute(services.tarballs()),
                services.metrics(), services.metricsPath(), readiness,
                new AdminRoutes(services.adminToken(), services.packuments(), services.tarballs()),
                services.access());
        RequestObserver observer = new RequestObserver(services.metrics(), services.jsonAccessLog());
        InFlight inFlight = new InFlight();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new GatewayPipeline(config, new RequestPathParser(basePath), routes, observer,
                        inFlight));
        try {
            Channel channel = bootstrap.bind(config.bind(), config.port()).syncUninterruptibly().channel();
            return new GatewayServer(channel, inFlight);
        } catch (Exception e) {
            String where = config.bind() + ":" + config.port();
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

    /** Stops accepting new connections; connections already open finish their current responses. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
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
